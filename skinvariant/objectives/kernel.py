"""A kernel independence penalty: HSIC between the representation and ``sensitive``.

No critic network: the statistic is computed from the batch itself, with a
Gaussian kernel on the batch-standardised z (so shrinking z cannot lower it)
and a delta kernel on group labels or a Gaussian kernel on a continuous
attribute (Gretton et al. 2005). For group labels HSIC with a delta kernel
compares each group's mean embedding with the pooled one, as an MMD does.
"""


from .. import kernels
from ._base import LAM, Objective, Term, task_loss


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
        return [Term("task_loss", task_loss),
                Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

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
