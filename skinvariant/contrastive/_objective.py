"""Reconstruction for disentanglement, supervised contrast for invariance (an ICLR 2022 submission of that title).

A VAE encodes x into z = [z_p, z_n] (predictive and nuisance parts); a decoder
reconstructs x from z; a classifier reads z_p. Beside the ELBO:

* a supervised contrastive loss (Khosla et al. 2020) clusters the normalised
  mean of z_p by class;
* z_p is made independent of z_n: decoding [z̄_p, z_n], with z̄_p drawn from
  the posterior averaged over the sample's class in the batch, must give the
  same reconstruction (section 3.3);
* with known nuisance factors (``sensitive``, one column per factor), each
  sample is paired with one of the batch that differs in the fewest factors,
  k; every z_n dimension but the k whose posteriors differ most takes the
  partner's value, and the decoding must still reconstruct x (eq. 5-6, as in
  Ada-GVAE), with an optional warm-up by amount and by difficulty.
"""

import math

import torch
import torch.nn.functional as F

from ..core import LAM, Objective, Term

DIVERGENCES = ("kl", "jsd")


def supervised_contrastive_loss(features, labels, temperature):
    """Supervised contrastive loss (Khosla et al. 2020, L_out) on L2-normalised ``features``.

    Anchors without a positive (another sample of their class) in the batch
    are skipped; a batch without any positive gives a zero that keeps the graph.
    """
    normalized = F.normalize(features, dim=1)
    self_pairs = torch.eye(len(features), dtype=torch.bool, device=features.device)
    similarity = (normalized @ normalized.T / temperature).masked_fill(self_pairs, -math.inf)
    log_probability = similarity - torch.logsumexp(similarity, dim=1, keepdim=True)
    positives = (labels[:, None] == labels[None, :]) & ~self_pairs
    n_positives = positives.sum(dim=1)
    anchors = n_positives > 0
    if not anchors.any():
        return features.sum() * 0.0
    positive_log_probability = log_probability.masked_fill(~positives, 0.0).sum(dim=1)
    return -(positive_log_probability[anchors] / n_positives[anchors]).mean()


def gaussian_kl(mean, logvar, other_mean, other_logvar):
    """KL(N(mean, exp logvar) || N(other_mean, exp other_logvar)), per dimension."""
    return 0.5 * (
        other_logvar
        - logvar
        + (logvar.exp() + (mean - other_mean).pow(2)) / other_logvar.exp()
        - 1.0
    )


def posterior_divergence(mean, logvar, other_mean, other_logvar, kind):
    """Per-dimension divergence between two factorised Gaussian posteriors.

    ``"kl"``: KL from the first to the second. ``"jsd"``: the mean KL of each
    to their average Gaussian (mean and variance averaged, as in Ada-GVAE).
    """
    if kind == "kl":
        return gaussian_kl(mean, logvar, other_mean, other_logvar)
    middle_mean = 0.5 * (mean + other_mean)
    middle_logvar = torch.log(0.5 * (logvar.exp() + other_logvar.exp()))
    return 0.5 * (
        gaussian_kl(mean, logvar, middle_mean, middle_logvar)
        + gaussian_kl(other_mean, other_logvar, middle_mean, middle_logvar)
    )


def choose_partners(factors, max_different, generator=None):
    """For each row, a random other row differing in as few factors as the batch allows.

    Only rows differing in 1 to ``max_different`` factors qualify. Returns
    ``(partner, n_different)``: ``n_different`` is the number of factors in
    which the row and its partner differ, 0 for a row without a partner.
    """
    differences = (factors[:, None, :] != factors[None, :, :]).sum(dim=2)
    allowed = (differences > 0) & (differences <= max_different)
    fewest = differences.masked_fill(~allowed, factors.shape[1] + 1).min(dim=1).values
    candidates = allowed & (differences == fewest[:, None])
    scores = torch.rand(candidates.shape, generator=generator, device=factors.device)
    partner = scores.masked_fill(~candidates, -1.0).argmax(dim=1)
    return partner, torch.where(candidates.any(dim=1), fewest, 0)


