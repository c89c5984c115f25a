"""The plots render on the Agg backend and draw what they are given."""

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinvariant import IIDMClassifier
from skinvariant.compose import SensitiveFromColumns
from skinvariant.datasets import make_attribute_blobs
from skinvariant.plotting import plot_history, plot_leakage, plot_tradeoff

from .conftest import make_leaky_data

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

FRONT = pd.DataFrame(
    {
        "lam": [0.1, 1.0, 10.0],
        "accuracy": [0.85, 0.84, 0.80],
        "demographic_parity_difference": [0.15, 0.08, 0.02],
        "leakage_balanced_accuracy": [0.7, 0.6, 0.5],
    }
)
# a front from 0 whose small lams change little: their points nearly coincide
LAMS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
CLOSE = pd.DataFrame(
    {
        "lam": LAMS,
        "accuracy": [0.860, 0.8601, 0.8598, 0.859, 0.855, 0.84, 0.80, 0.50],
        "demographic_parity_difference": [0.05, 0.0502, 0.0499, 0.049, 0.045, 0.03, 0.01, 0.0],
        "leakage_balanced_accuracy": [0.8, 0.8, 0.79, 0.75, 0.6, 0.45, 0.36, 0.34],
    }
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def blobs():
    return make_attribute_blobs(n_samples=200, random_state=0)


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y, s = blobs
    return IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)


def all_lines(ax):
    """The lines of ``ax`` and of its right twin, if it has one."""
    right = getattr(ax, "right_ax", None)
    return ax.get_lines() + ([] if right is None else right.get_lines())


def test_tradeoff_draws_one_line_per_model_and_refuses_a_missing_column():
    peer = pd.DataFrame({"accuracy": [0.85], "demographic_parity_difference": [0.17]})
    ax = plot_tradeoff({"IIDM": FRONT, "logistic regression": peer})
    assert [line.get_label() for line in ax.get_lines()] == ["IIDM", "logistic regression"]
    assert list(ax.get_lines()[0].get_xdata()) == [0.15, 0.08, 0.02]
    with pytest.raises(ValueError, match="has no column"):
        plot_tradeoff({"IIDM": FRONT}, x="parity")


def test_tradeoff_takes_one_front_as_lam_path_returns_it():
    ax = plot_tradeoff(FRONT)
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0.15, 0.08, 0.02]
    assert list(line.get_ydata()) == [0.85, 0.84, 0.80]
    assert [text.get_text() for text in ax.texts] == ["0.1", "1", "10"]
    assert ax.get_legend() is None  # one unnamed front needs no legend


def test_tradeoff_names_the_missing_column_and_the_available_ones():
    with pytest.raises(
        ValueError,
        match=r"no column 'parity'; its columns are "
        r"\['lam', 'accuracy', 'demographic_parity_difference'",
    ):
        plot_tradeoff(FRONT, x="parity")
    with pytest.raises(ValueError, match="front 'IIDM' has no column 'acc'"):
        plot_tradeoff({"IIDM": FRONT}, y="acc")
    with pytest.raises(TypeError, match="one pandas DataFrame .* or a dict"):
        plot_tradeoff([FRONT])


def label_boxes(ax):
    ax.figure.canvas.draw()
    return [text.get_window_extent() for text in ax.texts]


