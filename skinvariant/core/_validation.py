"""Checks shared by estimators and metrics: the encodings of the ``sensitive``
argument, numeric ``X``, and the one parameter that ``transform`` reads."""

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from ..exceptions import warn_at_caller

# The one rule for group labels, in fit, the leakage probes and the group
# metrics alike: every group has at least MIN_GROUP_SIZE rows, and more than
# MANY_GROUPS groups draw a warning that the attribute may be a quantity.
MIN_GROUP_SIZE = 2
MANY_GROUPS = 50


def as_frame(sensitive):
    """Return ``sensitive`` as a DataFrame with one column per attribute."""
    if isinstance(sensitive, pd.DataFrame):
        return sensitive.reset_index(drop=True)
    if isinstance(sensitive, pd.Series):
        return sensitive.reset_index(drop=True).to_frame()
    array = np.asarray(sensitive)
    if array.ndim == 0 or array.ndim > 2:
        raise ValueError(
            "sensitive must be 1-D (one attribute) or 2-D (one column per attribute, "
            f"intersectional groups); got an array with {array.ndim} dimensions."
        )
    return pd.DataFrame(array.reshape(len(array), -1))


def check_sensitive_aligned(sensitive, **others):
    """Refuse pandas ``others`` whose index differs from that of a pandas ``sensitive``.

    Estimators and metrics match ``sensitive`` to the rows of ``X`` and ``y``
    by position, as scikit-learn does; when both carry an index, a different
    one (the same labels in another order, e.g. after ``train_test_split`` of
    ``X`` alone) would silently pair rows with the wrong groups.

    Parameters
    ----------
    sensitive : array-like
        The sensitive attribute; only a Series or DataFrame is checked.
    **others : array-like
        The arrays ``sensitive`` describes, by argument name (e.g. ``X=X, y=y``);
        only Series and DataFrames are compared.
    """
    if not isinstance(sensitive, (pd.Series, pd.DataFrame)):
        return
    for name, other in others.items():
        if (
            isinstance(other, (pd.Series, pd.DataFrame))
            and len(other) == len(sensitive)
            and not other.index.equals(sensitive.index)
        ):
            raise ValueError(
                f"sensitive and {name} are pandas objects with different indexes; rows are "
                f"matched by position, so they would be paired with the wrong groups. Align "
                f"sensitive first, e.g. sensitive.loc[{name}.index] or "
                f"sensitive.reindex({name}.index), or pass sensitive.to_numpy() if the "
                "order already matches."
            )


def _checked_frame(sensitive, n_samples):
    """``sensitive`` as a DataFrame, checked for its length and missing values."""
    frame = as_frame(sensitive)
    if n_samples is not None and len(frame) != n_samples:
        raise ValueError(
            f"sensitive has {len(frame)} rows but X has {n_samples}; pass one "
            "sensitive label per sample of X (slice it with the same index as X)."
        )
    if frame.isna().to_numpy().any():
        raise ValueError(
            "sensitive contains missing values (NaN/None); fill them with an explicit "
            "group label (e.g. sensitive.fillna('unknown')), for a quantity with a value "
            "(e.g. its median), or drop those rows."
        )
    return frame


def continuous_columns(sensitive):
    """Names of the columns of ``sensitive`` holding non-integer floats (not categoricals)."""
    frame = check_unique_columns(as_frame(sensitive), "sensitive")
    numbers = frame.select_dtypes("number")
    if np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).any():
        raise ValueError(
            "sensitive holds infinite values; replace them (with a finite value or a "
            "group label of their own) or drop those rows."
        )
    return [
        column
        for column in frame.columns
        if not isinstance(frame[column].dtype, pd.CategoricalDtype)
        and type_of_target(_as_numbers(frame[column].dropna())) == "continuous"
    ]


def check_unique_columns(frame, name):
    """``frame``, refused when two of its columns share a name."""
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(
            f"{name} has columns named more than once: {repeated}; give each column a "
            "name of its own."
        )
    return frame


def _as_numbers(column):
    """An object column of numbers as a numeric array; any other column as it is."""
    if column.dtype != object:
        return column.to_numpy()
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers.to_numpy() if not numbers.isna().any() else column.to_numpy()


ESTIMATOR_ADVICE = (
    "use an estimator that accepts continuous attributes (MINEDebiasedClassifier, "
    "HSICClassifier or their regressors)"
)


