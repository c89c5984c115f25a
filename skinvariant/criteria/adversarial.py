"""Adversarial invariance induction (Xie et al. 2017) and its variants.

The adversary q(s|z) is trained to predict the sensitive group from the
representation; the encoder is trained against it in one of three ways:

* ``"alternating"`` (AII): maximise the adversary's cross-entropy;
* ``"reversal"`` (RevGrad, Ganin et al. 2016): one joint step through a
  gradient-reversal layer;
* ``"nonsaturating"`` (NS, label flipping): minimise the adversary's
  cross-entropy against the other groups.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ..modules import BatchStandardize, grad_reverse, make_mlp
from ._base import InvarianceCriterion

MODES = ("alternating", "reversal", "nonsaturating")


class AdversaryCriterion(InvarianceCriterion):
    """Base of the criteria that train a group classifier q(s|z).

    Parameters
    ----------
    z_dim : int
        Width of the representation.
    n_groups : int
        Number of sensitive groups.
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the adversary.
    n_adversary_steps : int, default=1
        Adversary steps per encoder step (kappa).
    gradient_penalty : float, default=0.0
        Weight gamma of the penalty ``gamma / 2 * E||grad_z log q(s|z)||^2``
        added to the adversary's loss (Mescheder et al. 2018).
    """

    def __init__(self, z_dim, n_groups, *, hidden_layer_sizes=(100,),
                 n_adversary_steps=1, gradient_penalty=0.0):
        super().__init__(n_critic_steps=n_adversary_steps)
        # the adversary reads z standardised per batch, so shrinking z cannot fool it
        self.adversary = nn.Sequential(BatchStandardize(),
                                       *make_mlp(z_dim, hidden_layer_sizes, n_groups))
        self.gradient_penalty = gradient_penalty

    def critic_loss(self, z, s, y):
        logits = self.adversary(z)
        loss = F.cross_entropy(logits, s) + self.adversary_gradient_penalty(z, s)
        accuracy = (logits.argmax(dim=1) == s).float().mean()
        return loss, {"adversary_acc": accuracy.detach()}

    def adversary_gradient_penalty(self, z, s):
        """Return ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the detached ``z``."""
        if not self.gradient_penalty:
            return 0.0
        z = z.detach().requires_grad_(True)
        log_q_true = F.log_softmax(self.adversary(z), dim=1).gather(1, s[:, None]).sum()
        (grad,) = torch.autograd.grad(log_q_true, z, create_graph=True)
        return 0.5 * self.gradient_penalty * grad.pow(2).sum(dim=1).mean()


class AdversarialCriterion(AdversaryCriterion):
    """Adversarial invariance: the encoder fights the adversary directly.

    Parameters
    ----------
    z_dim, n_groups, hidden_layer_sizes, n_adversary_steps, gradient_penalty
        See :class:`AdversaryCriterion`.
    mode : {"alternating", "reversal", "nonsaturating"}, default="alternating"
        How the encoder is updated against the adversary.
    """

    def __init__(self, z_dim, n_groups, *, mode="alternating", hidden_layer_sizes=(100,),
                 n_adversary_steps=1, gradient_penalty=0.0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
        super().__init__(z_dim, n_groups, hidden_layer_sizes=hidden_layer_sizes,
                         n_adversary_steps=0 if mode == "reversal" else n_adversary_steps,
                         gradient_penalty=gradient_penalty)
        self.mode = mode
        self.trains_with_encoder = mode == "reversal"

    def penalty(self, z, s, y):
        log_q = F.log_softmax(self.adversary(z), dim=1)
        if self.mode == "nonsaturating":
            other_groups = torch.ones_like(log_q).scatter_(1, s[:, None], 0.0)
            return -(log_q * other_groups).sum(1).div(other_groups.sum(1)).mean()
        # maximising the adversary's cross-entropy = minimising log q(s|z)
        return log_q.gather(1, s[:, None]).mean()

    def encoder_loss(self, z, s, y, lam):
        if self.mode != "reversal":
            return super().encoder_loss(z, s, y, lam)
        # One joint step: the adversary descends its cross-entropy while the
        # reversed gradient makes the encoder ascend it, scaled by lam. The
        # returned term therefore holds +CE (the adversary's loss) while the
        # recorded penalty is -CE, as in the other modes.
        logits = self.adversary(grad_reverse(z, lam))
        cross_entropy = F.cross_entropy(logits, s)
        loss = cross_entropy + self.adversary_gradient_penalty(z, s)
        accuracy = (logits.argmax(dim=1) == s).float().mean()
        return loss, {"penalty": -cross_entropy.detach(), "adversary_acc": accuracy.detach()}
