"""The protocol every invariance criterion speaks to the training engine."""

from torch import nn


class InvarianceCriterion(nn.Module):
    """Base class of the invariance criteria.

    A criterion owns the auxiliary networks of one method (an adversary, a
    statistics network, ...) and any buffers (moving centroids). Per batch the
    engine calls, in order:

    1. ``critic_loss(z.detach(), s, y)`` ``n_critic_steps`` times, each followed
       by a step of the criterion's own optimizer;
    2. ``after_critic(z.detach(), s, y)`` to update buffers;
    3. ``encoder_loss(z, s, y, lam)`` for the encoder/head step.

    Steps 1 and 2 are skipped for criteria with ``n_critic_steps=0``.

    Criteria whose networks learn from the encoder's loss itself (gradient
    reversal) set ``trains_with_encoder = True``; their optimizer then steps
    together with the encoder's.

    Parameters
    ----------
    n_critic_steps : int, default=0
        Inner steps of the criterion's own networks per batch.
    """

    trains_with_encoder = False

    def __init__(self, n_critic_steps=0):
        super().__init__()
        self.n_critic_steps = n_critic_steps

    def initialize(self, z, s, y):
        """Set state from the whole training set before the first step."""

    def critic_loss(self, z, s, y):
        """Return ``(loss, metrics)`` for the criterion's own networks.

        ``metrics`` maps names (e.g. ``"adversary_acc"``) to scalar tensors
        recorded per epoch in the history.
        """
        raise NotImplementedError

    def after_critic(self, z, s, y):
        """Update buffers once the criterion's networks have stepped."""

    def diverged(self, epoch_means):
        """Return ``{term: reason}`` for finite epoch means that show divergence.

        ``epoch_means`` maps each recorded term (``"penalty"``, the metrics) to
        its mean over the epoch; NaN and infinite values are caught by the
        engine before this is called.
        """
        return {}

    def penalty(self, z, s, y):
        """Return the invariance penalty on the representation ``z``."""
        raise NotImplementedError

    def encoder_loss(self, z, s, y, lam):
        """Return ``(term added to the task loss, metrics)``.

        ``metrics`` holds at least the detached ``"penalty"``.
        """
        penalty = self.penalty(z, s, y)
        return lam * penalty, {"penalty": penalty.detach()}
