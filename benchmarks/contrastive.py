"""Paper 001 (ContrastiveInvariantClassifier): Tables 1 and 5 shapes, disentanglement, Adult, speed.

One run measures:

1. Table 1 shape on ``make_colored_background_digits`` (8x8 digits, digit and
   background colours as known nuisances, test backgrounds unseen in
   training), for training correlations 0.9 (the generator's default) and
   0.5, 3 seeds: average and worst-group test accuracy, groups = (class,
   background) cells. Models: a plain MLP of the encoder's size
   (sklearn MLPClassifier, hidden (64, 8), Adam lr 1e-3, same epochs); the
   estimator with only CE + ELBO trained jointly (lam=beta=gamma=0,
   train_classifier_apart=False); the VAE without contrast or swap
   (lam=beta=gamma=0, classifier apart); the full model at its defaults
   (lam=1, beta=100, gamma=1), without the pair term (lam=0), and with the
   contrast at beta=10 and 1 (earlier defaults). The defaults and the MLP
   are also compared on ten seeds at correlation 0.5 (the worst cell holds
   about 18 digits and moves by 10-20 points between seeds).
2. Table 5 shape (correlation 0.5, defaults otherwise): CE only (beta=0,
   joint), CE + contrast jointly (train_classifier_apart=False), CE trained
   apart (the full model).
3. MIG, SAP and DCI disentanglement of the ``transform_output="nuisance"``
   codes (z_n) against the known nuisance factors, the model with the pair
   term (lam=1) against the same without it (lam=0): on
   ``make_mixed_factors`` (every generative factor known, as in paper 001's
   3dShapes table; 3000 rows, factor 0 the class, three known factors;
   Gaussian likelihood, 50 epochs, all rows), and on the coloured digits'
   training split (digit colour, background; the digit's shape and style
   are unknown factors there).
4. Table 2 shape (Rotation-Colored-MNIST): coloured digits at correlation
   0.5, rotated by -45, -22.5, 0, 22.5 or 45 degrees in training and by
   +-65 or +-75 in test (the paper's angles), 3 seeds: average and
   worst-group test accuracy per test angle magnitude, plain MLP against the
   full model at its defaults and without the pair term.
5. Adult (sex), 30 epochs (with 10 the classifier trained apart still
   predicts the majority class): accuracy, demographic parity difference and
   a fresh probe's accuracy on sex from transform(X_test) (z_p), for a few
   lam values.
6. Seconds per epoch on Adult against a bare torch loop with the same
   VariationalNetwork and the same five terms, one torch thread.

Bernoulli likelihood on the digits (pixels in [0, 1]), Gaussian on Adult.

Run: python benchmarks/contrastive.py [--quick]  (--quick writes *_quick.* files)

Other splits and seeds (issue 22): Table 1's headline models (the MLP, the
defaults, the defaults without the pair term) on these split seeds only, at
each correlation, each run judged alone; writes
results/contrastive_variants.{md,csv}:
python benchmarks/contrastive.py --split-seeds 10 11 12 0 0 0 --model-seeds 10 11 12 1 2 3
(the split seed draws the split and the colours; the model seed the networks;
without --model-seeds each is its split seed, as in the plain run;
--correlations defaults to 0.9 0.5).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from adult_data import adult_split
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skinvariant import ContrastiveInvariantClassifier
from skinvariant.contrastive import VariationalNetwork, supervised_contrastive_loss
from skinvariant.contrastive._objective import choose_partners, posterior_divergence
from skinvariant.datasets import make_colored_background_digits, make_mixed_factors
from skinvariant.metrics import (
    dci_disentanglement,
    demographic_parity_difference,
    mutual_information_gap,
    sensitive_leakage,
    separated_attribute_predictability,
    worst_group_accuracy,
)

RESULTS = "benchmarks/results/"
HIDDEN = (64,)
N_COMPONENTS = 8
# name -> estimator parameters (None: the sklearn MLP)
MODELS = {
    "MLP (64, 8)": None,
    "CE + ELBO, joint": {"lam": 0.0, "beta": 0.0, "gamma": 0.0, "train_classifier_apart": False},
    "VAE (no contrast, no swap)": {"lam": 0.0, "beta": 0.0, "gamma": 0.0},
    "full, defaults (lam=1, beta=100, gamma=1)": {},
    "full without the pair term (lam=0)": {"lam": 0.0},
    "full, beta=10": {"beta": 10.0},
    "full, beta=1": {"beta": 1.0},
}
DEFAULTS = "full, defaults (lam=1, beta=100, gamma=1)"
TEN_SEEDS = range(10)
TABLE5 = {
    "CE only (beta=0, joint)": {"beta": 0.0, "train_classifier_apart": False},
    "CE + contrast, joint": {"train_classifier_apart": False},
    "CE apart from contrast": {},
}
DISENTANGLEMENT = {
    "full without the pair term (lam=0)": "no pair term (lam=0)",
    DEFAULTS: "with pair term (lam=1)",
}
TABLE2 = {
    name: MODELS[name] for name in ("MLP (64, 8)", DEFAULTS, "full without the pair term (lam=0)")
}
TABLE2_TRAIN_ANGLES = (-45, -22.5, 0, 22.5, 45)
TABLE2_TEST_ANGLES = (-75, -65, 65, 75)
MIXED_FACTORS_LAMS = (0.0, 1.0)


def fit_digits(name, params, data, seed, max_epochs):
    """Fit one model on the coloured digits; return it and its fit time."""
    start = time.perf_counter()
    if params is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = MLPClassifier(
                HIDDEN + (N_COMPONENTS,), max_iter=max_epochs, random_state=seed
            ).fit(data.X_train, data.y_train)
    else:
        model = ContrastiveInvariantClassifier(
            **params,
            n_components=N_COMPONENTS,
            hidden_layer_sizes=HIDDEN,
            likelihood="bernoulli",
            transform_output="nuisance",
            max_epochs=max_epochs,
            random_state=seed,
        ).fit(data.X_train, data.y_train, sensitive=data.nuisance_train)
    return model, time.perf_counter() - start


def digits_row(table, name, correlation, seed, model, seconds, data):
    """Average and worst (class, background) test accuracy of ``model``."""
    y_pred = model.predict(data.X_test)
    cells = np.column_stack([data.y_test, data.nuisance_test[:, 1]])
    return {
        "table": table,
        "correlation": correlation,
        "model": name,
        "seed": seed,
        "train_accuracy": model.score(data.X_train, data.y_train),
        "avg_accuracy": float((y_pred == data.y_test).mean()),
        "worst_accuracy": worst_group_accuracy(data.y_test, y_pred, sensitive=cells),
        "seconds": seconds,
    }


def disentanglement_row(data_name, model_name, seed, codes, factors):
    """MIG, SAP and DCI of ``codes`` against the known ``factors``."""
    dci = dci_disentanglement(factors, codes)
    return {
        "data": data_name,
        "model": model_name,
        "seed": seed,
        "MIG": mutual_information_gap(factors, codes),
        "SAP": separated_attribute_predictability(factors, codes),
        "DCI disentanglement": dci.disentanglement,
        "DCI completeness": dci.completeness,
        "DCI informativeness": dci.informativeness,
    }


def run_digits(seeds, correlations, max_epochs):
    """Tables 1 and 5 and the disentanglement measures; return two frames."""
    rows, codes = [], []
    for correlation in correlations:
        for seed in seeds:
            data = make_colored_background_digits(correlation, random_state=seed)
            jobs = [("1", name, params) for name, params in MODELS.items()]
            if correlation == 0.5:
                jobs += [
                    ("5", name, params)
                    for name, params in TABLE5.items()
                    if name != "CE apart from contrast"
                ]
            for table, name, params in jobs:
                model, seconds = fit_digits(name, params, data, seed, max_epochs)
                rows.append(digits_row(table, name, correlation, seed, model, seconds, data))
                print(
                    "corr {correlation} seed {seed} {model}: avg {avg_accuracy:.3f} worst "
                    "{worst_accuracy:.3f} ({seconds:.0f} s)".format(**rows[-1]),
                    flush=True,
                )
                if name in DISENTANGLEMENT:
                    codes.append(
                        disentanglement_row(
                            f"coloured digits, correlation {correlation}",
                            DISENTANGLEMENT[name],
                            seed,
                            model.transform(data.X_train),
                            data.nuisance_train,
                        )
                    )
                if correlation == 0.5 and name == DEFAULTS:
                    rows.append(dict(rows[-1], table="5", model="CE apart from contrast"))
    return pd.DataFrame(rows), pd.DataFrame(codes)


def run_ten_seeds(seeds, max_epochs, correlation=0.5):
    """Table 1's main comparison (the defaults against the MLP) on more seeds."""
    rows = []
    for seed in seeds:
        data = make_colored_background_digits(correlation, random_state=seed)
        for name in ("MLP (64, 8)", DEFAULTS):
            model, seconds = fit_digits(name, MODELS[name], data, seed, max_epochs)
            rows.append(digits_row("1, more seeds", name, correlation, seed, model, seconds, data))
    return pd.DataFrame(rows)


