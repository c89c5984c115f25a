"""Does a BudgetSearchCV budget hold on rows the search never saw? (issue 22, item 3)

For each test task of the suite, seed and budget, ``BudgetSearchCV`` (3-fold,
on the training rows only) picks IIDMClassifier's ``lam`` (``--estimator``:
another of the suite's estimators); the refitted model
is then measured on the task's held-out rows: its demographic parity
difference, the strongest fresh probe's balanced accuracy on its
representation (probes trained on the training rows' ``transform``), and its
accuracy. A case holds when the held-out measure is within the budget (plus
0.01 for DP, as the issue allows). By default the settings are the suite's
``--quick`` ones (1,200 synthetic rows, a 2,400-row Adult subsample, 20
epochs, lams 0 0.3 1 3 10 30); ``--rows``, ``--adult-rows`` and ``--epochs``
change the sizes, ``--class-grid`` searches the estimator's own ``lam_grid``
(``lams=None``).

Beside each case: ``cv_value``, the chosen lam's cross-validated measure;
``dp_boot_sd``, the bootstrap standard deviation (200 resamples of the
held-out rows) of the chosen model's held-out DP, i.e. the sampling noise of
the number that is checked (DP budgets only); ``lam0_dp``, the held-out DP of
the same network at lam=0 fitted on the training rows (once per task and seed);
``cv_noise_floor``, the search's ``noise_floor_`` (DP budgets: the DP a blind
predictor measures by chance on its held-out folds; a budget below it draws a
``BudgetBelowNoiseWarning``); ``budget_met_in_cv``, whether some lam met the
budget in cross-validation; ``budget_met``, the search's ``budget_met_``;
``retried_lams``, the lams whose first refit broke a DP budget on its own
training rows unlike its folds and was refitted with another seed (its
``cv_results_["refit_retried"]``); ``rejected_lams``, those whose second
refit broke it too and were passed over (``cv_results_["refit_rejected"]``).
``fresh_dp`` and ``holds_fresh`` (synthetic tasks, DP budgets): the same check
on a fresh draw of ``--fresh-rows`` rows (default 100,000) from the task's
generator with another seed (``seed + FRESH_SEED_OFFSET``), rows the search
never saw either, where a predictor independent of s measures a DP of about
0.01 even on 10 groups: the held-out rows (2,000 at the registered size) read
such a predictor's DP at 0.03-0.11 by chance (``dp_floor``), so there a DP
budget of 0.02-0.05 can hold only for a near-constant predictor. Adult has no
more rows: its ``holds_fresh`` is its held-out ``holds``.
``--summary-only`` rewrites the .md from the .csv and adds each task's DP
floor: the DP that a predictor independent of s measures at the held-out and
the CV folds' group sizes (its true DP is 0; see ``dp_floor``).

Writes benchmarks/results/<out>.{csv,md} (``--out``, default suite_budget);
rows are rewritten after every case, so a stopped run keeps what it measured.

Run: python benchmarks/suite/budget.py [--tasks NAME ...] [--seeds 0 1 2] [--budgets dp_0.02 ...]
[--lams 0 0.3 1 3 10 30 | --class-grid] [--rows N] [--adult-rows N]
[--epochs E] [--set PARAM=VALUE ...] [--out PREFIX] [--summary-only]
"""

import argparse
import functools
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite_run  # noqa: E402
import tasks as suite  # noqa: E402

from skinvariant.exceptions import BudgetBelowNoiseWarning, BudgetNotMetWarning  # noqa: E402
from skinvariant.metrics import (  # noqa: E402
    demographic_parity_difference,
    parity_noise_floor,
    sensitive_leakage,
)
from skinvariant.model_selection import BudgetSearchCV  # noqa: E402

BUDGETS = {
    "dp_0.02": {"demographic_parity_difference": 0.02},
    "dp_0.05": {"demographic_parity_difference": 0.05},
    "leakage_0.55": {"leakage": 0.55},
}
DP_TOLERANCE = 0.01
TASKS = suite.TEST_TASKS
QUICK_LAMS = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0)
N_BOOTSTRAP = 200
N_FLOOR_DRAWS = 20000
FRESH_ROWS = 100_000
FRESH_SEED_OFFSET = 1000


