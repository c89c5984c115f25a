"""Mutual-information penalties: MINE (Belghazi et al. 2018) as used by
Ragonesi et al. (CVPR-W 2021), and the CLUB upper bound (Cheng et al. 2020).

``s`` reaches these objectives as group codes (one-hot encoded here) or as
standardised float columns for a continuous attribute.
"""

import math

import torch
import torch.nn.functional as F

from ..modules import make_mlp
from ._base import LAM, Network, Objective, Term

ESTIMATORS = ("mine", "club")

# Mutual information is >= 0, and T = 0 already scores 0: an estimate this far
# below zero means the estimator network has blown up, not that it is unsure.
DIVERGED_ESTIMATE = -10.0


class MutualInformationObjective(Objective):
    """Penalise an estimate of I(z; s).

    Parameters
    ----------
    z_dim : int
        Width of the representation.
    s_dim : int
        Number of groups of a categorical attribute (``s`` holds group codes),
        or of columns of a continuous one (``s`` holds floats).
    categorical : bool, default=True
        Whether ``s`` holds group codes, one-hot encoded before use.
    estimator : {"mine", "club"}, default="mine"
        ``"mine"``: the Donsker-Varadhan lower bound
        ``E_joint[T(z, s)] - log E_marginal[exp T(z, s~)]`` with a statistics
        network T trained to maximise it, ``s~`` shuffled within the batch.
        ``"club"``: the contrastive log-ratio upper bound with a classifier
        q(s|z) trained by likelihood (categorical ``s`` only).
    hidden_layer_sizes : tuple of int, default=(100, 100)
        Hidden layers of T (or of q for CLUB).
    n_estimator_steps : int, default=20
        Steps of the estimator network per encoder step (K).
    ema_rate : float, default=0.01
        Rate of the moving average of ``E_marginal[exp T]`` whose inverse
        weights the MINE gradient (the bias correction of Belghazi et al.).
    clip_gradient : bool, default=True
        Adaptive clipping of the penalty's gradient (see :class:`Term`).
    """

    def __init__(
        self,
        z_dim,
        s_dim,
        *,
        categorical=True,
        estimator="mine",
        hidden_layer_sizes=(100, 100),
        n_estimator_steps=20,
        ema_rate=0.01,
        clip_gradient=True,
    ):
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {ESTIMATORS}; got {estimator!r}.")
        super().__init__()
        self.s_dim = s_dim
        self.categorical = categorical
        self.estimator = estimator
        self.n_estimator_steps = n_estimator_steps
        self.ema_rate = ema_rate
        self.clip_gradient = clip_gradient
        n_inputs, n_outputs = (z_dim + s_dim, 1) if estimator == "mine" else (z_dim, s_dim)
        self.network = make_mlp(n_inputs, hidden_layer_sizes, n_outputs)
        # log of the moving average of E_marginal[exp T]; NaN until the first batch
        self.register_buffer("log_mean_exp_average", torch.tensor(float("nan")))

    def networks(self):
        return {"mi_network": Network(self.network, "inner", self.n_estimator_steps)}

    def terms(self):
        return [
            Term(
                "penalty",
                self.penalty,
                weight=LAM,
                needs_sensitive=True,
                clip_gradient=self.clip_gradient,
            )
        ]

    def features(self, s):
        """``s`` as float features: one-hot group indicators, or the continuous columns."""
        if self.categorical:
            return F.one_hot(s, self.s_dim).float()
        return s

    def network_loss(self, name, step):
        z, s = step.outputs["z"], self.features(step.s)
        if self.estimator == "club":
            step.record("mi_estimate", self._club(z, s))
            return -(F.log_softmax(self.network(z), dim=1) * s).sum(1).mean()
        joint, log_mean_exp = self._donsker_varadhan_terms(z, s)
        self._update_average(log_mean_exp.detach())
        # gradient of log E[exp T] estimated with the moving average in the denominator
        corrected = torch.exp(log_mean_exp - self.log_mean_exp_average)
        step.record("mi_estimate", joint - log_mean_exp)
        return -(joint - corrected)

    def diverged(self, epoch_means):
        estimate = epoch_means.get("mi_estimate", 0.0)
        if estimate < DIVERGED_ESTIMATE:
            return {
                "mi_estimate": f"fell to {estimate:.4g} nats (an estimate of I(z; s) "
                f"below {DIVERGED_ESTIMATE:g} means the estimator blew up)"
            }
        return {}

    def penalty(self, step):
        """The estimate of I(z; s) on the batch, differentiable in z."""
        z, s = step.outputs["z"], self.features(step.s)
        if self.estimator == "club":
            return self._club(z, s)
        joint, log_mean_exp = self._donsker_varadhan_terms(z, s)
        return joint - log_mean_exp

    def _donsker_varadhan_terms(self, z, s):
        """``E_joint[T]`` and ``log E_marginal[exp T]`` on one batch."""
        shuffled = s[torch.randperm(len(s), device=s.device)]
        joint = self.network(torch.cat([z, s], dim=1)).mean()
        marginal = self.network(torch.cat([z, shuffled], dim=1)).squeeze(1)
        return joint, torch.logsumexp(marginal, dim=0) - math.log(len(marginal))

    def _update_average(self, log_mean_exp):
        if torch.isnan(self.log_mean_exp_average):
            self.log_mean_exp_average.copy_(log_mean_exp)
            return
        self.log_mean_exp_average.copy_(
            torch.logaddexp(
                math.log1p(-self.ema_rate) + self.log_mean_exp_average,
                math.log(self.ema_rate) + log_mean_exp,
            )
        )

    def _club(self, z, s):
        """CLUB: ``E_joint[log q(s|z)] - E_z E_s'[log q(s'|z)]``, s' from the batch's groups."""
        log_q = F.log_softmax(self.network(z), dim=1)
        group_frequencies = s.mean(dim=0)
        return ((log_q * s).sum(1) - log_q @ group_frequencies).mean()
