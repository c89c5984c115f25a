"""The affinity loss (paper 004): pull each sample towards its nearest
neighbour of another group in the representation.

No learner samples apart two points with the same representation, so a
representation in which every sample has a near twin in another group cannot
reveal the group. The loss needs no auxiliary network.
"""

import torch
import torch.nn.functional as F

from ..modules import batch_standardized
from ._base import LAM, Objective, Term


class AffinityObjective(Objective):
    """Mean L1 distance in z from each sample to its nearest partner in the batch.

    A sample's partners are the batch's samples of another group (and, with
    ``same_class``, of its own class). The nearest one is found without a
    gradient; the distance to it is differentiable in both samples. Distances
    are averaged within each group, then over the groups, and divided by the
    number of classes: with two groups and ``same_class`` this is paper 004's
    eq. 3, ``1 / (|Y| |X1|) sum_y sum_{x1 in X1, y} min_{x2 in X2, y} |g(x1) - g(x2)|_1``,
    taken in both directions. Samples without a partner in their batch are
    skipped; their share is reported as the metric ``"unpaired_fraction"``.

    Distances are taken on the batch-standardised z (each column centred and
    scaled to unit variance over the batch). On the raw z the loss falls as
    the encoder shrinks z, which removes nothing a fresh probe cannot read
    back (measured: z's spread fell from 0.96 to 0.12 at ``lam=1`` and a probe
    read more of the group); on the standardised z shrinking changes nothing.

    Parameters
    ----------
    n_groups : int
        Number of sensitive groups (codes ``0 .. n_groups - 1``).
    n_classes : int
        Number of target classes.
    same_class : bool, default=True
        Partners must share the sample's class (eq. 3); False allows any
        class (eq. 2), which may pull different classes together.
    """

    stratify_batches = True  # every batch should hold partners for every cell

    def __init__(self, n_groups, n_classes, *, same_class=True):
        super().__init__()
        self.n_groups = n_groups
        self.n_classes = n_classes
        self.same_class = same_class

    def _nearest_distances(self, z, s, y):
        """Distance of each sample to its nearest partner, and which samples have one."""
        allowed = s[:, None] != s[None, :]
        if self.same_class:
            allowed &= y[:, None] == y[None, :]
        with torch.no_grad():
            distances = torch.cdist(z, z, p=1).masked_fill(~allowed, torch.inf)
            nearest = distances.argmin(dim=1)
        return (z - z[nearest]).abs().sum(dim=1), allowed.any(dim=1)

    def _affinity(self, z, s, y):
        """Return the affinity loss and the share of samples without a partner."""
        distances, paired = self._nearest_distances(z, s, y)
        unpaired_fraction = 1.0 - paired.float().mean()
        if not paired.any():
            return z.sum() * 0.0, unpaired_fraction
        # per-group means by a one-hot product (index_add_ is not deterministic on CUDA)
        membership = F.one_hot(s[paired], self.n_groups).to(z.dtype)
        group_sums = membership.T @ distances[paired]
        group_counts = membership.sum(dim=0)
        present = group_counts > 0
        group_means = group_sums[present] / group_counts[present]
        return group_means.mean() / self.n_classes, unpaired_fraction

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def penalty(self, step):
        """The affinity loss of the batch; records the share of unpaired samples."""
        affinity, unpaired_fraction = self._affinity(
            batch_standardized(step.outputs["z"]), step.s, step.y
        )
        step.record("unpaired_fraction", unpaired_fraction)
        return affinity
