"""Data beyond memory: partial_fit over chunks, and a memmap read batch by batch."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from skinvariant import (
    AdversarialClassifier,
    ContrastiveInvariantClassifier,
    DivergenceError,
    HSICClassifier,
    HSICRegressor,
    IIDMClassifier,
    MINEDebiasedClassifier,
    NoInvarianceWarning,
)
from skinvariant.datasets import make_attribute_blobs
from skinvariant.metrics import demographic_parity_difference, sensitive_leakage

from .conftest import make_leaky_data


def blobs_split(seed=0):
    X, y, s = make_attribute_blobs(3000, random_state=seed)
    return (X[:2000], y[:2000], s[:2000]), (X[2000:], y[2000:], s[2000:])


def train_on_chunks(model, X, y, s, n_epochs, n_chunks=4):
    classes = np.unique(y)
    for _ in range(n_epochs):
        for rows in np.array_split(np.arange(len(X)), n_chunks):
            model.partial_fit(X[rows], y[rows], sensitive=s[rows], classes=classes)
    return model


@pytest.mark.parametrize("Estimator", [IIDMClassifier, HSICClassifier])
def test_chunks_reach_the_accuracy_and_invariance_of_one_fit(Estimator):
    (X, y, s), (X_test, y_test, s_test) = blobs_split()
    chunked = train_on_chunks(Estimator(random_state=0), X, y, s, n_epochs=10)
    whole = Estimator(max_epochs=40, random_state=0).fit(X, y, sensitive=s)  # as many steps
    assert len(chunked.history_) == 40
    # measured on seed 0: accuracy 0.859 / 0.861 (IIDM), 0.840 / 0.860 (HSIC); the
    # strongest probe 0.367 / 0.381 and 0.416 / 0.367 (chance 0.33)
    assert chunked.score(X_test, y_test) >= whole.score(X_test, y_test) - 0.03
    read = {
        name: sensitive_leakage(
            model.transform(X), s, held_out=(model.transform(X_test), s_test)
        ).balanced_accuracy
        for name, model in (("chunked", chunked), ("whole", whole))
    }
    assert read["chunked"] <= read["whole"] + 0.08, read


def test_optimizer_and_adversary_state_carry_over_and_survive_pickling():
    (X, y, s), _ = blobs_split()
    model = AdversarialClassifier(random_state=0).partial_fit(
        X[:500], y[:500], sensitive=s[:500], classes=[0, 1]
    )
    adam_steps = model.net_.optimizer_.state_dict()["state"][0]["step"]
    adversary = [p.detach().clone() for p in model.net_.adversary_.parameters()]
    restored = pickle.loads(pickle.dumps(model))
    restored.partial_fit(X[500:1000], y[500:1000], sensitive=s[500:1000])
    assert restored.net_.optimizer_.state_dict()["state"][0]["step"] > adam_steps
    assert any(
        not np.allclose(before, after.detach())
        for before, after in zip(adversary, restored.net_.adversary_.parameters())
    )
    assert len(restored.history_) == 2
    fitted = IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)
    fitted.partial_fit(X[:500], y[:500], sensitive=s[:500])  # continues a fit
    assert len(fitted.history_) == 4


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_partial_fit_after_fit_trains_at_the_lam_set_since():
    X, y, s = make_attribute_blobs(n_samples=1000, n_groups=2, leakage=0.5, random_state=0)
    fitted = IIDMClassifier(lam=0.0, max_epochs=10, random_state=0).fit(X, y, sensitive=s)
    before = demographic_parity_difference(y, fitted.predict(X), sensitive=s)
    gaps = {}
    for lam in (0.0, 100.0):  # a warm start along a path of lam, and its control
        model = pickle.loads(pickle.dumps(fitted)).set_params(lam=lam)
        for _ in range(10):
            model.partial_fit(X, y, sensitive=s)
        assert model.net_.lam == lam
        gaps[lam] = demographic_parity_difference(y, model.predict(X), sensitive=s)
    # y follows s half of the time: at lam=0 the gap stays, at lam=100 it shrinks
    assert before > 0.4 and gaps[0.0] > 0.4
    assert gaps[100.0] < before / 2


@pytest.mark.parametrize("fit_first", [True, False])
def test_partial_fit_refuses_parameters_the_built_network_cannot_take(fit_first, capsys):
    X, y, s = make_leaky_data(400)
    model = IIDMClassifier(max_epochs=2, random_state=0)
    if fit_first:
        model.fit(X, y, sensitive=s)
    else:
        model.partial_fit(X, y, sensitive=s, classes=[0, 1])
    state = {name: p.detach().clone() for name, p in model.net_.module_.named_parameters()}
    built_with = model.get_params()
    model.set_params(lr=1e-5, n_components=built_with["n_components"] + 2)
    with pytest.raises(ValueError, match="lr, n_components changed since the network was built"):
        model.partial_fit(X, y, sensitive=s)
    for name, p in model.net_.module_.named_parameters():  # refused before any training
        torch.testing.assert_close(p, state[name])
    with pytest.raises(ValueError, match="'lam' parameter"):  # validated on every call
        model.set_params(
            lr=built_with["lr"], n_components=built_with["n_components"], lam=-1.0
        ).partial_fit(X, y, sensitive=s)
    model.set_params(lam=3.0, class_weight={0: 1.0, 1: 2.0}).partial_fit(X, y, sensitive=s)
    model.set_params(verbose=1).partial_fit(X, y, sensitive=s)  # output only: applied
    assert capsys.readouterr().out.strip()  # the epoch's row of the log
    model.fit(X, y, sensitive=s)  # rebuilds at the new values; nothing left to refuse
    model.set_params(lr=1e-5).fit(X, y, sensitive=s).partial_fit(X, y, sensitive=s)


def test_the_same_seed_and_chunks_give_the_same_model():
    (X, y, s), (X_test, _, _) = blobs_split()
    first, second = (train_on_chunks(IIDMClassifier(random_state=3), X, y, s, 2) for _ in range(2))
    np.testing.assert_array_equal(first.transform(X_test), second.transform(X_test))


def test_classes_and_groups_are_fixed_by_the_first_call():
    X, y, s = make_leaky_data(400)
    model = IIDMClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        model.partial_fit(X, y, sensitive=s)
    one_class = y == 0
    model.partial_fit(X[one_class], y[one_class], sensitive=s[one_class], classes=[0, 1])
    assert model.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"classes \[2\] not in classes=\[0, 1\]"):
        model.partial_fit(X, np.where(y == 1, 2, y), sensitive=s)
    with pytest.raises(ValueError, match=r"groups \['7'\] not seen in the first call"):
        model.partial_fit(X, y, sensitive=np.where(s == 1, 7, s))
    with pytest.warns(NoInvarianceWarning, match="partial_fit was called without sensitive"):
        model.partial_fit(X, y)
    plain = IIDMClassifier(random_state=0)
    with pytest.warns(NoInvarianceWarning):
        plain.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="the first call had none"):
        plain.partial_fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported"):
        IIDMClassifier(class_weight="balanced").partial_fit(X, y, sensitive=s, classes=[0, 1])
    with pytest.raises(ValueError, match="X has 3 features"):
        model.partial_fit(X[:, :3], y, sensitive=s)
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differs from the classes \[0, 1\]"):
        model.partial_fit(X, y, sensitive=s, classes=[0, 1, 2])
    model.partial_fit(X, y, sensitive=s, classes=[1, 0])  # the same classes: accepted


def test_chunk_weights_keep_their_scale_across_chunks():
    # a chunk weighted 1e-3 against one weighted 1 trains almost on the second alone
    X, y, s = make_leaky_data(600)
    first, second = np.arange(300), np.arange(300, 600)
    flipped = 1 - y  # the first chunk's labels say the opposite of the second's

    def trained(weight_of_first):
        model = IIDMClassifier(lam=0.0, random_state=0)
        for _ in range(5):
            model.partial_fit(
                X[first],
                flipped[first],
                classes=[0, 1],
                sample_weight=np.full(300, weight_of_first),
            )
            model.partial_fit(X[second], y[second], classes=[0, 1])
        return model.score(X[second], y[second])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoInvarianceWarning)
        assert trained(1e-3) > trained(1.0) + 0.1


def test_a_first_call_that_fails_leaves_the_estimator_unfitted_and_free_to_change():
    X, y, s = make_leaky_data(300)
    y = np.where(np.arange(300) == 0, 5, y)  # class 5 has one row: no stratified split
    model = IIDMClassifier(validation_fraction=0.1, random_state=0)
    with pytest.raises(ValueError, match="validation_fraction=0.1 cannot hold out"):
        model.partial_fit(X, y, sensitive=s, classes=[0, 1, 5])
    assert not hasattr(model, "net_")
    model.set_params(validation_fraction=None).partial_fit(X, y, sensitive=s, classes=[0, 1, 5])
    assert model.predict(X).shape == (300,)


def test_a_diverging_pass_leaves_the_estimator_unfitted_with_its_history_on_the_error():
    X, y, s = make_leaky_data(300)
    model = IIDMClassifier(random_state=0).partial_fit(X, y, sensitive=s, classes=[0, 1])
    model.set_params(lam=1.0)
    exploding = IIDMClassifier(optimizer="sgd", lr=100.0, random_state=0)
    for estimator, first in ((exploding, True), (model, False)):
        if not first:  # a good model, then a pass that diverges
            estimator.net_.module_.apply(
                lambda m: torch.nn.init.constant_(m.weight, 1e6) if hasattr(m, "weight") else None
            )
        with pytest.raises(DivergenceError) as raised:
            estimator.partial_fit(1e3 * X, y, sensitive=s, classes=[0, 1])
        assert len(raised.value.history) >= 1
        assert not hasattr(estimator, "net_") and not hasattr(estimator, "history_")
        with pytest.raises(NotFittedError):
            estimator.predict(X)


def test_a_regressor_keeps_the_first_chunks_scaling_of_y_and_of_a_continuous_attribute():
    rng = np.random.RandomState(0)
    age = rng.uniform(20, 70, 2000)
    X = np.c_[rng.normal(size=(2000, 3)), (age - 45) / 15 + 0.3 * rng.normal(size=2000)]
    y = 100 + 30 * X[:, 0] + rng.normal(size=2000)
    model = HSICRegressor(random_state=0, max_epochs=30)
    for _ in range(30):
        for rows in np.array_split(np.arange(1500), 3):
            model.partial_fit(X[rows], y[rows], sensitive=age[rows])
    assert model.sensitive_type_ == "continuous"
    assert model.y_mean_ == pytest.approx([y[:500].mean()])  # the first chunk's
    assert model.score(X[1500:], y[1500:]) > 0.8  # measured 0.96


def test_known_factors_and_a_continuous_attribute_are_encoded_as_on_the_first_call():
    X, y, s = make_leaky_data(400)
    factors = np.c_[s, np.arange(400) % 3]
    model = ContrastiveInvariantClassifier(random_state=0)
    model.partial_fit(X, y, sensitive=factors, classes=[0, 1])
    model.partial_fit(X[:200], y[:200], sensitive=factors[:200])
    assert model.n_factors_ == 2 and len(model.history_) == 2
    factors[0, 1] = 5
    with pytest.raises(ValueError, match=r"groups \['5'\]"):
        model.partial_fit(X, y, sensitive=factors)
    mine = MINEDebiasedClassifier(random_state=0, n_estimator_steps=1)
    mine.partial_fit(X, y, sensitive=X[:, 1] * 10, classes=[0, 1])
    mine.partial_fit(X, y, sensitive=X[:, 1] * 10)
    assert mine.sensitive_type_ == "continuous"


def test_chunks_of_a_dask_array_train_block_by_block():
    da = pytest.importorskip("dask.array")
    (X, y, s), (X_test, y_test, _) = blobs_split()
    X_blocks, y_blocks, s_blocks = (da.from_array(a, chunks=500) for a in (X, y, s))
    model = IIDMClassifier(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoInvarianceWarning)
        for _ in range(5):
            for X_block, y_block, s_block in zip(
                X_blocks.to_delayed().ravel(), y_blocks.to_delayed(), s_blocks.to_delayed()
            ):
                X_chunk, y_chunk, s_chunk = X_block.compute(), y_block.compute(), s_block.compute()
                model.partial_fit(X_chunk, y_chunk, sensitive=s_chunk, classes=[0, 1])
    assert len(model.history_) == 20
    assert model.score(X_test, y_test) > 0.8


def test_a_memmap_is_read_batch_by_batch_and_trains_the_same_model(tmp_path):
    from skinvariant.core._engine import FileRows

    (X, y, s), (X_test, _, _) = blobs_split()
    X = X.astype(np.float32)
    stored = np.memmap(tmp_path / "X.dat", dtype=np.float32, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    on_disk = np.memmap(tmp_path / "X.dat", dtype=np.float32, mode="r", shape=X.shape)
    for options in ({}, {"validation_fraction": 0.2}):
        in_memory = IIDMClassifier(max_epochs=3, random_state=0, **options).fit(X, y, sensitive=s)
        streamed = IIDMClassifier(max_epochs=3, random_state=0, **options)
        streamed.fit(on_disk, y, sensitive=s)
        np.testing.assert_array_equal(streamed.transform(X_test), in_memory.transform(X_test))
        np.testing.assert_array_equal(streamed.predict(on_disk), in_memory.predict(X))
    inputs = streamed.net_.get_dataset(streamed._validate_numeric(on_disk)).inputs
    assert isinstance(inputs["X"], FileRows)  # the rows stay in the file


def test_chunks_written_to_a_npy_file_and_loaded_with_mmap_mode_are_streamed(tmp_path):
    """The guide's recipe for any source of chunks: one .npy file, then fit from it."""
    from skinvariant.core._engine import FileRows

    (X, y, s), (X_test, _, _) = blobs_split()
    path = tmp_path / "X.npy"
    stored = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=X.shape)
    for start in range(0, len(X), 500):  # e.g. chunks read from a database
        stored[start : start + 500] = X[start : start + 500]
    stored.flush()
    on_disk = np.load(path, mmap_mode="r")
    model = IIDMClassifier(max_epochs=3, random_state=0).fit(on_disk, y, sensitive=s)
    in_memory = IIDMClassifier(max_epochs=3, random_state=0).fit(
        X.astype(np.float32), y, sensitive=s
    )
    np.testing.assert_array_equal(model.transform(X_test), in_memory.transform(X_test))
    inputs = model.net_.get_dataset(model._validate_numeric(on_disk)).inputs
    assert isinstance(inputs["X"], FileRows)
