"""Measures of group fairness and of how much a representation reveals ``sensitive``.

Two families of measures live here:

* group-fairness measures of predictions (demographic parity, equalized odds,
  equal opportunity, worst-group accuracy), thin wrappers around
  :mod:`fairlearn.metrics`, plus :func:`make_fairness_scorer` to use them as
  ``scoring=`` in scikit-learn's model selection tools;
* invariance measures of a representation ``Z``: :func:`sensitive_leakage`
  (how well a fresh classifier reads ``sensitive`` from ``Z``),
  :func:`continuous_leakage` (its R^2 counterpart for a quantity) and
  :func:`conditional_entropy` (a probe-based estimate of H(s | z)).

:func:`fairness_report` gathers all of them for a fitted estimator.
Disentanglement measures of a representation against known generative factors
(:func:`mutual_information_gap`, :func:`separated_attribute_predictability`,
:func:`dci_disentanglement`) follow the definitions of disentanglement_lib.
"""

import inspect
import numbers
from contextlib import nullcontext

import numpy as np
import pandas as pd
import torch
from fairlearn import metrics as fairlearn_metrics
from scipy import stats
from sklearn.base import clone, is_regressor
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    mean_absolute_error,
    mutual_info_score,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils import Bunch, check_array, check_random_state, column_or_1d
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import type_of_target
from threadpoolctl import threadpool_limits

from skinvariant import kernels
from skinvariant._downstream import downstream_fairness
from skinvariant._validation import (
    as_frame,
    check_sensitive_aligned,
    continuous_columns,
    continuous_values,
    group_codes,
)

__all__ = [
    "FairnessScorer",
    "LeakageScorer",
    "conditional_entropy",
    "continuous_leakage",
    "dci_disentanglement",
    "demographic_parity_difference",
    "downstream_fairness",
    "equal_opportunity_difference",
    "equality_gap",
    "equalized_odds_difference",
    "fairness_report",
    "group_error_gap",
    "hsic",
    "make_fairness_scorer",
    "make_leakage_scorer",
    "make_mutual_information_scorer",
    "mmd",
    "mutual_information_gap",
    "parity_gap",
    "reattach_sensitive",
    "sensitive_leakage",
    "separated_attribute_predictability",
    "worst_group_accuracy",
    "worst_group_error",
]

_PROBABILITY_FLOOR = 1e-15
_CONTINUOUS_ADVICE = (
    "measure how much a representation reveals it with skinvariant.metrics.continuous_leakage"
)


# Group-fairness measures of predictions
# --------------------------------------


_LABELS_SHOWN = 10


def _default_pos_label(labels):
    """Return the positive label of a binary problem whose labels are ``labels``."""
    label_set = set(labels.tolist())
    if label_set <= {0, 1} or label_set <= {-1, 1}:
        return 1
    if len(labels) == 2:
        return labels[-1]
    shown = sorted(map(str, label_set))
    if len(shown) > _LABELS_SHOWN:
        shown = [*shown[:_LABELS_SHOWN], f"... {len(shown) - _LABELS_SHOWN} more"]
    raise ValueError(
        f"Binary fairness measures need two labels, got {len(label_set)}: {shown}; "
        "pass pos_label explicitly (every other label then counts as negative)."
    )


