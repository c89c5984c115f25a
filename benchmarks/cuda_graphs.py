"""Seconds per epoch on a GPU: eager steps, steps captured in CUDA graphs, a bare captured loop.

On the preprocessed Adult training split (sex as the attribute), for every
classifier at its defaults but ``batch_size`` (256 and 4096) and
``max_epochs``: the seconds per epoch (``history_``'s ``dur``, median of the
epochs after the first) on the CPU of the same machine, on the GPU with
``cuda_graphs=False`` (eager, one launch per kernel) and with the default
``cuda_graphs=True``; and a bare torch loop doing IIDM's arithmetic (encoder
n_features -> 64 -> 2, linear head, adversary z standardised -> 100 -> K, RMSprop
lr 1e-3 in capturable mode, 5 adversary steps, the centroid update, one
encoder/head step), eager and captured whole in one CUDA graph with the batch
gathered inside it from a static index buffer (full batches only). Then
Adult's training rows repeated to 300,000: IIDM at batch 256, eager against
captured, one epoch each, with the peak GPU memory.

Run: python benchmarks/cuda_graphs.py [--out DIR] (needs a CUDA device)
"""

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from adult_data import adult_split
from speed import Standardize, matching_penalty, mlp
from torch import nn

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    IIDMClassifier,
    InvertibleClassifier,
    MINEDebiasedClassifier,
)

ESTIMATORS = [
    IIDMClassifier,
    AdversarialClassifier,
    MINEDebiasedClassifier,
    HSICClassifier,
    AffinityClassifier,
    InvertibleClassifier,
    ContrastiveInvariantClassifier,
]
WARMUP_STEPS = 3


def epoch_seconds(Estimator, X, y, s, *, device, batch_size, max_epochs, cuda_graphs=True):
    """Fit once; the median seconds of the epochs after the first, and graph replays."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Estimator(
            max_epochs=max_epochs,
            batch_size=batch_size,
            device=device,
            cuda_graphs=cuda_graphs,
            random_state=0,
        ).fit(X, y, sensitive=s)
    durations = model.history_[:, "dur"]
    return statistics.median(durations[1:]), model.net_.graph_replays_, model.score(X, y)


class BareIIDM:
    """IIDM's networks, optimizers and step in plain torch, written for static shapes."""

    def __init__(self, n_features, n_groups, device):
        self.encoder = mlp(n_features, 64, 2).to(device)
        self.head = nn.Linear(2, 2).to(device)
        self.adversary = nn.Sequential(Standardize(), *mlp(2, 100, n_groups)).to(device)
        encoder_parameters = [*self.encoder.parameters(), *self.head.parameters()]
        self.optimizer = torch.optim.RMSprop(encoder_parameters, lr=1e-3, capturable=True)
        self.optimizer_adversary = torch.optim.RMSprop(
            self.adversary.parameters(), lr=1e-3, capturable=True
        )
        self.n_groups = n_groups
        self.centroids = torch.zeros(n_groups, n_groups, device=device)

    def step(self, x, y, s):
        with torch.no_grad():
            z = self.encoder(x)
        for _ in range(5):
            self.optimizer_adversary.zero_grad()
            F.cross_entropy(self.adversary(z), s).backward()
            self.optimizer_adversary.step()
        with torch.no_grad():
            members = F.one_hot(s, self.n_groups).float()
            counts = members.sum(dim=0)
            means = members.T @ self.adversary(z) / counts.clamp(min=1)[:, None]
            moved = 0.7 * self.centroids + 0.3 * means
            self.centroids.copy_(torch.where(counts[:, None] > 0, moved, self.centroids))
        self.optimizer.zero_grad()
        z = self.encoder(x)
        loss = F.cross_entropy(self.head(z), y) + matching_penalty(
            self.adversary, self.centroids, z, s
        )
        loss.backward()
        self.optimizer.step()
        return loss


def bare_epoch_seconds(x, y, s, batch_size, n_epochs, captured):
    """Seconds per epoch (median after the first) of the bare loop, full batches only."""
    model = BareIIDM(x.shape[1], int(s.max()) + 1, x.device)
    index = torch.zeros(batch_size, dtype=torch.long, device=x.device)
    graph = None
    durations = []
    for _ in range(n_epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(len(x), device=x.device)
        for batch, first in enumerate(range(0, len(x) - batch_size + 1, batch_size)):
            index.copy_(order[first : first + batch_size])
            if not captured or batch < WARMUP_STEPS and graph is None:
                model.step(x[index], y[index], s[index])
                continue
            if graph is None:
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    model.step(x[index], y[index], s[index])
            graph.replay()
        torch.cuda.synchronize()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations[1:])


