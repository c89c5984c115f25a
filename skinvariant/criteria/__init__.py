"""Invariance criteria: one module per idea, all speaking :class:`InvarianceCriterion`."""

from ._base import InvarianceCriterion
from .adversarial import AdversarialCriterion, AdversaryCriterion
from .matching import DiscriminatorMatchingCriterion

__all__ = [
    "AdversarialCriterion",
    "AdversaryCriterion",
    "DiscriminatorMatchingCriterion",
    "InvarianceCriterion",
]
