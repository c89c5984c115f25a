"""The task suite's generators (benchmarks/suite/tasks.py): shapes, determinism, partition, defining properties.

``benchmarks/`` is not a package the tests import otherwise, so the module is
loaded from its file with importlib (no sys.path change, no conftest).
"""

import importlib.util
import pathlib

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from skinvariant.metrics import demographic_parity_difference

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "suite" / "tasks.py"
_SPEC = importlib.util.spec_from_file_location("suite_tasks", _PATH)
tasks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tasks)

SYNTHETIC = [name for name in tasks.TASKS if name not in ("adult", "german")]
# (n_features, s shape after n_samples) per synthetic task at its registered parameters
SHAPES = {
    "linear_3": (6, ()),
    "linear_10_mixed": (7, ()),
    "unequal_5pct": (6, ()),
    "distractors_20": (24, ()),
    "sign_xor": (6, ()),
    "rings_3": (6, ()),
    "correlated_y": (5, ()),
    "shared_column": (4, ()),
    "continuous_s": (6, ()),
    "intersectional": (7, (2,)),
    "circle": (6, ()),
    "arc_4": (4, ()),
}


def generate(name, n_samples=600, random_state=0):
    generator, params, _ = tasks.TASKS[name]
    return generator(**{**params, "n_samples": n_samples}, random_state=random_state)


def test_partition_is_disjoint_and_covers_every_task():
    tuning, test = set(tasks.TUNING_TASKS), set(tasks.TEST_TASKS)
    assert not tuning & test
    assert tuning | test == set(tasks.TASKS)
    assert len(tasks.TUNING_TASKS) == len(tuning) and len(tasks.TEST_TASKS) == len(test)
    assert abs(len(tuning) - len(test)) <= 2  # about half each
    assert "adult" in test and "german" in tuning
    # both halves hold several shapes: a non-linear s, a task where invariance costs accuracy
    assert {"sign_xor", "correlated_y", "arc_4"} <= tuning
    assert {"rings_3", "shared_column", "circle"} <= test
    assert set(tasks.TEST_SIZE) == set(tasks.TASKS)


def test_registry_kinds():
    assert set(SHAPES) == set(SYNTHETIC)
    for generator, params, kind in tasks.TASKS.values():
        assert callable(generator) and isinstance(params, dict)
        assert kind in ("groups", "continuous", "intersectional")
    assert tasks.TASKS["continuous_s"][2] == "continuous"
    assert tasks.TASKS["intersectional"][2] == "intersectional"


@pytest.mark.parametrize("name", SYNTHETIC)
def test_shapes_and_determinism(name):
    X, y, s = generate(name)
    n_features, s_tail = SHAPES[name]
    assert X.shape == (600, n_features) and X.dtype == np.float64
    assert y.shape == (600,) and set(np.unique(y)) == {0, 1}
    assert s.shape == (600, *s_tail)
    assert np.isfinite(X).all()
    X2, y2, s2 = generate(name)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(s, s2)
    X3, _, _ = generate(name, random_state=1)
    assert not np.allclose(X, X3)


def test_registered_sizes():
    X, _, _ = generate("circle", n_samples=tasks.TASKS["circle"][1]["n_samples"])
    n_test = round(len(X) * tasks.TEST_SIZE["circle"])
    assert (len(X) - n_test, n_test) == (3000, 1500)
    assert tasks.n_groups_of(generate("linear_10_mixed")[2]) == 10


def test_real_tasks_shapes():
    X, y, s = tasks.load_german_task()
    assert X.shape[0] == 1000 and X.dtype == np.float64 and np.isfinite(X).all()
    assert set(np.unique(y)) == {0, 1} and set(np.unique(s)) == {0, 1}
    X, y, s = tasks.load_adult_task(2000, random_state=0)
    assert X.shape[0] == len(y) == len(s) == 2000 and np.isfinite(X).all()
    X2, _, _ = tasks.load_adult_task(2000, random_state=0)
    np.testing.assert_array_equal(X, X2)
    assert 0.2 < y.mean() < 0.3  # subsample stratified by y (Adult's 24.9 %)


def _readability(X, s, model):
    codes = tasks.group_codes_of(s)
    X_train, X_test, c_train, c_test = train_test_split(
        X, codes, test_size=0.3, stratify=codes, random_state=0
    )
    return balanced_accuracy_score(c_test, model.fit(X_train, c_train).predict(X_test))


@pytest.mark.parametrize("name", ["sign_xor", "rings_3"])
def test_nonlinear_s_is_unreadable_linearly(name):
    X, _, s = generate(name, n_samples=2000)
    chance = 1 / tasks.n_groups_of(s)
    assert _readability(X, s, LogisticRegression(max_iter=500)) < chance + 0.08
    assert _readability(X, s, HistGradientBoostingClassifier(random_state=0)) > 0.9


