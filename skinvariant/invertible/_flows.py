"""A bijective network: coupling blocks, ActNorm, permutations or learned linear maps, class whitening.

Written here rather than taken from a flow library: zuko has no ActNorm and
adds a method to torch's ``Transform`` class on import, and FrEIA's blocks do
not pickle (lambdas), which skorch needs. Each layer's ``forward`` returns
``(y, log|det J|)`` per row and ``inverse`` returns ``x``.
"""

import math

import torch
from sklearn.covariance import ledoit_wolf
from torch import nn

from ..core import make_mlp

# ClassConditionalAffine adds this share of a class's mean variance to each of
# its variances, so that whitening never stretches a direction more than
# 1 / sqrt(share) times the class's typical spread.
VARIANCE_FLOOR_SHARE = 0.05
TINY_VARIANCE = 1e-12  # for a class whose nuisance does not vary at all
# ActNorm never scales a dimension up by more than 1 / this at initialisation.
MIN_INITIAL_SPREAD = 1e-2


class ActNorm(nn.Module):
    """Per-dimension affine map ``y = (x + bias) * exp(log_scale)`` (Kingma and Dhariwal 2018).

    Initialised from the data: the first batch seen in training mode leaves
    it with zero mean and unit variance per dimension.

    Parameters
    ----------
    dim : int
        Width of the input.
    """

    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.register_buffer("initialized", torch.tensor(False))

    def forward(self, x):
        if self.training and not self.initialized and len(x) > 1:
            with torch.no_grad():
                self.bias.copy_(-x.mean(dim=0))
                self.log_scale.copy_(-torch.log(x.std(dim=0).clamp(min=MIN_INITIAL_SPREAD)))
                self.initialized.fill_(True)
        y = (x + self.bias) * torch.exp(self.log_scale)
        return y, self.log_scale.sum().expand(len(x))

    def inverse(self, y):
        return y * torch.exp(-self.log_scale) - self.bias


class AffineCoupling(nn.Module):
    """Coupling block: the second half moves by an affine map computed from the first.

    ``y2 = x2 * exp(c * tanh(s(x1) / c)) + t(x1)``, ``y1 = x1``; the soft clamp
    ``c`` bounds the log-scale. The last layer starts at zero, so the block
    starts as the identity.

    Parameters
    ----------
    dim : int
        Width of the input (at least 2).
    hidden_layer_sizes : tuple of int
        Hidden layers of the network computing ``s`` and ``t``.
    additive : bool, default=False
        ``y2 = x2 + t(x1)`` (volume preserving), as in NICE.
    clamp : float, default=2.0
        Bound of the log-scale.
    """

    def __init__(self, dim, hidden_layer_sizes, *, additive=False, clamp=2.0):
        super().__init__()
        self.split = dim // 2
        self.additive = additive
        self.clamp = clamp
        n_moved = dim - self.split
        self.net = make_mlp(self.split, hidden_layer_sizes, n_moved if additive else 2 * n_moved)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def _scale_and_shift(self, x1):
        out = self.net(x1)
        if self.additive:
            return torch.zeros_like(out), out
        raw_log_scale, shift = out.chunk(2, dim=1)
        return self.clamp * torch.tanh(raw_log_scale / self.clamp), shift

    def forward(self, x):
        x1, x2 = x[:, : self.split], x[:, self.split :]
        log_scale, shift = self._scale_and_shift(x1)
        y2 = x2 * torch.exp(log_scale) + shift
        return torch.cat([x1, y2], dim=1), log_scale.sum(dim=1)

    def inverse(self, y):
        y1, y2 = y[:, : self.split], y[:, self.split :]
        log_scale, shift = self._scale_and_shift(y1)
        return torch.cat([y1, (y2 - shift) * torch.exp(-log_scale)], dim=1)


class Permutation(nn.Module):
    """A fixed random permutation of the dimensions (log|det J| = 0).

    Parameters
    ----------
    dim : int
        Width of the input.
    generator : torch.Generator, default=None
        Source of the permutation.
    """

    def __init__(self, dim, generator=None):
        super().__init__()
        order = torch.randperm(dim, generator=generator)
        self.register_buffer("order", order)
        self.register_buffer("inverse_order", torch.argsort(order))

    def forward(self, x):
        return x[:, self.order], x.new_zeros(len(x))

    def inverse(self, y):
        return y[:, self.inverse_order]


