"""The building blocks every method shares: the objective protocol, the
estimator bases, the training engine and its torch modules.

A method is one module that writes an :class:`Objective` and the estimators
that build it (see the user guide's *Adding a method* page). The engine
(:class:`InvariantNet`, a skorch ``NeuralNet``) knows no method: it trains
whatever objective an estimator's ``build_objective`` returns.
"""

from ._distributed import DataParallel
from ._docs import fill_doc
from ._engine import InvariantNet
from ._estimator import (
    InvariantClassifierBase,
    InvariantEstimatorBase,
    InvariantRegressorBase,
    SensitiveTypeMixin,
    TwoBlockRepresentationMixin,
    check_layer_sizes,
    store_parameters,
)
from ._graphs import GraphedTrainStep
from ._modules import BatchStandardize, FrozenEncoder, InvariantNetwork, grad_reverse, make_mlp
from ._objective import LAM, TASK_LOSS, Network, Objective, ObjectiveSum, Step, Term, task_loss
from ._penalty import KernelPenaltyObjective, batch_hsic

__all__ = [
    "LAM",
    "TASK_LOSS",
    "BatchStandardize",
    "DataParallel",
    "FrozenEncoder",
    "GraphedTrainStep",
    "InvariantClassifierBase",
    "InvariantEstimatorBase",
    "InvariantNet",
    "InvariantNetwork",
    "InvariantRegressorBase",
    "KernelPenaltyObjective",
    "Network",
    "Objective",
    "ObjectiveSum",
    "SensitiveTypeMixin",
    "Step",
    "Term",
    "TwoBlockRepresentationMixin",
    "batch_hsic",
    "check_layer_sizes",
    "fill_doc",
    "grad_reverse",
    "make_mlp",
    "store_parameters",
    "task_loss",
]
