"""skinvariant: scikit-learn estimators that learn representations invariant to a
sensitive or nuisance attribute."""

from .classifiers import (
    AdversarialClassifier,
    AffinityClassifier,
    HSICClassifier,
    IIDMClassifier,
    MINEDebiasedClassifier,
)
from .contrastive import ContrastiveInvariantClassifier
from .exceptions import BudgetNotMetWarning, DivergenceError, NoInvarianceWarning
from .invertible import InvertibleClassifier
from .regressors import (
    AdversarialRegressor,
    HSICRegressor,
    IIDMRegressor,
    MINEDebiasedRegressor,
)
from .transformers import AffinityTransformer

__version__ = "0.1.0.dev0"

__all__ = [
    "AdversarialClassifier",
    "AdversarialRegressor",
    "AffinityClassifier",
    "AffinityTransformer",
    "BudgetNotMetWarning",
    "ContrastiveInvariantClassifier",
    "DivergenceError",
    "HSICClassifier",
    "HSICRegressor",
    "IIDMClassifier",
    "IIDMRegressor",
    "InvertibleClassifier",
    "MINEDebiasedClassifier",
    "MINEDebiasedRegressor",
    "NoInvarianceWarning",
    "__version__",
]
