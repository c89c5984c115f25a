"""The engine's protocol, driven by a toy objective through every hook and combination."""

import functools
import io
import pickle
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback, LRScheduler
from torch import nn

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    AffinityTransformer,
    IIDMClassifier,
    MINEDebiasedClassifier,
)
from skinvariant.core import (
    LAM,
    TASK_LOSS,
    InvariantNet,
    InvariantNetwork,
    Network,
    Objective,
    Step,
    Term,
    make_mlp,
)

from .conftest import make_leaky_data


class ToyObjective(Objective):
    """A probe of s trained in inner steps, a partner trained jointly, and a term without s.

    It counts every hook call, and records the (class, group) cells of each batch.
    """

    def __init__(self, z_dim, n_groups, *, n_probe_steps=2, clip=False, stratify=False):
        super().__init__()
        self.probe = nn.Linear(z_dim, n_groups)
        self.partner = nn.Linear(z_dim, n_groups)
        self.n_probe_steps = n_probe_steps
        self.clip = clip
        self.stratify_batches = stratify
        self.calls = Counter()
        self.batch_cells = []

    def networks(self):
        return {
            "probe": Network(self.probe, "inner", self.n_probe_steps),
            "partner": Network(self.partner, "joint"),
        }

    def terms(self):
        return [
            Term("shrink", lambda step: step.outputs["z"].pow(2).mean(), weight=0.1),
            Term(
                "penalty", self.penalty, weight=LAM, needs_sensitive=True, clip_gradient=self.clip
            ),
            Term("partner_loss", self.partner_loss, needs_sensitive=True),
        ]

    def network_loss(self, name, step):
        self.calls[f"network_loss:{name}"] += 1
        return F.cross_entropy(self.probe(step.outputs["z"]), step.s)

    def penalty(self, step):
        return -F.cross_entropy(self.probe(step.outputs["z"]), step.s)

    def partner_loss(self, step):
        return F.cross_entropy(self.partner(step.outputs["z"].detach()), step.s)

    def initialize(self, step):
        self.calls["initialize"] += 1
        self.initialized_rows = len(step.outputs["z"])

    def after_step(self, updated, step):
        self.calls[f"after_step:{updated}"] += 1
        if updated == "module" and step.s is not None:
            self.batch_cells.append({(int(a), int(b)) for a, b in zip(step.y, step.s)})


def toy_net(objective_options=None, **options):
    options = {
        "max_epochs": 2,
        "batch_size": 100,
        "lr": 0.01,
        "optimizer": torch.optim.Adam,
        **options,
    }
    network = InvariantNetwork(make_mlp(4, (16,), 3), 3, 2)
    return InvariantNet(
        network,
        criterion=nn.CrossEntropyLoss,
        objective=ToyObjective(3, 2, **(objective_options or {})),
        **options,
    )


def toy_data(n_samples=400):
    X, y, s = make_leaky_data(n_samples)
    return {"X": X.astype(np.float32), "sensitive": s}, y


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("stratify", [False, True])
def test_every_hook_runs_in_order_and_every_network_trains(clip, stratify):
    torch.manual_seed(0)
    inputs, y = toy_data()
    net = toy_net({"clip": clip, "stratify": stratify})
    net.initialize()
    before = {
        name: [p.detach().clone() for p in getattr(net, name + "_").parameters()]
        for name in ("probe", "partner")
    }
    net.fit(inputs, y)
    objective, n_batches = net.objective_, 2 * 4
    assert objective.calls == {
        "initialize": 1,
        "network_loss:probe": 2 * n_batches,
        "after_step:probe": n_batches,
        "after_step:module": n_batches,
    }
    assert objective.initialized_rows == 400
    for name, old in before.items():  # the joint partner has a gradient even with clipping on
        assert any(
            not torch.equal(a, b) for a, b in zip(old, getattr(net, name + "_").parameters())
        ), name
    history = net.history[-1]
    for key in (
        "train_task_loss",
        "train_shrink",
        "train_penalty",
        "train_partner_loss",
        "train_probe_loss",
    ):
        assert np.isfinite(history[key]), key
    if stratify:  # every batch holds every (class, group) cell
        assert all(cells == {(0, 0), (0, 1), (1, 0), (1, 1)} for cells in objective.batch_cells)


def test_without_sensitive_only_the_terms_that_need_none_train():
    torch.manual_seed(0)
    inputs, y = toy_data()
    net = toy_net()
    net.initialize()
    probe_before = [p.detach().clone() for p in net.probe_.parameters()]
    net.fit({"X": inputs["X"]}, y)
    assert {"train_task_loss", "train_shrink"} <= set(net.history[-1])
    assert not {"train_penalty", "train_partner_loss", "train_probe_loss"} & set(net.history[-1])
    assert all(torch.equal(a, b) for a, b in zip(probe_before, net.probe_.parameters()))
    assert net.objective_.calls["network_loss:probe"] == 0


