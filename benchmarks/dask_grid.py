"""GridSearchCV over 8 values of lam on Adult: on a 2-worker Dask cluster against n_jobs=1.

Usage: PYTHONPATH=. python benchmarks/dask_grid.py [--epochs 5] [--cv 3] [--loky] [--quick]

The same search (an IIDMClassifier pipeline, accuracy and demographic-parity
scorers, ``sensitive`` routed) runs three ways: ``n_jobs=1`` in this process;
on a ``distributed.LocalCluster`` of 2 single-threaded worker processes
through ``joblib.parallel_config(backend="dask")``; and, with ``--loky``,
``n_jobs=2`` with joblib's default process pool, for reference. Printed:
the wall time of each (the cluster's start apart from the search; the refit
of ``best_estimator_`` runs in this process in every case), whether every
score in ``cv_results_`` is identical to the ``n_jobs=1`` run, torch's thread
count inside each fit, and the CPU and wall seconds the fits trained for,
summed: their ratio is the CPU share the fits got. The load average is
printed too: on a shared machine other jobs take CPU from the workers.
Writes benchmarks/results/dask_grid[_quick].txt.
"""

import argparse
import logging
import os
import time
from pathlib import Path

import joblib
import numpy as np
import sklearn
import torch
from distributed import Client, LocalCluster
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import resample
from skorch.callbacks import Callback

import skinvariant
from skinvariant import IIDMClassifier
from skinvariant.datasets import load_adult
from skinvariant.metrics import make_fairness_scorer

RESULTS = Path(__file__).resolve().parent / "results"
LAMS = [0.0, 0.1, 0.3, 1.0, 2.0, 3.0, 5.0, 10.0]


class RecordTraining(Callback):
    """Records, in whichever process fits: torch's thread count when training
    starts, and the CPU and wall seconds of training."""

    def on_train_begin(self, net, **kwargs):
        net.training_threads_ = torch.get_num_threads()
        self.start_ = time.process_time(), time.perf_counter()

    def on_train_end(self, net, **kwargs):
        net.train_cpu_seconds_ = time.process_time() - self.start_[0]
        net.train_wall_seconds_ = time.perf_counter() - self.start_[1]


def training_threads(estimator, X, y):
    return estimator[-1].net_.training_threads_


def train_cpu_seconds(estimator, X, y):
    return estimator[-1].net_.train_cpu_seconds_


def train_wall_seconds(estimator, X, y):
    return estimator[-1].net_.train_wall_seconds_


def make_search(epochs, cv):
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
            remainder=StandardScaler(),
        ),
        IIDMClassifier(
            max_epochs=epochs, batch_size=256, random_state=0, callbacks=[RecordTraining()]
        ),
    )
    scoring = {
        "accuracy": "accuracy",
        "dp": make_fairness_scorer("demographic_parity_difference"),
        "threads": training_threads,
        "train_cpu": train_cpu_seconds,
        "train_wall": train_wall_seconds,
    }
    return GridSearchCV(
        model, {"iidmclassifier__lam": LAMS}, scoring=scoring, refit="accuracy", cv=cv
    )


def timed_search(search, X, y, s, n_jobs, backend=None):
    search.set_params(n_jobs=n_jobs)
    start = time.perf_counter()
    with joblib.parallel_config(backend=backend) if backend else joblib.parallel_config():
        search.fit(X, y, sensitive=s)
    return time.perf_counter() - start


def score_keys(cv_results):
    return [
        key
        for key in cv_results
        if key.startswith(("split", "mean_test", "std_test", "rank_test"))
        and not key.endswith(("threads", "train_cpu", "train_wall"))
    ]


def training_time(search):
    """CPU and wall seconds of training summed over the cross-validation fits."""
    cv_results = search.cv_results_
    splits = [
        key[: -len("_test_train_cpu")]
        for key in cv_results
        if key.startswith("split") and key.endswith("_test_train_cpu")
    ]
    return (
        sum(cv_results[f"{split}_test_train_cpu"].sum() for split in splits),
        sum(cv_results[f"{split}_test_train_wall"].sum() for split in splits),
    )