def _check_labels(name, labels):
    """Return ``labels`` as a 1-D array; refuse probabilities, scores and real targets.

    These measures compare predicted labels; a threshold on scores would be
    a choice the user must make, and every distinct score would otherwise be
    a label of its own.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(
            f"{name} has {labels.shape[1]} columns, like predict_proba's output; these "
            "measures compare predicted labels: pass the estimator's predict(X)."
        )
    labels = column_or_1d(labels)
    if labels.dtype.kind == "f" and type_of_target(labels) == "continuous":
        if name == "y_pred" and labels.min() >= 0 and labels.max() <= 1:
            looks_like = (
                "look like probabilities (e.g. predict_proba(X)[:, 1]); pass the "
                "estimator's predict(X), or choose the threshold yourself, e.g. "
                "(p >= 0.5).astype(int)"
            )
        else:
            looks_like = (
                "look like scores or a real-valued target; pass class labels, or "
                "for a regression target use group_error_gap or worst_group_error"
            )
        raise ValueError(f"{name} holds non-integer floats, which {looks_like}.")
    return labels


def _binarize(y_true, y_pred, pos_label):
    """Map ``y_true`` and ``y_pred`` to 0/1 arrays, 1 meaning ``pos_label``."""
    y_true, y_pred = _check_labels("y_true", y_true), _check_labels("y_pred", y_pred)
    if pos_label is None:
        pos_label = _default_pos_label(np.union1d(y_true, y_pred))
    return (y_true == pos_label).astype(int), (y_pred == pos_label).astype(int)


def _binary_group_difference(fairlearn_metric, y_true, y_pred, sensitive, pos_label):
    """Call a fairlearn group-difference metric on 0/1 labels, as a float."""
    true_positive, predicted_positive = _binarize(y_true, y_pred, pos_label)
    codes = _as_sensitive_features(sensitive, y_true, y_pred)
    return float(fairlearn_metric(true_positive, predicted_positive, sensitive_features=codes))


def _as_sensitive_features(sensitive, y_true, y_pred):
    """Group codes of ``sensitive``, checked against the labels, for fairlearn."""
    check_sensitive_aligned(sensitive, y_true=y_true, y_pred=y_pred)
    return group_codes(sensitive, len(np.asarray(y_true)), advice=_CONTINUOUS_ADVICE)[0]


def demographic_parity_difference(y_true, y_pred, *, sensitive, pos_label=None):
    """Largest gap in positive-prediction rate between groups.

    Wraps :func:`fairlearn.metrics.demographic_parity_difference`:
    ``max_a P(h(X)=1 | s=a) - min_a P(h(X)=1 | s=a)``. Lower is better; 0
    means every group receives positive predictions at the same rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (unused by this measure, kept for a uniform signature).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups (one
        group per unique row).
    pos_label : object, default=None
        The positive label. By default 1 when the labels are within {0, 1}
        (bools included) or {-1, 1}, otherwise the greater of the two labels
        (e.g. ``"yes"`` over ``"no"``), as in scikit-learn. With an explicit
        ``pos_label`` every other label counts as negative.

    Returns
    -------
    difference : float
        The demographic parity difference, in [0, 1].

    Examples
    --------
    >>> from skinvariant.metrics import demographic_parity_difference
    >>> demographic_parity_difference(
    ...     [0, 1, 0, 1], [1, 1, 0, 1], sensitive=["a", "a", "b", "b"]
    ... )
    0.5
    """
    return _binary_group_difference(
        fairlearn_metrics.demographic_parity_difference, y_true, y_pred, sensitive, pos_label
    )


def equalized_odds_difference(y_true, y_pred, *, sensitive, pos_label=None):
    """Largest between-group gap in true-positive or false-positive rate.

    Wraps :func:`fairlearn.metrics.equalized_odds_difference`: the larger of
    the between-group differences of true-positive rate and of false-positive
    rate. Lower is better; 0 means errors are distributed alike in every group.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups.
    pos_label : object, default=None
        The positive label; see :func:`demographic_parity_difference`.

    Returns
    -------
    difference : float
        The equalized odds difference, in [0, 1].

    Examples
    --------
    >>> from skinvariant.metrics import equalized_odds_difference
    >>> equalized_odds_difference(
    ...     ["no", "yes", "no", "yes"], ["no", "yes", "yes", "yes"],
    ...     sensitive=["a", "a", "b", "b"],
    ... )
    1.0
    """
    return _binary_group_difference(
        fairlearn_metrics.equalized_odds_difference, y_true, y_pred, sensitive, pos_label
    )


def equal_opportunity_difference(y_true, y_pred, *, sensitive, pos_label=None):
    """Largest gap in true-positive rate (recall) between groups.

    Wraps :func:`fairlearn.metrics.equal_opportunity_difference`:
    ``max_a P(h(X)=1 | y=1, s=a) - min_a P(h(X)=1 | y=1, s=a)``. Lower is
    better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups.
    pos_label : object, default=None
        The positive label; see :func:`demographic_parity_difference`.

    Returns
    -------
    difference : float
        The equal opportunity difference, in [0, 1].

    Examples
    --------
    >>> from skinvariant.metrics import equal_opportunity_difference
    >>> equal_opportunity_difference(
    ...     [1, 1, 1, 1], [1, 1, 1, 0], sensitive=["a", "a", "b", "b"]
    ... )
    0.5
    """
    return _binary_group_difference(
        fairlearn_metrics.equal_opportunity_difference, y_true, y_pred, sensitive, pos_label
    )


def parity_gap(y_true, y_pred, *, sensitive, pos_label=None):
    """Paper 004's parity gap ``|P(y_hat=1 | s=a) - P(y_hat=1 | s=b)|``.

    The same measure as :func:`demographic_parity_difference`, under the name
    of paper 004 (eq. 6), and computed by it: with more than two groups it is
    the largest gap between any two groups.

    Parameters
    ----------
    y_true, y_pred, sensitive, pos_label
        See :func:`demographic_parity_difference`.

    Returns
    -------
    gap : float
        In [0, 1]; lower is better.

    Examples
    --------
    >>> from skinvariant.metrics import parity_gap
    >>> parity_gap([0, 1, 0, 1], [1, 1, 0, 1], sensitive=["a", "a", "b", "b"])
    0.5
    """
    return demographic_parity_difference(y_true, y_pred, sensitive=sensitive, pos_label=pos_label)


def equality_gap(y_true, y_pred, *, sensitive, rate="tpr", pos_label=None):
    """Paper 004's equality gap: the between-group gap in true-positive (or true-negative) rate.

    With ``rate="tpr"`` it is ``|TPR_a - TPR_b|`` (paper 004 eq. 5), the same
    measure as :func:`equal_opportunity_difference` and computed by it. With
    ``rate="tnr"`` it is its twin ``|TNR_a - TNR_b|``, computed by
    :func:`fairlearn.metrics.true_negative_rate_difference`. With more than
    two groups either is the largest gap between any two groups.

    Parameters
    ----------
    y_true, y_pred, sensitive, pos_label
        See :func:`demographic_parity_difference`.
    rate : {"tpr", "tnr"}, default="tpr"
        Compare true-positive rates (recall of the positives) or
        true-negative rates (recall of the negatives).

    Returns
    -------
    gap : float
        In [0, 1]; lower is better.

    Examples
    --------
    >>> from skinvariant.metrics import equality_gap
    >>> y_true, y_pred, s = [1, 0, 1, 0], [1, 0, 0, 1], ["a", "a", "b", "b"]
    >>> equality_gap(y_true, y_pred, sensitive=s), equality_gap(y_true, y_pred, sensitive=s, rate="tnr")
    (1.0, 1.0)
    """
    if rate == "tpr":
        return equal_opportunity_difference(
            y_true, y_pred, sensitive=sensitive, pos_label=pos_label
        )
    if rate == "tnr":
        return _binary_group_difference(
            fairlearn_metrics.true_negative_rate_difference, y_true, y_pred, sensitive, pos_label
        )
    raise ValueError(f"rate must be 'tpr' or 'tnr'; got {rate!r}.")


def worst_group_accuracy(y_true, y_pred, *, sensitive):
    """Accuracy of the group on which the predictions are least accurate.

    Computed with :class:`fairlearn.metrics.MetricFrame` over
    :func:`sklearn.metrics.accuracy_score` (``.group_min()``). Higher is
    better. Labels may be of any type and number of classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups.

    Returns
    -------
    accuracy : float
        The smallest per-group accuracy, in [0, 1].

    Examples
    --------
    >>> from skinvariant.metrics import worst_group_accuracy
    >>> worst_group_accuracy(
    ...     ["x", "y", "x", "y"], ["x", "y", "x", "x"], sensitive=[0, 0, 1, 1]
    ... )
    0.5
    """
    frame = fairlearn_metrics.MetricFrame(
        metrics=accuracy_score,
        y_true=_check_labels("y_true", y_true),
        y_pred=_check_labels("y_pred", y_pred),
        sensitive_features=_as_sensitive_features(sensitive, y_true, y_pred),
    )
    return float(frame.group_min())


# Invariance measures of a representation
# ---------------------------------------


def _default_probe(random_state):
    """Return the classifier that reads ``sensitive`` from a representation.

    Gradient-boosted trees read non-linear leakage (interactions such as XOR,
    radial boundaries) without feature scaling and fit 20k x 20 in about a
    second on one thread; early stopping on a validation split keeps their
    probabilities calibrated enough for a cross-entropy, so an independent
    ``Z`` scores close to log K instead of overfitting noise. An MLP reads
    oblique boundaries slightly better but is several times slower.
    """
    return HistGradientBoostingClassifier(early_stopping=True, random_state=random_state)


def _default_probes(random_state):
    """The fresh probes of :func:`sensitive_leakage`, whose strongest reading is reported.

    A linear model reads linear leakage, boosted trees read interactions and
    radial boundaries without scaling, an MLP reads oblique non-linear
    boundaries: each misses what another reads.

    The MLP's early stopping waits 20 epochs (scikit-learn's default is 10)
    at a learning rate of 3e-3 (default 1e-3): on a representation whose
    leakage is non-linear, validation accuracy stays at chance for the first
    epochs, and with the defaults the probe stopped there. Measured on
    IIDM's representation of the 3-group blobs (1,050 rows, chance 0.33):
    0.37 with the defaults, 0.70-0.73 with these settings or without early
    stopping, which costs several times as long.
    """
    return {
        "linear": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "boosting": _default_probe(random_state),
        "mlp": make_pipeline(StandardScaler(), _mlp_probe(MLPClassifier, random_state)),
    }


def _mlp_probe(mlp_class, random_state):
    """The MLP probe: two hidden layers of 64, early stopping with patience (see above)."""
    return mlp_class(
        hidden_layer_sizes=(64, 64),
        learning_rate_init=3e-3,
        early_stopping=True,
        n_iter_no_change=20,
        max_iter=300,
        random_state=random_state,
    )


def _default_regression_probes(random_state):
    """The fresh regressors of :func:`continuous_leakage`, strongest reported."""
    return {
        "linear": make_pipeline(StandardScaler(), RidgeCV()),
        "boosting": HistGradientBoostingRegressor(early_stopping=True, random_state=random_state),
        "mlp": make_pipeline(StandardScaler(), _mlp_probe(MLPRegressor, random_state)),
    }


def _probe_threads(probe):
    """Context limiting the default probes to one thread.

    The default probe's many short parallel regions make it orders of
    magnitude slower when other processes share the CPUs (measured on two
    cores shared with other jobs: 0.04 s with one thread, 42 s with two),
    while one thread is fast enough for the size of a test set. A user's
    ``probe`` runs with the threads it asks for.
    """
    if probe is None:
        return threadpool_limits(limits=1)
    return nullcontext()


def _split_groups(Z, sensitive, test_size, random_state):
    """Split ``Z`` and the group codes of ``sensitive``, stratified by group.

    Returns
    -------
    Z_train, Z_test, codes_train, codes_test : ndarray
    n_groups : int
    """
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    codes, n_groups = _group_codes(sensitive, len(Z))
    return (
        *train_test_split(Z, codes, test_size=test_size, stratify=codes, random_state=random_state),
        n_groups,
    )


def _group_codes(sensitive, n_samples):
    """Group codes of ``sensitive`` and the number of groups, which must be at least two."""
    codes, groups = group_codes(sensitive, n_samples, advice=_CONTINUOUS_ADVICE)
    if len(groups) < 2:
        raise ValueError(
            f"sensitive holds a single group ({groups[0]!r}); leakage and conditional "
            "entropy need at least two groups."
        )
    return codes, len(groups)


def _check_held_out(held_out):
    """Return ``(Z_test, sensitive_test)`` from ``held_out``, or raise naming the argument."""
    if not (isinstance(held_out, (tuple, list)) and len(held_out) == 2):
        raise TypeError(
            "held_out must be a pair (Z_test, sensitive_test): the held-out rows' "
            f"representation and attribute; got {type(held_out).__name__}."
        )
    Z_test, sensitive_test = held_out
    check_sensitive_aligned(sensitive_test, Z=Z_test)
    return check_array(Z_test, input_name="held_out[0]"), sensitive_test


def _stacked(first, second):
    """The rows of two array-likes of labels or values, one after the other."""
    first, second = as_frame(first), as_frame(second)
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"held_out[1] has {second.shape[1]} attribute column(s) where "
            f"sensitive has {first.shape[1]}."
        )
    return pd.concat([first, second.set_axis(first.columns, axis=1)], ignore_index=True)


def _held_out_groups(Z, sensitive, held_out):
    """Codes of the training rows ``Z`` and of the ``held_out`` rows, encoded together."""
    check_sensitive_aligned(sensitive, Z=Z)
    Z_train = check_array(Z, ensure_min_samples=2)
    Z_test, sensitive_test = _check_held_out(held_out)
    if Z_test.shape[1] != Z_train.shape[1]:
        raise ValueError(
            f"held_out[0] has {Z_test.shape[1]} columns where Z has "
            f"{Z_train.shape[1]}: give the same representation of other rows."
        )
    codes, n_groups = _group_codes(_stacked(sensitive, sensitive_test), len(Z_train) + len(Z_test))
    codes_train, codes_test = codes[: len(Z_train)], codes[len(Z_train) :]
    for part, part_codes in (("Z", codes_train), ("held_out", codes_test)):
        if len(np.unique(part_codes)) < n_groups:
            raise ValueError(
                f"some group of sensitive has no row in {part}: every group "
                "must appear among the probes' training rows and the held-out rows."
            )
    return Z_train, Z_test, codes_train, codes_test, n_groups


def _probe_reading(probe, Z_train, Z_test, codes_train, codes_test, n_groups):
    """Accuracy, balanced accuracy and AUC of a fresh clone of ``probe`` on the held-out rows."""
    fitted = clone(probe).fit(Z_train, codes_train)
    predicted = fitted.predict(Z_test)
    auc = np.nan
    if hasattr(fitted, "predict_proba"):
        probabilities = fitted.predict_proba(Z_test)
        auc = (
            roc_auc_score(codes_test, probabilities[:, 1])
            if n_groups == 2
            else roc_auc_score(
                codes_test, probabilities, multi_class="ovr", labels=np.arange(n_groups)
            )
        )
    return {
        "accuracy": float(accuracy_score(codes_test, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(codes_test, predicted)),
        "auc": float(auc),
    }


def sensitive_leakage(Z, sensitive, *, held_out=None, probe=None, test_size=0.3, random_state=0):
    """How well a fresh classifier reads ``sensitive`` from a representation ``Z``.

    The rows are split, stratified by group; fresh probes learn to predict
    the group from ``Z`` on the training part and are evaluated on the
    held-out part. With ``held_out``, the probes learn from all of ``Z`` and
    are evaluated on the rows given there: pass the estimator's training
    rows as ``Z`` and test rows as ``held_out``, as an attacker who holds the
    training data would; this gives the probes the most rows to learn from. By default three probes read it (a logistic regression,
    gradient-boosted trees and an MLP, the last two non-linear) and the
    strongest, by balanced accuracy, is reported: a representation is only
    as invariant as the best reader says. An invariant representation gives
    an accuracy close to ``majority_rate``, a balanced accuracy close to
    ``chance_balanced_accuracy`` and an AUC close to 0.5.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups. Every
        group needs at least 2 samples.
    held_out : tuple of (array-like, array-like), default=None
        ``(Z_test, sensitive_test)``: rows to evaluate the probes on, which
        then learn from all of ``Z``. Every group must appear in both.
    probe : classifier, default=None
        One unfitted classifier to use instead of the three default probes;
        it is cloned. A weak probe underestimates leakage.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation; unused with
        ``held_out``.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probes.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys ``accuracy``, ``balanced_accuracy`` and ``auc`` (one-vs-rest
        for more than two groups; NaN for a probe without ``predict_proba``)
        of the strongest probe on the held-out rows, ``probe`` (its name:
        ``"linear"``, ``"boosting"``, ``"mlp"``, or ``"probe"`` for yours),
        ``per_probe`` (the same three numbers for every probe),
        ``majority_rate`` (share of the largest group among the held-out
        rows: the accuracy of always guessing it), ``chance_balanced_accuracy``
        (1 / n_groups) and ``n_groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import sensitive_leakage
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 1000)
    >>> noise = rng.normal(size=(1000, 2))
    >>> leaky = np.column_stack([s + 0.1 * noise[:, 0], noise[:, 1]])
    >>> sensitive_leakage(leaky, s).accuracy > 0.95
    True
    """
    Z_train, Z_test, codes_train, codes_test, n_groups = (
        _split_groups(Z, sensitive, test_size, random_state)
        if held_out is None
        else _held_out_groups(Z, sensitive, held_out)
    )
    probes = _default_probes(random_state) if probe is None else {"probe": probe}
    with _probe_threads(probe):
        per_probe = {
            name: _probe_reading(candidate, Z_train, Z_test, codes_train, codes_test, n_groups)
            for name, candidate in probes.items()
        }
    strongest = max(per_probe, key=lambda name: per_probe[name]["balanced_accuracy"])
    return Bunch(
        **per_probe[strongest],
        probe=strongest,
        per_probe=per_probe,
        majority_rate=float(np.bincount(codes_test).max() / len(codes_test)),
        chance_balanced_accuracy=1 / n_groups,
        n_groups=n_groups,
    )


def continuous_leakage(Z, sensitive, *, held_out=None, probe=None, test_size=0.3, random_state=0):
    """How well a fresh regressor reads a continuous ``sensitive`` from ``Z``: held-out R^2.

    The counterpart of :func:`sensitive_leakage` for a quantity (age,
    income, a colour), as :class:`~skinvariant.MINEDebiasedClassifier` accepts.
    For each column of ``sensitive``, a clone of ``probe`` learns it from ``Z``
    on part of the rows; its coefficient of determination on the held-out rows
    is reported. An invariant representation scores about 0 (or below); 1
    means ``Z`` determines the attribute. With ``held_out``, the probes learn
    from all of ``Z`` and are evaluated on the rows given there.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Numeric attribute values; one probe per column.
    held_out : tuple of (array-like, array-like), default=None
        ``(Z_test, sensitive_test)``: rows to evaluate the probes on, which
        then learn from all of ``Z``.
    probe : regressor, default=None
        One unfitted regressor to use instead of the three default probes (a
        ridge regression, gradient-boosted trees and an MLP, whose strongest
        reading is reported); it is cloned.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation; unused with
        ``held_out``.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probes.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``r2`` (the mean over attributes) and ``r2_per_attribute`` (ndarray
        of shape (n_attributes,)) of the strongest probe, ``probe`` (its
        name) and ``per_probe`` (each probe's mean R^2).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import continuous_leakage
    >>> rng = np.random.default_rng(0)
    >>> age = rng.normal(40, 10, 1000)
    >>> leaky = np.column_stack([age / 10 + 0.1 * rng.normal(size=1000), rng.normal(size=1000)])
    >>> continuous_leakage(leaky, age).r2 > 0.9
    True
    """
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    if held_out is None:
        values = continuous_values(sensitive, len(Z), advice="use sensitive_leakage")
        Z_train, Z_test, values_train, values_test = train_test_split(
            Z, values, test_size=test_size, random_state=random_state
        )
    else:
        Z_train, (Z_test, sensitive_test) = Z, _check_held_out(held_out)
        values_train = continuous_values(sensitive, len(Z), advice="use sensitive_leakage")
        values_test = continuous_values(sensitive_test, len(Z_test), advice="use sensitive_leakage")
        if values_test.shape[1] != values_train.shape[1] or Z_test.shape[1] != Z.shape[1]:
            raise ValueError(
                "held_out must hold the same representation columns and "
                "attribute columns as Z and sensitive."
            )
    probes = _default_regression_probes(random_state) if probe is None else {"probe": probe}
    with _probe_threads(probe):
        per_probe = {
            name: np.array(
                [
                    r2_score(
                        values_test[:, column],
                        clone(candidate).fit(Z_train, values_train[:, column]).predict(Z_test),
                    )
                    for column in range(values_train.shape[1])
                ]
            )
            for name, candidate in probes.items()
        }
    strongest = max(per_probe, key=lambda name: per_probe[name].mean())
    return Bunch(
        r2=float(per_probe[strongest].mean()),
        r2_per_attribute=per_probe[strongest],
        probe=strongest,
        per_probe={name: float(scores.mean()) for name, scores in per_probe.items()},
    )


def reattach_sensitive(Z, y, sensitive):
    """Measure how much ``sensitive`` would drive a decision on ``Z`` once added back.

    Paper 004's re-attachment (Fig. 4). The representation is reduced to one
    linear combination ``r`` (the standardised decision function of a
    logistic regression of ``y`` on ``Z``). A linear unit
    ``y_hat = sigmoid(w_r r + w_z . s + b)`` is then fitted on ``r`` and
    indicators of the groups (the first group is the reference). Where ``r``
    is independent of the group, the weights compare directly: ``|w_z|``
    large against ``|w_r|`` means the attribute itself would carry much of
    the decision.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        A representation, e.g. an estimator's ``transform(X)``.
    y : array-like of shape (n_samples,)
        Binary labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``w_r`` (float, per standard deviation of ``r``), ``w_z`` (ndarray
        of shape (n_groups - 1,), log-odds shift of each group against
        ``reference_group``), ``intercept``, ``groups`` (the groups of
        ``w_z``), ``reference_group``, ``accuracy_without_sensitive`` (the
        unit on ``r`` alone), ``accuracy_with_sensitive`` (on ``r`` and the
        groups), and ``r`` itself, e.g. to plot its histogram per group.
        Accuracies are on the rows given.
    """
    check_sensitive_aligned(sensitive, Z=Z, y=y)
    y = column_or_1d(y)
    if type_of_target(y) != "binary":
        raise ValueError(
            "reattach_sensitive fits one linear unit and needs a binary y; "
            f"got a {type_of_target(y)} target."
        )
    Z = check_array(Z)
    codes, groups = group_codes(sensitive, len(Z), advice=_CONTINUOUS_ADVICE)
    combination = LogisticRegression().fit(Z, y).decision_function(Z)
    r = ((combination - combination.mean()) / (combination.std() + 1e-12))[:, None]
    with_sensitive = np.hstack([r, np.eye(len(groups))[codes][:, 1:]])
    unit = LogisticRegression().fit(with_sensitive, y)
    return Bunch(
        w_r=float(unit.coef_[0, 0]),
        w_z=unit.coef_[0, 1:],
        intercept=float(unit.intercept_[0]),
        groups=list(groups[1:]),
        reference_group=groups[0],
        accuracy_without_sensitive=LogisticRegression().fit(r, y).score(r, y),
        accuracy_with_sensitive=unit.score(with_sensitive, y),
        r=r[:, 0],
    )


def _kernel_rows(Z, sensitive, max_samples, random_state):
    """``Z`` as a float64 tensor and its row indices, subsampled to ``max_samples`` rows."""
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    rows = np.arange(len(Z))
    if len(Z) > max_samples:
        rows = np.sort(check_random_state(random_state).choice(len(Z), max_samples, replace=False))
    return torch.as_tensor(Z[rows], dtype=torch.float64), rows, len(Z)


def hsic(Z, sensitive, *, normalize=True, max_samples=5000, random_state=0):
    """Kernel dependence between a representation ``Z`` and ``sensitive``, without a probe.

    The Hilbert-Schmidt independence criterion (Gretton et al. 2005) with a
    Gaussian kernel on the standardised columns of ``Z`` (median-heuristic
    bandwidth, so rescaling ``Z`` changes nothing) and, for ``sensitive``, a
    delta kernel on group labels (intersectional for 2-D) or a Gaussian
    kernel on a continuous attribute. It is 0 when ``Z`` and ``sensitive``
    are independent; the normalised form is at most 1.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels, or numeric values with non-integer floats (continuous).
    normalize : bool, default=True
        Divide by ``sqrt(HSIC(Z, Z) HSIC(s, s))``.
    max_samples : int, default=5000
        Rows used at most (a random subset above it): memory grows as its square.
    random_state : int, RandomState instance or None, default=0
        Seed of the subset.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import hsic
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 500)
    >>> hsic(rng.normal(size=(500, 2)), s) < 0.05 < hsic(s[:, None] + rng.normal(size=(500, 1)), s)
    True
    """
    Z, rows, n_samples = _kernel_rows(Z, sensitive, max_samples, random_state)
    if continuous_columns(sensitive):
        values = continuous_values(sensitive, n_samples, advice="pass group labels")[rows]
        L = kernels.gaussian_kernel(torch.as_tensor(values, dtype=torch.float64))
    else:
        codes, groups = group_codes(sensitive, n_samples, advice=_CONTINUOUS_ADVICE)
        L = kernels.delta_kernel(torch.as_tensor(codes[rows]), len(groups)).double()
    K = kernels.gaussian_kernel(Z)
    statistic = kernels.normalized_hsic(K, L) if normalize else kernels.hsic(K, L)
    return float(statistic)


def mmd(Z, sensitive, *, max_samples=5000, random_state=0):
    """Squared maximum mean discrepancy between each group's ``Z`` and all of ``Z``, averaged.

    A kernel two-sample statistic without a probe: 0 when every group's
    representation has the same distribution. Gaussian kernel on the
    standardised columns of ``Z`` with a median-heuristic bandwidth, so
    rescaling ``Z`` changes nothing.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels (intersectional for 2-D).
    max_samples : int, default=5000
        Rows used at most (a random subset above it).
    random_state : int, RandomState instance or None, default=0
        Seed of the subset.

    Returns
    -------
    float
    """
    Z, rows, n_samples = _kernel_rows(Z, sensitive, max_samples, random_state)
    codes, groups = group_codes(sensitive, n_samples, advice=_CONTINUOUS_ADVICE)
    K = kernels.gaussian_kernel(Z)
    return float(kernels.maximum_mean_discrepancy(K, torch.as_tensor(codes[rows]), len(groups)))


def _true_group_probabilities(probe, Z_test, codes_test, n_groups):
    """Probability the probe assigns to each held-out row's true group."""
    probabilities = np.zeros((len(codes_test), n_groups))
    probabilities[:, probe.classes_] = probe.predict_proba(Z_test)
    return probabilities[np.arange(len(codes_test)), codes_test]


