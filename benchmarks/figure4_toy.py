"""Paper 000, Figure 4: post-hoc H(s|z) / log K over training steps on the K-Gaussians toy.

For AII (AdversarialClassifier, mode="alternating"), NS (mode="nonsaturating")
and IIDM, for K in {2, 3, 5} and kappa (n_adversary_steps) in {1, 8}, an
encoder maps the 2-D blob coordinates to a 2-D representation z. Every
``--every`` training steps a callback encodes the training X and estimates
H(s|z) with a fresh probe (skinvariant.metrics.conditional_entropy, default
gradient-boosted probe, 30% of the training rows held out).

Paper settings: SGD lr 0.1, batch 128, lam 1 (not stated for the toy), the
adversary pretrained for 100 steps before the game. skinvariant has no
pretraining option; a callback emulates it at ``on_train_begin`` (100
adversary steps on the frozen initial encoder, then the IIDM centroids are
re-initialised from the pretrained adversary). The target y of
make_attribute_blobs is independent of s and the task features are dropped,
so the encoder sees only the blob coordinates and the task loss is constant
noise.

Run: python benchmarks/figure4_toy.py [--quick]  (--quick writes *_quick.* files)
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

from skinvariant import AdversarialClassifier, IIDMClassifier  # noqa: E402
from skinvariant.core import Step  # noqa: E402
from skinvariant.datasets import make_attribute_blobs  # noqa: E402
from skinvariant.metrics import conditional_entropy  # noqa: E402

RESULTS = "benchmarks/results/"
METHODS = ("AII", "NS", "IIDM")
PRETRAIN_STEPS = 100
BATCH_SIZE = 128


class PretrainAdversary(Callback):
    """Train the adversary alone for ``n_steps`` batches before the game starts."""

    def __init__(self, n_steps=PRETRAIN_STEPS):
        self.n_steps = n_steps

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        data = net.get_dataset(X, y)
        x, s, labels = data.inputs["X"], data.inputs["sensitive"], data.y
        with torch.no_grad():
            outputs = net.module_.outputs(x)
        for _ in range(self.n_steps):
            rows = torch.randint(len(x), (BATCH_SIZE,))
            batch = Step(
                x[rows],
                labels[rows],
                s[rows],
                {name: value[rows] for name, value in outputs.items()},
            )
            net.optimizer_adversary_.zero_grad()
            net.objective_.network_loss("adversary", batch).backward()
            net.optimizer_adversary_.step()
        net.objective_.initialize(Step(x, labels, s, outputs))


class EntropyTrace(Callback):
    """Record the post-hoc H(s|z) / log K every ``every`` training steps (and at step 0)."""

    def __init__(self, every):
        self.every = every

    def on_train_begin(self, net, X=None, **kwargs):
        self.x = torch.as_tensor(X["X"])
        self.s = np.asarray(X["sensitive"])
        self.step = 0
        self.trace = [(0, self._ratio(net))]

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        self.step += 1
        if self.step % self.every == 0:
            self.trace.append((self.step, self._ratio(net)))

    def _ratio(self, net):
        with torch.no_grad():
            z = net.module_.represent(self.x).numpy()
        return conditional_entropy(z, self.s, random_state=0).ratio


def build_model(method, kappa, n_epochs, every, seed):
    """Return the estimator of ``method`` with the paper's toy settings."""
    common = dict(
        lam=1.0,
        n_adversary_steps=kappa,
        n_components=2,
        hidden_layer_sizes=(64,),
        optimizer="sgd",
        lr=0.1,
        batch_size=BATCH_SIZE,
        max_epochs=n_epochs,
        callbacks=[PretrainAdversary(), EntropyTrace(every)],
        random_state=seed,
    )
    if method == "IIDM":
        return IIDMClassifier(**common)
    mode = {"AII": "alternating", "NS": "nonsaturating"}[method]
    # the paper's game has no gradient penalty; the estimator's default of 1.0
    # diverges here under SGD at lr 0.1 (DivergenceError in the first epoch)
    return AdversarialClassifier(mode=mode, gradient_penalty=0.0, **common)


