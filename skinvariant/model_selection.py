"""Choosing ``lam``: a fairness budget search, the accuracy-fairness front, and MINE's rule.

- :class:`BudgetSearchCV` picks the most accurate ``lam`` whose
  cross-validated demographic parity, equalized odds or leakage stays within
  a budget, the way scikit-learn users already search.
- :func:`lam_path` fits one model per ``lam`` and measures the whole front on
  held-out rows.
- :func:`lowest_mutual_information` is a ``refit`` rule for ``GridSearchCV``
  that chooses ``lam`` by the training estimate of I(z; s) (MINE's own
  procedure).
"""

import inspect
import numbers
import time
from copy import deepcopy

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.metrics import accuracy_score, check_scoring, get_scorer_names
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, check_cv, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRequest,
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    get_routing_for_object,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, indexable

from skinvariant.compose import SensitiveFromColumns
from skinvariant.core._validation import as_frame, check_sensitive_aligned, take_rows
from skinvariant.exceptions import (
    BudgetBelowNoiseWarning,
    BudgetNotMetWarning,
    CollapseWarning,
    UnstableRefitWarning,
    warn_at_caller,
)
from skinvariant.metrics import (
    FairnessScorer,
    LeakageScorer,
    demographic_parity_difference,
    equalized_odds_difference,
    parity_noise_floor,
    sensitive_leakage,
)

__all__ = ["BudgetSearchCV", "lam_path", "lowest_mutual_information"]


# Where lam and sensitive go in an estimator or pipeline
# -------------------------------------------------------


def _last_step_path(model):
    """``(prefix, final)``: the ``__``-joined names down the last steps of nested pipelines."""
    prefix = ""
    while hasattr(model, "steps"):
        name, model = model.steps[-1]
        prefix += f"{name}__"
    return prefix, model


def _step_prefix(param):
    """The ``<step>__`` path of the estimator that owns ``param`` ("" for the estimator itself)."""
    return param[: len(param) - len(param.rsplit("__", 1)[-1])]


def _pipeline_path(estimator, lam_param):
    """``(prefix, step)``: the ``<step>__`` path down nested pipelines to the step that
    holds ``lam_param`` (the first on the path that is not a Pipeline), and that step."""
    prefix, step = "", estimator
    for name in lam_param.split("__")[:-1]:
        if not isinstance(step, Pipeline):
            break
        prefix, step = f"{prefix}{name}__", step.named_steps[name]
    return prefix, step


def _sensitive_fit_param(estimator, lam_param):
    """The fit keyword that brings ``sensitive`` to the estimator whose ``lam`` is ``lam_param``.

    With metadata routing on, a pipeline routes ``sensitive`` itself; with it
    off, a pipeline takes it where the ``lam`` is: ``<step>__sensitive``
    (``<outer>__<inner>__...`` for nested pipelines). Any other meta-estimator
    on the way takes ``sensitive`` itself and hands it on, except
    :class:`~skinvariant.compose.SensitiveFromColumns`, which reads it from
    ``X``: then None, nothing to pass.
    """
    prefix, owner = _pipeline_path(estimator, lam_param)
    if isinstance(owner, SensitiveFromColumns):
        return None
    return "sensitive" if get_config()["enable_metadata_routing"] else f"{prefix}sensitive"


def _with_sensitive(key, sensitive, params=()):
    """Fit parameters: ``params`` with ``sensitive`` under ``key`` (none where ``key`` is None)."""
    return {**({} if key is None else {key: sensitive}), **dict(params)}


def _representation(model, X, lam_param):
    """The representation of ``X`` by the step whose ``lam`` is ``lam_param``: ``X``
    through a pipeline's steps up to and including it (whatever steps follow)."""
    head, _, rest = lam_param.partition("__")
    if isinstance(model, Pipeline) and rest:
        index = [name for name, _ in model.steps].index(head)
        if index:
            X = model[:index].transform(X)
        return _representation(model.steps[index][1], X, rest)
    return model.transform(X)


def _find_lam_param(estimator):
    """The name of ``estimator``'s ``lam`` as ``set_params`` takes it, or None.

    ``"lam"`` for a bare estimator, ``"<step>__lam"`` for a pipeline whose last
    step has one, else the only ``...__lam`` among the nested parameters.
    """
    params = estimator.get_params(deep=True)
    if "lam" in params:
        return "lam"
    prefix, _ = _last_step_path(estimator)
    if prefix and f"{prefix}lam" in params:
        return f"{prefix}lam"
    nested = [name for name in params if name.endswith("__lam")]
    return nested[0] if len(nested) == 1 else None


def _check_lam_param(estimator, param):
    """Refuse a ``param`` that ``estimator`` does not have, naming the one to pass."""
    if param in estimator.get_params(deep=True):
        return
    found = _find_lam_param(estimator)
    name = type(estimator).__name__
    if found is not None:
        raise ValueError(
            f"{name} has no parameter {param!r}: pass param={found!r}, the lam "
            f"of its step {found.rsplit('__', 2)[-2]!r}."
        )
    raise ValueError(
        f"{name} has no parameter {param!r}; pass param= the name of the parameter "
        "to vary as set_params takes it, e.g. param='<step>__lam' for a Pipeline "
        "ending in a skinvariant estimator."
    )


def _another_seed(random_state):
    """A seed for one more fit: drawn from ``random_state`` (None stays None, a fresh draw)."""
    if random_state is None:
        return None
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _rows_of(frame, rows):
    """The rows of a sensitive frame: 1-D for one attribute, a frame for several."""
    part = frame.iloc[rows].reset_index(drop=True)
    return part.iloc[:, 0].to_numpy() if part.shape[1] == 1 else part


# lam_path
# --------


