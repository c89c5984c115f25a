"""metrics.downstream_fairness: the models a user would fit on a representation."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from skinvariant.metrics import downstream_fairness

DEFAULT_MODELS = ["logistic_regression", "hist_gradient_boosting", "mlp"]
COLUMNS = ["accuracy", "demographic_parity_difference", "equalized_odds_difference"]


def correlated(n_samples=1200, seed=0):
    """y depends on s and on u; u is independent of s. Z_leaky carries s, Z_clean does not."""
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n_samples)
    u = rng.randn(n_samples)
    y = (u + 2.0 * (s - 0.5) + 0.5 * rng.randn(n_samples) > 0).astype(int)
    Z_clean = np.c_[u + 0.3 * rng.randn(n_samples), rng.randn(n_samples)]
    Z_leaky = np.c_[Z_clean, s + 0.1 * rng.randn(n_samples)]
    return Z_clean, Z_leaky, y, s


def split(Z, y, s, n_train=800):
    return Z[:n_train], y[:n_train], s[:n_train], Z[n_train:], y[n_train:], s[n_train:]


def test_a_representation_that_carries_s_shows_larger_gaps_downstream():
    Z_clean, Z_leaky, y, s = correlated()
    clean = downstream_fairness(*split(Z_clean, y, s))
    leaky = downstream_fairness(*split(Z_leaky, y, s))
    for table in (clean, leaky):
        assert list(table.index) == DEFAULT_MODELS + ["worst"] and list(table.columns) == COLUMNS
        assert table.index.name == "model"
    # every model finds s when it is there and uses it: y follows s
    assert (leaky.loc[DEFAULT_MODELS, "demographic_parity_difference"] > 0.5).all()
    assert (clean.loc[DEFAULT_MODELS, "demographic_parity_difference"] < 0.2).all()
    # no default model gives up on the clean Z (u alone gives about 0.65; chance 0.5)
    assert (clean["accuracy"] > 0.6).all()
    assert (leaky["accuracy"] > clean["accuracy"] + 0.05).all()
    # (equalized odds need not follow: without s, a model's errors differ between groups)


def test_the_worst_row_takes_the_lowest_accuracy_and_the_largest_gaps():
    Z_clean, _, y, s = correlated(seed=1)
    table = downstream_fairness(*split(Z_clean, y, s))
    models = table.loc[DEFAULT_MODELS]
    assert table.loc["worst", "accuracy"] == models["accuracy"].min()
    for gap in COLUMNS[1:]:
        assert table.loc["worst", gap] == models[gap].max()


def test_it_is_deterministic_and_takes_the_users_models():
    Z_clean, _, y, s = correlated()
    parts = split(Z_clean, y, s)
    pd.testing.assert_frame_equal(downstream_fairness(*parts), downstream_fairness(*parts))
    labels = np.array(["no", "yes"])
    groups = pd.Series(np.array(["a", "b"])[s])
    mine = downstream_fairness(
        Z_clean[:800],
        labels[y[:800]],
        groups[:800],
        Z_clean[800:],
        labels[y[800:]],
        groups[800:].to_numpy(),
        models={"tree": DecisionTreeClassifier(max_depth=2, random_state=0)},
    )
    assert list(mine.index) == ["tree", "worst"]
    assert 0.6 < mine.loc["tree", "accuracy"] <= 1


def test_mismatched_or_bad_inputs_are_refused_naming_the_argument():
    Z_clean, _, y, s = correlated(300)
    Z_train, y_train, s_train, Z_test, y_test, s_test = split(Z_clean, y, s, n_train=200)
    with pytest.raises(ValueError, match="y_train has 199 rows but Z_train has 200"):
        downstream_fairness(Z_train, y_train[:-1], s_train, Z_test, y_test, s_test)
    with pytest.raises(ValueError, match="s_test has 50 rows but Z_test has 100"):
        downstream_fairness(Z_train, y_train, s_train, Z_test, y_test, s_test[:50])
    with pytest.raises(ValueError, match="Z_test has 1 columns where Z_train has 2"):
        downstream_fairness(Z_train, y_train, s_train, Z_test[:, :1], y_test, s_test)
    with pytest.raises(TypeError, match=r"models\['ridge'\] must be a scikit-learn classifier"):
        from sklearn.linear_model import Ridge

        downstream_fairness(
            Z_train, y_train, s_train, Z_test, y_test, s_test, models={"ridge": Ridge()}
        )
    with pytest.raises(ValueError, match="'worst' names the summary row"):
        downstream_fairness(
            Z_train,
            y_train,
            s_train,
            Z_test,
            y_test,
            s_test,
            models={"worst": LogisticRegression()},
        )
