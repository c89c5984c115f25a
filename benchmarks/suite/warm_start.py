"""Does a warm start along the lam path keep the front at a fraction of the epochs? (issue 22, item 3)

On the suite's tuning tasks with group labels (or ``--tasks``; ``--quick``
sizes), for each seed, IIDMClassifier walks the lams in increasing order two
ways:

- cold: every lam fitted from scratch for ``--epochs`` epochs (what
  ``BudgetSearchCV`` and ``lam_path`` do);
- warm: lam 0 fitted for ``--epochs`` epochs, then each next lam continues
  the previous model (``set_params(lam=...)`` and ``--warm-epochs`` passes of
  ``partial_fit`` over the training rows).

Each model is measured on the held-out rows as the suite measures it
(accuracy, the strongest fresh probe, DP). Per task and seed the summary
takes the lowest probe among the path's models whose accuracy is at least
the cold lam-0 model's minus 0.03 (the suite's target bar), for each way,
and the epochs and seconds each way spent.

Writes benchmarks/results/<out>.{csv,md} (``--out``, default suite_warm_start).

Run: python benchmarks/suite/warm_start.py [--seeds 0 1 2] [--epochs 20] [--warm-epochs 5]
"""

import argparse
import os
import sys
import time
import warnings

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite_run  # noqa: E402
import tasks as suite  # noqa: E402

from skinvariant import IIDMClassifier  # noqa: E402

LAMS = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0)
ACCURACY_MARGIN = 0.03
WITH_GROUPS = [name for name in suite.TASKS if suite.TASKS[name][2] != "continuous"]
TASKS = [name for name in suite.TUNING_TASKS if name in WITH_GROUPS]


def measured(name, model, data):
    X_train, X_test = data[:2]
    kind = suite.TASKS[name][2]
    Z = (model.transform(X_train), model.transform(X_test))
    return suite_run.measure(kind, data, model.predict(X_test), Z)


def paths(name, seed, epochs, warm_epochs):
    """One row per (way, lam): the held-out measures, epochs and seconds of the fit."""
    X, y, s = suite_run.task_data(name, seed, quick=True)
    data = suite_run.split(name, X, y, s, seed)
    X_train, _, y_train, _, s_train, _ = data
    rows, previous = [], None
    for lam in LAMS:
        for way in ("cold", "warm"):
            start = time.perf_counter()
            if way == "cold" or previous is None:
                model = IIDMClassifier(lam=lam, max_epochs=epochs, random_state=seed)
                model.fit(X_train, y_train, sensitive=s_train)
                n_epochs = epochs
            else:
                model = previous.set_params(lam=lam)
                for _ in range(warm_epochs):
                    model.partial_fit(X_train, y_train, sensitive=s_train)
                n_epochs = warm_epochs
            seconds = time.perf_counter() - start
            if way == "warm" or lam == 0.0:
                previous = model
            rows.append(
                {"task": name, "seed": seed, "way": way, "lam": lam, "epochs": n_epochs}
                | measured(name, model, data)
                | {"seconds": seconds}
            )
    return rows


def summary(frame, args):
    bar = (
        frame[(frame.way == "cold") & (frame.lam == 0.0)]
        .set_index(["task", "seed"])
        .accuracy.rename("bar")
        - ACCURACY_MARGIN
    )
    frame = frame.join(bar, on=["task", "seed"])
    accurate = frame[frame.accuracy >= frame.bar]
    best = (
        accurate.groupby(["task", "seed", "way"])
        .probe_balanced_accuracy.min()
        .unstack("way")
        .rename(columns=lambda way: f"lowest_probe_{way}")
    )
    cost = frame.groupby("way")[["epochs", "seconds"]].sum()
    wins = int((best.lowest_probe_warm < best.lowest_probe_cold - 0.01).sum())
    losses = int((best.lowest_probe_warm > best.lowest_probe_cold + 0.01).sum())
    return "\n".join(
        [
            "# Warm starts along the lam path (IIDMClassifier, quick sizes)",
            "",
            f"`python benchmarks/suite/warm_start.py --seeds {' '.join(map(str, args.seeds))} "
            + ("" if args.tasks == TASKS else f"--tasks {' '.join(args.tasks)} ")
            + f"--epochs {args.epochs} --warm-epochs {args.warm_epochs}`; lams "
            + f"{', '.join(f'{lam:g}' for lam in LAMS)}.",
            "",
            "Lowest strongest-probe balanced accuracy among the path's models with held-out "
            f"accuracy >= the cold lam-0 model's - {ACCURACY_MARGIN} (lower is better):",
            "",
            best.round(3).to_markdown(),
            "",
            f"Warm lower by more than 0.01 on {wins} of {len(best)} task-seeds, higher by more "
            f"than 0.01 on {losses}. Epochs and seconds of all fits, each way:",
            "",
            cost.round(1).to_markdown(),
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--tasks", nargs="+", default=TASKS, choices=WITH_GROUPS, help="default: the tuning tasks"
    )
    parser.add_argument("--epochs", type=int, default=suite_run.QUICK_EPOCHS)
    parser.add_argument("--warm-epochs", type=int, default=5)
    parser.add_argument("--out", default="suite_warm_start")
    args = parser.parse_args()
    rows, out = [], os.path.join(suite_run.RESULTS, args.out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # collapse warnings at large lam
        for seed in args.seeds:
            for name in args.tasks:
                rows += paths(name, seed, args.epochs, args.warm_epochs)
                frame = pd.DataFrame(rows)
                frame.to_csv(out + ".csv", index=False)
                print(name, seed, flush=True)
    with open(out + ".md", "w") as handle:
        handle.write(summary(frame, args))
    print(summary(frame, args))


if __name__ == "__main__":
    main()
