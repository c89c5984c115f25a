"""The Adult and German splits and preprocessing shared by the benchmarks."""

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skinvariant.datasets import load_adult, load_german


def make_preprocessor(X):
    """One-hot encode the categorical columns of ``X``; standardise the rest."""
    categorical = X.select_dtypes(include="category").columns.tolist()
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical),
        remainder=StandardScaler(),
        sparse_threshold=0,
    )


def preprocessed_split(X, y, s, random_state=0):
    """70/30 split stratified by y, preprocessed with ``make_preprocessor`` fitted on the train part.

    Returns
    -------
    X_train, X_test : ndarray of float32
    y_train, y_test, s_train, s_test : ndarray
    """
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.3, stratify=y, random_state=random_state
    )
    preprocessor = make_preprocessor(X_train).fit(X_train)
    return (
        preprocessor.transform(X_train).astype(np.float32),
        preprocessor.transform(X_test).astype(np.float32),
        np.asarray(y_train),
        np.asarray(y_test),
        np.asarray(s_train),
        np.asarray(s_test),
    )


def adult_split(random_state=0):
    """The preprocessed 70/30 split of Adult, sex as sensitive (see ``preprocessed_split``)."""
    return preprocessed_split(*load_adult(return_X_y_s=True), random_state=random_state)


def german_split(random_state=0):
    """The preprocessed 70/30 split of German credit, age <= 25 as sensitive."""
    return preprocessed_split(*load_german(return_X_y_s=True), random_state=random_state)
