"""The one training engine: a skorch ``NeuralNet`` that trains a network on the
terms of a method's objective, with the objective's auxiliary networks.

Data are kept as tensors on the training device and batches are fetched by
index, never row by row; an ``X`` backed by a file (a ``numpy.memmap``) stays
in its file and each batch's rows are read from it. Each batch is
``({"X": x, "sensitive": s, "sample_weight": w}, y)``, the last two only when
``fit`` has them.
"""

import collections.abc
import functools
import inspect
import math
import mmap
import operator

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch import NeuralNet
from skorch.dataset import get_len
from skorch.utils import TeeGenerator

from ..exceptions import GraphCaptureWarning, warn_at_caller
from ._callbacks import (
    ClosedFormRefit,
    CollapseCheck,
    DivergenceCheck,
    TermMeans,
    WeightAveraging,
)
from ._graphs import GraphedTrainStep
from ._objective import LAM, TASK_LOSS, Step, TaskLossAlone, weighted_mean

EVAL_BATCH_SIZE = 4096


def softmax(logits):
    """Class probabilities from logits (a module-level function, so it pickles)."""
    return torch.softmax(logits, dim=-1)


class FileRows:
    """Rows of a file-backed array (a ``numpy.memmap``), read one batch at a time.

    Indexing reads the batch's rows from the file (in file order) into a new
    CPU tensor; :meth:`subset` keeps row positions, not a copy. So training
    and prediction hold one batch of ``X`` in memory, not all of it.

    Parameters
    ----------
    array : numpy.ndarray
        The file-backed rows.
    rows : numpy.ndarray of int, default=None
        Positions of this view's rows in ``array``; None for all of them.
    """

    device = torch.device("cpu")

    def __init__(self, array, rows=None):
        self.array = array
        self.rows = rows

    def __len__(self):
        return len(self.array) if self.rows is None else len(self.rows)

    @property
    def shape(self):
        return (len(self), *self.array.shape[1:])

    def _positions(self, index):
        index = index.cpu().numpy() if isinstance(index, torch.Tensor) else np.asarray(index)
        return index if self.rows is None else self.rows[index]

    def __getitem__(self, index):
        positions = self._positions(index)
        in_file_order = np.argsort(positions)
        batch = np.empty((len(positions), *self.array.shape[1:]), dtype=self.array.dtype)
        batch[in_file_order] = self.array[positions[in_file_order]]
        return torch.from_numpy(batch)

    def subset(self, index):
        """The rows ``index`` of this view, as another view of the same file."""
        return FileRows(self.array, self._positions(index))


def file_backed(values):
    """Whether ``values`` is a numpy array whose memory is a mapped file."""
    while isinstance(values, np.ndarray):
        if isinstance(values, np.memmap):
            return True
        values = values.base
    return isinstance(values, mmap.mmap)


class TensorData(torch.utils.data.Dataset):
    """Tensors held on one device, indexed by a batch of row indices at once.

    Parameters
    ----------
    inputs : dict of str to torch.Tensor or FileRows
        Per-sample inputs, e.g. ``{"X": x, "sensitive": s}``.
    y : torch.Tensor or None
        Targets.
    device : str or torch.device, default=None
        Where batches go: inputs held elsewhere (:class:`FileRows` on the
        CPU) are moved there batch by batch; None leaves them where they are.
    """

    def __init__(self, inputs, y=None, device=None):
        self.inputs = inputs
        self.y = y
        self.device = device
        self.cells = None  # the training rows' Cells, once the engine has found them

    def __len__(self):
        return len(self.inputs["X"])

    def __getitem__(self, index):
        batch = {name: self._on_device(values[index]) for name, values in self.inputs.items()}
        return batch, (self.y[index] if self.y is not None else None)

    def _on_device(self, values):
        return values if self.device is None else values.to(self.device)

    def subset(self, index):
        """Return the rows ``index`` as a new :class:`TensorData` (file-backed rows as a view)."""
        inputs = {
            name: values.subset(index) if isinstance(values, FileRows) else values[index]
            for name, values in self.inputs.items()
        }
        return TensorData(inputs, self.y[index] if self.y is not None else None, self.device)


