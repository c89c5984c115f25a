"""Warnings and errors raised by skinvariant."""

import os
import sys
import warnings

__all__ = [
    "BudgetBelowNoiseWarning",
    "BudgetNotMetWarning",
    "CollapseWarning",
    "DivergenceError",
    "GraphCaptureWarning",
    "NoInvarianceWarning",
    "UnstableRefitWarning",
]


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss, or a loss or representation that exploded.

    The message names the epoch and the term. The estimator is left unfitted
    (after ``partial_fit`` too, whatever earlier calls trained): lower ``lr``
    or ``lam``, or standardise the inputs, and refit. The error's
    ``history`` attribute holds the history of the run that diverged.
    """


class CollapseWarning(UserWarning):
    """At the end of training, a model with an invariance term learned little of ``y``.

    A classifier is no more accurate on its training rows than the majority
    class, or predicts a class far below its share of ``y``; a regressor
    explains no more of ``y`` than its mean. The message names the symptom and
    the usual causes (``lam`` too large, classes to weight, too few epochs).
    A search over ``lam`` draws it for its large values, where it is the
    trade-off searched over: filter it there with
    ``warnings.filterwarnings("ignore", category=CollapseWarning)``.
    """


class GraphCaptureWarning(UserWarning):
    """A fit on a GPU runs its training steps eagerly instead of replaying them from CUDA graphs.

    Its objective is not written for graphs, or a capture failed (an
    optimizer or a callback that cannot be captured); the message says
    which. The model is the same, only slower; ``cuda_graphs=False`` skips
    the attempt and the warning.
    """


class NoInvarianceWarning(UserWarning):
    """``fit`` was called without ``sensitive``: no invariance is enforced."""


class BudgetNotMetWarning(UserWarning):
    """No candidate ``lam`` of a :class:`~skinvariant.model_selection.BudgetSearchCV` met its budget.

    The message names the closest candidate and its measures; the search
    refitted that most invariant model. Try larger ``lams``, a looser budget or
    longer training.
    """


class UnstableRefitWarning(UserWarning):
    """A :class:`~skinvariant.model_selection.BudgetSearchCV` refit broke the budget on its own rows.

    The candidate's refit on all rows measures above the budget on those
    very rows, and above every held-out fold of its ``lam``: fits at that
    ``lam`` vary from run to run. The search refits it once more with
    another ``random_state`` (the message names the seed); if that refit
    breaks the budget too, it rejects the candidate and refits the next one
    (the message names both).
    """


class BudgetBelowNoiseWarning(UserWarning):
    """A parity budget of a :class:`~skinvariant.model_selection.BudgetSearchCV` lies below noise.

    On held-out folds of the size the search uses, a predictor that ignores
    ``sensitive`` already measures a larger gap by chance
    (:func:`~skinvariant.metrics.parity_noise_floor`), so whether a candidate
    meets the budget in cross-validation is luck, and a refitted model that met
    it may not on new rows. Give more rows or fewer folds, or a budget above
    the floor that the message names.
    """


def warn_at_caller(message, category=UserWarning):
    """Issue a warning attributed to the first line outside skinvariant and the libraries it runs in.

    A fixed ``stacklevel`` would point into scikit-learn's wrappers (``fit``
    decorators, ``Pipeline``), skorch, or joblib (which runs a search's fits)
    rather than at the user's line.
    """
    import joblib
    import sklearn
    import skorch

    skipped = tuple(
        os.path.dirname(module.__file__) + os.sep for module in (sklearn, skorch, joblib)
    ) + (os.path.dirname(__file__) + os.sep,)
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
