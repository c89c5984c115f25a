"""The task suite of issue 22: synthetic tasks of different shapes, Adult and German credit.

Every generator takes its shape parameters and ``random_state`` and returns
``(X, y, s)`` as numpy arrays: ``X`` float64 of shape (n_samples, n_features),
``y`` int 0/1 of shape (n_samples,) (every task has a binary target, so the
parity measures apply everywhere), and ``s`` of shape (n_samples,) (int group
codes, or float for a continuous attribute) or (n_samples, 2) (two binary
attributes whose combinations are the intersectional groups). The same
``random_state`` gives the same arrays.

``TASKS`` maps a task name to ``(generator, params, kind)``; ``kind`` says what
``s`` is: ``"groups"`` (1-D labels), ``"continuous"`` (a float; only
``MINEDebiasedClassifier`` and ``HSICClassifier`` accept it) or
``"intersectional"`` (2-D). ``TEST_SIZE`` gives each task's held-out share
(1/3 for the synthetic tasks: the circle task's 3,000 training rows and 1,500
held out; 0.3 for Adult and German, as ``benchmarks/adult_data.py``).

``TUNING_TASKS`` and ``TEST_TASKS`` partition ``TASKS``. They were fixed when
the suite was written, before any run of it: defaults and method changes may be
chosen on the tuning tasks only; the test tasks are run once, with what was
chosen, and reported. See the comment above ``TUNING_TASKS`` for why each task
sits where it does.

Run ``python benchmarks/suite/run.py`` to measure the estimators on them.
"""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = [
    "TASKS",
    "TUNING_TASKS",
    "TEST_TASKS",
    "TEST_SIZE",
    "make_linear_groups",
    "linear_groups_structure",
    "make_sign_pattern",
    "make_rings",
    "make_correlated_target",
    "make_continuous",
    "make_intersectional",
    "make_shared_column",
    "make_circle",
    "load_adult_task",
    "load_german_task",
    "n_groups_of",
    "group_codes_of",
]


def _target(rng, n_samples, n_task_features, noise):
    """Task columns t ~ N(0, I) and y = 1[sum(t) + noise > 0] (Bayes accuracy ~0.89 for 2 columns, noise 0.5)."""
    t = rng.normal(size=(n_samples, n_task_features))
    y = (t.sum(axis=1) + noise * rng.normal(size=n_samples) > 0).astype(int)
    return t, y


