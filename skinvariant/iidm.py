"""Invariance induction by discriminator matching (IIDM; Iwasawa, Akuzawa and
Matsuo, IJCAI 2020).

The adversary q(s|z) is trained as in adversarial invariance. The encoder is
not asked to fool it; instead the adversary's output on a sample of group j is
pushed towards the average output on each other group (its centroid), which
minimises the divergence between the groups' representations.

This module holds the objective, the parameters the classifier and the
regressor share, and the two estimators.
"""

from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .adversarial import (
    ADVERSARY_CONSTRAINTS,
    ADVERSARY_PARAMETERS_DOC,
    AdversaryObjective,
    adversary_options,
)
from .core import (
    InvariantClassifierBase,
    InvariantEstimatorBase,
    InvariantRegressorBase,
    fill_doc,
    store_parameters,
)

__all__ = ["DiscriminatorMatchingObjective", "IIDMClassifier", "IIDMRegressor"]

# rows per chunk when the centroids start from the whole training split: at
# most this many rows' adversary activations are held at once
INITIALIZATION_ROWS = 65536


class DiscriminatorMatchingObjective(AdversaryObjective):
    """Discriminator matching with moving centroids.

    Parameters
    ----------
    z_dim, n_groups
        See :class:`~skinvariant.adversarial.AdversaryObjective`.
    n_classes : int
        Number of target classes (used by semantic alignment).
    decay : float, default=0.7
        Decay gamma of the centroids' moving average:
        ``c <- gamma * c + (1 - gamma) * batch mean``.
    semantic_alignment : bool, default=False
        IIDM+: keep one centroid per (class, group) cell and match each sample
        only to the cells of its own class.
    **adversary_options
        The adversary's options, those of
        :class:`~skinvariant.adversarial.AdversaryObjective`.
    """

    def __init__(
        self,
        z_dim,
        n_groups,
        n_classes,
        *,
        decay=0.7,
        semantic_alignment=False,
        **adversary_options,
    ):
        super().__init__(z_dim, n_groups, **adversary_options)
        self.n_groups = n_groups
        self.decay = decay
        self.semantic_alignment = semantic_alignment
        n_rows = n_classes if semantic_alignment else 1
        # centroids[row, j]: moving average of the adversary's logits on group j
        # (row = class under semantic alignment); seen marks cells with data.
        self.register_buffer("centroids", torch.zeros(n_rows, n_groups, n_groups))
        self.register_buffer("seen", torch.zeros(n_rows, n_groups, dtype=torch.bool))

    def _cell_sums(self, z, s, y):
        """Summed adversary logits of each cell over these rows, and each cell's row count."""
        rows = y if self.semantic_alignment else torch.zeros_like(s)
        cells = rows * self.n_groups + s
        logits = self.adversary(z)
        # a one-hot product rather than index_add_, which is not deterministic on CUDA
        membership = F.one_hot(cells, self.seen.numel()).to(logits.dtype)
        return membership.T @ logits, membership.sum(dim=0)

    def _cell_means(self, sums, counts):
        """Mean logits of each cell present, and the presence mask, shaped as the buffers."""
        means = sums / counts.clamp(min=1)[:, None]
        return means.view_as(self.centroids), (counts > 0).view_as(self.seen)

    @torch.no_grad()
    def initialize(self, step):
        """Start each centroid at its cell's mean logits over the training rows.

        The rows go through the adversary in chunks of ``INITIALIZATION_ROWS``,
        so that the memory this takes does not grow with the training set.
        """
        if step.s is None:
            return
        z = step.outputs["z"]
        sums, counts = 0, 0
        for start in range(0, len(z), INITIALIZATION_ROWS):
            rows = slice(start, start + INITIALIZATION_ROWS)
            chunk_sums, chunk_counts = self._cell_sums(z[rows], step.s[rows], step.y[rows])
            sums, counts = sums + chunk_sums, counts + chunk_counts
        means, present = self._cell_means(sums, counts)
        self.centroids.copy_(means)
        self.seen.copy_(present)

    @torch.no_grad()
    def after_step(self, updated, step):
        """Move the centroids once the adversary has taken its steps on the batch."""
        if updated != "adversary":
            return
        means, present = self._cell_means(*self._cell_sums(step.outputs["z"], step.s, step.y))
        moved = self.decay * self.centroids + (1 - self.decay) * means
        # a cell absent from the batch keeps its centroid; a cell seen for the
        # first time starts at its batch mean
        updated = torch.where(self.seen[..., None], moved, means)
        self.centroids.copy_(torch.where(present[..., None], updated, self.centroids))
        self.seen |= present

    def penalty(self, step):
        z, s, y = step.outputs["z"], step.s, step.y
        log_q = F.log_softmax(self.adversary(z), dim=1)  # (n, K)
        rows = y if self.semantic_alignment else torch.zeros_like(s)
        target_log_p = F.log_softmax(self.centroids[rows], dim=2)  # (n, K groups j, K outputs)
        target_p = target_log_p.exp()
        # KL(softmax(c_j) || q(.|z_i)) for every sample i and group j
        kl = (target_p * (target_log_p - log_q[:, None, :])).sum(dim=2)
        partners = self.seen[rows].clone()
        partners.scatter_(1, s[:, None], False)
        n_partners = partners.sum(dim=1)
        # the mean over the rows with a partner, by weights rather than a
        # mask (of data-dependent size): 0 when no row has one
        has_partner = (n_partners > 0).to(kl.dtype)
        per_sample = (kl * partners).sum(dim=1) / n_partners.clamp(min=1)
        return (per_sample * has_partner).sum() / has_partner.sum().clamp(min=1)


