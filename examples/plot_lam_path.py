"""
The accuracy-invariance trade-off on synthetic groups
=====================================================

How much does a representation forget the sensitive attribute as the
invariance weight ``lam`` grows, and what does it cost in accuracy? On the
K-Gaussians toy data (``make_attribute_blobs``: three groups, each a blob in
two of the four columns; the other two columns carry the label),
``lam_path`` fits ``IIDMClassifier`` and ``AdversarialClassifier`` at each
``lam`` and measures, on held-out rows, accuracy, demographic parity and how
well the strongest of three fresh probes reads the group from ``transform``.
The plots come from ``skinvariant.plotting`` (needs matplotlib).

Run: python examples/plot_lam_path.py
"""

import matplotlib.pyplot as plt

from skinvariant import AdversarialClassifier, IIDMClassifier
from skinvariant.datasets import make_attribute_blobs
from skinvariant.model_selection import lam_path
from skinvariant.plotting import plot_history, plot_leakage, plot_tradeoff

LAMS = [0.0, 0.3, 1.0, 3.0]
N_GROUPS = 3

X, y, s = make_attribute_blobs(n_samples=1500, n_groups=N_GROUPS, random_state=0)
models = {
    "IIDMClassifier": IIDMClassifier(max_epochs=30, random_state=0),
    "AdversarialClassifier": AdversarialClassifier(max_epochs=30, random_state=0),
}
fronts = {name: lam_path(model, X, y, s, lams=LAMS) for name, model in models.items()}
for name, front in fronts.items():
    print(name)
    print(front.drop(columns="leakage_probe").round(3).to_string(index=False))

# %%
# Accuracy against demographic parity, one point per ``lam`` (annotated).
plot_tradeoff(fronts)
plt.show()

# %%
# Leakage of the group into the representation, by balanced accuracy of the
# strongest probe; chance is one in three.
_, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for ax, (name, front) in zip(axes, fronts.items()):
    plot_leakage(front, chance=1 / N_GROUPS, ax=ax)
    ax.set_title(name)
plt.tight_layout()
plt.show()

# %%
# The training history of one fit: the task loss, and the penalty that
# ``lam`` weighs.
model = IIDMClassifier(lam=1.0, max_epochs=30, random_state=0).fit(X, y, sensitive=s)
plot_history(model, ["task_loss", "penalty"])
plt.show()
