"""Certified representations on Adult (sex) and German credit (age <= 25).

For FARE's cells (``FARETransformer``) at several fairness weights and tree
sizes, on one-hot columns and with the categorical columns as codes split
into sets of levels (``categorical_features``), and for quantised neural representations (``QuantizedRepresentation``
of IIDM and HSIC, cut by k-means or, at ``lam=10``, by FARE's tree grown on
z: ``cells="fare"``): the held-out accuracy and demographic parity of a
logistic regression and of gradient boosting trained on the cells, and the
certified bound at 95 % on the held-out rows (which no model saw), beside a
logistic regression on the raw features. Every empirical DP must lie under
its bound. Three 70/30 splits (seeds 0-2), each judged alone.

Run: python benchmarks/certified.py [--quick]  (--quick: Adult only, seed 0,
fewer settings; writes certified_quick.*)
"""

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
from adult_data import adult_split, german_split
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skinvariant import FARETransformer, HSICClassifier, IIDMClassifier, QuantizedRepresentation
from skinvariant.metrics import demographic_parity_difference

RESULTS = Path(__file__).parent / "results"
SPLITS = {"adult": adult_split, "german": german_split}
FARE_SETTINGS = [
    (lam, k) for lam in (0.5, 0.8, 0.9, 0.95, 0.99) for k in (2, 4, 8, 16)
]  # (lam, max_leaf_nodes)
QUICK_FARE_SETTINGS = [(lam, k) for lam in (0.8, 0.95) for k in (4, 8)]
NEURAL = {"IIDM": IIDMClassifier, "HSIC": HSICClassifier}
NEURAL_SETTINGS = [(lam, k, "kmeans") for lam in (1.0, 10.0) for k in (4, 8)] + [
    (10.0, k, "fare") for k in (4, 8)
]  # (lam, n_cells, cells)


def downstream_rows(cells, X_train, X_test, y_train, y_test, s_test):
    """Accuracy and DP of the models a user would train on the cells, and the certificate."""
    Z_train, Z_test = cells.transform(X_train), cells.transform(X_test)
    started = time.perf_counter()
    certificate = cells.certify(X_test, sensitive=s_test).demographic_parity
    certify_seconds = time.perf_counter() - started
    row = {
        "n_cells": cells.n_cells_,
        "bound": certificate.bound,
        "empirical_tv": certificate.empirical,
    }
    for name, model in (
        ("logreg", LogisticRegression(max_iter=1000)),
        ("boosting", HistGradientBoostingClassifier(random_state=0)),
    ):
        y_pred = model.fit(Z_train, y_train).predict(Z_test)
        row[f"{name}_accuracy"] = np.mean(y_pred == y_test)
        row[f"{name}_dp"] = demographic_parity_difference(y_test, y_pred, sensitive=s_test)
    row["certify_seconds"] = certify_seconds
    return row


def run(data, seed, fare_settings, neural_settings, max_epochs):
    X_train, X_test, y_train, y_test, s_train, s_test = SPLITS[data](seed)
    raw = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    y_raw = raw.predict(X_test)
    common = {"data": data, "seed": seed}
    rows = [
        {
            **common,
            "method": "logistic regression on X",
            "logreg_accuracy": np.mean(y_raw == y_test),
            "logreg_dp": demographic_parity_difference(y_test, y_raw, sensitive=s_test),
        }
    ]
    ordinal = SPLITS[data](seed, ordinal=True)
    for (lam, max_leaf_nodes), set_splits in itertools.product(fare_settings, (False, True)):
        started = time.perf_counter()
        if set_splits:  # the categorical columns as codes, split into sets of levels
            X_fit, X_held_out, *_, categorical = ordinal
            cells = FARETransformer(
                lam=lam, max_leaf_nodes=max_leaf_nodes, categorical_features=categorical
            )
        else:  # one-hot columns: each split takes one level off
            X_fit, X_held_out = X_train, X_test
            cells = FARETransformer(lam=lam, max_leaf_nodes=max_leaf_nodes)
        cells.fit(X_fit, y_train, sensitive=s_train)
        fit_seconds = time.perf_counter() - started
        rows.append(
            {
                **common,
                "method": "FARE (set splits)" if set_splits else "FARE",
                "lam": lam,
                "setting": f"max_leaf_nodes={max_leaf_nodes}",
                "fit_seconds": fit_seconds,
                **downstream_rows(cells, X_fit, X_held_out, y_train, y_test, s_test),
            }
        )
        print(rows[-1], flush=True)
    for name, estimator_class in NEURAL.items():
        for lam, n_cells, how in neural_settings:
            started = time.perf_counter()
            cells = QuantizedRepresentation(
                estimator_class(lam=lam, max_epochs=max_epochs, random_state=seed),
                n_cells=n_cells,
                cells=how,
                random_state=seed,
            ).fit(X_train, y_train, sensitive=s_train)
            fit_seconds = time.perf_counter() - started
            y_own = cells.estimator_.predict(X_test)
            rows.append(
                {
                    **common,
                    "method": f"{name} quantised" + (" (FARE cells)" if how == "fare" else ""),
                    "lam": lam,
                    "setting": f"n_cells={n_cells}",
                    "fit_seconds": fit_seconds,
                    "unquantised_accuracy": np.mean(y_own == y_test),
                    **downstream_rows(cells, X_train, X_test, y_train, y_test, s_test),
                }
            )
            print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    datasets, seeds = (["adult"], [0]) if quick else (list(SPLITS), [0, 1, 2])
    fare = QUICK_FARE_SETTINGS if quick else FARE_SETTINGS
    neural = [NEURAL_SETTINGS[0], NEURAL_SETTINGS[-1]] if quick else NEURAL_SETTINGS
    rows = [
        row
        for data in datasets
        for seed in seeds
        for row in run(data, seed, fare, neural, max_epochs=10 if quick else 50)
    ]
    table = pd.DataFrame(rows)
    stem = RESULTS / ("certified_quick" if quick else "certified")
    table.to_csv(f"{stem}.csv", index=False)
    report = summary(table)
    with open(f"{stem}.txt", "w") as handle:
        handle.write(report)
    print(report)


def summary(table):
    """Per data set: the better downstream accuracy, its worse DP and the bound, per seed."""
    under = table.dropna(subset=["bound"]).copy()
    under["best_acc"] = under[["logreg_accuracy", "boosting_accuracy"]].max(axis=1)
    under["worst_dp"] = under[["logreg_dp", "boosting_dp"]].max(axis=1)
    lines = [
        "python benchmarks/certified.py: held-out accuracy of the better of logistic regression "
        "and\ngradient boosting on the cells (best_acc), the larger of their DPs (worst_dp), and "
        "the\ncertified DP bound at 95 % on the same held-out rows (bound); seeds "
        f"{', '.join(map(str, sorted(table.seed.unique())))}, each a 70/30 split.",
        f"every downstream DP under its bound: {bool((under.worst_dp <= under.bound).all())}",
    ]
    for data, rows in under.groupby("data", sort=False):
        raw = table[(table.data == data) & (table.method == "logistic regression on X")]
        accuracies = ", ".join(f"{value:.3f}" for value in raw.logreg_accuracy)
        pivot = rows.pivot_table(
            index=["method", "lam", "setting"],
            columns="seed",
            values=["best_acc", "bound", "worst_dp"],
        )
        lines += [
            "",
            f"{data}: logistic regression on the raw features, accuracy per seed [{accuracies}]",
            pivot.round(3).to_string(),
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
