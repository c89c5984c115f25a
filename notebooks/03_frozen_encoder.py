# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Debiasing a frozen pretrained encoder
#
# You have a pretrained torch network (an image encoder, a text embedder) whose
# features carry an attribute they should not, and you cannot or do not want
# to retrain it. `AffinityTransformer` and `AffinityClassifier` with
# `freeze_encoder=True` keep it fixed and train only a small "fair layer" on top
# of its features with the affinity loss of Boedi and Grabner (2021): each
# sample is pulled towards its nearest neighbour of the same class and the other
# group, until the groups cannot be told apart in the representation.
#
# The data are scikit-learn's 8x8 digits, half of them inverted (white on
# black): the digit is the task, the origin (plain or inverted) is the attribute
# to remove, as in the paper's MNIST / inverted MNIST experiment.

# %% tags=["parameters"]
PRETRAIN_EPOCHS = 30  # epochs of the stand-in "pretraining" below
MAX_EPOCHS = 50  # epochs of the fair layer
LAMS = [0.0, 0.01, 0.1, 1.0]  # affinity weights to compare

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from torch import nn

from skinvariant import AffinityClassifier, AffinityTransformer
from skinvariant.datasets import make_inverted_digits
from skinvariant.metrics import sensitive_leakage

# %%
X, y, inverted = make_inverted_digits(random_state=0)
X = X.astype(np.float32)
# stratified by (digit, origin): each of the 20 cells is split 70/30, so every
# digit's test images are inverted in the same share as in the data. (Stratifying
# by the digit alone would come close: the generator draws one random key per
# image and inverts each class's lowest keys, independent of the split's draws.)
X_train, X_test, y_train, y_test, inv_train, inv_test = train_test_split(
    X, y, inverted, test_size=0.3, stratify=y * 2 + inverted, random_state=0
)

fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, image, digit, flag in zip(axes, X_train, y_train, inv_train):
    ax.imshow(image.reshape(8, 8), cmap="gray")
    ax.set_title(f"{digit} {'inv' if flag else 'plain'}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The pretrained encoder
#
# A stand-in for the network you would load (`torch.load`, torchvision, a
# model hub): a small convolutional net on 8x8 images, trained here for digit
# classification with a plain torch loop. Its encoder takes `(n, 64)` float
# rows, as skinvariant's encoders do, and returns 32 features.

# %%
torch.manual_seed(0)
encoder = nn.Sequential(
    nn.Unflatten(1, (1, 8, 8)),
    nn.Conv2d(1, 16, kernel_size=3, padding=1),
    nn.BatchNorm2d(16),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 4 * 4, 32),
    nn.ReLU(),
)
head = nn.Linear(32, 10)
optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-2)
inputs, targets = torch.from_numpy(X_train), torch.from_numpy(y_train)
for _ in range(PRETRAIN_EPOCHS):
    for batch in torch.randperm(len(inputs)).split(128):
        optimizer.zero_grad()
        nn.functional.cross_entropy(head(encoder(inputs[batch])), targets[batch]).backward()
        optimizer.step()
encoder.eval()
with torch.no_grad():
    features_test = encoder(torch.from_numpy(X_test)).numpy()
    pretrained_accuracy = (head(torch.from_numpy(features_test)).argmax(1).numpy() == y_test).mean()
print(f"pretrained digit accuracy on test rows: {pretrained_accuracy:.3f}")

# %% [markdown]
# Its features tell the origin apart almost perfectly: a fresh probe (the
# strongest of a logistic regression, boosted trees and an MLP) reads it from
# held-out rows. Chance is 0.5.

# %%
leak = sensitive_leakage(features_test, inv_test)
print(
    f"origin read from the pretrained features: balanced accuracy "
    f"{leak.balanced_accuracy:.3f} ({leak.probe})"
)

# %% [markdown]
# ## A fair layer on top, the encoder frozen
#
# `AffinityClassifier(encoder=encoder, freeze_encoder=True)` wraps a copy of
# the encoder so that it gets no gradient and stays in evaluation mode (its
# batch-norm statistics do not move); only an MLP on top (`hidden_layer_sizes`
# to `n_components`) and a linear head train. `lam=0` is the same fair layer
# without the affinity loss: the fair comparison.

# %%
rows, models = [], {}
for lam in LAMS:
    clf = AffinityClassifier(
        lam=lam,
        encoder=encoder,
        freeze_encoder=True,
        hidden_layer_sizes=(64,),
        n_components=16,
        max_epochs=MAX_EPOCHS,
        random_state=0,
    )
    clf.fit(X_train, y_train, sensitive=inv_train)
    probe = sensitive_leakage(clf.transform(X_test), inv_test)
    rows.append(
        {
            "lam": lam,
            "digit_accuracy": clf.score(X_test, y_test),
            "origin_balanced_accuracy": probe.balanced_accuracy,
            "probe": probe.probe,
        }
    )
    models[lam] = clf
results = pd.DataFrame(rows)
results.round(3)

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(results["origin_balanced_accuracy"], results["digit_accuracy"], marker="o")
for _, row in results.iterrows():
    ax.annotate(
        f"lam={row['lam']:g}",
        (row["origin_balanced_accuracy"], row["digit_accuracy"]),
        textcoords="offset points",
        xytext=(4, 4),
        fontsize=8,
    )
ax.axvline(0.5, color="grey", linestyle=":", label="chance")
ax.axvline(leak.balanced_accuracy, color="black", linestyle="--", label="pretrained features")
ax.set_xlabel("origin read from z (balanced accuracy)")
ax.set_ylabel("digit accuracy")
ax.legend()
plt.show()

# %% [markdown]
# The frozen encoder really is untouched: the copy inside the fitted model has
# exactly the weights and batch-norm buffers it came with.

# %%
fitted = models[LAMS[-1]]
frozen = fitted.net_.module_.encoder[0].module  # FrozenEncoder -> the copy of your module
print(
    all(
        torch.equal(a, b)
        for a, b in zip(frozen.state_dict().values(), encoder.state_dict().values())
    )
)

# %% [markdown]
# ## As a pipeline step
#
# `AffinityTransformer` is the same model without `predict`: its `transform` is
# the fair layer's output, for any downstream scikit-learn model. Without
# metadata routing, the pipeline takes `sensitive` as
# `affinitytransformer__sensitive`.

# %%
pipe = make_pipeline(
    AffinityTransformer(
        lam=LAMS[-1],
        encoder=encoder,
        freeze_encoder=True,
        hidden_layer_sizes=(64,),
        n_components=16,
        max_epochs=MAX_EPOCHS,
        random_state=0,
    ),
    LogisticRegression(max_iter=1000),
)
pipe.fit(X_train, y_train, affinitytransformer__sensitive=inv_train)
print(f"logistic regression on the fair features: digit accuracy {pipe.score(X_test, y_test):.3f}")

# %% [markdown]
# With your own network, replace `encoder` by the loaded module (inputs must be
# 2-D float rows: flatten images, or put an `nn.Unflatten` first as here) and
# `X` by its inputs. On a GPU, the frozen encoder runs there too
# (`device="auto"`).
