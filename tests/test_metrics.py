import functools
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from fairlearn import metrics as fairlearn_metrics
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvariant import AffinityTransformer
from skinvariant.metrics import (
    FairnessScorer,
    conditional_entropy,
    continuous_leakage,
    demographic_parity_difference,
    equal_opportunity_difference,
    equality_gap,
    equalized_odds_difference,
    fairness_report,
    group_error_gap,
    make_fairness_scorer,
    parity_gap,
    parity_noise_floor,
    sensitive_leakage,
    worst_group_accuracy,
)

BINARY_MEASURES = [
    (demographic_parity_difference, fairlearn_metrics.demographic_parity_difference),
    (equalized_odds_difference, fairlearn_metrics.equalized_odds_difference),
    (equal_opportunity_difference, fairlearn_metrics.equal_opportunity_difference),
]
PREDICTION_ROWS = [
    "accuracy",
    "demographic_parity_difference",
    "equalized_odds_difference",
    "equal_opportunity_difference",
    "worst_group_accuracy",
]
REPRESENTATION_ROWS = [
    "leakage_accuracy",
    "leakage_balanced_accuracy",
    "leakage_auc",
    "leakage_majority_rate",
    "conditional_entropy_ratio",
]


@pytest.fixture
def random_predictions():
    rng = np.random.default_rng(0)
    n_samples = 500
    y_true = rng.integers(0, 2, n_samples)
    y_pred = rng.integers(0, 2, n_samples)
    sensitive = rng.choice(["a", "b", "c"], n_samples)
    return y_true, y_pred, sensitive


@pytest.fixture
def classification_data():
    X, y = make_classification(n_samples=301, n_features=5, random_state=0)
    sensitive = (X[:, 0] > 0).astype(int)
    return X, y, sensitive


class TransformingLogisticRegression(LogisticRegression):
    """A classifier whose representation is its input, to exercise transform rows."""

    def transform(self, X):
        return np.asarray(X)


class RecordingScorer(FairnessScorer):
    """Demographic-parity scorer that keeps every ``sensitive`` it receives."""

    def __init__(self):
        super().__init__(demographic_parity_difference, greater_is_better=False)
        self.received = []

    def __call__(self, estimator, X, y_true, sensitive=None):
        self.received.append(np.asarray(sensitive).copy())
        return super().__call__(estimator, X, y_true, sensitive=sensitive)


# Group-fairness measures
# -----------------------


def _rate_gap(hits, rows, sensitive):
    """Largest between-group gap of the mean of ``hits`` over ``rows``, counted by hand."""
    rates = [hits[rows & (sensitive == group)].mean() for group in np.unique(sensitive)]
    return max(rates) - min(rates)


def test_binary_measures_match_group_rates_counted_by_hand(random_predictions):
    y_true, y_pred, sensitive = random_predictions
    everyone, positives, negatives = np.ones(len(y_true), bool), y_true == 1, y_true == 0
    selection = _rate_gap(y_pred == 1, everyone, sensitive)
    tpr, fpr = (
        _rate_gap(y_pred == 1, positives, sensitive),
        _rate_gap(y_pred == 1, negatives, sensitive),
    )
    assert selection > 0.02 and tpr != fpr  # the draw separates the three measures
    assert demographic_parity_difference(y_true, y_pred, sensitive=sensitive) == pytest.approx(
        selection
    )
    assert equal_opportunity_difference(y_true, y_pred, sensitive=sensitive) == pytest.approx(tpr)
    assert equalized_odds_difference(y_true, y_pred, sensitive=sensitive) == pytest.approx(
        max(tpr, fpr)
    )


def test_worst_group_accuracy_is_the_lowest_accuracy_counted_by_hand(random_predictions):
    y_true, y_pred, sensitive = random_predictions
    expected = min(
        np.mean(y_pred[sensitive == group] == y_true[sensitive == group])
        for group in np.unique(sensitive)
    )
    assert worst_group_accuracy(y_true, y_pred, sensitive=sensitive) == pytest.approx(expected)


def test_measures_of_a_hand_computed_case():
    # group a: y_true 1 1 0, y_pred 1 1 0 -> selection 2/3, TPR 1, FPR 0, accuracy 1
    # group b: y_true 1 1 0, y_pred 1 0 1 -> selection 2/3, TPR 1/2, FPR 1, accuracy 1/3
    y_true = [1, 1, 0, 1, 1, 0]
    y_pred = [1, 1, 0, 1, 0, 1]
    sensitive = ["a", "a", "a", "b", "b", "b"]
    assert demographic_parity_difference(y_true, y_pred, sensitive=sensitive) == 0.0
    assert equal_opportunity_difference(y_true, y_pred, sensitive=sensitive) == pytest.approx(0.5)
    assert equalized_odds_difference(y_true, y_pred, sensitive=sensitive) == 1.0
    assert worst_group_accuracy(y_true, y_pred, sensitive=sensitive) == pytest.approx(1 / 3)


