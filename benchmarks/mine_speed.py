"""MINE's cost and stability against K (statistics-network steps per encoder step).

On the preprocessed Adult training split (batch 256, sex as sensitive, lam=1):
seconds per epoch for MINEDebiasedClassifier at several K beside
IIDMClassifier and AdversarialClassifier at kappa=5, and, as a measure of the
estimate's stability, the spread (standard deviation) of the per-epoch MI
estimate over the last 5 of 10 epochs.

Run: python benchmarks/mine_speed.py [--quick]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from adult_data import adult_split

from skinvariant import AdversarialClassifier, IIDMClassifier, MINEDebiasedClassifier

RESULTS = Path(__file__).parent / "results"


def row(name, model, X, y, s):
    model.fit(X, y, sensitive=s)
    record = {"estimator": name, "seconds_per_epoch": float(np.median(model.history_[:, "dur"]))}
    if isinstance(model, MINEDebiasedClassifier):
        estimates = model.history_[:, "train_mi_estimate"]
        record.update(mi_final=estimates[-1], mi_spread_last5=float(np.std(estimates[-5:])))
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, _, y, _, s, _ = adult_split()
    epochs = 2 if args.quick else 10
    common = dict(lam=1.0, max_epochs=epochs, batch_size=256, random_state=0)
    rows = [
        row(f"MINE K={k}", MINEDebiasedClassifier(n_estimator_steps=k, **common), X, y, s)
        for k in (5, 20, 40)
    ]
    rows.append(row("IIDM kappa=5", IIDMClassifier(**common), X, y, s))
    rows.append(row("AII kappa=5", AdversarialClassifier(**common), X, y, s))
    table = pd.DataFrame(rows).round(4)
    print(table.to_string(index=False))
    table.to_csv(
        RESULTS / ("mine_speed_quick.csv" if args.quick else "mine_speed.csv"), index=False
    )


if __name__ == "__main__":
    main()