def test_each_network_has_its_own_optimizer_with_prefixed_options():
    net = toy_net(
        optimizer_probe__lr=0.5,
        optimizer__weight_decay=0.1,
        optimizer=functools.partial(torch.optim.Adam, betas=(0.5, 0.9)),
    )
    net.initialize()
    assert net.optimizer_probe_.param_groups[0]["lr"] == 0.5
    assert net.optimizer_partner_.param_groups[0]["lr"] == 0.01
    assert net.optimizer_.param_groups[0]["weight_decay"] == 0.1
    assert net.optimizer_probe_.param_groups[0]["betas"] == (0.5, 0.9)


def test_lr_scheduler_changes_the_encoder_learning_rate():
    inputs, y = toy_data()
    net = toy_net(callbacks=[LRScheduler("StepLR", step_size=1, gamma=0.5)], max_epochs=3)
    net.fit(inputs, y)
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5**3)


class HugePenalty(Objective):
    """A penalty whose gradient dwarfs the task's, optionally clipped."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def terms(self):
        return [
            Term(
                "penalty",
                lambda step: 1e4 * step.outputs["z"].sum(),
                weight=LAM,
                clip_gradient=self.clip,
            )
        ]


class RecordGradients(Callback):
    def on_grad_computed(self, net, named_parameters, **kwargs):
        net.recorded_grads_ = [p.grad.clone() for _, p in named_parameters]


@pytest.mark.parametrize("clip", [True, False])
def test_clipping_caps_the_penalty_gradient_at_the_task_gradient_per_tensor(clip):
    torch.manual_seed(0)
    inputs, y = toy_data(100)
    network = InvariantNetwork(make_mlp(4, (8,), 3), 3, 2)
    net = InvariantNet(
        network,
        criterion=nn.CrossEntropyLoss,
        objective=HugePenalty(clip),
        optimizer=torch.optim.SGD,
        lr=0.0,
        max_epochs=1,
        batch_size=100,
        callbacks=[RecordGradients()],
    )
    net.fit({"X": inputs["X"]}, y)  # one step, lr=0: the weights stay where the grads were taken
    x, labels = torch.as_tensor(inputs["X"]), torch.as_tensor(y)
    parameters = list(net.module_.parameters())
    task_grads = torch.autograd.grad(
        F.cross_entropy(net.module_.outputs(x)["logits"], labels), parameters
    )
    ratios = [
        float((grad - task_grad).norm() / task_grad.norm())
        for grad, task_grad in zip(net.recorded_grads_, task_grads)
    ]
    if clip:  # the penalty's share of each tensor's gradient is at most the task's
        assert max(ratios) <= 1 + 1e-4
    else:  # the encoder's tensors are swamped (the head's get no penalty gradient)
        assert max(ratios) > 100


def tensors_outside_device_block(net):
    """Tensors and modules the net's pickle holds outside skorch's device-mapped block."""
    state = net.__getstate__()
    state.pop("__cuda_dependent_attributes__")
    found = []

    class Finder(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, (torch.Tensor, nn.Module, torch.optim.Optimizer)):
                found.append(type(obj).__name__)
                return id(obj)
            return None

    Finder(io.BytesIO()).dump(state)
    return found


@pytest.mark.parametrize(
    "Estimator",
    [
        IIDMClassifier,
        AdversarialClassifier,
        MINEDebiasedClassifier,
        AffinityClassifier,
        AffinityTransformer,
    ],
)
def test_no_tensor_is_pickled_outside_the_device_mapped_block(Estimator, leaky_data):
    # anything pickled outside it keeps its CUDA storage and fails to load on a CPU
    X, y, s = leaky_data
    net = Estimator(max_epochs=1, random_state=0).fit(X, y, sensitive=s).net_
    assert tensors_outside_device_block(net) == []
    restored = pickle.loads(pickle.dumps(net))
    assert restored.module_ is restored.module and restored.objective_ is restored.objective


class TwiceNamedObjective(ToyObjective):
    def terms(self):
        return [*super().terms(), Term("penalty", lambda step: step.outputs["z"].abs().mean())]


def test_two_terms_of_one_name_are_refused_rather_than_one_replacing_the_other():
    network = InvariantNetwork(make_mlp(4, (16,), 3), 3, 2)
    net = InvariantNet(network, criterion=nn.CrossEntropyLoss, objective=TwiceNamedObjective(3, 2))
    with pytest.raises(ValueError, match=r"more than one term \['penalty'\]"):
        net.initialize()


def test_valid_loss_is_the_whole_objective_and_its_task_part_is_recorded():
    inputs, y = toy_data()
    torch.manual_seed(0)
    net = toy_net(validation_fraction=0.25, lam=3.0)
    net.fit(inputs, y)
    history = net.history[-1]
    assert np.isfinite(history["valid_task_loss"])
    # the probe's penalty is a negated cross-entropy, weighted by lam=3, and the
    # shrink term is positive: the whole objective differs from its task part
    assert abs(history["valid_loss"] - history["valid_task_loss"]) > 0.1
    torch.manual_seed(0)  # the same draws as fit's, to find its validation rows
    data = toy_net(validation_fraction=0.25).initialize().get_split_datasets(inputs, y)[1]
    with torch.no_grad():
        net._set_training(False)
        z = net.module_.outputs(data.inputs["X"])
        x, s = data.inputs["X"], data.inputs["sensitive"]
        terms = {term.name: term for term in [TASK_LOSS, *net.objective_.terms()]}
        step = Step(x, data.y, s, z, net.lam, 1.0, net.criterion_)
        expected = sum(
            float(term.compute(step)) * (net.lam if term.weight == LAM else term.weight)
            for term in terms.values()
        )
    assert history["valid_loss"] == pytest.approx(expected, rel=1e-4)


class GradientNames(Callback):
    def initialize(self):
        self.names = set()
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.names |= {name for name, _ in named_parameters}


def test_gradient_callbacks_see_every_network_that_steps():
    from skorch.callbacks import GradientNormClipping

    torch.manual_seed(0)
    inputs, y = toy_data()
    seen = GradientNames()
    net = toy_net(
        callbacks=[seen, GradientNormClipping(1e-6)],
        optimizer=torch.optim.SGD,
        lr=1.0,
        max_epochs=1,
    )
    net.initialize()
    probe_before = [p.detach().clone() for p in net.probe_.parameters()]
    net.fit(inputs, y)
    prefixes = {name.split(".")[0] for name in seen.names}
    assert {"probe_", "partner_"} <= prefixes
    assert any(
        not name.endswith("_") and "." in name and name.split(".")[0] not in ("probe_", "partner_")
        for name in seen.names
    )  # the encoder and head too
    # clipped to a norm of 1e-6 per step, SGD at lr 1 barely moves the probe
    moved = max(
        float((a - b.detach()).abs().max()) for a, b in zip(probe_before, net.probe_.parameters())
    )
    assert moved < 1e-4


def test_reinitialising_does_not_grow_the_device_mapped_attributes():
    net = toy_net()
    net.initialize()
    once = list(net.cuda_dependent_attributes_)
    net.initialize()
    net.initialize_module()
    assert net.cuda_dependent_attributes_ == once
    assert once.count("module") == 1 and once.count("objective") == 1


class OwnTaskLossObjective(Objective):
    def terms(self):
        return [Term("task_loss", lambda step: step.outputs["z"].sum())]


def test_the_engine_owns_the_task_loss_and_an_objective_cannot_name_a_term_after_it():
    network = InvariantNetwork(make_mlp(4, (16,), 3), 3, 2)
    net = InvariantNet(network, criterion=nn.CrossEntropyLoss, objective=OwnTaskLossObjective())
    with pytest.raises(ValueError, match=r"\['task_loss'\].*engine adds the task loss"):
        net.initialize()


def test_a_sum_of_objectives_trains_every_part_and_refuses_two_networks_of_one_name():
    from skinvariant.core import KernelPenaltyObjective, ObjectiveSum

    torch.manual_seed(0)
    inputs, y = toy_data()
    network = InvariantNetwork(make_mlp(4, (16,), 3), 3, 2)
    toy = ToyObjective(3, 2)
    net = InvariantNet(
        network,
        criterion=nn.CrossEntropyLoss,
        max_epochs=1,
        batch_size=100,
        objective=ObjectiveSum(toy, KernelPenaltyObjective(2, weight=2.0)),
    )
    net.fit(inputs, y)
    assert {
        "train_shrink",
        "train_penalty",
        "train_kernel_penalty",
        "train_hsic",
        "train_probe_loss",
    } <= set(net.history[-1])
    assert net.history[-1, "train_kernel_penalty"] == pytest.approx(
        2.0 * net.history[-1, "train_hsic"], rel=1e-5
    )
    assert toy.calls["initialize"] == 1 and toy.calls["after_step:module"] == 4
    with pytest.raises(ValueError, match=r"networks \['partner', 'probe'\]"):
        ObjectiveSum(ToyObjective(3, 2), ToyObjective(3, 2))


def test_the_bookkeeping_is_in_default_callbacks_that_can_be_switched_off():
    torch.manual_seed(0)
    inputs, y = toy_data()
    net = toy_net(max_epochs=1)
    net.fit(inputs, y)
    names = [name for name, _ in net.callbacks_]
    assert names[-6:] == [
        "term_means",
        "divergence_check",
        "closed_form_refit",
        "weight_averaging",
        "collapse_warning",
        "print_log",
    ]
    batches = net.history[-1, "batches"]
    assert all(isinstance(batch["train_penalty"], float) for batch in batches)
    sizes = np.array([batch["train_batch_size"] for batch in batches])
    per_batch = np.array([batch["train_penalty"] for batch in batches])
    assert net.history[-1, "train_penalty"] == pytest.approx(
        (per_batch * sizes).sum() / sizes.sum()
    )
    quiet = toy_net(max_epochs=1, callbacks__term_means=None)
    quiet.fit(inputs, y)
    assert "train_penalty" not in quiet.history[-1]


class WeightsAtEpochs(Callback):
    """Records the network's trained weights at the start and end of every epoch."""

    def initialize(self):
        self.begin, self.end = [], []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.begin.append(copy_of(net.module_.state_dict()))

    def on_epoch_end(self, net, **kwargs):
        self.end.append(copy_of(net.module_.state_dict()))


