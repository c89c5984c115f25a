"""R^2 against group error gap on UCI Adult's hours per week (sex as sensitive) over lam.

The target is ``hours-per-week`` (1 to 99 hours, a quantity), the features
the other census attributes of ``load_adult`` (income excluded), the
sensitive attribute ``sex``. On a 70/30 split stratified by sex (one-hot
categorical columns, standardised numeric ones), each regressor
(AdversarialRegressor, IIDMRegressor, MINEDebiasedRegressor, HSICRegressor;
batch 256) is fitted for each lam, beside a Ridge regression on the same
features. Reported on the test split:

* ``r2`` and ``mae`` (hours);
* ``group_error_gap``: |MAE of men - MAE of women| (hours),
  ``skinvariant.metrics.group_error_gap``, a group-wise error gap computed
  with fairlearn's MetricFrame;
* ``worst_group_mae``: the MAE of the worse-predicted group
  (``skinvariant.metrics.worst_group_error``, the quantity fairlearn's
  BoundedGroupLoss bounds);
* ``mean_prediction_gap``: |mean prediction for men - for women| (hours),
  the regression analogue of demographic parity (men report about 6 hours
  more per week in the data, so a model that ignores sex narrows it);
* ``leakage``: balanced accuracy of the strongest of sensitive_leakage's
  fresh probes reading sex from transform(X_test) (chance 0.5; for Ridge the
  probes read the preprocessed features).

Run: python benchmarks/regression_lam.py [--quick]  (--quick: two lams, 2 epochs,
writes *_quick.* files)
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from adult_data import make_preprocessor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split

from skinvariant import (
    AdversarialRegressor,
    HSICRegressor,
    IIDMRegressor,
    MINEDebiasedRegressor,
)
from skinvariant.datasets import load_adult
from skinvariant.metrics import group_error_gap, sensitive_leakage, worst_group_error

RESULTS = "benchmarks/results/"
METHODS = {
    "Adversarial": AdversarialRegressor,
    "IIDM": IIDMRegressor,
    "MINE": MINEDebiasedRegressor,
    "HSIC": HSICRegressor,
}
TARGET = "hours-per-week"


def hours_split(random_state=0):
    """Adult with hours per week as target: the preprocessed 70/30 split, stratified by sex."""
    X, _, sex = load_adult(return_X_y_s=True)
    y = X.pop(TARGET).to_numpy(dtype=float)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, sex.to_numpy(), test_size=0.3, stratify=sex, random_state=random_state
    )
    preprocessor = make_preprocessor(X_train).fit(X_train)
    return (
        preprocessor.transform(X_train).astype(np.float32),
        preprocessor.transform(X_test).astype(np.float32),
        y_train,
        y_test,
        s_train,
        s_test,
    )


def evaluate(name, lam, model, Z_test, data, seconds):
    """Return the test measures of a fitted ``model`` as one row."""
    _, X_test, _, y_test, _, s_test = data
    y_pred = model.predict(X_test)
    group_means = pd.Series(y_pred).groupby(s_test).mean()
    return {
        "method": name,
        "lam": lam,
        "r2": r2_score(y_test, y_pred),
        "mae": mean_absolute_error(y_test, y_pred),
        "group_error_gap": group_error_gap(y_test, y_pred, sensitive=s_test),
        "worst_group_mae": worst_group_error(y_test, y_pred, sensitive=s_test),
        "mean_prediction_gap": float(group_means.max() - group_means.min()),
        "leakage": sensitive_leakage(Z_test, s_test).balanced_accuracy,
        "fit_seconds": seconds,
    }


def run_ridge(data):
    """Fit and evaluate the Ridge baseline."""
    X_train, X_test, y_train, _, _, _ = data
    start = time.perf_counter()
    model = Ridge().fit(X_train, y_train)
    return evaluate("Ridge", None, model, X_test, data, time.perf_counter() - start)


def run_invariant(name, lam, max_epochs, data):
    """Fit and evaluate one invariant regressor."""
    X_train, X_test, y_train, _, s_train, _ = data
    model = METHODS[name](lam=lam, batch_size=256, max_epochs=max_epochs, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_train, sensitive=s_train)
    seconds = time.perf_counter() - start
    return evaluate(name, lam, model, model.transform(X_test), data, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two lams, 2 epochs")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    lams, max_epochs = ((0.0, 1.0), 2) if args.quick else ((0.0, 0.1, 1.0, 3.0, 10.0), args.epochs)
    data = hours_split()
    rows = [run_ridge(data)]
    for name in args.methods:
        for lam in lams:
            rows.append(run_invariant(name, lam, max_epochs, data))
            print(
                "{method} lam={lam:g}: R^2 {r2:.3f}, gap {group_error_gap:.2f} h, "
                "leakage {leakage:.3f}, {fit_seconds:.0f} s".format(**rows[-1]),
                flush=True,
            )
    frame = pd.DataFrame(rows)
    prefix = RESULTS + ("regression_lam_quick" if args.quick else "regression_lam")
    frame.to_csv(prefix + ".csv", index=False)
    table = frame.to_string(index=False, float_format="%.3f")
    with open(prefix + ".txt", "w") as handle:
        handle.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
