"""Kernel statistics of dependence between a representation and ``sensitive``: HSIC and MMD."""

import numpy as np
import torch
from sklearn.utils import check_array, check_random_state

from skinvariant import kernels
from skinvariant.core._validation import (
    check_sensitive_aligned,
    continuous_columns,
    continuous_values,
    group_codes,
)

from ._groups import CONTINUOUS_ADVICE


def _kernel_rows(Z, sensitive, max_samples, random_state):
    """``Z`` as a float64 tensor and its row indices, subsampled to ``max_samples`` rows."""
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    rows = np.arange(len(Z))
    if len(Z) > max_samples:
        rows = np.sort(check_random_state(random_state).choice(len(Z), max_samples, replace=False))
    return torch.as_tensor(Z[rows], dtype=torch.float64), rows, len(Z)


def hsic(Z, sensitive, *, normalize=True, max_samples=5000, random_state=0):
    """Kernel dependence between a representation ``Z`` and ``sensitive``, without a probe.

    The Hilbert-Schmidt independence criterion (Gretton et al. 2005) with a
    Gaussian kernel on the standardised columns of ``Z`` (median-heuristic
    bandwidth, so rescaling ``Z`` changes nothing) and, for ``sensitive``, a
    delta kernel on group labels (intersectional for 2-D) or a Gaussian
    kernel on a continuous attribute. It is 0 when ``Z`` and ``sensitive``
    are independent; the normalised form is at most 1.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels, or numeric values with non-integer floats (continuous).
    normalize : bool, default=True
        Divide by ``sqrt(HSIC(Z, Z) HSIC(s, s))``.
    max_samples : int, default=5000
        Rows used at most (a random subset above it): memory grows as its square.
    random_state : int, RandomState instance or None, default=0
        Seed of the subset.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import hsic
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 500)
    >>> hsic(rng.normal(size=(500, 2)), s) < 0.05 < hsic(s[:, None] + rng.normal(size=(500, 1)), s)
    True
    """
    Z, rows, n_samples = _kernel_rows(Z, sensitive, max_samples, random_state)
    if continuous_columns(sensitive):
        values = continuous_values(sensitive, n_samples, advice="pass group labels")[rows]
        L = kernels.gaussian_kernel(torch.as_tensor(values, dtype=torch.float64))
    else:
        codes, groups = group_codes(
            sensitive, n_samples, advice=CONTINUOUS_ADVICE, compared_by="hsic"
        )
        L = kernels.delta_kernel(torch.as_tensor(codes[rows]), len(groups)).double()
    K = kernels.gaussian_kernel(Z)
    statistic = kernels.normalized_hsic(K, L) if normalize else kernels.hsic(K, L)
    return float(statistic)


def mmd(Z, sensitive, *, max_samples=5000, random_state=0):
    """Squared maximum mean discrepancy between each group's ``Z`` and all of ``Z``, averaged.

    A kernel two-sample statistic without a probe: 0 when every group's
    representation has the same distribution. Gaussian kernel on the
    standardised columns of ``Z`` with a median-heuristic bandwidth, so
    rescaling ``Z`` changes nothing.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels (intersectional for 2-D).
    max_samples : int, default=5000
        Rows used at most (a random subset above it).
    random_state : int, RandomState instance or None, default=0
        Seed of the subset.

    Returns
    -------
    float
    """
    Z, rows, n_samples = _kernel_rows(Z, sensitive, max_samples, random_state)
    codes, groups = group_codes(sensitive, n_samples, advice=CONTINUOUS_ADVICE, compared_by="mmd")
    K = kernels.gaussian_kernel(Z)
    return float(kernels.maximum_mean_discrepancy(K, torch.as_tensor(codes[rows]), len(groups)))
