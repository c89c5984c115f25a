"""The engine's bookkeeping as skorch callbacks: per-term means, the divergence
check, the closed-form refit, the average of the weights over epochs, and the
warning that the task collapsed.

:class:`~skinvariant.core.InvariantNet` puts them among its default
callbacks, in this order, after skorch's loss scoring and before its printed
log; like any skorch callback each can be replaced or switched off with
``callbacks__<name>=None`` on the net.
"""

import math

import torch
from skorch.callbacks import Callback

from ..exceptions import CollapseWarning, DivergenceError, warn_at_caller
from ._objective import LAM

# An epoch's mean task loss above this multiple of its starting value (or of 1,
# whichever is larger) means training has blown up without producing a NaN.
TASK_LOSS_GROWTH_LIMIT = 100.0
# The same for the root mean square of the representation.
REPRESENTATION_GROWTH_LIMIT = 1000.0
# Training accuracy within this margin of the majority rate counts as a collapse.
COLLAPSE_MARGIN = 0.01
# So does a class predicted for less than this share of the rows it makes up in y.
PREDICTED_SHARE_FLOOR = 0.5
# skorch's own batch records, which its PassthroughScoring averages
SKORCH_BATCH_RECORDS = ("loss", "batch_size")


class TermMeans(Callback):
    """Record every term of each batch, and each term's mean over the epoch's rows.

    A training step's ``terms`` (each term of the loss, unweighted, and the
    objective's records) go into the batch's history as ``train_<name>``, a
    validation step's as ``valid_<name>``; at the end of the epoch each is
    averaged over the rows, as skorch's ``PassthroughScoring`` averages the
    loss, and recorded under the same name. Until then each term's values are
    written into one buffer on the device, so a batch costs no device
    synchronisation, and no small tensor is kept per batch (thousands of those
    kept the allocator from reusing its memory: the process grew about 0.4 MB
    a batch).
    """

    def on_epoch_begin(self, net, **kwargs):
        self._buffers = {}
        self._counts = {"train_": 0, "valid_": 0}

    def on_batch_end(self, net, batch=None, training=False, terms=None, **kwargs):
        prefix = "train_" if training else "valid_"
        index = self._counts[prefix]
        self._counts[prefix] += 1
        for name, value in (terms or {}).items():
            buffer = self._buffers.get(prefix + name)
            if buffer is None or len(buffer) <= index:  # doubled when full
                grown = torch.full((max(64, 2 * index),), math.nan, dtype=torch.float64)
                grown = grown.to(torch.as_tensor(value).device)
                if buffer is not None:
                    grown[: len(buffer)] = buffer
                self._buffers[prefix + name] = buffer = grown
            buffer[index] = value

    def on_epoch_end(self, net, **kwargs):
        batches = net.history[-1, "batches"]
        for prefix in ("train_", "valid_"):
            rows = [batch for batch in batches if prefix + "batch_size" in batch]
            sizes = [batch[prefix + "batch_size"] for batch in rows]
            for key, buffer in self._buffers.items():
                if not key.startswith(prefix):
                    continue
                values = buffer[: len(rows)].tolist()  # one synchronisation
                for batch, value in zip(rows, values):
                    batch[key] = value
                mean = sum(value * size for value, size in zip(values, sizes)) / sum(sizes)
                net.history.record(key, mean)
        self._buffers = {}


def _term_names(batches, prefix):
    """Names of the terms recorded in ``batches`` under ``prefix``, skorch's own left out."""
    if not batches:
        return []
    return [
        key[len(prefix) :]
        for key in batches[0]
        if key.startswith(prefix) and key[len(prefix) :] not in SKORCH_BATCH_RECORDS
    ]


class DivergenceCheck(Callback):
    """Stop training with a :class:`DivergenceError` when it diverges.

    After a batch on the CPU (on a GPU, where the losses stay on the device
    until the epoch ends, after the epoch): a NaN or infinite loss. After an
    epoch: a term's mean that
    is not finite, weights that are not, a task loss or a representation
    scale grown by orders of magnitude since the first batch, or what the
    objective's ``diverged`` reports. The epoch's means are those
    :class:`TermMeans` records; without it, only the loss and the weights
    are checked.
    """

    def on_batch_end(self, net, batch=None, training=False, loss=None, terms=None, **kwargs):
        # on a GPU the loss stays a tensor until the epoch ends (reading it
        # would make the CPU wait for the batch): it is checked then
        value = net.history[-1, "batches", -1, "train_loss"] if training else None
        if isinstance(value, float) and not math.isfinite(value):
            _raise(net, _non_finite({**terms, "loss": loss.detach()}))

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        rows = [batch for batch in epoch["batches"] if "train_batch_size" in batch]
        means = {
            name: epoch["train_" + name]
            for name in _term_names(rows, "train_")
            if "train_" + name in epoch
        }
        non_finite_loss = any(not math.isfinite(batch["train_loss"]) for batch in rows)
        problems = (
            _non_finite(means)
            or ({"loss": "became NaN or infinite"} if non_finite_loss else {})
            or _non_finite_weights(net)
            or (means and _blown_up(net.history[0, "batches", 0], means))
            or net.objective_.diverged(means)
        )
        if problems:
            _raise(net, problems)


