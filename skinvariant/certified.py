"""Certified representations: a finite set of cells, and a bound on the group
gaps of every classifier built on them.

FARE (Jovanović, Balunović, Dimitrov and Vechev, ICML 2023) grows the cells
as the leaves of a decision tree whose splits weigh the class purity of the
children against how mixed their groups stay. Any classifier that sees only
the cell then has a demographic parity gap at most the total variation
between the groups' cell distributions, which rows that did not grow the
tree bound from above (:func:`skinvariant.metrics.demographic_parity_bound`).
:class:`QuantizedRepresentation` makes the representation of any other
estimator finite (k-means cells of its ``transform``) so that the same
certificate applies to it.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    MetaEstimatorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.cluster import KMeans
from sklearn.utils import Bunch, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .core._validation import (
    check_sensitive_aligned,
    check_transform_output,
    group_codes,
    validate_numeric,
)
from .exceptions import NoInvarianceWarning, warn_at_caller

__all__ = ["FAREClassifier", "FARETransformer", "QuantizedRepresentation"]


# The tree
# --------


def _bin_edges(X, max_bins, categorical):
    """Per column, the split thresholds (up to ``max_bins - 1`` midpoints between
    quantiles), or for a categorical column its sorted categories."""
    edges = []
    for column, is_categorical in zip(X.T, categorical):
        values = np.unique(column)
        if is_categorical:
            if len(values) > max_bins:
                raise ValueError(
                    f"a categorical feature has {len(values)} categories, more than "
                    f"max_bins={max_bins}; raise max_bins or encode it otherwise."
                )
            edges.append(values)
            continue
        if len(values) > max_bins:
            values = np.unique(np.quantile(column, np.linspace(0, 1, max_bins)))
        edges.append((values[:-1] + values[1:]) / 2)
    return edges


def _binned(X, edges, categorical):
    """Bin index of each value: ``b`` means ``edges[b - 1] < x <= edges[b]``; for a
    categorical column, the category's index, or one past the last for a category
    not seen in ``fit`` (which no split sends left)."""
    columns = []
    for column, column_edges, is_categorical in zip(X.T, edges, categorical):
        if not is_categorical:
            columns.append(np.searchsorted(column_edges, column, side="left"))
            continue
        index = np.searchsorted(column_edges, column).clip(0, len(column_edges) - 1)
        known = column_edges[index] == column
        columns.append(np.where(known, index, len(column_edges)))
    return np.column_stack(columns)


def _gini(counts):
    """Gini impurity of the rows counted in the last axis, 0 for an empty set."""
    total = counts.sum(axis=-1)
    shares = counts / np.maximum(total, 1)[..., None]
    return 1.0 - (shares**2).sum(axis=-1)


class _FairSplitTree:
    """A best-first binary tree on binned features, split by FARE's fair Gini criterion.

    The impurity of a node is ``(1 - lam) * gini(y) + lam * (gini_max(s) - gini(s))``:
    low when the node is pure in the class and mixed in the groups. A split
    is taken when it lowers the impurity summed over the rows. Every split
    sends a set of bins left: the bins up to a threshold for a numeric
    feature, and for a categorical one a set of categories, chosen among the
    prefixes of the categories ordered by the node's share of the first
    class (CART's order, optimal for a plain Gini split of two classes; with
    the fairness term it is a heuristic).
    """

    def __init__(self, lam, max_leaf_nodes, max_depth, min_samples_leaf, categorical):
        self.lam = lam
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.categorical = categorical

    def _impurity(self, class_counts, group_counts):
        most_mixed = 1.0 - 1.0 / self.n_groups
        return (1 - self.lam) * _gini(class_counts) + self.lam * (most_mixed - _gini(group_counts))

    def _best_split(self, bins, y, s, rows):
        """``(gain, feature, bins sent left)`` of the best split of ``rows``, or None."""
        n_features, n_bins = bins.shape[1], self.n_bins
        cells = self.n_classes * self.n_groups
        index = ((np.arange(n_features) * n_bins)[None, :] + bins[rows]) * cells + (
            y[rows] * self.n_groups + s[rows]
        )[:, None]
        counts = np.bincount(index.ravel(), minlength=n_features * n_bins * cells)
        counts = counts.reshape(n_features, n_bins, self.n_classes, self.n_groups).astype(float)
        # the order in which bins join the left side: as they are for a numeric
        # feature, by the first class's share for a categorical one (empty last)
        order = np.tile(np.arange(n_bins), (n_features, 1))
        if self.categorical.any():
            per_bin = counts.sum(axis=3)
            share = per_bin[..., 0] / np.maximum(per_bin.sum(axis=2), 1)
            share = np.where(per_bin.sum(axis=2) > 0, share, np.inf)
            order[self.categorical] = np.argsort(share[self.categorical], axis=1, kind="stable")
            counts = np.take_along_axis(counts, order[:, :, None, None], axis=1)
        left = counts.cumsum(axis=1)[:, :-1]  # the first b + 1 bins, for b = 0 .. n_bins - 2
        total = counts.sum(axis=1, keepdims=True)
        right = total - left
        n_left, n_right = left.sum(axis=(2, 3)), right.sum(axis=(2, 3))
        parent = len(rows) * self._impurity(total.sum(axis=3)[0, 0], total.sum(axis=2)[0, 0])
        children = n_left * self._impurity(left.sum(axis=3), left.sum(axis=2)) + n_right * (
            self._impurity(right.sum(axis=3), right.sum(axis=2))
        )
        gain = np.where(
            (n_left >= self.min_samples_leaf) & (n_right >= self.min_samples_leaf),
            parent - children,
            -np.inf,
        )
        if gain.size == 0:
            return None
        feature, last = np.unravel_index(np.argmax(gain), gain.shape)
        if not gain[feature, last] > 1e-12 * len(rows):
            return None
        goes_left = np.zeros(n_bins + 1, dtype=bool)  # the extra bin: unseen categories
        goes_left[order[feature, : last + 1]] = True
        return gain[feature, last], int(feature), goes_left

    def fit(self, bins, y, s, n_classes, n_groups, n_bins):
        self.n_classes, self.n_groups, self.n_bins = n_classes, n_groups, n_bins
        # node arrays: children (-1 for a leaf), split feature, bins sent left
        no_split = np.zeros(n_bins + 1, dtype=bool)
        self.left_, self.right_, self.feature_, self.goes_left_ = [-1], [-1], [-1], [no_split]
        depth = [0]
        candidates = {}  # leaf -> (gain, feature, bin, rows)
        leaves = {0: np.arange(len(y))}

        def consider(node):
            if self.max_depth is not None and depth[node] >= self.max_depth:
                return
            split = self._best_split(bins, y, s, leaves[node])
            if split is not None:
                candidates[node] = split

        consider(0)
        while candidates and len(leaves) < self.max_leaf_nodes:
            node = max(candidates, key=lambda leaf: candidates[leaf][0])
            _, feature, left_bins = candidates.pop(node)
            rows = leaves.pop(node)
            goes_left = left_bins[bins[rows, feature]]
            self.feature_[node], self.goes_left_[node] = feature, left_bins
            for side, child_rows in (("left", rows[goes_left]), ("right", rows[~goes_left])):
                child = len(self.left_)
                getattr(self, f"{side}_")[node] = child
                self.left_.append(-1), self.right_.append(-1)
                self.feature_.append(-1), self.goes_left_.append(no_split)
                depth.append(depth[node] + 1)
                leaves[child] = child_rows
                consider(child)
        self.leaf_nodes_ = np.array(sorted(leaves))
        return self

    def apply(self, bins):
        """The leaf (0 .. n_leaves - 1, in node order) of each row."""
        node = np.zeros(len(bins), dtype=np.intp)
        left, right = np.array(self.left_), np.array(self.right_)
        feature, sends_left = np.array(self.feature_), np.array(self.goes_left_)
        inner = left[node] >= 0
        while inner.any():
            rows = np.flatnonzero(inner)
            at = node[rows]
            goes_left = sends_left[at, bins[rows, feature[at]]]
            node[rows] = np.where(goes_left, left[at], right[at])
            inner = left[node] >= 0
        return np.searchsorted(self.leaf_nodes_, node)


# The certificate every finite representation shares
# ---------------------------------------------------


class _CellsMixin(TransformerMixin):
    """``transform`` to one-hot cells or their index, and ``certify`` on held-out rows.

    Subclasses set ``n_cells_`` when fitted and define ``apply(X)``, the cell
    of each row.
    """

    def transform(self, X):
        """Return the cell of each row: one-hot (``transform_output="onehot"``) or its index.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_cells_) or (n_samples, 1)
        """
        check_transform_output(self)
        cells = self.apply(X)
        if self.transform_output == "index":
            return cells[:, None]
        return np.eye(self.n_cells_)[cells]

    def certify(self, X, y=None, *, sensitive, confidence=0.95):
        """Bound the group gaps of every classifier that sees only the cell.

        Give rows that did not fit this estimator: the bound holds with
        probability ``confidence`` over rows drawn independently of the cells,
        and the training rows are not (the cells were chosen on them).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,), default=None
            Their class labels: with them the equalized odds bound is given too.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Their group labels.
        confidence : float, default=0.95
            Probability with which each bound holds.

        Returns
        -------
        certificate : :class:`~sklearn.utils.Bunch`
            ``demographic_parity`` (the result of
            :func:`~skinvariant.metrics.demographic_parity_bound`) and, with
            ``y``, ``equalized_odds`` (that of
            :func:`~skinvariant.metrics.equalized_odds_bound`).
        """
        # imported here: skinvariant.metrics loads fairlearn, which import skinvariant does not
        from .metrics import demographic_parity_bound, equalized_odds_bound

        check_sensitive_aligned(sensitive, X=X, y=y)
        cells = self.apply(X)
        certificate = {
            "demographic_parity": demographic_parity_bound(cells, sensitive, confidence=confidence)
        }
        if y is not None:
            certificate["equalized_odds"] = equalized_odds_bound(
                cells, y, sensitive, confidence=confidence
            )
        return Bunch(**certificate)

    @property
    def _n_features_out(self):
        check_transform_output(self)
        return 1 if self.transform_output == "index" else self.n_cells_


def _fit_sensitive_codes(estimator, sensitive, n_samples):
    """Group codes of ``sensitive`` for fitting, or None with a NoInvarianceWarning."""
    if sensitive is None:
        warn_at_caller(
            f"{type(estimator).__name__}.fit was called without sensitive=...: the cells "
            "are grown for the class alone. Pass fit(X, y, sensitive=s).",
            NoInvarianceWarning,
        )
        return np.zeros(n_samples, dtype=np.int64), [None]
    return group_codes(sensitive, n_samples, compared_by="a fairness-aware tree")


class _FAREBase(_CellsMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """FARE's tree: parameters, fit, and the cell of each row."""

    __metadata_request__fit = {"sensitive": True}
    # the fairness weights a search over ``lam`` tries when given none
    lam_grid = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)

    _parameter_constraints = {
        "lam": [Interval(Real, 0, 1, closed="both")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "max_bins": [Interval(Integral, 2, 65535, closed="both")],
        "categorical_features": ["array-like", None],
        "transform_output": [StrOptions({"onehot", "index"})],
    }

    def __init__(
        self,
        lam=0.5,
        *,
        max_leaf_nodes=8,
        max_depth=None,
        min_samples_leaf=0.02,
        max_bins=64,
        categorical_features=None,
        transform_output="onehot",
    ):
        self.lam = lam
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.transform_output = transform_output

    def _categorical_mask(self, n_features):
        """``categorical_features`` as a boolean mask over the columns."""
        mask = np.zeros(n_features, dtype=bool)
        if self.categorical_features is None:
            return mask
        given = np.asarray(self.categorical_features)
        if given.dtype == bool:
            if given.shape != (n_features,):
                raise ValueError(
                    f"categorical_features as a boolean mask needs one entry per column of "
                    f"X ({n_features}); got shape {given.shape}."
                )
            return given.copy()
        if (
            given.ndim != 1
            or given.dtype.kind not in "iu"
            or (given.size and (given.min() < 0 or given.max() >= n_features))
        ):
            raise ValueError(
                f"categorical_features must be column indices in [0, {n_features}) or a "
                f"boolean mask of {n_features} entries; got {self.categorical_features!r}."
            )
        mask[given] = True
        return mask

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sensitive=None):
        """Grow the cells on ``X``, ``y`` and ``sensitive``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data (encode categorical columns first).
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Group labels the cells must mix; 2-D means intersectional groups.
            Without it the tree splits for the class alone and a
            ``NoInvarianceWarning`` is raised.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        check_sensitive_aligned(sensitive, X=X, y=y)
        X, y = validate_numeric(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y has only {len(self.classes_)} class; the tree needs at least 2.")
        s_codes, self.sensitive_groups_ = _fit_sensitive_codes(self, sensitive, len(X))
        min_samples_leaf = self.min_samples_leaf
        if isinstance(min_samples_leaf, Real) and not isinstance(min_samples_leaf, Integral):
            min_samples_leaf = max(1, int(np.ceil(min_samples_leaf * len(X))))
        self.is_categorical_ = self._categorical_mask(X.shape[1])
        self.bin_edges_ = _bin_edges(X, self.max_bins, self.is_categorical_)
        bins = _binned(X, self.bin_edges_, self.is_categorical_)
        self.tree_ = _FairSplitTree(
            self.lam if sensitive is not None else 0.0,
            self.max_leaf_nodes,
            self.max_depth,
            min_samples_leaf,
            self.is_categorical_,
        ).fit(
            bins,
            y_codes,
            s_codes,
            len(self.classes_),
            len(self.sensitive_groups_),
            max(len(edges) for edges in self.bin_edges_) + 1,
        )
        cells = self.tree_.apply(bins)
        self.n_cells_ = len(self.tree_.leaf_nodes_)
        counts = np.zeros((self.n_cells_, len(self.classes_)))
        np.add.at(counts, (cells, y_codes), 1.0)
        self.cell_class_shares_ = counts / counts.sum(axis=1, keepdims=True)
        return self

    def apply(self, X):
        """Return the cell (0 .. ``n_cells_ - 1``) of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_numeric(self, X, dtype=np.float64, reset=False)
        return self.tree_.apply(_binned(X, self.bin_edges_, self.is_categorical_))


