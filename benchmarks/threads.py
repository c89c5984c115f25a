"""Torch threads during fit: one fit and a 5-fold cross_validate on Adult, n_jobs=1 and 2.

Usage: python benchmarks/threads.py [--epochs 3]

Prints, for each setting, the wall time, and the torch thread count seen
inside a fit (in the main process and in loky workers).
"""

import argparse
import time

import numpy as np
import torch
from sklearn import config_context
from sklearn.compose import make_column_transformer
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch.callbacks import Callback

from skinvariant import IIDMClassifier
from skinvariant.datasets import load_adult


class RecordTrainingThreads(Callback):
    """Records torch's intra-op thread count at the start of training."""

    def on_train_begin(self, net, **kwargs):
        net.training_threads_ = torch.get_num_threads()


def adult_pipeline(epochs):
    X, y, s = load_adult(return_X_y_s=True)
    categorical = X.select_dtypes(exclude="number").columns
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical), remainder=StandardScaler()
    )
    model = make_pipeline(
        encode,
        IIDMClassifier(max_epochs=epochs, random_state=0, callbacks=[RecordTrainingThreads()]),
    )
    return model, X, y, s


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="call torch.set_num_threads with this first (default: leave it)",
    )
    args = parser.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    model, X, y, s = adult_pipeline(args.epochs)
    print(f"torch {torch.__version__}, default threads in this process: {torch.get_num_threads()}")
    start = time.perf_counter()
    model.fit(X, y, iidmclassifier__sensitive=s)
    print(
        f"one fit: {time.perf_counter() - start:.1f} s, "
        f"torch threads in fit {model[-1].net_.training_threads_}"
    )
    with config_context(enable_metadata_routing=True):
        model[-1].set_fit_request(sensitive=True)
        for n_jobs in (1, 2):
            start = time.perf_counter()
            result = cross_validate(
                model, X, y, cv=5, n_jobs=n_jobs, params={"sensitive": s}, return_estimator=True
            )
            threads = sorted({fitted[-1].net_.training_threads_ for fitted in result["estimator"]})
            print(
                f"cross_validate cv=5 n_jobs={n_jobs}: {time.perf_counter() - start:.1f} s, "
                f"torch threads in fit {threads}, "
                f"accuracy {np.mean(result['test_score']):.3f}"
            )


if __name__ == "__main__":
    main()