def seed_gains(frame):
    """Per seed, the defaults' accuracy minus the MLP's; summarised as markdown lines."""
    wide = frame.pivot(index="seed", columns="model", values=["avg_accuracy", "worst_accuracy"])
    lines = []
    for column in ("avg_accuracy", "worst_accuracy"):
        gain = wide[column][DEFAULTS] - wide[column]["MLP (64, 8)"]
        lines.append(
            f"- {column}: defaults {wide[column][DEFAULTS].mean():.3f}, MLP "
            f"{wide[column]['MLP (64, 8)'].mean():.3f}; gain {gain.mean():+.3f} on the "
            f"mean, {gain.min():+.3f} to {gain.max():+.3f} per seed, positive on "
            f"{(gain > 0).sum()} of {len(gain)} seeds"
        )
    return "\n".join(lines)


def mean_spread(frame, keys, columns):
    """'mean ± std' over seeds of ``columns``, grouped by ``keys`` in first-seen order."""
    grouped = frame.groupby(keys, sort=False)[columns]
    means, stds = grouped.mean(), grouped.std().fillna(0.0)
    return (means.map("{:.3f}".format) + " ± " + stds.map("{:.3f}".format)).reset_index()


def run_mixed_factors(seeds, max_epochs=50):
    """Disentanglement of z_n on ``make_mixed_factors``, with and without the pair term."""
    rows = []
    for seed in seeds:
        X, y, s = make_mixed_factors(3000, random_state=seed)
        for lam in MIXED_FACTORS_LAMS:
            model = ContrastiveInvariantClassifier(
                lam=lam, transform_output="nuisance", max_epochs=max_epochs, random_state=seed
            ).fit(X, y, sensitive=s)
            name = "no pair term (lam=0)" if lam == 0 else f"with pair term (lam={lam:g})"
            rows.append(disentanglement_row("mixed factors", name, seed, model.transform(X), s))
            print("mixed factors seed {seed} {model}: MIG {MIG:.3f}".format(**rows[-1]), flush=True)
    return pd.DataFrame(rows)


