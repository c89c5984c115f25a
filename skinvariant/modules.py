"""Torch building blocks: MLPs, the encoder/head network and gradient reversal."""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BatchStandardize",
    "batch_standardized",
    "FrozenEncoder",
    "InvariantNetwork",
    "VariationalNetwork",
    "grad_reverse",
    "make_mlp",
]


def make_mlp(n_inputs, hidden_layer_sizes, n_outputs):
    """Return a ReLU multilayer perceptron with a linear output layer.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty gives a single linear layer.
    n_outputs : int
        Width of the output.

    Returns
    -------
    torch.nn.Sequential
    """
    layers = []
    width = n_inputs
    for hidden in hidden_layer_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def batch_standardized(x, eps=1e-10):
    """Each column of ``x`` minus its batch mean, divided by ``sqrt(var + eps)``.

    Rescaling ``x`` leaves the result unchanged (while its spread is well
    above ``sqrt(eps)``), so a penalty computed on it cannot be lowered by
    shrinking the representation. ``eps`` sits inside the square root: the
    root's gradient is infinite at zero spread (a batch of one row, a constant
    column), which would make every gradient NaN.
    """
    centered = x - x.mean(dim=0, keepdim=True)
    return centered * torch.rsqrt(centered.pow(2).mean(dim=0, keepdim=True) + eps)


class BatchStandardize(nn.Module):
    """Standardise each column with the statistics of the batch itself.

    Put in front of an adversary, it makes the adversary blind to the scale of
    the representation, so an encoder cannot hide the attribute by shrinking
    z (which a fresh probe would still read). Unlike ``BatchNorm1d`` it has no
    running statistics and accepts a batch of one row (which maps to zeros).

    Parameters
    ----------
    eps : float, default=1e-10
        Added to the variance: the output is unchanged by rescaling ``x``
        as long as its spread is well above ``sqrt(eps)``.
    """

    def __init__(self, eps=1e-10):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        """Return :func:`batch_standardized` ``x``."""
        return batch_standardized(x, self.eps)


class FrozenEncoder(nn.Module):
    """A pretrained module used as a fixed feature extractor.

    Its parameters get no gradient and it stays in evaluation mode even while
    the network around it trains, so dropout is off and batch-norm statistics
    do not move: its weights and buffers are exactly those it came with.

    Parameters
    ----------
    module : torch.nn.Module
        The pretrained module; its parameters are set to ``requires_grad=False``.
    """

    def __init__(self, module):
        super().__init__()
        self.module = module.requires_grad_(False).eval()

    def train(self, mode=True):
        """Set this wrapper's mode; the wrapped module stays in evaluation mode."""
        super().train(mode)
        self.module.eval()
        return self

    def forward(self, x):
        """Return the wrapped module's output, computed without a graph."""
        with torch.no_grad():
            return self.module(x)


class InvariantNetwork(nn.Module):
    """An encoder giving the representation z and a linear head reading y from z.

    It speaks the engine's network contract: ``outputs(x)`` returns a dict
    with at least ``"z"`` and ``"logits"``, and ``represent(x)`` the
    representation that ``transform`` returns.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps a batch of inputs ``(n, n_features)`` to ``(n, z_dim)``.
    z_dim : int
        Width of the representation.
    n_classes : int
        Number of target classes; for a regressor, the number of target
        columns (the "logits" are then the standardised predictions).
    """

    def __init__(self, encoder, z_dim, n_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(z_dim, n_classes)

    def outputs(self, X):
        """Return ``{"z": representation, "logits": class logits}`` of ``X``."""
        z = self.encoder(X)
        return {"z": z, "logits": self.head(z)}

    def represent(self, X):
        """Return the representation ``z`` of ``X``."""
        return self.encoder(X)

    def forward(self, X):
        """Return the class logits of ``X``."""
        return self.outputs(X)["logits"]


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


class _GradientReversal(torch.autograd.Function):
    """Identity in the forward pass; multiplies the gradient by ``-scale``."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.scale * grad_output, None


def grad_reverse(x, scale=1.0):
    """Gradient reversal layer of Ganin et al. (2016).

    Parameters
    ----------
    x : torch.Tensor
        Input, returned unchanged.
    scale : float, default=1.0
        The gradient flowing back through the layer is multiplied by ``-scale``.
    """
    return _GradientReversal.apply(x, float(scale))
