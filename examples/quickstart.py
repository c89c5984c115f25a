"""
Quickstart: a credit-style model on UCI Adult whose representation forgets sex
==============================================================================

Fits a plain network (lam=0) and an invariant one (lam=1) on bundled data,
then prints accuracy, group-fairness gaps and how well a fresh probe can still
read sex from the learned representation.

Run: python examples/quickstart.py
"""

import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skinvariant import IIDMClassifier
from skinvariant.datasets import load_adult
from skinvariant.metrics import fairness_report


def make_model(lam):
    preprocessing = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
        remainder=StandardScaler(),
    )
    classifier = IIDMClassifier(lam=lam, max_epochs=8, batch_size=256, random_state=0)
    return make_pipeline(preprocessing, classifier)


def main():
    X, y, sex = load_adult(return_X_y_s=True)
    X_train, X_test, y_train, y_test, sex_train, sex_test = train_test_split(
        X, y, sex, test_size=0.3, stratify=y, random_state=0
    )
    reports = {}
    for lam in (0.0, 1.0):
        model = make_model(lam).fit(X_train, y_train, iidmclassifier__sensitive=sex_train)
        reports[f"lam={lam:g}"] = fairness_report(model, X_test, y_test, sex_test)["value"]
    print(pd.DataFrame(reports).round(3).to_string())


if __name__ == "__main__":
    main()