def run_rotated(seeds, max_epochs, correlation=0.5):
    """Table 2 shape: accuracy on test angles outside the training angles."""
    rows = []
    for seed in seeds:
        data = make_colored_background_digits(
            correlation,
            train_angles=TABLE2_TRAIN_ANGLES,
            test_angles=TABLE2_TEST_ANGLES,
            random_state=seed,
        )
        for name, params in TABLE2.items():
            model, _ = fit_digits(name, params, data, seed, max_epochs)
            y_pred = model.predict(data.X_test)
            for magnitude in sorted({abs(angle) for angle in TABLE2_TEST_ANGLES}):
                rows_at = np.abs(data.angle_test) == magnitude
                cells = np.column_stack([data.y_test, data.nuisance_test[:, 1]])[rows_at]
                rows.append(
                    {
                        "test angle": f"±{magnitude}",
                        "model": name,
                        "seed": seed,
                        "avg_accuracy": float((y_pred == data.y_test)[rows_at].mean()),
                        "worst_accuracy": worst_group_accuracy(
                            data.y_test[rows_at], y_pred[rows_at], sensitive=cells
                        ),
                    }
                )
                print(
                    "rotated seed {seed} {model} {test angle}: avg {avg_accuracy:.3f} worst "
                    "{worst_accuracy:.3f}".format(**rows[-1]),
                    flush=True,
                )
    return pd.DataFrame(rows)


