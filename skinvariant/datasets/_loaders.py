"""Loaders for the tabular fairness benchmarks bundled with the package."""

from importlib.resources import files

import pandas as pd
from sklearn.utils import Bunch

ADULT_CATEGORICAL_COLUMNS = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]
ADULT_MISSING_MARKER = "?"

ADULT_DESCR = """\
UCI Adult (Census Income) data set
----------------------------------

Source: Becker, B. and Kohavi, R. (1996). Adult. UCI Machine Learning
Repository, https://doi.org/10.24432/C5XW20. Licence: CC BY 4.0.

Extracted from the 1994 US Census database. The bundled copy holds the
32,561 rows of the original training split (``adult.data``) with 14
attributes and the income class. 2,399 rows have a missing value (marked
``?``) in ``workclass``, ``occupation`` or ``native-country``; dropping them
leaves 30,162 rows.

Target: ``income`` is 1 when the yearly income exceeds 50K USD (24.9% of the
30,162 complete rows, 24.1% of all rows), else 0.

Sensitive attribute: ``sex`` (``Female``/``Male``; 32.4% female among the
complete rows). It is the attribute most studied with this data set; ``race``
and ``age`` are also protected and stay in the features. ``relationship``
(``Husband``/``Wife``) and ``marital-status`` are strong proxies of ``sex``.
"""

GERMAN_DECODING = {
    "status": {
        "A11": "< 0 DM",
        "A12": "0 <= ... < 200 DM",
        "A13": ">= 200 DM / salary assignments for at least 1 year",
        "A14": "no checking account",
    },
    "credit_history": {
        "A30": "no credits taken / all credits paid back duly",
        "A31": "all credits at this bank paid back duly",
        "A32": "existing credits paid back duly till now",
        "A33": "delay in paying off in the past",
        "A34": "critical account / other credits existing (not at this bank)",
    },
    "purpose": {
        "A40": "car (new)",
        "A41": "car (used)",
        "A42": "furniture/equipment",
        "A43": "radio/television",
        "A44": "domestic appliances",
        "A45": "repairs",
        "A46": "education",
        "A47": "vacation",
        "A48": "retraining",
        "A49": "business",
        "A410": "others",
    },
    "savings": {
        "A61": "< 100 DM",
        "A62": "100 <= ... < 500 DM",
        "A63": "500 <= ... < 1000 DM",
        "A64": ">= 1000 DM",
        "A65": "unknown / no savings account",
    },
    "employment": {
        "A71": "unemployed",
        "A72": "< 1 year",
        "A73": "1 <= ... < 4 years",
        "A74": "4 <= ... < 7 years",
        "A75": ">= 7 years",
    },
    "personal_status": {
        "A91": "male: divorced/separated",
        "A92": "female: divorced/separated/married",
        "A93": "male: single",
        "A94": "male: married/widowed",
        "A95": "female: single",
    },
    "other_debtors": {
        "A101": "none",
        "A102": "co-applicant",
        "A103": "guarantor",
    },
    "property": {
        "A121": "real estate",
        "A122": "building society savings agreement / life insurance",
        "A123": "car or other",
        "A124": "unknown / no property",
    },
    "installment_plans": {
        "A141": "bank",
        "A142": "stores",
        "A143": "none",
    },
    "housing": {
        "A151": "rent",
        "A152": "own",
        "A153": "for free",
    },
    "skill_level": {
        "A171": "unemployed / unskilled - non-resident",
        "A172": "unskilled - resident",
        "A173": "skilled employee / official",
        "A174": "management / self-employed / highly qualified employee / officer",
    },
    "telephone": {
        "A191": "none",
        "A192": "yes, registered under the customer's name",
    },
    "foreign_worker": {
        "A201": "yes",
        "A202": "no",
    },
}
GERMAN_YOUNG_MAX_AGE = 25

GERMAN_DESCR = """\
Statlog (German Credit Data) data set
-------------------------------------

Source: Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine
Learning Repository, https://doi.org/10.24432/C5NC77. Licence: CC BY 4.0.

1,000 loan applicants described by 20 attributes (7 numerical, 13
categorical, stored as symbolic codes such as ``A11`` and decoded from the
data set's documentation, ``german.txt``). No missing values.

Target: ``credit`` is 1 for a good credit risk (700 rows), 0 for a bad one
(300 rows). The original documentation asks for a cost matrix: predicting
"good" for a bad customer costs 5, the converse costs 1.

Sensitive attribute: ``age_le_25``, True for applicants aged 25 or less
(190 rows, 19%), the usual split of this data set in the fairness
literature. ``personal_status`` mixes marital status and sex, so it is a
proxy of sex.
"""


