"""sample_weight and class_weight: they weight the task loss, reach fit by every path, and say so."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    CollapseWarning,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    HSICRegressor,
    IIDMClassifier,
    IIDMRegressor,
    InvertibleClassifier,
    MINEDebiasedClassifier,
)

from .conftest import make_leaky_data

CLASSIFIERS = [
    AdversarialClassifier,
    AffinityClassifier,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    IIDMClassifier,
    InvertibleClassifier,
    MINEDebiasedClassifier,
]
POSITIVES_WEIGHT = 5.0


def positive_weights(y):
    return np.where(y == 1, POSITIVES_WEIGHT, 1.0)


def imbalanced_data(n_samples=1500, seed=0):
    """About 8 % positives that a few features predict; s independent of both."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 5))
    y = (X[:, 0] + 0.8 * rng.normal(size=n_samples) > 1.9).astype(int)
    return X, y, rng.randint(0, 2, n_samples)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_weights_on_the_positives_raise_their_predicted_share(Classifier):
    X, y, s = make_leaky_data(400)
    X[:, 0] = y + 1.5 * np.random.RandomState(1).randn(len(y))  # a harder task
    options = {"max_epochs": 5, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Classifier(**options).fit(X, y, sensitive=s)
        weighted = Classifier(**options).fit(X, y, sensitive=s, sample_weight=positive_weights(y))
    # the optimum of the weighted loss moves the threshold towards the positives
    assert weighted.predict(X).mean() > plain.predict(X).mean() + 0.05


def test_weights_change_a_regressors_fit_towards_the_heavy_rows():
    X, _, s = make_leaky_data(400)
    y = X[:, 0] + np.random.RandomState(0).randn(len(X))
    heavy = np.arange(len(y)) < 100
    shifted = np.where(heavy, y + 3.0, y)  # the heavy rows disagree with the rest
    options = {"max_epochs": 20, "random_state": 0}
    plain = IIDMRegressor(**options).fit(X, shifted, sensitive=s)
    weighted = IIDMRegressor(**options).fit(
        X, shifted, sensitive=s, sample_weight=np.where(heavy, 10.0, 1.0)
    )

    def residual(model):
        return np.abs(model.predict(X[heavy]) - shifted[heavy]).mean()

    assert residual(weighted) < residual(plain) - 0.3


def test_equal_weights_of_any_scale_leave_the_model_unchanged():
    X, y, s = make_leaky_data(300)
    options = {"max_epochs": 3, "random_state": 0}
    plain = IIDMClassifier(**options).fit(X, y, sensitive=s)
    scaled = IIDMClassifier(**options).fit(X, y, sensitive=s, sample_weight=np.full(len(y), 7.0))
    np.testing.assert_allclose(scaled.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_balanced_class_weight_keeps_the_minority_class_and_its_warning_names_it():
    X, y, s = imbalanced_data()
    with pytest.warns(UserWarning, match="class_weight='balanced'"):
        plain = IIDMClassifier(max_epochs=10, random_state=0).fit(X, y, sensitive=s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # weighted as the loss is, nothing has collapsed
        balanced = IIDMClassifier(class_weight="balanced", max_epochs=10, random_state=0).fit(
            X, y, sensitive=s
        )

    def recall(model):
        return model.predict(X)[y == 1].mean()

    assert recall(balanced) > recall(plain) + 0.3
    as_dict = IIDMClassifier(
        class_weight={0: 1.0, 1: (y == 0).sum() / (y == 1).sum()}, max_epochs=10, random_state=0
    ).fit(X, y, sensitive=s)
    np.testing.assert_allclose(as_dict.predict_proba(X), balanced.predict_proba(X), atol=1e-5)


def test_a_dropped_minority_class_warns_even_when_accuracy_beats_the_majority_rate():
    # y leans on s: HSIC at lam=3 and lr=1e-3 predicts 13.5 % positives against
    # 40.5 % at an accuracy of 0.64 (majority rate 0.595), which the old check
    # (accuracy against the majority rate) let pass in silence
    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 600)
    x0 = rng.randn(600)
    y = (x0 + 1.5 * s + 0.5 * rng.randn(600) > 1.0).astype(int)
    X = np.c_[x0, s + 0.3 * rng.randn(600), rng.randn(600, 2)]
    with pytest.warns(
        CollapseWarning, match=r"predicts class 1 for .* against 40.5% in y.*class_w"
    ):
        model = HSICClassifier(lam=3, lr=1e-3, max_epochs=20, random_state=0)
        model.fit(X, y, sensitive=s)
    assert model.predict(X).mean() < 0.5 * y.mean()
    assert (model.predict(X) == y).mean() > max(y.mean(), 1 - y.mean()) + 0.01


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(5), r"shape \(5,\) but X has 300 rows"),
        (2.0, "one weight per row"),
        (np.full(300, -1.0), "non-negative"),
        (np.full(300, np.nan), "finite"),
        (np.zeros(300), "zero for every row"),
    ],
)
def test_bad_weights_are_refused_naming_the_argument(weights, message):
    X, y, s = make_leaky_data(300)
    with pytest.raises(ValueError, match=message):
        IIDMClassifier(max_epochs=1).fit(X, y, sensitive=s, sample_weight=weights)


def test_a_regressor_has_no_class_weight():
    assert "class_weight" not in HSICRegressor().get_params()
    with pytest.raises(TypeError, match="class_weight"):
        HSICRegressor(class_weight="balanced")


def test_weights_reach_fit_through_the_legacy_fit_params_path():
    X, y, s = make_leaky_data(300)
    weights = positive_weights(y)
    pipe = make_pipeline(StandardScaler(), IIDMClassifier(max_epochs=3, random_state=0))
    pipe.fit(X, y, iidmclassifier__sensitive=s, iidmclassifier__sample_weight=weights)
    direct = IIDMClassifier(max_epochs=3, random_state=0).fit(
        StandardScaler().fit_transform(X), y, sensitive=s, sample_weight=weights
    )
    np.testing.assert_allclose(
        pipe.predict_proba(X), direct.predict_proba(StandardScaler().fit(X).transform(X)), atol=1e-6
    )


def test_weights_reach_fit_under_routing_once_requested_and_are_never_dropped():
    X, y, s = make_leaky_data(300)
    weights = positive_weights(y)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = IIDMClassifier(max_epochs=3, random_state=0)
        search = GridSearchCV(estimator, {"lam": [1.0]}, cv=2)
        # as for any scikit-learn estimator, weights passed without a request raise
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            search.fit(X, y, sensitive=s, sample_weight=weights)
        estimator.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        search = GridSearchCV(estimator, {"lam": [1.0]}, cv=2)
        routed = search.fit(X, y, sensitive=s, sample_weight=weights).best_estimator_
        unweighted = IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)
        weighted = IIDMClassifier(max_epochs=3, random_state=0).fit(
            X, y, sensitive=s, sample_weight=weights
        )
    np.testing.assert_allclose(routed.predict_proba(X), weighted.predict_proba(X), atol=1e-6)
    assert np.abs(routed.predict_proba(X) - unweighted.predict_proba(X)).max() > 1e-3