def copy_of(weights):
    return {name: value.detach().clone() for name, value in weights.items()}


def assert_same_weights(first, second):
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("decay", [0.6, 0.0])
def test_weight_averaging_predicts_with_the_moving_average_of_the_epochs_weights(decay, leaky_data):
    X, y, s = leaky_data
    model = IIDMClassifier(
        max_epochs=4,
        weight_averaging=decay,
        callbacks=[("weights", WeightsAtEpochs())],
        random_state=0,
    ).fit(X, y, sensitive=s)
    recorded = dict(model.net_.callbacks_)["weights"].end
    average = recorded[0]
    for weights in recorded[1:]:
        average = {name: decay * average[name] + (1 - decay) * weights[name] for name in average}
    assert_same_weights(model.net_.module_.state_dict(), average)
    last = recorded[-1]["head.weight"]
    averaged = not torch.allclose(model.net_.module_.state_dict()["head.weight"], last, atol=1e-3)
    assert averaged == (decay > 0)  # 0: the last epoch's weights


def test_partial_fit_resumes_from_the_trained_weights_not_the_average(leaky_data):
    X, y, s = leaky_data
    model = MINEDebiasedClassifier(
        max_epochs=3,
        weight_averaging=0.8,
        n_estimator_steps=1,
        callbacks=[("weights", WeightsAtEpochs())],
        random_state=0,
    ).fit(X, y, sensitive=s)
    recorder = dict(model.net_.callbacks_)["weights"]
    trained = recorder.end[-1]
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.transform(X), model.transform(X))
    for continued in (model, restored):
        continued.partial_fit(X, y, sensitive=s)
        assert_same_weights(dict(continued.net_.callbacks_)["weights"].begin[-1], trained)
    np.testing.assert_allclose(restored.transform(X), model.transform(X), atol=1e-6)