def test_linear_s_is_readable_linearly():
    X, _, s = generate("linear_3", n_samples=2000)
    assert _readability(X, s, LogisticRegression(max_iter=500)) > 0.7


@pytest.mark.parametrize(
    "name", ["linear_3", "sign_xor", "rings_3", "unequal_5pct", "intersectional"]
)
def test_y_independent_of_s_bayes_rule_has_small_parity_gap(name):
    # the Bayes rule of these tasks is 1[sum of the task columns > 0], which ignores s
    X, y, s = generate(name, n_samples=6000)
    task_columns = {
        "linear_3": [2, 3],
        "unequal_5pct": [2, 3],
        "sign_xor": [2, 3],
        "rings_3": [2, 3],
        "intersectional": [3, 4],
    }[name]
    bayes = (X[:, task_columns].sum(axis=1) > 0).astype(int)
    assert np.mean(bayes == y) > 0.85
    groups = s if s.ndim == 1 else tasks.group_codes_of(s)
    assert demographic_parity_difference(y, bayes, sensitive=groups) < 0.06


def test_correlated_target_has_a_parity_gap():
    _, y, s = generate("correlated_y", n_samples=6000)
    assert y[s == 1].mean() - y[s == 0].mean() > 0.35


def test_unequal_groups_shares():
    _, _, s = generate("unequal_5pct", n_samples=3000)
    np.testing.assert_allclose(np.bincount(s) / len(s), [0.80, 0.15, 0.05], atol=0.002)


def test_intersectional_groups():
    X, _, s = generate("intersectional", n_samples=4000)
    assert tasks.n_groups_of(s) == 4
    np.testing.assert_allclose(s.mean(axis=0), [0.5, 0.3], atol=0.03)


def test_continuous_s_is_written_into_x():
    X, y, s = generate("continuous_s", n_samples=3000)
    assert s.dtype.kind == "f" and len(np.unique(s)) == len(s)
    assert abs(np.corrcoef(X[:, 0], s)[0, 1]) > 0.9
    assert abs(np.corrcoef(y, s)[0, 1]) < 0.06


def test_shared_and_circle_targets_need_the_columns_that_carry_s():
    # knowing s (the group mean) recovers y exactly; X alone does not
    X, y, s = generate("shared_column", n_samples=4000)
    assert np.mean(((X[:, 0] - 1.5 * s + X[:, 1]) > 0) == y) == 1.0
    assert abs(y[s == 1].mean() - y[s == 0].mean()) < 0.05
    # the circle and its tuning sibling: 3 groups around the circle, 4 on an arc
    for name, n_groups, radius, arc, direction in (
        ("circle", 3, 2.0, 2 * np.pi, np.pi / 6),
        ("arc_4", 4, 2.5, np.pi, 2 * np.pi / 5),
    ):
        X, y, s = generate(name, n_samples=4500)
        angles = arc * np.arange(n_groups) / n_groups
        means = radius * np.column_stack([np.cos(angles), np.sin(angles)])
        along = [np.cos(direction), np.sin(direction)]
        assert np.mean((((X[:, :2] - means[s]) @ along) > 0) == y) == 1.0
        assert abs(y[s == 0].mean() - y[s == n_groups - 1].mean()) < 0.05
        # without s, the best threshold on the same direction is a worse rule
        projected = X[:, :2] @ along
        pooled = max(
            np.mean((projected > t) == y)
            for t in np.quantile(projected, np.linspace(0.05, 0.95, 91))
        )
        assert pooled < 0.9


def test_new_rows_of_a_drawn_instance_keep_its_means_and_rotation():
    # make_linear_groups draws its group means and rotation from the rows'
    # stream: another seed or size is another instance. Its structure draws
    # new rows of the same one (what budget.py checks DP budgets on).
    _, params, _ = tasks.TASKS["linear_10_mixed"]
    X, y, s = tasks.make_linear_groups(**params, random_state=0)
    structure = tasks.linear_groups_structure(**params, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(X, s)
    params = {**params, "n_samples": 20000}
    X_same, _, s_same = tasks.make_linear_groups(**params, structure=structure, random_state=1)
    X_other, _, s_other = tasks.make_linear_groups(**params, random_state=1)
    same = balanced_accuracy_score(s_same, model.predict(X_same))
    other = balanced_accuracy_score(s_other, model.predict(X_other))
    assert same == pytest.approx(balanced_accuracy_score(s, model.predict(X)), abs=0.03)
    assert other < same - 0.2
