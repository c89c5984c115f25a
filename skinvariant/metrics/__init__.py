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

The package is split by what it measures: ``_fairness`` (group fairness of
predictions, classification and regression), ``_leakage`` (fresh probes,
conditional entropy, re-attachment), ``_kernel`` (HSIC, MMD), ``_scorers``,
``_report``, ``_disentanglement`` and ``_downstream``; every public name is
imported here.
"""

from ._certificate import demographic_parity_bound, equalized_odds_bound
from ._disentanglement import (
    dci_disentanglement,
    mutual_information_gap,
    separated_attribute_predictability,
)
from ._downstream import downstream_fairness
from ._fairness import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equality_gap,
    equalized_odds_difference,
    group_error_gap,
    parity_gap,
    parity_noise_floor,
    worst_group_accuracy,
    worst_group_error,
)
from ._kernel import hsic, mmd
from ._leakage import conditional_entropy, continuous_leakage, reattach_sensitive, sensitive_leakage
from ._report import fairness_report
from ._scorers import (
    FairnessScorer,
    LeakageScorer,
    make_fairness_scorer,
    make_leakage_scorer,
    make_mutual_information_scorer,
)

__all__ = [
    "FairnessScorer",
    "LeakageScorer",
    "conditional_entropy",
    "continuous_leakage",
    "dci_disentanglement",
    "demographic_parity_bound",
    "demographic_parity_difference",
    "downstream_fairness",
    "equal_opportunity_difference",
    "equality_gap",
    "equalized_odds_bound",
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
    "parity_noise_floor",
    "reattach_sensitive",
    "sensitive_leakage",
    "separated_attribute_predictability",
    "worst_group_accuracy",
    "worst_group_error",
]
