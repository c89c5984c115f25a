"""Data-parallel training over a ``torch.distributed`` process group, as a skorch callback."""

import torch
import torch.distributed as dist
from skorch.callbacks import Callback


class DataParallel(Callback):
    """Train one model on several processes, each taking its share of every batch.

    Every process calls ``fit`` with the same rows, the same estimator and the
    same ``random_state`` (a ``numpy.memmap`` of one file keeps that cheap:
    each process reads only its rows of each batch). Each draws the same
    batches and computes the objective on every ``world_size``-th row of each;
    before every optimizer step the gradients about to be applied (of the
    encoder and head and of each auxiliary network) are averaged over the
    processes in one ``all_reduce``, and after each batch the objective's
    buffers (IIDM's centroids, MINE's moving average) are averaged too, so
    every process holds the same model. This is the arithmetic of
    ``torch.nn.parallel.DistributedDataParallel`` (an average of gradients),
    done from skorch's ``on_grad_computed`` hook: the engine takes several
    backward passes per batch over several networks (the adversary's inner
    steps, clipped terms), which DDP's one-backward-per-forward reducer does
    not follow. What it does not do is overlap communication with the
    backward pass.

    The process group must exist before ``fit``: ``torchrun`` or Ray Train's
    ``TorchTrainer`` set one up, or call
    ``torch.distributed.init_process_group`` (``"gloo"`` on CPUs, ``"nccl"``
    on GPUs). Pass an instance in ``callbacks``::

        model = IIDMClassifier(random_state=0, callbacks=[DataParallel()])
        model.fit(X, y, sensitive=s)          # in every process

    Each process keeps its own ``history_`` (its share of the rows). A
    training that diverges on one process only (an epoch mean is per
    process) stops that process while the others wait at their next
    ``all_reduce``: give ``init_process_group`` a ``timeout``.
    """

    def initialize(self):
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "DataParallel trains over a torch.distributed process group, and none is "
                "initialised: launch with torchrun (or Ray Train) or call "
                "torch.distributed.init_process_group('gloo', ...) before fit; without "
                "several processes, leave DataParallel out of callbacks."
            )
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        rank, world_size = dist.get_rank(), dist.get_world_size()
        rows = torch.tensor([len(y)], dtype=torch.int64)
        most = rows.clone()
        dist.all_reduce(most, op=dist.ReduceOp.MAX)
        dist.all_reduce(rows, op=dist.ReduceOp.MIN)
        if rows.item() != most.item():
            raise ValueError(
                f"DataParallel needs the same rows in every process; process {rank} of "
                f"{world_size} got {len(y)}, others between {rows.item()} and {most.item()}. "
                "Pass each process all the rows (e.g. the same memmap): each trains on its "
                "share of every batch."
            )
        with torch.no_grad():  # start every process from rank 0's weights and buffers
            for tensor in _state(net):
                dist.broadcast(tensor, src=0)
        net.batch_shard_ = (rank, world_size)

    def on_grad_computed(self, net, named_parameters, **kwargs):
        gradients = [
            parameter.grad for _, parameter in named_parameters if parameter.grad is not None
        ]
        if gradients:
            _average(gradients)

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        buffers = list(net.objective_.buffers())
        _average([buffer for buffer in buffers if buffer.is_floating_point()])
        for flag in (buffer for buffer in buffers if buffer.dtype == torch.bool):
            seen = flag.to(torch.uint8)  # a cell seen by any process counts as seen
            dist.all_reduce(seen, op=dist.ReduceOp.MAX)
            flag.copy_(seen.bool())

    def on_train_end(self, net, **kwargs):
        net.__dict__.pop("batch_shard_", None)


def _state(net):
    """Every parameter and buffer of the network, the auxiliary networks and the objective."""
    modules = [net.module_, net.objective_]
    modules += [getattr(net, f"{name}_") for name in net.objective_.networks()]
    return [tensor for module in modules for tensor in (*module.parameters(), *module.buffers())]


@torch.no_grad()
def _average(tensors):
    """Average ``tensors`` in place over the process group, in one all_reduce."""
    if not tensors:
        return
    flat = torch.cat([tensor.reshape(-1) for tensor in tensors])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    start = 0
    for tensor in tensors:
        tensor.copy_(flat[start : start + tensor.numel()].view_as(tensor))
        start += tensor.numel()
