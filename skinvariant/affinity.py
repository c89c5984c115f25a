"""The affinity loss (Boedi and Grabner 2021): pull each sample towards its
nearest neighbour of another group in the representation.

No learner tells apart two points with the same representation, so a
representation in which every sample has a near twin in another group cannot
reveal the group. The loss needs no auxiliary network. This module holds the
objective, the transformer (the representation alone, as a pipeline step) and
the classifier (with its own head).
"""

import copy

import torch
import torch.nn.functional as F
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .core import (
    LAM,
    FrozenEncoder,
    InvariantClassifierBase,
    InvariantEstimatorBase,
    Objective,
    Term,
    check_layer_sizes,
    fill_doc,
    make_mlp,
    store_parameters,
)
from .core._estimator import (
    KERNEL_PENALTY_CONSTRAINT,
    LAM_RAMP_CONSTRAINT,
    WEIGHT_AVERAGING_CONSTRAINT,
    representation_width,
)
from .core._validation import check_sensitive_aligned
from .kernels import batch_standardized

__all__ = ["AffinityClassifier", "AffinityObjective", "AffinityTransformer"]


class AffinityObjective(Objective):
    """Mean L1 distance in z from each sample to its nearest partner in the batch.

    A sample's partners are the batch's samples of another group (and, with
    ``same_class``, of its own class). The nearest one is found without a
    gradient; the distance to it is differentiable in both samples. Distances
    are averaged within each group, then over the groups, and divided by the
    number of classes: with two groups and ``same_class`` this is eq. 3 of
    Boedi and Grabner (2021), ``1 / (|Y| |X1|) sum_y sum_{x1 in X1, y} min_{x2 in X2, y} |g(x1) - g(x2)|_1``,
    taken in both directions. Samples without a partner in their batch are
    skipped; their share is reported as the metric ``"unpaired_fraction"``.

    Distances are taken on the batch-standardised z (each column centred and
    scaled to unit variance over the batch). On the raw z the loss falls as
    the encoder shrinks z, which removes nothing a fresh probe cannot read
    back (measured: z's spread fell from 0.96 to 0.12 at ``lam=1`` and a probe
    read more of the group); on the standardised z shrinking changes nothing.

    Parameters
    ----------
    n_groups : int
        Number of sensitive groups (codes ``0 .. n_groups - 1``).
    n_classes : int
        Number of target classes.
    same_class : bool, default=True
        Partners must share the sample's class (eq. 3); False allows any
        class (eq. 2), which may pull different classes together.
    """

    stratify_batches = True  # every batch should hold partners for every cell
    graph_capturable = True

    def __init__(self, n_groups, n_classes, *, same_class=True):
        super().__init__()
        self.n_groups = n_groups
        self.n_classes = n_classes
        self.same_class = same_class

    def _nearest_distances(self, z, s, y):
        """Distance of each sample to its nearest partner, and which samples have one."""
        allowed = s[:, None] != s[None, :]
        if self.same_class:
            allowed &= y[:, None] == y[None, :]
        with torch.no_grad():
            distances = torch.cdist(z, z, p=1).masked_fill(~allowed, torch.inf)
            nearest = distances.argmin(dim=1)
        return (z - z[nearest]).abs().sum(dim=1), allowed.any(dim=1)

    def _affinity(self, z, s, y):
        """Return the affinity loss and the share of samples without a partner."""
        distances, paired = self._nearest_distances(z, s, y)
        unpaired_fraction = 1.0 - paired.float().mean()
        # per-group means of the paired rows by a one-hot product weighted by
        # pairing (index_add_ is not deterministic on CUDA; a mask would give
        # a data-dependent size), then the mean over the groups present: 0
        # when no row has a partner
        membership = F.one_hot(s, self.n_groups).to(z.dtype) * paired[:, None].to(z.dtype)
        group_sums = membership.T @ distances
        group_counts = membership.sum(dim=0)
        present = (group_counts > 0).to(z.dtype)
        group_means = group_sums / group_counts.clamp(min=1)
        mean = (group_means * present).sum() / present.sum().clamp(min=1)
        return mean / self.n_classes, unpaired_fraction

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def penalty(self, step):
        """The affinity loss of the batch; records the share of unpaired samples."""
        affinity, unpaired_fraction = self._affinity(
            batch_standardized(step.outputs["z"]), step.s, step.y
        )
        step.record("unpaired_fraction", unpaired_fraction)
        return affinity


AFFINITY_PARAMETERS_DOC = """\
    same_class : bool, default={default:same_class}
        Pair each sample only with samples of its own class (eq. 3 of the
        paper, the stricter form); False pairs it with any class (eq. 2).
    freeze_encoder : bool, default={default:freeze_encoder}
        Use ``encoder`` as a fixed, pretrained feature extractor: its weights
        and buffers are not changed by ``fit`` and it runs in evaluation mode.
        Only an MLP on top of it (``hidden_layer_sizes`` to ``n_components``
        wide, the "fair layer") and the head are trained. Requires ``encoder``."""