def _read_bundled_csv(filename, **read_csv_kwargs):
    """Read a gzip-compressed CSV file from the package's ``data`` folder."""
    with (files("skinvariant.datasets") / "data" / filename).open("rb") as handle:
        return pd.read_csv(handle, compression="gzip", **read_csv_kwargs)


def _package(X, y, sensitive, frame, *, target_names, descr, return_X_y_s, as_frame):
    """Return a loader's output as a tuple or a Bunch, in pandas or NumPy."""
    feature_names = list(X.columns)
    sensitive_name = sensitive.name
    if not as_frame:
        X, y, sensitive = X.to_numpy(dtype=object), y.to_numpy(), sensitive.to_numpy()
        frame = None
    if return_X_y_s:
        return X, y, sensitive
    return Bunch(
        data=X,
        target=y,
        sensitive=sensitive,
        frame=frame,
        feature_names=feature_names,
        target_names=target_names,
        sensitive_name=sensitive_name,
        DESCR=descr,
    )


def _read_adult(dropna):
    """Return the Adult table with clean categories and a 0/1 ``income`` column."""
    raw = _read_bundled_csv("adult.csv.gz", skipinitialspace=True)
    text_columns = [*ADULT_CATEGORICAL_COLUMNS, "income-per-year"]
    raw = raw.assign(**{column: raw[column].str.strip() for column in text_columns})
    categorical = {
        column: raw[column].mask(raw[column] == ADULT_MISSING_MARKER).astype("category")
        for column in ADULT_CATEGORICAL_COLUMNS
    }
    income = raw["income-per-year"].map({"<=50K": 0, ">50K": 1}).astype("int64")
    frame = raw.assign(**categorical, income=income).drop(columns="income-per-year")
    if not dropna:
        return frame
    complete = frame.dropna().reset_index(drop=True)
    observed = {
        column: complete[column].cat.remove_unused_categories()
        for column in ADULT_CATEGORICAL_COLUMNS
    }
    return complete.assign(**observed)


def load_adult(*, return_X_y_s=False, as_frame=True, drop_sensitive=True, dropna=True):
    """Load the UCI Adult (census income) data set, with ``sex`` as sensitive attribute.

    The data (Becker and Kohavi, 1996; CC BY 4.0) ship with the package: no
    download happens. The copy is the 32,561-row training split
    (``adult.data``). Whitespace around string values is removed and the
    missing-value marker ``?`` becomes NaN.

    Every attribute is kept, ``fnlwgt`` (a census sampling weight) included.
    ``education`` and ``education-num`` are redundant: the second is the
    ordinal code of the first; drop one of them before one-hot encoding if
    collinearity matters.

    Parameters
    ----------
    return_X_y_s : bool, default=False
        If True, return ``(X, y, sensitive)`` instead of a Bunch.
    as_frame : bool, default=True
        If True, ``X`` is a DataFrame whose categorical columns have the
        ``category`` dtype, and ``y`` and ``sensitive`` are Series. If False,
        they are NumPy arrays (``X`` of dtype object, missing values as NaN).
    drop_sensitive : bool, default=True
        If True, remove the ``sex`` column from ``X``, so that a model cannot
        read the attribute directly. This alone does not make ``X`` invariant
        to sex: proxies such as ``relationship`` (``Husband``/``Wife``) remain,
        and removing their information is the job of the invariance methods.
        If False, ``X`` keeps the ``sex`` column.
    dropna : bool, default=True
        If True, drop the 2,399 rows with a missing value (in ``workclass``,
        ``occupation`` or ``native-country``), leaving 30,162 rows, and the
        categories that no longer occur (``workclass`` ``Never-worked``, whose
        7 rows all lack ``occupation``). If False, keep all 32,561 rows, with
        NaN where values are missing.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Returned unless ``return_X_y_s`` is True, with attributes:

        data : DataFrame of shape (n_samples, 13) or (n_samples, 14)
            The features; ``sex`` is among them only if ``drop_sensitive``
            is False.
        target : Series of shape (n_samples,), dtype int64
            ``income``: 1 if the yearly income exceeds 50K USD, else 0.
        sensitive : Series of shape (n_samples,), dtype category
            ``sex``, with the values ``"Female"`` and ``"Male"``.
        frame : DataFrame of shape (n_samples, 15)
            All attributes and the target; None if ``as_frame`` is False.
        feature_names : list of str
            The columns of ``data``.
        target_names : list of str
            ``["<=50K", ">50K"]``, the meaning of target values 0 and 1.
        sensitive_name : str
            ``"sex"``.
        DESCR : str
            A description of the data set.

    (X, y, sensitive) : tuple
        ``data``, ``target`` and ``sensitive`` of the Bunch, returned if
        ``return_X_y_s`` is True.

    Examples
    --------
    >>> from skinvariant.datasets import load_adult
    >>> X, y, sex = load_adult(return_X_y_s=True)
    >>> X.shape
    (30162, 13)
    >>> float(round(y.mean(), 3))
    0.249
    >>> sex.value_counts(sort=False).to_dict()
    {'Female': 9782, 'Male': 20380}
    """
    frame = _read_adult(dropna)
    X = frame.drop(columns=["income", "sex"] if drop_sensitive else ["income"])
    return _package(
        X,
        frame["income"],
        frame["sex"],
        frame,
        target_names=["<=50K", ">50K"],
        descr=ADULT_DESCR,
        return_X_y_s=return_X_y_s,
        as_frame=as_frame,
    )