def conditional_entropy(Z, sensitive, *, probe=None, test_size=0.3, random_state=0):
    """Probe estimate of the conditional entropy H(s | z), in nats.

    The post-hoc measure used by Iwasawa et al. (IJCAI 2020) to evaluate
    invariant representations: a fresh classifier learns ``P(s | z)`` on part
    of the rows, and its cross-entropy on the held-out rows estimates
    H(s | z). It is compared with H(s), the cross-entropy of guessing each
    held-out row's group from the training rows' group shares alone.

    H(s | z) = H(s) if and only if ``z`` is independent of ``s`` (perfect
    invariance), and 0 when ``z`` determines ``s``; with uniform groups H(s)
    is the maximum ``log(n_groups)``. The
    cross-entropy is an upper bound of the true H(s | z), tight up to how well
    the probe fits: a weak probe overestimates invariance, hence the strong
    default probe (the same as :func:`sensitive_leakage`). Predicted
    probabilities are clipped at 1e-15 so a confident mistake costs a finite
    34.5 nats. A ratio slightly above 1 means the probe found nothing and
    overfit noise.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups. Every
        group needs at least 2 samples.
    probe : classifier with ``predict_proba``, default=None
        Unfitted classifier used as the adversary; it is cloned. Default: see
        :func:`sensitive_leakage`.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probe.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys ``entropy`` (held-out cross-entropy, natural log),
        ``marginal_entropy`` (H(s) as above), ``max_entropy`` (log K, the
        normaliser of Iwasawa et al.'s figures, reached by uniform groups) and
        ``ratio`` (entropy / marginal_entropy: near 1 for an invariant ``Z``
        whatever the group sizes, near 0 for one that reveals ``s``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import conditional_entropy
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 1000)
    >>> conditional_entropy(rng.normal(size=(1000, 3)), s).ratio > 0.9
    True
    """
    with _probe_threads(probe):
        Z_train, Z_test, codes_train, codes_test, n_groups = _split_groups(
            Z, sensitive, test_size, random_state
        )
        fitted = clone(_default_probe(random_state) if probe is None else probe)
        fitted.fit(Z_train, codes_train)
        probabilities = _true_group_probabilities(fitted, Z_test, codes_test, n_groups)
    entropy = _cross_entropy(probabilities)
    shares = np.bincount(codes_train, minlength=n_groups) / len(codes_train)
    marginal_entropy = _cross_entropy(shares[codes_test])
    return Bunch(
        entropy=entropy,
        marginal_entropy=marginal_entropy,
        max_entropy=float(np.log(n_groups)),
        ratio=entropy / marginal_entropy,
    )


