"""Warnings and errors raised by skinvariant."""

import os
import sys
import warnings

__all__ = [
    "BudgetBelowNoiseWarning",
    "BudgetNotMetWarning",
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
    """Issue a warning attributed to the first line outside skinvariant, scikit-learn and skorch.

    A fixed ``stacklevel`` would point into scikit-learn's wrappers (``fit``
    decorators, ``Pipeline``) rather than at the user's line.
    """
    import sklearn
    import skorch

    skipped = tuple(
        os.path.dirname(path) + os.sep for path in (__file__, sklearn.__file__, skorch.__file__)
    )
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
