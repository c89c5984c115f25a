"""Data-parallel training over two CPU processes (gloo): one model, the same in both."""

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from skinvariant import HSICClassifier, IIDMClassifier
from skinvariant.core import DataParallel
from skinvariant.datasets import make_attribute_blobs

ESTIMATORS = {"IIDM": IIDMClassifier, "HSIC": HSICClassifier}


def blobs():
    X, y, s = make_attribute_blobs(1500, n_groups=3, random_state=0)
    return X[:1000], y[:1000], s[:1000], X[1000:], y[1000:]


def fit_in_process(rank, world_size, init_file, name, out_dir):
    """One process of the group: fit on all rows with DataParallel, save what it learned."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size
    )
    try:
        X, y, s, X_test, y_test = blobs()
        model = ESTIMATORS[name](max_epochs=4, random_state=0, callbacks=[DataParallel()])
        model.fit(X, y, sensitive=s)
        np.save(f"{out_dir}/z_{rank}.npy", model.transform(X_test))
        np.save(f"{out_dir}/accuracy_{rank}.npy", model.score(X_test, y_test))
        np.save(f"{out_dir}/batch_{rank}.npy", model.history_[-1, "batches", 0, "train_batch_size"])
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("name", ["IIDM", "HSIC"])
def test_two_processes_train_one_model_on_their_shares_of_each_batch(name, tmp_path):
    mp.start_processes(
        fit_in_process,
        args=(2, tmp_path / "init", name, tmp_path),
        nprocs=2,
        start_method="spawn",
    )
    first, second = (np.load(tmp_path / f"z_{rank}.npy") for rank in (0, 1))
    np.testing.assert_allclose(first, second, rtol=0, atol=1e-5)  # the same model in both
    Estimator = ESTIMATORS[name]
    X, y, s, X_test, y_test = blobs()
    alone = Estimator(max_epochs=4, random_state=0).fit(X, y, sensitive=s)
    # the two processes split the batches that one process draws
    shares = [int(np.load(tmp_path / f"batch_{rank}.npy")) for rank in (0, 1)]
    assert sum(shares) == alone.history_[-1, "batches", 0, "train_batch_size"]
    assert abs(shares[0] - shares[1]) <= 1
    # not the same numbers (each half-batch is another sample of rows): the same fit
    together = float(np.load(tmp_path / "accuracy_0.npy"))
    assert abs(together - alone.score(X_test, y_test)) < 0.05, (
        together,
        alone.score(X_test, y_test),
    )


def test_data_parallel_without_a_process_group_says_how_to_start_one():
    X, y, s, _, _ = blobs()
    with pytest.raises(RuntimeError, match="init_process_group"):
        IIDMClassifier(max_epochs=1, callbacks=[DataParallel()]).fit(X, y, sensitive=s)