def test_demographic_parity_of_a_known_vector():
    y_pred = [1, 1, 0, 0, 0, 1]
    sensitive = ["a", "a", "a", "b", "b", "b"]
    difference = demographic_parity_difference(y_pred, y_pred, sensitive=sensitive)
    assert difference == pytest.approx(2 / 3 - 1 / 3)


def test_the_noise_floor_is_the_gap_a_blind_predictor_measures():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    s = np.repeat(["a", "b"], 200)
    floor = parity_noise_floor(y, sensitive=s)
    # two groups: E|N(0, p(1-p)(1/n_a + 1/n_b))| = sigma * sqrt(2 / pi)
    p = y.mean()
    assert floor == pytest.approx(np.sqrt(p * (1 - p) * 2 / 200 * 2 / np.pi), rel=0.05)
    # the same as measuring predictions that ignore s with the library's own measure
    measured = [
        demographic_parity_difference(y, rng.binomial(1, p, len(y)), sensitive=s)
        for _ in range(1000)
    ]
    assert floor == pytest.approx(np.mean(measured), rel=0.05)
    assert parity_noise_floor(y, sensitive=s) == floor  # a property of the rows: seeded


def test_the_noise_floor_grows_with_more_and_smaller_groups_and_for_equalized_odds():
    y = np.tile([0, 1], 300)
    two = parity_noise_floor(y, sensitive=np.repeat([0, 1], 300))
    six = parity_noise_floor(y, sensitive=np.repeat(np.arange(6), 100))
    assert six > 2 * two
    odds = parity_noise_floor(
        y, sensitive=np.repeat([0, 1], 300), measure="equalized_odds_difference"
    )
    assert odds > 1.3 * two  # half the rows per comparison, and the worse of two classes
    with pytest.raises(ValueError, match="measure must be one of"):
        parity_noise_floor(y, sensitive=np.repeat([0, 1], 300), measure="accuracy")
    with pytest.raises(ValueError, match="n_draws must be a positive integer"):
        parity_noise_floor(y, sensitive=np.repeat([0, 1], 300), n_draws=0)


@pytest.mark.parametrize(("ours", "fairlearns"), BINARY_MEASURES)
def test_string_and_bool_labels_map_to_zero_one(random_predictions, ours, fairlearns):
    y_true, y_pred, sensitive = random_predictions
    expected = ours(y_true, y_pred, sensitive=sensitive)
    as_strings = np.array(["no", "yes"])
    assert ours(
        as_strings[y_true], as_strings[y_pred], sensitive=sensitive, pos_label="yes"
    ) == pytest.approx(expected)
    assert ours(y_true.astype(bool), y_pred.astype(bool), sensitive=sensitive) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("measure", [demographic_parity_difference, equalized_odds_difference])
def test_a_gap_that_is_the_same_whichever_label_is_positive_needs_no_pos_label(
    random_predictions, measure
):
    y_true, y_pred, sensitive = random_predictions
    labels = np.array(["denied", "approved"])
    expected = measure(y_true, y_pred, sensitive=sensitive)
    assert measure(labels[y_true], labels[y_pred], sensitive=sensitive) == pytest.approx(expected)


@pytest.mark.parametrize(
    "measure",
    [
        equal_opportunity_difference,
        functools.partial(equality_gap, rate="tpr"),
        functools.partial(equality_gap, rate="tnr"),
    ],
)
def test_a_gap_that_depends_on_the_positive_label_needs_it_for_labels_other_than_0_1(
    random_predictions, measure
):
    # "denied" sorts after "approved": a default would have taken it as the positive label
    y_true, y_pred, sensitive = random_predictions
    labels = np.array(["denied", "approved"])
    with pytest.raises(ValueError, match=r"pass pos_label \(e.g. pos_label='denied'\)"):
        measure(labels[y_true], labels[y_pred], sensitive=sensitive)
    assert measure(
        labels[y_true], labels[y_pred], sensitive=sensitive, pos_label="approved"
    ) == pytest.approx(measure(y_true, y_pred, sensitive=sensitive, pos_label=1))


@pytest.mark.parametrize(("measure", "_"), BINARY_MEASURES)
def test_a_pos_label_that_is_not_a_label_is_refused(random_predictions, measure, _):
    y_true, y_pred, sensitive = random_predictions
    for absent in ("1", "yes"):
        with pytest.raises(ValueError, match=rf"pos_label='{absent}' is not one of the labels"):
            measure(y_true, y_pred, sensitive=sensitive, pos_label=absent)