@fill_doc(method_parameters=AFFINITY_PARAMETERS_DOC)
class AffinityTransformer(InvariantEstimatorBase):
    """Representation in which every sample has a near twin in another group.

    An encoder is trained on the cross-entropy of a linear head plus ``lam``
    times the affinity loss (Boedi and Grabner 2021): the L1 distance in the
    representation from each sample to its nearest neighbour of the same
    class and another group, within the batch. Two samples with the same
    representation cannot be told apart, so the representation stops
    revealing the group while the head keeps it predictive. ``transform(X)``
    returns it for any downstream estimator, e.g.
    ``make_pipeline(preprocessing, AffinityTransformer(), LogisticRegression())``.

    Batches are stratified so that each holds every (class, group) cell; a
    cell with fewer rows than there are batches misses some, and its samples
    without a partner in a batch are skipped (their share per epoch is
    ``history_[:, "train_unpaired_fraction"]``). The loss is an L1 distance
    on batch-standardised z, so its scale grows with ``n_components``, not
    with the spread of z: its ``lam`` is on another scale than the other
    methods' (``lam_grid`` starts at 0.01).

    The representation is narrow by default (``n_components=2``; the paper
    uses 20): on the task suite's tabular tasks a 2-wide z left a fresh probe
    less to read at the same accuracy (the user guide has the measurements).
    Widen it for images or a frozen pretrained encoder, as the paper does.

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
    AffinityClassifier : The same, with ``predict`` and ``predict_proba``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skinvariant import AffinityTransformer
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> fair = AffinityTransformer(max_epochs=5, random_state=0)
    >>> fair.fit_transform(X, y, sensitive=s).shape
    (400, 2)
    >>> fair.get_feature_names_out()[:2]
    array(['affinitytransformer0', 'affinitytransformer1'], dtype=object)
    """

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        "same_class": ["boolean"],
        "freeze_encoder": ["boolean"],
        **KERNEL_PENALTY_CONSTRAINT,
        **WEIGHT_AVERAGING_CONSTRAINT,
        **LAM_RAMP_CONSTRAINT,
    }
    # the affinity loss is weighted a tenth of the others' (default lam 0.1)
    lam_grid = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

    def __init__(
        self,
        lam=0.1,
        *,
        same_class=True,
        freeze_encoder=False,
        kernel_penalty=0.0,
        lam_ramp=False,
        weight_averaging=0.8,
        n_components=2,
        hidden_layer_sizes=(128, 128),
        encoder=None,
        class_weight=None,
        max_epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        cuda_graphs=True,
        random_state=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def build_objective(self, z_dim, n_classes):
        return AffinityObjective(len(self.sensitive_groups_), n_classes, same_class=self.same_class)

    def _build_encoder(self, n_features):
        if not self.freeze_encoder:
            return super()._build_encoder(n_features)
        if self.encoder is None:
            raise ValueError(
                "freeze_encoder=True needs encoder=<your pretrained torch module>; "
                "without one there is nothing to freeze."
            )
        frozen = FrozenEncoder(copy.deepcopy(self.encoder))
        sizes = check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)
        fair_layer = make_mlp(representation_width(frozen, n_features), sizes, self.n_components)
        return nn.Sequential(frozen, fair_layer), self.n_components

    def reattach_sensitive(self, X, y, sensitive):
        """Measure how much ``sensitive`` drives the decision once added back (Boedi and Grabner 2021, Fig. 4).

        ``reattach_sensitive(transform(X), y, sensitive)``: see
        :func:`skinvariant.metrics.reattach_sensitive`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to read the weights on (training or held-out rows).
        y : array-like of shape (n_samples,)
            Binary labels.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Group labels.

        Returns
        -------
        result : sklearn.utils.Bunch
            See :func:`skinvariant.metrics.reattach_sensitive`.
        """
        from .metrics import reattach_sensitive  # the metrics load only when used

        check_is_fitted(self)
        check_sensitive_aligned(sensitive, X=X, y=y)
        return reattach_sensitive(self.transform(X), y, sensitive)


@fill_doc(method_parameters=AFFINITY_PARAMETERS_DOC)
class AffinityClassifier(InvariantClassifierBase, AffinityTransformer):
    """Classifier on a representation in which every sample has a near twin in another group.

    :class:`AffinityTransformer` with ``predict``, ``predict_proba`` and
    ``score`` from its own linear head: the encoder minimises
    ``CE(y) + lam * L_aff``, where ``L_aff`` is the L1 distance in the
    representation from each sample to its nearest neighbour of the same
    class and another group, within a stratified batch (Boedi and Grabner 2021).

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
    AffinityTransformer : The representation alone, as a Pipeline step.

    Examples
    --------
    >>> from skinvariant import AffinityClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = AffinityClassifier(max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> weights = clf.reattach_sensitive(X, y, s)
    >>> sorted(weights)[:3]
    ['accuracy_with_sensitive', 'accuracy_without_sensitive', 'groups']
    """
