"""The one training engine: a skorch ``NeuralNet`` that trains an encoder and a
head on the task loss plus ``lam`` times an invariance criterion's penalty.

Data are kept as tensors on the training device and batches are fetched by
index, never row by row. Each batch is ``({"X": x, "sensitive": s}, y)``.
"""

import math
from collections import defaultdict

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch import NeuralNet
from skorch.utils import TeeGenerator

from .exceptions import DivergenceError, warn_at_caller

EVAL_BATCH_SIZE = 4096

# An epoch's mean task loss above this multiple of its starting value (or of 1,
# whichever is larger) means training has blown up without producing a NaN.
TASK_LOSS_GROWTH_LIMIT = 100.0
# The same for the root mean square of the representation.
REPRESENTATION_GROWTH_LIMIT = 1000.0
# Training accuracy within this margin of the majority rate counts as a collapse.
COLLAPSE_MARGIN = 0.01


def softmax(logits):
    """Class probabilities from logits (a module-level function, so it pickles)."""
    return torch.softmax(logits, dim=-1)


class TensorData(torch.utils.data.Dataset):
    """Tensors held on one device, indexed by a batch of row indices at once.

    Parameters
    ----------
    inputs : dict of str to torch.Tensor
        Per-sample inputs, e.g. ``{"X": x, "sensitive": s}``.
    y : torch.Tensor or None
        Targets.
    """

    def __init__(self, inputs, y=None):
        self.inputs = inputs
        self.y = y

    def __len__(self):
        return len(self.inputs["X"])

    def __getitem__(self, index):
        batch = {name: values[index] for name, values in self.inputs.items()}
        return batch, (self.y[index] if self.y is not None else None)

    def subset(self, index):
        """Return the rows ``index`` as a new :class:`TensorData`."""
        return TensorData(*self[index])