class InvertibleLinear(nn.Module):
    """A learned invertible linear map ``y = x W^T``, LU-parametrised (Kingma and Dhariwal 2018).

    The fully connected counterpart of Glow's invertible 1x1 convolution:
    ``W = P L (U + diag(sign * exp(log_s)))`` with P a fixed permutation, L
    unit lower triangular and U strictly upper triangular, so that
    ``log|det W| = sum(log_s)`` and the inverse is two triangular solves.
    Starts as a random rotation. Unlike a fixed permutation it can mix all
    dimensions, e.g. turn a direction that spreads over many inputs into
    one output.

    Parameters
    ----------
    dim : int
        Width of the input.
    generator : torch.Generator, default=None
        Source of the initial rotation.
    """

    def __init__(self, dim, generator=None):
        super().__init__()
        rotation = torch.linalg.qr(torch.randn(dim, dim, generator=generator))[0]
        permutation, lower, upper = torch.linalg.lu(rotation)
        diagonal = torch.diagonal(upper)
        self.register_buffer("permutation", permutation)
        self.register_buffer("sign", torch.sign(diagonal))
        self.register_buffer("lower_mask", torch.tril(torch.ones(dim, dim), diagonal=-1))
        self.lower = nn.Parameter(lower * self.lower_mask)
        self.upper = nn.Parameter(torch.triu(upper, diagonal=1))
        self.log_s = nn.Parameter(torch.log(torch.abs(diagonal)))

    def _factors(self):
        eye = torch.eye(len(self.log_s), dtype=self.log_s.dtype, device=self.log_s.device)
        lower = self.lower * self.lower_mask + eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign * torch.exp(self.log_s))
        return lower, upper

    def forward(self, x):
        lower, upper = self._factors()
        weight = self.permutation @ lower @ upper
        return x @ weight.T, self.log_s.sum().expand(len(x))

    def inverse(self, y):
        lower, upper = self._factors()
        # x^T = U^-1 L^-1 P^T y^T
        solved = torch.linalg.solve_triangular(
            lower, self.permutation.T @ y.T, upper=False, unitriangular=True
        )
        return torch.linalg.solve_triangular(upper, solved, upper=True).T