@functools.cache
def case_data(name, seed, rows, adult_rows):
    """The task's split; the quick sizes unless ``rows`` / ``adult_rows`` is given."""
    if rows is None and adult_rows is None:
        X, y, s = suite_run.task_data(name, seed, quick=True)
    else:
        generator, params, _ = suite.TASKS[name]
        params = dict(params)
        size = adult_rows if name == "adult" else rows
        if size is None:
            size = suite_run.QUICK_ROWS.get(name, suite_run.QUICK_SYNTHETIC_ROWS)
        params["n_samples"] = size
        X, y, s = generator(**params, random_state=seed)
        X = X.astype(np.float32)
    return tuple(suite_run.split(name, X, y, s, seed))


@functools.cache
def fresh_data(name, seed, rows, fresh_rows):
    """A new draw of ``fresh_rows`` rows of the instance the case trains on (None for a table).

    The rows come from another seed; a task whose instance is itself drawn
    (``make_linear_groups``' means and rotation) keeps the case's instance.
    """
    generator, params, _ = suite.TASKS[name]
    if name in ("adult", "german") or not fresh_rows:
        return None
    params = dict(params)
    if generator is suite.make_linear_groups:
        size = rows or suite_run.QUICK_SYNTHETIC_ROWS
        params["structure"] = suite.linear_groups_structure(
            **{**params, "n_samples": size}, random_state=seed
        )
    params["n_samples"] = fresh_rows
    X, y, s = generator(**params, random_state=seed + FRESH_SEED_OFFSET)
    return X.astype(np.float32), y, s


def dp_bootstrap_sd(y_test, y_pred, s_test, seed):
    """Standard deviation of the held-out DP over bootstrap resamples of the held-out rows."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(N_BOOTSTRAP):
        rows = rng.integers(0, len(y_test), len(y_test))
        values.append(
            demographic_parity_difference(y_test[rows], y_pred[rows], sensitive=s_test[rows])
        )
    return float(np.std(values))


def dp_floor(name, seed, rows, adult_rows, n_folds=3):
    """``parity_noise_floor`` on the held-out rows and on a CV fold's worth of training rows.

    The floor is the mean DP of a predictor that says 1 at the rows' positive
    rate whatever the row: its true DP is 0, so what it measures is sampling
    noise at these group sizes. The fold is a random ``1 / n_folds`` of the
    training rows (seeded), the size of one of BudgetSearchCV's held-out folds.
    """
    _, _, y_train, y_test, s_train, s_test = case_data(name, seed, rows, adult_rows)
    fold = np.random.default_rng(seed).permutation(len(y_train))[: len(y_train) // n_folds]
    return [
        parity_noise_floor(y_test, sensitive=s_test, n_draws=N_FLOOR_DRAWS),
        parity_noise_floor(y_train[fold], sensitive=s_train[fold], n_draws=N_FLOOR_DRAWS),
    ]


def build(estimator, options, **params):
    """The suite's ``estimator`` with ``options`` (pairs from ``--set``) and ``params``."""
    return suite_run.ESTIMATORS[estimator](**dict(options), **params)


@functools.cache
def lam0_dp(name, seed, rows, adult_rows, epochs, estimator="IIDM", options=()):
    """Held-out DP of the estimator at lam=0 fitted on the training rows."""
    X_train, X_test, y_train, y_test, s_train, s_test = case_data(name, seed, rows, adult_rows)
    model = build(estimator, options, lam=0.0, max_epochs=epochs, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X_train, y_train, sensitive=s_train)
    return float(demographic_parity_difference(y_test, model.predict(X_test), sensitive=s_test))


def measured(model, name, seed, budget_name, rows, adult_rows, fresh_rows):
    """The budget's measure of ``model`` on the held-out rows and, for DP, on fresh rows."""
    X_train, X_test, y_train, y_test, s_train, s_test = case_data(name, seed, rows, adult_rows)
    y_pred = model.predict(X_test)
    ((measure, bound),) = BUDGETS[budget_name].items()
    if measure == "leakage":
        value = sensitive_leakage(
            model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
        ).balanced_accuracy
        holds = holds_fresh = value <= bound
        boot_sd = fresh_dp = np.nan
    else:
        value = demographic_parity_difference(y_test, y_pred, sensitive=s_test)
        holds = value <= bound + DP_TOLERANCE
        boot_sd = dp_bootstrap_sd(y_test, y_pred, s_test, seed)
        fresh = fresh_data(name, seed, rows, fresh_rows)
        if fresh is not None:
            X_fresh, y_fresh, s_fresh = fresh
            fresh_dp = demographic_parity_difference(
                y_fresh, model.predict(X_fresh), sensitive=s_fresh
            )
            holds_fresh = fresh_dp <= bound + DP_TOLERANCE
        else:
            fresh_dp, holds_fresh = np.nan, holds
    return {
        "held_out_value": float(value),
        "holds": bool(holds),
        "fresh_dp": float(fresh_dp),
        "holds_fresh": bool(holds_fresh),
        "accuracy": float(np.mean(y_pred == y_test)),
        "dp_boot_sd": boot_sd,
    }