def _check_warm_epochs(estimator, lams, warm_epochs):
    """Refuse a warm path that cannot be walked: no ``partial_fit``, or lams out of order."""
    if warm_epochs is None:
        return
    if (
        isinstance(warm_epochs, bool)
        or not isinstance(warm_epochs, numbers.Integral)
        or warm_epochs < 1
    ):
        raise ValueError(f"warm_epochs must be a positive int or None; got {warm_epochs!r}.")
    if not hasattr(estimator, "partial_fit"):
        raise ValueError(
            f"warm_epochs continues each model with partial_fit, which "
            f"{type(estimator).__name__} lacks (a Pipeline has none): pass the "
            "estimator itself, with preprocessing done beforehand, or warm_epochs=None."
        )
    if list(lams) != sorted(lams):
        raise ValueError(
            f"warm_epochs walks lams in increasing order, each model continuing the "
            f"last; got lams={list(lams)}: sort them."
        )


def _models_along(estimator, param, lams, X, y, fit_params, warm_epochs):
    """Yield ``(lam, model)`` along ``lams``: each fitted afresh, or continuing the last."""
    model = None
    for lam in lams:
        if model is None or warm_epochs is None:
            model = clone(estimator).set_params(**{param: lam})
            model.fit(X, y, **fit_params)
        else:
            model.set_params(**{param: lam})
            for _ in range(warm_epochs):
                model.partial_fit(X, y, **fit_params)
        yield lam, model


def lam_path(
    estimator,
    X,
    y,
    sensitive,
    *,
    lams,
    param="lam",
    warm_epochs=None,
    test_size=0.3,
    random_state=0,
):
    """Fit ``estimator`` at each ``lam`` and measure the accuracy-fairness-leakage front.

    The rows are split once (stratified by ``y``); each fit sees the training
    part with its ``sensitive``, and each row of the result is measured on the
    held-out part: accuracy, the group gaps of the predictions, and the
    strongest fresh probe's reading of ``sensitive`` from ``transform`` (the
    probes learn from the training part's representation and read the
    held-out part's). A pipeline receives ``sensitive`` with metadata routing
    on or off. With ``warm_epochs``, the first ``lam`` is fitted and each
    next one continues the previous model for ``warm_epochs`` passes of
    ``partial_fit``: on the task suite, 5 passes against 20-epoch cold fits
    took a quarter of the epochs for a front about as good (the lowest
    probe within 3 points of accuracy lower on 25 task-seeds of 60, higher
    on 17; see the user guide).

    Parameters
    ----------
    estimator : skinvariant estimator or Pipeline holding one
        Unfitted; it is cloned for every ``lam``. In a pipeline, the
        representation the probes read is the output of the step whose
        ``lam`` varies (the steps before it applied first), whatever follows
        it: a skinvariant transformer before a classifier is read, not the
        classifier.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels.
    lams : sequence of float
        The values of ``param`` to fit (in increasing order with ``warm_epochs``).
    param : str, default="lam"
        The parameter to vary, e.g. ``"iidmclassifier__lam"`` in a pipeline
        (the error for a pipeline without it names the step's).
    warm_epochs : int, default=None
        None fits a clone of ``estimator`` at every ``lam`` (``max_epochs``
        each). An int warm-starts the path: each ``lam`` after the first
        continues the previous model for this many passes of ``partial_fit``
        over the training part. Needs an estimator with ``partial_fit`` (not
        a Pipeline).
    test_size : float, default=0.3
        Share of the rows held out for the measures.
    random_state : int, default=0
        Seed of the split and of the probes.

    Returns
    -------
    pandas.DataFrame
        One row per ``lam``: ``lam``, ``accuracy``,
        ``demographic_parity_difference``, ``equalized_odds_difference``,
        ``leakage_balanced_accuracy``, ``leakage_auc``, ``leakage_probe``.

    See Also
    --------
    BudgetSearchCV : Choose ``lam`` by cross-validation within a fairness budget.
    skinvariant.plotting.plot_tradeoff : Draw the fronts.
    """
    _check_lam_param(estimator, param)
    if not is_classifier(estimator):
        raise ValueError(
            f"lam_path measures a classifier's accuracy and parity gaps, and "
            f"{type(estimator).__name__} is not a classifier. For a regressor, search "
            "lam with BudgetSearchCV(estimator, {'leakage': ...}) (scored by R^2), or "
            "read metrics.group_error_gap and sensitive_leakage at each lam."
        )
    _check_warm_epochs(estimator, lams, warm_epochs)
    check_sensitive_aligned(sensitive, X=X, y=y)
    y, frame = np.asarray(y), as_frame(sensitive)
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=random_state
    )
    X_train, X_test = (take_rows(X, rows) for rows in (train, test))
    s_train, s_test = (_rows_of(frame, rows) for rows in (train, test))
    rows = []
    fit_params = _with_sensitive(_sensitive_fit_param(estimator, param), s_train)
    for lam, model in _models_along(
        estimator, param, lams, X_train, y[train], fit_params, warm_epochs
    ):
        predicted = model.predict(X_test)
        leakage = sensitive_leakage(
            _representation(model, X_train, param),
            s_train,
            held_out=(_representation(model, X_test, param), s_test),
            random_state=random_state,
        )
        rows.append(
            {
                "lam": lam,
                "accuracy": float(accuracy_score(y[test], predicted)),
                "demographic_parity_difference": demographic_parity_difference(
                    y[test], predicted, sensitive=s_test
                ),
                "equalized_odds_difference": equalized_odds_difference(
                    y[test], predicted, sensitive=s_test
                ),
                "leakage_balanced_accuracy": leakage.balanced_accuracy,
                "leakage_auc": leakage.auc,
                "leakage_probe": leakage.probe,
            }
        )
    return pd.DataFrame(rows)


