"""GridSearchCV over lam on a Dask cluster and on Ray, through joblib.

What a user relies on: the search gives the same ``cv_results_`` scores as
``n_jobs=1``; ``sensitive`` reaches every fold's ``fit`` and every fold's
fairness scorer; and each worker trains on one torch thread, so two workers
on two cores do not oversubscribe them. Each test starts its own local
cluster, and skips when the optional package is not installed
(``pip install "skinvariant[dask]"`` or ``"skinvariant[ray]"``).
"""

import logging
import os
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

import skinvariant
from skinvariant import IIDMClassifier
from skinvariant.metrics import make_fairness_scorer

from .conftest import make_leaky_data

PACKAGE_ROOT = Path(skinvariant.__file__).resolve().parents[1]


class RecordTrainingThreads(Callback):
    """Records torch's thread count when training starts (inside ``fit``, in the worker)."""

    def on_train_begin(self, net, **kwargs):
        net.training_threads_ = torch.get_num_threads()


def groups_in_fit(estimator, X, y):
    """Number of sensitive groups the fold's ``fit`` received (0 if none)."""
    return len(estimator.sensitive_groups_ or [])


def training_threads(estimator, X, y):
    return estimator.net_.training_threads_


def process_id(estimator, X, y):
    return os.getpid()


def search_lam():
    scoring = {
        "accuracy": "accuracy",
        "dp": make_fairness_scorer("demographic_parity_difference"),
        "groups_in_fit": groups_in_fit,
        "training_threads": training_threads,
        "process_id": process_id,
    }
    model = IIDMClassifier(
        max_epochs=3, batch_size=64, callbacks=[RecordTrainingThreads()], random_state=0
    )
    return GridSearchCV(model, {"lam": [0.0, 3.0]}, scoring=scoring, refit=False, cv=2, n_jobs=-1)


def run_search(backend=None):
    X, y, s = make_leaky_data(n_samples=400)
    search = search_lam()
    with sklearn.config_context(enable_metadata_routing=True):
        if backend is None:
            search.set_params(n_jobs=1).fit(X, y, sensitive=s)
        else:
            with joblib.parallel_config(backend=backend):
                search.fit(X, y, sensitive=s)
    return search


def check_against_serial(search):
    # the fits and scores ran in other processes
    for split in (0, 1):
        assert os.getpid() not in search.cv_results_[f"split{split}_test_process_id"]
    serial = run_search()
    for key in (
        "mean_test_accuracy",
        "split0_test_accuracy",
        "split1_test_accuracy",
        "mean_test_dp",
        "split0_test_dp",
        "split1_test_dp",
    ):
        np.testing.assert_array_equal(search.cv_results_[key], serial.cv_results_[key], err_msg=key)
    # each fold's fit got both groups, and the fairness scorer its fold's slice (or it raises)
    for split in (0, 1):
        assert (search.cv_results_[f"split{split}_test_groups_in_fit"] == 2).all()
        assert (search.cv_results_[f"split{split}_test_training_threads"] == 1).all()


@pytest.fixture
def worker_environment(monkeypatch):
    """Workers are fresh processes: make them import the skinvariant under test."""
    monkeypatch.setenv("PYTHONPATH", str(PACKAGE_ROOT))


def test_grid_search_on_dask_matches_serial(worker_environment):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = client.run(lambda: __import__("skinvariant").__file__)
        assert {Path(path).resolve() for path in workers.values()} == {
            Path(skinvariant.__file__).resolve()
        }
        search = run_search("dask")
    check_against_serial(search)


def test_grid_search_on_ray_matches_serial(worker_environment):
    ray = pytest.importorskip("ray")
    ray_joblib = pytest.importorskip("ray.util.joblib")
    ray_joblib.register_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        search = run_search("ray")
    finally:
        ray.shutdown()
    check_against_serial(search)