class Cells:
    """The rows of each (class, group) cell, found once per training set.

    Parameters
    ----------
    codes : torch.Tensor of shape (n_rows,)
        Integer cell of each row, numbered from 0.

    Attributes
    ----------
    members : torch.Tensor of shape (n_rows,)
        Row indices grouped by cell (cell 0's rows first), on ``codes``' device.
    sizes : list of int
        Number of rows of each cell.
    """

    def __init__(self, codes):
        self.members = torch.argsort(codes, stable=True)
        self.sizes = torch.bincount(codes).tolist()


class BatchIterator:
    """Yield batches of a :class:`TensorData` by index, shuffled when training.

    Shuffling draws from torch's global (CPU) generator, which the estimators
    seed from ``random_state`` inside a forked RNG state.

    Parameters
    ----------
    data : TensorData
        The rows to iterate over.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    shuffle : bool
        Draw a new random order each pass.
    cells : Cells, default=None
        The rows of each cell (e.g. of each (class, group) pair). When given,
        each cell's rows are spread evenly over the batches, so every batch
        holds every cell that has at least as many rows as there are batches.
        The pass then holds one shuffled copy of the row indices, not the
        several temporaries of a sort of all rows per epoch.
    shard : tuple of (int, int), default=None
        ``(rank, world_size)``: yield only every ``world_size``-th row of each
        batch, from row ``rank`` on (:class:`~skinvariant.core.DataParallel`
        gives each process its share of the same batches).
    """

    def __init__(self, data, batch_size, shuffle, cells=None, shard=None):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.cells = cells
        self.shard = shard

    def __len__(self):
        return len(self._starts()) if self.cells is None else self._n_batches()

    def _n_batches(self):
        return math.ceil(len(self.data) / self.batch_size)

    def _starts(self):
        """First row of each batch. In training, a last batch that would give a process
        a single row joins the batch before it (a batch norm layer in a user's encoder
        cannot train on one row): one row, or under a shard fewer than two a process."""
        starts = list(range(0, len(self.data), self.batch_size))
        fewest = 2 * (self.shard[1] if self.shard is not None else 1)
        if self.shuffle and len(starts) > 1 and len(self.data) - starts[-1] < fewest:
            starts.pop()
        return starts

    def __iter__(self):
        if self.cells is not None:
            yield from self._stratified()
            return
        n_rows = len(self.data)
        device = self.data.inputs["X"].device
        order = torch.randperm(n_rows) if self.shuffle else torch.arange(n_rows)
        order = order.to(device)
        starts = self._starts()
        for start, stop in zip(starts, [*starts[1:], n_rows]):
            yield self._batch(order[start:stop])

    def _stratified(self):
        """Batches whose k-th share of each cell's shuffled rows is the cell's k-th run.

        The k-th of a cell's n rows (in a fresh random order) goes to batch
        ``k * B // n``, rotated by a random offset per cell, so the cells'
        larger and smaller shares do not pile up in the same batches.
        """
        n_batches, members = self._n_batches(), self.cells.members
        shuffled, start = [], 0
        for size in self.cells.sizes:
            order = torch.randperm(size).to(members.device)
            shuffled.append(members[start : start + size][order])
            start += size
        offsets = torch.randint(n_batches, (len(shuffled),)).tolist()
        for batch in range(n_batches):
            runs = []
            for rows, offset in zip(shuffled, offsets):
                run = (batch - offset) % n_batches
                first, last = (
                    -(-run * len(rows) // n_batches),
                    -(-(run + 1) * len(rows) // n_batches),
                )
                runs.append(rows[first:last])
            rows = torch.cat(runs)
            if len(rows):
                yield self._batch(rows)

    def _batch(self, rows):
        if self.shard is not None:
            rank, world_size = self.shard
            if (
                len(rows) < world_size
            ):  # a last batch smaller than the group: every process gets a row
                rows = rows.repeat(math.ceil(world_size / len(rows)))
            rows = rows[rank::world_size]
        return self.data[rows]


class LazyOutputs(collections.abc.Mapping):
    """The network's outputs on every training row, computed on first access.

    Most objectives initialise nothing from them; those that do pay for one
    pass, and the others hold no per-row outputs.
    """

    def __init__(self, compute):
        self._compute = compute
        self._outputs = None

    def _values(self):
        if self._outputs is None:
            self._outputs = self._compute()
        return self._outputs

    def __getitem__(self, name):
        return self._values()[name]

    def __iter__(self):
        return iter(self._values())

    def __len__(self):
        return len(self._values())


class InvariantNet(NeuralNet):
    """skorch net training a network on an objective's terms, with its auxiliary networks.

    The network (``module``) exposes ``outputs(x)``, a dict with at least
    ``"z"`` and ``"logits"``, and ``represent(x)`` for ``transform``; the
    engine uses nothing else of it. The objective
    (:class:`skinvariant.core.Objective`) names the loss terms, declares
    its auxiliary networks, each registered here as the skorch module
    ``<name>_`` with its own optimizer ``optimizer_<name>_`` (so
    ``optimizer_<name>__lr`` and the like route to it), and keeps buffers.

    Parameters
    ----------
    module : torch.nn.Module
        The network, with ``outputs`` and ``represent``.
    objective : skinvariant.core.Objective or None
        The method's objective; None trains on the task loss alone.
    lam : float
        The invariance weight, the factor of every term weighted by ``"lam"``.
    lam_ramp : bool
        Ramp the weight as ``lam * (2 / (1 + exp(-10 p)) - 1)`` over training
        progress ``p`` (Ganin et al. 2016).
    validation_fraction : float or None
        Share of the training rows held out for ``valid_loss``, stratified by
        y for classification.
    classification : bool
        Whether y holds class codes (the criterion a cross-entropy) or
        standardised real targets of shape (n, n_targets) (a regression
        criterion). Regression splits and batches are not stratified by y
        (batches keep the objective's group strata), and the end-of-training
        check compares the fit with always predicting the mean instead of
        the majority class.
    class_labels : array-like or None
        The class label of each code, to name classes in warnings.
    cuda_graphs : bool
        On a CUDA device, capture the training step in CUDA graphs and replay
        it per batch (:class:`~skinvariant.core.GraphedTrainStep`), where the
        objective is ``graph_capturable``; ignored on the CPU.
    **kwargs
        Passed to :class:`skorch.NeuralNet`. The criterion is built with
        ``reduction="none"``: the task loss averages it, with the rows'
        ``sample_weight`` where the inputs have one.

    Attributes
    ----------
    graph_replays_ : int
        Training steps of the last ``fit`` (or ``partial_fit`` call) that
        were replayed from CUDA graphs; 0 on the CPU or with ``cuda_graphs=False``.
    """

    def __init__(
        self,
        module,
        *args,
        objective=None,
        lam=1.0,
        lam_ramp=False,
        validation_fraction=None,
        classification=True,
        class_labels=None,
        cuda_graphs=True,
        **kwargs,
    ):
        # set before skorch's __init__: afterwards skorch would try to register
        # the objective module as an initialized component
        self.objective = objective
        self.lam = lam
        self.lam_ramp = lam_ramp
        self.validation_fraction = validation_fraction
        self.classification = classification
        self.class_labels = class_labels
        self.cuda_graphs = cuda_graphs
        kwargs.setdefault("train_split", None)
        kwargs["criterion__reduction"] = "none"
        super().__init__(module, *args, **kwargs)

    # -- scikit-learn's view of the net, which skorch's EpochScoring scores ---

    def predict(self, X):
        """Class codes (those y holds) for classification; the outputs otherwise."""
        outputs = self.predict_proba(X)
        return outputs.argmax(axis=1) if self.classification else outputs

    @property
    def classes_(self):
        """The class codes y holds; only for classification."""
        if not self.classification or self.class_labels is None:
            raise AttributeError("classes_ needs a classification net built with class_labels")
        return np.arange(len(self.class_labels))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier" if self.classification else "regressor"
        return tags

    # -- components ---------------------------------------------------------

    def initialize_callbacks(self):
        super().initialize_callbacks()
        if self.validation_fraction:
            return self
        for name, callback in self.callbacks_:
            monitor = getattr(callback, "monitor", None)
            if isinstance(monitor, str) and monitor.startswith("valid"):
                raise ValueError(
                    f"callback {name} monitors {monitor!r}, which is only recorded with a "
                    "validation split: set validation_fraction (e.g. 0.1), or give the "
                    "callback monitor='train_loss'."
                )
        return self

    def initialize_module(self):
        super().initialize_module()
        objective = TaskLossAlone() if self.objective is None else self.objective
        self.objective_ = self.initialized_instance(objective, self.get_params_for("objective"))
        _check_unique_term_names(self.objective_, self._terms())
        for name, network in self.objective_.networks().items():
            setattr(self, name + "_", network.module)  # registered by skorch, moved to the device
        # The init parameters ``module`` and ``objective`` hold the very modules
        # now at ``module_`` and ``objective_``: pickle them with those, in
        # skorch's device-mapped block, so a CUDA model unpickles on a CPU.
        self.cuda_dependent_attributes_ = [
            *self.cuda_dependent_attributes_,
            *(
                name
                for name in ("module", "objective")
                if name not in self.cuda_dependent_attributes_
            ),
        ]
        return self

    def initialize_optimizer(self, *_, **__):
        trainable = [
            (name, parameter)
            for name, parameter in self.module_.named_parameters()
            if parameter.requires_grad
        ]  # a frozen encoder is left out
        args, kwargs = self.get_params_for_optimizer("optimizer", trainable)
        self.optimizer_ = self._build_optimizer(args, kwargs)
        for name in self.objective_.networks():
            args, kwargs = self.get_params_for_optimizer(
                f"optimizer_{name}", getattr(self, name + "_").named_parameters()
            )
            setattr(self, f"optimizer_{name}_", self._build_optimizer(args, kwargs))
        return self

    def _build_optimizer(self, args, kwargs):
        """The optimizer, in capturable mode where its steps are to be captured in a graph."""
        if self.captures_graphs() and _accepts(self.optimizer, "capturable"):
            kwargs = {"capturable": True, **kwargs}
        return self.optimizer(*args, **kwargs)

    def optimizers(self):
        """The encoder/head's optimizer and each auxiliary network's."""
        return [
            self.optimizer_,
            *(getattr(self, f"optimizer_{name}_") for name in self.objective_.networks()),
        ]

    def captures_graphs(self):
        """Whether training steps are captured in CUDA graphs (see ``cuda_graphs``).

        Not on the CPU, not for an objective that is not ``graph_capturable``,
        and not under :class:`~skinvariant.core.DataParallel`, whose gradient
        exchange runs between the steps' parts.
        """
        return (
            self.cuda_graphs
            and _on_cuda(self.device)
            and self.objective_.graph_capturable
            and getattr(self, "batch_shard_", None) is None
        )

    # -- data -----------------------------------------------------------------

    def get_dataset(self, X, y=None):
        if isinstance(X, TensorData):
            return X
        inputs = X if isinstance(X, dict) else {"X": X}
        inputs = {name: self._to_device(values) for name, values in inputs.items()}
        return TensorData(inputs, None if y is None else self._to_device(y), self.device)

    def _to_device(self, values):
        if isinstance(values, torch.Tensor):
            return values.to(self.device)
        if file_backed(values):  # stays in its file, read batch by batch
            return FileRows(values)
        # shared, not copied, when already C-ordered and writable: batches are
        # fetched by index (a copy each), so nothing writes into these rows
        return torch.from_numpy(np.require(values, requirements=("C", "W"))).to(self.device)

    def get_split_datasets(self, X, y=None, **fit_params):
        data = self.get_dataset(X, y)
        if not self.validation_fraction:
            return data, None
        rows = np.arange(len(data))
        codes = data.y.cpu().numpy() if self.classification else None
        try:
            train_rows, valid_rows = train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=codes,
                random_state=int(torch.randint(2**31 - 1, ()).item()),
            )
        except ValueError as error:  # a class too rare for a stratified split
            if codes is None:
                raise
            counts = dict(zip(self.class_labels, np.bincount(codes).tolist()))
            raise ValueError(
                f"validation_fraction={self.validation_fraction:g} cannot hold out rows of "
                f"every class, stratified by y (rows per class: {counts}): raise it so that "
                "the held-out rows hold one of each class at least, give the rare classes "
                f"more rows, or set validation_fraction=None ({error})"
            ) from error
        return (
            data.subset(torch.as_tensor(train_rows, device=self.device)),
            data.subset(torch.as_tensor(valid_rows, device=self.device)),
        )

    def get_iterator(self, dataset, training=False):
        # evaluation needs no small batches: larger ones cut Python overhead
        batch_size = self.batch_size if training else max(self.batch_size, EVAL_BATCH_SIZE)
        cells = None
        if training and self.objective_.stratify_batches:
            if dataset.cells is None:  # found once per training set, not every epoch
                codes = self._cells(dataset)
                dataset.cells = None if codes is None else Cells(codes)
            cells = dataset.cells
        shard = getattr(self, "batch_shard_", None) if training else None
        iterator = BatchIterator(dataset, batch_size, shuffle=training, cells=cells, shard=shard)
        if training:
            self._n_batches_per_epoch = len(iterator)
        return iterator

    def _cells(self, dataset):
        """The (class, group) cell of each row; the class alone without ``sensitive``.

        A regression target has no classes: the cell is the group, and
        without ``sensitive`` batches are not stratified. Cells are numbered
        in the lexicographic order of their (class, group) codes, from one
        mixed-radix code per row (sorting rows of codes would take several
        times the memory).
        """
        s = dataset.inputs.get("sensitive")
        columns = [] if s is None else list(s.reshape(len(s), -1).long().T)
        if self.classification:
            columns.insert(0, dataset.y.reshape(-1).long())
        if not columns:
            return None
        code = torch.zeros_like(columns[0])
        for column in columns:
            column = column - column.min()
            code = code * (int(column.max()) + 1) + column
        return torch.unique(code, return_inverse=True)[1]

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The task loss, weighted by the batch's ``sample_weight`` when it has one."""
        weight = X.get("sample_weight") if isinstance(X, dict) else None
        return weighted_mean(self.criterion_(y_pred, y_true), weight)

    def infer(self, x, **fit_params):
        return self.module_.outputs(x["X"] if isinstance(x, dict) else x)["logits"]

    @torch.no_grad()
    def forward_all(self, dataset, forward):
        """Apply ``forward`` to every row of ``dataset`` in evaluation batches.

        ``forward`` returns a tensor or a dict of tensors (and other values,
        kept from the first batch) per batch; each tensor is written into one
        array of all rows, allocated after the first batch, so that the rows'
        outputs are held once, not once per batch and again concatenated.
        """
        self._set_training(False)
        batches = iter(self.get_iterator(dataset))
        first = forward(next(batches)[0]["X"])
        parts = first if isinstance(first, dict) else {None: first}
        tensors = [name for name, value in parts.items() if isinstance(value, torch.Tensor)]
        outputs = dict(parts)
        for name in tensors:
            value = parts[name]
            outputs[name] = value.new_empty((len(dataset), *value.shape[1:]))
            outputs[name][: len(value)] = value
        start = len(parts[tensors[0]])
        for batch, _ in batches:
            part = forward(batch["X"])
            part = part if isinstance(part, dict) else {None: part}
            stop = start + len(part[tensors[0]])
            for name in tensors:
                outputs[name][start:stop] = part[name]
            start = stop
        return outputs if isinstance(first, dict) else outputs[None]

    def represent(self, X):
        """Return the representation of ``X`` (the network's ``represent``) as a CPU tensor."""
        self.check_is_fitted()
        return self.forward_all(self.get_dataset(X), self.module_.represent).cpu()

    # -- training -------------------------------------------------------------

    def get_default_callbacks(self):
        """skorch's defaults, with the engine's bookkeeping before the printed log."""
        *scoring, print_log = super().get_default_callbacks()
        return [
            *scoring,
            ("term_means", TermMeans()),
            ("divergence_check", DivergenceCheck()),
            ("closed_form_refit", ClosedFormRefit()),
            ("weight_averaging", WeightAveraging()),
            ("collapse_warning", CollapseCheck()),
            print_log,
        ]

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._active_parts = {}
        self._graphed_step = GraphedTrainStep(self) if self.captures_graphs() else None
        if self.cuda_graphs and _on_cuda(self.device) and not self.objective_.graph_capturable:
            warn_at_caller(
                f"{type(self.objective_).__name__} is not written for CUDA graphs "
                f"({self.objective_.graph_capture_obstacle}); its training steps run eagerly, "
                "one kernel launch at a time (pass cuda_graphs=False to silence this).",
                GraphCaptureWarning,
            )

    def on_train_end(self, net, X=None, y=None, **kwargs):
        graphed_step, self._graphed_step = self._graphed_step, None  # frees the graphs' memory
        self.graph_replays_ = 0 if graphed_step is None else graphed_step.n_replays

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Open the epoch; before the first, let the objective see the whole training split."""
        super().on_epoch_begin(net, dataset_train=dataset_train, **kwargs)
        self._batches_done = 0
        if len(self.history) == 1:
            outputs = LazyOutputs(
                functools.partial(self.forward_all, dataset_train, self.module_.outputs)
            )
            self.objective_.initialize(
                Step(
                    dataset_train.inputs["X"],
                    dataset_train.y,
                    dataset_train.inputs.get("sensitive"),
                    outputs,
                    self.lam,
                    0.0,
                    self.criterion_,
                )
            )

    def progress(self):
        """Share of training done, from 0 at the first batch to 1 after the last."""
        epoch = len(self.history) - 1
        return (epoch + self._batches_done / self._n_batches_per_epoch) / self.max_epochs

    def current_lam(self):
        """The invariance weight at the current point of training."""
        if not self.lam_ramp:
            return self.lam
        return self.lam * (2.0 / (1.0 + math.exp(-10.0 * self.progress())) - 1.0)

    def _terms(self):
        """The task loss, which the engine owns, and the objective's terms."""
        return [TASK_LOSS, *self.objective_.terms()]

    def active(self, s):
        """The objective's terms and networks that can train with or without ``s``."""
        has_s = s is not None
        if has_s not in self._active_parts:  # the same for every batch of a fit
            terms = [term for term in self._terms() if has_s or not term.needs_sensitive]
            networks = {
                name: network
                for name, network in self.objective_.networks().items()
                if has_s or not network.needs_sensitive
            }
            self._active_parts[has_s] = terms, networks
        return self._active_parts[has_s]

    def train_step(self, batch, **fit_params):
        """One training step on ``batch``: replayed from a CUDA graph where one is captured."""
        graphed_step = getattr(self, "_graphed_step", None)
        if graphed_step is not None:
            return graphed_step(batch)
        return self.train_step_eager(batch)

    def train_step_eager(self, batch, lam=None, progress=None):
        """The training step, kernel by kernel: the inner steps, then the encoder/head's.

        ``lam`` and ``progress`` default to their current values; a captured
        step passes the device tensors that it fills before each replay.
        """
        inputs, y = batch
        x, s = inputs["X"], inputs.get("sensitive")
        terms, networks = self.active(s)
        self._set_training(True)
        step = Step(
            x,
            y,
            s,
            self.module_.outputs(x),
            self.current_lam() if lam is None else lam,
            self.progress() if progress is None else progress,
            self.criterion_,
            inputs.get("sample_weight"),
        )
        for name, network in networks.items():
            if network.schedule == "inner":
                self._inner_steps(name, network.n_steps, step)
        joint = [name for name, network in networks.items() if network.schedule == "joint"]
        optimizers = [self.optimizer_, *(getattr(self, f"optimizer_{name}_") for name in joint)]
        for optimizer in optimizers:
            optimizer.zero_grad()
        values = {term.name: term.compute(step) for term in terms}
        loss = self._backward(terms, values, step.lam, joint)
        self._notify_grad_computed(batch, ["module", *joint])
        for optimizer in optimizers:
            optimizer.step()
        self.objective_.after_step("module", step.detached())
        records = {
            **{name: value.detach() for name, value in values.items()},
            **step.records,
            "z_mean_square": step.outputs["z"].detach().pow(2).mean(),
        }
        # detached: an autograd graph kept alive past its step (by the loop's
        # reference to this dict) would tie the parameters' gradient
        # accumulators to this step's stream and break the capture of a later one
        return {"loss": loss.detach(), "y_pred": step.outputs["logits"].detach(), "terms": records}

    def _inner_steps(self, name, n_steps, step):
        """Train the auxiliary network ``name`` for ``n_steps`` on the detached outputs."""
        detached = step.detached()
        optimizer = getattr(self, f"optimizer_{name}_")
        for _ in range(n_steps):
            optimizer.zero_grad()
            loss = self.objective_.network_loss(name, detached)
            loss.backward()
            self._notify_grad_computed(None, [name])
            optimizer.step()
        step.record(f"{name}_loss", loss)
        self.objective_.after_step(name, detached)

    def _notify_grad_computed(self, batch, names):
        """Hand callbacks (e.g. ``GradientNormClipping``) the gradients about to be applied.

        ``names`` are ``"module"`` (the encoder and head, under their own
        parameter names) and auxiliary networks, whose parameters are named
        ``<network>_.<parameter>`` as skorch names its modules.
        """

        def named_parameters():
            for name in names:
                if name == "module":
                    yield from self.module_.named_parameters()
                    continue
                for parameter_name, parameter in getattr(self, name + "_").named_parameters():
                    yield f"{name}_.{parameter_name}", parameter

        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(named_parameters()),
            batch=batch,
            training=True,
        )

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's pass over the batches, reading each batch's loss once per epoch.

        skorch reads every batch's loss with ``.item()``, which on a GPU makes
        the CPU wait for the batch to finish before it launches the next one.
        Here the losses stay on the device until the pass ends; callbacks see
        the batch's ``{prefix}_loss`` in the history as a tensor until then
        (a float on the CPU, where reading costs nothing).
        """
        if iterator is None:
            return
        losses = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            losses.append(loss)
            self.history.record_batch(prefix + "_loss", loss.item() if loss.is_cpu else loss)
            self.history.record_batch(prefix + "_batch_size", get_len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        if losses and not losses[0].is_cpu:
            batches = [row for row in self.history[-1, "batches"] if prefix + "_loss" in row]
            for row, value in zip(batches[-len(losses) :], torch.stack(losses).tolist()):
                row[prefix + "_loss"] = value
        self.history.record(prefix + "_batch_count", len(losses))

    def validation_step(self, batch, **fit_params):
        """The whole objective on a validation batch, as ``train_loss`` is on a training one.

        ``valid_loss`` (what skorch's ``EarlyStopping`` and ``Checkpoint``
        watch by default) is the weighted sum of the terms at the current
        ``lam``; its task part is recorded as ``valid_task_loss``.
        """
        inputs, y = batch
        x, s = inputs["X"], inputs.get("sensitive")
        terms, _ = self.active(s)
        self._set_training(False)
        with torch.no_grad():
            step = Step(
                x,
                y,
                s,
                self.module_.outputs(x),
                self.current_lam(),
                self.progress(),
                self.criterion_,
                inputs.get("sample_weight"),
            )
            values = {term.name: term.compute(step) for term in terms}
            loss = functools.reduce(operator.add, _weighted_terms(terms, values, step.lam).values())
        return {"loss": loss, "y_pred": step.outputs["logits"], "terms": values}

    def _backward(self, terms, values, lam, joint):
        """Back-propagate the weighted terms; return the total loss.

        Terms flagged ``clip_gradient`` have their gradient on each
        encoder/head parameter tensor capped at the norm of the other terms';
        jointly trained networks get the plain gradient of the total.
        """
        weighted = _weighted_terms(terms, values, lam)
        loss = functools.reduce(operator.add, weighted.values())
        clipped = [weighted[term.name] for term in terms if term.clip_gradient]
        if not clipped:
            loss.backward()
            return loss
        parameters = [p for p in self.module_.parameters() if p.requires_grad]
        free_grads = torch.autograd.grad(
            loss - sum(clipped), parameters, retain_graph=True, allow_unused=True
        )
        clipped_grads = torch.autograd.grad(
            sum(clipped), parameters, retain_graph=bool(joint), allow_unused=True
        )
        if joint:
            loss.backward(
                inputs=[p for name in joint for p in getattr(self, name + "_").parameters()]
            )
        for parameter, free_grad, clipped_grad in zip(parameters, free_grads, clipped_grads):
            grad = torch.zeros_like(parameter) if free_grad is None else free_grad
            if clipped_grad is not None:
                grad = (
                    grad
                    + torch.clamp(grad.norm() / (clipped_grad.norm() + 1e-12), max=1.0)
                    * clipped_grad
                )
            parameter.grad = grad
        return loss

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self._batches_done += 1

    def __getstate__(self):
        state = super().__getstate__()
        # the cache of active terms holds the objective's bound methods, which
        # would pickle the objective outside skorch's device-mapped block
        state.pop("_active_parts", None)
        state.pop("_graphed_step", None)  # CUDA graphs do not pickle; a fit makes them anew
        return state


def _weighted_terms(terms, values, lam):
    """``{name: weight * value}`` of each term, ``lam`` standing for the weight ``LAM``."""
    return {
        term.name: _weighted(values[term.name], lam if term.weight == LAM else term.weight)
        for term in terms
    }


def _weighted(value, weight):
    """``weight * value``, without a multiplication when the weight is the number 1.

    ``weight`` may be a 0-dim tensor (``lam`` in a captured step): it is
    multiplied, never compared, since a comparison would wait for the device.
    """
    if isinstance(weight, (int, float)) and weight == 1:
        return value
    return weight * value


def _on_cuda(device):
    """Whether ``device`` is a CUDA device."""
    return torch.device(device).type == "cuda"


def _accepts(optimizer, option):
    """Whether the optimizer class (or partial of one) takes the keyword ``option``."""
    if isinstance(optimizer, functools.partial):
        if option in optimizer.keywords:
            return False  # the user chose
        optimizer = optimizer.func
    return option in inspect.signature(optimizer).parameters


def _check_unique_term_names(objective, terms):
    """Refuse two terms of one name (the task loss's included): one would replace the other."""
    names = [term.name for term in terms]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{type(objective).__name__}.terms() names more than one term "
            f"{repeated} (the engine adds the task loss, 'task_loss', itself): "
            "each term's value is kept by its name, so one would silently "
            "replace the other in the loss; give every term its own name."
        )
