"""Certified representations: the bound of every classifier of the cells, FARE's tree, quantisation."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from skinvariant import (
    FAREClassifier,
    FARETransformer,
    HSICClassifier,
    NoInvarianceWarning,
    QuantizedRepresentation,
)
from skinvariant.metrics import (
    demographic_parity_bound,
    demographic_parity_difference,
    equalized_odds_bound,
    equalized_odds_difference,
    sensitive_leakage,
)

from .conftest import make_leaky_data

# two groups' distributions over five cells, and their total variation
SHARES = np.array([[0.40, 0.25, 0.15, 0.10, 0.10], [0.20, 0.25, 0.15, 0.20, 0.20]])
TOTAL_VARIATION = 0.5 * np.abs(SHARES[0] - SHARES[1]).sum()  # 0.2


def draw_cells(n_per_group, rng, shares=SHARES):
    s = np.repeat(np.arange(len(shares)), n_per_group)
    cells = np.concatenate([rng.choice(shares.shape[1], n_per_group, p=p) for p in shares])
    return cells, s


# -- the bound ------------------------------------------------------------------


def test_the_bound_approaches_the_exact_total_variation_from_above():
    cells, s = draw_cells(200_000, np.random.RandomState(0))
    result = demographic_parity_bound(cells, s)
    assert result.empirical == pytest.approx(TOTAL_VARIATION, abs=0.005)
    assert TOTAL_VARIATION <= result.bound <= TOTAL_VARIATION + 0.01
    assert (result.n_cells, result.n_groups, result.n_samples) == (5, 2, 400_000)


def test_the_bound_holds_at_least_at_its_confidence_over_many_draws():
    rng = np.random.RandomState(0)
    held, slack = [], []
    for _ in range(400):
        cells, s = draw_cells(300, rng)
        result = demographic_parity_bound(cells, s, confidence=0.9)
        held.append(result.bound >= TOTAL_VARIATION)
        slack.append(result.bound - TOTAL_VARIATION)
    # measured: held on every draw, by 0.10 on the mean (300 rows a group)
    assert np.mean(held) >= 0.9
    assert np.mean(slack) < 0.15  # and it is not vacuous


def test_two_cells_hold_their_confidence_with_their_shares_variance():
    # a prediction with few positives, groups of unequal size: Bernstein's term
    rng = np.random.RandomState(6)
    positive_rate, sizes = np.array([0.10, 0.14]), np.array([200, 1000])
    s = np.repeat([0, 1], sizes)
    held = [
        demographic_parity_bound(
            (rng.random_sample(len(s)) < positive_rate[s]).astype(int), s, confidence=0.9
        ).bound
        >= 0.04
        for _ in range(300)
    ]
    assert np.mean(held) >= 0.9  # measured: every draw


def test_two_cells_far_from_half_and_half_get_a_narrower_term():
    rng = np.random.RandomState(7)
    s = np.repeat([0, 1], [4400, 8900])  # Adult's certifying rows, about
    mcdiarmid = np.sqrt(np.log(1 / 0.05) * (1 / 4400 + 1 / 8900) / 2)
    # measured: 0.65, 0.81 and 1.02 times McDiarmid's term
    for positive_rate, at_most in ((0.10, 0.75), (0.17, 0.9), (0.5, 1.05)):
        cells = (rng.random_sample(len(s)) < positive_rate).astype(int)
        result = demographic_parity_bound(cells, s)
        assert result.bound - result.empirical <= at_most * mcdiarmid


def test_each_class_of_equalized_odds_is_bounded_on_the_cells_its_rows_reach():
    # class 1's rows fall in cells 0 and 2 only: two cells, Bernstein's term
    rng = np.random.RandomState(8)
    s = np.repeat([0, 1], [3000, 6000])
    y = rng.randint(0, 2, len(s))
    cells = np.where(y == 1, 2 * (rng.random_sample(len(s)) < 0.1), rng.randint(0, 3, len(s)))
    empirical, bound = equalized_odds_bound(cells, y, s).per_class[1]
    sizes = np.bincount(s[y == 1])
    mcdiarmid = np.sqrt(np.log(2 / 0.05) * (1 / sizes[0] + 1 / sizes[1]) / 2)
    assert bound - empirical < 0.8 * mcdiarmid  # measured: 0.67 times


def test_empirical_is_the_gap_of_the_worst_classifier_of_the_cells():
    cells, s = draw_cells(2000, np.random.RandomState(1))
    counts = np.array([np.bincount(cells[s == g], minlength=5) for g in (0, 1)])
    worst = (counts[0] / counts[0].sum() > counts[1] / counts[1].sum()).astype(int)
    result = demographic_parity_bound(cells, s)
    assert result.empirical == pytest.approx(
        demographic_parity_difference(np.zeros(len(s)), worst[cells], sensitive=s)
    )
    for seed in range(20):  # and every other classifier of the cells is below it
        rule = np.random.RandomState(seed).randint(0, 2, 5)
        gap = demographic_parity_difference(np.zeros(len(s)), rule[cells], sensitive=s)
        assert gap <= result.empirical + 1e-12


def test_cells_may_be_labels_or_the_rows_of_a_one_hot_matrix():
    cells, s = draw_cells(500, np.random.RandomState(2))
    letters = np.array(list("abcde"))[cells]
    by_index = demographic_parity_bound(cells, s)
    for same_cells in (letters, np.eye(5)[cells]):
        result = demographic_parity_bound(same_cells, s)
        assert (result.bound, result.empirical) == pytest.approx(
            (by_index.bound, by_index.empirical)
        )
        assert result.n_cells == 5


def test_more_groups_take_the_largest_pair_and_split_the_confidence():
    shares = np.vstack([SHARES, [0.20, 0.20, 0.20, 0.20, 0.20]])
    cells, s = draw_cells(3000, np.random.RandomState(3), shares)
    three = demographic_parity_bound(cells, s)
    pair = demographic_parity_bound(cells[s < 2], s[s < 2])
    assert three.empirical == pytest.approx(max(three.empirical, pair.empirical))
    assert three.bound >= pair.bound  # three pairs share the confidence
    assert three.n_groups == 3


def test_equalized_odds_bounds_every_classifier_within_each_class():
    rng = np.random.RandomState(4)
    cells, s = draw_cells(3000, rng)
    y = (rng.random_sample(len(cells)) < 0.3 + 0.1 * cells).astype(int)
    result = equalized_odds_bound(cells, y, s)
    assert set(result.per_class) == {0, 1}
    for seed in range(20):
        rule = np.random.RandomState(seed).randint(0, 2, 5)
        assert equalized_odds_difference(y, rule[cells], sensitive=s) <= result.empirical + 1e-12
    assert result.empirical <= result.bound <= 1


def test_bad_inputs_name_the_fix():
    cells, s = draw_cells(100, np.random.RandomState(5))
    with pytest.raises(ValueError, match="confidence"):
        demographic_parity_bound(cells, s, confidence=1.0)
    with pytest.raises(ValueError, match="rows"):
        demographic_parity_bound(cells[:-1], s)
    y = (s == 0).astype(int)  # group 1 has no row of class 1
    with pytest.raises(ValueError, match="every group in every class"):
        equalized_odds_bound(cells, y, s)
    text = np.array(["a", "b"])[cells % 2][:, None]
    with pytest.raises(ValueError, match="encode categorical columns first"):
        FARETransformer().fit(text, cells % 2, sensitive=s)


def test_a_single_group_is_refused_rather_than_certified_at_zero():
    cells, s = draw_cells(100, np.random.RandomState(5))
    y = cells % 2
    single = np.zeros_like(s)
    match = r"single group \(0\); a (certificate|fairness-aware tree) needs at least two"
    with pytest.raises(ValueError, match=match):
        demographic_parity_bound(cells, single)
    with pytest.raises(ValueError, match=match):
        equalized_odds_bound(cells, y, single)
    with pytest.raises(ValueError, match=match):
        FARETransformer().fit(cells[:, None], y, sensitive=single)
    cells_of_both = FARETransformer().fit(cells[:, None], y, sensitive=s)
    with pytest.raises(ValueError, match=match):
        cells_of_both.certify(cells[:, None], y, sensitive=single)


# -- FARE -----------------------------------------------------------------------


def adult_like_split(seed=0, n_samples=6000):
    X, y, s = make_leaky_data(n_samples, seed=seed)
    return train_test_split(X, y, s, test_size=0.5, random_state=seed)


def test_without_a_fairness_weight_the_tree_is_a_plain_gini_tree():
    X_train, X_test, y_train, y_test, s_train, _ = adult_like_split()
    ours = FAREClassifier(lam=0, max_leaf_nodes=8, min_samples_leaf=1, max_bins=255)
    ours.fit(X_train, y_train, sensitive=s_train)
    plain = DecisionTreeClassifier(max_leaf_nodes=8, random_state=0).fit(X_train, y_train)
    assert ours.n_cells_ == 8
    assert ours.score(X_test, y_test) == pytest.approx(plain.score(X_test, y_test), abs=0.01)


def make_proxy_data(n_samples, seed):
    """y needs column 0 and column 1, and column 1 is s plus noise: a plain tree reads s."""
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n_samples)
    proxy = 1.5 * s + 0.5 * rng.randn(n_samples)
    signal = rng.randn(n_samples)
    y = (signal + proxy - 0.75 + 0.5 * rng.randn(n_samples) > 0).astype(int)
    return np.c_[signal, proxy, rng.randn(n_samples, 2)], y, s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_fairness_weight_mixes_the_groups_and_the_certificate_covers_downstream_models(seed):
    X, y, s = make_proxy_data(6000, seed)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.5, random_state=seed
    )
    results = {}
    for lam in (0.0, 0.9):
        cells = FARETransformer(lam=lam, max_leaf_nodes=6).fit(X_train, y_train, sensitive=s_train)
        Z_train, Z_test = cells.transform(X_train), cells.transform(X_test)
        certificate = cells.certify(X_test, y_test, sensitive=s_test)
        for model in (LogisticRegression(), DecisionTreeClassifier(random_state=0)):
            y_pred = model.fit(Z_train, y_train).predict(Z_test)
            dp = demographic_parity_difference(y_test, y_pred, sensitive=s_test)
            eo = equalized_odds_difference(y_test, y_pred, sensitive=s_test)
            assert dp <= certificate.demographic_parity.bound
            assert eo <= certificate.equalized_odds.bound
        leakage = sensitive_leakage(Z_train, s_train, held_out=(Z_test, s_test))
        results[lam] = (certificate.demographic_parity.bound, leakage.balanced_accuracy)
    # measured on seeds 0-2: bound 0.81 / 0.72 / 0.91 -> 0.07 / 0.08 / 0.07, the
    # strongest probe's balanced accuracy 0.89 / 0.84 / 0.94 -> 0.50 / 0.50 / 0.50
    assert results[0.9][0] < 0.15 < 0.5 < results[0.0][0]
    assert results[0.9][1] < 0.56 < 0.75 < results[0.0][1]


def test_the_cells_predict_the_majority_class_and_transform_has_their_names():
    X_train, X_test, y_train, y_test, s_train, _ = adult_like_split()
    clf = FAREClassifier(lam=0.5, max_leaf_nodes=4).fit(X_train, y_train, sensitive=s_train)
    cells = clf.apply(X_test)
    np.testing.assert_allclose(clf.predict_proba(X_test), clf.cell_class_shares_[cells])
    assert clf.score(X_test, y_test) > 0.9  # column 0 carries y
    onehot = clf.transform(X_test)
    assert onehot.shape == (len(X_test), clf.n_cells_)
    np.testing.assert_array_equal(onehot.argmax(axis=1), cells)
    assert len(clf.get_feature_names_out()) == clf.n_cells_
    clf.set_params(transform_output="index")
    np.testing.assert_array_equal(clf.transform(X_test)[:, 0], cells)
    assert list(clf.get_feature_names_out()) == ["fareclassifier0"]
    as_frame = clf.set_output(transform="pandas").transform(X_test)
    assert list(as_frame.columns) == ["fareclassifier0"]
    np.testing.assert_array_equal(as_frame["fareclassifier0"], cells)
    with pytest.raises(ValueError, match="'transform_output' parameter of FAREClassifier"):
        clf.set_params(transform_output="indices").transform(X_test)


def test_fare_pickles_searches_lam_with_routing_and_warns_without_sensitive():
    X_train, X_test, y_train, _, s_train, _ = adult_like_split(n_samples=1200)
    clf = FAREClassifier().fit(X_train, y_train, sensitive=s_train)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.apply(X_test), clf.apply(X_test))
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            make_pipeline(FAREClassifier()), {"fareclassifier__lam": [0, 0.9]}, cv=2
        )
        search.fit(X_train, y_train, sensitive=s_train)
    assert search.best_estimator_[-1].sensitive_groups_ == [0, 1]
    with pytest.warns(NoInvarianceWarning, match="without sensitive"):
        FARETransformer().fit(X_train, y_train)
    with pytest.raises(ValueError, match="lam"):
        FAREClassifier(lam=1.5).fit(X_train, y_train, sensitive=s_train)


def test_a_quantised_neural_representation_is_certified_the_same_way():
    X_train, X_test, y_train, y_test, s_train, s_test = adult_like_split(n_samples=2000)
    cells = QuantizedRepresentation(
        HSICClassifier(lam=1, max_epochs=20, random_state=0), n_cells=4, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoInvarianceWarning)  # sensitive reaches the estimator
        cells.fit(X_train, y_train, sensitive=s_train)
    assert cells.transform(X_test).shape == (len(X_test), 4)
    certificate = cells.certify(X_test, sensitive=s_test).demographic_parity
    y_pred = (
        LogisticRegression().fit(cells.transform(X_train), y_train).predict(cells.transform(X_test))
    )
    assert demographic_parity_difference(y_test, y_pred, sensitive=s_test) <= certificate.bound
    # measured: 0.886, as the estimator's own prediction (column 0 carries y)
    assert np.mean(y_pred == y_test) > 0.85


def test_a_parity_budget_search_takes_fares_own_grid():
    from skinvariant.model_selection import BudgetSearchCV

    X, y, s = make_proxy_data(3000, 0)
    search = BudgetSearchCV(FAREClassifier(), {"demographic_parity_difference": 0.05})
    search.fit(X, y, sensitive=s)
    assert list(search.cv_results_["param_lam"]) == list(FAREClassifier.lam_grid)
    assert 0 < search.best_params_["lam"] < 1  # a plain tree reads the proxy of s
    assert search.cv_results_["meets_budget"][search.best_index_]


def test_fare_cells_of_a_representation_cut_along_the_classes_and_are_certified():
    X_train, X_test, y_train, y_test, s_train, s_test = adult_like_split(n_samples=2000)
    network = HSICClassifier(lam=1, max_epochs=20, random_state=0)
    tree = QuantizedRepresentation(network, n_cells=4, cells="fare", random_state=0)
    tree.fit(X_train, y_train, sensitive=s_train)
    assert isinstance(tree.tree_, FARETransformer) and not hasattr(tree, "kmeans_")
    cut = tree.apply(X_test)
    tree.set_params(cells="kmeans")  # takes effect at the next fit, as in scikit-learn
    np.testing.assert_array_equal(tree.apply(X_test), cut)
    assert 2 <= tree.n_cells_ <= 4
    assert tree.transform(X_test).shape == (len(X_test), tree.n_cells_)
    certificate = tree.certify(X_test, sensitive=s_test).demographic_parity
    y_pred = (
        LogisticRegression().fit(tree.transform(X_train), y_train).predict(tree.transform(X_test))
    )
    assert demographic_parity_difference(y_test, y_pred, sensitive=s_test) <= certificate.bound
    # the cells keep what the network itself predicts
    own = np.mean(tree.estimator_.predict(X_test) == y_test)
    assert np.mean(y_pred == y_test) >= own - 0.02
    with pytest.raises(ValueError, match="cells='fare' grows its tree on y and sensitive"):
        QuantizedRepresentation(network, cells="fare").fit(X_train, y_train)


def test_a_categorical_feature_is_split_into_sets_of_categories():
    # y depends on which of two sets of six categories a row's category is in:
    # one set split separates the classes; thresholds on the codes need many
    rng = np.random.RandomState(0)
    category = rng.randint(0, 6, 4000)
    in_set = np.isin(category, [0, 3, 5])
    y = (rng.rand(4000) < np.where(in_set, 0.9, 0.1)).astype(int)
    s = rng.randint(0, 2, 4000)
    X = np.c_[category, rng.randn(4000)]
    as_sets = FARETransformer(lam=0.0, max_leaf_nodes=2, categorical_features=[0])
    as_sets.fit(X, y, sensitive=s)
    as_codes = FARETransformer(lam=0.0, max_leaf_nodes=2).fit(X, y, sensitive=s)
    cells = as_sets.apply(X)
    assert set(np.unique(category[cells == cells[in_set][0]])) == {0, 3, 5}
    accuracy = np.mean(as_sets.cell_class_shares_.argmax(axis=1)[cells] == y)
    coded = as_codes.apply(X)
    assert accuracy > np.mean(as_codes.cell_class_shares_.argmax(axis=1)[coded] == y) + 0.1
    assert as_sets.is_categorical_.tolist() == [True, False]
    # a category never seen in fit goes right, with the set the root does not send left
    sent_right = [c for c in range(6) if not as_sets.tree_.goes_left_[0][c]]
    unseen, known = as_sets.apply(np.array([[7.0, 0.0], [float(sent_right[0]), 0.0]]))
    assert unseen == known
    mask = FARETransformer(lam=0.0, max_leaf_nodes=2, categorical_features=[True, False])
    np.testing.assert_array_equal(mask.fit(X, y, sensitive=s).apply(X), cells)
    with pytest.raises(ValueError, match="column indices in"):
        FARETransformer(categorical_features=[2]).fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="one entry per column"):
        FARETransformer(categorical_features=[True]).fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="more than max_bins=4"):
        FARETransformer(max_bins=4, categorical_features=[0]).fit(X, y, sensitive=s)
