"""Scorers for model selection: fairness and leakage measures as ``scoring=``, with
``sensitive`` routed to them, and the training mutual information of Ragonesi et al. (2021).
"""

import inspect

from sklearn.utils.metadata_routing import MetadataRequest

from skinvariant.core._validation import (
    check_sensitive_aligned,
)

from ._fairness import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equality_gap,
    equalized_odds_difference,
    group_error_gap,
    parity_gap,
    worst_group_accuracy,
    worst_group_error,
)
from ._leakage import sensitive_leakage

_FAIRNESS_MEASURES = {
    "demographic_parity_difference": (demographic_parity_difference, False),
    "equalized_odds_difference": (equalized_odds_difference, False),
    "equal_opportunity_difference": (equal_opportunity_difference, False),
    "worst_group_accuracy": (worst_group_accuracy, True),
    "parity_gap": (parity_gap, False),
    "equality_gap": (equality_gap, False),
    "group_error_gap": (group_error_gap, False),
    "worst_group_error": (worst_group_error, False),
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
        ``"parity_gap"``, ``"equality_gap"`` (Boedi and Grabner's names),
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
