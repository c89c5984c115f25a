"""Does a BudgetSearchCV budget hold on rows the search never saw? (issue 22, item 3)

For each test task of the suite, seed and budget, ``BudgetSearchCV`` (3-fold,
on the training rows only) picks IIDMClassifier's ``lam``; the refitted model
is then measured on the task's held-out rows: its demographic parity
difference, the strongest fresh probe's balanced accuracy on its
representation (probes trained on the training rows' ``transform``), and its
accuracy. A case holds when the held-out measure is within the budget (plus
0.01 for DP, as the issue allows). Settings as the suite's ``--quick``
(1,200 synthetic rows, a 2,400-row Adult subsample, 20 epochs).

Writes benchmarks/results/suite_budget.{csv,md}; rows are rewritten after every
case, so a stopped run keeps what it measured.

Run: python benchmarks/suite/budget.py [--tasks NAME ...] [--seeds 0 1 2]
[--lams 0 0.3 1 3 10 30]
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite_run  # noqa: E402

from skinvariant import IIDMClassifier  # noqa: E402
from skinvariant.exceptions import BudgetNotMetWarning  # noqa: E402
from skinvariant.metrics import demographic_parity_difference, sensitive_leakage  # noqa: E402
from skinvariant.model_selection import BudgetSearchCV  # noqa: E402

BUDGETS = {
    "dp_0.02": {"demographic_parity_difference": 0.02},
    "dp_0.05": {"demographic_parity_difference": 0.05},
    "leakage_0.55": {"leakage": 0.55},
}
DP_TOLERANCE = 0.01
TASKS = ("linear_10_mixed", "rings_3", "intersectional", "adult")


def one_case(name, seed, budget_name, lams):
    X, y, s = suite_run.task_data(name, seed, quick=True)
    X_train, X_test, y_train, y_test, s_train, s_test = suite_run.split(name, X, y, s, seed)
    search = BudgetSearchCV(
        IIDMClassifier(max_epochs=suite_run.QUICK_EPOCHS, random_state=seed),
        BUDGETS[budget_name],
        lams=lams,
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BudgetNotMetWarning)  # read from budget_met_
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X_train, y_train, sensitive=s_train)
    unmet = not search.budget_met_
    model = search.best_estimator_
    y_pred = model.predict(X_test)
    ((measure, bound),) = BUDGETS[budget_name].items()
    if measure == "leakage":
        value = sensitive_leakage(
            model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
        ).balanced_accuracy
        holds = value <= bound
    else:
        value = demographic_parity_difference(y_test, y_pred, sensitive=s_test)
        holds = value <= bound + DP_TOLERANCE
    return {
        "task": name,
        "seed": seed,
        "budget": budget_name,
        "lam": search.best_params_[next(iter(search.best_params_))],
        "budget_met_in_cv": not unmet,
        "held_out_value": float(value),
        "holds": bool(holds),
        "accuracy": float(np.mean(y_pred == y_test)),
        "seconds": time.perf_counter() - start,
    }


def summary(rows):
    frame = pd.DataFrame(rows)
    lines = [
        "# BudgetSearchCV on the suite's test tasks (IIDMClassifier, quick settings)",
        "",
        f"{len(frame)} (task, seed, budget) cases; the budget holds on the held-out rows in "
        f"{int(frame.holds.sum())} ({frame.holds.mean():.0%}); the search itself found no "
        f"lam meeting the budget in cross-validation in {int((~frame.budget_met_in_cv).sum())}.",
        "",
        frame.round(3).to_markdown(index=False),
        "",
        "Per budget:",
        "",
        frame.groupby("budget")
        .agg(cases=("holds", "size"), holds=("holds", "mean"), accuracy=("accuracy", "mean"))
        .round(3)
        .to_markdown(),
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--lams", nargs="+", type=float, default=[0.0, 0.3, 1.0, 3.0, 10.0, 30.0])
    args = parser.parse_args()
    rows, out = [], os.path.join(suite_run.RESULTS, "suite_budget")
    for seed in args.seeds:
        for name in args.tasks:
            for budget_name in BUDGETS:
                rows.append(one_case(name, seed, budget_name, args.lams))
                print(rows[-1], flush=True)
                pd.DataFrame(rows).to_csv(out + ".csv", index=False)
                with open(out + ".md", "w") as handle:
                    handle.write(summary(rows))


if __name__ == "__main__":
    main()
