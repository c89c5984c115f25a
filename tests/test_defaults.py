"""The defaults give a representation that a fresh probe confirms as invariant.

Issue 12's target on the 3-group blobs (y independent of s): the strongest of
three fresh probes, trained on the training half's representation and read on
the held-out half, stays at or below 0.45 (chance 0.33) with y accuracy 0.84
or more. ``benchmarks/probe_sweep.py`` measures this on 3 seeds; this is its
seed 0. The affinity estimators are left out: at their default they read
0.40-0.44, too close to the line for a test.
"""

import pytest
from sklearn.model_selection import train_test_split

from skinvariant import AdversarialClassifier, HSICClassifier, IIDMClassifier
from skinvariant.datasets import make_attribute_blobs
from skinvariant.metrics import sensitive_leakage


@pytest.fixture(scope="module")
def blobs():
    X, y, s = make_attribute_blobs(3000, n_groups=3, random_state=0)
    return train_test_split(X, y, s, test_size=0.5, random_state=0, stratify=s)


# measured (probe_sweep, seed 0): AII 0.385-0.398, IIDM 0.334, HSIC 0.358
@pytest.mark.parametrize("Estimator", [AdversarialClassifier, IIDMClassifier, HSICClassifier])
def test_the_defaults_leave_a_fresh_probe_near_chance(Estimator, blobs):
    X_train, X_test, y_train, y_test, s_train, s_test = blobs
    model = Estimator(random_state=0).fit(X_train, y_train, sensitive=s_train)
    leakage = sensitive_leakage(
        model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
    )
    assert leakage.accuracy <= 0.45, leakage.probe
    assert model.score(X_test, y_test) >= 0.84
