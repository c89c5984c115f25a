"""Warnings and errors raised by skinvariant."""

__all__ = ["DivergenceError", "NoInvarianceWarning"]


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss.

    The message names the epoch and the loss term. The estimator is left
    unfitted: lower ``lr`` or ``lam``, or standardise the inputs, and refit.
    """


class NoInvarianceWarning(UserWarning):
    """``fit`` was called without ``sensitive``: no invariance is enforced."""