def load():
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loky", action="store_true", help="also time n_jobs=2 with loky")
    parser.add_argument("--quick", action="store_true", help="3,000 rows, 2 epochs")
    args = parser.parse_args()
    epochs = 2 if args.quick else args.epochs
    sklearn.set_config(enable_metadata_routing=True)
    X, y, sex = load_adult(return_X_y_s=True)
    if args.quick:
        X, y, sex = resample(X, y, sex, n_samples=3000, replace=False, stratify=y, random_state=0)
    lines = [
        f"Adult {X.shape[0]} rows, IIDMClassifier {epochs} epochs, lam grid of {len(LAMS)} "
        f"{LAMS}, cv={args.cv}: {len(LAMS) * args.cv} fits + 1 refit",
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, skinvariant from "
        f"{Path(skinvariant.__file__).parent}",
    ]
    print(*lines, sep="\n", flush=True)

    def report(line):
        lines.append(line)
        print(line, flush=True)

    serial = make_search(epochs, args.cv)
    report(f"{load()} before n_jobs=1")
    seconds = timed_search(serial, X, y, sex, n_jobs=1)
    report(f"n_jobs=1: search {seconds:.1f} s ({load()})")

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter() - start
        # the workers re-import this script, so skinvariant and torch are loaded in the start
        worker_packages = set(client.run(lambda: __import__("skinvariant").__file__).values())
        assert worker_packages == {skinvariant.__file__}, worker_packages
        on_dask = make_search(epochs, args.cv)
        seconds = timed_search(on_dask, X, y, sex, n_jobs=-1, backend="dask")
        report(
            f"dask, {args.workers} workers x 1 thread: search {seconds:.1f} s, plus cluster "
            f"start {started:.1f} s (the workers importing torch and skinvariant "
            f"included) ({load()})"
        )
    compared = {"dask": on_dask}

    if args.loky:
        on_loky = make_search(epochs, args.cv)
        seconds = timed_search(on_loky, X, y, sex, n_jobs=args.workers, backend="loky")
        report(
            f"loky n_jobs={args.workers}: search {seconds:.1f} s, workers started inside ({load()})"
        )
        compared["loky"] = on_loky

    keys = score_keys(serial.cv_results_)
    serial_cpu, serial_wall = training_time(serial)
    for name, search in compared.items():
        identical = all(
            np.array_equal(search.cv_results_[key], serial.cv_results_[key]) for key in keys
        )
        threads = sorted(
            {
                int(t)
                for key, values in search.cv_results_.items()
                if key.startswith("split") and key.endswith("_test_threads")
                for t in values
            }
        )
        cpu, wall = training_time(search)
        report(
            f"{name}: the fits trained for {cpu:.0f} CPU s in {wall:.0f} s of wall time, "
            f"their CPU share {cpu / wall:.0%} (n_jobs=1: {serial_cpu:.0f} CPU s in "
            f"{serial_wall:.0f} s, {serial_cpu / serial_wall:.0%})"
        )
        report(
            f"{name}: all {len(keys)} score columns of cv_results_ identical to n_jobs=1: "
            f"{identical}; best lam {search.best_params_['iidmclassifier__lam']} "
            f"(n_jobs=1: {serial.best_params_['iidmclassifier__lam']}); torch threads in "
            f"the workers' fits: {threads}"
        )
    table = {
        key: serial.cv_results_[key]
        for key in (
            "param_iidmclassifier__lam",
            "mean_test_accuracy",
            "mean_test_dp",
            "mean_fit_time",
        )
    }
    import pandas as pd

    report(
        "n_jobs=1 cv_results_ (dask's are the same):\n"
        + pd.DataFrame(table).round(4).to_string(index=False)
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"dask_grid{'_quick' if args.quick else ''}.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