@pytest.mark.parametrize(
    "measure",
    [
        demographic_parity_difference,
        equalized_odds_difference,
        equal_opportunity_difference,
        parity_gap,
        equality_gap,
        group_error_gap,
        lambda y_true, _, sensitive: parity_noise_floor(y_true, sensitive=sensitive),
    ],
)
def test_a_gap_between_groups_refuses_a_single_group(random_predictions, measure):
    y_true, y_pred, sensitive = random_predictions
    single = np.full(len(y_true), "a")
    with pytest.raises(ValueError, match=r"single group \('a'\); a gap between groups"):
        measure(y_true, y_pred, sensitive=single)
    # the worst group's accuracy of a single group is its accuracy
    assert worst_group_accuracy(y_true, y_pred, sensitive=single) == pytest.approx(
        np.mean(y_true == y_pred)
    )


def test_pos_label_selects_the_positive_class(random_predictions):
    y_true, y_pred, sensitive = random_predictions
    as_strings = np.array(["no", "yes"])
    flipped = equal_opportunity_difference(1 - y_true, 1 - y_pred, sensitive=sensitive)
    assert equal_opportunity_difference(
        as_strings[y_true], as_strings[y_pred], sensitive=sensitive, pos_label="no"
    ) == pytest.approx(flipped)


def test_more_than_two_labels_needs_pos_label():
    with pytest.raises(ValueError, match="pos_label"):
        demographic_parity_difference(["a", "b", "c"], ["a", "b", "c"], sensitive=[0, 0, 1])


