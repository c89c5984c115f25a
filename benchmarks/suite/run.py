"""Run skinvariant's invariant classifiers on the task suite (issue 22, item 1).

For each task (``tasks.TASKS``), split seed, estimator and lam, the estimator
is fitted on the training rows and measured on the held-out rows:

* ``accuracy`` of ``predict``;
* the strongest fresh probe of ``transform``:
  ``sensitive_leakage(Z_train, s_train, held_out=(Z_test, s_test))`` (three
  probes, linear, boosted trees and an MLP, trained on the training rows'
  representation, read on the held-out rows): balanced accuracy and AUC
  (one-vs-rest for more than two groups), beside ``chance`` = 1 / n_groups.
  For a continuous s, ``continuous_leakage`` instead: the strongest of three
  regressors' held-out R^2 (``probe_r2``; 0 = unreadable, 1 = determined),
  with chance 0;
* ``dp`` / ``eo``: demographic parity and equalized odds differences of
  ``predict`` (every task's y is binary). For a continuous s they are
  measured against s cut at its training quartiles (4 groups);
* ``down_*``: the worst row of ``metrics.downstream_fairness`` (logistic
  regression, gradient boosting and an MLP trained on ``transform`` of the
  training rows to predict y): lowest accuracy, largest DP and EO gaps
  (same quartile groups for a continuous s).

Estimators: AdversarialClassifier (AII), IIDMClassifier, HSICClassifier,
MINEDebiasedClassifier, AffinityClassifier at their defaults (``--set
PARAM=VALUE`` changes one parameter of every estimator that has it,
``--set IIDM.PARAM=VALUE`` of one estimator only) over their class's ``lam_grid``
(``--lams`` overrides; lam=0 is the same network without the invariance term,
an unconstrained baseline), and HistGradientBoostingClassifier on X
(estimator ``HGB``; its probe and downstream columns read X itself: how
readable s is in the input). Only MINE and HSIC accept a continuous s; the
others skip that task. Every fit has ``random_state=seed``; the synthetic data
are drawn with ``random_state=seed``, Adult's quick subsample too, and the
split (stratified by y and group) uses the seed.

The target (issue 22) on one seed: strongest-probe balanced accuracy within 0.1
of chance (R^2 <= 0.1 for a continuous s) at accuracy within 3 points of the
most accurate unconstrained model of that seed (HGB or any estimator at
lam=0 in the same run). ``summarise`` judges each seed alone.

Writes benchmarks/results/suite_<prefix>.csv (one row per task, seed,
estimator, lam) and suite_<prefix>.md.

Run: python benchmarks/suite/run.py [--quick] [--tasks tuning|test|all|NAME ...]
[--estimators AII IIDM HSIC MINE Affinity HGB] [--seeds 0 1 2] [--lams ...]
[--set PARAM=VALUE ...] [--max-epochs N | --own-epochs] [--out PREFIX]
or: python benchmarks/suite/run.py --from-csv A.csv B.csv ... --out PREFIX (summary only)
(--quick: 1,200 synthetic rows, a 2,400-row Adult subsample, German whole,
max_epochs=20, one seed, lam at positions 0, 3, 5 of each grid:
0, 1, 10, or 0, 0.1, 1 for Affinity; prefix "quick")
"""

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks as suite  # noqa: E402

import skinvariant  # noqa: E402
from skinvariant import (  # noqa: E402
    AdversarialClassifier,
    AffinityClassifier,
    HSICClassifier,
    IIDMClassifier,
    MINEDebiasedClassifier,
)
from skinvariant.metrics import (  # noqa: E402
    continuous_leakage,
    demographic_parity_difference,
    downstream_fairness,
    equalized_odds_difference,
    sensitive_leakage,
)

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results")
ESTIMATORS = {
    "AII": AdversarialClassifier,
    "IIDM": IIDMClassifier,
    "HSIC": HSICClassifier,
    "MINE": MINEDebiasedClassifier,
    "Affinity": AffinityClassifier,
}
CONTINUOUS_OK = ("HSIC", "MINE")
QUICK_ROWS = {"adult": 2400, "german": None}  # synthetic tasks: 1,200 rows
QUICK_SYNTHETIC_ROWS = 1200
QUICK_EPOCHS = 20
QUICK_LAM_POSITIONS = (0, 3, 5)
PROBE_MARGIN, ACCURACY_MARGIN, R2_TARGET = 0.1, 0.03, 0.1


