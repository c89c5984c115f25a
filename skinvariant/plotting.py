"""Plots of the accuracy-fairness trade-off, of training histories and of leakage against lam.

Needs matplotlib (``pip install "skinvariant[plot]"``). Each function draws on
``ax`` (a new figure's axes by default) and returns it.
"""

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

__all__ = ["plot_history", "plot_leakage", "plot_tradeoff"]

# where a point's label may go, in points from the point, in order of preference
_LABEL_OFFSETS = [
    (5, 5),
    (5, -5),
    (-5, 5),
    (-5, -5),
    (0, 10),
    (0, -10),
    (11, 0),
    (-11, 0),
    (5, 15),
    (5, -15),
    (-5, 15),
    (-5, -15),
]
_LABEL_FONTSIZE = 7
_MERGE_POINTS = 8  # points of one front closer than this share one label
_PLACEMENT_PASSES = 3


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'skinvariant.plotting needs matplotlib: pip install "skinvariant[plot]".'
        ) from error
    return plt.subplots()[1] if ax is None else ax


def _scale_lam_axis(ax, lams, axis="x"):
    """Put ``lam`` on a log axis; with lam=0 among ``lams``, on a symlog one.

    lam grids are geometric (0.1, 1, 10), so a log axis spaces them evenly;
    but lam=0, the baseline without invariance, has no logarithm. symlog,
    linear up to the smallest positive lam, keeps one continuous axis and
    line and puts 0 one decade below that lam, where a
    geometric grid's next value would be. A separate tick for 0 on a log axis
    would need a fake coordinate for 0, which would misplace whatever the
    caller draws later at lam=0. Up to 8 lams, the ticks are the lams tried.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    lams = np.unique(np.asarray(lams, dtype=float))
    lams = lams[np.isfinite(lams)]
    positive = lams[lams > 0]
    if len(positive) == 0:
        return
    set_scale, target = (ax.set_xscale, ax.xaxis) if axis == "x" else (ax.set_yscale, ax.yaxis)
    if (lams > 0).all():
        set_scale("log")
    else:
        # matplotlib stretches the linear part by 1 / (1 - 1 / base): 0.9 makes it one decade
        set_scale("symlog", linthresh=positive.min(), linscale=0.9)
    if len(lams) <= 8:
        target.set_major_locator(FixedLocator(lams))
        target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _as_fronts(fronts):
    """``{label: frame}`` from one frame (label None) or a mapping of label to frame."""
    if isinstance(fronts, pd.DataFrame):
        return {None: fronts}
    if not isinstance(fronts, Mapping):
        raise TypeError(
            "plot_tradeoff(fronts) takes one pandas DataFrame (as lam_path returns "
            "it) or a dict of label to DataFrame, e.g. {'IIDM': front}; got "
            f"{type(fronts).__name__}."
        )
    for label, front in fronts.items():
        if not isinstance(front, pd.DataFrame):
            raise TypeError(
                f"plot_tradeoff(fronts): fronts[{label!r}] is a "
                f"{type(front).__name__}; each value must be a pandas DataFrame "
                "such as lam_path returns."
            )
    return dict(fronts)


def _overlaps(box, boxes):
    """The area ``box`` shares with each row of ``boxes``, all ``(x0, y0, x1, y1)``."""
    width = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    height = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return np.clip(width, 0, None) * np.clip(height, 0, None)


def _label_size(text, scale):
    """The width and height of a label in pixels.

    The text's width and a line's height (1.2 em), with 1 point of space round it.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    width = text_to_path.get_text_width_height_descent(
        text, FontProperties(size=_LABEL_FONTSIZE), ismath=False
    )[0]
    return (width + 2) * scale, (1.2 * _LABEL_FONTSIZE + 2) * scale


def _label_box(pixel, offset, size, scale):
    """The display box, in pixels, of a label of ``size`` at ``offset`` points from ``pixel``."""
    (width, height), x, y = size, pixel[0] + offset[0] * scale, pixel[1] + offset[1] * scale
    x0 = x if offset[0] > 0 else x - width if offset[0] < 0 else x - width / 2
    y0 = y if offset[1] > 0 else y - height if offset[1] < 0 else y - height / 2
    return np.array([x0, y0, x0 + width, y0 + height])