VARIANT_MODELS = ("MLP (64, 8)", DEFAULTS, "full without the pair term (lam=0)")


def run_variants(split_seeds, model_seeds, correlations, max_epochs):
    """Table 1's headline models on other splits and seeds, one row per run."""
    rows = []
    for correlation in correlations:
        for split_seed, seed in zip(split_seeds, model_seeds):
            data = make_colored_background_digits(correlation, random_state=split_seed)
            for name in VARIANT_MODELS:
                model, seconds = fit_digits(name, MODELS[name], data, seed, max_epochs)
                row = digits_row("1, variants", name, correlation, seed, model, seconds, data)
                rows.append({"split_seed": split_seed, **row})
                print(
                    "corr {correlation} split {split_seed} seed {seed} {model}: avg "
                    "{avg_accuracy:.3f} worst {worst_accuracy:.3f} ({seconds:.0f} s)".format(
                        **rows[-1]
                    ),
                    flush=True,
                )
    return pd.DataFrame(rows)


def mean_range(values):
    """'mean [min, max]' of a series."""
    return f"{values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]"


def variants_report(runs):
    """Markdown: per model the spread over runs, per run the defaults' gain over the MLP."""
    keys = ["correlation", "split_seed", "seed"]
    spread = runs.groupby(["correlation", "model"], sort=False)[
        ["avg_accuracy", "worst_accuracy", "train_accuracy"]
    ].agg(mean_range)
    wide = runs.pivot_table(
        index=keys, columns="model", values=["avg_accuracy", "worst_accuracy"], sort=False
    )
    each = pd.DataFrame(index=wide.index)
    for column in ("avg_accuracy", "worst_accuracy"):
        for name, short in ((DEFAULTS, "defaults"), ("MLP (64, 8)", "MLP")):
            each[f"{short} {column}"] = wide[column][name]
        each[f"gain {column}"] = each[f"defaults {column}"] - each[f"MLP {column}"]
    each["target met"] = np.where(
        (each["gain worst_accuracy"] >= 0.15 - 1e-9) & (each["gain avg_accuracy"] >= 0),
        "yes",
        "no",
    )
    lines = []
    for correlation, part in each.groupby(level="correlation", sort=False):
        for column in ("avg_accuracy", "worst_accuracy"):
            gain = part[f"gain {column}"]
            lines.append(
                f"- correlation {correlation}, {column}: defaults "
                f"{mean_range(part[f'defaults {column}'])}, MLP "
                f"{mean_range(part[f'MLP {column}'])}; gain {gain.mean():+.3f} on the mean, "
                f"{gain.min():+.3f} to {gain.max():+.3f} per run, positive in "
                f"{(gain > 0).sum()} of {len(gain)}"
            )
        lines.append(
            f"- correlation {correlation}: target met (worst gain >= 0.15, average gain >= 0) "
            f"in {(part['target met'] == 'yes').sum()} of {len(part)} runs"
        )
    return (
        "\n".join(lines)
        + "\n\n### Spread per model, mean [min, max] over runs\n\n"
        + spread.reset_index().to_markdown(index=False)
        + "\n\n### Every run: the defaults against the MLP\n\n"
        + each.reset_index().to_markdown(index=False, floatfmt=".3f")
    )


