"""Group-fairness measures of predictions: thin wrappers around :mod:`fairlearn.metrics`
that accept any group labels, and the group error measures of regression predictions.
"""

import numpy as np
from fairlearn import metrics as fairlearn_metrics
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
)
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import type_of_target

from skinvariant.core._validation import (
    check_sensitive_aligned,
    group_codes,
)

from ._groups import CONTINUOUS_ADVICE

_LABELS_SHOWN = 10
_GAP = "a gap between groups"


def _shown(labels):
    """``labels`` sorted as text, cut after ``_LABELS_SHOWN``, for an error message."""
    shown = sorted(map(str, labels))
    if len(shown) > _LABELS_SHOWN:
        shown = [*shown[:_LABELS_SHOWN], f"... {len(shown) - _LABELS_SHOWN} more"]
    return shown


def _positive_label(labels, pos_label, symmetric):
    """The label that counts as positive among ``labels`` (those of y_true and y_pred).

    An explicit ``pos_label`` must be one of the labels (when there are two or
    more). By default 1 for labels within {0, 1} or {-1, 1}; for two other
    labels, the greater when the measure is ``symmetric`` (the same whichever
    label is positive), and otherwise an error, as in scikit-learn.
    """
    label_set = set(labels.tolist())
    if pos_label is not None:
        if len(label_set) > 1 and pos_label not in label_set:
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels {_shown(label_set)}."
            )
        return pos_label
    if label_set <= {0, 1} or label_set <= {-1, 1}:
        return 1
    if len(labels) == 2 and symmetric:
        return labels[-1]
    if len(labels) == 2:
        raise ValueError(
            f"The labels are {_shown(label_set)}, and this measure depends on which one "
            f"is positive: pass pos_label (e.g. pos_label={labels.tolist()[-1]!r})."
        )
    raise ValueError(
        f"Binary fairness measures need two labels, got {len(label_set)}: "
        f"{_shown(label_set)}; pass pos_label explicitly (every other label then counts "
        "as negative)."
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


def _binarize(y_true, y_pred, pos_label, symmetric=True):
    """Map ``y_true`` and ``y_pred`` to 0/1 arrays, 1 meaning the positive label.

    ``symmetric``: the measure is the same whichever of two labels is positive
    (see :func:`_positive_label`).
    """
    y_true, y_pred = _check_labels("y_true", y_true), _check_labels("y_pred", y_pred)
    pos_label = _positive_label(np.union1d(y_true, y_pred), pos_label, symmetric)
    return (y_true == pos_label).astype(int), (y_pred == pos_label).astype(int)


def _binary_group_difference(
    fairlearn_metric, y_true, y_pred, sensitive, pos_label, symmetric=True
):
    """Call a fairlearn group-difference metric on 0/1 labels, as a float."""
    true_positive, predicted_positive = _binarize(y_true, y_pred, pos_label, symmetric)
    codes = _as_sensitive_features(sensitive, y_true, y_pred, compared_by=_GAP)
    return float(fairlearn_metric(true_positive, predicted_positive, sensitive_features=codes))


def _as_sensitive_features(sensitive, y_true, y_pred, compared_by=None):
    """Group codes of ``sensitive``, checked against the labels, for fairlearn."""
    check_sensitive_aligned(sensitive, y_true=y_true, y_pred=y_pred)
    n_samples = len(np.asarray(y_true))
    return group_codes(sensitive, n_samples, advice=CONTINUOUS_ADVICE, compared_by=compared_by)[0]


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
        The positive label, one of the labels. By default 1 when the labels
        are within {0, 1} (bools included) or {-1, 1}; of two other labels
        the greater, which changes nothing here (the gap is the same
        whichever label is positive). With an explicit ``pos_label`` every
        other label counts as negative, so more than two labels need one.

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


_FLOOR_MEASURES = ("demographic_parity_difference", "equalized_odds_difference")


def _group_rate_spreads(sizes, rate, n_draws, rng):
    """Per draw, the max - min over groups of a Binomial(size, rate) rate (groups of 0 rows skipped)."""
    sizes = sizes[sizes > 0]
    if len(sizes) < 2:
        return np.zeros(n_draws)
    rates = rng.binomial(sizes[None, :], rate, size=(n_draws, len(sizes))) / sizes
    return rates.max(axis=1) - rates.min(axis=1)


def parity_noise_floor(
    y_true,
    *,
    sensitive,
    measure="demographic_parity_difference",
    pos_label=None,
    n_draws=2000,
    random_state=0,
):
    """The group gap that a predictor blind to ``sensitive`` measures by chance on these rows.

    A predictor that says "positive" with probability ``p`` (the positive rate
    of ``y_true``) whatever the row has a true demographic parity and
    equalized odds difference of 0, yet on a finite sample its measured gap is
    the spread of the groups' binomial rates: about
    ``sqrt(p (1 - p) (1 / n_a + 1 / n_b))`` for two groups, more with many or
    small groups. A measured gap at or below this floor cannot be told from
    zero on rows of this size, and a budget below it is met or missed by luck;
    :class:`~skinvariant.model_selection.BudgetSearchCV` warns when its budget
    lies below the floor of its held-out folds.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels; their positive rate is the blind predictor's.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels, as the fairness measures take them.
    measure : {"demographic_parity_difference", "equalized_odds_difference"}, \
            default="demographic_parity_difference"
        The gap whose floor is computed. For equalized odds the groups are
        compared within each class of ``y_true`` and the larger spread taken.
    pos_label : object, default=None
        The positive label; see :func:`demographic_parity_difference`.
    n_draws : int, default=2000
        Monte Carlo draws of the blind predictor.
    random_state : int, RandomState instance or None, default=0
        Seed of the draws (fixed by default, so that the floor is a property of
        the rows).

    Returns
    -------
    floor : float
        The mean measured gap of the blind predictor, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import parity_noise_floor
    >>> y = np.tile([0, 1], 100)
    >>> s = np.repeat(["a", "b"], 100)
    >>> round(parity_noise_floor(y, sensitive=s), 2)  # 100 rows a group, p = 0.5
    0.06
    """
    if measure not in _FLOOR_MEASURES:
        raise ValueError(f"measure must be one of {list(_FLOOR_MEASURES)}; got {measure!r}.")
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer; got {n_draws!r}.")
    positive, _ = _binarize(y_true, y_true, pos_label)
    codes = _as_sensitive_features(sensitive, positive, positive, compared_by=_GAP)
    n_groups, rate, rng = (
        int(codes.max()) + 1,
        float(positive.mean()),
        check_random_state(random_state),
    )
    if measure == "demographic_parity_difference":
        spreads = _group_rate_spreads(np.bincount(codes, minlength=n_groups), rate, n_draws, rng)
    else:
        spreads = np.max(
            [
                _group_rate_spreads(
                    np.bincount(codes[positive == label], minlength=n_groups), rate, n_draws, rng
                )
                for label in (0, 1)
            ],
            axis=0,
        )
    return float(spreads.mean())


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
        The positive label, one of the labels. By default 1 when the labels
        are within {0, 1} (bools included) or {-1, 1}; other labels need it,
        as in scikit-learn, since the gap depends on which label is positive.
        Every other label counts as negative.

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
        fairlearn_metrics.equal_opportunity_difference,
        y_true,
        y_pred,
        sensitive,
        pos_label,
        symmetric=False,
    )