def _as_documented_category(column, decoding, decode):
    """Return a column of German codes as a category in the documented order."""
    if decode:
        return pd.Categorical(column.map(decoding), categories=list(decoding.values()))
    return pd.Categorical(column, categories=list(decoding))


def _read_german(decode):
    """Return the German credit table with categories and a 0/1 ``credit`` column."""
    raw = _read_bundled_csv("german.csv.gz")
    categorical = {
        column: _as_documented_category(raw[column], decoding, decode)
        for column, decoding in GERMAN_DECODING.items()
    }
    credit = raw["credit"].map({1: 1, 2: 0}).astype("int64")
    return raw.assign(**categorical, credit=credit)


def load_german(*, return_X_y_s=False, as_frame=True, drop_sensitive=True, decode=True):
    """Load the Statlog German credit data set, with age <= 25 as sensitive attribute.

    The data (Hofmann, 1994; CC BY 4.0) ship with the package: no download
    happens. They hold 1,000 applicants, 20 attributes and no missing value.

    The sensitive attribute is the boolean ``age_le_25``: True for the 190
    applicants aged 25 or less ("young"), False for the others.

    Parameters
    ----------
    return_X_y_s : bool, default=False
        If True, return ``(X, y, sensitive)`` instead of a Bunch.
    as_frame : bool, default=True
        If True, ``X`` is a DataFrame whose 13 categorical columns have the
        ``category`` dtype, and ``y`` and ``sensitive`` are Series. If False,
        they are NumPy arrays (``X`` of dtype object, ``sensitive`` of dtype
        bool).
    drop_sensitive : bool, default=True
        If True, remove the ``age`` column from ``X``: it determines the
        sensitive attribute, so a model could read it directly. Proxies remain
        (``employment`` duration, ``residence_since``, ``personal_status``...),
        and removing their information is the job of the invariance methods.
        If False, ``X`` keeps ``age``.
    decode : bool, default=True
        If True, replace the symbolic codes of the categorical attributes by
        the labels of the data set's documentation, ``german.txt`` (``A11``
        becomes ``"< 0 DM"``). If False, keep the codes. In
        both cases the categories follow the documented order, including the
        two documented values absent from the data (``A47``, vacation, and
        ``A95``, single female).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Returned unless ``return_X_y_s`` is True, with attributes:

        data : DataFrame of shape (1000, 19) or (1000, 20)
            The features; ``age`` is among them only if ``drop_sensitive``
            is False.
        target : Series of shape (1000,), dtype int64
            ``credit``: 1 for a good credit risk, 0 for a bad one.
        sensitive : Series of shape (1000,), dtype bool
            ``age_le_25``: True if the applicant is 25 or younger.
        frame : DataFrame of shape (1000, 21)
            All attributes and the target; None if ``as_frame`` is False.
        feature_names : list of str
            The columns of ``data``.
        target_names : list of str
            ``["bad", "good"]``, the meaning of target values 0 and 1.
        sensitive_name : str
            ``"age_le_25"``.
        DESCR : str
            A description of the data set.

    (X, y, sensitive) : tuple
        ``data``, ``target`` and ``sensitive`` of the Bunch, returned if
        ``return_X_y_s`` is True.

    Examples
    --------
    >>> from skinvariant.datasets import load_german
    >>> X, y, young = load_german(return_X_y_s=True)
    >>> X.shape
    (1000, 19)
    >>> X["status"].iloc[0]
    '< 0 DM'
    >>> float(y.mean()), float(young.mean())
    (0.7, 0.19)
    """
    frame = _read_german(decode)
    X = frame.drop(columns=["credit", "age"] if drop_sensitive else ["credit"])
    young = (frame["age"] <= GERMAN_YOUNG_MAX_AGE).rename("age_le_25")
    return _package(
        X,
        frame["credit"],
        young,
        frame,
        target_names=["bad", "good"],
        descr=GERMAN_DESCR,
        return_X_y_s=return_X_y_s,
        as_frame=as_frame,
    )
