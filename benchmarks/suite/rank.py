"""Rank settings of the estimators across the tuning tasks: mean rank of leakage at equal accuracy.

Reads suite CSVs written by ``run.py`` (for instance the defaults and a run
with ``--set n_components=8``), keeps the **tuning tasks only** (rows of a
test task are dropped and counted: they never choose anything), and labels
each row's setting by its ``set`` column (empty = the estimator's defaults)
and its ``max_epochs``.
For every (task, seed), the accuracy bar is the most accurate unconstrained
model in any of the files (HGB, or any estimator at lam=0) minus 0.03. Per
(task, seed, estimator, setting), the score is the lowest strongest-probe
reading (balanced accuracy minus chance, or R^2 for a continuous s) over the
lams whose accuracy clears the bar; a setting with no such lam ranks last.
Settings are ranked within each (task, seed, estimator); the report gives the
mean rank over tasks and seeds (1 = best), how often each setting reached the
target (probe within 0.1 of chance at the bar), and the scores per task.

Run: python benchmarks/suite/rank.py RESULTS.csv [RESULTS.csv ...] [--default-label TEXT] --out PREFIX
(writes benchmarks/results/suite_<prefix>.md)
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks as suite  # noqa: E402
from run import ACCURACY_MARGIN, RESULTS, leakage_column, target_flags  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csvs", nargs="+")
    parser.add_argument("--default-label", default="defaults")
    parser.add_argument("--estimators", nargs="+", default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = pd.concat([pd.read_csv(path) for path in args.csvs], ignore_index=True)
    dropped = runs[~runs.task.isin(suite.TUNING_TASKS)]
    runs = runs[runs.task.isin(suite.TUNING_TASKS)].copy()
    runs["set"] = runs["set"].fillna("").replace("", args.default_label)
    epochs = runs["max_epochs"] if "max_epochs" in runs else pd.Series(np.nan, index=runs.index)
    runs["set"] = np.where(
        epochs.notna(),
        runs["set"] + ", max_epochs=" + epochs.fillna(0).astype(int).astype(str),
        runs["set"],
    )
    runs = target_flags(runs.drop_duplicates(["task", "seed", "estimator", "lam", "set"]))
    runs["score"] = np.where(
        runs.kind == "continuous", leakage_column(runs), leakage_column(runs) - runs.chance
    )
    models = runs[runs.estimator != "HGB"]
    if args.estimators:
        models = models[models.estimator.isin(args.estimators)]
    cells = []
    for (task, seed, estimator, setting), rows in models.groupby(
        ["task", "seed", "estimator", "set"]
    ):
        accurate = rows[rows.accurate]
        cells.append(
            {
                "task": task,
                "seed": seed,
                "estimator": estimator,
                "set": setting,
                "score": accurate.score.min() if len(accurate) else np.inf,
                "lam": accurate.loc[accurate.score.idxmin(), "lam"] if len(accurate) else np.nan,
                "reached": bool(rows.meets.any()),
            }
        )
    cells = pd.DataFrame(cells)
    cells["rank"] = cells.groupby(["task", "seed", "estimator"]).score.rank(method="average")
    lines = [
        f"# Setting ranks on the tuning tasks: `{' '.join(sys.argv)}`",
        "",
        f"Tuning tasks: {', '.join(sorted(cells.task.unique()))}. Test-task rows dropped "
        f"unread: {len(dropped)}. Score: lowest probe reading (balanced accuracy - chance; "
        f"R^2 for a continuous s) over lams at accuracy >= the best unconstrained model "
        f"- {ACCURACY_MARGIN} (inf: no lam that accurate); rank within (task, seed, "
        "estimator), 1 = least leaky.",
        "",
        "| estimator | setting | mean rank | target reached (task-seeds) | mean score (finite) |",
        "|---|---|---|---|---|",
    ]
    for (estimator, setting), group in cells.groupby(["estimator", "set"]):
        finite = group.score[np.isfinite(group.score)]
        lines.append(
            f"| {estimator} | {setting} | {group['rank'].mean():.2f} | "
            f"{int(group.reached.sum())}/{len(group)} | "
            f"{finite.mean():.3f} ({len(finite)}/{len(group)} finite) |"
        )
    lines += [
        "",
        "| task | seed | estimator | setting | score | at lam | rank | reached |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in cells.sort_values(["task", "seed", "estimator", "set"]).itertuples():
        lines.append(
            f"| {row.task} | {row.seed} | {row.estimator} | {row.set} | "
            f"{row.score:.3f} | {'' if np.isnan(row.lam) else f'{row.lam:g}'} | "
            f"{row.rank:g} | {'yes' if row.reached else 'no'} |"
        )
    report = "\n".join(lines) + "\n"
    with open(os.path.join(RESULTS, f"suite_{args.out}.md"), "w") as handle:
        handle.write(report)
    print(report)


if __name__ == "__main__":
    main()
