"""Objectives: one module per method, all speaking the protocol of :class:`Objective`."""

from ._base import LAM, Network, Objective, Step, Term, task_loss
from .adversarial import AdversarialObjective, AdversaryObjective
from .affinity import AffinityObjective
from .contrastive import ContrastiveInvariantObjective, supervised_contrastive_loss
from .independence import IndependenceCrossEntropyObjective
from .kernel import KernelIndependenceObjective, WithKernelPenalty
from .matching import DiscriminatorMatchingObjective
from .mutual_info import MutualInformationObjective

__all__ = [
    "LAM",
    "AdversarialObjective",
    "AdversaryObjective",
    "AffinityObjective",
    "ContrastiveInvariantObjective",
    "DiscriminatorMatchingObjective",
    "IndependenceCrossEntropyObjective",
    "KernelIndependenceObjective",
    "MutualInformationObjective",
    "Network",
    "Objective",
    "Step",
    "Term",
    "WithKernelPenalty",
    "supervised_contrastive_loss",
    "task_loss",
]
