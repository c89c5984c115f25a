"""InvertibleClassifier (paper 002): Table 2 on digits, metameric samples, spheres, speed.

Four measurements in one run:

1. Paper 002 Table 2 on scikit-learn's 8x8 digits (X / 16, 70/30 split
   stratified by class, 3 seeds): logit train/test error, and the test error
   of fresh probes trained on the training rows' nuisance block z_n (an MLP
   ``make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=500))``,
   a standardised LogisticRegression and a standardised 5-nearest-neighbour
   classifier; "strongest" is the lowest of their test errors), for plain
   cross-entropy (lam=0) against independence cross-entropy, on the paper's flow
   (``class_conditional=False``) and with the class-conditional block (the
   defaults). Also the share of metameric test samples (logits of a,
   nuisance of a random test image b of another class) that an MLP trained
   on the raw training pixels (the "oracle") labels as a's class, and as b's.
2. ``docs/invertible_metameric.png``: metameric samples of CE and iCE models
   (paper 002 Figures 4 and 6).
3. Adversarial spheres (d=100, radii 1 and 10, 2000 train / 1000 test):
   logit accuracy, post-hoc probes' accuracy on z_n (the MLP's and the
   strongest), and for metameric samples (logits of a, nuisance of a sample
   of the other class) the share
   whose predicted class changes and the share whose class judged by the
   norm (closer to radius 1 or 10) differs from a's.
4. Seconds per epoch of InvertibleClassifier (lam=1) on digits and Adult
   against a bare torch loop with the same ``InvertibleNetwork``, the same
   nuisance MLP, Adam, 5 nuisance steps per flow step, the same loss terms
   and the class-conditional block's fit after each epoch.

Run: python benchmarks/invertible.py [--quick]  (--quick writes *_quick.* files)

Other splits and seeds (issue 22): the digits Table 2 and the spheres on these
split seeds only, each judged alone; writes results/invertible_variants.{md,csv}:
python benchmarks/invertible.py --split-seeds 3 4 5 0 0 0 --model-seeds 3 4 5 1 2 3
(the split seed draws the 70/30 split, the metamer partners and the spheres'
sample; the model seed the flow, the oracle and the probes; without
--model-seeds each is its split seed, as in the plain run).

One digits configuration instead (the rows of results/invertible_search.md):
python benchmarks/invertible.py --one '{"lam": 100, "class_conditional": false}' --seeds 0,1,2
prints, per seed, the logit and probe errors of Table 2 and the training
nuisance classifier's last-epoch accuracy; 60 epochs unless max_epochs is given.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from adult_data import adult_split  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from torch import nn  # noqa: E402

from skinvariant import InvertibleClassifier  # noqa: E402
from skinvariant.datasets import make_spheres  # noqa: E402
from skinvariant.invertible import InvertibleNetwork  # noqa: E402
from skinvariant.invertible._estimator import _dequantization_widths  # noqa: E402  (same widths as the estimator)

RESULTS = "benchmarks/results/"
PICTURE = "docs/invertible_metameric.png"
RADII = (1.0, 10.0)

# (label, parameters) of the digits and spheres grids; lam=0 is plain CE. The
# paper's flow ends with the couplings; the defaults add the class-conditional block.
PAPER_FLOW = dict(class_conditional=False)
MAXIMIZE = dict(nuisance_target="maximize")  # Definition 7; the defaults "confuse"
DIGITS_MODELS = [
    ("CE", dict(lam=0.0, **PAPER_FLOW)),
    ("iCE", dict(lam=10.0, **MAXIMIZE, **PAPER_FLOW)),
    ("iCE confuse", dict(lam=100.0, **PAPER_FLOW)),
    ("CE + class-conditional", dict(lam=0.0)),
    ("iCE + class-conditional", dict(lam=1.0, **MAXIMIZE)),
    ("iCE confuse + class-conditional", dict(lam=1.0)),  # the defaults
]
PICTURED = {"CE": ("CE", 0.0), "iCE": ("iCE confuse + class-conditional", 1.0)}
SPHERES_MODELS = [
    ("CE", dict(lam=0.0, **PAPER_FLOW)),
    ("iCE", dict(lam=10.0, **MAXIMIZE, **PAPER_FLOW)),
    ("CE + class-conditional", dict(lam=0.0)),
    ("iCE + class-conditional", dict(lam=1.0, **MAXIMIZE)),
    ("iCE confuse + class-conditional", dict(lam=1.0)),
]


def mlp_probe(seed):
    """The MLP probe of the brief (standardised inputs, two hidden layers of 64)."""
    return make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=500, random_state=seed))


def linear_probe():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def digits_split(seed):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)


def other_class_partners(y, rng):
    """For each row, the index of a random row of another class."""
    return np.array([rng.choice(np.flatnonzero(y != label)) for label in y])


def knn_probe():
    return make_pipeline(StandardScaler(), KNeighborsClassifier(5))


def nuisance_probes(model, X_train, X_test, y_train, y_test, seed):
    """Errors of fresh probes on z_n: the MLP's train and test error, the linear's and kNN's
    test error, and the strongest probe's (the lowest test error of the three)."""
    model.set_params(transform_output="nuisance")
    Z_train, Z_test = model.transform(X_train), model.transform(X_test)
    model.set_params(transform_output="logits")
    probe = mlp_probe(seed)
    probes = {"mlp": probe, "linear": linear_probe(), "knn": knn_probe()}
    test_errors = {
        f"probe_{name}_test_error": 1 - fitted.fit(Z_train, y_train).score(Z_test, y_test)
        for name, fitted in probes.items()
    }
    return {
        "probe_mlp_train_error": 1 - probe.score(Z_train, y_train),
        **test_errors,
        "probe_strongest_test_error": min(test_errors.values()),
    }


