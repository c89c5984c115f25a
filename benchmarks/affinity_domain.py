"""Paper 004, Table 6 shape: few-shot domain adaptation on rotated digits.

Source: upright digits with many labelled samples. Target: the same digits
rotated by 30 or 45 degrees, with only 10 labelled samples per class. The
domain (the angle) is the sensitive attribute: the affinity loss pulls each
target sample towards its nearest source sample of the same class. Images are
split first, so that no image is seen in training (at any angle) and then
tested: 70% of the images train (100 of them, 10 per class, as the labelled
target samples, the rest upright as the source) and 30% test, rotated.

Compared, by accuracy on the rotated test images:

* source only: trained on the upright source alone;
* target only: trained on the 100 labelled target samples alone;
* pooled: source and target together, no affinity loss (lam=0);
* affinity: source and target together with the affinity loss.

Run: python benchmarks/affinity_domain.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skinvariant import AffinityClassifier, NoInvarianceWarning
from skinvariant.datasets import make_rotated_digits

RESULTS = Path(__file__).parent / "results"
SHOTS_PER_CLASS = 10
LAMS = (0.01, 0.1, 1.0, 3.0)


def domains(angle, seed):
    """Source rows, labelled target rows and rotated test rows, split by image."""
    X, y, rotation = make_rotated_digits(angles=(0, angle))
    n_images = len(X) // 2
    images = np.arange(n_images)
    digit = y[:n_images]
    train, test = train_test_split(images, test_size=0.3, stratify=digit, random_state=seed)
    shots = np.concatenate(
        [
            np.random.RandomState(seed).choice(
                train[digit[train] == k], SHOTS_PER_CLASS, replace=False
            )
            for k in range(10)
        ]
    )
    source = np.setdiff1d(train, shots)
    rotated = n_images + np.arange(n_images)  # the rows of the rotated block
    return (
        (X[source], y[source]),
        (X[rotated[shots]], y[rotated[shots]]),
        (X[rotated[test]], y[rotated[test]]),
        rotation,
    )


def fit(X, y, domain, lam, seed, max_epochs):
    model = AffinityClassifier(lam=lam, max_epochs=max_epochs, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoInvarianceWarning)  # single-domain baselines
        start = time.perf_counter()
        model.fit(X, y, sensitive=domain)
    return model, time.perf_counter() - start


def run(angle, seed, max_epochs):
    (X_source, y_source), (X_target, y_target), (X_test, y_test), _ = domains(angle, seed)
    X_pooled = np.vstack([X_source, X_target])
    y_pooled = np.r_[y_source, y_target]
    domain = np.r_[np.zeros(len(y_source), int), np.full(len(y_target), angle)]
    settings = [
        ("source only", X_source, y_source, None, 0.0),
        ("target only", X_target, y_target, None, 0.0),
        ("pooled", X_pooled, y_pooled, domain, 0.0),
    ]
    settings += [(f"affinity lam={lam:g}", X_pooled, y_pooled, domain, lam) for lam in LAMS]
    rows = []
    for name, X, y, sensitive, lam in settings:
        # the small target-only set gets as many steps as the others, not as many epochs
        epochs = max_epochs * (len(X_pooled) // len(X) if name == "target only" else 1)
        model, seconds = fit(X, y, sensitive, lam, seed, epochs)
        rows.append(
            {
                "angle": angle,
                "seed": seed,
                "method": name,
                "target_accuracy": model.score(X_test, y_test),
                "seconds": seconds,
            }
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed, few epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    max_epochs = 5 if args.quick else 50
    runs = pd.DataFrame(
        [row for angle in (30, 45) for seed in seeds for row in run(angle, seed, max_epochs)]
    )
    stem = "affinity_domain_quick" if args.quick else "affinity_domain"
    runs.to_csv(RESULTS / f"{stem}.csv", index=False)
    table = runs.pivot_table(
        index="method", columns="angle", values="target_accuracy", aggfunc=["mean", "std"]
    ).round(3)
    text = (
        f"Accuracy on rotated held-out digits, {SHOTS_PER_CLASS} labelled target "
        f"samples per class, {len(seeds)} seeds\n{table.to_string()}\n"
    )
    print(text)
    (RESULTS / f"{stem}.txt").write_text(text)


if __name__ == "__main__":
    main()
