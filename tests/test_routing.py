"""``sensitive`` reaches each fold's estimator and scorer, with routing on and off."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvariant import AdversarialClassifier, IIDMClassifier
from skinvariant.metrics import demographic_parity_difference, make_fairness_scorer

N_SAMPLES, N_FOLDS = 600, 3
FOLD_TRAIN, FOLD_TEST = N_SAMPLES * (N_FOLDS - 1) // N_FOLDS, N_SAMPLES // N_FOLDS


class RecordingIIDM(IIDMClassifier):
    """Records how many sensitive labels each fit received."""

    received = []

    def fit(self, X, y, *, sensitive=None):
        RecordingIIDM.received.append((len(X), None if sensitive is None else len(sensitive)))
        return super().fit(X, y, sensitive=sensitive)


def recording_dp(y_true, y_pred, *, sensitive):
    recording_dp.received.append((len(y_true), len(sensitive)))
    return demographic_parity_difference(y_true, y_pred, sensitive=sensitive)


@pytest.fixture(autouse=True)
def clear_records():
    RecordingIIDM.received = []
    recording_dp.received = []


@pytest.fixture
def data(leaky_data):
    X, y, s = leaky_data
    return X[:N_SAMPLES], y[:N_SAMPLES], s[:N_SAMPLES]


def small(**params):
    return RecordingIIDM(max_epochs=2, random_state=0, **params)


CV = KFold(N_FOLDS)


def test_routing_on_grid_search_slices_sensitive_for_fit_and_scorer(data):
    X, y, s = data
    scoring = {
        "accuracy": "accuracy",
        "dp": make_fairness_scorer(recording_dp, greater_is_better=False),
    }
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            make_pipeline(StandardScaler(), small()),
            {"recordingiidm__lam": [0.1, 1.0]},
            scoring=scoring,
            refit="accuracy",
            cv=CV,
        )
        search.fit(X, y, sensitive=s)
    fold_fits = RecordingIIDM.received[:-1]
    assert fold_fits == [(FOLD_TRAIN, FOLD_TRAIN)] * (2 * N_FOLDS)
    assert RecordingIIDM.received[-1] == (N_SAMPLES, N_SAMPLES)  # the refit
    assert recording_dp.received == [(FOLD_TEST, FOLD_TEST)] * (2 * N_FOLDS)
    assert np.all(np.isfinite(search.cv_results_["mean_test_dp"]))
    assert search.best_estimator_.transform(X).shape == (N_SAMPLES, small().n_components)


def test_routing_on_pipeline_and_cross_validate(data):
    X, y, s = data
    with sklearn.config_context(enable_metadata_routing=True):
        make_pipeline(StandardScaler(), small()).fit(X, y, sensitive=s)
        assert RecordingIIDM.received == [(N_SAMPLES, N_SAMPLES)]
        results = cross_validate(
            small(),
            X,
            y,
            cv=CV,
            params={"sensitive": s},
            scoring=make_fairness_scorer("equalized_odds_difference"),
        )
    assert RecordingIIDM.received[1:] == [(FOLD_TRAIN, FOLD_TRAIN)] * N_FOLDS
    assert np.all(results["test_score"] <= 0)


def test_routing_on_does_not_need_sensitive_at_predict_time(data):
    X, y, s = data
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), AdversarialClassifier(max_epochs=2))
        pipe.fit(X, y, sensitive=s)
        assert pipe.predict(X).shape == (N_SAMPLES,)
        assert pipe.transform(X).shape == (N_SAMPLES, pipe[-1].n_components)


def test_routing_off_legacy_fit_params_are_sliced(data):
    X, y, s = data
    assert not sklearn.get_config()["enable_metadata_routing"]
    GridSearchCV(small(), {"lam": [0.1, 1.0]}, cv=CV).fit(X, y, sensitive=s)
    assert RecordingIIDM.received[:-1] == [(FOLD_TRAIN, FOLD_TRAIN)] * (2 * N_FOLDS)
    RecordingIIDM.received = []
    make_pipeline(StandardScaler(), small()).fit(X, y, recordingiidm__sensitive=s)
    assert RecordingIIDM.received == [(N_SAMPLES, N_SAMPLES)]


def test_routing_off_fairness_scorer_explains_how_to_turn_routing_on(data):
    X, y, s = data
    model = small().fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        make_fairness_scorer("demographic_parity_difference")(model, X, y)


def test_estimator_requests_sensitive_without_enabling_routing_globally():
    with sklearn.config_context(enable_metadata_routing=True):
        request = IIDMClassifier().get_metadata_routing()
    # sample_weight, as in scikit-learn, only once requested: passed unrequested, it raises
    assert request.fit.requests == {"sensitive": True, "sample_weight": None}
    assert not sklearn.get_config()["enable_metadata_routing"]


def test_a_leakage_scorer_reads_each_folds_representation_with_fresh_probes():
    from sklearn import config_context

    from skinvariant.metrics import make_leakage_scorer, sensitive_leakage

    from .conftest import make_leaky_data

    X, y, s = make_leaky_data(600)
    folds = list(KFold(2).split(X))
    with config_context(enable_metadata_routing=True):
        result = cross_validate(
            IIDMClassifier(max_epochs=5, random_state=0),
            X,
            y,
            cv=folds,
            scoring={"leakage": make_leakage_scorer("auc")},
            params={"sensitive": s},
            return_estimator=True,
        )
    for (_, test), model, score in zip(folds, result["estimator"], result["test_leakage"]):
        expected = sensitive_leakage(model.transform(X[test]), s[test]).auc
        assert score == pytest.approx(-expected) and 0.5 < expected <= 1.0
    with pytest.raises(ValueError, match="measure must be one of"):
        make_leakage_scorer("f1")
