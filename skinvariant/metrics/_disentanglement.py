"""Disentanglement of a representation against known generative factors, with the
definitions of disentanglement_lib: MIG, SAP and DCI.
"""

import numbers

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import (
    GradientBoostingClassifier,
)
from sklearn.metrics import (
    mutual_info_score,
)
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC
from sklearn.utils import Bunch, check_array


def _check_matrix(name, values, columns, dtype):
    """``values`` as a finite 2-D array, or a ValueError naming ``name``."""
    if np.ndim(values) != 2:
        raise ValueError(
            f"{name} must be 2-D, of shape (n_samples, n_{columns}); got shape "
            f"{np.shape(values)}. Reshape a single column with .reshape(-1, 1)."
        )
    return check_array(
        values, dtype=dtype, ensure_min_samples=2, ensure_min_features=0, input_name=name
    )


def _check_factors_codes(factors, codes, *, min_codes=1, numeric_factors=False):
    """Validate the generative ``factors`` and the learned ``codes`` of the same samples.

    Every factor must take at least two values: a constant one has no entropy
    to explain and no classes to predict.
    """
    factors = _check_matrix("factors", factors, "factors", "numeric" if numeric_factors else None)
    codes = _check_matrix("codes", codes, "codes", "numeric")
    if len(factors) != len(codes):
        raise ValueError(
            f"factors and codes must describe the same samples, one row each; got "
            f"{len(factors)} and {len(codes)} rows."
        )
    if factors.shape[1] == 0:
        raise ValueError("factors has no column; pass at least one generative factor.")
    if codes.shape[1] < min_codes:
        raise ValueError(
            f"codes needs at least {min_codes} columns (the gap between the two "
            f"codes that best explain a factor); got {codes.shape[1]}."
        )
    for column, factor in enumerate(factors.T):
        if len(np.unique(factor)) < 2:
            raise ValueError(
                f"factors column {column} is constant; drop it, a factor that never "
                "changes cannot be explained by any code."
            )
    return factors, codes


def _top_two_gap(scores):
    """Per column of ``scores`` (one per factor), the largest score minus the second largest."""
    ordered = np.sort(scores, axis=0)
    return ordered[-1] - ordered[-2]


def _equal_width_bins(codes, n_bins):
    """Each column of ``codes`` replaced by the index of its equal-width bin (of ``n_bins``)."""
    return np.column_stack(
        [np.digitize(code, np.histogram_bin_edges(code, n_bins)[:-1]) for code in codes.T]
    )


def mutual_information_gap(factors, codes, *, n_bins=20):
    """Mutual information gap (MIG) of ``codes`` with respect to known ``factors``.

    Each code is discretised into ``n_bins`` equal-width bins; the mutual
    information between every (binned code, factor) pair is computed with
    :func:`sklearn.metrics.mutual_info_score`. For each factor, the gap between
    the two most informative codes is divided by the factor's entropy; MIG is
    the mean over factors (Chen et al. 2018, as in disentanglement_lib). A code
    in which each factor lives in one coordinate scores close to 1; a code that
    spreads every factor over several coordinates, close to 0.

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Discrete generative factors: every distinct value of a column is a
        class (bin a continuous factor first). Each must take two values or more.
    codes : array-like of shape (n_samples, n_codes)
        The representation, at least two codes, e.g. ``estimator.transform(X)``.
    n_bins : int, default=20
        Number of equal-width bins per code (disentanglement_lib's default).

    Returns
    -------
    mig : float
        In [0, 1]; higher is more disentangled.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import mutual_information_gap
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 4, size=(1000, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(1000, 2))
    >>> mutual_information_gap(factors, aligned) > 0.9
    True
    >>> mixed = aligned @ np.array([[1.0, 1.0], [1.0, -1.0]])
    >>> mutual_information_gap(factors, mixed) < 0.5
    True
    """
    factors, codes = _check_factors_codes(factors, codes, min_codes=2)
    if not isinstance(n_bins, numbers.Integral) or isinstance(n_bins, bool) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2; got {n_bins!r}.")
    binned = _equal_width_bins(codes, n_bins)
    information = np.array(
        [[mutual_info_score(factor, code) for factor in factors.T] for code in binned.T]
    )
    entropies = np.array([mutual_info_score(factor, factor) for factor in factors.T])
    return float(np.mean(_top_two_gap(information) / entropies))


def _squared_correlations(factors, codes):
    """R^2 of a one-code linear fit of each factor: ndarray (n_codes, n_factors).

    A constant code scores 0 (disentanglement_lib's convention).
    """
    factors = factors - factors.mean(axis=0)
    codes = codes - codes.mean(axis=0)
    covariance = codes.T @ factors
    code_variance = np.sum(codes**2, axis=0)[:, np.newaxis]
    factor_variance = np.sum(factors**2, axis=0)[np.newaxis, :]
    varying = code_variance > 1e-12 * len(codes)
    return np.where(
        varying, covariance**2 / np.where(varying, code_variance, 1.0) / factor_variance, 0.0
    )


def _single_code_accuracies(factors, codes, test_size, random_state):
    """Held-out accuracy of a one-code linear classifier of each factor: (n_codes, n_factors)."""
    codes_train, codes_test, factors_train, factors_test = train_test_split(
        codes, factors, test_size=test_size, random_state=random_state
    )
    classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=random_state)
    return np.array(
        [
            [
                clone(classifier)
                .fit(codes_train[:, [code]], factors_train[:, factor])
                .score(codes_test[:, [code]], factors_test[:, factor])
                for factor in range(factors.shape[1])
            ]
            for code in range(codes.shape[1])
        ]
    )


