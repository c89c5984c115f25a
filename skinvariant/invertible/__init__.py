"""The fully invertible network of Jacobsen, Behrmann, Zemel and Bethge
(ICLR 2019): independence cross-entropy moves the class information out of
the nuisance outputs of a bijective flow.

``_flows`` holds the flow's torch modules, ``_objective`` the objective and
``_estimator`` :class:`InvertibleClassifier`.
"""

from ._estimator import InvertibleClassifier
from ._flows import (
    ActNorm,
    AffineCoupling,
    ClassConditionalAffine,
    InvertibleFlow,
    InvertibleLinear,
    InvertibleNetwork,
    Permutation,
)
from ._objective import IndependenceCrossEntropyObjective

__all__ = [
    "ActNorm",
    "AffineCoupling",
    "ClassConditionalAffine",
    "IndependenceCrossEntropyObjective",
    "InvertibleClassifier",
    "InvertibleFlow",
    "InvertibleLinear",
    "InvertibleNetwork",
    "Permutation",
]
