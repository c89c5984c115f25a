"""Paper 003, Table 3 shape: MINE on Adult (sex) and German (age <= 25), and age as a
continuous attribute on Adult.

For each data set: test accuracy, equal-opportunity difference and the final
mutual-information estimate over a lam grid, beside logistic regression.
Then Adult with age as a continuous sensitive attribute (age stays in X, so
the representation must learn to drop it): a fresh linear probe's held-out
R^2 of age from transform(X) over lam.

Run: python benchmarks/mine_fairness.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from adult_data import preprocessed_split as split
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import cross_val_predict

from skinvariant import MINEDebiasedClassifier
from skinvariant.datasets import load_adult, load_german
from skinvariant.metrics import equal_opportunity_difference

RESULTS = Path(__file__).parent / "results"


def fairness_rows(name, data, lams, max_epochs, seeds):
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test, s_train, s_test = split(*data, seed)
        baseline = LogisticRegression(max_iter=2000).fit(X_train, y_train)
        rows.append(
            evaluate(
                name,
                "logistic regression",
                np.nan,
                seed,
                baseline,
                X_test,
                y_test,
                s_test,
                mi=np.nan,
                seconds=np.nan,
            )
        )
        for lam in lams:
            model = MINEDebiasedClassifier(
                lam=lam, max_epochs=max_epochs, batch_size=256, random_state=seed
            )
            start = time.perf_counter()
            model.fit(X_train, y_train, sensitive=s_train)
            rows.append(
                evaluate(
                    name,
                    "MINE",
                    lam,
                    seed,
                    model,
                    X_test,
                    y_test,
                    s_test,
                    mi=model.mutual_information_,
                    seconds=time.perf_counter() - start,
                )
            )
    return rows


def evaluate(data_name, method, lam, seed, model, X_test, y_test, s_test, mi, seconds):
    y_pred = model.predict(X_test)
    return {
        "data": data_name,
        "method": method,
        "lam": lam,
        "seed": seed,
        "accuracy": np.mean(y_pred == y_test),
        "equal_opportunity_difference": equal_opportunity_difference(
            y_test, y_pred, sensitive=s_test
        ),
        "mutual_information": mi,
        "seconds": seconds,
    }


def continuous_age_rows(lams, max_epochs):
    X, y, _ = load_adult(return_X_y_s=True)
    age = X["age"].to_numpy(dtype=float)
    X_train, X_test, y_train, y_test, age_train, age_test = split(X, y, age, 0)
    rows = []
    for lam in lams:
        # whole years would read as groups under "auto": say the attribute is continuous
        model = MINEDebiasedClassifier(
            lam=lam,
            sensitive_type="continuous",
            max_epochs=max_epochs,
            batch_size=256,
            random_state=0,
        )
        model.fit(X_train, y_train, sensitive=age_train)
        Z_test = model.transform(X_test)
        predicted = cross_val_predict(LinearRegression(), Z_test, age_test, cv=3)
        rows.append(
            {
                "lam": lam,
                "sensitive_type": model.sensitive_type_,
                "accuracy": model.score(X_test, y_test),
                "age_probe_r2": 1 - np.var(age_test - predicted) / np.var(age_test),
                "mutual_information": model.mutual_information_,
            }
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed, two lams, few epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lams = [0.0, 1.0] if args.quick else [0.0, 0.1, 1.0, 10.0]
    adult_epochs, german_epochs = (2, 5) if args.quick else (10, 100)
    german_seeds = [0] if args.quick else [0, 1, 2]
    rows = fairness_rows("adult (sex)", load_adult(return_X_y_s=True), lams, adult_epochs, [0])
    rows += fairness_rows(
        "german (age<=25)", load_german(return_X_y_s=True), lams, german_epochs, german_seeds
    )
    table = (
        pd.DataFrame(rows)
        .groupby(["data", "method", "lam"], dropna=False)[
            ["accuracy", "equal_opportunity_difference", "mutual_information", "seconds"]
        ]
        .mean()
    )
    print(table.round(3).to_string())
    suffix = "_quick" if args.quick else ""
    table.round(4).to_csv(RESULTS / f"mine_fairness{suffix}.csv")
    age = pd.DataFrame(continuous_age_rows(lams, adult_epochs))
    print(age.round(3).to_string(index=False))
    age.round(4).to_csv(RESULTS / f"mine_continuous_age{suffix}.csv", index=False)


if __name__ == "__main__":
    main()
