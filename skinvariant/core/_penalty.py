"""The kernel penalty any method may add: ``lam * kernel_penalty * nHSIC(z, s)``.

No critic network: the statistic is computed from the batch itself, with a
Gaussian kernel on the batch-standardised z (so shrinking z cannot lower it)
and a delta kernel on group labels or a Gaussian kernel on a continuous
attribute (Gretton et al., ALT 2005). For group labels HSIC with a delta
kernel compares each group's mean embedding with the pooled one, as an MMD
does. Its cost grows as the square of the rows, so a batch larger than
``max_rows`` gives the statistic a random subset of its rows.
"""

import torch

from .. import kernels
from ._objective import LAM, Objective, Term


def batch_hsic(z, s, s_dim, *, categorical):
    """The normalised HSIC between a batch's representation ``z`` and attribute ``s``.

    Parameters
    ----------
    z : torch.Tensor of shape (n, k)
        The batch's representation.
    s : torch.Tensor
        Group codes of shape (n,) when ``categorical``, else float columns.
    s_dim : int
        Number of groups, or of columns of a continuous ``s``.
    categorical : bool
        Whether ``s`` holds group codes.

    Returns
    -------
    torch.Tensor
        A scalar; 0 (with a gradient) for a batch of one row.
    """
    if categorical:
        L = kernels.delta_kernel(s, s_dim).to(z.dtype)
    else:
        L = kernels.gaussian_kernel(s.reshape(len(s), -1).to(z.dtype))
    if len(z) < 2:
        return z.sum() * 0.0
    return kernels.normalized_hsic(kernels.gaussian_kernel(z), L)


class KernelPenaltyObjective(Objective):
    """``lam * weight * nHSIC(z, s)`` as a term of its own, to add to another method's objective.

    The kernel statistic needs no network and cannot be fooled, so it adds to
    any objective whose representation should be independent of ``s``
    (``ObjectiveSum(objective, KernelPenaltyObjective(...))``). The term is
    ``kernel_penalty``; the history records the unweighted statistic as
    ``train_hsic``.

    Parameters
    ----------
    s_dim : int
        Number of groups, or of columns of a continuous ``s``.
    categorical : bool, default=True
        Whether ``s`` holds group codes.
    weight : float, default=1.0
        Factor of the normalised HSIC, relative to ``lam``.
    max_rows : int, default=512
        Most rows of a batch the statistic reads: a larger batch gives it
        ``max_rows`` of its rows drawn at random (torch's generator), so that
        the term costs at most ``max_rows ** 2`` kernel entries whatever the
        batch size.
    """

    def __init__(self, s_dim, *, categorical=True, weight=1.0, max_rows=512):
        super().__init__()
        self.s_dim = s_dim
        self.categorical = categorical
        self.weight = weight
        self.max_rows = max_rows
        # every batch should hold every group, for the statistic to compare them
        self.stratify_batches = categorical

    graph_capturable = True

    def terms(self):
        return [Term("kernel_penalty", self.kernel_penalty, weight=LAM, needs_sensitive=True)]

    def kernel_penalty(self, step):
        """``weight * nHSIC(z, s)`` of the batch (of ``max_rows`` of its rows); records it as ``hsic``."""
        z, s = step.outputs["z"], step.s
        if len(z) > self.max_rows:  # a random subset; argsort of draws keeps the shape static
            rows = torch.argsort(torch.rand(len(z), device=z.device))[: self.max_rows]
            z, s = z[rows], s[rows]
        statistic = batch_hsic(z, s, self.s_dim, categorical=self.categorical)
        step.record("hsic", statistic)
        return self.weight * statistic
