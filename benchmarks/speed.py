"""Seconds per epoch of skinvariant against a bare torch loop doing the same arithmetic.

On the preprocessed Adult training split (batch 256), three pairs are timed:

* IIDMClassifier (default parameters) against a bare loop with the same
  networks (encoder n_features -> 64 -> ReLU -> 8, linear head 8 -> 2,
  adversary: z standardised over the batch -> 8 -> 100 -> ReLU -> K), RMSprop lr 1e-3 for both optimizers, and
  per batch: 5 adversary steps on the detached z, the centroid update
  (decay 0.7), one encoder/head step on CE(y) + lam * mean KL;
* AdversarialClassifier (AII, default parameters) against the same loop with
  the encoder step on CE(y) + lam * mean log q(s|z);
* IIDMClassifier fitted without sensitive (a plain classifier) against a bare
  encoder/head loop;
* AffinityClassifier (default parameters) against a bare loop with its
  networks (encoder n_features -> 128 -> 128 -> 20, linear head), Adam, and
  the encoder step on CE(y) + lam * affinity (pairwise L1 distances, nearest
  partner of the same class and other group, per-group means). The bare loop
  draws plain shuffled batches; skinvariant's time includes its stratified
  (class, group) sampler.

skinvariant's time per epoch is the ``dur`` column of ``history_``; the bare
loop times each epoch the same way (centroid initialisation and data
conversion happen before the first epoch in both). Each pair runs ``--repeats``
times; the table gives the median over repeats of the median over epochs.

Run: python benchmarks/speed.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from adult_data import adult_split
from torch import nn

from skinvariant import AdversarialClassifier, AffinityClassifier, IIDMClassifier
from skinvariant.exceptions import NoInvarianceWarning

RESULTS = "benchmarks/results/"
BATCH_SIZE = 256
LAM = 1.0
DECAY = 0.7
N_ADVERSARY_STEPS = 5


def mlp(n_inputs, hidden, n_outputs):
    """ReLU MLP with hidden layers ``hidden`` (an int for one layer)."""
    layers, width = [], n_inputs
    for size in np.atleast_1d(hidden).tolist():
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, n_outputs))


class Standardize(nn.Module):
    """Per-batch standardisation, as skinvariant's adversary applies to z."""

    def forward(self, z):
        centered = z - z.mean(dim=0, keepdim=True)
        return centered / (centered.pow(2).mean(dim=0, keepdim=True).sqrt() + 1e-5)


class BareModel:
    """Encoder, head, adversary and their RMSprop optimizers, as skinvariant builds them."""

    def __init__(
        self,
        n_features,
        n_groups,
        with_adversary,
        hidden=64,
        width=8,
        optimizer=torch.optim.RMSprop,
    ):
        self.encoder = mlp(n_features, hidden, width)
        self.head = nn.Linear(width, 2)
        parameters = [*self.encoder.parameters(), *self.head.parameters()]
        self.optimizer = optimizer(parameters, lr=1e-3)
        if with_adversary:
            self.adversary = nn.Sequential(Standardize(), *mlp(8, 100, n_groups))
            self.optimizer_adversary = torch.optim.RMSprop(self.adversary.parameters(), lr=1e-3)

    def adversary_steps(self, x, s):
        """Train the adversary on the detached representation; return it."""
        with torch.no_grad():
            z = self.encoder(x)
        for _ in range(N_ADVERSARY_STEPS):
            self.optimizer_adversary.zero_grad()
            F.cross_entropy(self.adversary(z), s).backward()
            self.optimizer_adversary.step()
        return z

    def encoder_step(self, x, y, penalty=None):
        """One encoder/head step on CE(y) + LAM * penalty(z)."""
        self.optimizer.zero_grad()
        z = self.encoder(x)
        loss = F.cross_entropy(self.head(z), y)
        if penalty is not None:
            loss = loss + LAM * penalty(z)
        loss.backward()
        self.optimizer.step()


def group_mean_logits(adversary, z, s, n_groups):
    """Mean adversary logits of each group in the batch, and which groups are present."""
    logits = adversary(z)
    sums = logits.new_zeros(n_groups, n_groups).index_add_(0, s, logits)
    counts = torch.bincount(s, minlength=n_groups).to(logits.dtype)
    return sums / counts.clamp(min=1)[:, None], counts > 0


def matching_penalty(adversary, centroids, z, s):
    """Mean over samples and other groups j of KL(softmax(c_j) || q(.|z))."""
    log_q = F.log_softmax(adversary(z), dim=1)
    target_log_p = F.log_softmax(centroids, dim=1)
    kl = (target_log_p.exp()[None] * (target_log_p[None] - log_q[:, None, :])).sum(2)
    others = torch.ones_like(kl).scatter_(1, s[:, None], 0.0)
    return ((kl * others).sum(1) / others.sum(1)).mean()


def alternating_penalty(adversary, z, s):
    """Mean log q(s|z): minimising it maximises the adversary's cross-entropy."""
    return F.log_softmax(adversary(z), dim=1).gather(1, s[:, None]).mean()


def affinity_penalty(z, s, y):
    """Mean L1 distance to the nearest partner (same class, other group), per group, / |Y|."""
    allowed = (s[:, None] != s[None, :]) & (y[:, None] == y[None, :])
    with torch.no_grad():
        nearest = torch.cdist(z, z, p=1).masked_fill(~allowed, torch.inf).argmin(dim=1)
    paired = allowed.any(dim=1)
    distances, groups = (z - z[nearest]).abs().sum(dim=1)[paired], s[paired]
    return torch.stack([distances[groups == g].mean() for g in groups.unique()]).mean() / 2