# lowest_mutual_information
# -------------------------


def lowest_mutual_information(max_accuracy_drop=0.02, *, accuracy="accuracy", mi="mi"):
    """A ``refit`` rule for ``GridSearchCV``: the lowest mutual information that still fits.

    Among the candidates whose mean *training* accuracy is within
    ``max_accuracy_drop`` of the best, pick the one with the lowest mutual
    information (Ragonesi et al. 2021, section 5.1: the highest lam that still
    fits the training data while minimising the estimate). Needs
    ``return_train_score=True`` and the scorers named ``accuracy`` and ``mi``.

    Parameters
    ----------
    max_accuracy_drop : float, default=0.02
        How far below the best training accuracy a candidate may fall.
    accuracy, mi : str, default="accuracy", "mi"
        Names of the accuracy scorer and of
        :func:`~skinvariant.metrics.make_mutual_information_scorer`.

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> int``, the index of the chosen candidate.

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
    return _LowestMutualInformation(max_accuracy_drop, accuracy, mi)


class _LowestMutualInformation:
    """Picklable refit rule built by :func:`lowest_mutual_information`."""

    def __init__(self, max_accuracy_drop, accuracy, mi):
        self.max_accuracy_drop = max_accuracy_drop
        self.accuracy = accuracy
        self.mi = mi

    def __call__(self, cv_results):
        train_key = f"mean_train_{self.accuracy}"
        if train_key not in cv_results:
            raise ValueError(
                f"cv_results has no {train_key!r}; pass return_train_score=True "
                f"and a scorer named {self.accuracy!r} to the search."
            )
        train_accuracy = np.asarray(cv_results[train_key])
        negated_mi = np.asarray(cv_results[f"mean_test_{self.mi}"], dtype=float)
        fits = train_accuracy >= np.nanmax(train_accuracy) - self.max_accuracy_drop
        return int(np.nanargmax(np.where(fits, negated_mi, -np.inf)))


# BudgetSearchCV
# --------------

#: the measures a budget may bound; each is lower-is-better and lies in [0, 1]
BUDGET_MEASURES = ("demographic_parity_difference", "equalized_odds_difference", "leakage")
_PREDICTION_MEASURES = {
    "demographic_parity_difference": demographic_parity_difference,
    "equalized_odds_difference": equalized_odds_difference,
}


def _parity_keys(budget):
    """The keys of ``budget`` that bound the predictions' parity (not the leakage)."""
    return [key for key in budget if key in _PREDICTION_MEASURES]


# metadata carrying each row's position, sliced per fold like sensitive, so that
# the leakage scorer can find the training rows of the fold it scores
_ROWS = "budget_search_rows"
_SCORE = "score"


class _FoldFairnessScorer(FairnessScorer):
    """A :class:`FairnessScorer` returning the raw measure, deaf to the fold's rows.

    With routing off, scikit-learn hands every scorer all score parameters; this
    one takes ``sensitive`` and ignores the rest.
    """

    def __init__(self, metric):
        super().__init__(metric, greater_is_better=True)

    def __call__(self, estimator, X, y_true, sensitive=None, **ignored):
        return super().__call__(estimator, X, y_true, sensitive=sensitive)

    def _accept_sample_weight(self):
        return False


class _FoldLeakageScorer(LeakageScorer):
    """Strongest-probe balanced accuracy, probes trained on the fold's training rows.

    It holds the rows of the search (``X``, ``sensitive``) and its splits; the
    fold's rows arrive as metadata, sliced like ``sensitive``. The probes
    learn ``sensitive`` from ``estimator.transform`` of the fold's training
    rows and are scored on the held-out rows' representation, as
    ``sensitive_leakage(..., held_out=...)`` does.
    """

    def __init__(self, X, sensitive, splits, random_state, param):
        super().__init__("balanced_accuracy", leakage_kwargs={"random_state": random_state})
        self.X = X
        self.param = param
        self.sensitive = as_frame(sensitive)
        self.train_of = {np.asarray(test).tobytes(): np.asarray(train) for train, test in splits}

    def __call__(self, estimator, X, y_true, sensitive=None, **fold):
        if sensitive is None or fold.get(_ROWS) is None:
            return super().__call__(estimator, X, y_true, sensitive=None)  # the routing error
        train = self.train_of[np.asarray(fold[_ROWS]).tobytes()]
        Z_train = _representation(estimator, take_rows(self.X, train), self.param)
        leakage = sensitive_leakage(
            Z_train,
            _rows_of(self.sensitive, train),
            held_out=(_representation(estimator, X, self.param), sensitive),
            **self.metric_kwargs,
        )
        return leakage.balanced_accuracy

    def get_metadata_routing(self):
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="sensitive", alias=True)
        request.score.add_request(param=_ROWS, alias=True)
        return request

    def _accept_sample_weight(self):
        return False


class _ScoreWithoutSensitive:
    """The user's scorer, without the ``sensitive`` and rows that routing off hands to all."""

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, estimator, X, y_true, **params):
        params.pop("sensitive", None)
        params.pop(_ROWS, None)
        return self.scorer(estimator, X, y_true, **params)

    def get_metadata_routing(self):
        return get_routing_for_object(self.scorer)

    def _accept_sample_weight(self):
        accept = getattr(self.scorer, "_accept_sample_weight", None)
        if accept is not None:
            return accept()
        return "sample_weight" in inspect.signature(self.scorer).parameters


