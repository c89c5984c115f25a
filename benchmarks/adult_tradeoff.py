"""Accuracy against fairness on UCI Adult (sex as sensitive) over lam.

IIDMClassifier and AdversarialClassifier (AII, mode="alternating") are fitted
for each lam on a 70/30 split stratified by y (one-hot categorical columns,
standardised numeric ones; batch 256), beside LogisticRegression on the same
features. Reported on the test split: accuracy, demographic parity difference,
equalized odds difference, and the accuracy of a fresh probe reading sex from
transform(X_test) (skinvariant.metrics.sensitive_leakage, default
gradient-boosted probe; for LogisticRegression the probe reads the
preprocessed features themselves).

Run: python benchmarks/adult_tradeoff.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from adult_data import adult_split  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skinvariant import AdversarialClassifier, IIDMClassifier  # noqa: E402
from skinvariant.metrics import (  # noqa: E402
    demographic_parity_difference,
    equalized_odds_difference,
    sensitive_leakage,
)

RESULTS = "benchmarks/results/"
METHODS = {"IIDM": IIDMClassifier, "AII": AdversarialClassifier}


def evaluate(name, lam, model, Z_test, data, seconds):
    """Return the test measures of a fitted ``model`` as one row."""
    _, X_test, _, y_test, _, s_test = data
    y_pred = model.predict(X_test)
    return {
        "method": name,
        "lam": lam,
        "accuracy": float((y_pred == y_test).mean()),
        "dp_difference": demographic_parity_difference(y_test, y_pred, sensitive=s_test),
        "eo_difference": equalized_odds_difference(y_test, y_pred, sensitive=s_test),
        "leakage_accuracy": sensitive_leakage(Z_test, s_test).accuracy,
        "fit_seconds": seconds,
    }


def run_logistic(data):
    """Fit and evaluate the logistic-regression baseline."""
    X_train, X_test, y_train, _, _, _ = data
    start = time.perf_counter()
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    return evaluate("LogisticRegression", None, model, X_test, data, time.perf_counter() - start)


def run_invariant(name, lam, max_epochs, data):
    """Fit and evaluate one invariant classifier."""
    X_train, X_test, y_train, _, s_train, _ = data
    model = METHODS[name](lam=lam, batch_size=256, max_epochs=max_epochs, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_train, sensitive=s_train)
    seconds = time.perf_counter() - start
    return evaluate(name, lam, model, model.transform(X_test), data, seconds)


def plot(frame, path):
    """Accuracy against DP difference: one marker per (method, lam), LR as a star."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for (name, marker), color in zip((("IIDM", "o"), ("AII", "s")), ("tab:blue", "tab:orange")):
        rows = frame[frame.method == name].sort_values("lam")
        ax.plot(rows.dp_difference, rows.accuracy, marker=marker, color=color, label=name)
        for _, row in rows.iterrows():
            ax.annotate(
                f"{row.lam:g}",
                (row.dp_difference, row.accuracy),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    baseline = frame[frame.method == "LogisticRegression"].iloc[0]
    ax.scatter(
        baseline.dp_difference,
        baseline.accuracy,
        marker="*",
        s=200,
        color="black",
        label="LogisticRegression",
        zorder=3,
    )
    ax.axvline(0.05, color="grey", linestyle=":", linewidth=1)
    ax.axhline(baseline.accuracy - 0.01, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("demographic parity difference (test)")
    ax.set_ylabel("accuracy (test)")
    ax.set_title("Adult, sensitive = sex (labels: lam)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def target_reached(frame):
    """Rows within 1 point of LR accuracy with DP difference <= 0.05."""
    baseline = frame[frame.method == "LogisticRegression"].accuracy.iloc[0]
    ok = (frame.accuracy >= baseline - 0.01) & (frame.dp_difference <= 0.05)
    return frame[ok & (frame.method != "LogisticRegression")]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two lams, 2 epochs")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lams, max_epochs = (
        ((0.0, 1.0), 2) if args.quick else ((0.0, 0.01, 0.1, 1.0, 3.0, 10.0), args.epochs)
    )
    data = adult_split()
    rows = [run_logistic(data)]
    for name in METHODS:
        for lam in lams:
            rows.append(run_invariant(name, lam, max_epochs, data))
            print(
                "{method} lam={lam:g}: accuracy {accuracy:.3f}, DP {dp_difference:.3f}, "
                "{fit_seconds:.0f} s".format(**rows[-1]),
                flush=True,
            )
    frame = pd.DataFrame(rows)
    prefix = RESULTS + ("adult_tradeoff_quick" if args.quick else "adult_tradeoff")
    frame.to_csv(prefix + ".csv", index=False)
    plot(frame, prefix + ".png")
    print(frame.to_string(index=False, float_format="%.3f"))
    reached = target_reached(frame)
    print(
        "target (acc >= LR - 0.01 and DP <= 0.05) reached by:",
        "none" if reached.empty else reached[["method", "lam"]].to_dict("records"),
    )


if __name__ == "__main__":
    main()