def _cross_entropy(probabilities):
    """Mean negative log of the probabilities given to the true groups, clipped at 1e-15."""
    return float(-np.mean(np.log(np.clip(probabilities, _PROBABILITY_FLOOR, 1.0))))


# Scorers for model selection
# ---------------------------

_FAIRNESS_MEASURES = {
    "demographic_parity_difference": (demographic_parity_difference, False),
    "equalized_odds_difference": (equalized_odds_difference, False),
    "equal_opportunity_difference": (equal_opportunity_difference, False),
    "worst_group_accuracy": (worst_group_accuracy, True),
    "parity_gap": (parity_gap, False),
    "equality_gap": (equality_gap, False),
}


def _check_metric_kwargs(metric, kwargs):
    """Refuse keywords that ``metric(y_true, y_pred, *, sensitive, ...)`` does not accept."""
    try:
        parameters = list(inspect.signature(metric).parameters.values())
    except (TypeError, ValueError):  # no signature to read (e.g. some builtins)
        return
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return
    accepted = [
        parameter.name
        for parameter in parameters[2:]
        if parameter.name != "sensitive"
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        name = getattr(metric, "__name__", repr(metric))
        raise TypeError(
            f"{name} got unexpected keyword arguments {unknown}; it accepts "
            f"{accepted or 'none besides y_true, y_pred and sensitive'}."
        )


class FairnessScorer:
    """Scorer of a fairness measure that receives ``sensitive`` by metadata routing.

    Called as ``scorer(estimator, X, y_true, sensitive=...)``, it returns
    ``metric(y_true, estimator.predict(X), sensitive=sensitive)``, negated
    when ``greater_is_better`` is False. Its
    :meth:`get_metadata_routing` always requests ``sensitive`` for ``score``,
    so once ``sklearn.set_config(enable_metadata_routing=True)`` is set,
    :class:`~sklearn.model_selection.GridSearchCV`, ``cross_validate`` and
    friends pass each fold's slice of ``sensitive`` to it. Usually built with
    :func:`make_fairness_scorer`.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred, *, sensitive, **metric_kwargs) -> float``.
    greater_is_better : bool
        If False, the scorer returns the negated measure, following
        scikit-learn's convention that a greater score is better.
    metric_kwargs : dict, default=None
        Extra keyword arguments of ``metric`` (e.g. ``{"pos_label": "yes"}``).

    Raises
    ------
    TypeError
        If ``metric_kwargs`` names a keyword that ``metric`` does not accept.

    Attributes
    ----------
    name : str
        The measure's name, prefixed with ``neg_`` when negated.
    """

    def __init__(self, metric, *, greater_is_better, metric_kwargs=None):
        self.metric = metric
        self.greater_is_better = greater_is_better
        self.metric_kwargs = {} if metric_kwargs is None else dict(metric_kwargs)
        _check_metric_kwargs(metric, self.metric_kwargs)

    @property
    def name(self):
        """The measure's name, prefixed with ``neg_`` when the score is negated."""
        prefix = "" if self.greater_is_better else "neg_"
        return prefix + getattr(self.metric, "__name__", type(self.metric).__name__)

    def __call__(self, estimator, X, y_true, sensitive=None):
        """Score ``estimator.predict(X)`` against ``y_true`` and ``sensitive``.

        Parameters
        ----------
        estimator : fitted estimator with ``predict``
            The model to evaluate.
        X : array-like of shape (n_samples, n_features)
            Input samples.
        y_true : array-like of shape (n_samples,)
            True labels.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Group labels of the rows of ``X``; required.

        Returns
        -------
        score : float
            The measure, negated if ``greater_is_better`` is False.

        Raises
        ------
        ValueError
            If ``sensitive`` is missing, which is what happens inside
            scikit-learn's model selection tools when metadata routing is off.
        """
        if sensitive is None:
            raise ValueError(
                f"{self!r} needs the sensitive attribute of the scored rows, but got "
                "sensitive=None. With metadata routing off, scikit-learn cannot pass "
                "sensitive to scorers: enable it with "
                "sklearn.set_config(enable_metadata_routing=True) and pass sensitive "
                "to the tool, e.g. GridSearchCV(...).fit(X, y, sensitive=s) or "
                "cross_validate(..., params={'sensitive': s})."
            )
        check_sensitive_aligned(sensitive, X=X, y_true=y_true)
        score = self._measure(estimator, X, y_true, sensitive)
        return score if self.greater_is_better else -score

    def _measure(self, estimator, X, y_true, sensitive):
        """The measure of ``estimator`` on the scored rows."""
        return self.metric(y_true, estimator.predict(X), sensitive=sensitive, **self.metric_kwargs)

    def get_metadata_routing(self):
        """Return the metadata this scorer requests: ``sensitive`` for ``score``.

        Returns
        -------
        request : :class:`~sklearn.utils.metadata_routing.MetadataRequest`
            A request that routes ``sensitive`` to the scorer's call.
        """
        request = MetadataRequest(owner=self.name)
        request.score.add_request(param="sensitive", alias=True)
        return request

    def __repr__(self):
        arguments = [repr(self.name)]
        arguments += [f"{key}={value!r}" for key, value in self.metric_kwargs.items()]
        return f"{type(self).__name__}({', '.join(arguments)})"


class LeakageScorer(FairnessScorer):
    """Scorer of how well fresh probes read ``sensitive`` from ``estimator.transform(X)``.

    On each scored fold, :func:`sensitive_leakage` trains its probes on part
    of the fold's representation and reads the rest; the score is minus the
    strongest probe's ``measure``, so that ``GridSearchCV`` can choose
    ``lam`` by it (e.g. ``refit`` on the most accurate model whose leakage
    stays below a threshold). ``sensitive`` arrives by metadata routing, as
    for :class:`FairnessScorer`. Usually built with :func:`make_leakage_scorer`.

    Parameters
    ----------
    measure : {"balanced_accuracy", "accuracy", "auc"}, default="balanced_accuracy"
        The reading of the strongest probe that is scored.
    leakage_kwargs : dict, default=None
        Keyword arguments of :func:`sensitive_leakage` (``probe``,
        ``test_size``, ``random_state``).
    """

    def __init__(self, measure="balanced_accuracy", leakage_kwargs=None):
        if measure not in LEAKAGE_MEASURES:
            raise ValueError(f"measure must be one of {LEAKAGE_MEASURES}; got {measure!r}.")
        super().__init__(sensitive_leakage, greater_is_better=False, metric_kwargs=leakage_kwargs)
        self.measure = measure

    @property
    def name(self):
        """``neg_leakage_<measure>``."""
        return f"neg_leakage_{self.measure}"

    def _measure(self, estimator, X, y_true, sensitive):
        leakage = sensitive_leakage(estimator.transform(X), sensitive, **self.metric_kwargs)
        return leakage[self.measure]


LEAKAGE_MEASURES = ("balanced_accuracy", "accuracy", "auc")


def make_leakage_scorer(measure="balanced_accuracy", **kwargs):
    """Make a scorer of the leakage of ``transform(X)`` for ``scoring=`` in model selection.

    See :class:`LeakageScorer`. Enable metadata routing and pass
    ``sensitive`` to the tool, as for :func:`make_fairness_scorer`.

    Parameters
    ----------
    measure : {"balanced_accuracy", "accuracy", "auc"}, default="balanced_accuracy"
        The strongest probe's reading that is scored (negated: greater is better).
    **kwargs
        Keyword arguments of :func:`sensitive_leakage`.

    Returns
    -------
    LeakageScorer

    Examples
    --------
    >>> from skinvariant.metrics import make_leakage_scorer
    >>> make_leakage_scorer("auc")
    LeakageScorer('neg_leakage_auc')
    """
    return LeakageScorer(measure, leakage_kwargs=kwargs)


def make_fairness_scorer(name, *, greater_is_better=None, **kwargs):
    """Make a scorer of a fairness measure for ``scoring=`` in model selection.

    The scorer computes the measure of ``estimator.predict(X)`` against ``y``
    and the fold's ``sensitive``, which scikit-learn passes through metadata
    routing. Enable routing (``sklearn.set_config(enable_metadata_routing=True)``,
    before or after building the scorer) and pass ``sensitive`` to the tool::

        GridSearchCV(model, grid, scoring=scorer).fit(X, y, sensitive=s)
        cross_validate(model, X, y, scoring=scorer, params={"sensitive": s})

    The scorer requests ``sensitive`` itself; this function does not change the
    global configuration. With routing off, the scorer never receives
    ``sensitive`` and raises a ``ValueError``.

    Parameters
    ----------
    name : str or callable
        One of ``"demographic_parity_difference"``, ``"equalized_odds_difference"``,
        ``"equal_opportunity_difference"``, ``"worst_group_accuracy"``,
        ``"parity_gap"``, ``"equality_gap"`` (paper 004's names),
        ``"group_error_gap"``, ``"worst_group_error"`` (for regressors), or a
        callable ``metric(y_true, y_pred, *, sensitive, **kwargs) -> float``.
    greater_is_better : bool, default=None
        Whether a greater measure is better. The differences are lower-is-better,
        so by default their scorer returns the negated difference (named
        ``neg_<name>``, like scikit-learn's ``neg_*`` scorers) and the best model
        has the greatest score; ``worst_group_accuracy`` defaults to True.
        Required for a callable ``name``.
    **kwargs
        Extra keyword arguments of the measure, e.g. ``pos_label="yes"``.

    Returns
    -------
    scorer : FairnessScorer
        A picklable callable ``scorer(estimator, X, y_true, sensitive=...)``.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skinvariant.metrics import make_fairness_scorer
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> s = (X[:, 0] > 0).astype(int)
    >>> scorer = make_fairness_scorer("demographic_parity_difference")
    >>> scorer
    FairnessScorer('neg_demographic_parity_difference')
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scores = cross_validate(
    ...         LogisticRegression(), X, y, scoring=scorer, params={"sensitive": s}
    ...     )
    >>> bool((scores["test_score"] <= 0).all())
    True
    """
    if callable(name):
        if greater_is_better is None:
            raise ValueError(
                "Pass greater_is_better=True or False with a callable measure: is a "
                f"greater {getattr(name, '__name__', name)} a better model?"
            )
        return FairnessScorer(name, greater_is_better=greater_is_better, metric_kwargs=kwargs)
    if name not in _FAIRNESS_MEASURES:
        raise ValueError(
            f"Unknown fairness measure {name!r}; use one of "
            f"{sorted(_FAIRNESS_MEASURES)} or a callable "
            "metric(y_true, y_pred, *, sensitive)."
        )
    metric, default_greater_is_better = _FAIRNESS_MEASURES[name]
    if greater_is_better is None:
        greater_is_better = default_greater_is_better
    return FairnessScorer(metric, greater_is_better=greater_is_better, metric_kwargs=kwargs)


# Report
# ------

_DESCRIPTIONS = {
    "accuracy": "share of correct predictions",
    "demographic_parity_difference": "largest gap in positive-prediction rate "
    "between groups (lower is better)",
    "equalized_odds_difference": "largest gap in true- or false-positive rate "
    "between groups (lower is better)",
    "equal_opportunity_difference": "largest gap in true-positive rate between "
    "groups (lower is better)",
    "worst_group_accuracy": "accuracy of the least accurate group (higher is better)",
    "leakage_accuracy": "accuracy of the strongest of three fresh probes predicting "
    "sensitive from transform(X) (lower is better; compare with leakage_majority_rate)",
    "leakage_balanced_accuracy": "balanced accuracy of that probe (chance is 1 / n_groups)",
    "leakage_auc": "ROC AUC of that probe (0.5 is chance)",
    "leakage_majority_rate": "accuracy of always guessing the largest group",
    "conditional_entropy_ratio": "probe estimate of H(s | z) / H(s) (1 means the "
    "probe reads nothing of s beyond the group sizes, 0 means z reveals s)",
}


def _prediction_measures(y, y_pred, sensitive, pos_label):
    """Accuracy and group-fairness measures of ``y_pred``."""
    binary_measures = [
        demographic_parity_difference,
        equalized_odds_difference,
        equal_opportunity_difference,
    ]
    measures = {"accuracy": accuracy_score(y, y_pred)}
    for measure in binary_measures:
        measures[measure.__name__] = measure(y, y_pred, sensitive=sensitive, pos_label=pos_label)
    measures["worst_group_accuracy"] = worst_group_accuracy(y, y_pred, sensitive=sensitive)
    return measures


def _representation_measures(Z, sensitive):
    """Leakage and conditional-entropy measures of the representation ``Z``."""
    leakage = sensitive_leakage(Z, sensitive)
    return {
        "leakage_accuracy": leakage.accuracy,
        "leakage_balanced_accuracy": leakage.balanced_accuracy,
        "leakage_auc": leakage.auc,
        "leakage_majority_rate": leakage.majority_rate,
        "conditional_entropy_ratio": conditional_entropy(Z, sensitive).ratio,
    }


def fairness_report(estimator, X, y=None, sensitive=None, *, pos_label=None):
    """Accuracy, group fairness and, for transformers, invariance of a fitted estimator.

    All measures are computed on the given ``X`` (usually held-out test data):
    when the estimator has ``predict``, the predictions ``estimator.predict(X)``
    for accuracy and group fairness; when it has ``transform``, the
    representation ``estimator.transform(X)`` for :func:`sensitive_leakage`
    and :func:`conditional_entropy` (whose probes split these rows again).
    A transformer without ``predict`` (e.g.
    :class:`~skinvariant.AffinityTransformer`) gets the representation rows
    only, and needs no ``y``.

    Parameters
    ----------
    estimator : fitted estimator with ``predict``, ``transform`` or both
        The model or pipeline to evaluate.
    X : array-like of shape (n_samples, n_features)
        Evaluation samples.
    y : array-like of shape (n_samples,), default=None
        True binary labels of ``X`` (real targets for a regressor); required
        when ``estimator`` has ``predict``, unused otherwise.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels of ``X``; a 2-D ``sensitive`` defines intersectional
        groups. Required.
    pos_label : object, default=None
        The positive label; see :func:`demographic_parity_difference`.

    Returns
    -------
    report : pandas.DataFrame
        One row per measure, indexed by its name: with ``predict``,
        ``accuracy``, ``demographic_parity_difference``,
        ``equalized_odds_difference``, ``equal_opportunity_difference``,
        ``worst_group_accuracy`` (for a regressor: ``r2``,
        ``group_error_gap``, ``worst_group_error``); with ``transform``, ``leakage_accuracy``,
        ``leakage_balanced_accuracy``, ``leakage_auc``, ``leakage_majority_rate``,
        ``conditional_entropy_ratio``. Columns ``value`` and ``description``.

    Raises
    ------
    TypeError
        If ``estimator`` has neither ``predict`` nor ``transform``.
    ValueError
        If ``sensitive`` is missing, or ``y`` is missing for an estimator
        with ``predict``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinvariant.metrics import fairness_report
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> s = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> fairness_report(model, X, y, s).index.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'demographic_parity_difference', 'equalized_odds_difference',
     'equal_opportunity_difference', 'worst_group_accuracy']
    >>> fairness_report(PCA(2).fit(X), X, sensitive=s).index.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['leakage_accuracy', 'leakage_balanced_accuracy', 'leakage_auc', 'leakage_majority_rate',
     'conditional_entropy_ratio']
    """
    name = type(estimator).__name__
    predicts, transforms = hasattr(estimator, "predict"), hasattr(estimator, "transform")
    if not (predicts or transforms):
        raise TypeError(
            "fairness_report needs a fitted estimator with predict (its "
            "predictions are measured) or transform (its representation is "
            f"probed); {name} has neither."
        )
    if sensitive is None:
        raise ValueError("fairness_report needs sensitive, the group labels of the rows of X.")
    if predicts and y is None:
        raise ValueError(
            f"{name} has predict, so fairness_report measures its predictions "
            "against y; pass y, the true labels of X."
        )
    check_sensitive_aligned(sensitive, X=X, y=y)
    measures = {}
    if predicts:
        measure = _regression_measures if is_regressor(estimator) else _prediction_measures
        measures |= measure(y, estimator.predict(X), sensitive, pos_label)
    if transforms:
        measures |= _representation_measures(estimator.transform(X), sensitive)
    return pd.DataFrame(
        {
            "value": [float(value) for value in measures.values()],
            "description": [_DESCRIPTIONS[name] for name in measures],
        },
        index=pd.Index(list(measures), name="measure"),
    )


# Choosing lam without validation data (Ragonesi et al. 2021, section 5.1)
# ----------------------------------------------------------------------


def _mutual_information_of(estimator):
    """The fitted ``mutual_information_`` of ``estimator`` or of a pipeline's last step."""
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    if not hasattr(final, "mutual_information_"):
        raise ValueError(
            f"{type(final).__name__} has no mutual_information_; this scorer "
            "needs a fitted MINEDebiasedClassifier (or a pipeline ending in one)."
        )
    return final.mutual_information_


def _negated_training_mutual_information(estimator, X, y_true=None):
    return -_mutual_information_of(estimator)


def make_mutual_information_scorer():
    """Scorer returning minus the estimator's training estimate of I(z; s).

    The estimate comes from the model's own statistics network on the training
    data, so choosing ``lam`` with it needs no validation data (the paper's
    procedure); ``X`` is ignored. Greater is better, like every scikit-learn
    scorer: the best candidate has the lowest mutual information. Combine it
    with an accuracy scorer and
    :func:`~skinvariant.model_selection.lowest_mutual_information` to keep only
    the settings that still fit the data.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skinvariant import MINEDebiasedClassifier
    >>> from skinvariant.metrics import make_mutual_information_scorer
    >>> from skinvariant.model_selection import lowest_mutual_information
    >>> search = GridSearchCV(
    ...     MINEDebiasedClassifier(), {"lam": [0.1, 1.0, 10.0]}, return_train_score=True,
    ...     scoring={"accuracy": "accuracy", "mi": make_mutual_information_scorer()},
    ...     refit=lowest_mutual_information(max_accuracy_drop=0.02))
    """
    return _negated_training_mutual_information


# Disentanglement of a representation (the definitions of disentanglement_lib)
# ----------------------------------------------------------------------------


def _check_matrix(name, values, columns, dtype):
    """``values`` as a finite 2-D array, or a ValueError naming ``name``."""
    if np.ndim(values) != 2:
        raise ValueError(
            f"{name} must be 2-D, of shape (n_samples, n_{columns}); got shape "
            f"{np.shape(values)}. Reshape a single column with .reshape(-1, 1)."
        )
    return check_array(
        values, dtype=dtype, ensure_min_samples=2, ensure_min_features=0, input_name=name
    )


def _check_factors_codes(factors, codes, *, min_codes=1, numeric_factors=False):
    """Validate the generative ``factors`` and the learned ``codes`` of the same samples.

    Every factor must take at least two values: a constant one has no entropy
    to explain and no classes to predict.
    """
    factors = _check_matrix("factors", factors, "factors", "numeric" if numeric_factors else None)
    codes = _check_matrix("codes", codes, "codes", "numeric")
    if len(factors) != len(codes):
        raise ValueError(
            f"factors and codes must describe the same samples, one row each; got "
            f"{len(factors)} and {len(codes)} rows."
        )
    if factors.shape[1] == 0:
        raise ValueError("factors has no column; pass at least one generative factor.")
    if codes.shape[1] < min_codes:
        raise ValueError(
            f"codes needs at least {min_codes} columns (the gap between the two "
            f"codes that best explain a factor); got {codes.shape[1]}."
        )
    for column, factor in enumerate(factors.T):
        if len(np.unique(factor)) < 2:
            raise ValueError(
                f"factors column {column} is constant; drop it, a factor that never "
                "changes cannot be explained by any code."
            )
    return factors, codes


def _top_two_gap(scores):
    """Per column of ``scores`` (one per factor), the largest score minus the second largest."""
    ordered = np.sort(scores, axis=0)
    return ordered[-1] - ordered[-2]


def _equal_width_bins(codes, n_bins):
    """Each column of ``codes`` replaced by the index of its equal-width bin (of ``n_bins``)."""
    return np.column_stack(
        [np.digitize(code, np.histogram_bin_edges(code, n_bins)[:-1]) for code in codes.T]
    )


def mutual_information_gap(factors, codes, *, n_bins=20):
    """Mutual information gap (MIG) of ``codes`` with respect to known ``factors``.

    Each code is discretised into ``n_bins`` equal-width bins; the mutual
    information between every (binned code, factor) pair is computed with
    :func:`sklearn.metrics.mutual_info_score`. For each factor, the gap between
    the two most informative codes is divided by the factor's entropy; MIG is
    the mean over factors (Chen et al. 2018, as in disentanglement_lib). A code
    in which each factor lives in one coordinate scores close to 1; a code that
    spreads every factor over several coordinates, close to 0.

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Discrete generative factors: every distinct value of a column is a
        class (bin a continuous factor first). Each must take two values or more.
    codes : array-like of shape (n_samples, n_codes)
        The representation, at least two codes, e.g. ``estimator.transform(X)``.
    n_bins : int, default=20
        Number of equal-width bins per code (disentanglement_lib's default).

    Returns
    -------
    mig : float
        In [0, 1]; higher is more disentangled.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import mutual_information_gap
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 4, size=(1000, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(1000, 2))
    >>> mutual_information_gap(factors, aligned) > 0.9
    True
    >>> mixed = aligned @ np.array([[1.0, 1.0], [1.0, -1.0]])
    >>> mutual_information_gap(factors, mixed) < 0.5
    True
    """
    factors, codes = _check_factors_codes(factors, codes, min_codes=2)
    if not isinstance(n_bins, numbers.Integral) or isinstance(n_bins, bool) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2; got {n_bins!r}.")
    binned = _equal_width_bins(codes, n_bins)
    information = np.array(
        [[mutual_info_score(factor, code) for factor in factors.T] for code in binned.T]
    )
    entropies = np.array([mutual_info_score(factor, factor) for factor in factors.T])
    return float(np.mean(_top_two_gap(information) / entropies))


def _squared_correlations(factors, codes):
    """R^2 of a one-code linear fit of each factor: ndarray (n_codes, n_factors).

    A constant code scores 0 (disentanglement_lib's convention).
    """
    factors = factors - factors.mean(axis=0)
    codes = codes - codes.mean(axis=0)
    covariance = codes.T @ factors
    code_variance = np.sum(codes**2, axis=0)[:, np.newaxis]
    factor_variance = np.sum(factors**2, axis=0)[np.newaxis, :]
    varying = code_variance > 1e-12 * len(codes)
    return np.where(
        varying, covariance**2 / np.where(varying, code_variance, 1.0) / factor_variance, 0.0
    )


def _single_code_accuracies(factors, codes, test_size, random_state):
    """Held-out accuracy of a one-code linear classifier of each factor: (n_codes, n_factors)."""
    codes_train, codes_test, factors_train, factors_test = train_test_split(
        codes, factors, test_size=test_size, random_state=random_state
    )
    classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=random_state)
    return np.array(
        [
            [
                clone(classifier)
                .fit(codes_train[:, [code]], factors_train[:, factor])
                .score(codes_test[:, [code]], factors_test[:, factor])
                for factor in range(factors.shape[1])
            ]
            for code in range(codes.shape[1])
        ]
    )


