"""Taking ``sensitive`` from columns of ``X``, for tools that pass only ``X`` and ``y``.

Some tools call an estimator's ``fit`` or ``partial_fit`` with ``X`` and
``y`` and split nothing else by rows: dask-ml's ``Incremental`` hands its
fit keywords whole to every block (dask/dask-ml#262), so a ``sensitive``
array given there would reach each block's ``partial_fit`` at its full
length. :class:`SensitiveFromColumns` carries the attribute inside ``X``
instead, where every such tool splits it with the rows, and hands it to the
wrapped estimator as ``sensitive``; fairlearn's ``CorrelationRemover``
takes its attribute from columns of ``X`` the same way.
"""

import numbers
from copy import deepcopy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRequest,
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .core._validation import check_unique_columns

__all__ = ["SensitiveFromColumns"]


def _estimator_has(method):
    def check(self):
        fitted = getattr(self, "estimator_", None)
        return hasattr(fitted if fitted is not None else self.estimator, method)

    return check


def _refuse_sensitive(fit_params):
    if "sensitive" in fit_params:
        raise TypeError(
            "SensitiveFromColumns takes sensitive from the columns of X named by "
            "`columns`; do not pass sensitive= as well."
        )


class SensitiveFromColumns(MetaEstimatorMixin, BaseEstimator):
    """An estimator that reads ``sensitive`` from columns of ``X``.

    ``fit`` and ``partial_fit`` split ``X`` into the attribute (the
    ``columns``) and the features (the other columns), and train
    ``estimator`` on the features with ``sensitive=`` the attribute;
    ``predict``, ``predict_proba``, ``transform`` and ``score`` take ``X`` in
    the same layout and drop the attribute's columns, so the attribute is not
    used at prediction.

    The wrapper takes its estimator type and tags (classifier, regressor,
    transformer) from ``estimator``. With metadata routing on, it routes what
    ``estimator`` requests (``sample_weight`` after ``set_fit_request``, say)
    to the same method. It hands ``sensitive`` to ``fit`` itself, whatever
    ``estimator`` requests, and so does not request it from its caller; it
    hands ``classes`` to ``partial_fit`` unrouted.

    Parameters
    ----------
    estimator : estimator
        A skinvariant estimator (or any whose ``fit`` takes ``sensitive=``).
    columns : int, str or list of them, default=-1
        The attribute's columns: positions, or names of a pandas
        DataFrame's columns. Several columns make an intersectional (2-D)
        attribute, its columns in the order given.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    n_features_in_ : int
        Width of ``X``, the attribute's columns included.
    classes_ : ndarray
        The fitted estimator's classes, for a classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import IIDMClassifier
    >>> from skinvariant.compose import SensitiveFromColumns
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(300, random_state=0)
    >>> Xs = np.column_stack([X, s])  # the attribute as the last column
    >>> model = SensitiveFromColumns(IIDMClassifier(max_epochs=2, random_state=0))
    >>> model.fit(Xs, y).predict(Xs).shape
    (300,)
    """

    def __init__(self, estimator, columns=-1):
        self.estimator = estimator
        self.columns = columns

    def fit(self, X, y=None, **fit_params):
        """Fit ``estimator`` on the other columns with ``sensitive`` from ``columns``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The features and the attribute's columns.
        y : array-like of shape (n_samples,)
            The target.
        **fit_params
            Passed to the estimator's ``fit`` (not ``sensitive``); with
            metadata routing on, those it requests.

        Returns
        -------
        self : object
        """
        _refuse_sensitive(fit_params)
        fit_params = self._route("fit", fit_params)
        features, sensitive = self._split(X, fitting=True)
        self.estimator_ = clone(self.estimator).fit(features, y, sensitive=sensitive, **fit_params)
        return self

    @available_if(_estimator_has("partial_fit"))
    def partial_fit(self, X, y=None, **fit_params):
        """Train ``estimator`` one pass on this chunk, with ``sensitive`` from ``columns``.

        The first call clones the estimator; ``classes`` and the other
        keywords go to its ``partial_fit`` (see there).

        Returns
        -------
        self : object
        """
        _refuse_sensitive(fit_params)
        classes = {"classes": fit_params.pop("classes")} if "classes" in fit_params else {}
        fit_params = self._route("partial_fit", fit_params)
        first = not hasattr(self, "estimator_")
        features, sensitive = self._split(X, fitting=first)
        if first:
            self.estimator_ = clone(self.estimator)
        self.estimator_.partial_fit(features, y, sensitive=sensitive, **classes, **fit_params)
        return self

    @available_if(_estimator_has("predict"))
    def predict(self, X, **params):
        """The estimator's ``predict`` on the columns that are not the attribute's."""
        return self.estimator_.predict(self._features(X), **self._route("predict", params))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X, **params):
        """The estimator's ``predict_proba`` on the columns that are not the attribute's."""
        return self.estimator_.predict_proba(
            self._features(X), **self._route("predict_proba", params)
        )

    @available_if(_estimator_has("transform"))
    def transform(self, X, **params):
        """The estimator's representation of the columns that are not the attribute's."""
        return self.estimator_.transform(self._features(X), **self._route("transform", params))

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None, **params):
        """The estimator's ``score`` on the columns that are not the attribute's."""
        params = self._route("score", {"sample_weight": sample_weight, **params})
        return self.estimator_.score(self._features(X), y, **params)

    @available_if(_estimator_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """The estimator's output feature names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of ``X``'s columns, the attribute's included: the
            attribute's are dropped before they reach the estimator.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if input_features is not None:
            input_features = self._features(pd.DataFrame(columns=input_features)).columns
        return self.estimator_.get_feature_names_out(input_features)

    @available_if(_estimator_has("set_output"))
    def set_output(self, *, transform=None):
        """Set the output container of ``transform``, on the estimator (and its fitted clone).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            As for the estimator's ``set_output``; None leaves it unchanged.

        Returns
        -------
        self : object
        """
        for estimator in (self.estimator, getattr(self, "estimator_", None)):
            if estimator is not None:
                estimator.set_output(transform=transform)
        return self

    def get_metadata_routing(self):
        """Metadata routing: each method's metadata to the estimator's same method.

        ``sensitive`` is not among them: the wrapper takes it from ``X``.

        Returns
        -------
        routing : :class:`~sklearn.utils.metadata_routing.MetadataRouter`
        """
        request = get_routing_for_object(self.estimator)
        if isinstance(request, MetadataRequest):
            for method in ("fit", "partial_fit"):
                getattr(request, method).add_request(param="sensitive", alias=False)
        mapping = MethodMapping()
        for method in ("fit", "partial_fit", "predict", "predict_proba", "transform", "score"):
            if hasattr(self.estimator, method):
                mapping.add(caller=method, callee=method)
        return MetadataRouter(owner=self).add(estimator=request, method_mapping=mapping)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = deepcopy(get_tags(self.estimator))
        for field in (
            "estimator_type",
            "target_tags",
            "transformer_tags",
            "classifier_tags",
            "regressor_tags",
            "input_tags",
        ):
            setattr(tags, field, getattr(inner, field))
        tags.input_tags.sparse = False  # the columns are split as a dense array or a frame
        return tags

    @property
    def classes_(self):
        check_is_fitted(self)
        return self.estimator_.classes_

    def _route(self, method, params):
        """``params`` for the estimator's ``method``: those it requests when routing is on."""
        if not _routing_enabled():
            return params
        return process_routing(self, method, **params).estimator[method]

    def _features(self, X):
        check_is_fitted(self)
        return self._split(X, fitting=False)[0]

    def _split(self, X, *, fitting):
        """``(features, sensitive)``: ``X`` without and with only the attribute's columns."""
        frame = isinstance(X, pd.DataFrame)
        values = X if frame else np.asarray(X)
        if values.ndim != 2:
            raise ValueError(f"X must be 2-D (rows, columns); got shape {values.shape}.")
        if fitting:
            self.n_features_in_ = values.shape[1]
        elif values.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {values.shape[1]} columns; {type(self).__name__} was fitted on "
                f"{self.n_features_in_}, the attribute's columns included."
            )
        positions = self._positions(X if frame else values)
        keep = np.setdiff1d(np.arange(values.shape[1]), positions)
        if frame:
            sensitive = X.iloc[:, positions]
            return X.iloc[:, keep], sensitive.iloc[:, 0] if len(positions) == 1 else sensitive
        sensitive = values[:, positions]
        return values[:, keep], sensitive[:, 0] if len(positions) == 1 else sensitive

    def _positions(self, X):
        """The attribute's column positions in ``X``, from ``columns``."""
        columns = self.columns
        chosen = [columns] if isinstance(columns, (numbers.Integral, str)) else list(columns)
        if not chosen:
            raise ValueError("columns is empty: name at least one column of the attribute.")
        n_columns = X.shape[1]
        if isinstance(X, pd.DataFrame):
            check_unique_columns(X, "X")  # a name must find one column
        positions = []
        for column in chosen:
            if isinstance(column, str):
                if not isinstance(X, pd.DataFrame) or column not in X.columns:
                    raise ValueError(
                        f"columns names {column!r}, which is not a column of X; names need a "
                        "pandas DataFrame, positions (ints) work on any X."
                    )
                positions.append(X.columns.get_loc(column))
            elif isinstance(column, numbers.Integral) and -n_columns <= column < n_columns:
                positions.append(int(column) % n_columns)
            else:
                raise ValueError(
                    f"columns holds {column!r}, not a column of X's {n_columns}: give "
                    "positions from 0 (or negative from the end) or column names."
                )
        positions = list(dict.fromkeys(positions))  # without repeats, in the order given
        if len(positions) == n_columns:
            raise ValueError("columns names every column of X: no features would remain.")
        return np.array(positions)
