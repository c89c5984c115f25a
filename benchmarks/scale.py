"""Seconds per epoch and peak memory of one fit, in memory and streamed from a memmap.

A generator with Adult's width (100 float32 columns; 10 carry y, 5 carry a
binary s) writes n rows to a ``numpy.memmap`` file chunk by chunk, for n in
0.1, 1, 3 and 10 million. Each (n, mode) fits ``IIDMClassifier(batch_size=4096,
max_epochs=1)`` in a fresh process: "memory" loads the rows into an array
first, "streamed" passes the memmap, whose batches are read from the file.
Reported: the epoch's seconds, the process's peak resident memory
(``ru_maxrss``, which counts the file's pages the process has mapped) and its
peak anonymous memory (``RssAnon``, sampled every 50 ms: what the process
owns, beside the file pages the kernel can drop), and those of the data alone
(X: 400 bytes a row). One torch thread.

Run: python benchmarks/scale.py [--quick]  (--quick: 0.1 and 1 million rows)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"
N_FEATURES = 100
CHUNK = 500_000


def write_rows(path, n_rows, seed=0):
    """The generator's X (as a float32 memmap file), y and s, chunk by chunk."""
    rng = np.random.RandomState(seed)
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, N_FEATURES))
    y, s = np.empty(n_rows, dtype=np.int64), np.empty(n_rows, dtype=np.int64)
    y_weights, s_weights = rng.uniform(0.2, 0.6, 10), rng.uniform(0.3, 0.8, 5)
    for start in range(0, n_rows, CHUNK):
        stop = min(start + CHUNK, n_rows)
        s[start:stop] = rng.randint(0, 2, stop - start)
        y[start:stop] = rng.random_sample(stop - start) < 0.35 + 0.3 * s[start:stop]
        chunk = rng.normal(size=(stop - start, N_FEATURES)).astype(np.float32)
        chunk[:, :10] += (2 * y[start:stop] - 1)[:, None] * y_weights
        chunk[:, 10:15] += (2 * s[start:stop] - 1)[:, None] * s_weights
        X[start:stop] = chunk
    X.flush()
    np.save(f"{path}.y.npy", y)
    np.save(f"{path}.s.npy", s)


def anonymous_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def child(path, n_rows, mode):
    """Fit once in this process and print the measures as JSON."""
    import torch  # noqa: PLC0415

    from skinvariant import IIDMClassifier  # noqa: PLC0415

    torch.set_num_threads(1)
    peak = {"anon": anonymous_kib()}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak["anon"] = max(peak["anon"], anonymous_kib())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    before = anonymous_kib()
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, N_FEATURES))
    if mode == "memory":
        X = np.array(X)
    y, s = np.load(f"{path}.y.npy"), np.load(f"{path}.s.npy")
    started = time.perf_counter()
    model = IIDMClassifier(batch_size=4096, max_epochs=1, random_state=0)
    model.fit(X, y, sensitive=s)
    fit_seconds = time.perf_counter() - started
    done.set()
    peak["anon"] = max(peak["anon"], anonymous_kib())
    print(
        json.dumps(
            {
                "n_rows": n_rows,
                "mode": mode,
                "epoch_seconds": float(model.history_[-1, "dur"]),
                "fit_seconds": fit_seconds,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "peak_anonymous_mib": peak["anon"] / 1024,
                "anonymous_before_fit_mib": before / 1024,
                "x_mib": n_rows * N_FEATURES * 4 / 2**20,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    sizes = [100_000, 1_000_000] if args.quick else [100_000, 1_000_000, 3_000_000, 10_000_000]
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for n_rows in sizes:
            path = os.path.join(directory, f"X_{n_rows}.dat")
            write_rows(path, n_rows)
            for mode in ("memory", "streamed"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", path, str(n_rows), mode],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "OMP_NUM_THREADS": "1"},
                )
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
            os.remove(path)
    table = pd.DataFrame(rows)
    stem = RESULTS / ("scale_quick" if args.quick else "scale")
    table.to_csv(f"{stem}.csv", index=False)
    print(table.round(2).to_string())


if __name__ == "__main__":
    main()
