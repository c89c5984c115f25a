"""The engine's training step captured in a CUDA graph and replayed per batch.

On a GPU the default models are small: one training step is about a hundred
and fifty kernels of a few microseconds each, and launched one by one from
Python the GPU waits on Python between them (issue 13 measured an IIDM epoch
on Adult at batch 256 slower on an H100 than on the same machine's CPU). A
CUDA graph records the whole step once (the auxiliary networks' inner steps,
the objective's buffer updates, the encoder/head step and the optimizers'
updates) and replays it with one launch.

What a replay needs, and how the engine gives it:

- **Static inputs.** Each batch is copied into tensors the graph reads (the
  batch is still gathered eagerly, by index, as without graphs); a batch of
  another size gets a graph of its own once that size has been seen
  ``WARMUP_STEPS`` times, up to ``MAX_GRAPHS`` sizes per fit, and is trained
  eagerly until then (padding a batch would change what the invariance terms
  compare: they take the rows unweighted).
- **Values that change between batches** are device tensors the graph reads:
  the invariance weight (``lam``, ramped by ``lam_ramp``) and the training
  progress, filled before each replay. The optimizers' hyperparameters are
  baked into the graph, so a callback that changes one (an ``LRScheduler``)
  makes the graphs be captured again at the next batch.
- **Optimizers in capturable mode** (Adam, AdamW and RMSprop keep their step
  counts on the device); the engine builds them so. Optimizers built anew
  (skorch re-initialises them after ``set_params``) are captured anew too.
- **Objectives written for static shapes**: no ``.item()``, no branch on a
  tensor's value, no boolean indexing of data-dependent size, random numbers
  from the CUDA generator. An objective says so with ``graph_capturable``;
  one that does not trains eagerly, with a warning.

A step that fails to capture all the same (an optimizer or a callback that
cannot be captured) trains eagerly from then on, with a warning naming the
error.
"""

import functools

import torch

from ..exceptions import GraphCaptureWarning, warn_at_caller

# eager steps of one batch size before that size is captured: they create the
# optimizers' state and let cuBLAS and the allocator settle, outside the graph
WARMUP_STEPS = 3
# batch sizes captured per fit; the rows of further sizes are trained eagerly
MAX_GRAPHS = 8


class GraphedTrainStep:
    """The training step of an :class:`~skinvariant.core.InvariantNet`, replayed from graphs.

    Parameters
    ----------
    net : InvariantNet
        The net whose ``train_step_eager`` is captured; it trains on a CUDA device.

    Attributes
    ----------
    graphs : dict
        ``{batch signature: _CapturedStep}``, one graph per batch size.
    n_captures : int
        Captures made in this fit (more than the number of graphs when a
        hyperparameter changed during training).
    n_replays : int
        Training steps replayed from a graph.
    """

    def __init__(self, net):
        self.net = net
        self.graphs = {}
        self.sightings = {}
        self.n_captures = 0
        self.n_replays = 0
        self.failed = False
        device = torch.device(net.device)
        self.lam = torch.zeros((), device=device)
        self.progress = torch.zeros((), device=device)
        self._filled = {}
        self._hyperparameters = self._optimizer_hyperparameters()

    def __call__(self, batch):
        if self.failed:
            return self.net.train_step_eager(batch)
        if self._optimizer_hyperparameters() != self._hyperparameters:
            self.graphs = {}  # captured with the old values; capture again
            self._hyperparameters = self._optimizer_hyperparameters()
            self.sightings = {key: WARMUP_STEPS for key in self.sightings}
        key = _signature(batch)
        graph = self.graphs.get(key)
        if graph is None:
            self.sightings[key] = self.sightings.get(key, 0) + 1
            if self.sightings[key] <= WARMUP_STEPS or len(self.graphs) >= MAX_GRAPHS:
                return self.net.train_step_eager(batch)
            graph = self._capture(key, batch)
            if graph is None:
                return self.net.train_step_eager(batch)
        self._fill(self.lam, self.net.current_lam())
        self._fill(self.progress, self.net.progress())
        self.n_replays += 1
        return graph.replay(batch)

    def _capture(self, key, batch):
        if not self.net.captures_graphs():  # e.g. DataParallel began sharding after fit began
            self.failed = True
            return None
        try:
            graph = _CapturedStep(self, batch)
        except Exception as error:  # noqa: BLE001 - any failure trains eagerly; a real bug re-raises there
            self.failed = True
            warn_at_caller(
                f"The training step of {type(self.net.objective_).__name__} could not be "
                f"captured in a CUDA graph ({_first_line(error)}); it trains eagerly "
                "(pass cuda_graphs=False to skip the attempt).",
                GraphCaptureWarning,
            )
            return None
        self.graphs[key] = graph
        self.n_captures += 1
        return graph

    def _fill(self, tensor, value):
        """Write ``value`` into ``tensor`` when it changed (a kernel launch, no synchronisation)."""
        value = float(value)
        if self._filled.get(id(tensor)) != value:
            tensor.fill_(value)
            self._filled[id(tensor)] = value

    def _optimizer_hyperparameters(self):
        """Every optimizer and its hyperparameters, which a graph holds as constants.

        The optimizers themselves are kept (and compared as objects, not by
        an ``id`` that a new object may reuse): when they are built anew (by
        ``initialize_optimizer``, or after ``set_params`` of the module), a
        graph would step the old ones, and after a re-initialised module,
        tensors that are no longer the model's.
        """
        return [
            (
                _Same(optimizer),
                [
                    {name: value for name, value in group.items() if name != "params"}
                    for group in optimizer.param_groups
                ],
            )
            for optimizer in self.net.optimizers()
        ]


class _CapturedStep:
    """One batch size's training step, captured once and replayed per batch."""

    def __init__(self, graphed, batch):
        inputs, y = batch
        self.inputs = {name: values.clone() for name, values in inputs.items()}
        self.y = y.clone()
        self.graph, self.outputs = self.capture(
            functools.partial(
                graphed.net.train_step_eager,
                (self.inputs, self.y),
                lam=graphed.lam,
                progress=graphed.progress,
            )
        )

    @staticmethod
    def capture(step):
        """Record ``step()`` in a CUDA graph (without running it); return the graph and its outputs."""
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = step()
        return graph, outputs

    def replay(self, batch):
        """Train on ``batch``: copy it into the graph's inputs and replay.

        The returned loss, predictions and terms are copies (the terms in one
        kernel, as views of one stacked tensor): the graph's own outputs are
        overwritten by the next replay.
        """
        inputs, y = batch
        for name, values in inputs.items():
            self.inputs[name].copy_(values)
        self.y.copy_(y)
        self.graph.replay()
        terms = self.outputs["terms"]
        tensors = [name for name, value in terms.items() if isinstance(value, torch.Tensor)]
        copies = torch.stack([terms[name] for name in tensors]).unbind() if tensors else ()
        return {
            "loss": self.outputs["loss"].clone(),
            "y_pred": self.outputs["y_pred"].clone(),
            "terms": {**terms, **dict(zip(tensors, copies))},
        }


class _Same:
    """Equal to another ``_Same`` only when both hold the very same object."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, _Same) and other.value is self.value

    __hash__ = None


def _signature(batch):
    """What a graph is captured for: the batch's size and the inputs it holds."""
    inputs, y = batch
    return tuple((name, tuple(values.shape)) for name, values in inputs.items()) + (tuple(y.shape),)


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
