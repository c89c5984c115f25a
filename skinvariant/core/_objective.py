"""The protocol every method's objective speaks to the training engine.

An objective is what one method adds to the task loss: named terms,
auxiliary networks it declares with their schedule, and buffers. The engine
owns the task loss (:data:`TASK_LOSS`, the term ``task_loss``), computes the
network's outputs once per batch, hands the objective a :class:`Step`, trains
the auxiliary networks and the encoder/head from the task loss and the terms,
and calls :meth:`Objective.after_step` after every update. Objectives compose
with :class:`ObjectiveSum`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
from torch import nn

LAM = "lam"


@dataclass
class Step:
    """What an objective sees of one batch.

    Attributes
    ----------
    x : torch.Tensor
        The batch's inputs.
    y : torch.Tensor
        Its targets: class codes, or for a regressor the standardised real
        targets of shape (n, n_targets).
    s : torch.Tensor or None
        Its sensitive attribute as the estimator encoded it; None when ``fit``
        was called without one.
    outputs : dict of str to torch.Tensor
        The network's ``outputs(x)``: at least ``"z"`` and ``"logits"``; an
        entry may also be a callable of the network (e.g. ``"decode"``).
    lam : float or torch.Tensor
        The invariance weight at this point of training; a 0-dim tensor on
        the device in a step captured in a CUDA graph.
    progress : float or torch.Tensor
        Share of training done, from 0 at the first batch to 1; a 0-dim
        tensor in a captured step.
    criterion : callable
        The per-row task loss ``criterion(logits, y)`` (reduction ``"none"``):
        the skorch net's criterion, which the estimator chooses for its task
        (``_base.TASK_LOSSES``: cross-entropy, or squared error for a
        regressor); :func:`task_loss` averages it.
    weight : torch.Tensor or None
        The batch's sample weights (they average 1 over the training rows),
        or None when ``fit`` received neither ``sample_weight`` nor a
        ``class_weight``; only the task loss uses them.
    records : dict of str to torch.Tensor
        Scalars the objective adds with :meth:`record`, kept in the history
        as ``train_<name>``.
    """

    x: torch.Tensor
    y: torch.Tensor
    s: torch.Tensor | None
    outputs: dict
    lam: float | torch.Tensor = 1.0
    progress: float | torch.Tensor = 0.0
    criterion: Callable | None = None
    weight: torch.Tensor | None = None
    records: dict = field(default_factory=dict)

    def detached(self):
        """The same step with every output cut from the encoder's graph."""
        outputs = {
            name: value.detach() if isinstance(value, torch.Tensor) else value
            for name, value in self.outputs.items()
        }
        return replace(self, outputs=outputs)

    def record(self, name, value):
        """Keep a detached scalar in the history, averaged over each epoch."""
        self.records[name] = value.detach() if isinstance(value, torch.Tensor) else value


@dataclass(frozen=True)
class Term:
    """One named part of the loss the encoder and head minimise.

    Attributes
    ----------
    name : str
        Recorded, unweighted, in the history as ``train_<name>``.
    compute : callable
        ``compute(step)`` returns the scalar term.
    weight : float or "lam"
        Its factor in the loss; ``"lam"`` is the current invariance weight.
    needs_sensitive : bool
        Left out when ``fit`` received no ``sensitive``.
    clip_gradient : bool
        Adaptive clipping (Belghazi et al. 2018): on each encoder/head
        parameter tensor the gradient of the clipped terms is scaled down to
        at most the norm of the other terms' gradient.
    """

    name: str
    compute: Callable
    weight: object = 1.0
    needs_sensitive: bool = False
    clip_gradient: bool = False


@dataclass(frozen=True)
class Network:
    """An auxiliary network an objective declares, and how it trains.

    Attributes
    ----------
    module : torch.nn.Module
        The network (also a submodule of the objective).
    schedule : {"inner", "joint"}
        ``"inner"``: ``n_steps`` steps per batch on :meth:`Objective.network_loss`
        of the detached outputs, before the encoder/head step. ``"joint"``:
        stepped together with the encoder/head on the gradient of the terms.
    n_steps : int
        Inner steps per batch.
    needs_sensitive : bool
        Not trained when ``fit`` received no ``sensitive``.
    """

    module: nn.Module
    schedule: str = "inner"
    n_steps: int = 1
    needs_sensitive: bool = True

    def __post_init__(self):
        if self.schedule not in ("inner", "joint"):
            raise ValueError(f"schedule must be 'inner' or 'joint'; got {self.schedule!r}.")