def _raise(net, problems):
    details = "; ".join(f"{name} {reason}" for name, reason in problems.items())
    raise DivergenceError(
        f"Training diverged in epoch {len(net.history)}: {details}. Lower lr or lam, "
        "standardise X, or change an adversary's gradient_penalty (add one where it is "
        "0; lower it under SGD at a large lr), and refit."
    )


def _non_finite(terms):
    """The terms whose value is NaN or infinite, each with the reason."""
    return {
        name: "became NaN or infinite"
        for name, value in terms.items()
        if not math.isfinite(float(value))
    }


def _non_finite_weights(net):
    """``{"weights": reason}`` when a parameter holds a NaN or infinity, else ``{}``."""
    parameters = [*net.module_.parameters(), *net.objective_.parameters()]
    finite = torch.stack([torch.isfinite(p).all() for p in parameters]).all()
    return {} if finite else {"weights": "became NaN or infinite"}


def _blown_up(first_batch, means):
    """The task loss and representation scale, where they grew by orders of magnitude."""
    problems = {}
    start, now = first_batch["train_task_loss"], means["task_loss"]
    if now > TASK_LOSS_GROWTH_LIMIT * max(start, 1.0):
        problems["task_loss"] = f"grew from {start:.3g} to {now:.3g}"
    start, now = (math.sqrt(first_batch["train_z_mean_square"]), math.sqrt(means["z_mean_square"]))
    if now > REPRESENTATION_GROWTH_LIMIT * max(start, 1.0):
        problems["representation"] = f"scale (root mean square) grew from {start:.3g} to {now:.3g}"
    return problems


class ClosedFormRefit(Callback):
    """After each epoch, fit the network's parts that have a closed form to the training split.

    A network whose ``fits_closed_form`` is true (an
    :class:`~skinvariant.invertible.InvertibleNetwork` with its class-conditional
    block) gets ``fit_closed_form(closed_form_inputs(X), y)`` on all
    training rows.
    """

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        module = net.module_
        if getattr(module, "fits_closed_form", False):
            module.fit_closed_form(
                net.forward_all(dataset_train, module.closed_form_inputs), dataset_train.y
            )


class WeightAveraging(Callback):
    """Predict with an exponential moving average of the network's weights over epochs.

    At the end of every epoch ``average <- decay * average + (1 - decay) *
    weights`` over the network's (``module_``) parameters and buffers, the
    first epoch's weights starting it; at the end of training the network
    takes the average, and its trained weights are kept so that training
    resumes from them (a later ``partial_fit``). ``decay=0`` leaves the
    weights alone. Between trainings both are kept as numpy arrays, so a
    model trained on CUDA unpickles where CUDA is absent.

    Averaging smooths the oscillation of the game between the encoder and
    its critic, which a fresh probe reads in the last epoch's weights (the
    user guide has the measurements). A later callback that loads weights at
    the end of training (``EarlyStopping(load_best=True)``, ``LoadInitState``)
    replaces the average.

    Parameters
    ----------
    decay : float in [0, 1), default=0.0
        Weight of the running average against each epoch's weights.
    """

    def __init__(self, decay=0.0):
        self.decay = decay

    def initialize(self):
        self.average_ = None
        self.trained_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        if self.trained_ is not None:  # resume from the trained weights, not the average
            net.module_.load_state_dict(_tensors(self.trained_))
            self.trained_ = None
        if self.average_ is not None:
            device = next(net.module_.parameters()).device
            self.average_ = {
                name: value.to(device) for name, value in _tensors(self.average_).items()
            }

    def on_epoch_end(self, net, **kwargs):
        if not self.decay:
            return
        weights = net.module_.state_dict()
        if self.average_ is None:
            self.average_ = {name: value.detach().clone() for name, value in weights.items()}
            return
        for name, value in weights.items():
            average = self.average_[name]
            if average.is_floating_point():
                average.lerp_(value.detach(), 1.0 - self.decay)
            else:
                average.copy_(value)

    def on_train_end(self, net, **kwargs):
        if self.average_ is None:
            return
        self.trained_ = _arrays(net.module_.state_dict())
        net.module_.load_state_dict(self.average_)
        self.average_ = _arrays(self.average_)