def large_run(X, y, s, n_rows, cuda_graphs):
    """IIDM on ``n_rows`` repeated Adult rows, batch 256, one epoch: seconds and peak GiB."""
    repeats = -(-n_rows // len(X))
    X_large, y_large, s_large = (np.concatenate([a] * repeats)[:n_rows] for a in (X, y, s))
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = IIDMClassifier(
            max_epochs=1, batch_size=256, device="cuda", cuda_graphs=cuda_graphs, random_state=0
        ).fit(X_large, y_large, sensitive=s_large)
    return model.history_[-1, "dur"], torch.cuda.max_memory_allocated() / 2**30


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--estimators", nargs="*", help="class names to time (default: every classifier)"
    )
    parser.add_argument("--large-rows", type=int, default=300_000, help="0 skips the large run")
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[256, 4096])
    args = parser.parse_args()
    estimators = [E for E in ESTIMATORS if not args.estimators or E.__name__ in args.estimators]
    assert torch.cuda.is_available(), "this benchmark needs a CUDA device"
    X, _, y, _, s, _ = adult_split(0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = []
    for batch_size in args.batch_sizes:
        epochs = args.epochs if batch_size == 256 else args.epochs + 2
        for Estimator in estimators:
            for label, device, graphs in (
                ("cpu", "cpu", False),
                ("gpu eager", "cuda", False),
                ("gpu captured", "cuda", True),
            ):
                if device == "cpu" and batch_size != 256:
                    continue
                try:
                    seconds, replays, score = epoch_seconds(
                        Estimator,
                        X,
                        y,
                        s,
                        device=device,
                        batch_size=batch_size,
                        max_epochs=epochs,
                        cuda_graphs=graphs,
                    )
                except Exception as error:  # noqa: BLE001 - recorded in the table
                    seconds, replays, score = float("nan"), 0, float("nan")
                    print(f"{Estimator.__name__} {label} {batch_size}: {error!r}", flush=True)
                rows.append(
                    {
                        "estimator": Estimator.__name__,
                        "batch_size": batch_size,
                        "mode": label,
                        "seconds_per_epoch": seconds,
                        "graph_replays": replays,
                        "train_accuracy": score,
                    }
                )
                print(rows[-1], flush=True)
        codes = [np.unique(values, return_inverse=True)[1] for values in (y, s)]
        data = [torch.as_tensor(a, device="cuda") for a in (X, *codes)]
        for captured in (False, True):
            rows.append(
                {
                    "estimator": "bare IIDM loop",
                    "batch_size": batch_size,
                    "mode": "gpu captured" if captured else "gpu eager",
                    "seconds_per_epoch": bare_epoch_seconds(
                        *data, batch_size, args.epochs + 1, captured
                    ),
                }
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    large = []
    for graphs in (False, True) if args.large_rows else ():
        seconds, peak = large_run(X, y, s, args.large_rows, graphs)
        large.append(
            {
                "rows": args.large_rows,
                "cuda_graphs": graphs,
                "seconds_per_epoch": seconds,
                "peak_gib": peak,
            }
        )
        print(large[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "cuda_graphs.csv", index=False)
    pivot = table.pivot_table(
        index=["batch_size", "estimator"], columns="mode", values="seconds_per_epoch"
    )
    bare = pivot.xs("bare IIDM loop", level="estimator")["gpu captured"]
    pivot["captured / bare captured"] = (
        pivot["gpu captured"] / bare.reindex(pivot.index.get_level_values("batch_size")).to_numpy()
    )
    pivot["cpu / captured"] = pivot["cpu"] / pivot["gpu captured"]
    summary = (
        f"python benchmarks/cuda_graphs.py on {torch.cuda.get_device_name()}, torch "
        f"{torch.__version__}: seconds per epoch on Adult's training split ({len(X)} rows)\n\n"
        f"{pivot.round(4).to_string()}\n\nAdult repeated to {args.large_rows} rows, IIDM, batch 256:\n"
        f"{pd.DataFrame(large).round(4).to_string(index=False)}\n"
    )
    (out / "cuda_graphs.txt").write_text(summary)
    print(summary)


if __name__ == "__main__":
    main()