def one_case(
    name,
    seed,
    budget_name,
    lams,
    rows=None,
    adult_rows=None,
    epochs=None,
    fresh_rows=FRESH_ROWS,
    estimator="IIDM",
    options=(),
):
    epochs = suite_run.QUICK_EPOCHS if epochs is None else epochs
    X_train, X_test, y_train, y_test, s_train, s_test = case_data(name, seed, rows, adult_rows)
    search = BudgetSearchCV(
        build(estimator, options, max_epochs=epochs, random_state=seed),
        BUDGETS[budget_name],
        lams=lams,
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BudgetNotMetWarning)  # read from budget_met_
        warnings.simplefilter("ignore", BudgetBelowNoiseWarning)  # read from noise_floor_
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X_train, y_train, sensitive=s_train)
    seconds = time.perf_counter() - start
    ((measure, _),) = BUDGETS[budget_name].items()
    ((param, lam),) = search.best_params_.items()
    return {
        "task": name,
        "estimator": estimator,
        "seed": seed,
        "budget": budget_name,
        "n_train": len(y_train),
        "n_test": len(y_test),
        "lam": lam,
        "budget_met_in_cv": bool(search.cv_results_["meets_budget"].any()),
        "budget_met": search.budget_met_,
        **{
            f"{flag}_lams": " ".join(
                f"{value:g}"
                for value, flagged in zip(
                    search.cv_results_[f"param_{param}"], search.cv_results_[f"refit_{flag}"]
                )
                if flagged
            )
            for flag in ("retried", "rejected")
        },
        "cv_value": float(search.cv_results_[f"mean_test_{measure}"][search.best_index_]),
        "cv_noise_floor": search.noise_floor_.get(measure, np.nan),
        **measured(search.best_estimator_, name, seed, budget_name, rows, adult_rows, fresh_rows),
        "lam0_dp": lam0_dp(name, seed, rows, adult_rows, epochs, estimator, options),
        "seconds": seconds,
    }