# -- 1. Table 2 on digits ------------------------------------------------------------------


def digits_table(seeds, n_epochs, model_seeds=None):
    """One row per (model, seed); also the seed-0 CE and iCE models for the picture.

    With ``model_seeds`` (one per split seed) the split and the metamer partners
    follow ``seeds``, the models and probes ``model_seeds``, and rows get ``split_seed``.
    """
    rows, pictured = [], {}
    for split_seed, seed in zip(seeds, model_seeds or seeds):
        X_train, X_test, y_train, y_test = digits_split(split_seed)
        oracle = MLPClassifier((64, 64), max_iter=500, random_state=seed).fit(X_train, y_train)
        partners = other_class_partners(y_test, np.random.default_rng(split_seed))
        for label, params in DIGITS_MODELS:
            start = time.perf_counter()
            model = InvertibleClassifier(max_epochs=n_epochs, random_state=seed, **params)
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            metamers = model.metameric_sample(X_test, X_test[partners])
            oracle_says = oracle.predict(metamers)
            row = {
                "model": label,
                "lam": params["lam"],
                "seed": seed,
                "logit_train_error": 1 - model.score(X_train, y_train),
                "logit_test_error": 1 - model.score(X_test, y_test),
                **nuisance_probes(model, X_train, X_test, y_train, y_test, seed),
                "metamer_oracle_says_logits_class": np.mean(oracle_says == y_test),
                "metamer_oracle_says_nuisance_class": np.mean(oracle_says == y_test[partners]),
                "fit_seconds": seconds,
            }
            if model_seeds is not None:
                row = {"split_seed": split_seed, **row}
            rows.append(row)
            print(
                " ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            )
            for name, key in PICTURED.items():
                if seed == seeds[0] and key == (label, params["lam"]):
                    pictured[name] = model
        if seed == seeds[0]:
            pictured["data"] = X_test, y_test
    return pd.DataFrame(rows), pictured


def summarize_digits(runs):
    columns = [
        "logit_train_error",
        "logit_test_error",
        "probe_mlp_train_error",
        "probe_mlp_test_error",
        "probe_linear_test_error",
        "probe_knn_test_error",
        "probe_strongest_test_error",
        "metamer_oracle_says_logits_class",
        "metamer_oracle_says_nuisance_class",
    ]
    grouped = runs.groupby(["model", "lam"], sort=False)[columns]
    means, stds = grouped.mean(), grouped.std().fillna(0.0)
    table = pd.DataFrame(index=means.index)
    for column in columns:
        table[column] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(means[column], stds[column])]
    table["fit s"] = runs.groupby(["model", "lam"], sort=False).fit_seconds.mean().round(1)
    ce_error = means.loc[("CE", 0.0), "logit_test_error"]
    table["target met"] = [
        "-"
        if lam == 0
        else (
            "yes"
            if (
                means.loc[(model, lam), "probe_strongest_test_error"] >= 0.5
                and means.loc[(model, lam), "logit_test_error"] <= ce_error + 0.015
            )
            else "no"
        )
        for model, lam in means.index
    ]
    return table.reset_index()


