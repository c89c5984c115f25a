"""Kernel statistics of dependence: HSIC between two variables, MMD between groups.

Gaussian kernels take the median heuristic for their bandwidth (the median
pairwise distance), on standardised columns, so that rescaling z does not
change the statistics.
"""

import torch
import torch.nn.functional as F

__all__ = [
    "batch_standardized",
    "delta_kernel",
    "gaussian_kernel",
    "hsic",
    "maximum_mean_discrepancy",
    "normalized_hsic",
]


def batch_standardized(x, eps=1e-10):
    """Each column of ``x`` minus its batch mean, divided by ``sqrt(var + eps)``.

    Rescaling ``x`` leaves the result unchanged (while its spread is well
    above ``sqrt(eps)``), so a penalty computed on it cannot be lowered by
    shrinking the representation. ``eps`` sits inside the square root: the
    root's gradient is infinite at zero spread (a batch of one row, a constant
    column), which would make every gradient NaN.
    """
    centered = x - x.mean(dim=0, keepdim=True)
    return centered * torch.rsqrt(centered.pow(2).mean(dim=0, keepdim=True) + eps)


def gaussian_kernel(x):
    """Gaussian kernel matrix of the standardised rows of ``x``, median-heuristic bandwidth."""
    x = batch_standardized(x)
    squared = torch.cdist(x, x).pow(2)
    # the median of the pairs above the diagonal, which is that of all
    # off-diagonal entries (each pair is there twice), gathered by index: a
    # mask would give a data-dependent size, which waits on the device
    rows, columns = torch.triu_indices(len(x), len(x), offset=1, device=x.device)
    bandwidth = squared[rows, columns].median().detach().clamp(min=1e-12) if len(x) > 1 else 1.0
    return torch.exp(-squared / bandwidth)


def delta_kernel(codes, n_groups):
    """Kernel matrix of group labels: 1 for two rows of the same group, else 0."""
    one_hot = F.one_hot(codes, n_groups).to(torch.get_default_dtype())
    return one_hot @ one_hot.T


def hsic(K, L):
    """Biased estimate of the Hilbert-Schmidt independence criterion from two kernel matrices."""
    n = len(K)
    K_centered = K - K.mean(dim=0, keepdim=True) - K.mean(dim=1, keepdim=True) + K.mean()
    return (K_centered * L).sum() / (n - 1) ** 2


def normalized_hsic(K, L):
    """HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)): 0 when independent, 1 at most.

    0, with a zero gradient, when either kernel does not vary over the rows
    (e.g. a batch whose rows all share one group): nothing then depends on
    anything, and the ratio would divide rounding error by zero.
    """
    scales = hsic(K, K) * hsic(L, L)
    varies = scales > 1e-12
    # where() twice: the discarded branch must not see sqrt(0), whose gradient is infinite
    ratio = hsic(K, L) / torch.sqrt(torch.where(varies, scales, torch.ones_like(scales)))
    return torch.where(varies, ratio, torch.zeros_like(ratio))


def maximum_mean_discrepancy(K, codes, n_groups):
    """Squared MMD between each group's rows and all rows, averaged over the groups present.

    ``K`` is the kernel matrix of all rows; biased (V-statistic) estimate.
    """
    one_hot = F.one_hot(codes, n_groups).to(K.dtype)
    counts = one_hot.sum(dim=0)
    present = counts > 0
    weights = one_hot[:, present] / counts[present]  # each group's mean embedding
    pooled = torch.full((len(K), 1), 1.0 / len(K), dtype=K.dtype, device=K.device)
    difference = weights - pooled  # (n, groups present)
    return ((difference * (K @ difference)).sum(dim=0)).mean()
