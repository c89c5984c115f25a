"""A kernel independence penalty: HSIC between the representation and ``sensitive``.

No critic network: the statistic is computed from the batch itself, with a
Gaussian kernel on the batch-standardised z (so shrinking z cannot lower it)
and a delta kernel on group labels or a Gaussian kernel on a continuous
attribute (Gretton et al. 2005). For group labels HSIC with a delta kernel
compares each group's mean embedding with the pooled one, as an MMD does.
"""

from .. import kernels
from ._base import LAM, Objective, Term


class KernelIndependenceObjective(Objective):
    """Penalise the normalised HSIC between z and ``s`` within each batch.

    Parameters
    ----------
    s_dim : int
        Number of groups of a categorical attribute (``s`` holds group codes),
        or of columns of a continuous one (``s`` holds floats).
    categorical : bool, default=True
        Whether ``s`` holds group codes.
    """

    def __init__(self, s_dim, *, categorical=True):
        super().__init__()
        self.s_dim = s_dim
        self.categorical = categorical
        # every batch should hold every group, for the statistic to compare them
        self.stratify_batches = categorical

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def penalty(self, step):
        """The normalised HSIC between the batch's z and s."""
        z, s = step.outputs["z"], step.s
        if self.categorical:
            L = kernels.delta_kernel(s, self.s_dim).to(z.dtype)
        else:
            L = kernels.gaussian_kernel(s.reshape(len(s), -1).to(z.dtype))
        if len(z) < 2:
            return z.sum() * 0.0
        return kernels.normalized_hsic(kernels.gaussian_kernel(z), L)


class KernelPenaltyObjective(KernelIndependenceObjective):
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
    """

    def __init__(self, s_dim, *, categorical=True, weight=1.0):
        super().__init__(s_dim, categorical=categorical)
        self.weight = weight

    def terms(self):
        return [Term("kernel_penalty", self.kernel_penalty, weight=LAM, needs_sensitive=True)]

    def kernel_penalty(self, step):
        """``weight * nHSIC(z, s)`` of the batch; records the statistic as ``hsic``."""
        statistic = self.penalty(step)
        step.record("hsic", statistic)
        return self.weight * statistic