def task_loss(step):
    """The task loss: the skorch criterion on the logits, averaged with the sample weights."""
    return weighted_mean(step.criterion(step.outputs["logits"], step.y), step.weight)


# the term the engine adds before every objective's own terms
TASK_LOSS = Term("task_loss", task_loss)


def weighted_mean(losses, weight=None):
    """Mean over rows of per-row losses, each times its weight when weights are given.

    ``losses`` has one entry per row, or one per row and target (averaged
    over the targets first). ``fit``'s weights average 1 over the training
    rows, so the mean of a batch estimates the weighted mean over all of
    them; ``partial_fit`` takes its weights as given.
    """
    per_row = losses.reshape(len(losses), -1).mean(dim=1)
    return per_row.mean() if weight is None else (per_row * weight).mean()


class Objective(nn.Module):
    """Base class of the objectives; on its own, nothing beside the task loss.

    Subclasses override :meth:`terms`, and where they have them
    :meth:`networks`, :meth:`network_loss`, :meth:`initialize`,
    :meth:`after_step` and :meth:`diverged`.

    Attributes
    ----------
    stratify_batches : bool
        Spread every (class, group) cell evenly over the training batches,
        for objectives that compare groups within a batch (every group, for
        a regression target).
    graph_capturable : bool
        Whether a training step with this objective can be captured in a CUDA
        graph and replayed (:class:`~skinvariant.core.GraphedTrainStep`): its
        terms, network losses and buffer updates make no ``.item()`` call,
        branch on no tensor's value, index with no mask of data-dependent
        size, update buffers in place, draw random numbers on the device,
        and read ``step.lam`` and ``step.progress`` as tensors or floats
        alike. False (the default) trains such steps eagerly, with a warning
        on a GPU.
    graph_capture_obstacle : str
        Why not, for that warning.
    """

    stratify_batches = False
    graph_capturable = False
    graph_capture_obstacle = "it does not declare graph_capturable = True"

    def terms(self):
        """Return the :class:`Term` list the encoder and head minimise beside the task loss.

        No term may be named ``task_loss``: the engine adds that one.
        """
        return []

    def networks(self):
        """Return ``{name: Network}``: the auxiliary networks to register and train."""
        return {}

    def network_loss(self, name, step):
        """Return the loss of the inner network ``name`` on a detached ``step``."""
        raise NotImplementedError(
            f"{type(self).__name__} declares an inner network {name!r} but no network_loss for it."
        )

    def initialize(self, step):
        """Set state from the whole training split (a step over every row) before training."""

    def after_step(self, updated, step):
        """Update buffers after ``updated`` (a network's name, or ``"module"``) has stepped."""

    def diverged(self, epoch_means):
        """Return ``{name: reason}`` for finite epoch means that show divergence.

        ``epoch_means`` maps each term and record to its mean over the epoch;
        NaN and infinite values are caught by the engine before this is called.
        """
        return {}


class TaskLossAlone(Objective):
    """The objective of a fit without invariance terms: the task loss, which the engine adds."""

    graph_capturable = True


class ObjectiveSum(Objective):
    """Several objectives trained as one: their terms added, their networks side by side.

    Every hook is handed to every part; a network's loss to the part that
    declares it. Batches are stratified if any part asks for it.

    Parameters
    ----------
    *parts : Objective
        The objectives to add; their terms and networks need distinct names.
    """

    def __init__(self, *parts):
        super().__init__()
        self.parts = nn.ModuleList(parts)
        self.stratify_batches = any(part.stratify_batches for part in parts)
        obstacles = [part for part in parts if not part.graph_capturable]
        self.graph_capturable = not obstacles
        if obstacles:
            self.graph_capture_obstacle = (
                f"its part {type(obstacles[0]).__name__}: {obstacles[0].graph_capture_obstacle}"
            )
        names = [name for part in parts for name in part.networks()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"the objectives to add both declare the networks {repeated}; "
                "give each network its own name."
            )

    def terms(self):
        return [term for part in self.parts for term in part.terms()]

    def networks(self):
        return {name: network for part in self.parts for name, network in part.networks().items()}

    def network_loss(self, name, step):
        owner = next(part for part in self.parts if name in part.networks())
        return owner.network_loss(name, step)

    def initialize(self, step):
        for part in self.parts:
            part.initialize(step)

    def after_step(self, updated, step):
        for part in self.parts:
            part.after_step(updated, step)

    def diverged(self, epoch_means):
        return {
            name: reason
            for part in self.parts
            for name, reason in part.diverged(epoch_means).items()
        }