def run(method, n_groups, kappa, seed, n_samples, n_steps, every):
    """Fit one setting and return its trace as rows (step, ratio)."""
    X, y, s = make_attribute_blobs(
        n_samples, n_groups=n_groups, n_task_features=1, random_state=seed
    )
    X = X[:, :2].astype(np.float32)  # blob coordinates only
    n_epochs = int(np.ceil(n_steps / np.ceil(n_samples / BATCH_SIZE)))
    model = build_model(method, kappa, n_epochs, every, seed)
    model.fit(X, y, sensitive=s)
    trace = dict(model.net_.callbacks_)["EntropyTrace"].trace
    return [
        {
            "method": method,
            "K": n_groups,
            "kappa": kappa,
            "seed": seed,
            "step": step,
            "ratio": ratio,
        }
        for step, ratio in trace
        if step <= n_steps
    ]


def plot(frame, path):
    """One panel per method: mean ratio over seeds against steps."""
    mean = frame.groupby(["method", "K", "kappa", "step"], as_index=False)["ratio"].mean()
    colors = {2: "tab:red", 3: "tab:green", 5: "tab:blue"}
    styles = {1: ("o", "-"), 8: ("^", "--")}
    fig, axes = plt.subplots(1, len(METHODS), figsize=(13, 3.8), sharey=True)
    for ax, method in zip(axes, METHODS):
        for (n_groups, kappa), curve in mean[mean.method == method].groupby(["K", "kappa"]):
            marker, linestyle = styles[kappa]
            ax.plot(
                curve.step,
                curve.ratio,
                color=colors[n_groups],
                marker=marker,
                linestyle=linestyle,
                markersize=3,
                label=f"K={n_groups}, kappa={kappa}",
            )
        ax.axhline(1.0, color="black", linestyle=":", linewidth=1)
        ax.set_title(method)
        ax.set_xlabel("training steps")
    axes[0].set_ylabel("post-hoc H(s|z) / log K")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def summarize(frame, n_steps):
    """Per setting: final ratio, best ratio, first step reaching 0.95 (mean over seeds)."""
    mean = frame.groupby(["method", "K", "kappa", "step"], as_index=False)["ratio"].mean()
    rows = []
    for (method, n_groups, kappa), curve in mean.groupby(["method", "K", "kappa"]):
        reached = curve.step[curve.ratio >= 0.95]
        last = curve[curve.step > n_steps - n_steps // 5].ratio
        rows.append(
            {
                "method": method,
                "K": n_groups,
                "kappa": kappa,
                "ratio_step0": curve.ratio.iloc[0],
                "ratio_last20pct_mean": last.mean(),
                "ratio_last20pct_min": last.min(),
                "first_step_ge_0.95": int(reached.iloc[0]) if len(reached) else None,
            }
        )
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed, K=3, few steps")
    parser.add_argument("--every", type=int, default=10, help="steps between measurements")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_steps, seeds, groups = (60, [0], [3]) if args.quick else (400, [0, 1, 2], [2, 3, 5])
    start = time.perf_counter()
    rows = [
        row
        for method in METHODS
        for n_groups in groups
        for kappa in (1, 8)
        for seed in seeds
        for row in run(method, n_groups, kappa, seed, 1500, n_steps, args.every)
    ]
    frame = pd.DataFrame(rows)
    prefix = RESULTS + ("figure4_toy_quick" if args.quick else "figure4_toy")
    frame.to_csv(prefix + ".csv", index=False)
    plot(frame, prefix + ".png")
    summary = summarize(frame, n_steps)
    summary.to_csv(prefix + "_summary.csv", index=False)
    print(summary.to_string(index=False, float_format="%.3f"))
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