def separated_attribute_predictability(
    factors, codes, *, continuous_factors=False, test_size=0.3, random_state=0
):
    """Separated attribute predictability (SAP) of ``codes`` with respect to ``factors``.

    Every factor is predicted from every code alone. For a discrete factor the
    score is the held-out accuracy of a linear classifier
    (:class:`~sklearn.svm.LinearSVC` with ``C=0.01`` and balanced class
    weights, fitted on a split of the rows); for a continuous factor, the R^2
    of a linear regression on the code (its squared correlation, on all rows).
    SAP is the mean over factors of the gap between the two best codes
    (Kumar et al. 2018, as in disentanglement_lib). A one-code linear
    classifier separates many-valued factors poorly, so even a perfectly
    aligned code stays well below 1 for them; compare codes, not the value
    with 1.

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Generative factors; discrete labels unless ``continuous_factors``.
    codes : array-like of shape (n_samples, n_codes)
        The representation, at least two codes, e.g. ``estimator.transform(X)``.
    continuous_factors : bool, default=False
        If True, the factors are numbers and scored by R^2; otherwise classes
        scored by held-out accuracy.
    test_size : float or int, default=0.3
        Share (or number) of rows held out to score the classifiers.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the classifiers.

    Returns
    -------
    sap : float
        In [0, 1]; higher is more disentangled.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import separated_attribute_predictability
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(1000, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(1000, 2))
    >>> round(separated_attribute_predictability(factors, aligned, continuous_factors=True), 2)
    0.99
    """
    factors, codes = _check_factors_codes(
        factors, codes, min_codes=2, numeric_factors=continuous_factors
    )
    if continuous_factors:
        scores = _squared_correlations(factors.astype(float), codes)
    else:
        scores = _single_code_accuracies(factors, codes, test_size, random_state)
    return float(np.mean(_top_two_gap(scores)))


def _importance_specificity(importances):
    """Sum over rows of (row's share of the total) x (1 - entropy of the row, in base n_columns).

    The row entropy normalised by its largest value: 0 for a row whose
    importance lies in one column, 1 for a uniform row (with a single column,
    every row counts as specific). A matrix of zeros weighs the rows equally,
    as disentanglement_lib does.
    """
    n_rows, n_columns = importances.shape
    if n_columns == 1:
        specificity = np.ones(n_rows)
    else:
        specificity = 1.0 - stats.entropy(importances.T + 1e-11, base=n_columns)
    total = importances.sum()
    weights = importances.sum(axis=1) / total if total > 0 else np.full(n_rows, 1 / n_rows)
    return float(weights @ specificity)


def dci_disentanglement(factors, codes, *, test_size=0.3, random_state=0):
    """DCI disentanglement, completeness and informativeness of ``codes``.

    One :class:`~sklearn.ensemble.GradientBoostingClassifier` per factor
    learns it from all the codes on a split of the rows; its
    ``feature_importances_`` form column ``j`` of the importance matrix
    ``R`` (codes x factors). With ``P_i`` row ``i`` of ``R`` normalised and
    ``rho_i`` its share of the total importance:

    - disentanglement is ``sum_i rho_i (1 - H_K(P_i))``, ``H_K`` the entropy
      in base K = n_factors: each code explains one factor;
    - completeness is the same over the columns (entropy in base n_codes):
      each factor is explained by one code;
    - informativeness is the classifiers' mean accuracy on the held-out rows.

    These are Eastwood and Williams (2018) as disentanglement_lib computes
    them (default gradient boosting).

    Parameters
    ----------
    factors : array-like of shape (n_samples, n_factors)
        Discrete generative factors: every distinct value of a column is a
        class. Each must take two values or more.
    codes : array-like of shape (n_samples, n_codes)
        The representation, e.g. ``estimator.transform(X)``.
    test_size : float or int, default=0.3
        Share (or number) of rows held out to measure informativeness.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the classifiers.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``disentanglement``, ``completeness`` and ``informativeness``
        (floats in [0, 1], higher is better) and ``importance_matrix``
        (ndarray of shape (n_codes, n_factors), ``R``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import dci_disentanglement
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 3, size=(300, 2))
    >>> aligned = factors + 0.1 * rng.normal(size=(300, 2))
    >>> result = dci_disentanglement(factors, aligned)
    >>> result.disentanglement > 0.9, result.informativeness
    (True, 1.0)
    """
    factors, codes = _check_factors_codes(factors, codes)
    codes_train, codes_test, factors_train, factors_test = train_test_split(
        codes, factors, test_size=test_size, random_state=random_state
    )
    importances, accuracies = [], []
    for factor in range(factors.shape[1]):
        model = GradientBoostingClassifier(random_state=random_state)
        model.fit(codes_train, factors_train[:, factor])
        importances.append(np.abs(model.feature_importances_))
        accuracies.append(model.score(codes_test, factors_test[:, factor]))
    importance_matrix = np.column_stack(importances)
    return Bunch(
        disentanglement=_importance_specificity(importance_matrix),
        completeness=_importance_specificity(importance_matrix.T),
        informativeness=float(np.mean(accuracies)),
        importance_matrix=importance_matrix,
    )


# Group fairness of regression predictions
