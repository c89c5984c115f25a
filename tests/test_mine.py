"""What MINEDebiasedClassifier adds: continuous attributes, its estimate, CLUB, clipping."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from skinvariant import DivergenceError, MINEDebiasedClassifier
from skinvariant.core import Step
from skinvariant.metrics import continuous_leakage
from skinvariant.mine import MutualInformationObjective


def continuous_attribute_data(n_samples=800, seed=0):
    """Column 0 carries y, column 1 a continuous attribute a (e.g. age); y independent of a."""
    rng = np.random.RandomState(seed)
    age = rng.normal(40, 10, n_samples)
    y = rng.randint(0, 2, n_samples)
    X = np.c_[
        2.0 * y + 0.6 * rng.randn(n_samples),
        (age - 40) / 10 + 0.3 * rng.randn(n_samples),
        rng.randn(n_samples, 2),
    ]
    return X, y, age


class RecordingMINE(MINEDebiasedClassifier):
    """Records how many sensitive values each fit received."""

    received = []

    def fit(self, X, y, *, sensitive=None):
        RecordingMINE.received.append(len(sensitive))
        return super().fit(X, y, sensitive=sensitive)


def test_continuous_attribute_is_detected_standardised_and_removed():
    X, y, age = continuous_attribute_data()
    # z 8 wide (the default is 2): room for age at lam=0, so the test sees the penalty
    fitted = {
        lam: MINEDebiasedClassifier(
            lam=lam, n_estimator_steps=5, n_components=8, max_epochs=40, random_state=0
        ).fit(X, y, sensitive=age)
        for lam in (0.0, 1.0)
    }
    model = fitted[1.0]
    assert model.sensitive_type_ == "continuous" and model.sensitive_groups_ is None
    assert model.sensitive_mean_ == pytest.approx([age.mean()])
    # the strongest of the default probes (linear, boosted trees, MLP), on held-out rows
    plain, invariant = (continuous_leakage(fitted[lam].transform(X), age).r2 for lam in (0.0, 1.0))
    assert plain > 0.6  # z carries age when nothing stops it
    assert invariant < 0.6 * plain
    assert fitted[1.0].score(X, y) > fitted[0.0].score(X, y) - 0.05


def test_estimate_is_high_where_z_carries_s_and_falls_with_lam(leaky_data):
    X, y, s = leaky_data
    estimates = {
        lam: MINEDebiasedClassifier(
            lam=lam, n_estimator_steps=5, n_components=8, max_epochs=30, random_state=0
        )
        .fit(X, y, sensitive=s)
        .mutual_information_
        for lam in (0.0, 1.0)
    }
    assert estimates[0.0] > 0.25  # I(z; s) <= log 2 = 0.69 nats for two balanced groups
    assert estimates[1.0] < 0.5 * estimates[0.0]


def test_sensitive_type_can_be_forced(leaky_data):
    X, y, s = leaky_data
    model = MINEDebiasedClassifier(sensitive_type="continuous", max_epochs=1, n_estimator_steps=1)
    assert model.fit(X, y, sensitive=s).sensitive_type_ == "continuous"
    model.set_params(sensitive_type="auto").fit(X, y, sensitive=s)
    assert model.sensitive_type_ == "categorical" and model.sensitive_groups_ == [0, 1]


def test_club_refuses_a_continuous_attribute():
    X, y, age = continuous_attribute_data(200)
    with pytest.raises(ValueError, match="club.*categorical"):
        MINEDebiasedClassifier(estimator="club", max_epochs=1).fit(X, y, sensitive=age)


def test_constant_continuous_attribute_is_refused():
    X, y, _ = continuous_attribute_data(200)
    with pytest.raises(ValueError, match="constant"):
        MINEDebiasedClassifier(sensitive_type="continuous", max_epochs=1).fit(
            X, y, sensitive=np.full(len(y), 3.5)
        )


def test_diverging_estimate_stops_with_an_error(leaky_data):
    X, y, s = leaky_data
    model = MINEDebiasedClassifier(optimizer="sgd", lr=1e12, max_epochs=3, random_state=0)
    with pytest.raises(DivergenceError, match="epoch 1"):
        model.fit(X * 1e6, y, sensitive=s)


def test_a_blown_up_estimator_stops_training_even_while_finite(leaky_data):
    # RMSprop at lr 0.01 sends the statistics network's estimate to about -30
    # nats within the first epoch: finite, but no estimate of I(z; s) at all
    X, y, s = leaky_data
    model = MINEDebiasedClassifier(
        lr=0.01, n_estimator_steps=5, n_components=8, max_epochs=3, random_state=0
    )
    with pytest.raises(DivergenceError, match=r"epoch 1: mi_estimate fell to -\d"):
        model.fit(X, y, sensitive=s)
    assert not hasattr(model, "net_")
    objective = MutualInformationObjective(2, 2)
    assert objective.diverged({"mi_estimate": -0.5, "penalty": -0.5}) == {}
    assert set(objective.diverged({"mi_estimate": -50.0})) == {"mi_estimate"}


def test_donsker_varadhan_estimate_separates_dependent_from_independent_pairs():
    torch.manual_seed(0)
    s = torch.randn(2000, 1)
    objective = MutualInformationObjective(1, 1, categorical=False, n_estimator_steps=1)
    optimizer = torch.optim.Adam(objective.parameters(), lr=1e-2)

    def step(z):
        return Step(z, None, s, {"z": z})

    for _ in range(300):
        optimizer.zero_grad()
        objective.network_loss("mi_network", step(s + 0.1 * torch.randn_like(s))).backward()
        optimizer.step()
    with torch.no_grad():
        dependent = objective.penalty(step(s + 0.1 * torch.randn_like(s))).item()
        independent = objective.penalty(step(torch.randn_like(s))).item()
    # true I = 0.5 log(1 + 1/0.01) = 2.3 nats; DV is a lower bound
    assert 1.0 < dependent < 2.4
    assert independent < 0.3


def test_adaptive_clipping_caps_the_penalty_gradient_by_the_task_gradient(leaky_data):
    # at lam=1e6 the clipped model keeps the task (0.83 measured), the unclipped
    # one is pushed off it (0.69)
    X, y, s = leaky_data
    scores = {}
    for clip in (True, False):
        model = MINEDebiasedClassifier(
            lam=1e6, max_epochs=2, n_estimator_steps=2, adaptive_clipping=clip, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the unclipped one may collapse
            model.fit(X, y, sensitive=s)
        assert np.all(np.isfinite(model.transform(X)))
        scores[clip] = model.score(X, y)
    assert scores[True] > 0.75 and scores[True] > scores[False] + 0.08, scores


def test_grid_search_picks_lam_by_lowest_mutual_information(leaky_data):
    from skinvariant.metrics import make_mutual_information_scorer
    from skinvariant.model_selection import lowest_mutual_information

    X, y, s = leaky_data
    search = GridSearchCV(
        MINEDebiasedClassifier(n_estimator_steps=5, max_epochs=20, random_state=0),
        {"lam": [0.0, 1.0]},
        cv=2,
        return_train_score=True,
        scoring={"accuracy": "accuracy", "mi": make_mutual_information_scorer()},
        refit=lowest_mutual_information(max_accuracy_drop=0.05),
    )
    search.fit(X, y, sensitive=s)
    assert search.best_params_ == {"lam": 1.0}
    assert search.cv_results_["mean_test_mi"][1] > search.cv_results_["mean_test_mi"][0]


def test_routing_slices_a_continuous_attribute_per_fold():
    import sklearn
    from sklearn.model_selection import KFold, cross_validate

    X, y, age = continuous_attribute_data(300)
    RecordingMINE.received = received = []
    with sklearn.config_context(enable_metadata_routing=True):
        cross_validate(
            RecordingMINE(max_epochs=1, n_estimator_steps=1),
            X,
            y,
            cv=KFold(3),
            params={"sensitive": age},
        )
    assert received == [200, 200, 200]


@pytest.mark.filterwarnings("ignore:Training accuracy")  # one epoch learns little
def test_routing_off_legacy_fit_params_reach_each_fold():
    from sklearn.model_selection import KFold

    X, y, age = continuous_attribute_data(300)
    RecordingMINE.received = received = []
    GridSearchCV(RecordingMINE(max_epochs=1, n_estimator_steps=1), {"lam": [0.5]}, cv=KFold(3)).fit(
        X, y, sensitive=age
    )
    assert received == [200, 200, 200, 300]  # three folds, then the refit