class ContrastiveInvariantObjective(Objective):
    """ELBO, supervised contrast on z_p, class-averaged z_p swap, and nuisance-pair swaps.

    The network's outputs must hold ``"mu"`` and ``"logvar"`` (of all of z),
    ``"z_sample"``, ``"x_hat"`` (the decoding of ``z_sample``) and a
    ``decode`` callable; the first ``n_components`` dimensions are z_p.

    Parameters
    ----------
    n_components : int
        Width of z_p.
    n_nuisance_components : int
        Width of z_n.
    likelihood : {"gaussian", "bernoulli"}
        The decoder's likelihood: unit-variance Gaussian (standardised
        columns) or Bernoulli (inputs in [0, 1]).
    beta : float
        Weight of the supervised contrastive loss.
    gamma : float
        Weight of the class-averaged z_p reconstruction term.
    temperature : float
        Temperature of the contrastive loss.
    divergence : {"kl", "jsd"}
        Divergence between a pair's posteriors, per z_n dimension.
    pair_warmup : float
        Fraction of training over which the pair term warms up; 0 for none.
    """

    graph_capture_obstacle = (
        "its nuisance-pair swaps take the rows that found a partner, a number "
        "known only on the device, and its pairing ramp reads the progress on the host"
    )

    def __init__(
        self,
        n_components,
        n_nuisance_components,
        *,
        likelihood="gaussian",
        beta=1.0,
        gamma=1.0,
        temperature=0.1,
        divergence="kl",
        pair_warmup=0.0,
    ):
        super().__init__()
        if divergence not in DIVERGENCES:
            raise ValueError(f"divergence must be one of {DIVERGENCES}; got {divergence!r}.")
        self.n_components = n_components
        self.n_nuisance_components = n_nuisance_components
        self.likelihood = likelihood
        self.beta = beta
        self.gamma = gamma
        self.temperature = temperature
        self.divergence = divergence
        self.pair_warmup = pair_warmup

    stratify_batches = True  # every class at least twice per batch, for the contrast

    def terms(self):
        return [
            Term("elbo_loss", self.elbo_loss),
            Term("contrast", self.contrast, weight=self.beta),
            Term("class_swap", self.class_swap, weight=self.gamma),
            Term("pair_swap", self.pair_swap, weight=LAM, needs_sensitive=True),
        ]

    def reconstruction_loss(self, x_hat, x):
        """Negative log-likelihood of ``x`` under the decoding ``x_hat``, summed over columns."""
        if self.likelihood == "bernoulli":
            return F.binary_cross_entropy_with_logits(x_hat, x, reduction="none").sum(dim=1)
        return 0.5 * (x_hat - x).pow(2).sum(dim=1)

    def decoding_distance(self, x_hat, other_x_hat):
        """Squared distance between the means of two decodings, summed over columns.

        A Bernoulli decoding is compared as probabilities, not logits: two
        logits far apart in the saturated range decode the same image.
        """
        if self.likelihood == "bernoulli":
            x_hat, other_x_hat = torch.sigmoid(x_hat), torch.sigmoid(other_x_hat)
        return (x_hat - other_x_hat).pow(2).sum(dim=1).mean()

    def elbo_loss(self, step):
        """Minus the ELBO: reconstruction NLL plus KL(q(z|x) || N(0, I)), per sample."""
        outputs = step.outputs
        mu, logvar = outputs["mu"], outputs["logvar"]
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)
        return (self.reconstruction_loss(outputs["x_hat"], step.x) + kl).mean()

    def contrast(self, step):
        """The supervised contrastive loss on the mean of z_p."""
        return supervised_contrastive_loss(
            step.outputs["mu"][:, : self.n_components], step.y, self.temperature
        )

    def class_swap(self, step):
        """Distance between decoding [z̄_p, z_n] and decoding [z_p, z_n] (section 3.3).

        z̄_p is drawn from N(class mean of mu_p, class mean of var_p) over the
        batch's samples of the sample's class.
        """
        outputs, p = step.outputs, self.n_components
        members = F.one_hot(step.y).to(outputs["mu"].dtype)
        counts = members.sum(dim=0).clamp(min=1)[:, None]
        class_mean = (members.T @ outputs["mu"][:, :p]) / counts
        class_var = (members.T @ outputs["logvar"][:, :p].exp()) / counts
        mean, var = class_mean[step.y], class_var[step.y]
        z_bar = mean + var.sqrt() * torch.randn_like(mean)
        swapped = outputs["decode"](torch.cat([z_bar, outputs["z_sample"][:, p:]], dim=1))
        return self.decoding_distance(swapped, outputs["x_hat"])

    def pair_swap(self, step):
        """Reconstruction loss of x decoded with a partner's z_n swapped in (eq. 5-6).

        Each row's partner differs in the fewest known factors the batch
        offers, k; every z_n dimension but the k whose posteriors differ most
        takes the partner's sample, and the decoding must reconstruct x.
        The target is x, not the row's own decoding: against its own
        decoding the term is met by a decoder that ignores z_n, and z_n lost
        the factors (on ``make_mixed_factors``). During the warm-up
        (``pair_warmup``, a fraction of training) the most factors a pair may
        differ in grows from 1 (by difficulty), and the number of swapped
        dimensions from 1 to ``n_nuisance_components - k`` (by amount).
        """
        outputs, p = step.outputs, self.n_components
        factors = step.s.reshape(len(step.s), -1)
        ramp = min(1.0, step.progress / self.pair_warmup) if self.pair_warmup else 1.0
        max_different = min(factors.shape[1], 1 + int(ramp * factors.shape[1]))
        partner, n_different = choose_partners(factors, max_different)
        n_swappable = self.n_nuisance_components - n_different
        paired = (n_different > 0) & (n_swappable > 0)
        step.record("paired_fraction", paired.float().mean())
        if not paired.any():
            return outputs["mu"].sum() * 0.0
        rows, partners = paired.nonzero().squeeze(1), partner[paired]
        n_swapped = 1 + (ramp * (n_swappable[rows] - 1)).long()
        mu_n, logvar_n = outputs["mu"][:, p:], outputs["logvar"][:, p:]
        divergence = posterior_divergence(
            mu_n[rows], logvar_n[rows], mu_n[partners], logvar_n[partners], self.divergence
        )
        # the n_swapped dimensions whose posteriors differ least are shared by the pair
        shared = divergence.argsort(dim=1).argsort(dim=1) < n_swapped[:, None]
        z = outputs["z_sample"]
        z_n = torch.where(shared, z[partners, p:], z[rows, p:])
        swapped = outputs["decode"](torch.cat([z[rows, :p], z_n], dim=1))
        return self.reconstruction_loss(swapped, step.x[rows]).mean()
