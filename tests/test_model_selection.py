"""skinvariant.model_selection: BudgetSearchCV, lam_path and lowest_mutual_information."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skinvariant.metrics
from skinvariant import AffinityTransformer, HSICRegressor, IIDMClassifier
from skinvariant.datasets import make_attribute_blobs
from skinvariant.exceptions import (
    BudgetBelowNoiseWarning,
    BudgetNotMetWarning,
    CollapseWarning,
    UnstableRefitWarning,
)
from skinvariant.metrics import demographic_parity_difference, parity_noise_floor, sensitive_leakage
from skinvariant.model_selection import BudgetSearchCV, lam_path

DP = "demographic_parity_difference"
LAMS = [0.0, 3.0, 30.0]
# On these blobs (y follows s half of the time) the cross-validated DP of IIDM
# with 5 epochs falls with lam: about 0.54, 0.19, 0.06 at LAMS, accuracy
# 0.85, 0.76, 0.65; the strongest probe's balanced accuracy 0.78, 0.62, 0.60.

# large lams on few epochs underfit on purpose: that is the trade-off searched over
pytestmark = [
    pytest.mark.filterwarnings("ignore:At the end of training"),
    pytest.mark.filterwarnings("ignore:Training accuracy"),
]


def model(**params):
    return IIDMClassifier(**{"max_epochs": 5, "random_state": 0, **params})


@pytest.fixture(scope="module")
def blobs():
    return make_attribute_blobs(n_samples=450, n_groups=2, leakage=0.5, random_state=0)


@pytest.fixture(scope="module")
def dp_searches(blobs):
    """The same estimator under a lax and a strict DP budget, routing off and on."""
    X, y, s = blobs
    fitted = {}
    for routing in (False, True):
        with sklearn.config_context(enable_metadata_routing=routing):
            for name, limit in (("lax", 1.0), ("strict", 0.1)):
                fitted[name, routing] = BudgetSearchCV(
                    model(), {DP: limit}, lams=LAMS, random_state=0
                ).fit(X, y, sensitive=s)
    return fitted


# -- the move -------------------------------------------------------------------


def test_lam_path_and_lowest_mutual_information_live_in_model_selection_only():
    from skinvariant import model_selection

    for name in ("lam_path", "lowest_mutual_information"):
        assert name in model_selection.__all__ and not hasattr(skinvariant.metrics, name)
        assert name not in skinvariant.metrics.__all__
    assert "make_mutual_information_scorer" in skinvariant.metrics.__all__  # a scorer stays


# -- BudgetSearchCV --------------------------------------------------------------


def test_a_strict_budget_picks_a_larger_lam_that_meets_it_in_cv_results(dp_searches):
    lax, strict = dp_searches["lax", False], dp_searches["strict", False]
    results = strict.cv_results_
    dp = results[f"mean_test_{DP}"]
    # the lax budget is met everywhere: the most accurate lam wins
    assert lax.best_index_ == int(np.argmax(lax.cv_results_["mean_test_score"]))
    assert lax.best_params_ == {"lam": 0.0} and lax.budget_met_
    # the strict one binds: the most accurate lam breaks it, a larger one is chosen
    assert dp[lax.best_index_] > 0.1
    assert strict.best_params_["lam"] > lax.best_params_["lam"] and strict.budget_met_
    assert dp[strict.best_index_] <= 0.1
    met = results["meets_budget"]
    assert met.tolist() == (dp <= 0.1).tolist()
    assert strict.best_index_ == np.flatnonzero(met)[np.argmax(results["mean_test_score"][met])]
    assert strict.best_score_ == results["mean_test_score"][strict.best_index_]
    # the per-fold measures, raw (not negated), averaged into the mean; rank 1 the fairest
    folds = np.array([results[f"split{k}_test_{DP}"] for k in range(3)])
    assert (folds >= 0).all() and np.allclose(folds.mean(axis=0), dp)
    assert results[f"rank_test_{DP}"][np.argmin(dp)] == 1
    assert strict.n_splits_ == 3 and strict.best_estimator_.lam == strict.best_params_["lam"]


def test_routing_on_and_off_choose_the_same_lam_from_the_same_measures(dp_searches):
    for name in ("lax", "strict"):
        off, on = dp_searches[name, False], dp_searches[name, True]
        assert off.best_params_ == on.best_params_
        for key in ("mean_test_score", f"mean_test_{DP}", f"split2_test_{DP}"):
            np.testing.assert_allclose(off.cv_results_[key], on.cv_results_[key])


def test_the_chosen_model_predicts_transforms_and_scores_without_sensitive(dp_searches, blobs):
    X, y, s = blobs
    search = dp_searches["strict", False]
    best = search.best_estimator_
    np.testing.assert_array_equal(search.predict(X), best.predict(X))
    np.testing.assert_allclose(search.predict_proba(X), best.predict_proba(X))
    np.testing.assert_allclose(search.transform(X), best.transform(X))
    assert search.score(X, y) == pytest.approx(np.mean(best.predict(X) == y))
    assert search.classes_.tolist() == [0, 1] and search.n_features_in_ == X.shape[1]
    # the refit on all rows keeps the budget's direction: fairer than the lax choice
    lax = dp_searches["lax", False]
    assert demographic_parity_difference(
        y, search.predict(X), sensitive=s
    ) < demographic_parity_difference(y, lax.predict(X), sensitive=s)
    restored = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(restored.predict(X), search.predict(X))


class RecordingIIDM(IIDMClassifier):
    """IIDMClassifier that records the rows of X and sensitive each fit receives."""

    seen = []

    def fit(self, X, y, *, sensitive=None):
        RecordingIIDM.seen.append((len(X), None if sensitive is None else len(sensitive)))
        return super().fit(X, y, sensitive=sensitive)


@pytest.mark.parametrize(
    "routing, form",
    [(True, "sensitive"), (False, "sensitive"), (False, "recordingiidm__sensitive")],
)
def test_a_pipeline_gets_sensitive_sliced_per_fold_in_every_form(blobs, routing, form):
    X, y, s = blobs
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), RecordingIIDM(max_epochs=2, random_state=0))
    RecordingIIDM.seen = []
    with sklearn.config_context(enable_metadata_routing=routing):
        search = BudgetSearchCV(pipe, {DP: 1.0}, lams=[0.0, 3.0], cv=3, random_state=0)
        search.fit(frame, y, **{form: pd.Series(s)})
    assert search.best_params_ == {"recordingiidm__lam": 0.0}
    # 2 lams x 3 folds of 300 training rows, then the refit on all 450
    assert RecordingIIDM.seen == [(300, 300)] * 6 + [(450, 450)]
    assert list(search.feature_names_in_) == list(frame.columns)
    assert search.transform(frame).shape == (450, 2)


def test_a_leakage_budget_is_read_by_probes_trained_on_the_training_fold(blobs):
    X, y, s = blobs
    folds = StratifiedKFold(3, shuffle=True, random_state=1)
    search = BudgetSearchCV(model(), {"leakage": 0.65}, lams=LAMS, cv=folds, random_state=0).fit(
        X, y, sensitive=s
    )
    leakage = search.cv_results_["mean_test_leakage"]
    assert search.budget_met_ and leakage[search.best_index_] <= 0.65
    assert leakage[0] > 0.65 and search.best_params_["lam"] > 0  # lam=0 leaks past it
    # fold 0 of the chosen lam, measured by hand: probes learn the training rows' z
    train, test = next(folds.split(X, y))
    fold_model = model(lam=search.best_params_["lam"]).fit(X[train], y[train], sensitive=s[train])
    expected = sensitive_leakage(
        fold_model.transform(X[train]),
        s[train],
        held_out=(fold_model.transform(X[test]), s[test]),
        random_state=0,
    )
    assert search.cv_results_["split0_test_leakage"][search.best_index_] == pytest.approx(
        expected.balanced_accuracy
    )


def test_every_entry_of_a_budget_must_hold(blobs):
    X, y, s = blobs
    budget = {DP: 0.3, "equalized_odds_difference": 0.3}
    search = BudgetSearchCV(model(), budget, lams=LAMS, random_state=0).fit(X, y, sensitive=s)
    results = search.cv_results_
    both = (results[f"mean_test_{DP}"] <= 0.3) & (
        results["mean_test_equalized_odds_difference"] <= 0.3
    )
    assert results["meets_budget"].tolist() == both.tolist() and both[search.best_index_]


def test_a_kept_refit_reports_its_parity_on_its_training_rows(dp_searches, blobs):
    X, y, s = blobs
    for search in (dp_searches["lax", False], dp_searches["strict", True]):
        assert not search.cv_results_["refit_rejected"].any() and search.budget_met_
        measured = demographic_parity_difference(y, search.predict(X), sensitive=s)
        assert search.refit_measures_ == {DP: pytest.approx(measured)}
    leakage_only = BudgetSearchCV(model(), {"leakage": 1.0}, lams=[0.0], random_state=0)
    assert leakage_only.fit(X, y, sensitive=s).refit_measures_ == {}


def unstable_refit_messages(record):
    return [str(warning.message) for warning in record if warning.category is UnstableRefitWarning]


class RefitPredictsTheGroup(IIDMClassifier):
    """IIDM whose fit on all 450 rows at a lam in ``unstable`` predicts each training row's group.

    It stands for a refit that collapsed unlike the cross-validated fits at
    its lam (those saw 300 rows): its own training rows measure a DP of 1.
    With ``unlucky_seed`` set, only a fit of that ``random_state`` collapses.
    """

    unstable = ()
    unlucky_seed = None

    def fit(self, X, y, *, sensitive=None):
        super().fit(X, y, sensitive=sensitive)
        unlucky = self.unlucky_seed is None or self.random_state == self.unlucky_seed
        collapsed = len(X) == 450 and self.lam in self.unstable and unlucky
        self.group_of_ = dict(zip(map(bytes, np.asarray(X)), sensitive)) if collapsed else None
        return self

    def predict(self, X):
        if self.group_of_ is None:
            return super().predict(X)
        return np.array([self.group_of_[bytes(row)] for row in np.asarray(X)])


class ConstantAtLargeLam(IIDMClassifier):
    """IIDM that predicts its first class for every row at lam >= 30: a collapsed model."""

    def predict(self, X):
        if self.lam >= 30:
            return np.full(len(X), self.classes_[0])
        return super().predict(X)


@pytest.mark.filterwarnings("ignore::skinvariant.exceptions.BudgetBelowNoiseWarning")
def test_a_parity_budget_met_by_one_predicted_class_says_so(blobs):
    X, y, s = blobs  # lam=3 measures a DP of about 0.036 in cross-validation: over the budget
    search = BudgetSearchCV(
        ConstantAtLargeLam(max_epochs=5, random_state=0), {DP: 0.02}, lams=LAMS, random_state=0
    )
    with pytest.warns(CollapseWarning, match=r"lam=30 predicts 0 for every training row"):
        search.fit(X, y, sensitive=s)
    assert search.budget_met_  # met, as the rule says, and the user is told how
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        BudgetSearchCV(model(), {DP: 1.0}, lams=LAMS, random_state=0).fit(X, y, sensitive=s)


@pytest.mark.parametrize("routing", [False, True])
def test_a_refit_breaking_the_budget_unlike_its_folds_is_replaced_by_the_next_lam(
    blobs, routing, monkeypatch
):
    X, y, s = blobs
    monkeypatch.setattr(RefitPredictsTheGroup, "unstable", (0.0,))
    estimator = RefitPredictsTheGroup(max_epochs=5, random_state=0)
    # DP 0.6 holds at every lam in cross-validation: lam=0, the most accurate, is refitted first
    with (
        sklearn.config_context(enable_metadata_routing=routing),
        pytest.warns(
            UnstableRefitWarning, match=rf"lam=0 measures.*{DP} 1 against a budget of 0.6"
        ) as record,
    ):
        search = BudgetSearchCV(estimator, {DP: 0.6}, lams=LAMS, random_state=0)
        search.fit(X, y, sensitive=s)
    assert search.cv_results_["meets_budget"].all()
    # refitted once more with another seed, collapsed again, then rejected
    assert search.cv_results_["refit_retried"].tolist() == [True, False, False]
    assert search.cv_results_["refit_rejected"].tolist() == [True, False, False]
    assert search.best_params_ == {"lam": 3.0} and search.budget_met_  # the next most accurate
    assert search.best_estimator_.lam == 3.0 and search.best_estimator_.group_of_ is None
    assert search.best_estimator_.random_state == 0
    assert search.refit_measures_[DP] < 0.6
    retry, rejection = unstable_refit_messages(record)
    assert "refitting it once more with random_state=" in retry
    assert "lam=0 measures" in rejection and "refitting lam=3, the next most accurate" in rejection
    assert record[0].filename == __file__


def test_a_refit_that_collapsed_by_its_seed_alone_is_kept_on_a_second_draw(blobs, monkeypatch):
    X, y, s = blobs
    monkeypatch.setattr(RefitPredictsTheGroup, "unstable", (0.0,))
    monkeypatch.setattr(RefitPredictsTheGroup, "unlucky_seed", 0)
    estimator = RefitPredictsTheGroup(max_epochs=5, random_state=0)
    searches = []
    for _ in range(2):
        with pytest.warns(UnstableRefitWarning, match="once more with random_state=") as record:
            search = BudgetSearchCV(estimator, {DP: 0.6}, lams=LAMS, random_state=0)
            searches.append(search.fit(X, y, sensitive=s))
        assert len(unstable_refit_messages(record)) == 1
    assert search.best_params_ == {"lam": 0.0} and search.budget_met_  # the most accurate, kept
    assert search.cv_results_["refit_retried"].tolist() == [True, False, False]
    assert not search.cv_results_["refit_rejected"].any()
    assert search.best_estimator_.group_of_ is None and search.refit_measures_[DP] < 0.6
    # the second seed is drawn from the estimator's own: the search is reproducible
    seeds = {found.best_estimator_.random_state for found in searches}
    assert len(seeds) == 1 and seeds != {0}
    np.testing.assert_array_equal(searches[0].predict_proba(X), searches[1].predict_proba(X))


def test_when_every_lam_within_the_budget_breaks_on_refit_the_most_invariant_rest_is_kept(
    blobs, dp_searches, monkeypatch
):
    X, y, s = blobs
    strict = dp_searches["strict", False]  # DP 0.1: lam=3 and lam=30 meet it in cross-validation
    assert strict.cv_results_["meets_budget"].tolist() == [False, True, True]
    monkeypatch.setattr(RefitPredictsTheGroup, "unstable", (3.0, 30.0))
    estimator = RefitPredictsTheGroup(max_epochs=5, random_state=0)
    with pytest.warns(UnstableRefitWarning) as record:
        search = BudgetSearchCV(estimator, {DP: 0.1}, lams=LAMS, random_state=0)
        search.fit(X, y, sensitive=s)
    retry_3, first, retry_30, second = unstable_refit_messages(record)
    assert "lam=3 measures" in retry_3 and "once more with random_state=" in retry_3
    assert "lam=3 measures" in first and "refitting lam=30, the next most accurate" in first
    assert "lam=30 measures" in retry_30 and "once more with random_state=" in retry_30
    assert (
        "lam=30 measures" in second and "refitting lam=0, the most invariant of the rest" in second
    )
    assert search.best_params_ == {"lam": 0.0} and not search.budget_met_
    assert search.cv_results_["refit_retried"].tolist() == [False, True, True]
    assert search.cv_results_["refit_rejected"].tolist() == [False, True, True]
    assert search.refit_measures_[DP] > 0.1


@pytest.mark.filterwarnings("ignore::skinvariant.exceptions.BudgetBelowNoiseWarning")
def test_an_unreachable_budget_skips_a_collapsed_refit_of_the_closest_lam(blobs, monkeypatch):
    X, y, s = blobs
    monkeypatch.setattr(RefitPredictsTheGroup, "unstable", (30.0,))  # lam=30 is the closest
    estimator = RefitPredictsTheGroup(max_epochs=5, random_state=0)
    with (
        pytest.warns(UnstableRefitWarning, match="refitting lam=3, the next most invariant"),
        pytest.warns(BudgetNotMetWarning, match="the closest is lam=3,"),
    ):
        search = BudgetSearchCV(estimator, {DP: 0.0}, lams=LAMS, random_state=0)
        search.fit(X, y, sensitive=s)
    assert search.best_params_ == {"lam": 3.0} and not search.budget_met_
    assert search.cv_results_["refit_rejected"].tolist() == [False, False, True]


@pytest.mark.filterwarnings("ignore::skinvariant.exceptions.BudgetBelowNoiseWarning")
def test_an_unreachable_budget_warns_with_the_closest_lam_and_refits_it(blobs):
    X, y, s = blobs
    with pytest.warns(BudgetNotMetWarning) as record:
        search = BudgetSearchCV(model(), {DP: 0.0}, lams=LAMS, random_state=0).fit(
            X, y, sensitive=s
        )
    dp = search.cv_results_[f"mean_test_{DP}"]
    closest = int(np.argmin(dp))
    assert search.best_index_ == closest and not search.budget_met_
    assert not search.cv_results_["meets_budget"].any()
    (not_met,) = [w for w in record if w.category is BudgetNotMetWarning]
    message = str(not_met.message)
    assert f"lam={LAMS[closest]:g}" in message and f"{dp[closest]:.3g} (budget 0)" in message
    assert isinstance(not_met.message, UserWarning)
    assert not_met.filename == __file__  # attributed to the caller's line


@pytest.mark.filterwarnings("ignore::skinvariant.exceptions.BudgetNotMetWarning")
def test_a_parity_budget_below_the_folds_noise_floor_warns_naming_the_floor(blobs, dp_searches):
    X, y, s = blobs
    search = dp_searches["strict", False]
    # the floor: a blind predictor's mean DP over the held-out folds the search used
    folds = search._splits(X, y, s, None)
    floor = np.mean([parity_noise_floor(y[test], sensitive=s[test]) for _, test in folds])
    assert search.noise_floor_ == {DP: pytest.approx(floor)}
    assert 0.03 < floor < 0.1  # folds of 150 rows; the strict budget 0.1 lies above it
    with pytest.warns(BudgetBelowNoiseWarning, match=rf"{DP} 0.03 < floor {floor:.3g}") as record:
        BudgetSearchCV(model(), {DP: 0.03}, lams=LAMS, random_state=0).fit(X, y, sensitive=s)
    below = [w for w in record if w.category is BudgetBelowNoiseWarning]
    assert len(below) == 1 and below[0].filename == __file__
    leakage_only = BudgetSearchCV(model(), {"leakage": 1.0}, lams=[0.0], random_state=0)
    assert leakage_only.fit(X, y, sensitive=s).noise_floor_ == {}


def test_a_budget_above_the_noise_floor_draws_no_noise_warning(blobs):
    X, y, s = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", BudgetBelowNoiseWarning)
        BudgetSearchCV(model(), {DP: 0.1}, lams=[30.0], random_state=0).fit(X, y, sensitive=s)


def test_lams_none_takes_the_grid_the_estimator_class_declares(blobs):
    X, y, s = blobs
    search = BudgetSearchCV(IIDMClassifier(max_epochs=1, random_state=0), {DP: 1.0}, cv=2)
    search.fit(X, y, sensitive=s)
    assert list(search.cv_results_["param_lam"]) == list(IIDMClassifier.lam_grid)


def test_it_is_a_scikit_learn_meta_estimator():
    budget = {DP: 0.05}
    search = BudgetSearchCV(model(), budget, lams=LAMS, cv=4)
    copy = clone(search)
    assert copy.get_params()["budget"] == budget and copy.get_params()["budget"] is not budget
    assert copy.get_params()["estimator__lam"] == 1.0 and copy.cv == 4
    copy.set_params(estimator__lam=3.0, budget={"leakage": 0.55})
    assert copy.estimator.lam == 3.0 and copy.budget == {"leakage": 0.55}
    assert sklearn.base.is_classifier(search)
    assert hasattr(search, "predict") and hasattr(search, "transform")
    assert not hasattr(BudgetSearchCV(AffinityTransformer(), {"leakage": 0.6}), "predict")
    with pytest.raises(NotFittedError):
        search.predict(np.zeros((2, 4)))
    assert search.get_metadata_routing().consumes("fit", ["sensitive"]) == {"sensitive"}


def test_it_can_be_cross_validated_with_routing_on(blobs):
    X, y, s = blobs
    search = BudgetSearchCV(model(max_epochs=2), {DP: 1.0}, lams=[0.0, 3.0], cv=2)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(search, X, y, cv=2, params={"sensitive": s})
    assert (scores["test_score"] > 0.6).all()


@pytest.mark.parametrize(
    "budget, match",
    [
        (
            {"dp": 0.1},
            "unknown measure.*'dp'.*'demographic_parity_difference', "
            "'equalized_odds_difference', 'leakage'",
        ),
        ({DP: -0.1}, r"budget\['demographic_parity_difference'\] must be a number in \[0, 1\]"),
        ({"leakage": 1.5}, r"budget\['leakage'\] must be a number in \[0, 1\]"),
        ({DP: "low"}, r"budget\['demographic_parity_difference'\] must be a number"),
        ({}, "budget is empty"),
    ],
)
def test_a_bad_budget_is_refused_naming_the_valid_keys(blobs, budget, match):
    X, y, s = blobs
    with pytest.raises(ValueError, match=match):
        BudgetSearchCV(model(), budget, lams=LAMS).fit(X, y, sensitive=s)


def test_bad_arguments_are_refused_naming_the_argument(blobs):
    X, y, s = blobs
    with pytest.raises(ValueError, match="LogisticRegression has no lam parameter"):
        BudgetSearchCV(LogisticRegression(), {DP: 0.1}).fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="lams must be a non-empty 1-D list of finite non-neg"):
        BudgetSearchCV(model(), {DP: 0.1}, lams=[1.0, -1.0]).fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="needs sensitive"):
        BudgetSearchCV(model(), {DP: 0.1}, lams=LAMS).fit(X, y)
    with pytest.raises(ValueError, match="sensitive has 10 rows but X has 450"):
        BudgetSearchCV(model(), {DP: 0.1}, lams=LAMS).fit(X, y, sensitive=s[:10])
    with pytest.raises(InvalidParameterError, match="'budget' parameter"):
        BudgetSearchCV(model(), [DP, 0.1]).fit(X, y, sensitive=s)
    pipe = make_pipeline(StandardScaler(), model())
    with (
        sklearn.config_context(enable_metadata_routing=True),
        pytest.raises(
            ValueError, match="routing on, pass sensitive=s, not iidmclassifier__sensitive"
        ),
    ):
        BudgetSearchCV(pipe, {DP: 0.1}, lams=LAMS).fit(X, y, iidmclassifier__sensitive=s)
    with pytest.raises(TypeError, match="pass sensitive once"):
        BudgetSearchCV(pipe, {DP: 0.1}, lams=LAMS).fit(
            X, y, sensitive=s, iidmclassifier__sensitive=s
        )
    with pytest.raises(ValueError, match="HSICRegressor is not a classifier; bound its repr"):
        BudgetSearchCV(HSICRegressor(), {DP: 0.1})._check_budget()
    with pytest.raises(ValueError, match="has no transform"):
        BudgetSearchCV(make_pipeline(LogisticRegression()), {"leakage": 0.6})._check_budget()
    with pytest.raises(ValueError, match=r"does not predict: put it in a Pipeline before"):
        BudgetSearchCV(AffinityTransformer(), {"leakage": 0.6}).fit(X, y, sensitive=s)
    three_classes = y + (X[:, 0] > 1)
    with pytest.raises(ValueError, match="needs a binary y; got a multiclass target"):
        BudgetSearchCV(model(), {DP: 0.1}, lams=LAMS).fit(X, three_classes, sensitive=s)


@pytest.mark.parametrize("routing", [False, True])
def test_a_fair_transformer_before_a_classifier_is_searched_with_routing_on_or_off(blobs, routing):
    # sensitive goes to the step whose lam is searched, not to the last step
    X, y, s = blobs
    fair = AffinityTransformer(max_epochs=3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            fair.set_fit_request(sensitive=True)
        pipe = make_pipeline(fair, LogisticRegression())
        search = BudgetSearchCV(pipe, {DP: 1.0, "leakage": 1.0}, lams=[0.0, 1.0], cv=2)
        search.fit(X, y, sensitive=s)
    assert search.best_params_ == {"affinitytransformer__lam": 0.0}  # the most accurate
    # the leakage budget read the representation the classifier sees
    assert 0.5 < search.cv_results_["mean_test_leakage"][0] <= 1
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))


def test_a_regressor_is_searched_by_its_own_score_by_default(blobs):
    X, _, s = blobs
    y = X[:, 0] + 0.1 * np.random.RandomState(0).randn(len(X))
    search = BudgetSearchCV(
        HSICRegressor(max_epochs=3, random_state=0), {"leakage": 1.0}, lams=[0.0], cv=2
    ).fit(X, y, sensitive=s)
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(X, y))  # R^2


# -- lam_path ---------------------------------------------------------------------


def test_lam_path_measures_each_lam_on_held_out_rows():
    from .conftest import make_leaky_data

    X, y, s = make_leaky_data(400)
    front = lam_path(IIDMClassifier(max_epochs=3, random_state=0), X, y, s, lams=[0.0, 1.0])
    assert front["lam"].tolist() == [0.0, 1.0]
    assert set(front.columns) >= {
        "accuracy",
        "demographic_parity_difference",
        "leakage_balanced_accuracy",
        "leakage_auc",
        "leakage_probe",
    }
    # lam_path's split: stratified by y, test_size 0.3, random_state 0
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    for lam, row in zip((0.0, 1.0), front.itertuples()):
        model = IIDMClassifier(lam=lam, max_epochs=3, random_state=0).fit(
            X[train], y[train], sensitive=s[train]
        )
        assert row.accuracy == pytest.approx(model.score(X[test], y[test]))
        leakage = sensitive_leakage(
            model.transform(X[train]), s[train], held_out=(model.transform(X[test]), s[test])
        )
        assert row.leakage_balanced_accuracy == pytest.approx(leakage.balanced_accuracy)
    pipeline = make_pipeline(StandardScaler(), IIDMClassifier(max_epochs=3, random_state=0))
    piped = lam_path(pipeline, X, y, s, lams=[1.0], param="iidmclassifier__lam")
    assert len(piped) == 1 and 0.5 < piped["accuracy"][0] <= 1
    with sklearn.config_context(enable_metadata_routing=True):  # routed, not step__sensitive
        routed = lam_path(
            pipeline, pd.DataFrame(X), y, pd.Series(s), lams=[1.0], param="iidmclassifier__lam"
        )
    assert routed.drop(columns="leakage_probe").equals(piped.drop(columns="leakage_probe"))


def test_a_warm_lam_path_continues_each_model_at_the_next_lam():
    X, y, s = make_attribute_blobs(n_samples=1000, n_groups=2, leakage=0.5, random_state=0)
    estimator = IIDMClassifier(max_epochs=10, random_state=0)
    warm = lam_path(estimator, X, y, s, lams=[0.0, 100.0], warm_epochs=10)
    cold = lam_path(estimator, X, y, s, lams=[0.0])
    # the first lam is the same cold fit; the next one trains on at lam 100
    assert warm.iloc[:1].drop(columns="leakage_probe").equals(cold.drop(columns="leakage_probe"))
    gaps = warm["demographic_parity_difference"].tolist()
    assert gaps[0] > 0.4 and gaps[1] < gaps[0] / 2  # y follows s half of the time
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    walked = clone(estimator).set_params(lam=0.0).fit(X[train], y[train], sensitive=s[train])
    walked.set_params(lam=100.0)
    for _ in range(10):
        walked.partial_fit(X[train], y[train], sensitive=s[train])
    assert warm["accuracy"][1] == pytest.approx(walked.score(X[test], y[test]))
    again = lam_path(estimator, X, y, s, lams=[0.0, 100.0], warm_epochs=10)
    assert again.drop(columns="leakage_probe").equals(warm.drop(columns="leakage_probe"))


def test_a_warm_lam_path_refuses_what_it_cannot_walk():
    from .conftest import make_leaky_data

    X, y, s = make_leaky_data(100)
    model = IIDMClassifier(max_epochs=1)
    with pytest.raises(ValueError, match=re.escape("got lams=[1.0, 0.0]: sort them")):
        lam_path(model, X, y, s, lams=[1.0, 0.0], warm_epochs=2)
    with pytest.raises(ValueError, match="Pipeline lacks"):
        lam_path(
            make_pipeline(StandardScaler(), model),
            X,
            y,
            s,
            lams=[1.0],
            param="iidmclassifier__lam",
            warm_epochs=2,
        )
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="warm_epochs must be a positive int"):
            lam_path(model, X, y, s, lams=[1.0], warm_epochs=bad)


def test_lam_path_refuses_a_regressor_naming_what_measures_one():
    X, _, s = make_attribute_blobs(200, random_state=0)
    with pytest.raises(ValueError, match=r"HSICRegressor is not a classifier.*BudgetSearchCV"):
        lam_path(HSICRegressor(max_epochs=1), X, X[:, 0], s, lams=[0.0])


def test_lam_path_on_a_pipeline_without_param_names_the_steps_lam():
    from .conftest import make_leaky_data

    X, y, s = make_leaky_data(100)
    pipeline = make_pipeline(StandardScaler(), IIDMClassifier(max_epochs=1))
    with pytest.raises(ValueError, match=re.escape("pass param='iidmclassifier__lam'")):
        lam_path(pipeline, X, y, s, lams=[1.0])
    with pytest.raises(ValueError, match=re.escape("param='<step>__lam'")):
        lam_path(make_pipeline(LogisticRegression()), X, y, s, lams=[1.0])


@pytest.mark.parametrize("routing", [False, True])
def test_lam_path_reads_what_the_classifier_after_a_fair_transformer_sees(routing):
    from .conftest import make_leaky_data

    X, y, s = make_leaky_data(300)
    fair = AffinityTransformer(max_epochs=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            fair.set_fit_request(sensitive=True)
        path = lam_path(
            make_pipeline(fair, LogisticRegression()),
            X,
            y,
            s,
            lams=[0.0, 1.0],
            param="affinitytransformer__lam",
        )
    assert path["lam"].tolist() == [0.0, 1.0]
    assert path["leakage_balanced_accuracy"].between(0.4, 1).all()


@pytest.mark.parametrize("routing", [False, True])
def test_an_estimator_reading_sensitive_from_a_column_is_searched_like_the_bare_one(blobs, routing):
    # SensitiveFromColumns takes sensitive from X: nothing to pass its fit,
    # while the budget still measures against sensitive=
    from skinvariant.compose import SensitiveFromColumns

    X, y, s = blobs
    with_column = np.column_stack([X, s])
    with sklearn.config_context(enable_metadata_routing=routing):
        bare = BudgetSearchCV(model(), {DP: 0.1}, lams=LAMS, cv=2).fit(X, y, sensitive=s)
        wrapped = BudgetSearchCV(
            make_pipeline(FunctionTransformer(), SensitiveFromColumns(model())),
            {DP: 0.1},
            lams=LAMS,
            cv=2,
        ).fit(with_column, y, sensitive=s)
        path = lam_path(
            SensitiveFromColumns(model()), with_column, y, s, lams=[0.0], param="estimator__lam"
        )
    assert wrapped.best_params_ == {
        "sensitivefromcolumns__estimator__lam": bare.best_params_["lam"]
    }
    for key in ("mean_test_score", f"mean_test_{DP}"):
        np.testing.assert_allclose(wrapped.cv_results_[key], bare.cv_results_[key], atol=1e-6)
    assert path["accuracy"].between(0.5, 1).all()


def test_the_leakage_budget_reads_the_searched_step_whatever_follows_it(blobs):
    # a predictor that also transforms (LDA) after the fair transformer: the
    # budget reads the fair transformer's output, as before a classifier
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    X, y, s = blobs
    leakage = [
        BudgetSearchCV(
            make_pipeline(AffinityTransformer(max_epochs=3, random_state=0), last),
            {"leakage": 1.0},
            lams=[0.0],
            cv=2,
            random_state=0,
        )
        .fit(X, y, sensitive=s)
        .cv_results_["mean_test_leakage"][0]
        for last in (LogisticRegression(), LinearDiscriminantAnalysis())
    ]
    assert leakage[0] == pytest.approx(leakage[1])
