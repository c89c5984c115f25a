"""Invariance criteria: one module per idea, all speaking :class:`InvarianceCriterion`."""

from ._base import InvarianceCriterion
from .adversarial import AdversarialCriterion, AdversaryCriterion
from .affinity import AffinityCriterion
from .matching import DiscriminatorMatchingCriterion
from .mutual_info import MutualInformationCriterion

__all__ = [
    "AffinityCriterion",
    "AdversarialCriterion",
    "AdversaryCriterion",
    "DiscriminatorMatchingCriterion",
    "InvarianceCriterion",
    "MutualInformationCriterion",
]
