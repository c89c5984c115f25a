"""MINE's adaptive clipping against none: y accuracy and the strongest fresh probe on s.

On the 3-group blobs toy (3,000 rows, y independent of s, half held out),
seeds 0-2, MINEDebiasedClassifier defaults with 50 epochs. The probe is
``skinvariant.metrics.sensitive_leakage`` (strongest of a linear model,
boosting and an MLP), trained on the training half's representation and
read on the held-out half (``held_out=``); chance is 0.33.

Run: python benchmarks/mine_clipping.py  (about 3 minutes on 2 cores)
"""

import warnings

import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from skinvariant import MINEDebiasedClassifier
from skinvariant.datasets import make_attribute_blobs
from skinvariant.metrics import sensitive_leakage

SETTINGS = [(True, 0.0), (True, 1.0), (True, 10.0), (False, 1.0), (False, 10.0), (False, 100.0)]


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rows = []
    for seed in range(3):
        X, y, s = make_attribute_blobs(3000, n_groups=3, random_state=seed)
        X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
            X, y, s, test_size=0.5, random_state=seed, stratify=s
        )
        for clip, lam in SETTINGS:
            model = MINEDebiasedClassifier(
                lam=lam, adaptive_clipping=clip, max_epochs=50, random_state=seed
            ).fit(X_train, y_train, sensitive=s_train)
            leakage = sensitive_leakage(
                model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
            )
            rows.append(
                {
                    "adaptive_clipping": clip,
                    "lam": lam,
                    "seed": seed,
                    "y_accuracy": model.score(X_test, y_test),
                    "probe_accuracy": leakage.accuracy,
                }
            )
    table = (
        pd.DataFrame(rows)
        .groupby(["adaptive_clipping", "lam"])[["y_accuracy", "probe_accuracy"]]
        .agg(["mean", "std"])
        .round(3)
    )
    print(table.to_string())


if __name__ == "__main__":
    main()
