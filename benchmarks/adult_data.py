"""The Adult and German splits and preprocessing shared by the benchmarks."""

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from skinvariant.datasets import load_adult, load_german


def make_preprocessor(X):
    """One-hot encode the categorical columns of ``X``; standardise the rest."""
    categorical = X.select_dtypes(include="category").columns.tolist()
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical),
        remainder=StandardScaler(),
        sparse_threshold=0,
    )


def make_ordinal_preprocessor(X):
    """Ordinal codes for the categorical columns of ``X`` (first; -1 for a level unseen in
    fit), the rest standardised: for a tree that splits categories into sets."""
    categorical = X.select_dtypes(include="category").columns.tolist()
    return make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), categorical),
        remainder=StandardScaler(),
        sparse_threshold=0,
    )


def preprocessed_split(X, y, s, random_state=0, ordinal=False):
    """70/30 split stratified by y, preprocessed with ``make_preprocessor`` fitted on the train part.

    With ``ordinal=True``, ``make_ordinal_preprocessor`` instead, and the boolean
    mask of the categorical columns is returned last.

    Returns
    -------
    X_train, X_test : ndarray of float32
    y_train, y_test, s_train, s_test : ndarray
    """
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.3, stratify=y, random_state=random_state
    )
    make = make_ordinal_preprocessor if ordinal else make_preprocessor
    preprocessor = make(X_train).fit(X_train)
    split = (
        preprocessor.transform(X_train).astype(np.float32),
        preprocessor.transform(X_test).astype(np.float32),
        np.asarray(y_train),
        np.asarray(y_test),
        np.asarray(s_train),
        np.asarray(s_test),
    )
    if not ordinal:
        return split
    n_categorical = len(X.select_dtypes(include="category").columns)
    return (*split, np.arange(split[0].shape[1]) < n_categorical)


def adult_split(random_state=0, ordinal=False):
    """The preprocessed 70/30 split of Adult, sex as sensitive (see ``preprocessed_split``)."""
    return preprocessed_split(
        *load_adult(return_X_y_s=True), random_state=random_state, ordinal=ordinal
    )


def german_split(random_state=0, ordinal=False):
    """The preprocessed 70/30 split of German credit, age <= 25 as sensitive."""
    return preprocessed_split(
        *load_german(return_X_y_s=True), random_state=random_state, ordinal=ordinal
    )
