"""SensitiveFromColumns: the attribute carried in X, for tools that split only X and y."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from skinvariant import HSICClassifier, IIDMClassifier
from skinvariant.compose import SensitiveFromColumns
from skinvariant.datasets import make_attribute_blobs
from skinvariant.exceptions import NoInvarianceWarning


@pytest.fixture
def blobs():
    X, y, s = make_attribute_blobs(600, random_state=0)
    return X, y, s


def test_the_attribute_column_trains_the_model_that_sensitive_trains(blobs):
    X, y, s = blobs
    direct = IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoInvarianceWarning)
        wrapped = SensitiveFromColumns(IIDMClassifier(max_epochs=3, random_state=0), columns=0)
        wrapped.fit(np.column_stack([s, X]), y)
    Xs = np.column_stack([s, X])
    np.testing.assert_array_equal(wrapped.transform(Xs), direct.transform(X))
    np.testing.assert_array_equal(wrapped.predict_proba(Xs), direct.predict_proba(X))
    assert wrapped.score(Xs, y) == direct.score(X, y)
    np.testing.assert_array_equal(wrapped.classes_, direct.classes_)


def test_prediction_does_not_read_the_attribute(blobs):
    X, y, s = blobs
    model = SensitiveFromColumns(HSICClassifier(max_epochs=2, random_state=0)).fit(
        np.column_stack([X, s]), y
    )
    other_groups = np.column_stack([X, (s + 1) % 3])
    np.testing.assert_array_equal(
        model.predict(other_groups), model.predict(np.column_stack([X, s]))
    )


def test_named_columns_of_a_frame_make_an_intersectional_attribute(blobs):
    X, y, s = blobs
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["group"], frame["half"] = s, np.arange(len(s)) % 2
    model = SensitiveFromColumns(IIDMClassifier(max_epochs=2, random_state=0), ["group", "half"])
    model.fit(frame, y)
    assert model.estimator_.n_features_in_ == X.shape[1]
    assert len(model.estimator_.sensitive_groups_) == 6  # 3 groups x 2 halves
    assert model.predict(frame).shape == (len(frame),)


def test_chunks_train_as_partial_fit_with_sensitive_does(blobs):
    X, y, s = blobs
    direct, wrapped = (
        IIDMClassifier(random_state=0),
        SensitiveFromColumns(IIDMClassifier(random_state=0)),
    )
    for rows in np.array_split(np.arange(len(X)), 3):
        direct.partial_fit(X[rows], y[rows], sensitive=s[rows], classes=[0, 1])
        wrapped.partial_fit(np.column_stack([X, s])[rows], y[rows], classes=[0, 1])
    np.testing.assert_array_equal(wrapped.transform(np.column_stack([X, s])), direct.transform(X))
    restored = pickle.loads(pickle.dumps(wrapped))
    np.testing.assert_array_equal(
        restored.predict(np.column_stack([X, s])), wrapped.predict(np.column_stack([X, s]))
    )


def test_it_clones_and_cross_validates_with_only_x_and_y(blobs):
    X, y, s = blobs
    model = SensitiveFromColumns(IIDMClassifier(max_epochs=2, random_state=0))
    assert clone(model).get_params()["estimator__max_epochs"] == 2
    scores = cross_val_score(model, np.column_stack([X, s]), y, cv=3)
    assert np.all(scores > 0.6)


@pytest.mark.parametrize(
    "columns, match",
    [(5, "not a column of X"), ("group", "names need a pandas DataFrame"), ([], "empty")],
)
def test_bad_columns_are_named(blobs, columns, match):
    X, y, s = blobs
    with pytest.raises(ValueError, match=match):
        SensitiveFromColumns(IIDMClassifier(max_epochs=1), columns).fit(np.column_stack([X, s]), y)


def test_sensitive_given_twice_and_a_changed_width_are_refused(blobs):
    X, y, s = blobs
    model = SensitiveFromColumns(IIDMClassifier(max_epochs=1, random_state=0))
    with pytest.raises(TypeError, match="do not pass sensitive"):
        model.fit(np.column_stack([X, s]), y, sensitive=s)
    model.fit(np.column_stack([X, s]), y)
    with pytest.raises(ValueError, match="attribute's columns included"):
        model.predict(X)


def test_dask_mls_incremental_passes_the_attribute_block_by_block(blobs):
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")  # not among the test extras: ~380 MB
    X, y, s = blobs
    Xs = np.column_stack([X, s])
    blocks = dict(chunks=200)
    incremental = wrappers.Incremental(
        SensitiveFromColumns(IIDMClassifier(random_state=0)), shuffle_blocks=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoInvarianceWarning)
        incremental.fit(
            da.from_array(Xs, chunks=(200, Xs.shape[1])), da.from_array(y, **blocks), classes=[0, 1]
        )
    by_hand = SensitiveFromColumns(IIDMClassifier(random_state=0))
    for rows in np.array_split(np.arange(len(X)), 3):
        by_hand.partial_fit(Xs[rows], y[rows], classes=[0, 1])
    fitted = incremental.estimator_
    assert len(fitted.estimator_.history_) == 3  # one pass per block
    np.testing.assert_array_equal(fitted.transform(Xs), by_hand.transform(Xs))
    predicted = incremental.predict(da.from_array(Xs, chunks=(200, Xs.shape[1]))).compute()
    np.testing.assert_array_equal(predicted, by_hand.predict(Xs))