def separated_attribute_predictability(
    factors, codes, *, continuous_factors=False, test_size=0.3, random_state=0
):
    """Separated attribute predictability (SAP) of ``codes`` with respect to ``factors``.

    Every factor is predicted from every code alone. For a discrete factor the
    score is the held-out accuracy of a linear classifier
    (:class:`~sklearn.svm.LinearSVC` with ``C=0.01`` and balanced class
    weights, fitted on a split of the rows); for a continuous factor, the R^2
    of a linear regression on the code (its squared correlation, on all rows).
    SAP is the mean over factors of the gap between the two best codes
    (Kumar et al. 2018, as in disentanglement_lib). A one-code linear
    classifier separates many-valued factors poorly, so even a perfectly
    aligned code stays well below 1 for them; compare codes, not the value
    with 1.

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Generative factors; discrete labels unless ``continuous_factors``.
    codes : array-like of shape (n_samples, n_codes)
        The representation, at least two codes, e.g. ``estimator.transform(X)``.
    continuous_factors : bool, default=False
        If True, the factors are numbers and scored by R^2; otherwise classes
        scored by held-out accuracy.
    test_size : float or int, default=0.3
        Share (or number) of rows held out to score the classifiers.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the classifiers.

    Returns
    -------
    sap : float
        In [0, 1]; higher is more disentangled.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import separated_attribute_predictability
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(1000, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(1000, 2))
    >>> round(separated_attribute_predictability(factors, aligned, continuous_factors=True), 2)
    0.99
    """
    factors, codes = _check_factors_codes(
        factors, codes, min_codes=2, numeric_factors=continuous_factors
    )
    if continuous_factors:
        scores = _squared_correlations(factors.astype(float), codes)
    else:
        scores = _single_code_accuracies(factors, codes, test_size, random_state)
    return float(np.mean(_top_two_gap(scores)))