def check_group_labels(sensitive, advice=ESTIMATOR_ADVICE):
    """Refuse a ``sensitive`` with a continuous column, where group labels are needed.

    Every distinct float would otherwise be a group of its own.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        The attribute to check.
    advice : str, default=ESTIMATOR_ADVICE
        What to do instead of binning, completing "Bin it first (e.g. pd.cut) or ...".
    """
    for column in continuous_columns(sensitive):
        # with non-numeric label columns beside it, only binning makes one kind of attribute
        instead = "" if non_numeric_columns(as_frame(sensitive), "sensitive") else f" or {advice}"
        raise ValueError(
            f"sensitive column {column!r} looks continuous (non-integer floats), but group "
            "labels are needed here: each distinct value would be a group of its own. "
            f"Bin it first (e.g. pd.cut){instead}."
        )


def non_numeric_columns(frame, name="X"):
    """Names of the columns of a DataFrame that are neither numeric nor bool (none for arrays).

    ``name`` is the argument the frame came in, for the error when two columns share a name.
    """
    if not isinstance(frame, pd.DataFrame):
        return []
    frame = check_unique_columns(frame, name)
    return [
        column
        for column in frame.columns
        if not pd.api.types.is_numeric_dtype(_as_numbers(frame[column]).dtype)
    ]


def continuous_values(sensitive, n_samples=None, *, advice):
    """Return a numeric, non-constant ``sensitive`` as a float array, one column per attribute.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Numeric attribute values.
    n_samples : int, default=None
        Expected number of rows.
    advice : str
        What to use instead for group labels, appended to the error for
        non-numeric values.

    Returns
    -------
    values : ndarray of shape (n_samples, n_attributes), dtype float64
    """
    frame = _checked_frame(sensitive, n_samples)
    labels = non_numeric_columns(frame, "sensitive")
    if labels and len(labels) < frame.shape[1]:
        raise ValueError(
            f"sensitive mixes numeric columns with the non-numeric label columns {labels}; "
            "bin the numeric columns (pd.cut) to treat every column as group labels, or "
            "encode the labels as numbers to treat every column as continuous."
        )
    try:
        values = frame.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "a continuous sensitive attribute must be numeric, but sensitive is "
            f"not numeric; for group labels {advice}."
        ) from error
    constant = [
        column for column, spread in zip(frame.columns, np.ptp(values, axis=0)) if spread == 0
    ]
    if constant:
        raise ValueError(
            f"sensitive has a constant column {constant}; a constant attribute "
            "carries no information to remove or to leak."
        )
    return values


def standardize_continuous(sensitive, n_samples=None):
    """Return a continuous ``sensitive`` standardised, with its means and scales.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Numeric attribute values.
    n_samples : int, default=None
        Expected number of rows.

    Returns
    -------
    standardized : ndarray of shape (n_samples, n_attributes), dtype float32
    mean, scale : ndarray of shape (n_attributes,)
    """
    values = continuous_values(sensitive, n_samples, advice="pass sensitive_type='categorical'")
    mean, scale = values.mean(axis=0), values.std(axis=0)
    return ((values - mean) / scale).astype(np.float32), mean, scale


