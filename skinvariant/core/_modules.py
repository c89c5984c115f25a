"""Torch building blocks: MLPs, the encoder/head network and gradient reversal."""

import torch
from torch import nn

from ..kernels import batch_standardized

__all__ = [
    "BatchStandardize",
    "FrozenEncoder",
    "InvariantNetwork",
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
    scale : float or torch.Tensor, default=1.0
        The gradient flowing back through the layer is multiplied by
        ``-scale`` (a 0-dim tensor, e.g. ``lam`` in a step captured in a CUDA
        graph, is read on the device).
    """
    if isinstance(scale, torch.Tensor):
        scale = scale.detach()
    else:
        scale = float(scale)
    return _GradientReversal.apply(x, scale)
