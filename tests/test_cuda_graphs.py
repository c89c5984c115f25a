"""Training steps captured in CUDA graphs: the same model as eager training, on by default on a GPU.

The tests marked ``cuda`` need a CUDA device and are skipped without one; the
others check, on any machine, the parts of the objectives rewritten for
static shapes and the switches that keep the CPU path as it was.
"""

import functools
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, GradientNormClipping, LRScheduler

from skinvariant import (
    AdversarialClassifier,
    AdversarialRegressor,
    AffinityClassifier,
    AffinityTransformer,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    HSICRegressor,
    IIDMClassifier,
    IIDMRegressor,
    InvertibleClassifier,
    MINEDebiasedClassifier,
    MINEDebiasedRegressor,
    kernels,
)
from skinvariant.core import GraphedTrainStep, grad_reverse
from skinvariant.core._engine import _accepts
from skinvariant.core._graphs import WARMUP_STEPS
from skinvariant.exceptions import DivergenceError, GraphCaptureWarning

from .conftest import make_leaky_data


def cuda_only(test):
    """Mark ``test`` as needing a CUDA device, and skip it without one."""
    skip = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    return pytest.mark.cuda(skip(test))


# the objectives written for graphs, whose captured steps draw no random numbers
DETERMINISTIC_CAPTURED = [IIDMClassifier, AdversarialClassifier, HSICClassifier, AffinityClassifier]
EVERY_ESTIMATOR = [
    IIDMClassifier,
    AdversarialClassifier,
    MINEDebiasedClassifier,
    HSICClassifier,
    AffinityClassifier,
    InvertibleClassifier,
    ContrastiveInvariantClassifier,
    AffinityTransformer,
    IIDMRegressor,
    AdversarialRegressor,
    MINEDebiasedRegressor,
    HSICRegressor,
]


# -- on any machine ---------------------------------------------------------


def test_a_cpu_fit_captures_no_graph(leaky_data):
    X, y, s = leaky_data
    model = IIDMClassifier(max_epochs=1, device="cpu", random_state=0).fit(X, y, sensitive=s)
    assert not model.net_.captures_graphs()
    assert model.net_.graph_replays_ == 0
    assert (
        "capturable" not in model.net_.optimizer_.defaults
        or not (model.net_.optimizer_.defaults["capturable"])
    )


def test_cuda_graphs_must_be_a_bool(leaky_data):
    X, y, s = leaky_data
    with pytest.raises(InvalidParameterError, match="cuda_graphs"):
        IIDMClassifier(cuda_graphs="yes").fit(X, y, sensitive=s)


def test_the_median_bandwidth_is_that_of_every_off_diagonal_pair():
    x = torch.randn(37, 3, generator=torch.Generator().manual_seed(0))
    standardized = kernels.batch_standardized(x)
    squared = torch.cdist(standardized, standardized).pow(2)
    off_diagonal = squared[~torch.eye(len(x), dtype=torch.bool)]
    expected = torch.exp(-squared / off_diagonal.median())
    torch.testing.assert_close(kernels.gaussian_kernel(x), expected)


def test_iidm_penalty_without_partners_is_zero_with_a_gradient():
    from skinvariant.core import Step
    from skinvariant.iidm import DiscriminatorMatchingObjective

    objective = DiscriminatorMatchingObjective(2, 2, 2)  # no centroid seen yet: no partner
    z = torch.randn(8, 2, requires_grad=True)
    step = Step(z, torch.zeros(8, dtype=torch.long), torch.arange(8) % 2, {"z": z})
    penalty = objective.penalty(step)
    penalty.backward()
    assert penalty.item() == 0.0
    assert z.grad is not None and torch.all(z.grad == 0)


def test_gradient_reversal_takes_a_tensor_scale():
    x = torch.ones(3, requires_grad=True)
    grad_reverse(x, torch.tensor(2.5)).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((3,), -2.5))


def test_capturable_is_set_only_where_the_optimizer_takes_it_and_the_user_did_not():
    assert _accepts(torch.optim.Adam, "capturable")
    assert _accepts(torch.optim.RMSprop, "capturable")
    assert not _accepts(torch.optim.SGD, "capturable")
    assert not _accepts(functools.partial(torch.optim.Adam, capturable=False), "capturable")
    assert _accepts(functools.partial(torch.optim.Adam, weight_decay=1e-4), "capturable")


# -- the graphed step's bookkeeping, on the CPU ---------------------------------


class ReexecutedGraph:
    """Stands in for a CUDA graph on the CPU: a replay runs the captured step again.

    A real capture runs the step's Python once and its kernels at every
    replay; this runs both at every replay, so what it checks is the
    bookkeeping around the graph (warm-ups, one graph per batch size, the
    static inputs, ``lam`` and ``progress`` as tensors, outputs copied,
    captures renewed when a hyperparameter changes), not what CUDA allows.
    """

    def __init__(self, step):
        self.step = step
        self.outputs = {}

    def replay(self):
        self.outputs.update(self.step())

    @classmethod
    def capture(cls, step):
        graph = cls(step)
        return graph, graph.outputs


