"""Plots of the accuracy-fairness trade-off, of training histories and of leakage against lam.

Needs matplotlib (``pip install "skinvariant[plot]"``). Each function draws on
``ax`` (a new figure's axes by default) and returns it.
"""

import numpy as np

__all__ = ["plot_history", "plot_leakage", "plot_tradeoff"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("skinvariant.plotting needs matplotlib: pip install "
                          '"skinvariant[plot]".') from error
    return plt.subplots()[1] if ax is None else ax


def plot_tradeoff(fronts, *, x="demographic_parity_difference", y="accuracy", ax=None):
    """Plot accuracy against a fairness or leakage measure, one line per model.

    Parameters
    ----------
    fronts : dict of str to pandas.DataFrame
        A label (e.g. the estimator's name) to its front, as
        :func:`skinvariant.metrics.lam_path` returns it; a single-row frame
        (a peer such as logistic regression) is drawn as one marker.
    x, y : str
        Columns to plot.
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    for label, front in fronts.items():
        missing = {x, y} - set(front.columns)
        if missing:
            raise ValueError(f"front {label!r} has no column {sorted(missing)}; its columns "
                             f"are {list(front.columns)}.")
        ax.plot(front[x], front[y], marker="o", label=label)
        if "lam" in front.columns and len(front) > 1:
            for _, row in front.iterrows():
                ax.annotate(f"{row['lam']:g}", (row[x], row[y]), textcoords="offset points",
                            xytext=(3, 3), fontsize=7)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.legend()
    return ax


def plot_history(estimator, keys=None, *, ax=None):
    """Plot the per-epoch training records of a fitted estimator.

    Parameters
    ----------
    estimator : fitted skinvariant estimator
    keys : list of str, default=None
        History keys without the ``train_`` prefix (e.g. ``["task_loss",
        "penalty"]``); by default every ``train_*`` record except the totals.
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    last = estimator.history_[-1]
    if keys is None:
        keys = [key[len("train_"):] for key in last
                if key.startswith("train_") and key not in ("train_loss", "train_loss_best",
                                                              "train_batch_count")]
    epochs = np.arange(1, len(estimator.history_) + 1)
    for key in keys:
        if "train_" + key not in last:
            raise ValueError(f"history_ has no 'train_{key}'; it has "
                             f"{sorted(k for k in last if k.startswith('train_'))}.")
        ax.plot(epochs, estimator.history_[:, "train_" + key], label=key)
    ax.set_xlabel("epoch")
    ax.legend()
    return ax


def plot_leakage(front, *, measure="leakage_balanced_accuracy", chance=None, ax=None):
    """Plot a leakage measure of a front against lam (log scale where lam > 0).

    Parameters
    ----------
    front : pandas.DataFrame
        As :func:`skinvariant.metrics.lam_path` returns it.
    measure : str, default="leakage_balanced_accuracy"
    chance : float, default=None
        Drawn as a horizontal line (e.g. 1 / n_groups, or 0.5 for an AUC).
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.plot(front["lam"], front[measure], marker="o")
    if (front["lam"] > 0).all():
        ax.set_xscale("log")
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle="--", label="chance")
        ax.legend()
    ax.set_xlabel("lam")
    ax.set_ylabel(measure.replace("_", " "))
    return ax
