"""The invariant regressors: targets in their units, invariance, routing, pickling, errors."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import is_regressor
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from skorch.callbacks import EarlyStopping

from skinvariant import (
    AdversarialRegressor,
    HSICRegressor,
    IIDMClassifier,
    IIDMRegressor,
    MINEDebiasedRegressor,
)
from skinvariant.exceptions import CollapseWarning, DivergenceError, NoInvarianceWarning
from skinvariant.metrics import (
    group_error_gap,
    make_fairness_scorer,
    sensitive_leakage,
    worst_group_error,
)

REGRESSORS = [AdversarialRegressor, IIDMRegressor, MINEDebiasedRegressor, HSICRegressor]
N_SAMPLES, N_FOLDS = 600, 3
FOLD_TRAIN, FOLD_TEST = N_SAMPLES * (N_FOLDS - 1) // N_FOLDS, N_SAMPLES // N_FOLDS


def make_leaky_regression(n_samples=800, seed=0):
    """y = 50 + 10 x0 + noise, independent of s; column 1 carries s, the rest is noise."""
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n_samples)
    X = np.c_[
        rng.normal(size=n_samples),
        2.0 * s + rng.normal(size=n_samples),
        rng.normal(size=(n_samples, 2)),
    ]
    y = 50.0 + 10.0 * X[:, 0] + 2.0 * rng.normal(size=n_samples)
    return X, y, s


@pytest.fixture
def data():
    return make_leaky_regression()


def small(Estimator, **params):
    if Estimator is MINEDebiasedRegressor:
        params.setdefault("n_estimator_steps", 2)
    return Estimator(**{"max_epochs": 5, "random_state": 0, **params})


@pytest.mark.parametrize("Estimator", REGRESSORS)
def test_predicts_in_the_units_of_y_and_scores_r2(Estimator, data):
    X, y, s = data
    model = small(Estimator, max_epochs=20).fit(X, y, sensitive=s)
    assert is_regressor(model) and get_tags(model).target_tags.required
    predictions = model.predict(X)
    assert predictions.shape == (len(X),) and predictions.dtype == np.float64
    assert abs(predictions.mean() - y.mean()) < 0.1 * y.std()
    assert model.score(X, y) > 0.8  # y is 10 x0 plus noise: R^2 0.96 is reachable
    # the head learns the standardised target, so y in other units trains the
    # same network and predicts in those units
    rescaled = small(Estimator, max_epochs=20).fit(X, 1000 * y - 5, sensitive=s)
    np.testing.assert_allclose(rescaled.predict(X), 1000 * predictions - 5, rtol=1e-4, atol=1e-2)
    # the head learns the standardised target: its loss starts near 1, not near var(y)
    assert model.history_[0, "train_task_loss"] < 2.0
    assert model.transform(X).shape == (len(X), model.n_components)


def test_integer_targets_are_quantities_and_two_dimensional_targets_are_learned_together(data):
    X, y, s = data
    counts = np.round(y / 10).astype(int)  # looks like class labels
    model = small(HSICRegressor, max_epochs=20).fit(X, counts, sensitive=s)
    assert model.predict(X).dtype == np.float64
    assert not hasattr(model, "classes_")
    Y = np.c_[y, -0.5 * y + X[:, 2]]
    model = small(IIDMRegressor, max_epochs=20).fit(X, Y, sensitive=s)
    assert model.predict(X).shape == (len(X), 2)
    assert model.y_mean_.shape == (2,) and model.score(X, Y) > 0.5
    column = small(IIDMRegressor).fit(X, y[:, None], sensitive=s).predict(X)
    assert column.shape == (len(X),)  # one target column predicts 1-D, as MLPRegressor does


@pytest.mark.parametrize(
    "bad_y, message",
    [
        (lambda y: np.where(y > 50, "high", "low"), "y must be numeric for IIDMRegressor"),
        (lambda y: y.reshape(-1, 1, 1), "y must be 1-D .* or 2-D"),
        (lambda y: y + 1j, "Complex data not supported"),
        (lambda y: np.where(y > 60, np.nan, y), "Input y contains NaN"),
    ],
)
def test_bad_targets_raise_a_clear_error(bad_y, message, data):
    X, y, s = data
    with pytest.raises(ValueError, match=message):
        small(IIDMRegressor).fit(X, bad_y(y), sensitive=s)


def test_a_twin_has_only_the_parameters_that_mean_something_for_a_real_target():
    # the classifier's parameters, but those only classes give a meaning to
    assert IIDMRegressor().get_params().keys() == IIDMClassifier().get_params().keys() - {
        "class_weight",
        "semantic_alignment",
    }
    assert "semantic_alignment :" not in IIDMRegressor.__doc__
    with pytest.raises(TypeError, match="semantic_alignment"):
        IIDMRegressor(semantic_alignment=True)


@pytest.mark.parametrize("Estimator", REGRESSORS)
def test_invariance_lowers_a_fresh_probes_reading_at_little_cost_in_r2(Estimator):
    # measured on held-out rows (balanced accuracy of the strongest of three
    # probes; chance 0.5): 0.81-0.82 at lam=0, 0.63-0.67 at lam=1, with R^2
    # 0.96 -> 0.96; HSIC's 2-wide z: 0.69 -> 0.51, R^2 0.87 -> 0.84
    X, y, s = make_leaky_regression(1200)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.5, random_state=0
    )

    def fitted(lam):
        model = small(Estimator, lam=lam, max_epochs=20).fit(X_train, y_train, sensitive=s_train)
        leakage = sensitive_leakage(model.transform(X_test), s_test).balanced_accuracy
        return leakage, model.score(X_test, y_test)

    plain_leakage, plain_r2 = fitted(0.0)
    invariant_leakage, invariant_r2 = fitted(1.0)
    assert plain_leakage > 0.65  # s leaks into an unconstrained representation
    assert invariant_leakage < plain_leakage - 0.08
    assert invariant_r2 > plain_r2 - 0.1


@pytest.mark.parametrize("Estimator", REGRESSORS)
def test_pickle_round_trip_predicts_the_same(Estimator, data):
    X, y, s = data
    model = small(Estimator).fit(X, y, sensitive=s)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))


def test_a_target_whose_spread_is_tiny_beside_its_mean_is_still_standardised(data):
    X, y, s = data
    offset = 1e6 + 0.01 * y  # a spread 1e-9 of the mean: float32 could not hold it, float64 can
    model = small(HSICRegressor).fit(X, offset, sensitive=s)
    assert model.y_scale_[0] == pytest.approx(0.01 * y.std())
    assert model.score(X, offset) == pytest.approx(
        small(HSICRegressor).fit(X, y, sensitive=s).score(X, y), abs=1e-6
    )


@pytest.mark.parametrize("Estimator", REGRESSORS)
def test_random_state_makes_fits_identical(Estimator, data):
    X, y, s = data
    first = small(Estimator).fit(X, y, sensitive=s).predict(X)
    np.testing.assert_array_equal(small(Estimator).fit(X, y, sensitive=s).predict(X), first)


def test_continuous_sensitive_is_accepted_by_mine_and_hsic_and_refused_by_group_methods(data):
    X, y, s = data
    age = s + np.random.RandomState(1).normal(size=len(s))
    for Estimator in (MINEDebiasedRegressor, HSICRegressor):
        assert small(Estimator).fit(X, y, sensitive=age).sensitive_type_ == "continuous"
    with pytest.raises(ValueError, match="looks continuous"):
        small(AdversarialRegressor).fit(X, y, sensitive=age)


def test_fit_without_sensitive_warns_and_trains_a_plain_regressor(data):
    X, y, _ = data
    with pytest.warns(NoInvarianceWarning, match="no invariance is enforced"):
        model = small(AdversarialRegressor, max_epochs=20).fit(X, y)
    assert model.score(X, y) > 0.8


def test_validation_split_and_early_stopping_work_with_a_real_target(data):
    X, y, s = data
    model = small(
        HSICRegressor, max_epochs=20, validation_fraction=0.2, callbacks=[EarlyStopping(patience=2)]
    ).fit(X, y, sensitive=s)
    assert "valid_loss" in model.history_[-1]


def test_a_target_x_says_nothing_about_warns_that_the_fit_is_no_better_than_the_mean(data):
    X, _, s = data
    noise = np.random.RandomState(2).normal(size=len(X))
    with pytest.warns(CollapseWarning, match="no better than always predicting the mean"):
        small(HSICRegressor, lam=10.0, max_epochs=2).fit(X, noise, sensitive=s)


def test_diverging_training_stops_with_an_error_and_no_model(data):
    X, y, s = data
    model = small(AdversarialRegressor, lr=1e6, optimizer="sgd")
    with pytest.raises(DivergenceError, match="Training diverged in epoch"):
        model.fit(X, y, sensitive=s)
    assert not hasattr(model, "net_")


# -- routing ----------------------------------------------------------------


class RecordingHSIC(HSICRegressor):
    """Records how many sensitive labels each fit received."""

    received = []

    def fit(self, X, y, *, sensitive=None):
        RecordingHSIC.received.append((len(X), None if sensitive is None else len(sensitive)))
        return super().fit(X, y, sensitive=sensitive)


@pytest.fixture
def routing_data(data):
    RecordingHSIC.received = []
    X, y, s = data
    return X[:N_SAMPLES], y[:N_SAMPLES], s[:N_SAMPLES]


def recording(**params):
    return RecordingHSIC(max_epochs=2, random_state=0, **params)


def test_routing_on_grid_search_slices_sensitive_for_fit_and_the_group_error_scorer(routing_data):
    X, y, s = routing_data
    scoring = {"r2": "r2", "gap": make_fairness_scorer("group_error_gap")}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            make_pipeline(StandardScaler(), recording()),
            {"recordinghsic__lam": [0.1, 1.0]},
            scoring=scoring,
            refit="r2",
            cv=KFold(N_FOLDS),
        )
        search.fit(X, y, sensitive=s)
    assert RecordingHSIC.received[:-1] == [(FOLD_TRAIN, FOLD_TRAIN)] * (2 * N_FOLDS)
    assert RecordingHSIC.received[-1] == (N_SAMPLES, N_SAMPLES)
    assert np.all(search.cv_results_["mean_test_gap"] <= 0)
    assert search.best_estimator_.predict(X).shape == (N_SAMPLES,)


def test_routing_off_legacy_fit_params_are_sliced(routing_data):
    X, y, s = routing_data
    assert not sklearn.get_config()["enable_metadata_routing"]
    GridSearchCV(recording(), {"lam": [0.1, 1.0]}, cv=KFold(N_FOLDS)).fit(X, y, sensitive=s)
    assert RecordingHSIC.received[:-1] == [(FOLD_TRAIN, FOLD_TRAIN)] * (2 * N_FOLDS)
    RecordingHSIC.received = []
    pipe = make_pipeline(StandardScaler(), recording()).fit(X, y, recordinghsic__sensitive=s)
    assert RecordingHSIC.received == [(N_SAMPLES, N_SAMPLES)]
    assert pipe.predict(X).shape == (N_SAMPLES,)


def test_regressor_requests_sensitive_without_enabling_routing_globally():
    with sklearn.config_context(enable_metadata_routing=True):
        request = MINEDebiasedRegressor().get_metadata_routing()
    assert request.fit.requests == {"sensitive": True, "sample_weight": None}
    assert not sklearn.get_config()["enable_metadata_routing"]


# -- regression fairness measures ---------------------------------------------


def test_group_error_measures_are_the_per_group_errors_gap_and_maximum():
    rng = np.random.RandomState(0)
    y_true = rng.normal(size=300)
    sensitive = np.repeat(["a", "b", "c"], 100)
    y_pred = y_true + rng.normal(size=300) * np.repeat([0.5, 1.0, 2.0], 100)
    errors = [mean_squared_error(y_true[sensitive == g], y_pred[sensitive == g]) for g in "abc"]
    gap = group_error_gap(y_true, y_pred, sensitive=sensitive, metric=mean_squared_error)
    assert gap == pytest.approx(max(errors) - min(errors))
    assert worst_group_error(
        y_true, y_pred, sensitive=sensitive, metric=mean_squared_error
    ) == pytest.approx(max(errors))
    default = [mean_absolute_error(y_true[sensitive == g], y_pred[sensitive == g]) for g in "abc"]
    assert group_error_gap(y_true, y_pred, sensitive=pd.Series(sensitive)) == pytest.approx(
        max(default) - min(default)
    )
    assert group_error_gap(y_true, y_true, sensitive=sensitive) == 0.0


def test_group_error_measures_refuse_labels_and_continuous_groups():
    with pytest.raises(ValueError, match="y_true must be numeric"):
        group_error_gap(["a", "b", "a", "b"], [1.0, 2.0, 1.0, 2.0], sensitive=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="looks continuous"):
        worst_group_error([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], sensitive=[0.1, 0.25, 0.7])
    with pytest.raises(ValueError, match="same shape"):
        group_error_gap([1.0, 2.0, 1.0, 2.0], [[1.0], [2.0], [1.0], [2.0]], sensitive=[0, 0, 1, 1])


def test_worst_group_error_scorer_is_lower_is_better(data):
    X, y, s = data
    model = small(HSICRegressor).fit(X, y, sensitive=s)
    scorer = make_fairness_scorer("worst_group_error", metric=mean_squared_error)
    expected = worst_group_error(y, model.predict(X), sensitive=s, metric=mean_squared_error)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scorer(model, X, y, sensitive=s) == pytest.approx(-expected)


def test_fairness_report_measures_a_regressors_predictions_and_representation(data):
    from skinvariant.metrics import fairness_report

    X, y, s = data
    model = small(HSICRegressor, max_epochs=20).fit(X, y, sensitive=s)
    report = fairness_report(model, X, y, s)
    assert report.index[:3].tolist() == ["r2", "group_error_gap", "worst_group_error"]
    assert report.loc["r2", "value"] == pytest.approx(model.score(X, y))
    assert "leakage_balanced_accuracy" in report.index
