"""What IIDM's kernel term costs per epoch, with and without its 512-row subset.

``kernel_penalty`` adds ``lam * kernel_penalty * nHSIC(z, s)`` to IIDM's loss.
The statistic costs the square of the rows it reads, so a batch of more than
``max_rows`` (512) rows gives it a random subset of that many. This measures
the median seconds per epoch (after the first) of ``IIDMClassifier`` at
``kernel_penalty`` 0, at 1 (the default, subset), and at 1 reading the whole
batch, at batch 128 (4,500 rows of the suite's ``arc_4`` task) and at 1024
and 4096 (the same rows repeated to 45,000). One torch thread.

Run: python benchmarks/kernel_penalty_cost.py  (~3 min; writes results/kernel_penalty_cost.csv)
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from skinvariant import IIDMClassifier

HERE = Path(__file__).parent
_SPEC = importlib.util.spec_from_file_location("suite_tasks", HERE / "suite" / "tasks.py")
tasks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tasks)


class WholeBatchIIDM(IIDMClassifier):
    """IIDM whose kernel term reads the whole batch (its ``max_rows`` raised past any batch)."""

    def _with_kernel_penalty(self, objective):
        combined = super()._with_kernel_penalty(objective)
        combined.parts[-1].max_rows = 10**9
        return combined


def seconds_per_epoch(X, y, s, batch_size, kernel_penalty, whole_batch):
    model = (WholeBatchIIDM if whole_batch else IIDMClassifier)(
        kernel_penalty=kernel_penalty, batch_size=batch_size, max_epochs=4, random_state=0
    )
    model.fit(X, y, sensitive=s)
    return float(np.median(model.history_[1:, "dur"]))


def main():
    torch.set_num_threads(1)
    generator, params, _ = tasks.TASKS["arc_4"]
    X, y, s = generator(**params, random_state=0)
    X = X.astype(np.float32)
    rows = []
    for batch_size, repeats in ((128, 1), (1024, 10), (4096, 10)):
        data = (np.tile(X, (repeats, 1)), np.tile(y, repeats), np.tile(s, repeats))
        for kernel_penalty, whole_batch in ((0.0, False), (1.0, False), (1.0, True)):
            if whole_batch and batch_size <= 512:
                continue  # the subset is the whole batch
            rows.append(
                {
                    "batch_size": batch_size,
                    "n_rows": len(data[0]),
                    "kernel_penalty": kernel_penalty,
                    "rows_read": "whole batch"
                    if whole_batch
                    else ("at most 512" if kernel_penalty else "-"),
                    "seconds_per_epoch": seconds_per_epoch(
                        *data, batch_size, kernel_penalty, whole_batch
                    ),
                }
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "results" / "kernel_penalty_cost.csv", index=False)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