_FARE_DOC = """
    Parameters
    ----------
    lam : float in [0, 1], default=0.5
        Fairness weight of the splitting criterion: a node's impurity is
        ``(1 - lam) * gini(y) + lam * (gini_max(s) - gini(s))``. 0 grows a plain
        Gini tree; values near 1 keep every cell's groups mixed.
    max_leaf_nodes : int, default=8
        Number of cells at most (the tree grows best-first). Fewer cells give
        a tighter certificate.
    max_depth : int, default=None
        Depth of the tree at most; None for no limit but ``max_leaf_nodes``.
    min_samples_leaf : int or float, default=0.02
        Rows a cell needs, as a count or a fraction of the training rows.
    max_bins : int, default=64
        Candidate thresholds per feature: at most ``max_bins - 1`` midpoints
        between quantiles of the training values. A categorical feature may
        have at most ``max_bins`` categories.
    categorical_features : array-like of int or of bool, default=None
        The columns that hold categories (any numeric codes, e.g. from an
        ``OrdinalEncoder``), as indices or a boolean mask. Such a column is
        split into two sets of categories (the FARE paper splits categorical
        features into sets of levels), chosen among the prefixes of its
        categories ordered by the node's share of the first class (CART's
        order; the paper's own search was not checked); a category not seen
        in ``fit`` goes right. None: every
        column is numeric (one-hot columns then split one category off).
    transform_output : {"onehot", "index"}, default="onehot"
        What ``transform`` returns: the one-hot cell or its index (one column).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    n_cells_ : int
        Number of cells (leaves).
    cell_class_shares_ : ndarray of shape (n_cells_, n_classes)
        Share of each class among the training rows of each cell.
    sensitive_groups_ : list
        The group labels seen in ``fit`` (``[None]`` without ``sensitive``).
    bin_edges_ : list of ndarray
        Candidate thresholds of each feature (its categories, for a categorical one).
    is_categorical_ : ndarray of shape (n_features_in_,), dtype bool
        Which features were split as categories.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in ``fit``, when ``X`` has string column names.
"""


