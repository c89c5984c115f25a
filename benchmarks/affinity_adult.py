"""Paper 004, Tables 2 and 3 shape: the affinity loss on Adult (sex).

Over a lam grid, beside logistic regression: held-out accuracy, parity gap,
equality gap (TPR) and its TNR twin, and a fresh probe's accuracy reading sex
from transform(X). Then the re-attachment of sex (paper 004 Fig. 4): the
weights w_r and w_z and the accuracies with and without sex, for the plain
and the fair model. Both forms of the loss: partners of the same class
(eq. 3, the default) and of any class (eq. 2). Paper settings: one hidden layer of 128, a 20-unit
representation, batch 512. Three 70/30 splits.

Run: python benchmarks/affinity_adult.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from adult_data import adult_split
from sklearn.linear_model import LogisticRegression

from skinvariant import AffinityClassifier
from skinvariant.metrics import equality_gap, parity_gap, sensitive_leakage

RESULTS = Path(__file__).parent / "results"
LAMS = (0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 5.0, 10.0)


def measures(y_test, y_pred, s_test):
    return {
        "accuracy": np.mean(y_pred == y_test),
        "parity_gap": parity_gap(y_test, y_pred, sensitive=s_test),
        "equality_gap_tpr": equality_gap(y_test, y_pred, sensitive=s_test),
        "equality_gap_tnr": equality_gap(y_test, y_pred, sensitive=s_test, rate="tnr"),
    }


def run_split(seed, lams, max_epochs):
    X_train, X_test, y_train, y_test, s_train, s_test = adult_split(seed)
    baseline = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    rows = [
        {
            "method": "logistic regression",
            "lam": np.nan,
            "seed": seed,
            **measures(y_test, baseline.predict(X_test), s_test),
        }
    ]
    reattached = []
    for same_class, lam in [(same_class, lam) for same_class in (True, False) for lam in lams]:
        model = AffinityClassifier(
            lam=lam,
            same_class=same_class,
            hidden_layer_sizes=(128,),
            batch_size=512,
            max_epochs=max_epochs,
            random_state=seed,
        )
        start = time.perf_counter()
        model.fit(X_train, y_train, sensitive=s_train)
        seconds = time.perf_counter() - start
        method = "affinity, same class (eq. 3)" if same_class else "affinity, any class (eq. 2)"
        rows.append(
            {
                "method": method,
                "lam": lam,
                "seed": seed,
                **measures(y_test, model.predict(X_test), s_test),
                "probe_accuracy": sensitive_leakage(
                    model.transform(X_test), s_test, random_state=seed
                ).accuracy,
                "seconds": seconds,
            }
        )
        weights = model.reattach_sensitive(X_test, y_test, s_test)
        reattached.append(
            {
                "method": method,
                "lam": lam,
                "seed": seed,
                "w_r": weights.w_r,
                "w_z": weights.w_z[0],
                "group_of_w_z": weights.groups[0],
                "accuracy_without_sex": weights.accuracy_without_sensitive,
                "accuracy_with_sex": weights.accuracy_with_sensitive,
            }
        )
    return rows, reattached


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one split, few epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    max_epochs = 2 if args.quick else 20
    results = [run_split(seed, LAMS, max_epochs) for seed in seeds]
    runs = pd.DataFrame([row for rows, _ in results for row in rows])
    weights = pd.DataFrame([row for _, rows in results for row in rows])
    stem = "affinity_adult_quick" if args.quick else "affinity_adult"
    runs.to_csv(RESULTS / f"{stem}.csv", index=False)
    weights.to_csv(RESULTS / f"{stem}_reattached.csv", index=False)
    columns = [
        "accuracy",
        "parity_gap",
        "equality_gap_tpr",
        "equality_gap_tnr",
        "probe_accuracy",
        "seconds",
    ]
    table = runs.groupby(["method", "lam"], dropna=False)[columns].mean().round(3)
    reattach = (
        weights.groupby(["method", "lam"])[
            ["w_r", "w_z", "accuracy_without_sex", "accuracy_with_sex"]
        ]
        .mean()
        .round(3)
    )
    s_test = adult_split(seeds[0])[5]
    majority = np.unique(s_test, return_counts=True)[1].max() / len(s_test)
    text = (
        f"Adult (sex), test split, mean of {len(seeds)} splits; probe majority rate "
        f"{majority:.3f}\n{table.to_string()}\n\n"
        f"Re-attaching sex (w_z: log-odds for {weights.group_of_w_z[0]!r} against the "
        f"other group; r standardised)\n{reattach.to_string()}\n"
    )
    print(text)
    (RESULTS / f"{stem}.txt").write_text(text)


if __name__ == "__main__":
    main()
