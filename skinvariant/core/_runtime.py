"""Where and how a fit runs: device, optimizer, seeding and torch threads."""

import functools
import os
import threading
from contextlib import contextmanager

import torch

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}


def resolve_device(device):
    """Return the training device for ``device`` ("auto" picks CUDA when available)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available here; use "
            "device='auto' to fall back to the CPU."
        )
    try:
        torch.empty(0, device=resolved)
    except RuntimeError as error:
        raise ValueError(
            f"device={device!r} is not available in this torch build or on "
            "this machine; use device='auto' or 'cpu'."
        ) from error
    return str(resolved)


def resolve_optimizer(optimizer):
    """Return the torch optimizer class (or partial of one) that ``optimizer`` names."""
    optimizer = OPTIMIZERS.get(optimizer, optimizer) if isinstance(optimizer, str) else optimizer
    optimizer_class = optimizer.func if isinstance(optimizer, functools.partial) else optimizer
    if not (
        isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)
    ):
        raise ValueError(
            f"optimizer={optimizer!r} is not a torch optimizer; pass one of {sorted(OPTIMIZERS)}, "
            "a torch.optim.Optimizer subclass, or a functools.partial of one."
        )
    if issubclass(optimizer_class, torch.optim.LBFGS):
        raise ValueError(
            "optimizer=LBFGS needs a closure that re-evaluates the whole loss, which the "
            "alternating steps of an objective with auxiliary networks cannot give; use 'adam' or 'rmsprop'."
        )
    return optimizer


# torch's generator is one per process: fits in threads take turns with it
SEEDED_SECTION = threading.RLock()


@contextmanager
def seeded_torch(seed, device):
    """Seed torch inside a forked RNG state, leaving the caller's RNG untouched.

    The generator is global to the process, so a seed holds only if nothing
    else draws from it meanwhile: fits run in threads of one process (a
    threading joblib backend) take turns here, one at a time, and give the
    models their seeds give alone. Processes (joblib's default) run in
    parallel.
    """
    torch_device = torch.device(device)
    cuda_devices = [torch_device.index or 0] if torch_device.type == "cuda" else []
    with SEEDED_SECTION, torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


# torch's thread count when skinvariant was imported: a different count later
# means the user chose one
TORCH_THREADS_AT_IMPORT = torch.get_num_threads()
THREAD_ENVIRONMENT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def training_threads(device):
    """Train on one torch thread on the CPU, unless the user chose a thread count.

    The default models' small matrix products gain nothing from more threads
    and slow down by orders of magnitude when other processes share the CPUs
    (``benchmarks/threads.py``: a 5-fold ``cross_validate`` on Adult took 8.7 s
    with one or two threads alone, 227 s with two threads beside another job,
    7.7 s with one). A count set with ``torch.set_num_threads`` after
    importing skinvariant, or through ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``
    (as joblib's loky workers do), is left as it is.
    """
    chosen = torch.get_num_threads() != TORCH_THREADS_AT_IMPORT or any(
        name in os.environ for name in THREAD_ENVIRONMENT_VARIABLES
    )
    if torch.device(device).type != "cpu" or chosen:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(TORCH_THREADS_AT_IMPORT)