@pytest.fixture
def emulated_graphs(monkeypatch):
    """Graphed training steps on the CPU, replayed by running the step again."""
    monkeypatch.setattr("skinvariant.core._engine._on_cuda", lambda device: True)
    monkeypatch.setattr("skinvariant.core._engine._accepts", lambda optimizer, option: False)
    monkeypatch.setattr(
        "skinvariant.core._graphs._CapturedStep.capture", staticmethod(ReexecutedGraph.capture)
    )
    captures = []
    original = GraphedTrainStep._capture

    def counted(self, key, batch):
        captures.append(key)
        return original(self, key, batch)

    monkeypatch.setattr(GraphedTrainStep, "_capture", counted)
    return captures


@pytest.mark.parametrize(
    "Estimator, options",
    [
        (IIDMClassifier, {}),
        (AdversarialClassifier, {"mode": "reversal", "lam_ramp": True}),
        (HSICClassifier, {}),
        (AffinityClassifier, {}),
        (MINEDebiasedClassifier, {"n_estimator_steps": 2}),
        (IIDMRegressor, {}),
    ],
)
def test_replayed_steps_train_the_model_eager_steps_train(
    Estimator, options, leaky_data, emulated_graphs
):
    X, y, s = leaky_data
    target = X[:, 0] + y if "Regressor" in Estimator.__name__ else y

    def fit(graphs):
        model = Estimator(max_epochs=4, device="cpu", cuda_graphs=graphs, random_state=0, **options)
        return model.fit(X, target, sensitive=s)

    replayed, eager = fit(True), fit(False)
    assert replayed.net_.graph_replays_ >= 5 and eager.net_.graph_replays_ == 0
    for key in ("train_loss", "train_task_loss"):
        np.testing.assert_allclose(replayed.history_[:, key], eager.history_[:, key], rtol=1e-5)
    np.testing.assert_allclose(replayed.transform(X), eager.transform(X), rtol=1e-4, atol=1e-5)


def test_each_batch_size_is_captured_once_after_its_warm_ups(leaky_data, emulated_graphs):
    X, y, s = leaky_data  # 800 rows at batch 128: six of 128 rows and one of 32 an epoch
    # without the kernel term, whose group-stratified batches vary by a row or two
    model = IIDMClassifier(kernel_penalty=0.0, max_epochs=5, device="cpu", random_state=0)
    model.fit(X, y, sensitive=s)
    assert sorted(key[-1] for key in emulated_graphs) == [(32,), (128,)]
    # 30 steps of 128 rows (3 eager) and 5 of 32 (3 eager)
    assert model.net_.graph_replays_ == (30 - WARMUP_STEPS) + (5 - WARMUP_STEPS)


def test_a_changed_learning_rate_is_captured_anew(leaky_data, emulated_graphs):
    X, y, s = leaky_data
    schedule = [LRScheduler(policy="StepLR", step_size=1, gamma=0.5)]
    options = dict(max_epochs=4, device="cpu", batch_size=200, callbacks=schedule, random_state=0)
    options["kernel_penalty"] = 0.0  # batches of one size: one graph per capture
    replayed = IIDMClassifier(**options).fit(X, y, sensitive=s)
    eager = IIDMClassifier(cuda_graphs=False, **options).fit(X, y, sensitive=s)
    assert len(emulated_graphs) == 4  # in epoch 1, and again in each epoch after a halving
    np.testing.assert_allclose(
        replayed.history_[:, "train_loss"], eager.history_[:, "train_loss"], rtol=1e-5
    )


class RebuildOptimizerInEpoch3(Callback):
    """Build the optimizers anew mid-fit, with the same options (new objects, same values)."""

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 3:
            net.initialize_optimizer()


def test_optimizers_built_anew_are_captured_anew(leaky_data, emulated_graphs):
    X, y, s = leaky_data
    # kernel_penalty=0: batches of one size, so one graph per capture
    options = dict(max_epochs=4, device="cpu", batch_size=200, kernel_penalty=0.0, random_state=0)
    replayed = IIDMClassifier(callbacks=[RebuildOptimizerInEpoch3()], **options)
    replayed.fit(X, y, sensitive=s)
    eager = IIDMClassifier(callbacks=[RebuildOptimizerInEpoch3()], cuda_graphs=False, **options)
    eager.fit(X, y, sensitive=s)
    assert len(emulated_graphs) == 2  # in epoch 1, and after the optimizers were rebuilt
    np.testing.assert_allclose(
        replayed.history_[:, "train_loss"], eager.history_[:, "train_loss"], rtol=1e-5
    )


def test_partial_fit_and_pickling_work_with_graphed_steps(leaky_data, emulated_graphs):
    X, y, s = leaky_data
    # kernel_penalty=0: batches of one size, captured after their warm-ups within two chunks
    model = IIDMClassifier(kernel_penalty=0.0, random_state=0, device="cpu").partial_fit(
        X, y, sensitive=s, classes=[0, 1]
    )
    model = pickle.loads(pickle.dumps(model))
    model.partial_fit(X, y, sensitive=s)
    assert model.net_.graph_replays_ > 0
    assert len(model.history_) == 2