def _importance_specificity(importances):
    """Sum over rows of (row's share of the total) x (1 - entropy of the row, in base n_columns).

    The row entropy normalised by its largest value: 0 for a row whose
    importance lies in one column, 1 for a uniform row (with a single column,
    every row counts as specific). A matrix of zeros weighs the rows equally,
    as disentanglement_lib does.
    """
    n_rows, n_columns = importances.shape
    if n_columns == 1:
        specificity = np.ones(n_rows)
    else:
        specificity = 1.0 - stats.entropy(importances.T + 1e-11, base=n_columns)
    total = importances.sum()
    weights = importances.sum(axis=1) / total if total > 0 else np.full(n_rows, 1 / n_rows)
    return float(weights @ specificity)


def dci_disentanglement(factors, codes, *, test_size=0.3, random_state=0):
    """DCI disentanglement, completeness and informativeness of ``codes``.

    One :class:`~sklearn.ensemble.GradientBoostingClassifier` per factor
    learns it from all the codes on a split of the rows; its
    ``feature_importances_`` form column ``j`` of the importance matrix
    ``R`` (codes x factors). With ``P_i`` row ``i`` of ``R`` normalised and
    ``rho_i`` its share of the total importance:

    - disentanglement is ``sum_i rho_i (1 - H_K(P_i))``, ``H_K`` the entropy
      in base K = n_factors: each code explains one factor;
    - completeness is the same over the columns (entropy in base n_codes):
      each factor is explained by one code;
    - informativeness is the classifiers' mean accuracy on the held-out rows.

    These are Eastwood and Williams (2018) as disentanglement_lib computes
    them (default gradient boosting).

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Discrete generative factors: every distinct value of a column is a
        class. Each must take two values or more.
    codes : array-like of shape (n_samples, n_codes)
        The representation, e.g. ``estimator.transform(X)``.
    test_size : float or int, default=0.3
        Share (or number) of rows held out to measure informativeness.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the classifiers.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``disentanglement``, ``completeness`` and ``informativeness``
        (floats in [0, 1], higher is better) and ``importance_matrix``
        (ndarray of shape (n_codes, n_factors), ``R``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import dci_disentanglement
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 3, size=(300, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(300, 2))
    >>> result = dci_disentanglement(factors, aligned)
    >>> result.disentanglement > 0.9, result.informativeness
    (True, 1.0)
    """
    factors, codes = _check_factors_codes(factors, codes)
    codes_train, codes_test, factors_train, factors_test = train_test_split(
        codes, factors, test_size=test_size, random_state=random_state
    )
    importances, accuracies = [], []
    for factor in range(factors.shape[1]):
        model = GradientBoostingClassifier(random_state=random_state)
        model.fit(codes_train, factors_train[:, factor])
        importances.append(np.abs(model.feature_importances_))
        accuracies.append(model.score(codes_test, factors_test[:, factor]))
    importance_matrix = np.column_stack(importances)
    return Bunch(
        disentanglement=_importance_specificity(importance_matrix),
        completeness=_importance_specificity(importance_matrix.T),
        informativeness=float(np.mean(accuracies)),
        importance_matrix=importance_matrix,
    )


