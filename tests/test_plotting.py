"""The plots render on the Agg backend and draw what they are given."""

import matplotlib
import pandas as pd
import pytest

from skinvariant import IIDMClassifier
from skinvariant.plotting import plot_history, plot_leakage, plot_tradeoff

from .conftest import make_leaky_data

matplotlib.use("Agg")

FRONT = pd.DataFrame({"lam": [0.1, 1.0, 10.0], "accuracy": [0.85, 0.84, 0.80],
                      "demographic_parity_difference": [0.15, 0.08, 0.02],
                      "leakage_balanced_accuracy": [0.7, 0.6, 0.5]})


def test_tradeoff_draws_one_line_per_model_and_refuses_a_missing_column():
    peer = pd.DataFrame({"accuracy": [0.85], "demographic_parity_difference": [0.17]})
    ax = plot_tradeoff({"IIDM": FRONT, "logistic regression": peer})
    assert [line.get_label() for line in ax.get_lines()] == ["IIDM", "logistic regression"]
    assert list(ax.get_lines()[0].get_xdata()) == [0.15, 0.08, 0.02]
    with pytest.raises(ValueError, match="has no column"):
        plot_tradeoff({"IIDM": FRONT}, x="parity")


def test_history_plots_every_term_by_default():
    X, y, s = make_leaky_data(300)
    model = IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)
    ax = plot_history(model)
    labels = {line.get_label() for line in ax.get_lines()}
    assert {"task_loss", "penalty", "adversary_acc"} <= labels
    assert len(ax.get_lines()[0].get_xdata()) == 3
    with pytest.raises(ValueError, match="history_ has no 'train_nothing'"):
        plot_history(model, ["nothing"])


def test_leakage_against_lam_with_a_chance_line():
    ax = plot_leakage(FRONT, chance=1 / 3)
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 2