class FARETransformer(_FAREBase):
    __doc__ = (
        """Cells of a fairness-aware decision tree, with a certificate for every classifier of them.

    FARE (Jovanović, Balunović, Dimitrov and Vechev, ICML 2023): the
    representation is the leaf of a tree grown best-first with a criterion
    that rewards children pure in the class and mixed in the groups. Any
    classifier built on the cells alone has a demographic parity gap at most
    the total variation between the groups' cell distributions;
    :meth:`certify` bounds it from rows that did not grow the tree. Use it as
    a ``Pipeline`` step before any classifier, or :class:`FAREClassifier` for
    the cells' own prediction.
"""
        + _FARE_DOC
        + """
    See Also
    --------
    FAREClassifier : The same cells, predicting each cell's majority class.
    skinvariant.metrics.demographic_parity_bound : The certificate of any finite representation.

    Examples
    --------
    >>> from skinvariant.certified import FARETransformer
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(2000, random_state=0)
    >>> cells = FARETransformer(max_leaf_nodes=4).fit(X[:1000], y[:1000], sensitive=s[:1000])
    >>> cells.transform(X[1000:]).shape
    (1000, 4)
    >>> certificate = cells.certify(X[1000:], sensitive=s[1000:])
    >>> bool(certificate.demographic_parity.bound <= 1)
    True
    """
    )


