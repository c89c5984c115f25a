"""SensitiveFromColumns: the attribute carried in X, for tools that split only X and y."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skinvariant import HSICClassifier, IIDMClassifier, IIDMRegressor
from skinvariant.compose import SensitiveFromColumns
from skinvariant.datasets import make_attribute_blobs
from skinvariant.exceptions import NoInvarianceWarning
from skinvariant.metrics import make_fairness_scorer


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


def test_the_attribute_keeps_the_order_its_columns_are_named_in(blobs):
    X, y, s = blobs
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["group"], frame["half"] = s, np.arange(len(s)) % 2
    for columns in (["half", "group"], [-1, -2]):
        model = SensitiveFromColumns(IIDMClassifier(max_epochs=1, random_state=0), columns)
        groups = model.fit(frame if isinstance(columns[0], str) else frame.to_numpy(), y)
        assert {half for half, _ in groups.estimator_.sensitive_groups_} == {0, 1}
        assert {group for _, group in groups.estimator_.sensitive_groups_} == {0, 1, 2}
    twice = frame.rename(columns={"half": "group"})  # two columns named "group"
    with pytest.raises(ValueError, match=r"X has columns named more than once: \['group'\]"):
        SensitiveFromColumns(IIDMClassifier(max_epochs=1), "group").fit(twice, y)


def test_it_takes_the_wrapped_estimators_type_and_tags(blobs):
    X, y, s = blobs
    classifier = SensitiveFromColumns(IIDMClassifier(max_epochs=2, random_state=0))
    assert is_classifier(classifier) and not is_regressor(classifier)
    assert is_regressor(SensitiveFromColumns(IIDMRegressor()))
    assert get_tags(classifier).transformer_tags is not None
    assert not get_tags(classifier).input_tags.sparse  # X is split as dense columns
    # a classifier: cv=3 stratifies, and roc_auc finds predict_proba
    scores = cross_val_score(classifier, np.column_stack([X, s]), y, cv=3, scoring="roc_auc")
    assert np.all(scores > 0.6)


def test_metadata_routing_reaches_the_estimator_and_sensitive_comes_from_x(blobs):
    X, y, s = blobs
    Xs, weights = np.column_stack([X, s]), np.linspace(0.2, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        inner = IIDMClassifier(max_epochs=2, random_state=0)
        inner.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        direct = clone(inner).fit(X, y, sensitive=s, sample_weight=weights)
        with warnings.catch_warnings():
            warnings.simplefilter("error", NoInvarianceWarning)
            pipeline = make_pipeline(SensitiveFromColumns(inner)).fit(Xs, y, sample_weight=weights)
        np.testing.assert_array_equal(pipeline.predict_proba(Xs), direct.predict_proba(X))
        assert pipeline.score(Xs, y, sample_weight=weights) == direct.score(
            X, y, sample_weight=weights
        )
        # sensitive goes to the scorer only: the wrapper takes its own from X
        results = cross_validate(
            SensitiveFromColumns(inner),
            Xs,
            y,
            cv=3,
            scoring={
                "score": None,
                "dp": make_fairness_scorer("demographic_parity_difference"),
            },
            params={"sample_weight": weights, "sensitive": s},
            error_score="raise",
        )
    assert np.all(results["test_score"] > 0.5)
    assert np.all(results["test_dp"] <= 0)


def test_set_output_and_feature_names_come_from_the_estimator(blobs):
    X, y, s = blobs
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["group"] = s
    pipeline = make_pipeline(
        SensitiveFromColumns(IIDMClassifier(max_epochs=2, random_state=0), "group"),
        LogisticRegression(),
    ).set_output(transform="pandas")
    wrapped = pipeline.fit(frame, y)[0]
    names = wrapped.estimator_.get_feature_names_out()
    np.testing.assert_array_equal(wrapped.get_feature_names_out(), names)
    np.testing.assert_array_equal(wrapped.get_feature_names_out(frame.columns), names)
    represented = wrapped.transform(frame)
    assert isinstance(represented, pd.DataFrame)
    assert list(represented.columns) == list(names)
    assert pipeline.predict(frame).shape == (len(frame),)


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