def _rotation(rng, dim):
    """A random orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def _groups(rng, n_samples, weights):
    """Group codes 0..K-1 drawn with the given shares, every group present at its exact share."""
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    sizes = np.floor(weights * n_samples).astype(int)
    sizes[0] += n_samples - sizes.sum()
    return rng.permutation(np.repeat(np.arange(len(weights)), sizes))


def make_linear_groups(
    n_samples=3000,
    *,
    n_groups=3,
    group_weights=None,
    separation=2.0,
    n_sensitive_features=2,
    n_task_features=2,
    n_noise_features=2,
    label_noise=0.5,
    mix=False,
    structure=None,
    random_state=None,
):
    """s linearly readable (group means apart in a few columns), y independent of s.

    Group means are ``separation`` times unit vectors in the
    ``n_sensitive_features`` columns (evenly spaced at a random angle for 2
    columns, random directions otherwise; noise N(0, 1)); y is
    ``1[t_1 + ... + t_k + label_noise * e > 0]`` on ``n_task_features``
    standard normal columns, drawn independently of s; then
    ``n_noise_features`` distractor columns N(0, 1). With ``mix=True`` the
    sensitive and task columns are rotated by a random orthogonal matrix, so
    every column carries both. ``group_weights`` gives unequal group shares.
    The group means and the rotation are drawn from the same stream as the
    rows, so they change with ``n_samples``: pass ``structure`` (from
    :func:`linear_groups_structure`) to draw new rows of a given instance.
    Returns X of shape (n_samples, n_sensitive + n_task + n_noise), y, s (int).
    """
    rng = check_random_state(random_state)
    structure = {} if structure is None else structure
    weights = np.ones(n_groups) if group_weights is None else group_weights
    s = _groups(rng, n_samples, weights)
    means = structure.get("means")
    if means is None:
        if n_sensitive_features == 2:  # evenly spaced on a circle, at a random angle
            angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n_groups) / n_groups
            directions = np.column_stack([np.cos(angles), np.sin(angles)])
        else:
            directions = rng.normal(size=(n_groups, n_sensitive_features))
        means = separation * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    sensitive_part = means[s] + rng.normal(size=(n_samples, n_sensitive_features))
    t, y = _target(rng, n_samples, n_task_features, label_noise)
    signal = np.hstack([sensitive_part, t])
    rotation = structure.get("rotation")
    if mix:
        rotation = _rotation(rng, signal.shape[1]) if rotation is None else rotation
        signal = signal @ rotation
    structure.update(means=means, rotation=rotation)
    X = np.hstack([signal, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def linear_groups_structure(n_samples=3000, *, random_state=None, **params):
    """The group means and rotation of ``make_linear_groups(n_samples, random_state=...)``.

    Returns the dict to pass as its ``structure`` to draw other rows of the
    same instance (the means and rotation, not the rows).
    """
    structure = {}
    make_linear_groups(n_samples, structure=structure, random_state=random_state, **params)
    return structure


def make_sign_pattern(
    n_samples=3000,
    *,
    scale=1.5,
    n_task_features=2,
    n_noise_features=2,
    label_noise=0.5,
    random_state=None,
):
    """s only non-linearly readable: s = [sign(x_0) != sign(x_1)] (an XOR), y independent of s.

    x_0 and x_1 are N(0, scale^2): their distribution is symmetric in each
    sign, so no linear function of X separates the groups (a linear probe
    reads chance), while trees read s almost exactly. y as in
    ``make_linear_groups``. Returns X of shape (n_samples, 2 + n_task + n_noise), y, s (0/1).
    """
    rng = check_random_state(random_state)
    x = scale * rng.normal(size=(n_samples, 2))
    s = (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(int)
    t, y = _target(rng, n_samples, n_task_features, label_noise)
    X = np.hstack([x, t, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def make_rings(
    n_samples=3000,
    *,
    n_groups=3,
    ring_width=0.6,
    n_task_features=2,
    n_noise_features=2,
    label_noise=0.5,
    random_state=None,
):
    """s only non-linearly readable: group k lies on the ring of radius 1 + k (width ``ring_width``).

    The angle is uniform, so each group's mean is 0 and a linear probe reads
    chance; the radius gives the group away. y as in ``make_linear_groups``,
    independent of s. Returns X of shape (n_samples, 2 + n_task + n_noise), y, s (int).
    """
    rng = check_random_state(random_state)
    s = _groups(rng, n_samples, np.ones(n_groups))
    radius = 1.0 + s + ring_width * rng.uniform(-0.5, 0.5, n_samples)
    angle = rng.uniform(0, 2 * np.pi, n_samples)
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    t, y = _target(rng, n_samples, n_task_features, label_noise)
    X = np.hstack([x, t, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def make_correlated_target(
    n_samples=3000,
    *,
    positive_rates=(0.3, 0.7),
    separation=2.0,
    class_separation=1.5,
    n_noise_features=2,
    random_state=None,
):
    """y correlated with s: P(y=1 | s=k) = ``positive_rates[k]``; s linear in its own column.

    Column 0 is ``separation * s`` + N(0, 1); columns 1-2 are
    ``class_separation * (2y - 1) / 2`` + N(0, 1) (they carry y, hence some
    of s through y); then distractors. The Bayes rule's parity gap is large,
    so an invariant representation must give up accuracy (there is no free
    lunch here). Returns X of shape (n_samples, 3 + n_noise), y, s (int).
    """
    rng = check_random_state(random_state)
    rates = np.asarray(positive_rates, dtype=float)
    s = _groups(rng, n_samples, np.ones(len(rates)))
    y = (rng.uniform(size=n_samples) < rates[s]).astype(int)
    X = np.hstack(
        [
            (separation * s + rng.normal(size=n_samples))[:, None],
            class_separation * (y[:, None] - 0.5) + rng.normal(size=(n_samples, 2)),
            rng.normal(size=(n_samples, n_noise_features)),
        ]
    )
    return X, y, s


def make_continuous(
    n_samples=3000,
    *,
    loadings=(1.0, -0.7),
    noise=0.4,
    n_task_features=2,
    n_noise_features=2,
    label_noise=0.5,
    random_state=None,
):
    """A continuous s ~ N(0, 1), written into two columns (``s * loadings`` + noise); y independent of s.

    Only estimators that accept a continuous ``sensitive`` (MINE, HSIC) run
    on it. Returns X of shape (n_samples, 2 + n_task + n_noise), y, s (float).
    """
    rng = check_random_state(random_state)
    s = rng.normal(size=n_samples)
    x = s[:, None] * np.asarray(loadings)[None, :] + noise * rng.normal(size=(n_samples, 2))
    t, y = _target(rng, n_samples, n_task_features, label_noise)
    X = np.hstack([x, t, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def make_intersectional(
    n_samples=3000,
    *,
    rates=(0.5, 0.3),
    separation=1.5,
    n_task_features=2,
    n_noise_features=2,
    label_noise=0.5,
    random_state=None,
):
    """Two binary attributes a, b (shares ``rates``), s = column_stack([a, b]): 4 groups.

    Column 0 is ``separation * a``, column 1 ``separation * b``, column 2
    ``separation * (a xor b)``, each + N(0, 1): the interaction is readable too.
    y as in ``make_linear_groups``, independent of both. Returns X of shape
    (n_samples, 3 + n_task + n_noise), y, s of shape (n_samples, 2) (int).
    """
    rng = check_random_state(random_state)
    a = (rng.uniform(size=n_samples) < rates[0]).astype(int)
    b = (rng.uniform(size=n_samples) < rates[1]).astype(int)
    x = separation * np.column_stack([a, b, a ^ b]) + rng.normal(size=(n_samples, 3))
    t, y = _target(rng, n_samples, n_task_features, label_noise)
    X = np.hstack([x, t, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, np.column_stack([a, b])


def make_shared_column(n_samples=3000, *, separation=1.5, n_noise_features=2, random_state=None):
    """The target needs the column that carries s: x_0 = separation * s + e_0, y = 1[e_0 + t > 0].

    s is binary and only column 0 carries it; y depends on column 0's
    within-group noise e_0 and on one clean column t (both N(0, 1)), so y is
    independent of s, but a representation that hides s cannot keep all of
    e_0: invariance costs accuracy. Returns X of shape (n_samples, 2 + n_noise), y, s (0/1).
    """
    rng = check_random_state(random_state)
    s = _groups(rng, n_samples, np.ones(2))
    e0, t = rng.normal(size=n_samples), rng.normal(size=n_samples)
    y = (e0 + t > 0).astype(int)
    X = np.column_stack([separation * s + e0, t, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def make_circle(
    n_samples=4500,
    *,
    n_groups=3,
    radius=2.0,
    arc=2 * np.pi,
    direction=np.pi / 6,
    n_noise_features=4,
    random_state=None,
):
    """Issue 22's toy: group means on a circle of radius 2, y the sign of one direction of the noise.

    x_{0,1} = radius * (cos, sin)(arc * k / n_groups) + e with e ~ N(0, I_2)
    (``arc`` = 2 pi: evenly around the circle; less: on an arc of it);
    y = 1[e . (cos, sin)(direction) > 0] (independent of s); four distractor
    columns N(0, 1). The direction is measured from each group's mean, so the
    target needs the columns that carry s. 4,500 rows: 3,000 train, 1,500 held out.
    Returns X of shape (n_samples, 2 + n_noise), y, s (int).
    """
    rng = check_random_state(random_state)
    s = _groups(rng, n_samples, np.ones(n_groups))
    angles = arc * np.arange(n_groups) / n_groups
    means = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    e = rng.normal(size=(n_samples, 2))
    y = (e @ np.array([np.cos(direction), np.sin(direction)]) > 0).astype(int)
    X = np.hstack([means[s] + e, rng.normal(size=(n_samples, n_noise_features))])
    return X, y, s


def _encode_table(X, y, s, n_samples, random_state):
    """One-hot categorical columns, standardised numeric ones; y and s to int codes.

    The encoding is unsupervised and uses all rows (the categories and the
    numeric columns' mean and std); the runner splits afterwards. With
    ``n_samples``, a subsample stratified by y (drawn with ``random_state``).
    """
    if n_samples is not None and n_samples < len(X):
        rng = check_random_state(random_state)
        keep = np.sort(
            np.concatenate(
                [
                    rng.choice(
                        np.flatnonzero(np.asarray(y) == label),
                        int(round(n_samples * np.mean(np.asarray(y) == label))),
                        replace=False,
                    )
                    for label in np.unique(y)
                ]
            )
        )
        X, y, s = X.iloc[keep], np.asarray(y)[keep], np.asarray(s)[keep]
    numeric = X.select_dtypes(include="number").columns
    encoded = pd.get_dummies(
        X, columns=X.select_dtypes(exclude="number").columns.tolist(), dtype=float
    )
    encoded[numeric] = (encoded[numeric] - encoded[numeric].mean()) / encoded[numeric].std()
    s_codes = pd.factorize(pd.Series(np.asarray(s)), sort=True)[0]
    return encoded.to_numpy(dtype=float), np.asarray(y).astype(int), s_codes.astype(int)


def load_adult_task(n_samples=None, *, random_state=None):
    """UCI Adult (skinvariant.datasets.load_adult): income > 50K, s = sex (0 Female, 1 Male).

    All 30,162 rows, or a subsample of ``n_samples`` stratified by y. The
    splits (one per seed) are the runner's.
    """
    from skinvariant.datasets import load_adult

    return _encode_table(*load_adult(return_X_y_s=True), n_samples, random_state)


def load_german_task(n_samples=None, *, random_state=None):
    """German credit (skinvariant.datasets.load_german): good credit, s = age <= 25 (1000 rows)."""
    from skinvariant.datasets import load_german

    return _encode_table(*load_german(return_X_y_s=True), n_samples, random_state)


# name -> (generator, params, kind)
TASKS = {
    # 3 equal groups, s in 2 columns of its own, y independent (the project's blobs shape)
    "linear_3": (make_linear_groups, {"n_samples": 3000, "n_groups": 3}, "groups"),
    # 10 groups, s and y mixed into every column by a rotation
    "linear_10_mixed": (
        make_linear_groups,
        {"n_samples": 3000, "n_groups": 10, "n_sensitive_features": 3, "mix": True},
        "groups",
    ),
    # 80 / 15 / 5 % groups
    "unequal_5pct": (
        make_linear_groups,
        {"n_samples": 3000, "n_groups": 3, "group_weights": (0.80, 0.15, 0.05)},
        "groups",
    ),
    # 5 groups, mixed, 20 distractor columns
    "distractors_20": (
        make_linear_groups,
        {"n_samples": 3000, "n_groups": 5, "mix": True, "n_noise_features": 20},
        "groups",
    ),
    "sign_xor": (make_sign_pattern, {"n_samples": 3000}, "groups"),
    "rings_3": (make_rings, {"n_samples": 3000, "n_groups": 3}, "groups"),
    "correlated_y": (make_correlated_target, {"n_samples": 3000}, "groups"),
    "shared_column": (make_shared_column, {"n_samples": 3000}, "groups"),
    "continuous_s": (make_continuous, {"n_samples": 3000}, "continuous"),
    "intersectional": (make_intersectional, {"n_samples": 3000}, "intersectional"),
    "circle": (make_circle, {"n_samples": 4500}, "groups"),
    # the circle's sibling (added later; see the partition's comment): 4 group
    # means 45 degrees apart on a circle of radius 2.5, another direction, 2 distractors
    "arc_4": (
        make_circle,
        {
            "n_samples": 4500,
            "n_groups": 4,
            "radius": 2.5,
            "arc": np.pi,
            "direction": 2 * np.pi / 5,
            "n_noise_features": 2,
        },
        "groups",
    ),
    "adult": (load_adult_task, {}, "groups"),
    "german": (load_german_task, {}, "groups"),
}

TEST_SIZE = {name: (0.3 if name in ("adult", "german") else 1 / 3) for name in TASKS}

# The partition, fixed before any run of the suite. Each shape has a sibling on
# the other side, so what is tuned meets a new instance of every shape:
# * s linear, y independent: linear_3 (3 groups, own columns) tunes;
#   linear_10_mixed (10 groups, every column mixed) tests;
# * s only non-linearly readable: sign_xor tunes, rings_3 tests;
# * invariance must cost accuracy: correlated_y (y correlated with s) tunes;
#   shared_column (y independent of s but needs the column carrying s) and the
#   circle (issue 22's toy, the same need with 3 groups and distractors) test;
# * unusual groups: unequal_5pct (a 5 % group) and distractors_20 (wide, mixed)
#   tune; intersectional (a 2-D s) tests;
# * continuous_s tunes: only MINE and HSIC run on it, and what changes their
#   defaults must see a continuous s at least once;
# * German tunes and Adult tests: issue 22's headline targets are on Adult (DP
#   within 1 point of logistic regression on 3 splits), so Adult must be data
#   nobody tuned on; German (700 training rows, probes at the majority rate)
#   is small and cheap enough to tune on and too noisy to be a good test.
# The circle is in the test half because it is the evidence that the
# old defaults do not carry over: it must judge the new ones, not shape them.
# arc_4 was added to the tuning half on 2026-12-04, after the full test run
# had shown the circle failing for three estimators, and before any run of
# arc_4 itself: the circle's mechanism (y measured from the group's mean, with
# the groups spread in the same two columns) had no sibling among the tuning
# tasks (shared_column, its other instance, tests too), so no tuning run could
# see it. Its parameters differ from the circle's in every respect (4 groups
# 45 degrees apart on a circle of radius 2.5, the direction, 2 distractors)
# and were fixed before it was run.
TUNING_TASKS = (
    "linear_3",
    "sign_xor",
    "correlated_y",
    "unequal_5pct",
    "distractors_20",
    "continuous_s",
    "german",
    "arc_4",
)
TEST_TASKS = ("linear_10_mixed", "rings_3", "shared_column", "circle", "intersectional", "adult")


def group_codes_of(s):
    """Int codes 0..K-1 of a 1-D or 2-D (intersectional) group array."""
    s = np.asarray(s)
    if s.ndim == 1:
        return np.unique(s, return_inverse=True)[1]
    return np.unique(s, axis=0, return_inverse=True)[1].ravel()


def n_groups_of(s):
    """Number of (intersectional) groups in ``s``."""
    return int(group_codes_of(s).max()) + 1