# -- Adult ----------------------------------------------------------------------------


def run_adult(lams, max_epochs):
    """Accuracy, DP difference and probe accuracy on sex from z_p, for each lam."""
    X_train, X_test, y_train, y_test, s_train, s_test = adult_split()
    rows = []
    for lam in lams:
        start = time.perf_counter()
        model = ContrastiveInvariantClassifier(
            lam=lam, batch_size=256, max_epochs=max_epochs, random_state=0
        )
        model.fit(X_train, y_train, sensitive=s_train)
        seconds = time.perf_counter() - start
        y_pred = model.predict(X_test)
        leakage = sensitive_leakage(model.transform(X_test), s_test)
        rows.append(
            {
                "lam": lam,
                "accuracy": float((y_pred == y_test).mean()),
                "dp_difference": demographic_parity_difference(y_test, y_pred, sensitive=s_test),
                "probe_accuracy_sex": leakage.accuracy,
                "probe_majority_rate": leakage.majority_rate,
                "fit_seconds": seconds,
            }
        )
        print(
            "Adult lam={lam:g}: accuracy {accuracy:.3f}, DP {dp_difference:.3f}, probe "
            "{probe_accuracy_sex:.3f} ({fit_seconds:.0f} s)".format(**rows[-1]),
            flush=True,
        )
    return pd.DataFrame(rows)


# -- speed ----------------------------------------------------------------------------


def bare_epochs(
    x,
    y,
    s,
    n_epochs,
    batch_size=256,
    lam=1.0,
    beta=1.0,
    gamma=1.0,
    temperature=0.1,
    p=N_COMPONENTS,
    q=8,
):
    """A bare torch loop with the estimator's network and terms; seconds per epoch.

    Per batch: CE on the classifier (reading the detached normalised mean of
    z_p), Gaussian ELBO, supervised contrast, class-averaged z_p swap and the
    pair swap on ``s`` (no warm-up, the default), one Adam step. Plain shuffled
    batches (the estimator stratifies by class and group).
    """
    net = VariationalNetwork(x.shape[1], 2, p, q, HIDDEN)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    factors = s.reshape(len(s), -1)
    n_batches = (len(x) + batch_size - 1) // batch_size
    durations = []
    for _ in range(n_epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for batch in range(n_batches):
            rows = order[batch * batch_size : (batch + 1) * batch_size]
            xb, yb, fb = x[rows], y[rows], factors[rows]
            out = net.outputs(xb)
            mu, logvar, z, x_hat = out["mu"], out["logvar"], out["z_sample"], out["x_hat"]
            ce = F.cross_entropy(out["logits"], yb)
            kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)
            elbo = (0.5 * (x_hat - xb).pow(2).sum(dim=1) + kl).mean()
            contrast = supervised_contrastive_loss(mu[:, :p], yb, temperature)
            members = F.one_hot(yb, 2).to(mu.dtype)
            counts = members.sum(dim=0).clamp(min=1)[:, None]
            mean = ((members.T @ mu[:, :p]) / counts)[yb]
            var = ((members.T @ logvar[:, :p].exp()) / counts)[yb]
            z_bar = mean + var.sqrt() * torch.randn_like(mean)
            class_swap = (
                (net.decode(torch.cat([z_bar, z[:, p:]], dim=1)) - x_hat).pow(2).sum(dim=1).mean()
            )
            partner, n_different = choose_partners(fb, fb.shape[1])
            paired = ((n_different > 0) & (q - n_different > 0)).nonzero().squeeze(1)
            partners = partner[paired]
            divergence = posterior_divergence(
                mu[paired, p:], logvar[paired, p:], mu[partners, p:], logvar[partners, p:], "kl"
            )
            shared = divergence.argsort(dim=1).argsort(dim=1) < (q - n_different[paired])[:, None]
            z_n = torch.where(shared, z[partners, p:], z[paired, p:])
            swapped = net.decode(torch.cat([z[paired, :p], z_n], dim=1))
            pair_swap = 0.5 * (swapped - xb[paired]).pow(2).sum(dim=1).mean()
            loss = ce + elbo + beta * contrast + gamma * class_swap + lam * pair_swap
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        durations.append(time.perf_counter() - start)
    return durations