# Group fairness of regression predictions
# ----------------------------------------


def _group_errors(y_true, y_pred, sensitive, metric):
    """fairlearn's ``MetricFrame`` of ``metric`` per group of ``sensitive``, on real targets."""
    sensitive = _as_sensitive_features(sensitive, y_true, y_pred)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if values.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must be numeric: group error measures compare real "
                "targets with regression predictions (for class labels use "
                "demographic_parity_difference or worst_group_accuracy)."
            )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}."
        )
    return fairlearn_metrics.MetricFrame(
        metrics=metric, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive
    )


def group_error_gap(y_true, y_pred, *, sensitive, metric=mean_absolute_error):
    """Largest gap in a regression error between groups.

    The group-wise error of regression predictions, through
    :class:`fairlearn.metrics.MetricFrame`: ``max_a E_a - min_a E_a`` where
    ``E_a = metric(y_true[s=a], y_pred[s=a])``. Lower is better; 0 means every
    group is predicted equally well. fairlearn has no single regression
    fairness metric: its ``BoundedGroupLoss`` is a training constraint on the
    worst group's loss (see :func:`worst_group_error`); this gap is its
    two-sided companion, a group-wise error gap in the units of ``metric``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        True targets.
    y_pred : array-like of the same shape
        Predictions, e.g. ``regressor.predict(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups.
    metric : callable, default=sklearn.metrics.mean_absolute_error
        ``metric(y_true, y_pred) -> float``, an error (lower is better):
        ``mean_absolute_error`` gives the gap in the units of y,
        ``mean_squared_error`` in squared units.

    Returns
    -------
    float

    See Also
    --------
    worst_group_error : The error of the worst-predicted group.

    Examples
    --------
    >>> from skinvariant.metrics import group_error_gap
    >>> y_true = [1.0, 2.0, 3.0, 4.0]
    >>> y_pred = [1.0, 2.0, 2.0, 6.0]
    >>> group_error_gap(y_true, y_pred, sensitive=["a", "a", "b", "b"])  # 0 and 1.5
    1.5
    """
    return float(_group_errors(y_true, y_pred, sensitive, metric).difference())


