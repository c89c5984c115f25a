"""Warnings and errors raised by skinvariant."""

import os
import sys
import warnings

__all__ = ["BudgetNotMetWarning", "DivergenceError", "NoInvarianceWarning"]


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss, or a loss or representation that exploded.

    The message names the epoch and the term. The estimator is left unfitted:
    lower ``lr`` or ``lam``, or standardise the inputs, and refit.
    """


class NoInvarianceWarning(UserWarning):
    """``fit`` was called without ``sensitive``: no invariance is enforced."""


class BudgetNotMetWarning(UserWarning):
    """No candidate ``lam`` of a :class:`~skinvariant.model_selection.BudgetSearchCV` met its budget.

    The message names the closest candidate and its measures; the search
    refitted that most invariant model. Try larger ``lams``, a looser budget or
    longer training.
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