def parity_gap(y_true, y_pred, *, sensitive, pos_label=None):
    """Paper 004's parity gap ``|P(y_hat=1 | s=a) - P(y_hat=1 | s=b)|``.

    The same measure as :func:`demographic_parity_difference`, under the name
    of Boedi and Grabner (2021, eq. 6), and computed by it: with more than two groups it is
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

    With ``rate="tpr"`` it is ``|TPR_a - TPR_b|`` (Boedi and Grabner 2021, eq. 5), the same
    measure as :func:`equal_opportunity_difference` and computed by it. With
    ``rate="tnr"`` it is its twin ``|TNR_a - TNR_b|``, computed by
    :func:`fairlearn.metrics.true_negative_rate_difference`. With more than
    two groups either is the largest gap between any two groups.

    Parameters
    ----------
    y_true, y_pred, sensitive
        See :func:`demographic_parity_difference`.
    pos_label
        See :func:`equal_opportunity_difference`: labels other than {0, 1}
        or {-1, 1} need it.
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
            fairlearn_metrics.true_negative_rate_difference,
            y_true,
            y_pred,
            sensitive,
            pos_label,
            symmetric=False,
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


def _group_errors(y_true, y_pred, sensitive, metric, compared_by=None):
    """fairlearn's ``MetricFrame`` of ``metric`` per group of ``sensitive``, on real targets."""
    sensitive = _as_sensitive_features(sensitive, y_true, y_pred, compared_by)
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
    return float(_group_errors(y_true, y_pred, sensitive, metric, compared_by=_GAP).difference())


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
