"""Invariance induction by discriminator matching (IIDM, Iwasawa et al. 2020).

The adversary q(s|z) is trained as in adversarial invariance. The encoder is
not asked to fool it; instead the adversary's output on a sample of group j is
pushed towards the average output on each other group (its centroid), which
minimises the divergence between the groups' representations.
"""

import torch
import torch.nn.functional as F

from .adversarial import AdversaryObjective


class DiscriminatorMatchingObjective(AdversaryObjective):
    """Discriminator matching with moving centroids.

    Parameters
    ----------
    z_dim, n_groups
        See :class:`~skinvariant.objectives.adversarial.AdversaryObjective`.
    n_classes : int
        Number of target classes (used by semantic alignment).
    decay : float, default=0.7
        Decay gamma of the centroids' moving average:
        ``c <- gamma * c + (1 - gamma) * batch mean``.
    semantic_alignment : bool, default=False
        IIDM+: keep one centroid per (class, group) cell and match each sample
        only to the cells of its own class.
    **adversary_options
        The adversary's options, those of
        :class:`~skinvariant.objectives.adversarial.AdversaryObjective`.
    """

    def __init__(
        self,
        z_dim,
        n_groups,
        n_classes,
        *,
        decay=0.7,
        semantic_alignment=False,
        **adversary_options,
    ):
        super().__init__(z_dim, n_groups, **adversary_options)
        self.n_groups = n_groups
        self.decay = decay
        self.semantic_alignment = semantic_alignment
        n_rows = n_classes if semantic_alignment else 1
        # centroids[row, j]: moving average of the adversary's logits on group j
        # (row = class under semantic alignment); seen marks cells with data.
        self.register_buffer("centroids", torch.zeros(n_rows, n_groups, n_groups))
        self.register_buffer("seen", torch.zeros(n_rows, n_groups, dtype=torch.bool))

    def _cell_means(self, z, s, y):
        """Mean adversary logits of each cell present in the batch, and the presence mask."""
        rows = y if self.semantic_alignment else torch.zeros_like(s)
        cells = rows * self.n_groups + s
        n_cells = self.seen.numel()
        logits = self.adversary(z)
        # a one-hot product rather than index_add_, which is not deterministic on CUDA
        membership = F.one_hot(cells, n_cells).to(logits.dtype)
        sums = membership.T @ logits
        counts = membership.sum(dim=0)
        means = sums / counts.clamp(min=1)[:, None]
        return means.view_as(self.centroids), (counts > 0).view_as(self.seen)

    @torch.no_grad()
    def initialize(self, step):
        if step.s is None:
            return
        means, present = self._cell_means(step.outputs["z"], step.s, step.y)
        self.centroids.copy_(means)
        self.seen.copy_(present)

    @torch.no_grad()
    def after_step(self, updated, step):
        """Move the centroids once the adversary has taken its steps on the batch."""
        if updated != "adversary":
            return
        means, present = self._cell_means(step.outputs["z"], step.s, step.y)
        moved = self.decay * self.centroids + (1 - self.decay) * means
        # a cell absent from the batch keeps its centroid; a cell seen for the
        # first time starts at its batch mean
        updated = torch.where(self.seen[..., None], moved, means)
        self.centroids.copy_(torch.where(present[..., None], updated, self.centroids))
        self.seen |= present

    def penalty(self, step):
        z, s, y = step.outputs["z"], step.s, step.y
        log_q = F.log_softmax(self.adversary(z), dim=1)  # (n, K)
        rows = y if self.semantic_alignment else torch.zeros_like(s)
        target_log_p = F.log_softmax(self.centroids[rows], dim=2)  # (n, K groups j, K outputs)
        target_p = target_log_p.exp()
        # KL(softmax(c_j) || q(.|z_i)) for every sample i and group j
        kl = (target_p * (target_log_p - log_q[:, None, :])).sum(dim=2)
        partners = self.seen[rows].clone()
        partners.scatter_(1, s[:, None], False)
        n_partners = partners.sum(dim=1)
        has_partner = n_partners > 0
        if not has_partner.any():
            return log_q.sum() * 0.0
        per_sample = (kl * partners).sum(dim=1)[has_partner] / n_partners[has_partner]
        return per_sample.mean()