def _arrays(tensors):
    """``{name: numpy copy}`` of a dict of tensors."""
    return {name: value.detach().cpu().numpy().copy() for name, value in tensors.items()}


def _tensors(arrays):
    """``{name: CPU tensor}`` of a dict of numpy arrays."""
    return {name: torch.from_numpy(value) for name, value in arrays.items()}


class CollapseCheck(Callback):
    """Warn at the end of training when the invariance terms may have pushed the task aside.

    A classifier collapses when its training accuracy is no better than the
    majority rate, or when it predicts some class for less than
    ``PREDICTED_SHARE_FLOOR`` of that class's share of y (a minority class
    dropped, as class imbalance and a large ``lam`` both do); a regressor,
    when its training R^2 is no better than the mean's. Only fits with an
    invariance term weighted by a positive ``lam`` are checked.
    """

    def on_train_end(self, net, X=None, y=None, **kwargs):
        terms, _ = net.active(X.get("sensitive"))
        if net.lam == 0 or not any(term.weight == LAM for term in terms):
            return
        data = net.get_dataset(X, y)
        if not net.classification:
            predictions = net.forward_all(data, lambda x: net.module_.outputs(x)["logits"])
            _warn_if_no_better_than_the_mean(net.lam, predictions, data.y)
            return
        # the predicted class of each row, not its logits: one integer a row
        predicted = net.forward_all(data, lambda x: net.module_.outputs(x)["logits"].argmax(dim=1))
        symptom = _collapse(
            predicted,
            data.y,
            int(torch.maximum(predicted.max(), data.y.max())) + 1,  # unseen classes count 0
            data.inputs.get("sample_weight"),
            net.class_labels,
        )
        if symptom:
            warn_at_caller(
                f"{symptom}. If the classes are imbalanced, weight them: "
                "class_weight='balanced' (or fit(..., sample_weight=w)); the invariance "
                f"weight lam={net.lam:g} may overwhelm the task (lower lam); training may "
                "have stopped too early (raise max_epochs); or X carries nothing about y.",
                CollapseWarning,
            )


def _collapse(predicted, y, n_classes, weight=None, class_labels=None):
    """What shows the classifier collapsed on its training rows, or None.

    Rates are weighted by the rows' sample weights, as the task loss is:
    under ``class_weight="balanced"`` the majority rate is 1 / n_classes.
    """
    weighted = weight is not None
    weight = torch.ones(len(y), device=y.device) if weight is None else weight
    weight = weight.double() / weight.sum()
    true_share = torch.bincount(y, weights=weight, minlength=n_classes)
    predicted_share = torch.bincount(predicted, weights=weight, minlength=n_classes)
    accuracy = float(((predicted == y).double() * weight).sum())
    majority_rate = float(true_share.max())
    if accuracy <= majority_rate + COLLAPSE_MARGIN:
        return (
            f"Training accuracy at the end of training ({accuracy:.3f}) is no better "
            f"than always predicting the majority class ({majority_rate:.3f})"
        )
    ratio = torch.where(true_share > 0, predicted_share / true_share, torch.inf)
    dropped = int(ratio.argmin())
    if ratio[dropped] >= PREDICTED_SHARE_FLOOR:
        return None
    label = dropped if class_labels is None else class_labels[dropped]
    return (
        f"At the end of training the model predicts class {label!r} for "
        f"{float(predicted_share[dropped]):.1%} of the training rows, against "
        f"{float(true_share[dropped]):.1%} in y"
        + (" (shares weighted as the task loss is)" if weighted else "")
    )


def _warn_if_no_better_than_the_mean(lam, predictions, y):
    """Warn when a regression head explains no more of y than its mean does."""
    residual = (predictions - y).pow(2).sum()
    total = (y - y.mean(dim=0)).pow(2).sum()
    if float(total) == 0.0:  # a constant target: its mean is the best prediction
        return
    r2 = float(1 - residual / total)
    if r2 <= COLLAPSE_MARGIN:
        warn_at_caller(
            f"Training R^2 at the end of training ({r2:.3f}) is no better than "
            f"always predicting the mean of y (0): the invariance weight "
            f"lam={lam:g} may overwhelm the task (lower lam), training may have "
            "stopped too early (raise max_epochs), or X carries nothing about y.",
            CollapseWarning,
        )
