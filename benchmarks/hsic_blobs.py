"""HSICClassifier on the 3-group blobs: y accuracy and a fresh MLP probe on s, against IIDM.

``make_attribute_blobs(3000, n_groups=3)`` (y independent of s), half held
out (stratified by s), seed 0. Two fresh readings of s from z (chance 0.33):
an MLP with two hidden layers of 64 on standardised z, trained on the
training half's representation and scored on the held-out half; and the
strongest of ``sensitive_leakage``'s three probes on the held-out
representation. The training penalty is the last epoch's mean.

Run: python benchmarks/hsic_blobs.py  (about 20 seconds on 2 cores)
"""

import time
import warnings

import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvariant import HSICClassifier, IIDMClassifier
from skinvariant.datasets import make_attribute_blobs
from skinvariant.metrics import sensitive_leakage

MODELS = {
    "HSIC lam=1": lambda: HSICClassifier(lam=1, random_state=0),
    "HSIC lam=10": lambda: HSICClassifier(lam=10, random_state=0),
    "HSIC lam=100": lambda: HSICClassifier(lam=100, random_state=0),
    "HSIC lam=10, 2 components": lambda: HSICClassifier(lam=10, n_components=2, random_state=0),
    "HSIC lam=100, 2 components": lambda: HSICClassifier(lam=100, n_components=2, random_state=0),
    "IIDM defaults": lambda: IIDMClassifier(random_state=0),
}


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y, s = make_attribute_blobs(3000, n_groups=3, random_state=0)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.5, random_state=0, stratify=s
    )
    rows = []
    for name, build in MODELS.items():
        start = time.perf_counter()
        model = build().fit(X_train, y_train, sensitive=s_train)
        probe = make_pipeline(
            StandardScaler(), MLPClassifier((64, 64), max_iter=500, random_state=0)
        )
        probe.fit(model.transform(X_train), s_train)
        rows.append(
            {
                "model": name,
                "y_accuracy": model.score(X_test, y_test),
                "mlp_probe_accuracy": probe.score(model.transform(X_test), s_test),
                "strongest_probe_accuracy": sensitive_leakage(
                    model.transform(X_test), s_test, random_state=0
                ).accuracy,
                "train_penalty": model.history_[-1, "train_penalty"],
                "seconds": time.perf_counter() - start,
            }
        )
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
