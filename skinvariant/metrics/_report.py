""":func:`fairness_report`: every measure of a fitted estimator in one table."""

import pandas as pd
from sklearn.base import is_regressor
from sklearn.metrics import (
    accuracy_score,
    r2_score,
)

from skinvariant.core._validation import (
    check_sensitive_aligned,
)

from ._fairness import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    group_error_gap,
    worst_group_accuracy,
    worst_group_error,
)
from ._leakage import conditional_entropy, sensitive_leakage

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
        The positive label, one of the labels. By default 1 for labels
        within {0, 1} or {-1, 1}; other labels need it, since the equal
        opportunity row depends on which label is positive (see
        :func:`equal_opportunity_difference`).

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
