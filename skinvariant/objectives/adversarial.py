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
from ._base import LAM, Network, Objective, Term

MODES = ("alternating", "reversal", "nonsaturating")


class AdversaryObjective(Objective):
    """Base of the objectives that train a group classifier q(s|z), the ``"adversary"``.

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

    def __init__(
        self,
        z_dim,
        n_groups,
        *,
        hidden_layer_sizes=(100,),
        n_adversary_steps=1,
        gradient_penalty=0.0,
    ):
        super().__init__()
        # the adversary reads z standardised per batch, so shrinking z cannot fool it
        self.adversary = nn.Sequential(
            BatchStandardize(), *make_mlp(z_dim, hidden_layer_sizes, n_groups)
        )
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty

    def networks(self):
        return {"adversary": Network(self.adversary, "inner", self.n_adversary_steps)}

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def network_loss(self, name, step):
        return self.adversary_loss(step)

    def adversary_loss(self, step):
        """The adversary's cross-entropy on ``s`` plus its gradient penalty."""
        z = step.outputs["z"]
        return self.recorded_cross_entropy(z, step) + self.adversary_gradient_penalty(z, step.s)

    def recorded_cross_entropy(self, z, step):
        """The adversary's cross-entropy on ``step.s`` from ``z``; records its accuracy."""
        logits = self.adversary(z)
        step.record("adversary_acc", (logits.argmax(dim=1) == step.s).float().mean())
        return F.cross_entropy(logits, step.s)

    def adversary_gradient_penalty(self, z, s):
        """Return ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the detached ``z``."""
        if not self.gradient_penalty:
            return 0.0
        z = z.detach().requires_grad_(True)
        log_q_true = F.log_softmax(self.adversary(z), dim=1).gather(1, s[:, None]).sum()
        (grad,) = torch.autograd.grad(log_q_true, z, create_graph=True)
        return 0.5 * self.gradient_penalty * grad.pow(2).sum(dim=1).mean()

    def penalty(self, step):
        """The encoder's invariance penalty on ``step``."""
        raise NotImplementedError


class AdversarialObjective(AdversaryObjective):
    """Adversarial invariance: the encoder fights the adversary directly.

    Parameters
    ----------
    z_dim, n_groups
        See :class:`AdversaryObjective`.
    mode : {"alternating", "reversal", "nonsaturating"}, default="alternating"
        How the encoder is updated against the adversary. ``"reversal"``
        trains the adversary jointly with the encoder, through a
        gradient-reversal layer, instead of in inner steps.
    **adversary_options
        The adversary's options, those of :class:`AdversaryObjective`
        (``hidden_layer_sizes``, ``n_adversary_steps``, ``gradient_penalty``).
    """

    def __init__(self, z_dim, n_groups, *, mode="alternating", **adversary_options):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
        super().__init__(z_dim, n_groups, **adversary_options)
        self.mode = mode

    def networks(self):
        if self.mode == "reversal":
            return {"adversary": Network(self.adversary, "joint")}
        return super().networks()

    def terms(self):
        if self.mode != "reversal":
            return super().terms()
        # One joint step: the adversary descends its cross-entropy while the
        # reversed gradient makes the encoder ascend it, scaled by lam (so the
        # term's own weight is 1). The recorded penalty is -CE, as in the other modes.
        return [Term("adversary_loss", self.reversed_adversary_loss, needs_sensitive=True)]

    def reversed_adversary_loss(self, step):
        """The adversary's loss on z behind a gradient-reversal layer of scale lam."""
        z = step.outputs["z"]
        cross_entropy = self.recorded_cross_entropy(grad_reverse(z, step.lam), step)
        step.record("penalty", -cross_entropy)
        return cross_entropy + self.adversary_gradient_penalty(z, step.s)

    def penalty(self, step):
        log_q = F.log_softmax(self.adversary(step.outputs["z"]), dim=1)
        s = step.s
        if self.mode == "nonsaturating":
            other_groups = torch.ones_like(log_q).scatter_(1, s[:, None], 0.0)
            return -(log_q * other_groups).sum(1).div(other_groups.sum(1)).mean()
        # maximising the adversary's cross-entropy = minimising log q(s|z)
        return log_q.gather(1, s[:, None]).mean()