class ClassConditionalAffine(nn.Module):
    """An affine map of the nuisance block whose mean and whitening matrix depend on the class.

    ``z_n' = L(p) (z_n - m(p))`` with ``p = softmax(z_s)`` the class posterior
    read from the logit block, which passes unchanged, ``m(p) = sum_c p_c m_c``
    and ``L(p) = sum_c p_c L_c``, each ``L_c`` lower triangular with a
    positive diagonal. A block-triangular Jacobian gives
    ``log|det J| = log det L(p)``, and ``z_s`` fixes ``p`` for the inverse.
    Not trained by gradient: :meth:`fit` sets ``m_c`` and ``L_c`` to the
    class means and whitening (inverse Cholesky) matrices of the
    Ledoit-Wolf covariances, the maximum-likelihood Gaussian of each class
    (shrunk), so that every class's nuisance leaves with zero mean and about
    unit covariance. Each variance is raised by 5 % of the class's mean
    variance first: whitening a nearly constant direction (one-hot columns)
    would stretch it so far that the likelihood swamps the cross-entropy.
    Starts as the identity.

    Parameters
    ----------
    dim : int
        Width of the input.
    n_classes : int
        Width of the logit block (the first ``n_classes`` dimensions).
    """

    def __init__(self, dim, n_classes):
        super().__init__()
        n_nuisance = dim - n_classes
        self.n_classes = n_classes
        self.register_buffer("means", torch.zeros(n_classes, n_nuisance))
        self.register_buffer("whitening", torch.eye(n_nuisance).repeat(n_classes, 1, 1))

    @torch.no_grad()
    def fit(self, nuisance, labels):
        """Set each class's mean and whitening matrix from the rows of ``nuisance`` of that class.

        A class with fewer than 2 rows gets the mean and covariance of all rows.
        """
        nuisance = nuisance.detach().double().cpu()
        labels = labels.cpu()
        for code in range(self.n_classes):
            rows = nuisance[labels == code]
            if len(rows) < 2:
                rows = nuisance
            covariance = torch.as_tensor(ledoit_wolf(rows.numpy())[0])
            floor = VARIANCE_FLOOR_SHARE * torch.diagonal(covariance).mean() + TINY_VARIANCE
            covariance += floor * torch.eye(len(covariance), dtype=covariance.dtype)
            cholesky = torch.linalg.cholesky(covariance)
            whitening = torch.linalg.solve_triangular(
                cholesky, torch.eye(len(cholesky), dtype=cholesky.dtype), upper=False
            )
            self.means[code] = rows.mean(dim=0).to(self.means)
            self.whitening[code] = whitening.to(self.whitening)

    def _posterior_map(self, logits):
        """Return the class posterior, the mean ``m(p)`` and ``log diag L(p)`` of each row."""
        log_posterior = torch.log_softmax(logits, dim=1)
        posterior = torch.exp(log_posterior)
        log_diagonals = torch.log(torch.diagonal(self.whitening, dim1=1, dim2=2))
        return (
            posterior,
            posterior @ self.means,
            torch.logsumexp(log_posterior.unsqueeze(2) + log_diagonals, dim=1),
        )

    def forward(self, x):
        logits, nuisance = x[:, : self.n_classes], x[:, self.n_classes :]
        posterior, mean, log_diagonal = self._posterior_map(logits)
        # sum_c p_c L_c (z_n - m), without a matrix per row
        per_class = torch.einsum("cij,nj->nci", self.whitening, nuisance - mean)
        moved = torch.einsum("nc,nci->ni", posterior, per_class)
        return torch.cat([logits, moved], dim=1), log_diagonal.sum(dim=1)

    def inverse(self, y):
        logits, moved = y[:, : self.n_classes], y[:, self.n_classes :]
        posterior, mean, _ = self._posterior_map(logits)
        lower = torch.einsum("nc,cij->nij", posterior, self.whitening)
        nuisance = torch.linalg.solve_triangular(lower, moved.unsqueeze(2), upper=False).squeeze(2)
        return torch.cat([logits, nuisance + mean], dim=1)