def _drawn_obstacles(ax, scale):
    """Boxes, in pixels, round the markers of ``ax``'s lines and along their segments."""
    markers, segments = [], []
    for line in ax.get_lines():
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        xy = ax.transData.transform(xy[np.isfinite(xy).all(axis=1)])
        if line.get_marker() not in (None, "", "None", " "):
            half = line.get_markersize() / 2 * scale
            markers += [(x - half, y - half, x + half, y + half) for x, y in xy]
        for start, stop in zip(xy[:-1], xy[1:]):
            steps = max(int(np.hypot(*(stop - start)) // (2 * scale)), 1)
            for x, y in np.linspace(start, stop, steps + 1):
                segments.append((x - scale, y - scale, x + scale, y + scale))
    return np.array(markers).reshape(-1, 4), np.array(segments).reshape(-1, 4)


def _cycle_colors():
    """The colours of matplotlib's property cycle."""
    import matplotlib

    return matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])


def _clearest_legend_loc(axes, labels):
    """The legend location whose (estimated) box covers least of the lines of all ``axes``."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    rc = matplotlib.rcParams
    scale = axes[0].figure.dpi / 72.0
    em = FontProperties(size=rc["legend.fontsize"]).get_size_in_points() * scale
    width = (
        rc["legend.handlelength"]
        + rc["legend.handletextpad"]
        + 2 * rc["legend.borderpad"]
        + 0.6 * max(map(len, labels))
    ) * em
    height = (len(labels) * (1 + rc["legend.labelspacing"]) + 2 * rc["legend.borderpad"]) * em
    pad = rc["legend.borderaxespad"] * em
    x0, y0, x1, y1 = axes[0].bbox.extents
    left, right, center = x0 + pad, x1 - pad - width, (x0 + x1 - width) / 2
    top, bottom, middle = y1 - pad - height, y0 + pad, (y0 + y1 - height) / 2
    corners = {
        "upper right": (right, top),
        "upper left": (left, top),
        "lower left": (left, bottom),
        "lower right": (right, bottom),
        "center left": (left, middle),
        "center right": (right, middle),
        "lower center": (center, bottom),
        "upper center": (center, top),
        "center": (center, middle),
    }
    obstacles = []
    for ax in axes:
        ax.autoscale_view()
        markers, segments = _drawn_obstacles(ax, scale)
        obstacles += [markers, segments]
    obstacles = np.vstack(obstacles)
    return min(
        corners,
        key=lambda loc: _overlaps(
            np.array([*corners[loc], corners[loc][0] + width, corners[loc][1] + height]), obstacles
        ).sum(),
    )


def _lam_text(lams):
    """``"0.1"``, ``"0.1, 1"``, ``"0.1, 1, 10"`` or, for four or more, ``"0.1–100"``."""
    lams = list(dict.fromkeys(lams))
    if len(lams) <= 3:
        return ", ".join(f"{lam:g}" for lam in lams)
    return f"{min(lams):g}\u2013{max(lams):g}"


def _annotate_lams(ax, groups):
    """Label the points of each front with their lam, clear of the other labels and lines.

    ``groups`` is ``[(xs, ys, lams, color)]``; a label has its line's colour.
    Consecutive points of a front closer than ``_MERGE_POINTS`` share one
    label. Each label takes the offset of ``_LABEL_OFFSETS`` (the first among
    equals) that overlaps least the other labels, the markers, the lines (a
    third as much) and the outside of the axes (twice as much), in pixels at
    the current view limits; the labels are placed in turn, three times over.
    """
    ax.autoscale_view()
    scale = ax.figure.dpi / 72.0
    markers, segments = _drawn_obstacles(ax, scale)
    inset = 3 * scale  # a label this close to the spines touches them or the ticks
    frame = ax.bbox.extents + np.array([inset, inset, -inset, -inset])
    labels = []
    for xs, ys, lams, color in groups:
        finite = np.isfinite(xs) & np.isfinite(ys) & np.isfinite(lams)
        points = np.column_stack([xs, ys])[finite]
        clusters = []  # consecutive points closer than _MERGE_POINTS share a label
        for point, pixel, lam in zip(points, ax.transData.transform(points), lams[finite]):
            if clusters and np.hypot(*(pixel - clusters[-1][1])) < _MERGE_POINTS * scale:
                clusters[-1][2].append(lam)
            else:
                clusters.append((point, pixel, [lam]))
        labels += [(point, pixel, _lam_text(cluster), color) for point, pixel, cluster in clusters]
    candidates = []
    for _point, pixel, text, _color in labels:
        size = _label_size(text, scale)
        candidates.append([_label_box(pixel, offset, size, scale) for offset in _LABEL_OFFSETS])
    chosen = [None] * len(labels)

    def crowding(box, index):
        others = np.array(
            [
                candidates[j][best]
                for j, best in enumerate(chosen)
                if best is not None and j != index
            ]
        ).reshape(-1, 4)
        outside = (box[2] - box[0]) * (box[3] - box[1]) - _overlaps(box, frame[None])[0]
        return (
            _overlaps(box, others).sum()
            + _overlaps(box, markers).sum()
            + _overlaps(box, segments).sum() / 3
            + 2 * outside
        )

    # greedy in order, then each label moved again where the others leave most room
    for _ in range(_PLACEMENT_PASSES):
        for index, boxes in enumerate(candidates):
            chosen[index] = int(np.argmin([crowding(box, index) for box in boxes]))
    for (point, _, text, color), best in zip(labels, chosen):
        offset = _LABEL_OFFSETS[best]
        ha = "left" if offset[0] > 0 else "right" if offset[0] < 0 else "center"
        va = "bottom" if offset[1] > 0 else "top" if offset[1] < 0 else "center"
        ax.annotate(
            text,
            tuple(point),
            textcoords="offset points",
            xytext=offset,
            ha=ha,
            va=va,
            fontsize=_LABEL_FONTSIZE,
            color=color,
        )


def plot_tradeoff(fronts, *, x="demographic_parity_difference", y="accuracy", ax=None):
    """Plot accuracy against a fairness or leakage measure, one line per model.

    Each point of a front with a ``lam`` column is labelled with its ``lam``;
    the labels are placed apart, and points that coincide share one label.

    Parameters
    ----------
    fronts : pandas.DataFrame or dict of str to pandas.DataFrame
        One front, as :func:`skinvariant.model_selection.lam_path` returns it, or a
        label (e.g. the estimator's name) to its front; a single-row frame
        (a peer such as logistic regression) is drawn as one marker.
    x, y : str
        Columns to plot; ``"lam"`` gets a log axis (symlog with lam=0).
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``fronts`` is neither a DataFrame nor a dict of DataFrames.
    ValueError
        If a front lacks ``x`` or ``y``.
    """
    fronts = _as_fronts(fronts)
    for label, front in fronts.items():
        missing = [column for column in (x, y) if column not in front.columns]
        if missing:
            which = "the front" if label is None else f"front {label!r}"
            raise ValueError(
                f"plot_tradeoff: {which} has no column "
                f"{', '.join(map(repr, missing))}; its columns are "
                f"{list(front.columns)}. Pass x= and y= among them."
            )
    ax = _axes(ax)
    groups, lams = [], []
    for label, front in fronts.items():
        (line,) = ax.plot(
            front[x], front[y], marker="o", label="_nolegend_" if label is None else label
        )
        if "lam" in front.columns and len(front) > 1:
            groups.append(
                (
                    front[x].to_numpy(float),
                    front[y].to_numpy(float),
                    front["lam"].to_numpy(float),
                    line.get_color(),
                )
            )
        if "lam" in (x, y):
            lams.extend(front["lam"])
    if x == "lam":
        _scale_lam_axis(ax, lams, "x")
    if y == "lam":
        _scale_lam_axis(ax, lams, "y")
    if groups and "lam" not in (x, y):
        _annotate_lams(ax, groups)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    if any(label is not None for label in fronts):
        ax.legend(title="point labels: lam" if groups and "lam" not in (x, y) else None)
    return ax


def _history_of(estimator):
    """``history_`` of a skinvariant estimator, or of one in a Pipeline or SensitiveFromColumns."""
    from .compose import SensitiveFromColumns
    from .core import InvariantEstimatorBase

    final, step = estimator, None
    while hasattr(final, "steps") or isinstance(final, SensitiveFromColumns):
        if hasattr(final, "steps"):
            step, final = final.steps[-1]
        elif hasattr(final, "estimator_"):
            step, final = None, final.estimator_
        else:
            raise NotFittedError(
                "plot_history(estimator): SensitiveFromColumns is not fitted, so it "
                "has no estimator_ with a history_; fit it first: fit(X, y) with the "
                "attribute among the columns of X, and pass the fitted estimator."
            )
    if hasattr(final, "history_"):
        return final.history_
    name = type(final).__name__
    if isinstance(final, InvariantEstimatorBase):
        how = (
            "it first: fit(X, y, sensitive=s)"
            if step is None
            else f"the Pipeline first: fit(X, y, {step}__sensitive=s), or sensitive=s with "
            "metadata routing on"
        )
        raise NotFittedError(
            f"plot_history(estimator): {name} is not fitted, so it has no "
            f"history_; fit {how}, and pass the fitted estimator."
        )
    raise TypeError(
        f"plot_history(estimator) plots history_, the per-epoch records of a "
        f"fitted skinvariant estimator; {name} has none. Pass a fitted skinvariant "
        "estimator or a Pipeline ending in one, or a SensitiveFromColumns holding one "
        "(for a search, its best_estimator_)."
    )


def _is_rate(key, values):
    """Whether a record is an accuracy or a fraction: named so, every value in [0, 1]."""
    named = key.endswith(("_acc", "accuracy", "_fraction"))
    return named and all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values)


# skorch's own records, and the scale of z (a divergence watch, not a loss)
_NOT_BY_DEFAULT = (
    "train_loss",
    "train_loss_best",
    "train_batch_count",
    "train_z_mean_square",
)


def _record_name(key):
    """The history record ``key`` names: itself with a train_ or valid_ prefix, else train_key."""
    return key if key.startswith(("train_", "valid_")) else "train_" + key


def _line_colors(names):
    """A colour of the property cycle per record name; a valid_ record shares its train_ one's."""
    colors = _cycle_colors()
    partner = {
        name: "train_" + name[len("valid_") :]
        for name in names
        if name.startswith("valid_") and "train_" + name[len("valid_") :] in names
    }
    own = [name for name in dict.fromkeys(names) if name not in partner]
    color = {name: colors[index % len(colors)] for index, name in enumerate(own)}
    return {**color, **{name: color[train] for name, train in partner.items()}}


def plot_history(estimator, keys=None, *, ax=None):
    """Plot the per-epoch training (and validation) records of a fitted estimator.

    Losses and penalties (epoch means) share the left axis. Accuracies and
    fractions (keys ending ``_acc``, ``accuracy`` or ``_fraction``, all
    values in [0, 1]) are drawn dashed on a right axis from 0 to 1, or on
    the left one when nothing else is plotted. Validation records
    (``valid_*``, recorded with ``validation_fraction``) are dotted, in the
    colour of their ``train_*`` record when that is plotted too. Each record
    is drawn over the epochs that have it (after ``partial_fit`` chunks
    without ``sensitive``, the penalties lack some epochs).

    Parameters
    ----------
    estimator : fitted skinvariant estimator, or a Pipeline or SensitiveFromColumns holding one
    keys : str or list of str, default=None
        History keys: one with a ``train_`` or ``valid_`` prefix is used as
        given (``["train_loss", "valid_loss"]`` plots the whole objective on
        the training and the validation rows); one without it names its
        ``train_`` record (``["task_loss", "penalty"]``). By default every
        ``train_*`` record but the totals and ``z_mean_square``, without its
        prefix, and the ``valid_*`` record of each of them that has one
        (e.g. ``valid_task_loss``).
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes
        The left axis. When a right axis is drawn, it is ``ax.right_ax``
        (``ax.twinx()``'s axes, holding the accuracy lines and the legend);
        otherwise ``ax.right_ax`` is None.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the skinvariant estimator (a ValueError) is not fitted.
    TypeError
        If ``estimator`` holds no skinvariant estimator.
    ValueError
        If a key is not in ``history_``.
    """
    history = _history_of(estimator)
    recorded = list(
        dict.fromkeys(key for row in history for key in row if key.startswith(("train_", "valid_")))
    )
    if keys is None:
        keys = [
            key[len("train_") :]
            for key in recorded
            if key.startswith("train_") and key not in _NOT_BY_DEFAULT
        ]
        keys += ["valid_" + key for key in keys if "valid_" + key in recorded]
    elif isinstance(keys, str):
        keys = [keys]
    for key in keys:
        if _record_name(key) not in recorded:
            raise ValueError(f"history_ has no {_record_name(key)!r}; it has {sorted(recorded)}.")
    ax = _axes(ax)
    records = {}
    for key in keys:
        name = _record_name(key)
        epochs = [epoch for epoch, row in enumerate(history, start=1) if name in row]
        records[key] = (epochs, [float(row[name]) for row in history if name in row])
    rates = [key for key in keys if _is_rate(key, records[key][1])]
    others = [key for key in keys if key not in rates]
    right = ax.twinx() if rates and others else None
    colors = _line_colors([_record_name(key) for key in others + rates])
    for key in others + rates:
        name = _record_name(key)
        on_right = right is not None and key in rates
        (right if on_right else ax).plot(
            *records[key],
            linestyle=":" if name.startswith("valid_") else "--" if key in rates else "-",
            color=colors[name],
            label=f"{key} (right)" if on_right else key,
        )
    rate_ax = right if right is not None else ax
    fractions_only = rates and all(key.endswith("_fraction") for key in rates)
    rate_label = "fraction" if fractions_only else "accuracy"
    if others:
        losses_only = all(key.endswith("loss") for key in others)
        ax.set_ylabel(f"{'loss' if losses_only else 'loss, penalty'} (epoch mean)")
    if rates:
        rate_ax.set_ylabel(f"{rate_label} (epoch mean)")
        rate_ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    if right is None:
        ax.legend()
    else:
        # on the twin, drawn above both; "best" would avoid the twin's lines only
        handles, labels = (
            sum(pair, [])
            for pair in zip(ax.get_legend_handles_labels(), right.get_legend_handles_labels())
        )
        right.legend(handles, labels, loc=_clearest_legend_loc([ax, right], labels))
    ax.right_ax = right
    return ax


def plot_leakage(front, *, measure="leakage_balanced_accuracy", chance=None, ax=None):
    """Plot a leakage measure of a front against lam on a log lam axis.

    With lam=0 in the front the axis is symlog: linear from 0 to the
    smallest positive lam, logarithmic above, so 0 sits one decade below it.

    Parameters
    ----------
    front : pandas.DataFrame
        As :func:`skinvariant.model_selection.lam_path` returns it.
    measure : str, default="leakage_balanced_accuracy"
    chance : float, default=None
        Drawn as a horizontal line (e.g. 1 / n_groups, or 0.5 for an AUC).
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``front`` is not a DataFrame.
    ValueError
        If ``front`` lacks ``lam`` or ``measure``.
    """
    if not isinstance(front, pd.DataFrame):
        raise TypeError(
            "plot_leakage(front) takes one pandas DataFrame (as lam_path returns "
            f"it); got {type(front).__name__}. For several fronts, call it once "
            "per front with the same ax=."
        )
    missing = [column for column in ("lam", measure) if column not in front.columns]
    if missing:
        raise ValueError(
            f"plot_leakage: the front has no column "
            f"{', '.join(map(repr, missing))}; its columns are "
            f"{list(front.columns)}."
        )
    ax = _axes(ax)
    ax.plot(front["lam"], front[measure], marker="o")
    _scale_lam_axis(ax, front["lam"], "x")
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle="--", label="chance")
        ax.legend()
    ax.set_xlabel("lam")
    ax.set_ylabel(measure.replace("_", " "))
    return ax