def mean_range(values):
    """'mean [min, max]' of a series."""
    return f"{values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]"


def judge_digits_runs(runs):
    """Each (split, model seed) alone: the gap to that run's CE and whether the target is met."""
    keys = ["split_seed", "seed"]
    ce = runs[runs.model == "CE"].set_index(keys).logit_test_error
    runs = runs.copy()
    runs["gap_to_CE"] = runs.logit_test_error - ce.loc[list(zip(runs.split_seed, runs.seed))].values
    met = (runs.probe_strongest_test_error >= 0.5) & (runs.gap_to_CE <= 0.015 + 1e-9)
    runs["target_met"] = np.where(runs.lam == 0, "-", np.where(met, "yes", "no"))
    return runs


def summarize_variants(runs, columns):
    """Per model: 'mean [min, max]' over runs of ``columns``."""
    grouped = runs.groupby(["model", "lam"], sort=False)
    table = grouped[columns].agg(mean_range)
    if "target_met" in runs:
        table["target met"] = grouped.target_met.agg(
            lambda met: "-" if (met == "-").all() else f"{(met == 'yes').sum()} of {len(met)}"
        )
    return table.reset_index()


def variants_report(digits_runs, spheres_runs, digits_epochs, spheres_epochs):
    """Markdown of the variant runs: per-model spread, then every run."""
    digits_runs = judge_digits_runs(digits_runs)
    digits_columns = [
        "logit_test_error",
        "gap_to_CE",
        "probe_mlp_test_error",
        "probe_knn_test_error",
        "probe_strongest_test_error",
    ]
    spheres_columns = [
        "logit_accuracy",
        "probe_strongest_accuracy",
        "metamer_norm_class_changed",
        "metamer_norm_median_inner",
        "metamer_norm_median_outer",
    ]
    digits_each = digits_runs[["split_seed", "seed", "model", *digits_columns, "target_met"]]
    spheres_each = spheres_runs[["split_seed", "seed", "model", *spheres_columns]]
    runs = list(dict.fromkeys(zip(digits_runs.split_seed, digits_runs.seed)))
    return (
        f"## Digits, Table 2: each (split seed, model seed) judged alone, {digits_epochs} "
        f"epochs\n\n(split seed, model seed): {runs}. Cells: mean [min, max] over the "
        f"{len(runs)} runs. gap_to_CE = logit test error minus that run's CE (paper's flow, "
        f"lam=0); target met = strongest probe error >= 0.5 and gap_to_CE <= 0.015 in that "
        f"run.\n\n{summarize_variants(digits_runs, digits_columns).to_markdown(index=False)}"
        f"\n\n### Every digits run\n\n{digits_each.to_markdown(index=False, floatfmt='.3f')}"
        f"\n\n## Spheres (d=100, radii 1 and 10, 2000 train / 1000 test, {spheres_epochs} "
        f"epochs), mean [min, max]\n\n"
        f"{summarize_variants(spheres_runs, spheres_columns).to_markdown(index=False)}\n\n"
        f"### Every spheres run\n\n{spheres_each.to_markdown(index=False, floatfmt='.3f')}"
    )


def one_configuration(params, seeds):
    """Table 2's errors for one parameter set, one printed JSON row per seed."""
    for seed in seeds:
        X_train, X_test, y_train, y_test = digits_split(seed)
        start = time.perf_counter()
        model = InvertibleClassifier(random_state=seed, **{"max_epochs": 60, **params})
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        row = {
            "params": params,
            "seed": seed,
            "logit_test_error": round(1 - model.score(X_test, y_test), 3),
            **{
                k: round(v, 3)
                for k, v in nuisance_probes(model, X_train, X_test, y_train, y_test, seed).items()
            },
            "train_nuisance_acc": round(
                float(model.history_[-1].get("train_nuisance_acc", np.nan)), 3
            ),
            "fit_seconds": round(seconds, 1),
        }
        print(json.dumps(row), flush=True)