class InvertibleFlow(nn.Module):
    """``n_blocks`` of (ActNorm, coupling, permutation): a bijection of R^dim.

    Parameters
    ----------
    dim : int
        Width of the input and of the output (at least 2).
    n_blocks : int, default=4
        Number of blocks.
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of each coupling network.
    coupling : {"affine", "additive"}, default="affine"
        Kind of coupling block.
    mixing : {"permutation", "linear"}, default="permutation"
        What follows each coupling: a fixed random permutation, or a learned
        :class:`InvertibleLinear` map.
    """

    def __init__(
        self, dim, n_blocks=4, hidden_layer_sizes=(64,), coupling="affine", mixing="permutation"
    ):
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling flow needs at least 2 dimensions; got {dim}.")
        if coupling not in ("affine", "additive"):
            raise ValueError(f"coupling must be 'affine' or 'additive'; got {coupling!r}.")
        if mixing not in ("permutation", "linear"):
            raise ValueError(f"mixing must be 'permutation' or 'linear'; got {mixing!r}.")
        layers = []
        for _ in range(n_blocks):
            layers += [
                ActNorm(dim),
                AffineCoupling(dim, hidden_layer_sizes, additive=coupling == "additive"),
                Permutation(dim) if mixing == "permutation" else InvertibleLinear(dim),
            ]
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        """Return ``(z, log|det dz/dx|)``, the second of shape ``(n,)``."""
        logdet = x.new_zeros(len(x))
        for layer in self.layers:
            x, layer_logdet = layer(x)
            logdet = logdet + layer_logdet
        return x, logdet

    def inverse(self, z):
        """Return the ``x`` whose image is ``z``."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


# Spread of the noise that fills padding dimensions in training.
PADDING_NOISE = 0.1


class InvertibleNetwork(nn.Module):
    """A flow whose first ``n_classes`` outputs are the logits, the rest the nuisance.

    The engine's network contract: ``outputs(x)`` gives ``"z"`` and
    ``"logits"`` (both the logit block z_s), ``"nuisance"`` (z_n), ``"full"``
    (all of z), ``"logdet"`` and ``"nuisance_log_prior"`` (log-density of z_n
    under a factorised Gaussian with learned mean and scale);
    ``represent(x)`` gives the full z.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_classes : int
        Number of classes.
    n_padding : int
        Dimensions appended to the input, noise in training and zeros
        otherwise, so that the nuisance block is not empty.
    dequantization_widths : torch.Tensor of shape (n_features,)
        Width of the uniform noise added to each column in training (0 for
        continuous columns): a discrete column would give a degenerate
        likelihood.
    n_blocks, hidden_layer_sizes, coupling, mixing
        See :class:`InvertibleFlow`.
    class_conditional : bool, default=False
        End the flow with a :class:`ClassConditionalAffine` map of z_n.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        n_padding,
        dequantization_widths,
        n_blocks=4,
        hidden_layer_sizes=(64,),
        coupling="affine",
        mixing="permutation",
        class_conditional=False,
    ):
        super().__init__()
        dim = n_features + n_padding
        self.n_classes = n_classes
        self.n_padding = n_padding
        self.flow = InvertibleFlow(dim, n_blocks, hidden_layer_sizes, coupling, mixing)
        self.fits_closed_form = class_conditional  # the engine's cue to call fit_closed_form
        if class_conditional:
            self.flow.layers.append(ClassConditionalAffine(dim, n_classes))
        self.register_buffer(
            "dequantization_widths",
            torch.as_tensor(dequantization_widths, dtype=torch.get_default_dtype()),
        )
        self.prior_mean = nn.Parameter(torch.zeros(dim - n_classes))
        self.prior_log_scale = nn.Parameter(torch.zeros(dim - n_classes))

    def _prepare(self, x):
        """Dequantise and pad ``x`` (with noise in training, zeros otherwise)."""
        if self.training:  # centred, so that prediction at x sits mid-interval
            x = x + (torch.rand_like(x) - 0.5) * self.dequantization_widths
        padding = x.new_zeros(len(x), self.n_padding)
        if self.training:
            padding = PADDING_NOISE * torch.randn_like(padding)
        return torch.cat([x, padding], dim=1)

    def outputs(self, x):
        """Return the blocks of ``z``, ``log|det J|`` and the nuisance block's log-prior."""
        z, logdet = self.flow(self._prepare(x))
        logits, nuisance = z[:, : self.n_classes], z[:, self.n_classes :]
        return {
            "z": logits,
            "logits": logits,
            "nuisance": nuisance,
            "full": z,
            "logdet": logdet,
            "nuisance_log_prior": self.log_prior(nuisance),
        }

    def log_prior(self, nuisance):
        """Log-density of each row of ``nuisance`` under the learned factorised Gaussian."""
        standardized = (nuisance - self.prior_mean) * torch.exp(-self.prior_log_scale)
        return (
            -0.5 * standardized.pow(2) - self.prior_log_scale - 0.5 * math.log(2 * math.pi)
        ).sum(dim=1)

    def closed_form_inputs(self, x):
        """Return the nuisance block as it enters the class-conditional block."""
        h = self._prepare(x)
        for layer in self.flow.layers[:-1]:
            h = layer(h)[0]
        return h[:, self.n_classes :]

    @torch.no_grad()
    def fit_closed_form(self, nuisance, y):
        """Fit the class-conditional block to ``nuisance`` (from ``closed_form_inputs``) and ``y``.

        Its output then has zero mean and unit covariance in each class, the
        prior's maximum-likelihood fit, to which the prior is reset.
        """
        self.flow.layers[-1].fit(nuisance, y)
        self.prior_mean.zero_()
        self.prior_log_scale.zero_()

    def represent(self, x):
        """Return the full ``z`` of ``x``."""
        return self.flow(self._prepare(x))[0]

    def inverse(self, z):
        """Return the ``x`` whose full representation is ``z`` (padding dropped)."""
        x = self.flow.inverse(z)
        return x[:, : x.shape[1] - self.n_padding]

    def forward(self, x):
        """Return the logits of ``x``."""
        return self.outputs(x)["logits"]