def task_data(name, seed, quick):
    """(X, y, s) of one task for one seed (float32 X)."""
    generator, params, _ = suite.TASKS[name]
    params = dict(params)
    if quick:
        if name in QUICK_ROWS:
            params["n_samples"] = QUICK_ROWS[name]
        else:
            params["n_samples"] = QUICK_SYNTHETIC_ROWS
    X, y, s = generator(**params, random_state=seed)
    return X.astype(np.float32), y, s


def split(name, X, y, s, seed):
    """Held-out split stratified by y and group (y alone for a continuous s)."""
    kind = suite.TASKS[name][2]
    strata = y if kind == "continuous" else y * 1000 + suite.group_codes_of(s)
    return train_test_split(
        X, y, s, test_size=suite.TEST_SIZE[name], stratify=strata, random_state=seed
    )


def parity_groups(kind, s_train, s):
    """The groups the parity measures use: s itself, or quartiles of a continuous s."""
    if kind != "continuous":
        return s
    return np.digitize(s, np.quantile(s_train, [0.25, 0.5, 0.75]))


def measure(kind, data, y_pred, Z):
    """Accuracy, leakage of ``Z`` (train rows -> held-out rows), DP / EO, downstream worst row."""
    X_train, X_test, y_train, y_test, s_train, s_test = data
    row = {"accuracy": float(np.mean(y_pred == y_test))}
    Z_train, Z_test = Z
    if kind == "continuous":
        report = continuous_leakage(Z_train, s_train, held_out=(Z_test, s_test))
        row.update(probe_r2=report.r2, probe=report.probe, chance=0.0)
    else:
        report = sensitive_leakage(Z_train, s_train, held_out=(Z_test, s_test))
        row.update(
            probe_balanced_accuracy=report.balanced_accuracy,
            probe_auc=report.auc,
            probe=report.probe,
            chance=report.chance_balanced_accuracy,
        )
    g_train, g_test = parity_groups(kind, s_train, s_train), parity_groups(kind, s_train, s_test)
    row["dp"] = demographic_parity_difference(y_test, y_pred, sensitive=g_test)
    row["eo"] = equalized_odds_difference(y_test, y_pred, sensitive=g_test)
    worst = downstream_fairness(Z_train, y_train, g_train, Z_test, y_test, g_test).loc["worst"]
    row.update(
        down_accuracy=worst["accuracy"],
        down_dp=worst["demographic_parity_difference"],
        down_eo=worst["equalized_odds_difference"],
    )
    return row


def run_one(name, estimator, lam, seed, data, options, max_epochs):
    """Fit one model on the training rows and measure it on the held-out rows."""
    kind = suite.TASKS[name][2]
    X_train, X_test, y_train, _, s_train, _ = data
    start = time.perf_counter()
    if estimator == "HGB":
        model = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
        Z = (X_train, X_test)
        extra = {}
    else:
        Estimator = ESTIMATORS[estimator]
        defaults = Estimator().get_params()
        params = {key: value for key, value in options.items() if key in defaults}
        params.update(
            {
                key.partition(".")[2]: value
                for key, value in options.items()
                if key.startswith(f"{estimator}.") and key.partition(".")[2] in defaults
            }
        )
        if max_epochs is not None:
            params["max_epochs"] = max_epochs
        model = Estimator(lam=lam, random_state=seed, **params).fit(
            X_train, y_train, sensitive=s_train
        )
        Z = (model.transform(X_train), model.transform(X_test))
        extra = {
            "set": ",".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "max_epochs"),
            "max_epochs": model.max_epochs,
        }
        if kind == "continuous" and getattr(model, "sensitive_type_", None) != "continuous":
            raise RuntimeError(f"{estimator} did not read {name}'s s as continuous")
    fit_seconds = time.perf_counter() - start
    row = measure(kind, data, model.predict(X_test), Z)
    return {
        "task": name,
        "kind": kind,
        "seed": seed,
        "estimator": estimator,
        "lam": np.nan if estimator == "HGB" else lam,
        **extra,
        "n_train": len(X_train),
        "n_test": len(X_test),
        **row,
        "fit_seconds": fit_seconds,
        "seconds": time.perf_counter() - start,
    }