def run_speed(n_epochs, n_repeats):
    """Median seconds per epoch of the estimator and of the bare loop, per repeat."""
    X, _, y, _, s, _ = adult_split()
    s_codes = np.unique(s, return_inverse=True)[1]
    tensors = torch.tensor(X), torch.tensor(y), torch.tensor(s_codes)
    rows = []
    for repeat in range(n_repeats):
        torch.manual_seed(repeat)
        model = ContrastiveInvariantClassifier(
            batch_size=256, max_epochs=n_epochs, random_state=repeat
        ).fit(X, y, sensitive=s)
        skin = statistics.median(model.history_[:, "dur"])
        bare = statistics.median(bare_epochs(*tensors, n_epochs))
        rows.append({"repeat": repeat, "skinvariant": skin, "bare": bare, "ratio": skin / bare})
        print(f"speed repeat {repeat}: skinvariant {skin:.3f} s, bare {bare:.3f} s", flush=True)
    return pd.DataFrame(rows)


# -- report ---------------------------------------------------------------------------


def markdown(frame, **kwargs):
    return frame.to_markdown(**kwargs)  # needs the tabulate package


def variants(split_seeds, model_seeds, correlations, epochs=100):
    """Table 1's headline on other splits and seeds; the plain run's settings."""
    if len(model_seeds) != len(split_seeds):
        raise SystemExit("--model-seeds needs one seed per split seed")
    start = time.perf_counter()
    runs = run_variants(split_seeds, model_seeds, correlations, epochs)
    stem = RESULTS + "contrastive_variants"
    runs.to_csv(stem + ".csv", index=False)
    pairs = list(zip(split_seeds, model_seeds))
    text = (
        f"# Paper 001 (ContrastiveInvariantClassifier) on other splits and seeds\n\n"
        f"Command: `python {' '.join(sys.argv)}`; {time.perf_counter() - start:.0f} s in all.\n"
        f"{os.cpu_count()} CPU cores ({platform.machine()}), Python "
        f"{platform.python_version()}, torch {torch.__version__}, 1 torch thread.\n\n"
        f"## Table 1 shape: coloured digits, {epochs} epochs, correlations {correlations}, "
        f"(split seed, model seed) {pairs}; each run judged alone\n\n"
        f"{variants_report(runs)}\n"
    )
    with open(stem + ".md", "w") as handle:
        handle.write(text)
    print(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="one seed, correlation 0.5 only, few epochs"
    )
    parser.add_argument(
        "--split-seeds",
        type=int,
        nargs="+",
        help="only Table 1's headline models on these splits "
        "(writes results/contrastive_variants.*)",
    )
    parser.add_argument(
        "--model-seeds",
        type=int,
        nargs="+",
        help="with --split-seeds, one model seed per split seed (default: the split seed)",
    )
    parser.add_argument(
        "--correlations", type=float, nargs="+", default=[0.9, 0.5], help="with --split-seeds"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.split_seeds:
        variants(args.split_seeds, args.model_seeds or args.split_seeds, args.correlations)
        return
    if args.quick:
        seeds, correlations, epochs, adult_lams, adult_epochs, speed = (
            [0],
            [0.5],
            5,
            (0, 1),
            1,
            (2, 1),
        )
        mixed_epochs, ten_seeds = 5, [0, 1]
    else:
        seeds, correlations, epochs, adult_lams, adult_epochs, speed = (
            [0, 1, 2],
            [0.9, 0.5],
            100,
            (0, 1, 10),
            30,
            (3, 2),
        )
        mixed_epochs, ten_seeds = 50, TEN_SEEDS
    stem = RESULTS + ("contrastive_quick" if args.quick else "contrastive")
    start = time.perf_counter()

    runs, codes = run_digits(seeds, correlations, epochs)
    runs.to_csv(stem + "_digits_runs.csv", index=False)
    codes = pd.concat([run_mixed_factors(seeds, mixed_epochs), codes], ignore_index=True)
    codes.to_csv(stem + "_disentanglement_runs.csv", index=False)
    more_seeds = run_ten_seeds(ten_seeds, epochs)
    more_seeds.to_csv(stem + "_ten_seeds_runs.csv", index=False)
    rotated = run_rotated(seeds, epochs)
    rotated.to_csv(stem + "_rotated_runs.csv", index=False)
    adult = run_adult(adult_lams, adult_epochs)
    adult.to_csv(stem + "_adult.csv", index=False)
    timing = run_speed(*speed)
    timing.to_csv(stem + "_speed_runs.csv", index=False)

    table1 = mean_spread(
        runs[runs.table == "1"],
        ["correlation", "model"],
        ["avg_accuracy", "worst_accuracy", "train_accuracy"],
    )
    table5 = mean_spread(
        runs[runs.table == "5"],
        ["correlation", "model"],
        ["avg_accuracy", "worst_accuracy", "train_accuracy"],
    )
    table5 = table5.set_index("model").loc[list(TABLE5)].reset_index()
    metrics = ["MIG", "SAP", "DCI disentanglement", "DCI completeness", "DCI informativeness"]
    table_codes = mean_spread(codes, ["data", "model"], metrics)
    table2 = mean_spread(rotated, ["test angle", "model"], ["avg_accuracy", "worst_accuracy"])
    speed_summary = timing[["skinvariant", "bare"]].median().to_frame().T
    speed_summary["ratio"] = speed_summary.skinvariant / speed_summary.bare
    total = time.perf_counter() - start
    text = (
        f"# Paper 001 (ContrastiveInvariantClassifier) benchmarks\n\n"
        f"Command: `python {' '.join(sys.argv)}`; {total:.0f} s in all.\n"
        f"{os.cpu_count()} CPU cores ({platform.machine()}), Python "
        f"{platform.python_version()}, torch {torch.__version__}, 1 torch thread.\n\n"
        f"## Table 1 shape: coloured digits, {epochs} epochs, seeds {seeds} (mean ± std)\n\n"
        f"{markdown(table1, index=False)}\n\n"
        f"## Table 1, correlation 0.5: the defaults against the MLP on seeds "
        f"{list(ten_seeds)}\n\n{seed_gains(more_seeds)}\n\n"
        f"## Table 5 shape: correlation 0.5, defaults otherwise\n\n{markdown(table5, index=False)}\n\n"
        f"## Table 2 shape: rotated coloured digits, correlation 0.5, training angles "
        f"{TABLE2_TRAIN_ANGLES}, test angles {TABLE2_TEST_ANGLES}\n\n"
        f"{markdown(table2, index=False)}\n\n"
        f"## Disentanglement of z_n against the known nuisance factors (mixed factors: "
        f"{mixed_epochs} epochs, all rows; coloured digits: training split)\n\n"
        f"{markdown(table_codes, index=False)}\n\n"
        f"## Adult (sex), {adult_epochs} epochs, batch 256, seed 0; probe reads z_p\n\n"
        f"{markdown(adult, index=False, floatfmt='.3f')}\n\n"
        f"## Seconds per epoch on Adult (batch 256), median over {speed[1]} repeats of the "
        f"median over {speed[0]} epochs\n\n{markdown(speed_summary, index=False, floatfmt='.3f')}\n"
    )
    with open(stem + ".md", "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
