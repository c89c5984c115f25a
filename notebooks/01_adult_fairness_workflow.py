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
# # Fair income prediction on UCI Adult, end to end
#
# A model that predicts whether a person earns more than $50K a year, trained so
# that its predictions and its internal representation depend less on the
# person's sex. The steps:
#
# 1. look at the data and at the gap between the groups;
# 2. train a plain baseline and measure its accuracy, its group gaps and how
#    much sex it carries;
# 3. train an invariant model (`IIDMClassifier`) and measure the same things;
# 4. trace the accuracy-fairness trade-off over the invariance weight `lam`,
#    for two methods, and plot it.
#
# The cell below holds the settings. With them (all of Adult, 10 epochs, 11
# fits) the notebook takes a few minutes on a CPU, and runs on CUDA when there
# is one, with no change. Lower `N_SAMPLES` and `MAX_EPOCHS` for a first look:
# the test suite runs it with 1,500 rows and 2 epochs.

# %% tags=["parameters"]
N_SAMPLES = None  # rows of Adult to use; None: all 30,162
MAX_EPOCHS = 10  # passes over the training data per fit
LAMS = [0.0, 0.3, 1.0, 3.0, 10.0]  # invariance weights for the trade-off

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import resample

from skinvariant import AdversarialClassifier, IIDMClassifier
from skinvariant.datasets import load_adult
from skinvariant.metrics import fairness_report
from skinvariant.model_selection import lam_path
from skinvariant.plotting import plot_leakage, plot_tradeoff

# %% [markdown]
# ## 1. The data
#
# `load_adult` reads the bundled copy (no download). `sex` is the sensitive
# attribute; it is not among the columns of `X`, but other columns (marital
# status, relationship, occupation, hours) carry it.

# %%
X, y, sex = load_adult(return_X_y_s=True)
if N_SAMPLES is not None:
    X, y, sex = resample(X, y, sex, n_samples=N_SAMPLES, replace=False, stratify=y, random_state=0)
print(X.shape)
X.head()

# %% [markdown]
# The base rate of the positive class differs a lot between the groups: a model
# that reproduces the data reproduces this gap in its decisions.

# %%
pd.crosstab(sex, y, normalize="index").round(3)

# %% [markdown]
# The networks need numbers: the categorical columns are one-hot encoded here
# (a fixed, per-row operation), and every model below standardises the columns
# in its pipeline, so the scaling is learnt on training rows only.
# `X_train`/`X_test` keep 30% of the rows aside for the final measures.

# %%
X = pd.get_dummies(X, dtype=float)
X_train, X_test, y_train, y_test, sex_train, sex_test = train_test_split(
    X, y, sex, test_size=0.3, stratify=y, random_state=0
)
X_train.shape, X_test.shape

# %% [markdown]
# ## 2. A plain baseline
#
# `fairness_report` measures a fitted model on held-out rows: accuracy, the
# demographic parity difference (gap in positive-prediction rate between the
# groups), the equalized odds difference (largest gap in true- or
# false-positive rate), the equal opportunity difference and the worst group's
# accuracy.

# %%
baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
baseline.fit(X_train, y_train)
baseline_report = fairness_report(baseline, X_test, y_test, sex_test)
baseline_report

# %% [markdown]
# ## 3. An invariant model
#
# `IIDMClassifier` trains an encoder z = f(x) and a head predicting y from z,
# while a discriminator-matching penalty, weighted by `lam`, removes sex from z.
# `sensitive` is passed to `fit` only; `predict` and `transform` never need it.
#
# scikit-learn's metadata routing is off by default, so the pipeline takes it
# in the "step name, two underscores, parameter" form. Notebook 02 turns routing
# on, which also lets a fairness scorer receive it inside a grid search.

# %%
invariant = make_pipeline(
    StandardScaler(),
    IIDMClassifier(lam=1.0, max_epochs=MAX_EPOCHS, batch_size=256, random_state=0),
)
invariant.fit(X_train, y_train, iidmclassifier__sensitive=sex_train)
invariant_report = fairness_report(invariant, X_test, y_test, sex_test)
invariant_report

# %% [markdown]
# Side by side: the invariant model also has a `transform`, so its report adds
# how well fresh probes read sex from the representation (`leakage_*`: the
# strongest of a logistic regression, boosted trees and an MLP; a balanced
# accuracy of 0.5 means sex cannot be read at all).

# %%
comparison = pd.concat(
    {"logistic regression": baseline_report["value"], "IIDM, lam=1": invariant_report["value"]},
    axis=1,
)
comparison.round(3)

# %%
# the training losses per epoch: the task loss falls while the penalty is held down
from skinvariant.plotting import plot_history

plot_history(invariant[-1])
plt.show()

# %% [markdown]
# ## 4. The trade-off over `lam`
#
# `lam_path` fits a clone of the model at each `lam` on 70% of the rows it is
# given and measures the other 30%. It is given the training rows only, so the
# test rows stay unseen until a `lam` is chosen. It is run for two methods:
# IIDM and adversarial invariance (`AdversarialClassifier`).
#
# A `Pipeline` receives `sensitive` with metadata routing on or off;
# `param` names the pipeline step's `lam`.

# %%
fronts = {}
for name, classifier in [
    ("IIDM", IIDMClassifier(max_epochs=MAX_EPOCHS, batch_size=256, random_state=0)),
    ("adversarial", AdversarialClassifier(max_epochs=MAX_EPOCHS, batch_size=256, random_state=0)),
]:
    model = make_pipeline(StandardScaler(), classifier)
    step = model.steps[-1][0]
    fronts[name] = lam_path(model, X_train, y_train, sex_train, lams=LAMS, param=f"{step}__lam")
fronts["IIDM"].round(3)

# %%
fronts["adversarial"].round(3)

# %% [markdown]
# The baseline on the same held-out rows (`lam_path` splits with
# `test_size=0.3`, stratified by y, `random_state=0`), drawn as one point.

# %%
fit_rows, held_out_rows = train_test_split(
    range(len(X_train)), test_size=0.3, stratify=y_train, random_state=0
)
peer = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
    X_train.iloc[fit_rows], y_train.iloc[fit_rows]
)
peer_report = fairness_report(
    peer, X_train.iloc[held_out_rows], y_train.iloc[held_out_rows], sex_train.iloc[held_out_rows]
)["value"]
fronts["logistic regression"] = pd.DataFrame([peer_report])

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
plot_tradeoff(fronts, x="demographic_parity_difference", y="accuracy", ax=left)
left.set_title("accuracy against demographic parity difference")
plot_leakage(fronts["IIDM"], chance=0.5, ax=right)
right.set_title("sex read from z by a fresh probe (IIDM)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Reading the plot: moving right to left, each point trades accuracy for a
# smaller gap in positive-prediction rate; the numbers on the points are `lam`.
# A very large `lam` can collapse a model towards the majority class, which
# has a parity difference near 0 and the base-rate accuracy (about 0.75 here),
# so always read the gap together with the accuracy.
#
# To choose `lam` by cross-validation with a fairness scorer, see notebook 02.
# To state a budget instead (for example a demographic parity difference of at
# most 0.05) and let cross-validation find the most accurate `lam` within it,
# use `skinvariant.model_selection.BudgetSearchCV`:
# `BudgetSearchCV(model, {"demographic_parity_difference": 0.05}).fit(X_train,
# y_train, sensitive=sex_train)`.
# To run that search on several machines, see `docs/parallel.md`.