def lam_grid(estimator, lams, quick):
    if estimator == "HGB":
        return [np.nan]
    if lams is not None:
        return list(lams)
    grid = ESTIMATORS[estimator].lam_grid
    return [grid[i] for i in QUICK_LAM_POSITIONS] if quick else list(grid)


def target_flags(runs):
    """Add ``best_unconstrained`` (per task and seed) and ``meets`` (the issue 22 target) to the rows."""
    runs = runs.copy()
    unconstrained = runs[(runs.estimator == "HGB") | (runs.lam == 0)]
    best = unconstrained.groupby(["task", "seed"])["accuracy"].max().rename("best_unconstrained")
    runs = runs.join(best, on=["task", "seed"])
    invariant = np.where(
        runs.kind == "continuous",
        runs.get("probe_r2", pd.Series(np.nan, index=runs.index)) <= R2_TARGET,
        runs.get("probe_balanced_accuracy", pd.Series(np.nan, index=runs.index))
        <= runs.chance + PROBE_MARGIN,
    )
    runs["accurate"] = runs.accuracy >= runs.best_unconstrained - ACCURACY_MARGIN
    runs["invariant"] = invariant
    runs["meets"] = runs.accurate & runs.invariant & (runs.estimator != "HGB")
    return runs


def leakage_column(runs):
    """The probe reading the target uses: balanced accuracy, or R^2 for a continuous s."""
    return np.where(
        runs.kind == "continuous",
        runs.get("probe_r2", np.nan),
        runs.get("probe_balanced_accuracy", np.nan),
    )


def best_per_seed(group):
    """Per seed: the most accurate lam meeting the target, else the least leaky accurate lam."""
    out = []
    for seed, rows in group.groupby("seed"):
        meeting = rows[rows.meets]
        if len(meeting):
            pick, reached = (
                meeting.sort_values(["accuracy", "leak"], ascending=[False, True]).iloc[0],
                True,
            )
        else:
            accurate = rows[rows.accurate]
            pool = accurate if len(accurate) else rows
            pick, reached = (
                pool.sort_values(["leak", "accuracy"], ascending=[True, False]).iloc[0],
                False,
            )
        out.append((seed, reached, pick))
    return out


def fmt(value, digits=3):
    return (
        ""
        if value is None or (isinstance(value, float) and np.isnan(value))
        else f"{value:.{digits}f}"
    )


