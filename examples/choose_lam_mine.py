"""
Choosing lam for MINEDebiasedClassifier without validation data (paper 003, section 5.1)
========================================================================================

The rule: the highest lam that still fits the training data while driving the
mutual-information estimate lowest. ``make_mutual_information_scorer`` reads
each candidate's own training estimate; ``lowest_mutual_information`` keeps
the candidates whose training accuracy is within two points of the best and
picks the lowest estimate among them. Data: German credit, age <= 25 as the
sensitive attribute. The figure shows both quantities against lam (needs
matplotlib).

Run: python examples/choose_lam_mine.py
"""

import matplotlib.pyplot as plt
import pandas as pd
import sklearn
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skinvariant import MINEDebiasedClassifier
from skinvariant.datasets import load_german
from skinvariant.metrics import equal_opportunity_difference, make_mutual_information_scorer
from skinvariant.model_selection import lowest_mutual_information


def main():
    sklearn.set_config(enable_metadata_routing=True)
    X, y, young = load_german(return_X_y_s=True)
    X_train, X_test, y_train, y_test, young_train, young_test = train_test_split(
        X, y, young, test_size=0.3, stratify=y, random_state=0
    )
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
            remainder=StandardScaler(),
        ),
        MINEDebiasedClassifier(max_epochs=40, random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {"minedebiasedclassifier__lam": [0.0, 0.1, 0.5, 1.0, 3.0]},
        cv=3,
        scoring={"accuracy": "accuracy", "mi": make_mutual_information_scorer()},
        refit=lowest_mutual_information(max_accuracy_drop=0.02),
        return_train_score=True,
    )
    search.fit(X_train, y_train, sensitive=young_train)
    columns = ["param_minedebiasedclassifier__lam", "mean_train_accuracy", "mean_test_mi"]
    print(pd.DataFrame(search.cv_results_)[columns].round(3).to_string(index=False))
    model = search.best_estimator_
    print("chosen lam:", search.best_params_["minedebiasedclassifier__lam"])
    print("test accuracy:", round(model.score(X_test, y_test), 3))
    print(
        "test equal opportunity difference:",
        round(equal_opportunity_difference(y_test, model.predict(X_test), sensitive=young_test), 3),
    )

    results = pd.DataFrame(search.cv_results_)
    lams = results["param_minedebiasedclassifier__lam"].astype(float)
    _, accuracy_axis = plt.subplots()
    accuracy_axis.plot(lams, results["mean_train_accuracy"], marker="o", color="C0")
    accuracy_axis.set_xlabel("lam")
    accuracy_axis.set_ylabel("training accuracy", color="C0")
    mi_axis = accuracy_axis.twinx()
    # the scorer returns minus the estimate: plot the estimate itself
    mi_axis.plot(lams, -results["mean_test_mi"], marker="s", color="C1")
    mi_axis.set_ylabel("training estimate of I(z; s)", color="C1")
    accuracy_axis.axvline(
        search.best_params_["minedebiasedclassifier__lam"], color="grey", linestyle="--"
    )
    accuracy_axis.set_title("The chosen lam (dashed)")
    plt.tight_layout()
    plt.show()


if __name__ == "__main__":
    main()