DECAY_DOC = """\
    decay : float, default={default:decay}
        Decay of the centroids' moving average. Centroids start from the
        whole training split and are updated once per batch, after the
        adversary's steps."""

SEMANTIC_ALIGNMENT_DOC = """\
    semantic_alignment : bool, default={default:semantic_alignment}
        IIDM+: one centroid per (class, group); each sample is matched only to
        the other groups of its own class, so that invariance does not fight
        a legitimate link between y and s."""


class _IIDMParameters:
    """IIDM's parameters and objective, shared by its classifier and regressor."""

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        **ADVERSARY_CONSTRAINTS,
        "decay": [Interval(Real, 0, 1, closed="left")],
        "semantic_alignment": ["boolean"],  # the classifier's
    }

    def __init__(
        self,
        lam=1.0,
        *,
        decay=0.7,
        n_adversary_steps=5,
        gradient_penalty=0.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=0.0,
        lam_ramp=False,
        weight_averaging=0.0,
        n_components=2,
        hidden_layer_sizes=(64,),
        encoder=None,
        max_epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="rmsprop",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        cuda_graphs=True,
        random_state=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def build_objective(self, z_dim, n_classes):
        return DiscriminatorMatchingObjective(
            z_dim,
            len(self.sensitive_groups_),
            n_classes,
            decay=self.decay,
            semantic_alignment=getattr(self, "semantic_alignment", False),  # classes only
            **adversary_options(self),
        )


@fill_doc(
    method_parameters="\n".join([DECAY_DOC, SEMANTIC_ALIGNMENT_DOC, ADVERSARY_PARAMETERS_DOC])
)
class IIDMClassifier(_IIDMParameters, InvariantClassifierBase):
    """Classifier made invariant by discriminator matching (IIDM).

    An adversary q(s|z) is trained as in :class:`AdversarialClassifier`, but
    the encoder is not asked to fool it: the adversary's output on a sample of
    group j is pulled towards its average output on every other group (a
    moving centroid), ``CE(y) + lam * mean KL(softmax(c_j) || q(.|z))``
    (Iwasawa, Akuzawa and Matsuo, IJCAI 2020). This minimises the divergence
    between the groups' representations; the paper reports it more stable
    than AII on its toy.

    The representation is narrow by default (``n_components=2``): the
    adversary lags the encoder, and a wide z keeps room for the attribute
    where it does not look. The kernel term (``kernel_penalty=1``) is on by
    default: it reads what the adversary misses and costs no network (the
    user guide has the measurements). ``kernel_penalty=0`` gives the
    paper's method.

    Parameters
    ----------
    {lam_parameter}
    {method_parameters}
    {kernel_penalty_parameter}
    {lam_ramp_parameter}
    {weight_averaging_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    AdversarialClassifier : The adversarial baselines (AII, RevGrad, NS).
    IIDMRegressor : The same method for a real-valued target.

    Examples
    --------
    >>> from skinvariant import IIDMClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = IIDMClassifier(lam=1.0, max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> clf.predict_proba(X).shape
    (400, 2)
    """

    def __init__(
        self,
        lam=1.0,
        *,
        decay=0.7,
        semantic_alignment=False,
        n_adversary_steps=5,
        gradient_penalty=0.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=1.0,
        lam_ramp=False,
        weight_averaging=0.0,
        n_components=2,
        hidden_layer_sizes=(64,),
        encoder=None,
        class_weight=None,
        max_epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="rmsprop",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        cuda_graphs=True,
        random_state=None,
        verbose=0,
    ):
        store_parameters(self, locals())


@fill_doc(method_parameters="\n".join([DECAY_DOC, ADVERSARY_PARAMETERS_DOC]))
class IIDMRegressor(_IIDMParameters, InvariantRegressorBase):
    """Regressor made invariant by discriminator matching (IIDM).

    The twin of :class:`IIDMClassifier` for a real-valued target: an
    adversary q(s|z) is trained as in :class:`AdversarialRegressor`, and
    the adversary's output on a sample of group j is pulled towards its
    moving average on every other group,
    ``E[(y - h(z))^2] + lam * mean KL(softmax(c_j) || q(.|z))`` with y
    standardised. IIDM+ (the classifier's ``semantic_alignment``) needs
    classes: the regressor has no such parameter.

    Parameters
    ----------
    {lam_parameter}
    {method_parameters}
    {kernel_penalty_parameter}
    {lam_ramp_parameter}
    {weight_averaging_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    IIDMClassifier : The same method for class labels, with IIDM+.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import IIDMRegressor
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 400)
    >>> X = np.c_[rng.normal(size=(400, 2)), s + rng.normal(size=400)]
    >>> Y = np.c_[X[:, 0], X[:, 1] ** 2] + 0.1 * rng.normal(size=(400, 2))  # two targets
    >>> reg = IIDMRegressor(max_epochs=5, random_state=0).fit(X, Y, sensitive=s)
    >>> reg.predict(X).shape
    (400, 2)
    """