def summarise(runs, args, wall, skipped):
    runs = target_flags(runs)
    runs["leak"] = leakage_column(runs)
    lines = [
        f"# Task suite: `{' '.join(sys.argv)}`",
        "",
        f"Wall time {wall / 60:.1f} min; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, torch "
        f"{torch.__version__} (one thread), skinvariant {skinvariant.__version__}.",
        f"Tuning tasks: {', '.join(suite.TUNING_TASKS)}. Test tasks: "
        f"{', '.join(suite.TEST_TASKS)}. Run here: {', '.join(runs.task.unique())}.",
        "",
        "Target per seed: strongest-probe balanced accuracy <= chance + 0.1 (continuous s: "
        "held-out R^2 <= 0.1) at accuracy >= that seed's best unconstrained model "
        "(HGB or any estimator at lam=0) - 0.03. `reached` lists the seeds that met it; "
        "`best lam` is per seed the most accurate lam meeting it (marked `*` when none "
        "did: then the least leaky lam within the accuracy margin, or the least leaky "
        "of all when none is accurate enough). `acc` and `probe` are at that lam "
        "(mean over seeds; `±` the std over seeds where there are several). "
        "HGB's probe reads X itself.",
        "",
    ]
    if skipped:
        lines += ["Skipped: " + "; ".join(skipped) + ".", ""]
    lines += [
        "| task | estimator | reached (seeds) | best lam per seed | acc | probe (bal. acc. / R^2) "
        "| chance | probe AUC | DP | EO | downstream worst DP | best unconstrained |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task, task_runs in runs.groupby("task", sort=False):
        for estimator, group in task_runs.groupby("estimator", sort=False):
            picks = best_per_seed(group)
            frame = pd.DataFrame([pick for _, _, pick in picks])
            n = len(picks)
            reached = [str(seed) for seed, ok, _ in picks if ok]
            reached_text = (
                "-"
                if estimator == "HGB"
                else (f"{len(reached)}/{n}" + (f" ({' '.join(reached)})" if reached else ""))
            )
            lam_text = (
                "-"
                if estimator == "HGB"
                else ", ".join(
                    f"{fmt(pick.lam, 2).rstrip('0').rstrip('.')}{'' if ok else '*'}"
                    for _, ok, pick in picks
                )
            )

            def stat(column, frame=frame, n=n):
                values = frame[column].astype(float) if column in frame else pd.Series([np.nan])
                text = fmt(values.mean())
                return text + (f" ± {values.std():.3f}" if n > 1 and text else "")

            lines.append(
                f"| {task} | {estimator} | "
                f"{reached_text} | {lam_text} | {stat('accuracy')} | {stat('leak')} | {fmt(frame.chance.mean(), 2)} "
                f"| {stat('probe_auc') if 'probe_auc' in frame else ''} | {stat('dp')} | "
                f"{stat('eo')} | {stat('down_dp')} | {fmt(frame.best_unconstrained.mean())} |"
            )
    lines += [
        "",
        "## Every lam (mean over seeds)",
        "",
        "| task | estimator | lam | acc | probe | probe AUC | DP | EO | downstream worst acc "
        "| downstream worst DP | downstream worst EO | met on | fit s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    columns = [
        "accuracy",
        "leak",
        "probe_auc",
        "dp",
        "eo",
        "down_accuracy",
        "down_dp",
        "down_eo",
        "fit_seconds",
    ]
    for column in columns:
        if column not in runs:
            runs[column] = np.nan
    table = runs.groupby(["task", "estimator", "lam"], sort=False, dropna=False).agg(
        {**{column: "mean" for column in columns}, "meets": "sum", "seed": "count"}
    )
    for (task, estimator, lam), row in table.iterrows():
        lines.append(
            f"| {task} | {estimator} | {'' if np.isnan(lam) else f'{lam:g}'} | "
            + " | ".join(fmt(row[c]) for c in columns[:-1])
            + f" | {int(row.meets)}/{int(row.seed)} | {row.fit_seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


def parse_set(pairs):
    options = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if value in ("True", "False"):
            options[key] = value == "True"
            continue
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                continue
        options[key] = value
    return options


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--tasks", nargs="+", default=["tuning"], help="tuning, test, all, or task names"
    )
    parser.add_argument(
        "--estimators", nargs="+", default=[*ESTIMATORS, "HGB"], choices=[*ESTIMATORS, "HGB"]
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="default: 0 with --quick, else 0 1 2"
    )
    parser.add_argument("--lams", type=float, nargs="+", default=None)
    parser.add_argument(
        "--set",
        nargs="+",
        default=None,
        metavar="PARAM=VALUE",
        help="change one parameter of every estimator that has it; "
        "EST.PARAM=VALUE (e.g. IIDM.n_components=8) of one estimator",
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="default: 20 with --quick, else each estimator's own",
    )
    parser.add_argument(
        "--own-epochs",
        action="store_true",
        help="each estimator's own max_epochs even with --quick (quick rows, default steps)",
    )
    parser.add_argument("--out", default=None, help="prefix of suite_<prefix>.{csv,md}")
    parser.add_argument(
        "--from-csv",
        nargs="+",
        default=None,
        metavar="CSV",
        help="fit nothing: summarise these runs together (the best "
        "unconstrained model is then the best of all of them; an "
        "estimator run with --set is labelled 'EST [PARAM=VALUE]')",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    if args.from_csv:
        runs = pd.concat([pd.read_csv(path) for path in args.from_csv], ignore_index=True)
        settings = runs["set"].fillna("") if "set" in runs else pd.Series("", index=runs.index)
        if runs["max_epochs"].nunique() > 1:  # label the epochs too when the runs differ
            settings = np.where(
                runs.max_epochs.notna(),
                settings + ",max_epochs=" + runs.max_epochs.fillna(0).astype(int).astype(str),
                settings,
            )
            settings = pd.Series(settings, index=runs.index).str.lstrip(",")
        runs["estimator"] = np.where(
            settings == "", runs.estimator, runs.estimator + " [" + settings + "]"
        )
        runs = runs.drop_duplicates(["task", "seed", "estimator", "lam"])
        report = summarise(runs, args, 0.0, [])
        report = report.replace("Wall time 0.0 min", "Summary of " + ", ".join(args.from_csv))
        with open(os.path.join(RESULTS, f"suite_{args.out or 'combined'}.md"), "w") as handle:
            handle.write(report)
        print(report)
        return
    names = []
    for entry in args.tasks:
        names += {
            "tuning": list(suite.TUNING_TASKS),
            "test": list(suite.TEST_TASKS),
            "all": list(suite.TASKS),
        }.get(entry, [entry])
    unknown = [name for name in names if name not in suite.TASKS]
    if unknown:
        parser.error(f"unknown tasks {unknown}; choose from {list(suite.TASKS)}")
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    if args.own_epochs and args.max_epochs:
        parser.error("--own-epochs and --max-epochs exclude each other")
    max_epochs = args.max_epochs or (QUICK_EPOCHS if args.quick and not args.own_epochs else None)
    options = parse_set(args.set)
    prefix = args.out or ("quick" if args.quick else "full")
    print(f"tuning tasks: {', '.join(suite.TUNING_TASKS)}")
    print(f"test tasks:   {', '.join(suite.TEST_TASKS)}")
    print(
        f"running: {', '.join(names)}; seeds {seeds}; estimators {args.estimators}; "
        f"options {options}; max_epochs {max_epochs or 'defaults'}",
        flush=True,
    )
    start, rows, skipped = time.perf_counter(), [], []
    csv_path = os.path.join(RESULTS, f"suite_{prefix}.csv")
    for name in names:
        kind = suite.TASKS[name][2]
        for seed in seeds:
            X, y, s = task_data(name, seed, args.quick)
            data = split(name, X, y, s, seed)
            for estimator in args.estimators:
                if kind == "continuous" and estimator not in (*CONTINUOUS_OK, "HGB"):
                    note = f"{estimator} on {name} (it does not accept a continuous s)"
                    if note not in skipped:
                        skipped.append(note)
                    continue
                for lam in lam_grid(estimator, args.lams, args.quick):
                    row = run_one(name, estimator, lam, seed, data, options, max_epochs)
                    rows.append(row)
                    leak = row.get("probe_r2", row.get("probe_balanced_accuracy"))
                    print(
                        f"{time.perf_counter() - start:7.0f}s {name} seed {seed} {estimator} "
                        f"lam {lam}: acc {row['accuracy']:.3f} probe {leak:.3f} "
                        f"({row['probe']}) dp {row['dp']:.3f} fit {row['fit_seconds']:.1f}s",
                        flush=True,
                    )
            pd.DataFrame(rows).to_csv(csv_path, index=False)  # partial results survive
    wall = time.perf_counter() - start
    runs = pd.DataFrame(rows)
    runs.to_csv(csv_path, index=False)
    report = summarise(runs, args, wall, skipped)
    with open(os.path.join(RESULTS, f"suite_{prefix}.md"), "w") as handle:
        handle.write(report)
    print(report)
    print(f"wall time {wall:.0f} s; wrote {csv_path} and suite_{prefix}.md")


if __name__ == "__main__":
    main()