def encode_groups(sensitive, n_samples=None, *, min_group_size=1, advice=ESTIMATOR_ADVICE):
    """Encode ``sensitive`` as integer group codes.

    A 1-D ``sensitive`` holds one label per sample (int, str, bool or pandas
    Categorical). A 2-D ``sensitive`` holds several attributes; each unique row
    is one intersectional group.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels.
    n_samples : int, default=None
        Expected number of rows; a mismatch raises ``ValueError``.
    min_group_size : int, default=1
        Smallest number of samples a group may have.
    advice : str, default=ESTIMATOR_ADVICE
        What to use for a continuous ``sensitive``; see :func:`check_group_labels`.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
        Group index of each sample, in ``0 .. n_groups - 1``.
    groups : list
        The group labels in code order (tuples for 2-D ``sensitive``).
    """
    frame = _checked_frame(sensitive, n_samples)
    check_group_labels(frame, advice)
    if frame.shape[1] == 1:
        codes, uniques = pd.factorize(frame.iloc[:, 0], sort=True)
        groups = list(uniques)
    else:
        grouped = frame.groupby(list(frame.columns), sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        groups = list(grouped.groups.keys())
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.bincount(codes, minlength=len(groups))
    if min_group_size > 1 and counts.min() < min_group_size:
        small = [groups[i] for i in np.flatnonzero(counts < min_group_size)]
        small = small if len(small) <= 5 else [*small[:5], f"... {len(small) - 5} more"]
        quantity = (
            ""
            if non_numeric_columns(frame, "sensitive")
            else f" If sensitive is a quantity (e.g. age in years), bin it (pd.cut) or {advice}."
        )
        raise ValueError(
            f"sensitive groups {small} have fewer than {min_group_size} samples; merge "
            f"rare groups into a larger one or collect more data for them.{quantity}"
        )
    return codes, groups


def group_codes(sensitive, n_samples=None, *, advice=ESTIMATOR_ADVICE, compared_by=None):
    """Encode group labels under the one rule every estimator and metric applies.

    A group of one row cannot be compared or learned from, so every group
    needs ``MIN_GROUP_SIZE`` rows (an integer quantity such as age in years
    usually fails this); more than ``MANY_GROUPS`` groups draw a warning.
    Whatever compares groups refuses a single group, which would read as
    perfect invariance or parity.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels.
    n_samples : int, default=None
        Expected number of rows.
    advice : str, default=ESTIMATOR_ADVICE
        What to use instead of group labels for a quantity.
    compared_by : str, default=None
        What compares the groups (e.g. ``"a gap between groups"``), named in
        the error that a single group raises; None accepts a single group.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
    groups : list
        The group labels in code order.
    """
    codes, groups = encode_groups(
        sensitive, n_samples, min_group_size=MIN_GROUP_SIZE, advice=advice
    )
    if compared_by is not None and len(groups) < 2:
        raise ValueError(
            f"sensitive holds a single group ({groups[0]!r}); {compared_by} needs at "
            "least two groups."
        )
    if len(groups) > MANY_GROUPS:
        warn_at_caller(
            f"sensitive has {len(groups)} groups; if it is a quantity (e.g. age in "
            f"years) bin it (pd.cut) or {advice}."
        )
    return codes, groups


def codes_of_known_groups(sensitive, groups, n_samples=None):
    """Encode ``sensitive`` as the codes of ``groups``, the labels a first call fixed.

    Parameters
    ----------
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; 2-D rows are intersectional groups, matched as tuples.
    groups : list
        The known labels in code order (tuples for 2-D ``sensitive``).
    n_samples : int, default=None
        Expected number of rows.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
    """
    frame = _checked_frame(sensitive, n_samples)
    if frame.shape[1] == 1:
        labels = frame.iloc[:, 0].to_numpy()
    else:
        labels = np.empty(len(frame), dtype=object)
        labels[:] = list(frame.itertuples(index=False, name=None))
    index = pd.Index(groups, tupleize_cols=False)
    codes = index.get_indexer(pd.Index(labels, tupleize_cols=False))
    if (codes < 0).any():
        unseen = sorted({str(label) for label in labels[codes < 0]})
        raise ValueError(
            f"sensitive holds groups {unseen[:5]} not seen in the first call to "
            f"partial_fit, which fixed the groups {list(groups)[:10]}; give every group in "
            "the first chunk, or fit on all rows at once."
        )
    return codes.astype(np.int64)


def take_rows(data, rows):
    """The rows at positions ``rows`` of an array-like, sparse matrix, DataFrame or Series."""
    if hasattr(data, "iloc"):
        return data.iloc[rows]
    if not hasattr(data, "shape"):  # a list of rows
        data = np.asarray(data)
    return data[rows]


def check_transform_output(estimator):
    """Check ``estimator.transform_output`` against its declared options.

    ``fit`` checks every parameter; this one can be changed after ``fit``
    (``set_params(transform_output=...)``) and is read by ``transform``.
    """
    validate_parameter_constraints(
        {"transform_output": estimator._parameter_constraints["transform_output"]},
        {"transform_output": estimator.transform_output},
        caller_name=type(estimator).__name__,
    )


def validate_numeric(estimator, X, y="no_validation", **options):
    """scikit-learn's ``validate_data``, whose error for text columns says to encode them.

    Parameters
    ----------
    estimator : estimator
        The estimator whose ``fit``, ``predict`` or ``transform`` reads ``X``.
    X : array-like of shape (n_samples, n_features)
    y : array-like or "no_validation", default="no_validation"
    **options
        Passed to ``validate_data`` (``reset``, ``dtype``, ...).

    Returns
    -------
    X, or (X, y) when ``y`` is validated too.
    """
    non_numeric = non_numeric_columns(X)
    if non_numeric:
        raise ValueError(
            f"X has non-numeric columns {non_numeric}; encode them first, e.g. "
            "make_pipeline(make_column_transformer((OneHotEncoder(), columns), "
            f"remainder=StandardScaler()), {type(estimator).__name__}())."
        )
    try:
        return validate_data(estimator, X, y=y, **options)
    except ValueError as error:
        if "could not convert" not in str(error):
            raise
        raise ValueError(
            f"X must be numeric ({error}); encode categorical columns "
            "first, e.g. with OneHotEncoder in a ColumnTransformer."
        ) from error