class BatchIterator:
    """Yield batches of a :class:`TensorData` by index, shuffled when training.

    Shuffling draws from torch's global generator, which the estimators seed
    from ``random_state`` inside a forked RNG state.

    Parameters
    ----------
    data : TensorData
        The rows to iterate over.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    shuffle : bool
        Draw a new random order each pass.
    strata : torch.Tensor of shape (n_rows,), default=None
        Integer cell of each row (e.g. its (class, group) pair). When given,
        each cell's rows are spread evenly over the batches, so every batch
        holds every cell that has at least as many rows as there are batches.
    """

    def __init__(self, data, batch_size, shuffle, strata=None):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.strata = strata

    def __len__(self):
        return math.ceil(len(self.data) / self.batch_size)

    def __iter__(self):
        n_rows = len(self.data)
        device = self.data.inputs["X"].device
        order = torch.randperm(n_rows) if self.shuffle else torch.arange(n_rows)
        order = order.to(device)
        if self.strata is None:
            for start in range(0, n_rows, self.batch_size):
                yield self.data[order[start:start + self.batch_size]]
            return
        batch_of_row = self._stratified_batches(self.strata[order])
        order = order[torch.argsort(batch_of_row, stable=True)]
        for rows in torch.split(order, torch.bincount(batch_of_row, minlength=len(self)).tolist()):
            if len(rows):
                yield self.data[rows]

    def _stratified_batches(self, strata):
        """Batch number of each row: the k-th of a cell's n rows goes to batch k * B // n.

        Each cell's batches are rotated by a random offset, so the cells' larger
        and smaller shares do not pile up in the same batches.
        """
        n_batches = len(self)
        _, cells, cell_sizes = torch.unique(strata, return_inverse=True, return_counts=True)
        by_cell = torch.argsort(cells, stable=True)
        first_of_cell = torch.cumsum(cell_sizes, 0) - cell_sizes
        rank_in_cell = torch.empty_like(cells)
        rank_in_cell[by_cell] = (torch.arange(len(cells), device=cells.device)
                                 - first_of_cell[cells[by_cell]])
        offsets = torch.randint(n_batches, (len(cell_sizes),)).to(cells.device)
        return (rank_in_cell * n_batches // cell_sizes[cells] + offsets[cells]) % n_batches


class InvariantNet(NeuralNet):
    """skorch net training ``module`` (an encoder and a head) with an invariance criterion.

    Parameters
    ----------
    module : skinvariant.modules.InvariantNetwork
        The encoder and head.
    invariance : skinvariant.criteria.InvarianceCriterion or None
        The criterion; None trains on the task loss alone.
    lam : float
        Weight of the invariance penalty.
    lam_ramp : bool
        Ramp the weight as ``lam * (2 / (1 + exp(-10 p)) - 1)`` over training
        progress ``p`` (Ganin et al. 2016).
    validation_fraction : float or None
        Share of the training rows held out (stratified by y) for ``valid_loss``.
    clip_penalty_gradient : bool
        Adaptive gradient clipping (Belghazi et al. 2018): on each parameter
        tensor the penalty's gradient is rescaled to at most the norm of the
        task loss's gradient, so an unbounded penalty cannot swamp the task.
    stratify_batches : bool
        Spread every (class, group) cell evenly over the training batches,
        for criteria that compare groups within a batch.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, *args, invariance=None, lam=1.0, lam_ramp=False,
                 validation_fraction=None, clip_penalty_gradient=False, stratify_batches=False,
                 **kwargs):
        # set before skorch's __init__: afterwards skorch would try to register
        # the criterion module as an initialized component
        self.invariance = invariance
        self.lam = lam
        self.lam_ramp = lam_ramp
        self.validation_fraction = validation_fraction
        self.clip_penalty_gradient = clip_penalty_gradient
        self.stratify_batches = stratify_batches
        kwargs.setdefault("train_split", None)
        super().__init__(module, *args, **kwargs)

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
                    "callback monitor='train_loss'.")
        return self

    def initialize_module(self):
        super().initialize_module()
        self.invariance_ = None if self.invariance is None else self.initialized_instance(
            self.invariance, self.get_params_for("invariance"))
        return self

    def initialize_optimizer(self, *_, **__):
        trainable = [(name, parameter) for name, parameter in self.module_.named_parameters()
                     if parameter.requires_grad]  # a frozen encoder is left out
        args, kwargs = self.get_params_for_optimizer("optimizer", trainable)
        self.optimizer_ = self.optimizer(*args, **kwargs)
        if self._has_critic():
            args, kwargs = self.get_params_for_optimizer(
                "optimizer_invariance", self.invariance_.named_parameters())
            self.optimizer_invariance_ = self.optimizer(*args, **kwargs)
        return self

    def _has_critic(self):
        return self.invariance_ is not None and any(True for _ in self.invariance_.parameters())

    # -- data -----------------------------------------------------------------

    def get_dataset(self, X, y=None):
        if isinstance(X, TensorData):
            return X
        inputs = X if isinstance(X, dict) else {"X": X}
        inputs = {name: self._to_device(values) for name, values in inputs.items()}
        return TensorData(inputs, None if y is None else self._to_device(y))

    def _to_device(self, values):
        if isinstance(values, torch.Tensor):
            return values.to(self.device)
        return torch.from_numpy(np.array(values)).to(self.device)  # a writable copy

    def get_split_datasets(self, X, y=None, **fit_params):
        data = self.get_dataset(X, y)
        if not self.validation_fraction:
            return data, None
        rows = np.arange(len(data))
        train_rows, valid_rows = train_test_split(
            rows, test_size=self.validation_fraction,
            stratify=data.y.cpu().numpy(), random_state=int(torch.randint(2**31 - 1, ()).item()))
        return (data.subset(torch.as_tensor(train_rows, device=self.device)),
                data.subset(torch.as_tensor(valid_rows, device=self.device)))

    def get_iterator(self, dataset, training=False):
        # evaluation needs no small batches: larger ones cut Python overhead
        batch_size = self.batch_size if training else max(self.batch_size, EVAL_BATCH_SIZE)
        strata = self._cells(dataset) if training and self.stratify_batches else None
        iterator = BatchIterator(dataset, batch_size, shuffle=training, strata=strata)
        if training:
            self._n_batches_per_epoch = len(iterator)
        return iterator

    @staticmethod
    def _cells(dataset):
        """The (class, group) cell of each row, or None without ``sensitive``."""
        s = dataset.inputs.get("sensitive")
        if s is None:
            return None
        pairs = torch.cat([dataset.y.reshape(len(s), 1), s.reshape(len(s), -1).long()], dim=1)
        return torch.unique(pairs, dim=0, return_inverse=True)[1]

    def infer(self, x, **fit_params):
        return self.module_(x["X"] if isinstance(x, dict) else x)

    @torch.no_grad()
    def encode(self, X):
        """Return the representation ``z`` of ``X`` as a CPU tensor."""
        self.check_is_fitted()
        self._set_training(False)
        data = self.get_dataset(X)
        return torch.cat([self.module_.encoder(batch["X"]).cpu()
                          for batch, _ in self.get_iterator(data)])

    # -- training -------------------------------------------------------------

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._epoch_sums = defaultdict(float)
        self._starting_scale = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Open the epoch; before the first, let the criterion see the whole training split."""
        super().on_epoch_begin(net, dataset_train=dataset_train, **kwargs)
        first_epoch = len(self.history) == 1
        if not first_epoch or self.invariance_ is None or "sensitive" not in dataset_train.inputs:
            return
        self._set_training(False)
        with torch.no_grad():
            z = torch.cat([self.module_.encoder(batch["X"])
                           for batch, _ in self.get_iterator(dataset_train)])
        self.invariance_.initialize(z, dataset_train.inputs["sensitive"], dataset_train.y)

    def current_lam(self):
        """The penalty weight at the current point of training."""
        if not self.lam_ramp:
            return self.lam
        epoch = len(self.history) - 1
        batch = len(self.history[-1, "batches"]) if len(self.history) else 0
        progress = (epoch + batch / self._n_batches_per_epoch) / self.max_epochs
        return self.lam * (2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0)

    def train_step(self, batch, **fit_params):
        inputs, y = batch
        x, s = inputs["X"], inputs.get("sensitive")
        invariance = self.invariance_ if s is not None else None
        has_critic_steps = invariance is not None and invariance.n_critic_steps > 0
        terms = self._critic_steps(x, s, y) if has_critic_steps else {}
        self._set_training(True)
        self.optimizer_.zero_grad()
        z = self.module_.encoder(x)
        logits = self.module_.head(z)
        task_loss = self.get_loss(logits, y, X=inputs, training=True)
        weighted_penalty = None
        if invariance is not None:
            weighted_penalty, encoder_terms = invariance.encoder_loss(z, s, y, self.current_lam())
            terms.update(encoder_terms)
        joint = invariance is not None and invariance.trains_with_encoder
        if joint:
            self.optimizer_invariance_.zero_grad()
        if weighted_penalty is not None and self.clip_penalty_gradient:
            loss = self._backward_with_clipped_penalty(task_loss, weighted_penalty)
        else:
            loss = task_loss if weighted_penalty is None else task_loss + weighted_penalty
            loss.backward()
        self.notify("on_grad_computed", named_parameters=TeeGenerator(self.module_.named_parameters()),
                    batch=batch, training=True)
        self.optimizer_.step()
        if joint:
            self.optimizer_invariance_.step()
        terms["task_loss"] = task_loss.detach()
        return {"loss": loss, "y_pred": logits, "terms": terms,
                "representation_rms": z.detach().pow(2).mean().sqrt(),
                "n_correct": (logits.detach().argmax(dim=1) == y).sum()}

    def _backward_with_clipped_penalty(self, task_loss, weighted_penalty):
        """Set each encoder/head gradient to task + penalty, the penalty's norm capped by the task's."""
        parameters = [p for p in self.module_.parameters() if p.requires_grad]
        task_grads = torch.autograd.grad(task_loss, parameters, retain_graph=True, allow_unused=True)
        penalty_grads = torch.autograd.grad(weighted_penalty, parameters, allow_unused=True)
        for parameter, task_grad, penalty_grad in zip(parameters, task_grads, penalty_grads):
            task_grad = torch.zeros_like(parameter) if task_grad is None else task_grad
            if penalty_grad is not None:
                scale = torch.clamp(task_grad.norm() / (penalty_grad.norm() + 1e-12), max=1.0)
                task_grad = task_grad + scale * penalty_grad
            parameter.grad = task_grad
        return task_loss + weighted_penalty

    def _critic_steps(self, x, s, y):
        """Train the criterion's own networks on the detached representation."""
        self._set_training(True)
        with torch.no_grad():
            z = self.module_.encoder(x)
        terms = {}
        for _ in range(self.invariance_.n_critic_steps):
            self.optimizer_invariance_.zero_grad()
            critic_loss, terms = self.invariance_.critic_loss(z, s, y)
            critic_loss.backward()
            self.optimizer_invariance_.step()
            terms = {"critic_loss": critic_loss.detach(), **terms}
        self.invariance_.after_critic(z, s, y)
        return terms

    def on_batch_end(self, net, batch=None, training=False, loss=None, terms=None,
                     representation_rms=None, n_correct=None, **kwargs):
        if not training:
            return
        batch_size = len(batch[1])
        if self._starting_scale is None:  # before the first update
            self._starting_scale = {"task_loss": float(terms["task_loss"]),
                                    "representation": float(representation_rms)}
        for name, value in terms.items():
            self._epoch_sums[name] = self._epoch_sums[name] + value * batch_size
        self._epoch_sums["representation_rms"] += representation_rms * batch_size
        self._epoch_sums["n_correct"] += n_correct
        self._epoch_sums["n_rows"] += batch_size
        if not math.isfinite(self.history[-1]["batches"][-1]["train_loss"]):
            self._raise_divergence(_non_finite({**terms, "loss": loss.detach()}))

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        n_rows = self._epoch_sums.pop("n_rows", 0)
        self._training_accuracy = float(self._epoch_sums.pop("n_correct", 0)) / max(n_rows, 1)
        representation_rms = float(self._epoch_sums.pop("representation_rms", 0.0)) / max(n_rows, 1)
        means = {name: float(total / n_rows) for name, total in self._epoch_sums.items()}
        self._epoch_sums = defaultdict(float)
        problems = (_non_finite(means) or self._non_finite_weights()
                    or self._blown_up(means["task_loss"], representation_rms))
        if not problems and self.invariance_ is not None:
            problems = self.invariance_.diverged(means)
        if problems:
            self._raise_divergence(problems)
        for name, value in means.items():
            self.history.record("train_" + name, value)

    def _non_finite_weights(self):
        """``{"weights": reason}`` when a parameter holds a NaN or infinity, else ``{}``."""
        parameters = list(self.module_.parameters())
        if self.invariance_ is not None:
            parameters += list(self.invariance_.parameters())
        finite = torch.stack([torch.isfinite(p).all() for p in parameters]).all()
        return {} if finite else {"weights": "became NaN or infinite"}

    def _blown_up(self, task_loss, representation_rms):
        """Terms that grew by orders of magnitude since the first batch, with the reason."""
        problems = {}
        start = self._starting_scale
        if task_loss > TASK_LOSS_GROWTH_LIMIT * max(start["task_loss"], 1.0):
            problems["task_loss"] = f"grew from {start['task_loss']:.3g} to {task_loss:.3g}"
        if representation_rms > REPRESENTATION_GROWTH_LIMIT * max(start["representation"], 1.0):
            problems["representation"] = (f"scale (root mean square) grew from "
                                          f"{start['representation']:.3g} to {representation_rms:.3g}")
        return problems

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Warn when the invariance penalty has pushed the model down to the majority rate."""
        if self.invariance_ is None or self.lam == 0 or "sensitive" not in X:
            return
        y = y.cpu() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
        majority_rate = float(torch.bincount(y).max()) / len(y)
        if self._training_accuracy <= majority_rate + COLLAPSE_MARGIN:
            warn_at_caller(
                f"Training accuracy in the last epoch ({self._training_accuracy:.3f}) is no "
                f"better than always predicting the majority class ({majority_rate:.3f}): the "
                f"invariance weight lam={self.lam:g} may overwhelm the task (lower lam), "
                "training may have stopped too early (raise max_epochs), or X carries "
                "nothing about y.")

    def _raise_divergence(self, problems):
        details = "; ".join(f"{name} {reason}" for name, reason in problems.items())
        raise DivergenceError(
            f"Training diverged in epoch {len(self.history)}: {details}. Lower lr or lam, "
            "standardise X, or add a gradient penalty, and refit.")


def _non_finite(terms):
    """The terms whose value is NaN or infinite, each with the reason."""
    return {name: "became NaN or infinite" for name, value in terms.items()
            if not math.isfinite(float(value))}