def _shifted_probabilities():
    """Labels, groups and probabilities with a parity gap of 0.32 at the 0.5 threshold."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    s = rng.choice(["a", "b"], 1000)
    p = rng.random(1000)
    p[s == "a"] = np.clip(p[s == "a"] + 0.3, 0, 0.999)
    return y, s, p


@pytest.mark.parametrize("pos_label", [None, 1])
@pytest.mark.parametrize(
    "measure",
    [
        demographic_parity_difference,
        equalized_odds_difference,
        equal_opportunity_difference,
        worst_group_accuracy,
    ],
)
def test_probabilities_as_y_pred_are_refused_with_the_fix(measure, pos_label):
    y, s, p = _shifted_probabilities()
    options = {} if measure is worst_group_accuracy or pos_label is None else {"pos_label": 1}
    with pytest.raises(ValueError, match=r"look like probabilities.*predict\(X\)") as error:
        measure(y, p, sensitive=s, **options)
    assert len(str(error.value)) < 400  # no list of every distinct value
    assert demographic_parity_difference(y, (p >= 0.5).astype(int), sensitive=s) == pytest.approx(
        0.3188, abs=1e-3
    )


def test_predict_proba_columns_and_real_scores_are_refused():
    y, s, p = _shifted_probabilities()
    with pytest.raises(ValueError, match="predict_proba"):
        demographic_parity_difference(y, np.c_[1 - p, p], sensitive=s)
    with pytest.raises(ValueError, match="scores or a real-valued target"):
        demographic_parity_difference(y, 3 * p - 1, sensitive=s)


def test_many_labels_error_lists_only_a_few():
    labels = np.arange(500) % 40
    with pytest.raises(ValueError, match=r"got 40: .*\.\.\. 30 more.*pos_label"):
        demographic_parity_difference(labels, labels, sensitive=labels % 2)


def test_an_integer_quantity_is_refused_by_every_group_measure_as_by_fit():
    """Ages as sensitive: groups of one person, refused alike by fit, leakage and the metrics."""
    from skinvariant import IIDMClassifier

    rng = np.random.default_rng(0)
    age = np.concatenate([np.repeat(np.arange(20, 60), 5), [71, 83, 90]])
    y = rng.integers(0, 2, len(age))
    Z = rng.normal(size=(len(age), 2))
    for call in (
        lambda: demographic_parity_difference(y, y, sensitive=age),
        lambda: equalized_odds_difference(y, y, sensitive=age),
        lambda: worst_group_accuracy(y, y, sensitive=age),
        lambda: sensitive_leakage(Z, age),
        lambda: IIDMClassifier(max_epochs=1).fit(Z, y, sensitive=age),
    ):
        with pytest.raises(ValueError, match=r"fewer than 2 samples.*bin it \(pd.cut\)"):
            call()


def test_many_groups_warn_in_the_metrics_as_in_fit():
    age = np.repeat(np.arange(60), 2)
    y = np.arange(len(age)) % 2
    with pytest.warns(UserWarning, match="60 groups.*quantity"):
        demographic_parity_difference(y, y, sensitive=age)


@pytest.mark.parametrize("as_frame", [False, True])
def test_intersectional_sensitive_equals_combined_groups(random_predictions, as_frame):
    y_true, y_pred, first = random_predictions
    second = np.random.default_rng(1).integers(0, 2, len(first))
    combined = np.char.add(first, second.astype(str))
    sensitive = np.column_stack([first, second.astype(str)])
    if as_frame:
        sensitive = pd.DataFrame({0: first, 1: second})
    for measure, _ in BINARY_MEASURES:
        assert measure(y_true, y_pred, sensitive=sensitive) == pytest.approx(
            measure(y_true, y_pred, sensitive=combined)
        )
    assert worst_group_accuracy(y_true, y_pred, sensitive=sensitive) == pytest.approx(
        worst_group_accuracy(y_true, y_pred, sensitive=combined)
    )


# Invariance measures of a representation
# ---------------------------------------


def _leaky_and_independent_representations(group_probabilities, n_samples=3000):
    rng = np.random.default_rng(0)
    n_groups = len(group_probabilities)
    sensitive = rng.choice(n_groups, n_samples, p=group_probabilities)
    noise = rng.normal(size=(n_samples, 4))
    leaky = np.column_stack([np.eye(n_groups)[sensitive], noise[:, :2]])
    leaky += 0.1 * rng.normal(size=leaky.shape)
    return leaky, noise, sensitive


def test_leakage_of_a_representation_that_contains_sensitive():
    leaky, _, sensitive = _leaky_and_independent_representations([0.7, 0.3])
    leakage = sensitive_leakage(leaky, sensitive)
    assert leakage.accuracy > 0.97
    assert leakage.balanced_accuracy > 0.97


def test_leakage_of_an_independent_representation_is_chance():
    _, independent, sensitive = _leaky_and_independent_representations([0.7, 0.3])
    leakage = sensitive_leakage(independent, sensitive)
    assert leakage.majority_rate == pytest.approx(0.7, abs=0.03)
    assert leakage.accuracy == pytest.approx(leakage.majority_rate, abs=0.05)
    assert leakage.balanced_accuracy == pytest.approx(0.5, abs=0.05)
    assert leakage.chance_balanced_accuracy == 0.5
    assert leakage.n_groups == 2


@pytest.mark.parametrize("share", [0.2, 0.05])
def test_balanced_accuracy_reads_a_weak_leak_of_a_small_group(share):
    # One column shifted by 0.6 standard deviations in a small group: AUC
    # about 0.66. A probe's own predict says the large group almost
    # everywhere (balanced accuracy 0.50-0.52 when read that way); the
    # balanced accuracy of the prior-corrected rule shows the leak.
    rng = np.random.default_rng(0)
    sensitive = (rng.random(6000) < share).astype(int)
    Z = rng.normal(size=(6000, 2))
    Z[:, 0] += 0.6 * sensitive
    leakage = sensitive_leakage(Z[:4000], sensitive[:4000], held_out=(Z[4000:], sensitive[4000:]))
    assert leakage.auc > 0.58
    assert leakage.balanced_accuracy > 0.55
    assert leakage.accuracy == pytest.approx(leakage.majority_rate, abs=0.02)


def test_leakage_accepts_frames_intersectional_groups_and_a_custom_probe():
    leaky, _, sensitive = _leaky_and_independent_representations([0.25] * 4)
    attributes = pd.DataFrame({"first": sensitive // 2, "second": sensitive % 2})
    probe = LogisticRegression()
    leakage = sensitive_leakage(pd.DataFrame(leaky), attributes, probe=probe)
    assert leakage.n_groups == 4
    assert leakage.chance_balanced_accuracy == 0.25
    assert leakage.accuracy > 0.97
    assert not hasattr(probe, "coef_")


def test_leakage_needs_two_groups():
    with pytest.raises(ValueError, match="two groups"):
        sensitive_leakage(np.zeros((10, 2)), np.ones(10, dtype=int))


def test_continuous_leakage_reads_each_quantity_from_a_representation():
    rng = np.random.RandomState(0)
    age, income = rng.normal(40, 10, 1000), rng.lognormal(10, 1, 1000)
    Z = np.c_[age / 10 + 0.1 * rng.randn(1000), rng.randn(1000, 2)]
    both = continuous_leakage(Z, pd.DataFrame({"age": age, "income": income}))
    assert both.r2_per_attribute[0] > 0.9  # age is in Z
    assert both.r2_per_attribute[1] < 0.05  # income is not
    assert both.r2 == pytest.approx(both.r2_per_attribute.mean())
    assert continuous_leakage(Z, age, probe=LinearRegression()).r2 > 0.9


def test_continuous_leakage_refuses_labels_and_mismatched_rows():
    Z = np.random.RandomState(0).randn(50, 2)
    with pytest.raises(ValueError, match="not numeric.*sensitive_leakage"):
        continuous_leakage(Z, np.array(["a", "b"] * 25))
    with pytest.raises(ValueError, match="sensitive has 49 rows"):
        continuous_leakage(Z, np.arange(49.0))


def test_conditional_entropy_of_independent_and_leaky_representations():
    leaky, independent, sensitive = _leaky_and_independent_representations([1 / 3] * 3)
    invariant = conditional_entropy(independent, sensitive)
    revealing = conditional_entropy(leaky, sensitive)
    assert invariant.max_entropy == pytest.approx(np.log(3))
    assert invariant.ratio == pytest.approx(invariant.entropy / invariant.marginal_entropy)
    assert invariant.ratio > 0.9
    assert revealing.ratio < 0.2


def test_conditional_entropy_is_finite_for_a_confidently_wrong_probe():
    sensitive = np.tile([0, 1], 50)
    Z = np.column_stack([sensitive, np.zeros(100)])
    Z[np.arange(100) % 4 == 1, 0] = 0  # a quarter of the rows look like the other group
    result = conditional_entropy(Z, sensitive, probe=LogisticRegression(C=1e6))
    assert np.isfinite(result.entropy)


# Scorers
# -------


def test_scorer_negates_differences_by_default(classification_data):
    X, y, sensitive = classification_data
    model = LogisticRegression().fit(X, y)
    difference = demographic_parity_difference(y, model.predict(X), sensitive=sensitive)
    assert difference > 0
    negated = make_fairness_scorer("demographic_parity_difference")
    as_is = make_fairness_scorer("demographic_parity_difference", greater_is_better=True)
    assert negated(model, X, y, sensitive=sensitive) == pytest.approx(-difference)
    assert as_is(model, X, y, sensitive=sensitive) == pytest.approx(difference)
    assert repr(negated) == "FairnessScorer('neg_demographic_parity_difference')"
    assert repr(as_is) == "FairnessScorer('demographic_parity_difference')"


def test_worst_group_accuracy_scorer_is_greater_is_better(classification_data):
    X, y, sensitive = classification_data
    model = LogisticRegression().fit(X, y)
    scorer = make_fairness_scorer("worst_group_accuracy")
    expected = worst_group_accuracy(y, model.predict(X), sensitive=sensitive)
    assert scorer(model, X, y, sensitive=sensitive) == pytest.approx(expected)
    assert scorer.name == "worst_group_accuracy"


def test_scorer_passes_keyword_arguments_to_the_measure(classification_data):
    X, y, sensitive = classification_data
    labels = np.array(["no", "yes"])
    model = LogisticRegression().fit(X, labels[y])
    scorer = make_fairness_scorer("equal_opportunity_difference", pos_label="no")
    expected = equal_opportunity_difference(
        labels[y], model.predict(X), sensitive=sensitive, pos_label="no"
    )
    assert scorer(model, X, labels[y], sensitive=sensitive) == pytest.approx(-expected)
    assert repr(scorer) == ("FairnessScorer('neg_equal_opportunity_difference', pos_label='no')")


def test_scorer_without_sensitive_explains_routing(classification_data):
    X, y, _ = classification_data
    model = LogisticRegression().fit(X, y)
    scorer = make_fairness_scorer("equalized_odds_difference")
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        scorer(model, X, y)


def test_search_with_routing_off_raises_the_routing_error(classification_data):
    X, y, _ = classification_data
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [1.0]},
        scoring=make_fairness_scorer("demographic_parity_difference"),
        error_score="raise",
        cv=3,
    )
    with pytest.raises(ValueError, match="routing off"):
        search.fit(X, y)


def test_make_fairness_scorer_leaves_routing_disabled():
    make_fairness_scorer("demographic_parity_difference")
    assert not sklearn.get_config()["enable_metadata_routing"]


def test_scorer_pickles(classification_data):
    X, y, sensitive = classification_data
    model = LogisticRegression().fit(X, y)
    scorer = make_fairness_scorer("equalized_odds_difference", pos_label=1)
    restored = pickle.loads(pickle.dumps(scorer))
    assert repr(restored) == repr(scorer)
    assert restored(model, X, y, sensitive=sensitive) == scorer(model, X, y, sensitive=sensitive)


def test_grid_search_routes_sensitive_to_a_dict_of_scorers(classification_data):
    X, y, sensitive = classification_data
    scorer = make_fairness_scorer("demographic_parity_difference")
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1]},
        scoring={"acc": "accuracy", "dp": scorer},
        refit="acc",
        cv=3,
    )
    with sklearn.config_context(enable_metadata_routing=True):
        search.fit(X, y, sensitive=sensitive)
    dp_scores = search.cv_results_["mean_test_dp"]
    assert np.all(np.isfinite(dp_scores))
    assert np.all(dp_scores <= 0)


def test_scorer_receives_the_sensitive_slice_of_each_test_fold(classification_data):
    X, y, sensitive = classification_data
    scorer = RecordingScorer()
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.1, 1]}, scoring=scorer, cv=3, error_score="raise"
    )
    with sklearn.config_context(enable_metadata_routing=True):
        search.fit(X, y, sensitive=sensitive)
    test_folds = [test for _, test in StratifiedKFold(3).split(X, y)]
    assert len(scorer.received) == 2 * len(test_folds)
    for received, test in zip(scorer.received, test_folds * 2):
        np.testing.assert_array_equal(received, sensitive[test])
    assert sorted(map(len, scorer.received)) == sorted(map(len, test_folds * 2))


def test_cross_validate_routes_sensitive_to_a_single_scorer(classification_data):
    X, y, sensitive = classification_data
    scorer = make_fairness_scorer("equal_opportunity_difference")
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(
            LogisticRegression(),
            X,
            y,
            scoring=scorer,
            params={"sensitive": sensitive},
            cv=3,
            error_score="raise",
        )
    assert np.all(np.isfinite(scores["test_score"]))
    assert np.all(scores["test_score"] <= 0)


def test_make_fairness_scorer_rejects_unknown_names_and_unsigned_callables():
    with pytest.raises(ValueError, match="Unknown fairness measure"):
        make_fairness_scorer("statistical_parity")
    with pytest.raises(ValueError, match="greater_is_better"):
        make_fairness_scorer(worst_group_accuracy)
    scorer = make_fairness_scorer(demographic_parity_difference, greater_is_better=False)
    assert scorer.name == "neg_demographic_parity_difference"


# Report
# ------


def test_report_of_an_estimator_without_transform(classification_data):
    X, y, sensitive = classification_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    report = fairness_report(model, X, y, sensitive)
    assert report.index.tolist() == PREDICTION_ROWS
    assert list(report.columns) == ["value", "description"]
    y_pred = model.predict(X)
    assert report.loc["accuracy", "value"] == pytest.approx(accuracy_score(y, y_pred))
    assert report.loc["demographic_parity_difference", "value"] == pytest.approx(
        demographic_parity_difference(y, y_pred, sensitive=sensitive)
    )


def test_report_of_an_estimator_with_transform(classification_data):
    X, y, sensitive = classification_data
    model = make_pipeline(StandardScaler(), TransformingLogisticRegression()).fit(X, y)
    report = fairness_report(model, X, y, sensitive)
    assert report.index.tolist() == PREDICTION_ROWS + REPRESENTATION_ROWS
    # sensitive is X[:, 0] > 0, so the representation reveals it
    assert report.loc["leakage_accuracy", "value"] > 0.9
    assert report.loc["conditional_entropy_ratio", "value"] < 0.5
    assert report["value"].notna().all()


# Alignment of pandas sensitive with X and y
# ------------------------------------------


@pytest.fixture
def shuffled_frames(classification_data):
    """X and y shuffled by label; sensitive in the original label order."""
    X, y, sensitive = classification_data
    labels = [f"row{i}" for i in range(len(y))]
    order = np.random.RandomState(0).permutation(labels)
    X = pd.DataFrame(X, index=labels).loc[order]
    y = pd.Series(y, index=labels).loc[order]
    return X, y, pd.Series(sensitive, index=labels)


def test_metrics_refuse_sensitive_indexed_in_another_order(shuffled_frames):
    X, y, sensitive = shuffled_frames
    model = LogisticRegression().fit(X, y)
    calls = {
        "report": lambda s: fairness_report(model, X, y, s),
        "scorer": lambda s: make_fairness_scorer("worst_group_accuracy")(model, X, y, s),
        "measure": lambda s: demographic_parity_difference(y, model.predict(X), sensitive=s),
        "leakage": lambda s: sensitive_leakage(X, s),
        "entropy": lambda s: conditional_entropy(X, s),
        "continuous": lambda s: continuous_leakage(X, s + 0.5),
    }
    for call in calls.values():
        with pytest.raises(ValueError, match=r"different indexes.*\.loc\["):
            call(sensitive)
        call(sensitive.loc[X.index])  # aligned by label: accepted
        call(sensitive.loc[X.index].to_numpy())  # an array is matched by position


def test_cross_validate_routes_pandas_sensitive_sharing_a_shuffled_index(shuffled_frames):
    X, y, sensitive = shuffled_frames
    sensitive = sensitive.loc[X.index]
    scorer = make_fairness_scorer("demographic_parity_difference")
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(
            LogisticRegression(),
            X,
            y,
            scoring=scorer,
            cv=3,
            params={"sensitive": sensitive},
            error_score="raise",
        )
    expected = [
        scorer(
            LogisticRegression().fit(X.iloc[train], y.iloc[train]),
            X.iloc[test],
            y.iloc[test],
            sensitive.iloc[test],
        )
        for train, test in StratifiedKFold(3).split(X, y)
    ]
    np.testing.assert_allclose(scores["test_score"], expected)


# Refusing what a measure cannot measure
# --------------------------------------

GROUP_MEASURES = [
    demographic_parity_difference,
    equalized_odds_difference,
    equal_opportunity_difference,
    parity_gap,
    equality_gap,
    worst_group_accuracy,
]


@pytest.mark.parametrize("measure", GROUP_MEASURES)
def test_group_measures_refuse_a_continuous_sensitive(measure):
    y_true, y_pred = [0, 1, 0, 1, 1, 0], [1, 1, 0, 1, 0, 0]
    with pytest.raises(ValueError, match="looks continuous.*pd.cut.*continuous_leakage"):
        measure(y_true, y_pred, sensitive=np.linspace(0, 1, 6))
    binned = pd.cut(np.linspace(0, 1, 6), bins=2, labels=False)
    assert 0 <= measure(y_true, y_pred, sensitive=binned) <= 1


def test_probes_of_groups_point_a_continuous_sensitive_to_continuous_leakage():
    Z = np.random.RandomState(0).randn(100, 2)
    for probe in (sensitive_leakage, conditional_entropy):
        with pytest.raises(ValueError, match="continuous_leakage") as error:
            probe(Z, np.linspace(0, 1, 100))
        assert "MINEDebiasedClassifier" not in str(error.value)


def test_continuous_leakage_refuses_a_constant_attribute():
    Z = np.random.RandomState(0).randn(100, 2)
    with pytest.raises(ValueError, match="constant.*nothing|constant.*no information"):
        continuous_leakage(Z, np.full(100, 5.0))


def test_make_fairness_scorer_refuses_unknown_keywords_at_creation():
    with pytest.raises(TypeError, match=r"\['unknown'\].*\['pos_label'\]"):
        make_fairness_scorer("demographic_parity_difference", unknown=1)
    with pytest.raises(TypeError, match=r"\['pos_label'\]"):
        make_fairness_scorer("worst_group_accuracy", pos_label=1)
    with pytest.raises(TypeError, match="rate"):
        make_fairness_scorer(equality_gap, greater_is_better=False, rates="tnr")
    assert make_fairness_scorer("equality_gap", rate="tnr").metric_kwargs == {"rate": "tnr"}


def test_report_of_a_transformer_without_predict_needs_no_y(leaky_data):
    X, y, s = leaky_data
    transformer = AffinityTransformer(max_epochs=1, random_state=0).fit(X, y, sensitive=s)
    report = fairness_report(transformer, X, sensitive=s)
    assert report.index.tolist() == REPRESENTATION_ROWS
    assert report["value"].notna().all()
    pd.testing.assert_frame_equal(fairness_report(transformer, X, y, s), report)


def test_report_refuses_objects_it_cannot_measure(classification_data):
    X, y, sensitive = classification_data
    with pytest.raises(TypeError, match="predict .* or transform .*; object has neither"):
        fairness_report(object(), X, y, sensitive)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="pass y"):
        fairness_report(model, X, sensitive=sensitive)
    with pytest.raises(ValueError, match="needs sensitive"):
        fairness_report(model, X, y)


def test_kernel_statistics_separate_dependent_from_independent_and_ignore_scale():
    from skinvariant.metrics import hsic, mmd

    rng = np.random.RandomState(0)
    s = rng.randint(0, 3, 600)
    independent = rng.randn(600, 4)
    dependent = rng.randn(600, 4) + s[:, None]
    assert hsic(independent, s) < 0.03 and mmd(independent, s) < 0.01
    assert hsic(dependent, s) > 0.3 and mmd(dependent, s) > 0.1
    assert hsic(1e-3 * dependent, s) == pytest.approx(hsic(dependent, s), rel=1e-6)
    assert mmd(1e-3 * dependent, s) == pytest.approx(mmd(dependent, s), rel=1e-6)
    age = rng.randn(600)
    assert hsic(np.c_[age + 0.1 * rng.randn(600)], age) > 0.5 > 0.05 > hsic(independent, age)
    assert 0 <= hsic(dependent, s, normalize=False)
    assert hsic(dependent, s, max_samples=300) == pytest.approx(hsic(dependent, s), abs=0.1)
    for statistic in (hsic, mmd):
        with pytest.raises(ValueError, match="single group"):
            statistic(dependent, np.zeros_like(s))


def test_leakage_reports_the_strongest_of_several_fresh_probes():
    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 2000)
    a = rng.randint(0, 2, 2000)
    xor = np.c_[a + 0.1 * rng.randn(2000), (a ^ s) + 0.1 * rng.randn(2000), rng.randn(2000, 2)]
    result = sensitive_leakage(xor, s)
    assert set(result.per_probe) == {"linear", "boosting", "mlp"}
    assert result.per_probe["linear"]["balanced_accuracy"] < 0.6  # a linear probe misses XOR
    assert result.probe in ("boosting", "mlp") and result.balanced_accuracy > 0.95
    assert result.auc > 0.95
    independent = sensitive_leakage(rng.randn(2000, 3), rng.randint(0, 3, 2000))
    assert 0.4 < independent.auc < 0.6 and independent.balanced_accuracy < 0.4
    own = sensitive_leakage(xor, s, probe=LogisticRegression())
    assert own.probe == "probe" and set(own.per_probe) == {"probe"}


def test_held_out_probes_learn_from_all_of_Z_and_read_the_held_out_rows():
    rng = np.random.RandomState(0)
    s_train, s_test = rng.randint(0, 2, 600), rng.randint(0, 2, 300)
    Z_train = np.c_[s_train + 0.1 * rng.randn(600), rng.randn(600)]
    flipped = np.c_[(1 - s_test) + 0.1 * rng.randn(300), rng.randn(300)]  # the link reversed
    same = np.c_[s_test + 0.1 * rng.randn(300), rng.randn(300)]
    assert sensitive_leakage(Z_train, s_train, held_out=(same, s_test)).accuracy > 0.95
    # probes trained on Z_train read the flipped rows backwards: they were scored on held_out
    reversed_reading = sensitive_leakage(
        Z_train, s_train, held_out=(flipped, s_test), probe=LogisticRegression()
    )
    assert reversed_reading.accuracy < 0.05
    labels = np.array(["f", "m"])
    named = sensitive_leakage(Z_train, pd.Series(labels[s_train]), held_out=(same, labels[s_test]))
    assert named.accuracy > 0.95 and named.n_groups == 2
    ages_train, ages_test = 10 * Z_train[:, 0], 10 * same[:, 0]
    assert continuous_leakage(Z_train, ages_train, held_out=(same, ages_test)).r2 > 0.95


def test_held_out_is_checked():
    rng = np.random.RandomState(0)
    Z, s = rng.randn(100, 2), rng.randint(0, 3, 100)
    with pytest.raises(TypeError, match="held_out must be a pair"):
        sensitive_leakage(Z, s, held_out=Z)
    with pytest.raises(ValueError, match="no row in held_out"):
        sensitive_leakage(Z, s, held_out=(Z[:10], np.zeros(10, dtype=int)))
    with pytest.raises(ValueError, match="held_out\\[0\\] has 3 columns"):
        sensitive_leakage(Z, s, held_out=(rng.randn(30, 3), s[:30]))
    with pytest.raises(ValueError, match="same representation columns"):
        continuous_leakage(Z, Z[:, 0], held_out=(rng.randn(30, 3), Z[:30, 0]))


def test_an_independent_representation_has_a_ratio_near_1_with_unequal_groups():
    # 80 / 15 / 5 % groups: H(s) is 0.61 nats against log 3 = 1.10, so the old
    # ratio H(s | z) / log K of an independent Z was 0.56, read as leaking
    rng = np.random.default_rng(0)
    s = rng.choice(3, 3000, p=[0.8, 0.15, 0.05])
    result = conditional_entropy(rng.normal(size=(3000, 2)), s)
    assert result.marginal_entropy == pytest.approx(0.61, abs=0.03)
    assert 0.93 < result.ratio < 1.1
    revealing = conditional_entropy(s[:, None] + 0.1 * rng.normal(size=(3000, 1)), s)
    assert revealing.ratio < 0.2


def test_importing_skinvariant_leaves_the_metrics_and_fairlearn_unloaded():
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, skinvariant; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] == 'fairlearn' or m == 'skinvariant.metrics'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