def _budget_violations(cv_results, budget):
    """Per candidate, the largest relative excess over the budget (<= 0: met; NaN: inf)."""
    excess = []
    for key, limit in budget.items():
        measured = np.asarray(cv_results[f"mean_test_{key}"], dtype=float)
        excess.append((measured - limit) / (limit if limit > 0 else 1.0))
    violation = np.max(excess, axis=0)
    return np.where(np.isnan(violation), np.inf, violation)


def _preference(cv_results, budget, param):
    """Candidate indices in order of choice, and which meet the budget.

    First those meeting it, the most accurate first (ties to more slack); then
    the others, the most invariant first (the smallest excess; ties to the
    larger lam).
    """
    violation = _budget_violations(cv_results, budget)
    if np.isinf(violation).all():
        raise ValueError(
            "Every candidate's budget measure is NaN or infinite: the fits or "
            "measures failed on some fold; pass error_score='raise' to see why."
        )
    score = np.nan_to_num(np.asarray(cv_results[f"mean_test_{_SCORE}"], dtype=float), nan=-np.inf)
    lam = np.asarray(cv_results[f"param_{param}"], dtype=float)
    met = violation <= 0
    within = sorted(np.flatnonzero(met), key=lambda i: (-score[i], violation[i]))
    beyond = sorted(np.flatnonzero(~met), key=lambda i: (violation[i], -lam[i]))
    return [int(i) for i in within + beyond], met


def _training_measures(model, X, y, sensitive, budget):
    """The budget's parity measures of ``model`` on the rows it was fitted on."""
    parity = _parity_keys(budget)
    if not parity:
        return {}
    predictions = model.predict(X)
    return {
        key: float(_PREDICTION_MEASURES[key](y, predictions, sensitive=sensitive)) for key in parity
    }


class _BudgetRule:
    """Picklable ``refit`` callable: the first index in :func:`_preference`'s order."""

    def __init__(self, budget, param):
        self.budget = budget
        self.param = param

    def __call__(self, cv_results):
        return _preference(cv_results, self.budget, self.param)[0][0]


def _after_rejection(results, param, met, rejected_index, remaining):
    """What the search does after rejecting the candidate ``rejected_index``, in words."""
    if not remaining:
        return "no other lam is left: keeping it (budget_met_ is False)."
    following = results["params"][remaining[0]][param]
    if met[remaining[0]]:
        return f"refitting {param}={following:g}, the next most accurate within the budget."
    if met[rejected_index]:
        return (
            f"no other lam meets the budget in cross-validation: refitting {param}="
            f"{following:g}, the most invariant of the rest (budget_met_ is False)."
        )
    return f"refitting {param}={following:g}, the next most invariant."


class _BudgetGridSearchCV(GridSearchCV):
    """``GridSearchCV`` that also hands the budget scorers their metadata with routing off.

    With routing off scikit-learn gives scorers no metadata besides
    ``sample_weight``; ``budget_score_params`` (``sensitive`` and the rows)
    join the scorers' parameters there, sliced per fold like any other.
    """

    budget_score_params = {}

    def _get_routed_params_for_fit(self, params):
        routed = super()._get_routed_params_for_fit(params)
        if not _routing_enabled():
            routed.scorer.score = {**routed.scorer.score, **self.budget_score_params}
        return routed


def _search_has(attr):
    """Whether ``attr`` can be delegated to the best estimator (or the unfitted one)."""

    def check(self):
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator, attr)
        return True

    return check