def summary(rows, settings="quick settings", floors=None):
    frame = pd.DataFrame(rows)
    fresh = "holds_fresh" in frame  # absent from runs made before the fresh draw
    met = frame[frame.budget_met_in_cv]
    kept = frame[frame.budget_met] if "budget_met" in frame else None
    lines = [
        f"# BudgetSearchCV on the suite's tasks ({settings})",
        "",
        f"{len(frame)} (task, seed, budget) cases; the budget holds on the held-out rows in "
        f"{int(frame.holds.sum())} ({frame.holds.mean():.0%}); the search itself found no "
        f"lam meeting the budget in cross-validation in {int((~frame.budget_met_in_cv).sum())}. "
        f"Where cross-validation met it, it held in {int(met.holds.sum())} of {len(met)}."
        + (
            f" Where the search reported it met (``budget_met_``: met in cross-validation and "
            f"the refit kept), it held in {int(kept.holds.sum())} of {len(kept)} "
            f"({int(kept.holds_fresh.sum())} on fresh rows); "
            f"{int(frame.rejected_lams.astype('string').fillna('').ne('').sum())} searches rejected a refit."
            if "budget_met" in frame
            else ""
        )
        + (
            f" On fresh rows (DP budgets of synthetic tasks measured on a new draw of "
            f"{FRESH_ROWS:,} rows; otherwise the held-out check) it holds in "
            f"{int(frame.holds_fresh.sum())} ({frame.holds_fresh.mean():.0%})."
            if fresh
            else ""
        ),
        "",
        frame.round(3).to_markdown(index=False),
        "",
        "Per budget (holds and held_in_cv_met are rates; accuracy the mean):",
        "",
        frame.assign(met_and_held=frame.holds & frame.budget_met_in_cv)
        .groupby("budget")
        .agg(
            cases=("holds", "size"),
            holds=("holds", "mean"),
            **({"holds_fresh": ("holds_fresh", "mean")} if fresh else {}),
            cv_met=("budget_met_in_cv", "sum"),
            held_where_cv_met=("met_and_held", "sum"),
            accuracy=("accuracy", "mean"),
        )
        .round(3)
        .to_markdown(),
        "",
        "Noise of held-out DP: per task, the lam=0 model's held-out DP over the seeds "
        "(mean, standard deviation) and the mean bootstrap SD of the chosen models' held-out DP:",
        "",
        frame.groupby("task", sort=False)
        .agg(
            n_test=("n_test", "first"),
            lam0_dp_mean=("lam0_dp", lambda v: v.groupby(frame.seed).first().mean()),
            lam0_dp_sd=("lam0_dp", lambda v: v.groupby(frame.seed).first().std()),
            dp_boot_sd=("dp_boot_sd", "mean"),
        )
        .round(3)
        .to_markdown(),
        "",
    ]
    if floors:
        lines += [
            "DP floor: the mean DP of a predictor independent of s (true DP 0) at the "
            "held-out and at one CV fold's group sizes (``dp_floor``); a fair model's measured "
            "DP exceeds a DP budget below it, in CV and held out:",
            "",
            pd.DataFrame(floors, index=["held_out_floor", "cv_fold_floor"])
            .T.round(3)
            .to_markdown(),
            "",
        ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budgets", nargs="+", choices=list(BUDGETS), default=list(BUDGETS))
    parser.add_argument(
        "--estimator", default="IIDM", choices=list(suite_run.ESTIMATORS), help="default IIDM"
    )
    grid = parser.add_mutually_exclusive_group()
    grid.add_argument("--lams", nargs="+", type=float, default=list(QUICK_LAMS))
    grid.add_argument(
        "--class-grid",
        action="store_true",
        help="search the estimator's lam_grid (lams=None)",
    )
    parser.add_argument("--rows", type=int, help="synthetic tasks' n_samples (default 1,200)")
    parser.add_argument("--adult-rows", type=int, help="Adult subsample (default 2,400)")
    parser.add_argument("--epochs", type=int, help="max_epochs (default 20)")
    parser.add_argument(
        "--fresh-rows",
        type=int,
        default=FRESH_ROWS,
        help="rows of the fresh draw that checks DP budgets on synthetic tasks (0: none)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=None,
        metavar="PARAM=VALUE",
        help="change the estimator's parameters, e.g. lam_ramp=False",
    )
    parser.add_argument("--out", default="suite_budget", help="results prefix")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="rewrite <out>.md from <out>.csv, with the DP floor of each task (no fits)",
    )
    args = parser.parse_args()
    lams = None if args.class_grid else args.lams
    options = tuple(suite_run.parse_set(args.set).items())
    name = suite_run.ESTIMATORS[args.estimator].__name__ + "".join(
        f" {key}={value}" for key, value in options
    )
    if args.rows is None and args.adult_rows is None and args.epochs is None and lams is not None:
        settings = f"{name}, quick settings"
    else:
        settings = (
            f"{name}, {args.rows or suite_run.QUICK_SYNTHETIC_ROWS} synthetic rows, "
            f"{args.adult_rows or suite_run.QUICK_ROWS['adult']} Adult rows, "
            f"{args.epochs or suite_run.QUICK_EPOCHS} epochs, lams "
            + (f"{name}.lam_grid" if lams is None else " ".join(f"{v:g}" for v in lams))
        )
    rows, out = [], os.path.join(suite_run.RESULTS, args.out)
    if args.summary_only:
        rows = pd.read_csv(out + ".csv").to_dict("records")
        floors = {
            name: dp_floor(name, args.seeds[0], args.rows, args.adult_rows)
            for name in dict.fromkeys(row["task"] for row in rows)
        }
        with open(out + ".md", "w") as handle:
            handle.write(summary(rows, settings, floors))
        return
    for seed in args.seeds:
        for name in args.tasks:
            for budget_name in args.budgets:
                rows.append(
                    one_case(
                        name,
                        seed,
                        budget_name,
                        lams,
                        args.rows,
                        args.adult_rows,
                        args.epochs,
                        args.fresh_rows,
                        args.estimator,
                        options,
                    )
                )
                print(rows[-1], flush=True)
                pd.DataFrame(rows).to_csv(out + ".csv", index=False)
                with open(out + ".md", "w") as handle:
                    handle.write(summary(rows, settings))


if __name__ == "__main__":
    main()
