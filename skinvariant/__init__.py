"""skinvariant: scikit-learn estimators that learn representations invariant to a
sensitive or nuisance attribute.

One module per method holds its objective and its estimators:
:mod:`skinvariant.adversarial`, :mod:`skinvariant.iidm`,
:mod:`skinvariant.mine`, :mod:`skinvariant.hsic`,
:mod:`skinvariant.affinity`, :mod:`skinvariant.invertible` and
:mod:`skinvariant.contrastive`; :mod:`skinvariant.core` holds what they share.
:mod:`skinvariant.certified` holds the representations with finitely many
cells and a certificate (FARE).
"""

from .adversarial import AdversarialClassifier, AdversarialRegressor
from .affinity import AffinityClassifier, AffinityTransformer
from .certified import FAREClassifier, FARETransformer, QuantizedRepresentation
from .contrastive import ContrastiveInvariantClassifier
from .exceptions import (
    BudgetBelowNoiseWarning,
    BudgetNotMetWarning,
    CollapseWarning,
    DivergenceError,
    GraphCaptureWarning,
    NoInvarianceWarning,
    UnstableRefitWarning,
)
from .hsic import HSICClassifier, HSICRegressor
from .iidm import IIDMClassifier, IIDMRegressor
from .invertible import InvertibleClassifier
from .mine import MINEDebiasedClassifier, MINEDebiasedRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "AdversarialClassifier",
    "AdversarialRegressor",
    "AffinityClassifier",
    "AffinityTransformer",
    "BudgetBelowNoiseWarning",
    "BudgetNotMetWarning",
    "CollapseWarning",
    "ContrastiveInvariantClassifier",
    "DivergenceError",
    "FAREClassifier",
    "FARETransformer",
    "HSICClassifier",
    "HSICRegressor",
    "IIDMClassifier",
    "IIDMRegressor",
    "InvertibleClassifier",
    "MINEDebiasedClassifier",
    "MINEDebiasedRegressor",
    "GraphCaptureWarning",
    "NoInvarianceWarning",
    "QuantizedRepresentation",
    "UnstableRefitWarning",
    "__version__",
]