class FAREClassifier(ClassifierMixin, _FAREBase):
    __doc__ = (
        """Classifier that predicts the majority class of its FARE cell, with a certificate.

    The cells of :class:`FARETransformer`, each predicting the class shares of
    its training rows: the accuracy the cells allow without another model.
    ``transform`` gives the cells, and :meth:`certify` bounds the parity gap
    of this classifier and of any other built on the cells.
"""
        + _FARE_DOC
        + """
    See Also
    --------
    FARETransformer : The cells as a Pipeline step.

    Examples
    --------
    >>> from skinvariant.certified import FAREClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(2000, random_state=0)
    >>> clf = FAREClassifier(lam=0.5).fit(X[:1000], y[:1000], sensitive=s[:1000])
    >>> bool(clf.score(X[1000:], y[1000:]) > 0.6)
    True
    """
    )

    def predict_proba(self, X):
        """Return each row's cell's class shares on the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.cell_class_shares_[self.apply(X)]

    def predict(self, X):
        """Return the majority class of each row's cell.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]


# Any representation, made finite
# -------------------------------


class QuantizedRepresentation(
    _CellsMixin,
    MetaEstimatorMixin,
    ClassNamePrefixFeaturesOutMixin,
    BaseEstimator,
):
    """Quantise the representation of an estimator into finitely many cells, to certify it.

    Fits ``estimator`` (``sensitive`` passed on), then cuts its
    representation ``z`` of the training rows (standardised) into at most
    ``n_cells`` cells: by k-means (``cells="kmeans"``; the cell of a row is
    its nearest centre), or by FARE's fairness-aware tree grown on ``z``, ``y``
    and ``sensitive`` (``cells="fare"``; the cell is the leaf), which places
    its cuts where they separate the classes and not the groups. The
    certificate of :meth:`certify` then holds for every classifier that sees
    only the cell, as for :class:`FARETransformer`.

    Measured on Adult (sex; ``benchmarks/certified.py``, 3 splits): the
    tree's 4 cells of a 2-wide ``HSICClassifier(lam=10)`` kept 0.825-0.835
    of accuracy downstream against 0.772-0.775 for k-means' 4, at a
    certified bound of 0.043-0.089 against 0.043-0.046.

    Parameters
    ----------
    estimator : estimator with ``fit`` and ``transform``
        The representation to quantise, e.g. an :class:`~skinvariant.IIDMClassifier`.
    n_cells : int, default=8
        Number of cells: k-means centres, or the tree's largest number of
        leaves (it may stop with fewer when no split helps).
    cells : {"kmeans", "fare"}, default="kmeans"
        How ``z`` is cut: k-means (unsupervised), or FARE's tree (needs ``y``
        and ``sensitive`` in ``fit``).
    fairness : float, default=0.9
        With ``cells="fare"``, the tree's weight of group mixing against class
        purity (:class:`FARETransformer`'s ``lam``), in [0, 1].
    transform_output : {"onehot", "index"}, default="onehot"
        What ``transform`` returns: the one-hot cell or its index.
    random_state : int, RandomState instance or None, default=None
        Seed of k-means (``cells="kmeans"``). None draws afresh at each fit,
        as in scikit-learn, so that two fits of the same seeded estimator can
        cut different cells and certify differently: set an int for
        reproducible cells.

    Attributes
    ----------
    estimator_ : estimator
        The fitted ``estimator``.
    kmeans_ : sklearn.cluster.KMeans
        With ``cells="kmeans"``, the k-means on the standardised representation.
    tree_ : FARETransformer
        With ``cells="fare"``, the tree grown on the standardised representation.
    n_cells_ : int
        Number of cells.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    FARETransformer : Cells grown for the certificate from the start.

    Examples
    --------
    >>> from skinvariant import IIDMClassifier
    >>> from skinvariant.certified import QuantizedRepresentation
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(600, random_state=0)
    >>> network = IIDMClassifier(max_epochs=5, random_state=0)
    >>> cells = QuantizedRepresentation(network, n_cells=4, random_state=0)
    >>> cells.fit(X, y, sensitive=s).transform(X).shape
    (600, 4)
    """

    __metadata_request__fit = {"sensitive": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "transform"])],
        "n_cells": [Interval(Integral, 2, None, closed="left")],
        "cells": [StrOptions({"kmeans", "fare"})],
        "fairness": [Interval(Real, 0, 1, closed="both")],
        "transform_output": [StrOptions({"onehot", "index"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        n_cells=8,
        cells="kmeans",
        fairness=0.9,
        transform_output="onehot",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_cells = n_cells
        self.cells = cells
        self.fairness = fairness
        self.transform_output = transform_output
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator validates itself
    def fit(self, X, y=None, *, sensitive=None):
        """Fit the estimator, then the cells of its representation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Passed to ``estimator.fit``; ``cells="fare"`` needs it.
        sensitive : array-like, default=None
            Passed to ``estimator.fit``; ``cells="fare"`` needs it.

        Returns
        -------
        self : object
        """
        check_sensitive_aligned(sensitive, X=X, y=y)
        if self.cells == "fare" and (y is None or sensitive is None):
            raise ValueError(
                "cells='fare' grows its tree on y and sensitive: call "
                "fit(X, y, sensitive=s), or use cells='kmeans'."
            )
        fit_params = {} if sensitive is None else {"sensitive": sensitive}
        for fitted in ("tree_", "kmeans_"):  # a refit cuts afresh
            self.__dict__.pop(fitted, None)
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        Z = self.estimator_.transform(X)
        self.z_mean_, self.z_scale_ = Z.mean(axis=0), Z.std(axis=0) + 1e-12
        standardised = (Z - self.z_mean_) / self.z_scale_
        if self.cells == "fare":
            self.tree_ = FARETransformer(lam=self.fairness, max_leaf_nodes=self.n_cells)
            self.n_cells_ = self.tree_.fit(standardised, y, sensitive=sensitive).n_cells_
            return self
        if len(np.unique(Z, axis=0)) < self.n_cells:
            raise ValueError(
                f"the representation has fewer than n_cells={self.n_cells} distinct rows; "
                "lower n_cells or use cells='fare'."
            )
        self.kmeans_ = KMeans(self.n_cells, n_init=4, random_state=self.random_state)
        self.kmeans_.fit(standardised)
        self.n_cells_ = self.n_cells
        return self

    def apply(self, X):
        """Return the cell (0 .. ``n_cells_ - 1``) of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        standardised = (self.estimator_.transform(X) - self.z_mean_) / self.z_scale_
        if hasattr(self, "tree_"):  # the cells fit cut, whatever cells says since
            return self.tree_.apply(standardised)
        return self.kmeans_.predict(standardised).astype(np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.target_tags.required = inner.target_tags.required
        return tags