def worst_group_error(y_true, y_pred, *, sensitive, metric=mean_absolute_error):
    """The regression error of the worst-predicted group.

    ``max_a metric(y_true[s=a], y_pred[s=a])`` through
    :class:`fairlearn.metrics.MetricFrame`: the quantity that fairlearn's
    bounded group loss (``fairlearn.reductions.BoundedGroupLoss``, Agarwal,
    Dudik and Wu 2019) keeps below a bound during training, here measured on
    any predictions. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        True targets.
    y_pred : array-like of the same shape
        Predictions.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups.
    metric : callable, default=sklearn.metrics.mean_absolute_error
        ``metric(y_true, y_pred) -> float``, an error (lower is better).

    Returns
    -------
    float

    See Also
    --------
    group_error_gap : The gap between the worst and the best group.

    Examples
    --------
    >>> from skinvariant.metrics import worst_group_error
    >>> worst_group_error([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.0, 6.0],
    ...                   sensitive=["a", "a", "b", "b"])
    1.5
    """
    return float(_group_errors(y_true, y_pred, sensitive, metric).group_max())


_FAIRNESS_MEASURES["group_error_gap"] = (group_error_gap, False)
_FAIRNESS_MEASURES["worst_group_error"] = (worst_group_error, False)


def _regression_measures(y, y_pred, sensitive, pos_label=None):
    """R^2 and the group error measures of a regressor's predictions (for fairness_report)."""
    return {
        "r2": r2_score(y, y_pred),
        "group_error_gap": group_error_gap(y, y_pred, sensitive=sensitive),
        "worst_group_error": worst_group_error(y, y_pred, sensitive=sensitive),
    }


_DESCRIPTIONS.update(
    {
        "r2": "coefficient of determination R^2 of the predictions",
        "group_error_gap": "largest gap in mean absolute error between groups (lower is better)",
        "worst_group_error": "mean absolute error of the worst-predicted group (lower is better)",
    }
)