def test_tradeoff_labels_of_close_points_do_not_overlap():
    shifted = CLOSE.assign(
        accuracy=CLOSE["accuracy"] - 0.002,
        demographic_parity_difference=CLOSE["demographic_parity_difference"] + 0.001,
    )
    ax = plot_tradeoff({"IIDM": CLOSE, "adversarial": shifted})
    boxes = label_boxes(ax)
    assert len(boxes) >= 8
    assert not [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    # the four smallest lams fall within a few pixels: one label names them
    assert "0\u20130.1" in [text.get_text() for text in ax.texts]


def test_tradeoff_labels_do_not_sit_on_each_other_for_a_front_and_its_neighbour():
    neighbour = FRONT.assign(accuracy=FRONT["accuracy"] + 0.001)
    ax = plot_tradeoff({"a": FRONT, "b": neighbour})
    boxes = label_boxes(ax)
    assert len(boxes) == 6
    assert len({(box.x0, box.y0) for box in boxes}) == 6
    assert not [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def test_leakage_against_lam_with_a_chance_line():
    ax = plot_leakage(FRONT, chance=1 / 3)
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 2


def test_leakage_refuses_a_dict_of_fronts_as_tradeoff_does():
    with pytest.raises(TypeError, match="plot_leakage\\(front\\) takes one pandas DataFrame"):
        plot_leakage({"IIDM": FRONT})


@pytest.mark.parametrize(
    "plot",
    [plot_leakage, lambda front: plot_tradeoff(front, x="lam")],
    ids=["plot_leakage", "plot_tradeoff"],
)
def test_a_lam_axis_from_zero_is_symlog_linear_up_to_the_smallest_positive_lam(plot):
    ax = plot(FRONT.assign(lam=[0.0, 0.1, 1.0]))
    assert ax.get_xscale() == "symlog"
    assert ax.xaxis.get_transform().linthresh == pytest.approx(0.1)
    assert list(ax.get_xticks()) == [0.0, 0.1, 1.0]
    ax.figure.canvas.draw()
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["0", "0.1", "1"]
    # 0 sits as far below 0.1 as 0.1 below 1: one decade
    at = ax.transData.transform(np.column_stack([[0.0, 0.1, 1.0], [0.5] * 3]))[:, 0]
    assert at[1] - at[0] == pytest.approx(at[2] - at[1], rel=1e-6)


def test_history_plots_every_term_by_default():
    X, y, s = make_leaky_data(300)
    model = IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)
    ax = plot_history(model)
    labels = {line.get_label() for line in all_lines(ax)}
    assert {"task_loss", "penalty", "adversary_acc (right)"} <= labels
    assert len(ax.get_lines()[0].get_xdata()) == 3
    with pytest.raises(ValueError, match="history_ has no 'train_nothing'"):
        plot_history(model, ["nothing"])


def test_history_of_a_pipeline_draws_the_lines_of_its_last_step(blobs):
    X, y, s = blobs
    pipe = make_pipeline(StandardScaler(), IIDMClassifier(max_epochs=3, random_state=0))
    pipe.fit(X, y, iidmclassifier__sensitive=s)
    bare = IIDMClassifier(max_epochs=3, random_state=0).fit(
        StandardScaler().fit_transform(X), y, sensitive=s
    )
    drawn, expected = all_lines(plot_history(pipe)), all_lines(plot_history(bare))
    assert [line.get_label() for line in drawn] == [line.get_label() for line in expected]
    for line, same in zip(drawn, expected):
        np.testing.assert_allclose(line.get_ydata(), same.get_ydata())


def test_history_says_what_to_pass_when_there_is_no_history(blobs):
    X, y, _ = blobs
    with pytest.raises(NotFittedError, match=r"IIDMClassifier is not fitted.*fit it first"):
        plot_history(IIDMClassifier())
    with pytest.raises(
        ValueError,
        match=r"IIDMClassifier is not fitted.*fit the Pipeline "
        r"first: fit\(X, y, iidmclassifier__sensitive=s\)",
    ):
        plot_history(make_pipeline(StandardScaler(), IIDMClassifier()))
    with pytest.raises(
        TypeError,
        match="LogisticRegression has none. Pass a fitted "
        "skinvariant estimator or a Pipeline ending in one",
    ):
        plot_history(LogisticRegression().fit(X, y))


def test_history_labels_its_axes_and_puts_accuracy_on_a_right_axis(fitted):
    ax = plot_history(fitted)
    assert ax.get_ylabel() == "loss, penalty (epoch mean)"
    right = ax.right_ax
    assert right is not None and right.get_ylabel() == "accuracy (epoch mean)"
    assert right.get_ylim() == (-0.02, 1.02)
    assert [line.get_label() for line in right.get_lines()] == ["adversary_acc (right)"]
    assert "adversary_acc" not in {line.get_label() for line in ax.get_lines()}
    assert right.get_lines()[0].get_linestyle() == "--"
    # the twin goes on in the colour cycle: its line is not coloured as the first loss
    assert right.get_lines()[0].get_color() not in {line.get_color() for line in ax.get_lines()}
    legend = right.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == [
        "task_loss",
        "penalty",
        "kernel_penalty",  # IIDM's kernel term, on by default
        "adversary_loss",
        "hsic",
        "adversary_acc (right)",
    ]


def test_history_of_one_kind_of_record_has_one_labelled_axis(fitted):
    losses = plot_history(fitted, ["task_loss", "adversary_loss"])
    assert losses.right_ax is None and losses.get_ylabel() == "loss (epoch mean)"
    accuracy = plot_history(fitted, ["adversary_acc"])
    assert accuracy.right_ax is None and accuracy.get_ylabel() == "accuracy (epoch mean)"


def test_history_plots_validation_records_beside_their_training_ones(blobs):
    X, y, s = blobs
    model = IIDMClassifier(max_epochs=2, validation_fraction=0.2, random_state=0)
    model.fit(X, y, sensitive=s)
    totals = plot_history(model, ["train_loss", "valid_loss"])
    assert [line.get_label() for line in totals.get_lines()] == ["train_loss", "valid_loss"]
    assert totals.get_ylabel() == "loss (epoch mean)"
    lines = {line.get_label(): line for line in all_lines(plot_history(model))}
    assert {"task_loss", "valid_task_loss", "penalty", "valid_penalty"} <= set(lines)
    assert "valid_loss" not in lines  # the totals, as train_loss, only on request
    # dotted, in the colour of the training record
    assert lines["valid_task_loss"].get_linestyle() == ":"
    assert lines["valid_task_loss"].get_color() == lines["task_loss"].get_color()
    np.testing.assert_allclose(
        lines["valid_task_loss"].get_ydata(), model.history_[:, "valid_task_loss"]
    )


def test_history_takes_one_key_as_a_string(fitted):
    (line,) = plot_history(fitted, "task_loss").get_lines()
    assert line.get_label() == "task_loss"
    with pytest.raises(ValueError, match="history_ has no 'valid_loss'"):
        plot_history(fitted, "valid_loss")


def test_history_draws_each_record_over_the_epochs_that_have_it(blobs):
    X, y, s = blobs
    model = IIDMClassifier(max_epochs=1, random_state=0)
    model.partial_fit(X, y, sensitive=s, classes=[0, 1])
    with pytest.warns(UserWarning, match="without sensitive"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, sensitive=s)
    lines = {line.get_label(): line for line in all_lines(plot_history(model))}
    assert list(lines["task_loss"].get_xdata()) == [1, 2, 3]
    assert list(lines["penalty"].get_xdata()) == [1, 3]
    assert list(lines["adversary_acc (right)"].get_xdata()) == [1, 3]


def test_history_of_sensitive_from_columns_is_that_of_its_estimator(blobs):
    X, y, s = blobs
    wrapped = SensitiveFromColumns(IIDMClassifier(max_epochs=3, random_state=0))
    with pytest.raises(NotFittedError, match="SensitiveFromColumns is not fitted"):
        plot_history(wrapped)
    wrapped.fit(np.column_stack([X, s]), y)
    drawn = all_lines(plot_history(wrapped))
    expected = all_lines(plot_history(wrapped.estimator_))
    assert [line.get_label() for line in drawn] == [line.get_label() for line in expected]
    for line, same in zip(drawn, expected):
        np.testing.assert_allclose(line.get_ydata(), same.get_ydata())