def test_weight_averaging_of_one_or_more_is_refused(leaky_data):
    X, y, s = leaky_data
    with pytest.raises(ValueError, match="weight_averaging"):
        AffinityClassifier(weight_averaging=1.0).fit(X, y, sensitive=s)


class _RecordLam(Callback):
    def initialize(self):
        self.lams = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.lams.append(net.current_lam())


@pytest.mark.parametrize(
    "estimator_class",
    [AdversarialClassifier, IIDMClassifier, MINEDebiasedClassifier, AffinityClassifier],
)
def test_lam_ramp_raises_every_estimators_weight_from_zero_to_lam(estimator_class):
    X, y, s = make_leaky_data(200)
    lams = {}
    for ramp in (False, True):
        model = estimator_class(
            lam=2.0, lam_ramp=ramp, max_epochs=5, batch_size=50, callbacks=[_RecordLam()]
        ).fit(X, y, sensitive=s)
        (lams[ramp],) = [cb.lams for _, cb in model.net_.callbacks_ if isinstance(cb, _RecordLam)]
    assert lams[False] == [2.0] * len(lams[False])
    ramped = np.array(lams[True])
    assert ramped[0] == 0.0 and np.all(np.diff(ramped) > 0) and 1.95 < ramped[-1] < 2.0
    progress = np.arange(len(ramped)) / len(ramped)
    np.testing.assert_allclose(ramped, 2.0 * (2 / (1 + np.exp(-10 * progress)) - 1), rtol=1e-6)