class BudgetSearchCV(MetaEstimatorMixin, BaseEstimator):
    """The most accurate ``lam`` whose cross-validated fairness stays within a budget.

    Instead of a bare ``lam``, state what the model may cost in fairness: each
    candidate ``lam`` is cross-validated, its budget measures are averaged over
    the held-out folds, and among the candidates that meet every entry of
    ``budget`` the one with the best mean ``scoring`` is refitted on all rows.
    The measures, each lower-is-better and in [0, 1]:

    - ``"demographic_parity_difference"``, ``"equalized_odds_difference"``:
      :func:`~skinvariant.metrics.demographic_parity_difference` and
      :func:`~skinvariant.metrics.equalized_odds_difference` of the held-out
      fold's predictions against its ``sensitive`` (binary ``y``).
    - ``"leakage"``: how well a fresh attacker reads ``sensitive`` from
      ``transform``. Fresh probes (a logistic regression, boosted trees and an
      MLP, as :func:`~skinvariant.metrics.sensitive_leakage` uses) learn the
      group from the representation of the fold's *training* rows and are
      scored on the held-out fold's representation; the measure is the
      strongest probe's balanced accuracy. Chance is ``1 / n_groups`` (0.5 for
      two groups); a budget below chance cannot be met.

    When no candidate meets the budget, a
    :class:`~skinvariant.exceptions.BudgetNotMetWarning` names the closest
    one (the smallest excess over the budget, relative to it) and that most
    invariant model is refitted.

    A refit is checked before it is kept: if it measures, on its own training
    rows, above both a parity budget and every held-out fold of its ``lam``
    by more than the noise floor of those rows, it is not the model that
    cross-validation vouched for (fits at a large ``lam`` can vary from run
    to run, some collapsing). It is refitted once more with another
    ``random_state`` (drawn from the estimator's own, so a seeded search
    stays reproducible), with an
    :class:`~skinvariant.exceptions.UnstableRefitWarning`; if that refit
    breaks the budget too, the candidate is rejected, with another such
    warning, and the next candidate in the order above is refitted.

    ``fit(X, y, sensitive=s)`` works with metadata routing on or off, for a
    skinvariant estimator or a ``Pipeline`` holding one (its ``lam`` is
    found as ``<step>__lam``): last, or a skinvariant transformer before a
    predictor. The leakage budget reads the output of the step whose ``lam``
    is searched, whatever steps follow it. An estimator wrapped in
    :class:`~skinvariant.compose.SensitiveFromColumns` is searched too (it
    reads ``sensitive`` from ``X``; the budget still measures against
    ``sensitive=``). The search is a
    :class:`~sklearn.model_selection.GridSearchCV` over ``lam`` whose refit
    callable applies the budget.

    Parameters
    ----------
    estimator : estimator with a ``lam`` parameter
        A skinvariant estimator or a Pipeline holding one; it is cloned.
    budget : dict
        The most each measure may reach, e.g.
        ``{"demographic_parity_difference": 0.05}`` or ``{"leakage": 0.55}``;
        with several entries, all must hold. Keys among
        ``"demographic_parity_difference"``, ``"equalized_odds_difference"``
        and ``"leakage"``; values in [0, 1].
    lams : array-like of float, default=None
        The candidate values of ``lam``. None takes the grid that the
        estimator's class declares as ``lam_grid``.
    cv : int, cross-validation generator or iterable, default=3
        An int is the number of folds of a :class:`~sklearn.model_selection.StratifiedKFold`
        on the joint (``y``, ``sensitive``) cells, so that every fold holds
        every group (on ``y`` alone when some cell has fewer rows than folds,
        or for a regressor a :class:`~sklearn.model_selection.KFold`); shuffled
        when ``random_state`` is set. Other values as in ``GridSearchCV``.
    scoring : str, callable or None, default=None
        What "most accurate" means: one scorer, as ``GridSearchCV`` takes it.
        None is the estimator's ``score``: accuracy for a classifier, R^2 for
        a regressor.
    n_jobs : int, default=None
        Number of fits run in parallel (``None`` means 1).
    random_state : int, RandomState instance or None, default=None
        Seed of the folds' shuffle (for an int ``cv``) and of the leakage
        probes. The estimator keeps its own ``random_state``.
    verbose : int, default=0
        Verbosity of the underlying ``GridSearchCV``.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``GridSearchCV``.
    error_score : "raise" or float, default="raise"
        What a failed fit or measure scores. The default raises: a candidate
        dropped silently could change which ``lam`` meets the budget. With a
        number, a candidate whose measure is NaN does not meet the budget.

    Attributes
    ----------
    best_params_ : dict
        ``{lam parameter: chosen value}``, e.g. ``{"lam": 3.0}`` or
        ``{"iidmclassifier__lam": 3.0}``.
    best_estimator_ : estimator
        The chosen candidate refitted on all rows with their ``sensitive``
        (with another ``random_state`` where ``refit_retried`` says so).
    best_index_ : int
        Its index in ``cv_results_``.
    best_score_ : float
        Its mean cross-validated ``scoring``.
    budget_met_ : bool
        Whether the chosen candidate meets the budget in cross-validation and
        its refit was kept (False after either warning).
    refit_measures_ : dict of float
        The chosen model's parity measures (the budget's
        ``"demographic_parity_difference"`` and ``"equalized_odds_difference"``
        entries) on the rows it was refitted on: in-sample, a check on the
        refit, not an estimate for new rows. Empty for a leakage-only budget.
    noise_floor_ : dict of float
        For each parity entry of ``budget`` (binary ``y``), the gap that a
        predictor ignoring ``sensitive`` measures by chance on the held-out
        folds (:func:`~skinvariant.metrics.parity_noise_floor`, mean over
        folds). A budget below it draws a
        :class:`~skinvariant.exceptions.BudgetBelowNoiseWarning`: cross-validation
        cannot tell whether a candidate meets it.
    cv_results_ : dict of ndarray
        As ``GridSearchCV``'s: ``param_<lam parameter>``, ``params``,
        ``split<k>_test_score``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score`` for ``scoring``, the same for each budget measure
        by its key (``split<k>_test_leakage``, ``mean_test_leakage``, ...: the
        raw measure per held-out fold, ranked from the lowest), the fit and
        score times, ``meets_budget`` (bool per candidate),
        ``refit_retried`` (its first refit broke the budget and it was
        refitted with another ``random_state``) and ``refit_rejected`` (its
        refits were rejected).
    scorer_ : callable
        The ``scoring`` scorer, used by :meth:`score`.
    n_splits_ : int
        Number of folds.
    refit_time_ : float
        Seconds taken to refit the chosen candidate, with the retried and
        rejected refits before it and the checks.
    classes_ : ndarray of shape (n_classes,)
        Class labels, from ``best_estimator_``.
    n_features_in_ : int
        Number of features seen in ``fit``, from ``best_estimator_``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, where ``best_estimator_`` has them.

    See Also
    --------
    lam_path : The whole accuracy-fairness-leakage front on one held-out split.
    sklearn.model_selection.GridSearchCV : The search underneath.

    Examples
    --------
    >>> from skinvariant import IIDMClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> from skinvariant.model_selection import BudgetSearchCV
    >>> X, y, s = make_attribute_blobs(n_samples=300, n_groups=2, leakage=0.5, random_state=0)
    >>> search = BudgetSearchCV(IIDMClassifier(max_epochs=3, random_state=0),
    ...                         {"demographic_parity_difference": 0.2},
    ...                         lams=[0.0, 3.0, 30.0], random_state=0)
    >>> search.fit(X, y, sensitive=s).best_params_  # lam=0 has a DP of 0.46
    {'lam': 3.0}
    >>> search.budget_met_, search.transform(X).shape
    (True, (300, 2))
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "get_params", "set_params"])],
        "budget": [dict],
        "lams": ["array-like", None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "pre_dispatch": [numbers.Integral, str],
        "error_score": [StrOptions({"raise"}), numbers.Real],
    }

    # BudgetSearchCV measures fairness against ``sensitive`` itself
    __metadata_request__fit = {"sensitive": True}

    def __init__(
        self,
        estimator,
        budget,
        *,
        lams=None,
        cv=3,
        scoring=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score="raise",
    ):
        self.estimator = estimator
        self.budget = budget
        self.lams = lams
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score

    # -- checks ---------------------------------------------------------------

    def _check_budget(self):
        if not self.budget:
            raise ValueError(
                f"budget is empty; give at least one of {list(BUDGET_MEASURES)}, "
                "e.g. budget={'demographic_parity_difference': 0.05}."
            )
        unknown = sorted(set(self.budget) - set(BUDGET_MEASURES), key=str)
        if unknown:
            raise ValueError(
                f"budget has unknown measure(s) {unknown}; the valid keys are "
                f"{list(BUDGET_MEASURES)}."
            )
        budget = {}
        for key in BUDGET_MEASURES:
            if key not in self.budget:
                continue
            value = self.budget[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not 0 <= value <= 1
            ):
                raise ValueError(
                    f"budget[{key!r}] must be a number in [0, 1] (the most the "
                    f"measure may reach); got {value!r}."
                )
            budget[key] = float(value)
        predictions = _parity_keys(budget)
        if predictions and not is_classifier(self.estimator):
            raise ValueError(
                f"budget[{predictions[0]!r}] measures a classifier's predictions, "
                f"but {type(self.estimator).__name__} is not a classifier; bound "
                "its representation with budget={'leakage': ...}."
            )
        param = _find_lam_param(self.estimator)
        searched = self.estimator if param is None else _pipeline_path(self.estimator, param)[1]
        if "leakage" in budget and not hasattr(searched, "transform"):
            raise ValueError(
                f"budget['leakage'] reads the representation, but "
                f"{type(searched).__name__} has no transform."
            )
        if not hasattr(self.estimator, "predict"):
            raise ValueError(
                f"BudgetSearchCV keeps the most accurate lam within the budget, but "
                f"{type(self.estimator).__name__} does not predict: put it in a Pipeline "
                "before a predictor, e.g. make_pipeline(AffinityTransformer(), "
                "LogisticRegression())."
            )
        return budget

    @staticmethod
    def _check_binary_target(y, budget):
        """Refuse a parity budget for a target that is not binary."""
        predictions = _parity_keys(budget)
        target = type_of_target(y)
        if predictions and target != "binary":
            raise ValueError(
                f"budget[{predictions[0]!r}] compares positive-prediction rates and needs "
                f"a binary y; got a {target} target. Bound the representation with "
                "budget={'leakage': ...} instead."
            )

    def _check_lams(self, param):
        lams = self.lams
        if lams is None:
            prefix = _step_prefix(param)
            owner = (
                self.estimator.get_params(deep=True).get(prefix.removesuffix("__"))
                if prefix
                else self.estimator
            )
            lams = getattr(type(owner), "lam_grid", None)
            if lams is None:
                raise ValueError(
                    f"lams=None takes the estimator's lam_grid, but "
                    f"{type(owner).__name__} declares none; pass lams=[...]."
                )
        lams = np.asarray(lams, dtype=float).ravel() if np.ndim(lams) <= 1 else None
        if lams is None or lams.size == 0 or not np.isfinite(lams).all() or (lams < 0).any():
            raise ValueError(
                f"lams must be a non-empty 1-D list of finite non-negative "
                f"numbers; got {self.lams!r}."
            )
        return [float(lam) for lam in lams]

    def _lam_param(self):
        param = _find_lam_param(self.estimator)
        if param is None:
            raise ValueError(
                f"BudgetSearchCV searches over lam, but its estimator "
                f"{type(self.estimator).__name__} has no lam parameter: give a skinvariant "
                "estimator or a Pipeline holding one."
            )
        return param

    def _sensitive_and_params(self, sensitive, params, param):
        """``sensitive`` from either form, and the other fit parameters."""
        params = dict(params)
        legacy = _sensitive_fit_param(self.estimator, param)
        if legacy not in (None, "sensitive") and legacy in params:
            if sensitive is not None:
                raise TypeError(f"pass sensitive once: as sensitive= or as {legacy}=, not both.")
            sensitive = params.pop(legacy)
        if sensitive is None:
            prefixed = [key for key in params if key.endswith("__sensitive")]
            routed = (
                f" With metadata routing on, pass sensitive=s, not {prefixed[0]}=s."
                if prefixed
                else ""
            )
            raise ValueError(
                "BudgetSearchCV.fit needs sensitive: the budget is measured "
                f"against it; call fit(X, y, sensitive=s).{routed}"
            )
        return sensitive, params

    def _splits(self, X, y, sensitive, groups):
        """The folds, as a list of (train, test) index arrays."""
        classifier = is_classifier(self.estimator)
        if isinstance(self.cv, numbers.Integral) and classifier:
            shuffle = self.random_state is not None
            folds = StratifiedKFold(
                self.cv, shuffle=shuffle, random_state=self.random_state if shuffle else None
            )
            cells = as_frame(sensitive).astype(str)
            cells = cells.set_axis([f"s{column}" for column in range(cells.shape[1])], axis=1)
            cells["y"] = np.asarray(y).astype(str)
            strata = cells.groupby(list(cells.columns), sort=False).ngroup().to_numpy()
            if (
                type_of_target(y) in ("binary", "multiclass")
                and np.unique(strata, return_counts=True)[1].min() >= self.cv
            ):
                return list(folds.split(X, strata))
            return list(folds.split(X, y))
        if isinstance(self.cv, numbers.Integral):
            shuffle = self.random_state is not None
            folds = KFold(
                self.cv, shuffle=shuffle, random_state=self.random_state if shuffle else None
            )
        else:
            folds = check_cv(self.cv, y, classifier=classifier)
        return list(folds.split(X, y, groups))

    def _noise_floors(self, y, sensitive, budget, splits):
        """Each parity budget's noise floor: the mean over held-out folds of ``parity_noise_floor``."""
        parity = _parity_keys(budget)
        if not parity or type_of_target(y) != "binary":
            return {}
        y = np.asarray(y)
        return {
            key: float(
                np.mean(
                    [
                        parity_noise_floor(
                            take_rows(y, test), sensitive=take_rows(sensitive, test), measure=key
                        )
                        for _, test in splits
                    ]
                )
            )
            for key in parity
        }

    def _warn_below_noise(self):
        below = {key: floor for key, floor in self.noise_floor_.items() if self.budget[key] < floor}
        if below:
            named = ", ".join(
                f"{key} {self.budget[key]:g} < floor {floor:.3g}" for key, floor in below.items()
            )
            warn_at_caller(
                f"The budget lies below what a predictor ignoring sensitive measures by chance "
                f"on the {self.n_splits_} held-out folds ({named}): meeting it there is luck, "
                "and the chosen lam may not meet it on new rows. Use more rows or fewer folds "
                "(cv=...), or a budget above the floor.",
                BudgetBelowNoiseWarning,
            )

    def _warn_if_one_class(self, X, budget, param):
        """Warn when a parity budget is met by predicting one class for every row."""
        if not _parity_keys(budget):
            return
        predicted = np.unique(self.best_estimator_.predict(X))
        if len(predicted) == 1:
            warn_at_caller(
                f"The chosen {param}={self.best_params_[param]:g} predicts {predicted.tolist()[0]!r} "
                "for every training row: it meets the parity budget by treating every row "
                f"alike, at {self.best_score_:.3g} in cross-validation, about the majority "
                "class's accuracy. A looser budget, more epochs or another estimator may "
                "keep more of the task within it.",
                CollapseWarning,
            )

    def _probe_seed(self):
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _stable_refit(self, search, param, order, met, budget, X, y, sensitive, fit_params):
        """The chosen refit, after retrying or rejecting refits that break the budget unlike their folds.

        ``GridSearchCV`` refitted ``order[0]``. A refit that measures on its own
        training rows above both the budget and every held-out fold of its
        ``lam``, by more than the noise floor of those rows, is not the model
        that was cross-validated (fits at that ``lam`` vary from run to run).
        It is refitted once more with another ``random_state``; if that one
        breaks the budget too, the candidate is rejected and the next in
        ``order`` is refitted, until one is kept or none is left. Each step
        draws an :class:`UnstableRefitWarning`. Leakage has no such check:
        probes read on the rows the encoder was fitted on say nothing of new
        rows.

        Returns the model, its index, the per-candidate ``retried`` and
        ``rejected`` flags and the model's parity measures on its training rows.
        """
        results = search.cv_results_
        retried = np.zeros(len(met), dtype=bool)
        rejected = np.zeros(len(met), dtype=bool)
        model, index = search.best_estimator_, order[0]
        noise = self._noise_floors(y, sensitive, budget, [(None, slice(None))])  # all rows
        seed_param = _step_prefix(param) + "random_state"
        can_retry = seed_param in model.get_params(deep=True)
        while True:
            measures = _training_measures(model, X, y, sensitive, budget)
            folds = {
                key: [results[f"split{k}_test_{key}"][index] for k in range(search.n_splits_)]
                for key in measures
            }
            broken = [
                key
                for key, value in measures.items()
                if value > max(budget[key], np.nanmax(folds[key])) + noise.get(key, 0.0)
            ]
            if not broken:
                return model, index, retried, rejected, measures
            lam = results["params"][index][param]
            detail = "; ".join(
                f"{key} {measures[key]:.3g} against a budget of {budget[key]:g}, "
                f"{np.nanmin(folds[key]):.3g}-{np.nanmax(folds[key]):.3g} on the held-out folds "
                f"and a noise floor of {noise.get(key, 0.0):.3g}"
                for key in broken
            )
            if can_retry and not retried[index]:
                retried[index] = True
                seed = _another_seed(model.get_params(deep=True)[seed_param])
                instead = f"refitting it once more with {seed_param}={seed}."
                self._warn_unstable(param, lam, detail, instead)
                model = self._refit(search, index, X, y, fit_params, **{seed_param: seed})
                continue
            rejected[index] = True
            remaining = [i for i in order if not rejected[i]]
            self._warn_unstable(
                param, lam, detail, _after_rejection(results, param, met, index, remaining)
            )
            if not remaining:
                return model, index, retried, rejected, measures
            index = remaining[0]
            model = self._refit(search, index, X, y, fit_params)

    @staticmethod
    def _warn_unstable(param, lam, detail, instead):
        warn_at_caller(
            f"The refit at {param}={lam:g} measures, on its own training rows, {detail}: "
            "fits at this lam vary from run to run, so the cross-validated ones do not "
            f"vouch for it; {instead}",
            UnstableRefitWarning,
        )

    def _refit(self, search, index, X, y, fit_params, **overrides):
        """Fit the candidate ``index`` on all rows, its parameters routed as ``GridSearchCV`` does."""
        routed = search._get_routed_params_for_fit(fit_params)
        model = clone(self.estimator).set_params(
            **clone(search.cv_results_["params"][index], safe=False), **overrides
        )
        return model.fit(X, y, **routed.estimator.fit)

    # -- fit --------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator is validated by its fit
    def fit(self, X, y, *, sensitive=None, **params):
        """Cross-validate every ``lam``, then refit the most accurate one within the budget.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as the estimator takes it.
        y : array-like of shape (n_samples,)
            Target.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Group labels: sliced per fold for the estimator's ``fit`` and for
            the budget measures, and passed whole to the refit. With metadata
            routing off, a pipeline's ``<step>__sensitive=s`` is accepted too.
        **params : dict
            Other fit parameters: ``groups`` for a group splitter given as
            ``cv``; the rest go to the estimator as ``GridSearchCV`` passes
            them (routed metadata with routing on, fit parameters with it off).

        Returns
        -------
        self : BudgetSearchCV
            The fitted search.
        """
        budget = self._check_budget()
        param = self._lam_param()
        lams = self._check_lams(param)
        sensitive, params = self._sensitive_and_params(sensitive, params, param)
        check_sensitive_aligned(sensitive, X=X, y=y)
        X, y = indexable(X, y)
        if len(as_frame(sensitive)) != len(y):
            raise ValueError(
                f"sensitive has {len(as_frame(sensitive))} rows but X has "
                f"{len(y)}; pass one sensitive label per sample of X."
            )
        self._check_binary_target(y, budget)
        splits = self._splits(X, y, sensitive, params.pop("groups", None))

        scorers = {_SCORE: _ScoreWithoutSensitive(check_scoring(self.estimator, self.scoring))}
        for key in budget:
            scorers[key] = (
                _FoldLeakageScorer(X, sensitive, splits, self._probe_seed(), param)
                if key == "leakage"
                else _FoldFairnessScorer(_PREDICTION_MEASURES[key])
            )
        search = _BudgetGridSearchCV(
            self.estimator,
            {param: lams},
            scoring=scorers,
            refit=_BudgetRule(budget, param),
            cv=splits,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            pre_dispatch=self.pre_dispatch,
            error_score=self.error_score,
        )
        score_params = {"sensitive": sensitive}
        if "leakage" in budget:
            score_params[_ROWS] = np.arange(len(y))
        if _routing_enabled():
            fit_params = {**score_params, **params}
        else:
            search.budget_score_params = score_params
            fit_params = _with_sensitive(
                _sensitive_fit_param(self.estimator, param), sensitive, params
            )
        search.fit(X, y, **fit_params)

        results = search.cv_results_
        order, met = _preference(results, budget, param)
        refit_start = time.perf_counter()
        model, index, retried, rejected, measures = self._stable_refit(
            search, param, order, met, budget, X, y, sensitive, fit_params
        )
        for key in budget:  # lower is better: rank 1 is the most invariant
            results[f"rank_test_{key}"] = (
                pd.Series(results[f"mean_test_{key}"])
                .rank(method="min", na_option="bottom")
                .to_numpy(dtype=np.int32)
            )
        results["meets_budget"] = met
        results["refit_retried"] = retried
        results["refit_rejected"] = rejected
        self.cv_results_ = results
        self.best_index_ = index
        self.best_params_ = results["params"][index]
        self.best_score_ = float(results[f"mean_test_{_SCORE}"][index])
        self.best_estimator_ = model
        self.budget_met_ = bool(met[index] and not rejected[index])
        self.refit_measures_ = measures
        self.scorer_ = search.scorer_[_SCORE].scorer
        self.n_splits_ = search.n_splits_
        self.refit_time_ = search.refit_time_ + time.perf_counter() - refit_start
        self.noise_floor_ = self._noise_floors(y, sensitive, budget, splits)
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_
        self._warn_below_noise()
        self._warn_if_one_class(X, budget, param)
        if not met.any():
            measured = ", ".join(
                f"{key} {results[f'mean_test_{key}'][index]:.3g} (budget {limit:g})"
                for key, limit in budget.items()
            )
            warn_at_caller(
                f"No lam in {lams} meets the budget {budget} in cross-validation; the closest "
                f"is {param}={self.best_params_[param]:g}, with a mean {measured}. BudgetSearchCV refitted "
                "that most invariant candidate: try larger lams, a looser budget or more "
                "epochs.",
                BudgetNotMetWarning,
            )
        return self

    # -- delegation -----------------------------------------------------------------

    def __sklearn_is_fitted__(self):
        return hasattr(self, "best_estimator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = deepcopy(sub.classifier_tags)
        tags.regressor_tags = deepcopy(sub.regressor_tags)
        tags.input_tags.sparse = sub.input_tags.sparse
        return tags

    @property
    def classes_(self):
        """Class labels of the chosen model."""
        check_is_fitted(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of features the chosen model saw in ``fit``."""
        check_is_fitted(self)
        return self.best_estimator_.n_features_in_

    @available_if(_search_has("predict"))
    def predict(self, X):
        """Predict with the chosen model; no ``sensitive`` needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_search_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_search_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_search_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray
        """
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_search_has("transform"))
    def transform(self, X):
        """The chosen model's representation ``z`` of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    def score(self, X, y, **params):
        """``scoring`` of the chosen model on ``X`` and ``y``; no ``sensitive`` needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        **params : dict
            Passed to the scorer (e.g. ``sample_weight`` it requests).

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        return self.scorer_(self.best_estimator_, X, y, **params)

    def get_metadata_routing(self):
        """Metadata routing: ``sensitive`` for the search itself, the estimator and the splitter.

        Returns
        -------
        routing : :class:`~sklearn.utils.metadata_routing.MetadataRouter`
        """
        router = MetadataRouter(owner=type(self).__name__).add_self_request(self)
        router.add(
            estimator=self.estimator, method_mapping=MethodMapping().add(caller="fit", callee="fit")
        )
        router.add(
            scorer=check_scoring(self.estimator, self.scoring),
            method_mapping=MethodMapping()
            .add(caller="score", callee="score")
            .add(caller="fit", callee="score"),
        )
        router.add(
            splitter=check_cv(self.cv),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router