# -- 2. the picture ------------------------------------------------------------------------


def metameric_picture(pictured, path, n_pairs=6):
    """Panels a | F^-1(z_s(a), z_n(b)) | b, one row of panels per model."""
    X_test, y_test = pictured["data"]
    rng = np.random.default_rng(0)
    firsts = rng.choice(len(X_test), n_pairs, replace=False)
    seconds = np.array([rng.choice(np.flatnonzero(y_test != y_test[a])) for a in firsts])
    gap = np.full((8, 1), np.nan)
    fig, axes = plt.subplots(2, n_pairs, figsize=(2.3 * n_pairs, 4.6))
    for row, name in enumerate(("CE", "iCE")):
        model = pictured[name]
        metamers = model.metameric_sample(X_test[firsts], X_test[seconds])
        predicted = model.predict(metamers)
        for column, (a, b) in enumerate(zip(firsts, seconds)):
            image = np.hstack(
                [
                    X_test[a].reshape(8, 8),
                    gap,
                    metamers[column].reshape(8, 8),
                    gap,
                    X_test[b].reshape(8, 8),
                ]
            )
            ax = axes[row, column]
            ax.imshow(np.clip(image, 0, 1), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(f"a={y_test[a]}  met->{predicted[column]}  b={y_test[b]}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        label, lam = PICTURED[name]
        axes[row, 0].set_ylabel(f"{label}\n(lam={lam:g})", fontsize=9)
    fig.suptitle("Digits: each panel a | metamer (logits of a, nuisance of b) | b", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- 3. spheres ----------------------------------------------------------------------------


def norm_class(X):
    """Index of the radius that the norm of each row is closest to."""
    norms = np.linalg.norm(X, axis=1)
    return np.argmin(np.abs(norms[:, None] - np.asarray(RADII)[None, :]), axis=1)


def spheres_table(seeds, n_epochs, n_train, n_test, model_seeds=None):
    rows = []
    for split_seed, seed in zip(seeds, model_seeds or seeds):
        X, y = make_spheres(n_train + n_test, n_features=100, radii=RADII, random_state=split_seed)
        X = X.astype(np.float32)
        X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        partners = other_class_partners(y_test, np.random.default_rng(split_seed))
        for label, params in SPHERES_MODELS:
            model = InvertibleClassifier(max_epochs=n_epochs, random_state=seed, **params)
            model.fit(X_train, y_train)
            probes = nuisance_probes(model, X_train, X_test, y_train, y_test, seed)
            metamers = model.metameric_sample(X_test, X_test[partners])
            row = {
                "model": label,
                "lam": params["lam"],
                "seed": seed,
                "logit_accuracy": model.score(X_test, y_test),
                "probe_mlp_accuracy": 1 - probes["probe_mlp_test_error"],
                "probe_strongest_accuracy": 1 - probes["probe_strongest_test_error"],
                "metamer_prediction_changed": np.mean(
                    model.predict(metamers) != model.predict(X_test)
                ),
                "metamer_norm_class_changed": np.mean(norm_class(metamers) != y_test),
                "metamer_norm_median_inner": np.median(
                    np.linalg.norm(metamers[y_test == 0], axis=1)
                ),
                "metamer_norm_median_outer": np.median(
                    np.linalg.norm(metamers[y_test == 1], axis=1)
                ),
            }
            if model_seeds is not None:
                row = {"split_seed": split_seed, **row}
            rows.append(row)
            print(
                " ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            )
    return pd.DataFrame(rows)


def summarize_spheres(runs):
    columns = [
        "logit_accuracy",
        "probe_mlp_accuracy",
        "probe_strongest_accuracy",
        "metamer_prediction_changed",
        "metamer_norm_class_changed",
        "metamer_norm_median_inner",
        "metamer_norm_median_outer",
    ]
    grouped = runs.groupby(["model", "lam"], sort=False)[columns]
    means, stds = grouped.mean(), grouped.std().fillna(0.0)
    table = pd.DataFrame(index=means.index)
    for column in columns:
        table[column] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(means[column], stds[column])]
    return table.reset_index()


# -- 4. speed ------------------------------------------------------------------------------


def mlp(n_inputs, hidden, n_outputs):
    layers, width = [], n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, n_outputs))


def bare_epochs(X, y, n_epochs, batch_size, lam, n_nuisance_steps=5):
    """The estimator's arithmetic in a plain loop; seconds per epoch."""
    n_features, n_classes = X.shape[1], int(y.max()) + 1
    network = InvertibleNetwork(
        n_features,
        n_classes,
        n_padding=0,
        dequantization_widths=_dequantization_widths(X),
        n_blocks=4,
        hidden_layer_sizes=(64,),
        coupling="affine",
        mixing="linear",
        class_conditional=True,
    )
    n_nuisance = n_features - n_classes
    nuisance_classifier = mlp(n_nuisance, (64,), n_classes)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
    optimizer_nuisance = torch.optim.Adam(nuisance_classifier.parameters(), lr=1e-3)
    x, y = torch.tensor(X), torch.tensor(y)
    network.train()
    durations = []
    for _ in range(n_epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for first in range(0, len(x), batch_size):
            rows = order[first : first + batch_size]
            xb, yb = x[rows], y[rows]
            outputs = network.outputs(xb)
            nuisance = outputs["nuisance"].detach()
            for _ in range(n_nuisance_steps):
                optimizer_nuisance.zero_grad()
                F.cross_entropy(nuisance_classifier(nuisance), yb).backward()
                optimizer_nuisance.step()
            optimizer.zero_grad()
            nll = -(outputs["nuisance_log_prior"] + outputs["logdet"]).mean() / n_features
            # "confuse": cross-entropy of the nuisance classifier's output to uniform
            log_q = F.log_softmax(nuisance_classifier(outputs["nuisance"]), dim=1)
            confusion = -log_q.mean(dim=1).mean()
            loss = F.cross_entropy(outputs["logits"], yb) + lam * confusion / n_nuisance + nll
            loss.backward()
            optimizer.step()
        network.eval()  # the class-conditional block's fit after each epoch
        with torch.no_grad():
            network.fit_closed_form(network.closed_form_inputs(x), y)
        network.train()
        durations.append(time.perf_counter() - start)
    return durations


def speed_table(n_epochs, n_repeats, batch_size=128, lam=1.0):
    X_digits, _, y_digits, _ = digits_split(0)
    X_adult, _, y_adult, _, _, _ = adult_split()
    rows = []
    for repeat in range(n_repeats):
        for name, X, y in (("digits", X_digits, y_digits), ("Adult", X_adult, y_adult)):
            torch.manual_seed(repeat)
            model = InvertibleClassifier(
                lam=lam, max_epochs=n_epochs, batch_size=batch_size, random_state=repeat
            ).fit(X, y)
            skin = statistics.median(model.history_[:, "dur"])
            bare = statistics.median(bare_epochs(X, np.asarray(y), n_epochs, batch_size, lam))
            rows.append(
                {
                    "data": name,
                    "repeat": repeat,
                    "rows": len(X),
                    "features": X.shape[1],
                    "skinvariant": skin,
                    "bare": bare,
                }
            )
            print(
                f"repeat {repeat} {name}: skinvariant {skin:.3f} s, bare {bare:.3f} s", flush=True
            )
    runs = pd.DataFrame(rows)
    summary = runs.groupby("data", sort=False)[["rows", "features", "skinvariant", "bare"]].median()
    summary[["rows", "features"]] = summary[["rows", "features"]].astype(int)
    summary["ratio"] = summary.skinvariant / summary.bare
    return runs, summary


# -- output --------------------------------------------------------------------------------


def machine_info():
    return (
        f"- CPU: {os.cpu_count()} cores ({platform.processor() or platform.machine()})\n"
        f"- Python {platform.python_version()}, torch {torch.__version__}, "
        f"torch threads {torch.get_num_threads()}\n"
    )


def variants(split_seeds, model_seeds, started, digits_epochs=60, spheres_epochs=30):
    """Digits Table 2 and the spheres on other splits and seeds; the plain run's settings."""
    if len(model_seeds) != len(split_seeds):
        raise SystemExit("--model-seeds needs one seed per split seed")
    digits_runs, _ = digits_table(split_seeds, digits_epochs, model_seeds)
    spheres_runs = spheres_table(split_seeds, spheres_epochs, 2000, 1000, model_seeds)
    stem = RESULTS + "invertible_variants"
    pd.concat(
        [digits_runs.assign(data="digits"), spheres_runs.assign(data="spheres")],
        ignore_index=True,
    ).to_csv(stem + ".csv", index=False)
    elapsed = time.perf_counter() - started
    text = (
        f"# InvertibleClassifier (paper 002) on other splits and seeds\n\n"
        f"{variants_report(digits_runs, spheres_runs, digits_epochs, spheres_epochs)}\n\n"
        f"Command: `python {' '.join(sys.argv)}`, {elapsed / 60:.1f} min\n\n{machine_info()}"
    )
    with open(stem + ".md", "w") as handle:
        handle.write(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 seed, few epochs, 1 speed repeat (writes *_quick.* files)",
    )
    parser.add_argument(
        "--one",
        metavar="JSON",
        help="only Table 2's errors for these InvertibleClassifier parameters",
    )
    parser.add_argument("--seeds", default="0", help="seeds for --one, comma separated")
    parser.add_argument(
        "--split-seeds",
        type=int,
        nargs="+",
        help="only digits Table 2 and the spheres on these splits "
        "(writes results/invertible_variants.*)",
    )
    parser.add_argument(
        "--model-seeds",
        type=int,
        nargs="+",
        help="with --split-seeds, one model seed per split seed (default: the split seed)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.one:
        one_configuration(json.loads(args.one), [int(seed) for seed in args.seeds.split(",")])
        return
    started = time.perf_counter()
    if args.split_seeds:
        variants(args.split_seeds, args.model_seeds or args.split_seeds, started)
        return
    if args.quick:
        seeds, digits_epochs, spheres_epochs, speed_epochs, repeats = [0], 10, 5, 2, 1
    else:
        seeds, digits_epochs, spheres_epochs, speed_epochs, repeats = [0, 1, 2], 60, 30, 3, 3
    prefix = RESULTS + ("invertible_quick" if args.quick else "invertible")

    digits_runs, pictured = digits_table(seeds, digits_epochs)
    digits_runs.to_csv(prefix + "_digits_runs.csv", index=False)
    digits_summary = summarize_digits(digits_runs)
    if not args.quick:
        metameric_picture(pictured, PICTURE)

    spheres_runs = spheres_table(seeds, spheres_epochs, 2000, 1000)
    spheres_runs.to_csv(prefix + "_spheres_runs.csv", index=False)
    spheres_summary = summarize_spheres(spheres_runs)

    speed_runs, speed_summary = speed_table(speed_epochs, repeats)
    speed_runs.to_csv(prefix + "_speed_runs.csv", index=False)

    elapsed = time.perf_counter() - started
    text = (
        f"# InvertibleClassifier (paper 002)\n\n"
        f"## Digits, Table 2 ({len(seeds)} seeds, {digits_epochs} epochs; errors, mean ± sd)\n\n"
        f"{digits_summary.to_markdown(index=False)}\n\n"
        f"## Spheres (d=100, radii 1 and 10, 2000 train / 1000 test, {spheres_epochs} epochs)\n\n"
        f"{spheres_summary.to_markdown(index=False)}\n\n"
        f"## Seconds per epoch (lam=1, batch 128; median over {repeats} repeats of the "
        f"median over {speed_epochs} epochs)\n\n"
        f"{speed_summary.to_markdown(floatfmt='.3f')}\n\n"
        f"Command: `python {' '.join(sys.argv)}`, {elapsed / 60:.1f} min\n\n{machine_info()}"
    )
    with open(prefix + ".md", "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
