"""Which settings keep each method's representation unreadable to a fresh probe.

On ``make_attribute_blobs(3000, n_groups=3)`` (y independent of s; half the
rows held out, stratified by s), each method is fitted with its defaults and
with one option changed: for ``AdversarialClassifier`` and
``IIDMClassifier`` the adversary's gradient penalty (``gradient_penalty``),
its steps per encoder step (``n_adversary_steps``) and the kernel term
added to the method's own (``kernel_penalty=1``); for
``HSICClassifier``, ``IIDMClassifier`` and ``MINEDebiasedClassifier`` the
width of z; ``AffinityClassifier`` at its defaults and with the kernel term;
``InvertibleClassifier`` (an adversary on the logits, read by
``transform``) and ``ContrastiveInvariantClassifier`` (``sensitive`` as the
known nuisance factor; ``transform`` gives mu_p) at their defaults. Reported: y
accuracy on the held-out half, and the strongest of
``sensitive_leakage``'s three fresh probes, trained on the training half's
representation and read on the held-out half (``held_out=``; chance 0.33).

Run: python benchmarks/probe_sweep.py [--methods AII IIDM HSIC MINE Invertible Contrastive Affinity]
[--seeds 0 1 2] [--lams 1 10] [--variants NAME ...] [--max-epochs 20 50 100]  (about 20 s per fit on one idle core)
"""

import argparse
import time
import warnings

import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    IIDMClassifier,
    InvertibleClassifier,
    MINEDebiasedClassifier,
)
from skinvariant.datasets import make_attribute_blobs
from skinvariant.metrics import sensitive_leakage

VARIANTS = {
    "AII": (
        AdversarialClassifier,
        {
            "defaults (gradient_penalty=1)": {},
            "gradient_penalty=0": {"gradient_penalty": 0.0},
            "kernel_penalty=1": {"kernel_penalty": 1.0},
            "n_adversary_steps=1": {"n_adversary_steps": 1},
            "n_adversary_steps=10": {"n_adversary_steps": 10},
        },
    ),
    "IIDM": (
        IIDMClassifier,
        {
            "defaults (n_components=2)": {},
            "n_components=8": {"n_components": 8},
            "n_components=8, gradient_penalty=1": {"n_components": 8, "gradient_penalty": 1.0},
            "n_components=8, kernel_penalty=1": {"n_components": 8, "kernel_penalty": 1.0},
            "kernel_penalty=1": {"kernel_penalty": 1.0},
            "n_adversary_steps=1": {"n_adversary_steps": 1},
            "n_adversary_steps=10": {"n_adversary_steps": 10},
        },
    ),
    "HSIC": (
        HSICClassifier,
        {"defaults (n_components=2)": {}, "n_components=8": {"n_components": 8}},
    ),
    "MINE": (
        MINEDebiasedClassifier,
        {"defaults (n_components=2)": {}, "n_components=8": {"n_components": 8}},
    ),
    "Invertible": (InvertibleClassifier, {"defaults": {}}),
    "Contrastive": (ContrastiveInvariantClassifier, {"defaults": {}}),
    "Affinity": (
        AffinityClassifier,
        {
            "defaults": {},
            "kernel_penalty=1": {"kernel_penalty": 1.0},
            "n_adversary_steps=1": {"n_adversary_steps": 1},
            "n_adversary_steps=10": {"n_adversary_steps": 10},
        },
    ),
}


def measure(Estimator, options, lam, seed, data, max_epochs=None):
    """Fit one model; return its held-out y accuracy and the strongest probe's reading."""
    X_train, X_test, y_train, y_test, s_train, s_test = data
    start = time.perf_counter()
    if max_epochs is not None:
        options = {**options, "max_epochs": max_epochs}
    model = Estimator(lam=lam, random_state=seed, **options).fit(
        X_train, y_train, sensitive=s_train
    )
    leakage = sensitive_leakage(
        model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
    )
    return {
        "y_accuracy": model.score(X_test, y_test),
        "probe_accuracy": leakage.accuracy,
        "strongest_probe": leakage.probe,
        "seconds": time.perf_counter() - start,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lams", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument(
        "--variants", nargs="+", default=None, help="run only the variants with these names"
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        nargs="+",
        default=[None],
        help="max_epochs values to sweep (default: each estimator's own)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y, s = make_attribute_blobs(3000, n_groups=3, random_state=0)
    data = train_test_split(X, y, s, test_size=0.5, random_state=0, stratify=s)
    rows = [
        {
            "method": method,
            "variant": variant,
            "lam": lam,
            "seed": seed,
            "max_epochs": epochs or Estimator().max_epochs,
            **measure(Estimator, options, lam, seed, data, epochs),
        }
        for method, (Estimator, variants) in VARIANTS.items()
        if method in args.methods
        for variant, options in variants.items()
        if args.variants is None or variant in args.variants
        for lam in args.lams
        for epochs in args.max_epochs
        for seed in args.seeds
    ]
    runs = pd.DataFrame(rows)
    print(runs.round(3).to_string(index=False))
    summary = runs.groupby(["method", "variant", "lam", "max_epochs"], sort=False)[
        ["y_accuracy", "probe_accuracy"]
    ].agg(["mean", "min", "max"])
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
