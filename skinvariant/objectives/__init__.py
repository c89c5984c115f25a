"""Objectives: one module per method, all speaking the protocol of :class:`Objective`."""

from ._base import LAM, TASK_LOSS, Network, Objective, ObjectiveSum, Step, Term, task_loss
from .adversarial import AdversarialObjective, AdversaryObjective
from .affinity import AffinityObjective
from .contrastive import ContrastiveInvariantObjective, supervised_contrastive_loss
from .independence import IndependenceCrossEntropyObjective
from .kernel import KernelIndependenceObjective, KernelPenaltyObjective
from .matching import DiscriminatorMatchingObjective
from .mutual_info import MutualInformationObjective

__all__ = [
    "LAM",
    "TASK_LOSS",
    "AdversarialObjective",
    "AdversaryObjective",
    "AffinityObjective",
    "ContrastiveInvariantObjective",
    "DiscriminatorMatchingObjective",
    "IndependenceCrossEntropyObjective",
    "KernelIndependenceObjective",
    "KernelPenaltyObjective",
    "MutualInformationObjective",
    "Network",
    "Objective",
    "ObjectiveSum",
    "Step",
    "Term",
    "supervised_contrastive_loss",
    "task_loss",
]
