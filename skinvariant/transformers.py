"""The public invariant transformers: representations for any downstream estimator."""

import copy

from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._base import (
    KERNEL_PENALTY_CONSTRAINT,
    InvariantEstimatorBase,
    check_layer_sizes,
    fill_doc,
    representation_width,
)
from ._validation import check_sensitive_aligned
from .modules import FrozenEncoder, make_mlp
from .objectives import AffinityObjective

__all__ = ["AffinityTransformer"]


@fill_doc
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
    ``history_[:, "train_unpaired_fraction"]``).

    Parameters
    ----------
    lam : float, default=0.1
        Weight of the affinity loss, an L1 distance on batch-standardised z
        (its scale grows with ``n_components``, not with the spread of z).
        Measured (``benchmarks/probe_sweep.py``, 3-group blobs, chance 0.33,
        3 seeds): the strongest fresh probe read 0.52-0.60 at the paper's
        0.01 (y accuracy 0.835), 0.40-0.44 at 0.1 (0.850) and 0.38-0.40 at 1
        (0.845). On Adult (10 epochs) 0.1 leaves the parity gap as it is and
        1 collapses the model to the majority class: scan ``lam`` between.
    same_class : bool, default=True
        Pair each sample only with samples of its own class (paper 004 eq. 3,
        the stricter form); False pairs it with any class (eq. 2).
    freeze_encoder : bool, default=False
        Use ``encoder`` as a fixed, pretrained feature extractor: its weights
        and buffers are not changed by ``fit`` and it runs in evaluation mode.
        Only an MLP on top of it (``hidden_layer_sizes`` to ``n_components``
        wide, the "fair layer") and the head are trained. Requires ``encoder``.
    {kernel_penalty_parameter}
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
    (400, 20)
    >>> fair.get_feature_names_out()[:2]
    array(['affinitytransformer0', 'affinitytransformer1'], dtype=object)
    """

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        "same_class": ["boolean"],
        "freeze_encoder": ["boolean"],
        **KERNEL_PENALTY_CONSTRAINT,
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
        n_components=20,
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.same_class = same_class
        self.freeze_encoder = freeze_encoder
        self.kernel_penalty = kernel_penalty
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.encoder = encoder
        self.class_weight = class_weight
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

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
        """Measure how much ``sensitive`` drives the decision once added back (paper 004, Fig. 4).

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
