"""One process against two: data-parallel IIDM training with ``DataParallel`` over gloo.

The generator of ``scale.py`` (100 float32 columns; 10 carry y, 5 a binary
s) writes n training rows and 100,000 held-out rows to memmap files. The
same ``IIDMClassifier(batch_size=4096, max_epochs=E, random_state=0)``, with
the default encoder (one hidden layer of 64) and with a wider one (two of
512), is fitted once in one process and once in each of two processes joined by a
gloo process group (``callbacks=[DataParallel()]``: each takes half of every
batch, gradients averaged), every process with one torch thread. Reported:
the fit's wall seconds (the slower process for two), held-out accuracy and
the strongest fresh probe's balanced accuracy on 20,000 held-out rows'
representation (probes trained on 20,000 training rows'; chance 0.5).

Run: python benchmarks/data_parallel.py [--rows N] [--epochs E]
(default 1,000,000 rows, 3 epochs; writes results/data_parallel.csv)
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402

from skinvariant import IIDMClassifier  # noqa: E402
from skinvariant.core import DataParallel  # noqa: E402
from skinvariant.metrics import sensitive_leakage  # noqa: E402

RESULTS = Path(__file__).parent / "results"
HELD_OUT_ROWS = 100_000
PROBE_ROWS = 20_000
HIDDEN = [(64,), (512, 512)]


def load(path, n_rows):
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, scale.N_FEATURES))
    return X, np.load(f"{path}.y.npy"), np.load(f"{path}.s.npy")


def fit(train, epochs, hidden, callbacks=None):
    X, y, s = train
    model = IIDMClassifier(
        hidden_layer_sizes=hidden,
        batch_size=4096,
        max_epochs=epochs,
        random_state=0,
        callbacks=callbacks,
    )
    start = time.perf_counter()
    model.fit(X, y, sensitive=s)
    return model, time.perf_counter() - start


def measures(model, seconds, processes, train, test):
    X, _, s = train
    X_test, y_test, s_test = test
    probe = sensitive_leakage(
        model.transform(X[:PROBE_ROWS]),
        s[:PROBE_ROWS],
        held_out=(model.transform(X_test[:PROBE_ROWS]), s_test[:PROBE_ROWS]),
    )
    return {
        "processes": processes,
        "fit_seconds": seconds,
        "accuracy": model.score(X_test, y_test),
        "probe_balanced_accuracy": probe.balanced_accuracy,
        "probe": probe.probe,
    }


def one_process_of_two(rank, paths, n_rows, epochs, hidden, init_file, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        train = load(paths[0], n_rows)
        model, seconds = fit(train, epochs, hidden, callbacks=[DataParallel()])
        seconds = torch.tensor([seconds])
        dist.all_reduce(seconds, op=dist.ReduceOp.MAX)  # the group is as slow as its slowest
        if rank == 0:
            row = measures(model, float(seconds), 2, train, load(paths[1], HELD_OUT_ROWS))
            pd.DataFrame([row]).to_csv(out, index=False)
    finally:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as directory:
        paths = [os.path.join(directory, "train.dat"), os.path.join(directory, "test.dat")]
        scale.write_rows(paths[0], args.rows, seed=0)
        scale.write_rows(paths[1], HELD_OUT_ROWS, seed=1)
        train, test = load(paths[0], args.rows), load(paths[1], HELD_OUT_ROWS)
        rows = []
        for hidden in HIDDEN:
            model, seconds = fit(train, args.epochs, hidden)
            rows.append({"hidden": str(hidden), **measures(model, seconds, 1, train, test)})
            print(rows[-1], flush=True)
            out = os.path.join(directory, "two.csv")
            init_file = os.path.join(directory, f"init_{len(rows)}")
            mp.start_processes(
                one_process_of_two,
                args=(paths, args.rows, args.epochs, hidden, init_file, out),
                nprocs=2,
                start_method="spawn",
            )
            rows.append({"hidden": str(hidden), **pd.read_csv(out).iloc[0].to_dict()})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows).assign(rows=args.rows, epochs=args.epochs)
    alone = table[table.processes == 1].set_index("hidden").fit_seconds
    table["speedup"] = table.hidden.map(alone) / table.fit_seconds
    table.to_csv(RESULTS / "data_parallel.csv", index=False)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
