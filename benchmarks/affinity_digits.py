"""Paper 004, Table 1 and Fig. 3 shape: the affinity loss on plain / inverted digits.

Digits (sklearn's 8x8), half of each class inverted; the origin is the
sensitive attribute. For each setting: the classifier's digit accuracy on a
held-out 30%, and the accuracy of fresh probes reading the origin from
transform(X) (a logistic regression trained on the training rows' z, as the
paper retrains a linear output layer, and a gradient-boosting probe), over

* lam in {0, 1e-4, 1e-3, 1e-2, 1e-1} at n_components=20 (Table 1a), and
* n_components in {1, 5, 10, 20, 50} at lam=1e-2 (Table 1b),

three seeds each. Then a frozen pretrained encoder (paper 004 debiases a
fixed VGG19): a plain model (lam=0) is trained, its encoder frozen, and only a
fair layer on top (freeze_encoder=True) is trained with the affinity loss.
Finally a t-SNE picture of z before (lam=0) and after (lam=1e-2), coloured by
digit and by origin, saved to docs/.

Run: python benchmarks/affinity_digits.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skinvariant import AffinityClassifier  # noqa: E402
from skinvariant.datasets import make_inverted_digits  # noqa: E402
from skinvariant.metrics import sensitive_leakage  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DOCS = Path(__file__).parent.parent / "docs"
LAMS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # 1.0: beyond the paper grid, to find the collapse
WIDTHS = (1, 5, 10, 20, 50)


def split(seed):
    X, y, origin = make_inverted_digits(random_state=seed)
    return train_test_split(X, y, origin, test_size=0.3, stratify=y * 2 + origin, random_state=seed)


def run(lam, n_components, seed, max_epochs, **options):
    X_train, X_test, y_train, y_test, o_train, o_test = split(seed)
    model = AffinityClassifier(
        lam=lam, n_components=n_components, max_epochs=max_epochs, random_state=seed, **options
    )
    start = time.perf_counter()
    model.fit(X_train, y_train, sensitive=o_train)
    seconds = time.perf_counter() - start
    Z_train, Z_test = model.transform(X_train), model.transform(X_test)
    linear_probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    origin_linear = linear_probe.fit(Z_train, o_train).score(Z_test, o_test)
    digit_linear = linear_probe.fit(Z_train, y_train).score(Z_test, y_test)
    return {
        "lam": lam,
        "n_components": n_components,
        "seed": seed,
        "digit": model.score(X_test, y_test),
        "digit_linear": digit_linear,
        "origin_linear": origin_linear,
        "origin_boosting": sensitive_leakage(
            np.vstack([Z_train, Z_test]), np.r_[o_train, o_test], random_state=seed
        ).accuracy,
        "train_affinity": model.history_[-1, "train_penalty"],
        "seconds": seconds,
    }


def frozen_runs(seed, max_epochs):
    """A plain model's encoder, frozen, under a fair layer trained with the affinity loss."""
    X_train, _, y_train, _, o_train, _ = split(seed)
    pretrained = (
        AffinityClassifier(lam=0.0, max_epochs=max_epochs, random_state=seed)
        .fit(X_train, y_train, sensitive=o_train)
        .net_.module_.encoder
    )
    settings = [((128,), lam) for lam in (0.0, 1e-2, 1e-1, 1.0)] + [((), 1.0)]
    rows = []
    for hidden, lam in settings:
        row = run(
            lam,
            20,
            seed,
            max_epochs,
            encoder=pretrained,
            freeze_encoder=True,
            hidden_layer_sizes=hidden,
        )
        rows.append({**row, "fair_layer": "linear" if not hidden else f"MLP {hidden}"})
    return rows


def summarize(runs, by):
    columns = ["digit", "digit_linear", "origin_linear", "origin_boosting"]
    summary = runs.groupby(by)[columns].agg(["mean", "std"])
    summary.columns = [f"{name}_{stat}" for name, stat in summary.columns]
    return summary.round(3)


def tsne_figure(max_epochs, path):
    X_train, X_test, y_train, y_test, o_train, o_test = split(0)
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.5))
    for column, (lam, title) in enumerate(((0.0, "plain (lam=0)"), (1e-2, "affinity (lam=0.01)"))):
        model = AffinityClassifier(lam=lam, max_epochs=max_epochs, random_state=0)
        model.fit(X_train, y_train, sensitive=o_train)
        embedded = TSNE(random_state=0, init="pca").fit_transform(model.transform(X_test))
        for row, (colour, name, cmap) in enumerate(
            ((y_test, "digit", "tab10"), (o_test, "origin", "coolwarm"))
        ):
            axis = axes[row, column]
            points = axis.scatter(*embedded.T, c=colour, s=6, cmap=cmap)
            axis.set_title(f"{title}: coloured by {name}")
            axis.set_xticks([])
            axis.set_yticks([])
            if name == "origin":
                axis.legend(points.legend_elements()[0], ["plain", "inverted"], loc="lower right")
    fig.suptitle("t-SNE of transform(X) on held-out digits (paper 004, Fig. 3)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed, few epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    max_epochs = 5 if args.quick else 50
    settings = [(lam, 20) for lam in LAMS] + [(1e-2, width) for width in WIDTHS if width != 20]
    runs = pd.DataFrame(
        [run(lam, width, seed, max_epochs) for lam, width in settings for seed in seeds]
    )
    stem = "affinity_digits_quick" if args.quick else "affinity_digits"
    runs.to_csv(RESULTS / f"{stem}_runs.csv", index=False)
    by_lam = summarize(runs[runs.n_components == 20], "lam")
    by_width = summarize(runs[runs.lam == 1e-2], "n_components")
    frozen = pd.DataFrame([row for seed in seeds for row in frozen_runs(seed, max_epochs)])
    frozen.to_csv(RESULTS / f"{stem}_frozen_runs.csv", index=False)
    by_frozen = summarize(frozen, ["fair_layer", "lam"])
    text = (
        "Held-out accuracy: digit = the classifier's head, digit_linear / origin_linear =\n"
        "a logistic regression retrained on z, origin_boosting = a gradient-boosting probe\n"
        "(chance for the origin: 0.5)\n\n"
        f"Table 1a (n_components=20)\n{by_lam.to_string()}\n\n"
        f"Table 1b (lam=0.01)\n{by_width.to_string()}\n\n"
        f"Frozen pretrained encoder, fair layer on top (n_components=20)\n"
        f"{by_frozen.to_string()}\n\n"
        f"seconds per fit: {runs.seconds.mean():.1f}\n"
    )
    print(text)
    (RESULTS / f"{stem}.txt").write_text(text)
    tsne_figure(
        max_epochs, RESULTS / f"{stem}_tsne.png" if args.quick else DOCS / "affinity_tsne.png"
    )


if __name__ == "__main__":
    main()