# -- on a GPU ----------------------------------------------------------------


def _fit_both(Estimator, data, **options):
    X, y, s = data
    return [
        Estimator(random_state=0, device="cuda", cuda_graphs=graphs, **options).fit(
            X, y, sensitive=s
        )
        for graphs in (False, True)
    ]


@cuda_only
@pytest.mark.parametrize("Estimator", DETERMINISTIC_CAPTURED)
def test_captured_training_gives_the_eager_history_and_model(Estimator, leaky_data):
    # 800 rows at batch 128: seven batches an epoch, each batch size captured
    # once seen three times (stratified batches vary in size by a few rows)
    eager, captured = _fit_both(Estimator, leaky_data, max_epochs=5, batch_size=128)
    assert eager.net_.graph_replays_ == 0
    assert captured.net_.graph_replays_ >= 15  # of 35 steps
    for key in ("train_loss", "train_task_loss", "train_penalty"):
        np.testing.assert_allclose(
            captured.history_[:, key], eager.history_[:, key], rtol=2e-3, atol=1e-5
        )
    X = leaky_data[0]
    np.testing.assert_allclose(captured.predict_proba(X), eager.predict_proba(X), atol=2e-3)


@cuda_only
@pytest.mark.parametrize("Estimator", [MINEDebiasedClassifier, IIDMRegressor, HSICRegressor])
def test_captured_estimators_with_random_or_real_targets_train(Estimator, leaky_data):
    X, y, s = leaky_data
    target = X[:, 0] + y if Estimator in (IIDMRegressor, HSICRegressor) else y
    model = Estimator(max_epochs=4, random_state=0, device="cuda").fit(X, target, sensitive=s)
    assert model.net_.graph_replays_ > 0
    assert np.all(np.isfinite(model.history_[:, "train_loss"]))
    assert model.score(X, target) > (0.5 if Estimator is MINEDebiasedClassifier else 0.3)


@cuda_only
def test_a_learning_rate_schedule_applies_to_captured_steps(leaky_data):
    schedule = [LRScheduler(policy="StepLR", step_size=1, gamma=0.5)]
    eager, captured = _fit_both(IIDMClassifier, leaky_data, max_epochs=4, callbacks=schedule)
    assert captured.net_.graph_replays_ > 0
    np.testing.assert_allclose(
        captured.history_[:, "train_loss"], eager.history_[:, "train_loss"], rtol=2e-3
    )


@cuda_only
def test_early_stopping_checkpoint_and_clipping_work_with_graphs(leaky_data, tmp_path):
    X, y, s = leaky_data
    callbacks = [
        EarlyStopping(patience=2, threshold=0.5),  # an epoch must halve the loss
        Checkpoint(dirname=str(tmp_path)),
        GradientNormClipping(gradient_clip_value=0.1),
    ]
    model = HSICClassifier(
        max_epochs=40, validation_fraction=0.2, callbacks=callbacks, random_state=0, device="cuda"
    ).fit(X, y, sensitive=s)
    assert model.net_.graph_replays_ > 0
    assert len(model.history_) < 40
    assert (tmp_path / "params.pt").exists()


@cuda_only
def test_a_diverging_captured_fit_stops(leaky_data):
    X, y, s = leaky_data
    with pytest.raises(DivergenceError):
        IIDMClassifier(lr=10, max_epochs=8, random_state=0, device="cuda").fit(X, y, sensitive=s)


@cuda_only
@pytest.mark.parametrize("Estimator", [InvertibleClassifier, ContrastiveInvariantClassifier])
def test_an_objective_not_written_for_graphs_trains_eagerly_and_says_so(Estimator):
    X, y, s = make_leaky_data(400)
    with pytest.warns(GraphCaptureWarning, match="not written for CUDA graphs"):
        model = Estimator(max_epochs=2, random_state=0, device="cuda").fit(X, y, sensitive=s)
    assert model.net_.graph_replays_ == 0


@cuda_only
@pytest.mark.parametrize("Estimator", EVERY_ESTIMATOR)
def test_a_gpu_fitted_model_unpickles_in_a_process_without_cuda(Estimator, tmp_path):
    X, y, s = make_leaky_data(400)
    target = X[:, 0] + y if "Regressor" in Estimator.__name__ else y
    model = Estimator(max_epochs=4, random_state=0, device="cuda").fit(X, target, sensitive=s)
    assert model.device_ == "cuda"
    method = "transform" if Estimator is AffinityTransformer else "predict"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    script = (
        "import pickle, warnings, numpy as np, torch\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"model = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "assert model.device_ == 'cpu'\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        f"np.save({str(tmp_path / 'cpu.npy')!r}, model.{method}(X))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], check=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "cpu.npy"), getattr(model, method)(X), rtol=1e-4, atol=1e-4
    )