def batches(n_rows):
    """Row indices of the shuffled batches of one epoch."""
    order = torch.randperm(n_rows)
    return [order[start : start + BATCH_SIZE] for start in range(0, n_rows, BATCH_SIZE)]


def bare_epochs(kind, x, y, s, n_epochs):
    """Train the bare loop of ``kind`` ("iidm", "aii", "plain"); return seconds per epoch."""
    n_groups = int(s.max()) + 1
    if kind == "affinity":
        model = BareModel(
            x.shape[1], n_groups, False, hidden=(128, 128), width=20, optimizer=torch.optim.Adam
        )
    else:
        model = BareModel(x.shape[1], n_groups, with_adversary=kind != "plain")
    if kind == "iidm":
        with torch.no_grad():
            centroids, _ = group_mean_logits(model.adversary, model.encoder(x), s, n_groups)
    durations = []
    for _ in range(n_epochs):
        start = time.perf_counter()
        for rows in batches(len(x)):
            xb, yb, sb = x[rows], y[rows], s[rows]
            if kind == "plain":
                model.encoder_step(xb, yb)
                continue
            if kind == "affinity":
                model.encoder_step(xb, yb, lambda z: affinity_penalty(z, sb, yb))
                continue
            z = model.adversary_steps(xb, sb)
            if kind == "aii":
                model.encoder_step(xb, yb, lambda z: alternating_penalty(model.adversary, z, sb))
                continue
            with torch.no_grad():
                means, present = group_mean_logits(model.adversary, z, sb, n_groups)
                moved = DECAY * centroids + (1 - DECAY) * means
                centroids = torch.where(present[:, None], moved, centroids)
            model.encoder_step(
                xb, yb, lambda z: matching_penalty(model.adversary, centroids, z, sb)
            )
        durations.append(time.perf_counter() - start)
    return durations


def skinvariant_epochs(kind, X, y, s, n_epochs):
    """Fit the skinvariant estimator of ``kind``; return its seconds per epoch."""
    options = dict(batch_size=BATCH_SIZE, max_epochs=n_epochs, random_state=0)
    if kind == "aii":
        model = AdversarialClassifier(**options).fit(X, y, sensitive=s)
    elif kind == "iidm":
        model = IIDMClassifier(**options).fit(X, y, sensitive=s)
    elif kind == "affinity":
        model = AffinityClassifier(lam=LAM, **options).fit(X, y, sensitive=s)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoInvarianceWarning)
            model = IIDMClassifier(**options).fit(X, y)
    return list(model.history_[:, "dur"])


def time_pairs(n_epochs, n_repeats):
    """Median seconds per epoch of each (kind, implementation) over the repeats."""
    X, _, y, _, s, _ = adult_split()
    s_codes = np.unique(s, return_inverse=True)[1]
    tensors = torch.tensor(X), torch.tensor(y), torch.tensor(s_codes)
    rows = []
    for repeat in range(n_repeats):
        for kind in ("iidm", "aii", "plain", "affinity"):
            torch.manual_seed(repeat)
            skin = statistics.median(skinvariant_epochs(kind, X, y, s, n_epochs))
            bare = statistics.median(bare_epochs(kind, *tensors, n_epochs))
            rows.append({"kind": kind, "repeat": repeat, "skinvariant": skin, "bare": bare})
            print(
                f"repeat {repeat} {kind}: skinvariant {skin:.3f} s, bare {bare:.3f} s", flush=True
            )
    return pd.DataFrame(rows)


def summarize(runs):
    """Median over repeats, and the ratio skinvariant / bare."""
    names = {
        "iidm": "IIDMClassifier",
        "aii": "AdversarialClassifier (AII)",
        "plain": "IIDMClassifier, no sensitive (plain MLP)",
        "affinity": "AffinityClassifier",
    }
    summary = runs.groupby("kind", sort=False)[["skinvariant", "bare"]].median()
    summary["ratio"] = summary.skinvariant / summary.bare
    summary.index = [names[kind] for kind in summary.index]
    return summary


def machine_info():
    """CPU count, torch version and threads, as markdown bullet lines."""
    return (
        f"- CPU: {os.cpu_count()} cores ({platform.processor() or platform.machine()})\n"
        f"- Python {platform.python_version()}, torch {torch.__version__}, "
        f"torch threads {torch.get_num_threads()}\n"
    )


def write_markdown(summary, n_epochs, n_repeats, path):
    """Write the table, the command and the machine to ``path``."""
    table = summary.to_markdown(floatfmt=".3f")  # needs the tabulate package
    command = "python " + " ".join(sys.argv)
    text = (
        f"# Seconds per epoch, Adult train split (batch {BATCH_SIZE})\n\n"
        f"Median over {n_repeats} repeats of the median over {n_epochs} epochs.\n\n"
        f"{table}\n\nCommand: `{command}`\n\n{machine_info()}"
    )
    with open(path, "w") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 repeat")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_epochs, n_repeats = (2, 1) if args.quick else (5, 3)
    runs = time_pairs(n_epochs, n_repeats)
    prefix = RESULTS + ("speed_quick" if args.quick else "speed")
    runs.to_csv(prefix + "_runs.csv", index=False)
    summary = summarize(runs)
    write_markdown(summary, n_epochs, n_repeats, prefix + ".md")
    print(summary.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
