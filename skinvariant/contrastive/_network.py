"""The contrastive VAE's network: an encoder to z = [z_p, z_n], a decoder and a classifier on z_p."""

import torch
import torch.nn.functional as F
from torch import nn

from ..core import make_mlp


class VariationalNetwork(nn.Module):
    """A VAE whose latent z = [z_p, z_n] is decoded back to x, and a classifier reading z_p.

    The engine's network contract: ``outputs(x)`` gives ``"mu"`` and
    ``"logvar"`` of q(z|x), ``"z_sample"`` (a reparameterised draw in
    training, the mean otherwise), ``"x_hat"`` (its decoding), ``"decode"``,
    ``"z"`` (the mean of z_p) and ``"logits"``; ``represent(x)`` the mean of z.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_classes : int
        Number of classes.
    n_components, n_nuisance_components : int
        Widths of z_p and z_n.
    hidden_layer_sizes : tuple of int
        Hidden layers of the encoder; the decoder mirrors them.
    classifier_apart : bool, default=True
        The classifier reads the L2-normalised mean of z_p, detached, so its cross-entropy trains the
        classifier only and the other terms train encoder and decoder only.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        n_components,
        n_nuisance_components,
        hidden_layer_sizes,
        *,
        classifier_apart=True,
    ):
        super().__init__()
        n_latent = n_components + n_nuisance_components
        self.n_components = n_components
        self.classifier_apart = classifier_apart
        self.encoder = make_mlp(n_features, hidden_layer_sizes, 2 * n_latent)
        self.decoder = make_mlp(n_latent, tuple(reversed(hidden_layer_sizes)), n_features)
        self.classifier = nn.Linear(n_components, n_classes)
        # a linear classifier on fixed features is a convex problem: starting at
        # zero, its first steps already point each class at its features
        nn.init.zeros_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def posterior(self, X):
        """Return the mean and log-variance of q(z|X)."""
        mu, logvar = self.encoder(X).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def decode(self, z):
        """Return the decoder's output for ``z`` (means, or logits for a Bernoulli likelihood)."""
        return self.decoder(z)

    def inverse(self, z):
        """Map latent codes back to the input space: the decoder's output."""
        return self.decode(z)

    def outputs(self, X):
        """Return the posterior, a draw of z, its decoding and the class logits."""
        mu, logvar = self.posterior(X)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        mu_p = mu[:, : self.n_components]
        # the classifier reads the direction of z_p, which the contrastive loss
        # clusters, not its scale, which the KL term shrinks
        features = F.normalize(mu_p.detach() if self.classifier_apart else mu_p, dim=1)
        logits = self.classifier(features)
        return {
            "z": mu_p,
            "logits": logits,
            "mu": mu,
            "logvar": logvar,
            "z_sample": z,
            "x_hat": self.decode(z),
            "decode": self.decode,
        }

    def represent(self, X):
        """Return the posterior mean of all of z."""
        return self.posterior(X)[0]

    def forward(self, X):
        """Return the class logits of ``X``."""
        return self.outputs(X)["logits"]
