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
from ._base import LAM, Network, Objective, Term, task_loss

MODES = ("alternating", "reversal", "nonsaturating")


class AdversaryEnsemble(nn.Module):
    """``n_adversaries`` group classifiers q_k(s|z), each on batch-standardised z.

    ``forward(z)`` stacks their logits, shape (n_adversaries, n, n_groups); z
    may be (n, z_dim), read by every head, or (n_adversaries, n, z_dim), one
    slice per head (so that each head's input gradient stays its own).
    The standardisation makes every head blind to the scale of z, so an
    encoder cannot hide the attribute by shrinking z.
    """

    def __init__(self, z_dim, hidden_layer_sizes, n_groups, n_adversaries=1):
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(BatchStandardize(), *make_mlp(z_dim, hidden_layer_sizes, n_groups))
            for _ in range(n_adversaries))

    def forward(self, z):
        inputs = z if z.dim() == 3 else z.expand(len(self.heads), *z.shape)
        return torch.stack([head(rows) for head, rows in zip(self.heads, inputs)])


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
    n_adversaries : int, default=1
        Independently initialised adversaries, each trained on its own
        cross-entropy; the encoder's penalty is that of the one that reads
        the attribute best on the batch.
    """

    def __init__(self, z_dim, n_groups, *, hidden_layer_sizes=(100,),
                 n_adversary_steps=1, gradient_penalty=0.0, n_adversaries=1):
        super().__init__()
        self.adversary = AdversaryEnsemble(z_dim, hidden_layer_sizes, n_groups, n_adversaries)
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty

    def networks(self):
        return {"adversary": Network(self.adversary, "inner", self.n_adversary_steps)}

    def terms(self):
        return [Term("task_loss", task_loss),
                Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def network_loss(self, name, step):
        return self.adversary_loss(step)

    def adversary_loss(self, step):
        """The adversary's cross-entropy on ``s`` plus its gradient penalty."""
        z = step.outputs["z"]
        return self.recorded_cross_entropy(z, step) + self.adversary_gradient_penalty(z, step.s)

    def recorded_cross_entropy(self, z, step):
        """The adversaries' mean cross-entropy on ``step.s``; records the best one's accuracy."""
        logits = self.adversary(z)  # (adversaries, n, groups)
        hits = (logits.argmax(dim=2) == step.s).float().mean(dim=1)
        step.record("adversary_acc", hits.max())
        return F.cross_entropy(logits.flatten(0, 1), step.s.repeat(len(logits)))

    def adversary_gradient_penalty(self, z, s):
        """Return ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the detached ``z``, per adversary."""
        if not self.gradient_penalty:
            return 0.0
        n_adversaries = len(self.adversary.heads)
        z = z.detach().expand(n_adversaries, *z.shape).clone().requires_grad_(True)
        log_q_true = log_likelihood_of(self.adversary(z), s).sum()
        (grad,) = torch.autograd.grad(log_q_true, z, create_graph=True)
        return 0.5 * self.gradient_penalty * grad.pow(2).sum(dim=2).mean()

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
        return [Term("task_loss", task_loss),
                Term("adversary_loss", self.reversed_adversary_loss, needs_sensitive=True)]

    def reversed_adversary_loss(self, step):
        """The adversary's loss on z behind a gradient-reversal layer of scale lam."""
        z = step.outputs["z"]
        cross_entropy = self.recorded_cross_entropy(grad_reverse(z, step.lam), step)
        step.record("penalty", -cross_entropy)
        return cross_entropy + self.adversary_gradient_penalty(z, step.s)

    def penalty(self, step):
        logits = self.adversary(step.outputs["z"])
        if self.mode == "nonsaturating":
            log_q = F.log_softmax(logits, dim=2)
            other_groups = 1.0 - F.one_hot(step.s, log_q.shape[2]).to(log_q.dtype)
            per_adversary = -(log_q * other_groups).sum(2).div(other_groups.sum(1)).mean(dim=1)
        else:
            # maximising an adversary's cross-entropy = minimising log q(s|z)
            per_adversary = log_likelihood_of(logits, step.s).mean(dim=1)
        return per_adversary.max()  # against the adversary that reads s best


def log_likelihood_of(logits, s):
    """``log q_k(s_i | z_i)`` for stacked logits (adversaries, n, groups); shape (adversaries, n)."""
    log_q = F.log_softmax(logits, dim=2)
    return log_q.gather(2, s.expand(len(log_q), -1)[..., None]).squeeze(2)
