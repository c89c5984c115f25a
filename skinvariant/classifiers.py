"""The public invariant classifiers; each is an objective plus a thin estimator."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    KERNEL_PENALTY_CONSTRAINT,
    InvariantClassifierBase,
    SensitiveTypeMixin,
    check_layer_sizes,
    fill_doc,
)
from .objectives import (
    AdversarialObjective,
    DiscriminatorMatchingObjective,
    KernelIndependenceObjective,
    MutualInformationObjective,
)
from .objectives.adversarial import MODES
from .objectives.mutual_info import ESTIMATORS
from .transformers import AffinityTransformer

__all__ = [
    "AdversarialClassifier",
    "AffinityClassifier",
    "HSICClassifier",
    "IIDMClassifier",
    "MINEDebiasedClassifier",
]


_ADVERSARY_CONSTRAINTS = {
    **KERNEL_PENALTY_CONSTRAINT,
    "adversary_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "n_adversary_steps": [Interval(Integral, 1, None, closed="left")],
    "gradient_penalty": [Interval(Real, 0, None, closed="left")],
}


def adversary_options(estimator):
    """The adversary's options of an adversarial estimator, as its objective takes them."""
    return {
        "hidden_layer_sizes": check_layer_sizes(
            "adversary_hidden_layer_sizes", estimator.adversary_hidden_layer_sizes
        ),
        "n_adversary_steps": estimator.n_adversary_steps,
        "gradient_penalty": estimator.gradient_penalty,
    }


@fill_doc
class AdversarialClassifier(InvariantClassifierBase):
    """Classifier whose representation is made invariant by an adversary.

    An adversary q(s|z) learns to predict the sensitive group from the
    representation z; the encoder learns to predict y while defeating it
    (adversarial invariance induction, Xie et al. 2017; gradient reversal,
    Ganin et al. 2016). The min-max objective is
    ``E[-log q(y|z) + lam * log q(s|z)]``.

    Parameters
    ----------
    lam : float, default=1.0
        Invariance weight: 0 trains a plain classifier; larger values trade
        accuracy for invariance.
    mode : {"alternating", "reversal", "nonsaturating"}, default="alternating"
        ``"alternating"`` (AII): ``n_adversary_steps`` adversary steps, then
        one encoder step on ``CE(y) - lam * CE(s)``. ``"reversal"``
        (RevGrad): adversary and encoder step together through a
        gradient-reversal layer. ``"nonsaturating"`` (NS): the encoder
        minimises the adversary's cross-entropy against the other groups
        (label flipping).
    n_adversary_steps : int, default=5
        Adversary steps per encoder step (kappa); unused by ``"reversal"``.
        The paper studies 1 and 8. Measured on the 3-group blobs at
        ``lam=1`` (3 seeds, strongest fresh probe, chance 0.33): 0.64-0.72
        with 1 step, 0.385-0.398 with 5, 0.39-0.47 with 10. Even at 5 the
        adversary lags the encoder: judge invariance by a fresh probe, not by
        ``train_adversary_acc``.
    gradient_penalty : float, default=1.0
        Weight of ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the adversary
        (AII+GP, Mescheder et al. 2018); stabilises the game. Measured on the
        3-group blobs (chance 0.33, ``benchmarks/probe_sweep.py``), a
        fresh probe read the attribute at 0.39-0.40 with 1.0 (3 seeds, y
        accuracy 0.85) and at 0.74-0.76 with 0.0; on Adult both lie on the
        same accuracy-parity front, 1.0 needing a larger ``lam`` for the same
        parity gap. 0 is the plain AII of the paper.
    adversary_hidden_layer_sizes : int or tuple of int, default=(100,)
        Hidden layers of the adversary.
    lam_ramp : bool, default=False
        Ramp ``lam`` from 0 as ``2 / (1 + exp(-10 p)) - 1`` over training
        progress p (Ganin et al. 2016).
    {kernel_penalty_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    IIDMClassifier : Matches the adversary's outputs across groups instead of fooling it.

    Examples
    --------
    >>> from skinvariant import AdversarialClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = AdversarialClassifier(lam=1.0, max_epochs=5, random_state=0)
    >>> clf.fit(X, y, sensitive=s).transform(X).shape
    (400, 8)
    """

    _parameter_constraints = {
        **InvariantClassifierBase._parameter_constraints,
        **_ADVERSARY_CONSTRAINTS,
        "mode": [StrOptions(set(MODES))],
        "lam_ramp": ["boolean"],
    }

    def __init__(
        self,
        lam=1.0,
        *,
        mode="alternating",
        n_adversary_steps=5,
        gradient_penalty=1.0,
        adversary_hidden_layer_sizes=(100,),
        lam_ramp=False,
        kernel_penalty=0.0,
        n_components=8,
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.mode = mode
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty
        self.adversary_hidden_layer_sizes = adversary_hidden_layer_sizes
        self.lam_ramp = lam_ramp
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
        return AdversarialObjective(
            z_dim, len(self.sensitive_groups_), mode=self.mode, **adversary_options(self)
        )

    def engine_options(self):
        return {"lam_ramp": self.lam_ramp}


@fill_doc
class IIDMClassifier(InvariantClassifierBase):
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
    where it does not look. Measured (``benchmarks/probe_sweep.py``, 3-group
    blobs, chance 0.33, 3 seeds): the strongest of three fresh probes read
    0.33-0.36 at ``lam`` 1 and 10 with 2 components (0.47-0.49 at ``lam=0``)
    and 0.62-0.74 with 8, at the same y accuracy (0.85). On Adult (sex, 10
    epochs) 2 components lower the balanced leakage to 0.50-0.57 (3 seeds)
    from 0.68-0.70 with 8 (one seed) but cost accuracy at a given parity gap
    (0.78-0.82 at ``lam=10``, against 0.82 with 8): for a parity gap at the
    highest accuracy, widen z and add ``kernel_penalty``.

    Parameters
    ----------
    lam : float, default=1.0
        Invariance weight: 0 trains a plain classifier; larger values trade
        accuracy for invariance.
    decay : float, default=0.7
        Decay of the centroids' moving average. Centroids start from the
        whole training split and are updated once per batch, after the
        adversary's steps.
    semantic_alignment : bool, default=False
        IIDM+: one centroid per (class, group); each sample is matched only to
        the other groups of its own class, so that invariance does not fight
        a legitimate link between y and s.
    n_adversary_steps : int, default=5
        Adversary steps per encoder step (kappa); see ``AdversarialClassifier``.
        On the blobs at ``lam=1`` a fresh probe read 0.35-0.37 with 1 step,
        0.33-0.34 with 5 and 0.32-0.34 with 10 (3 seeds).
    gradient_penalty : float, default=0.0
        Weight of ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the adversary.
    adversary_hidden_layer_sizes : int or tuple of int, default=(100,)
        Hidden layers of the adversary.
    {kernel_penalty_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    AdversarialClassifier : The adversarial baselines (AII, RevGrad, NS).

    Examples
    --------
    >>> from skinvariant import IIDMClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = IIDMClassifier(lam=1.0, max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> clf.predict_proba(X).shape
    (400, 2)
    """

    _parameter_constraints = {
        **InvariantClassifierBase._parameter_constraints,
        **_ADVERSARY_CONSTRAINTS,
        "decay": [Interval(Real, 0, 1, closed="left")],
        "semantic_alignment": ["boolean"],
    }

    def __init__(
        self,
        lam=1.0,
        *,
        decay=0.7,
        semantic_alignment=False,
        n_adversary_steps=5,
        gradient_penalty=0.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=0.0,
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.decay = decay
        self.semantic_alignment = semantic_alignment
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty
        self.adversary_hidden_layer_sizes = adversary_hidden_layer_sizes
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
        return DiscriminatorMatchingObjective(
            z_dim,
            len(self.sensitive_groups_),
            n_classes,
            decay=self.decay,
            semantic_alignment=self.semantic_alignment,
            **adversary_options(self),
        )


@fill_doc
class MINEDebiasedClassifier(SensitiveTypeMixin, InvariantClassifierBase):
    """Classifier whose representation carries little mutual information with ``sensitive``.

    A statistics network T(z, s) estimates I(z; s) through the
    Donsker-Varadhan bound ``E_joint[T] - log E_marginal[exp T]`` (MINE,
    Belghazi et al. 2018), trained ``n_estimator_steps`` times on the detached
    representation before every encoder step; the encoder minimises
    ``CE(y) + lam * I_hat(z; s)`` (Ragonesi et al., CVPR-W 2021). The
    attribute may be categorical (one-hot encoded, 2-D for intersectional
    groups) or continuous (one or more numeric columns, standardised).

    The representation is narrow by default (``n_components=2``), as for
    :class:`IIDMClassifier`. Measured (``benchmarks/probe_sweep.py``, 3-group
    blobs, chance 0.33, 3 seeds): the strongest of three fresh probes read
    0.35-0.42 at ``lam`` 1 and 0.37-0.38 at 10 with 2 components, 0.44-0.61
    and 0.48-0.52 with 8, at the same y accuracy (0.85). On Adult (sex, 10
    epochs, ``lam=10``, one seed): balanced leakage 0.50 against 0.59,
    parity gap 0.085 against 0.098, accuracy 0.844 against 0.848.

    Parameters
    ----------
    lam : float, default=1.0
        Weight of the mutual-information penalty.
    estimator : {"mine", "club"}, default="mine"
        ``"mine"`` pushes down a lower bound of I(z; s), as in the paper.
        ``"club"`` pushes down the CLUB upper bound (Cheng et al. 2020) with a
        classifier q(s|z) trained by likelihood; categorical ``sensitive`` only.
        A lower bound that falls does not prove the information has gone:
        check with a fresh probe (``skinvariant.metrics.sensitive_leakage``).
    n_estimator_steps : int, default=20
        Steps of the estimator network per encoder step (K). The paper uses
        40 to 80 and finds more is better; each step costs one small forward
        and backward pass.
    statistics_hidden_layer_sizes : int or tuple of int, default=(100, 100)
        Hidden layers of the statistics network (or of q for CLUB).
    ema_rate : float, default=0.01
        Rate of the moving average of ``E_marginal[exp T]`` used to correct the
        bias of the MINE gradient.
    adaptive_clipping : bool, default=True
        Rescale the penalty's gradient on each parameter tensor to at most the
        norm of the task gradient, so the unbounded estimate cannot swamp the task.
    sensitive_type : {"auto", "categorical", "continuous"}, default="auto"
        How to read ``sensitive``; ``"auto"`` treats non-integer floats as
        continuous and anything else as group labels. The decision is stored
        in ``sensitive_type_``.
    {kernel_penalty_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}
    sensitive_type_ : {"categorical", "continuous"}
        How ``sensitive`` was read.
    sensitive_mean_, sensitive_scale_ : ndarray of shape (n_attributes,)
        Standardisation of a continuous ``sensitive``; None for groups.
    mutual_information_ : float
        The estimate of I(z; s) in the last epoch (mean over its batches);
        ``history_[:, "train_mi_estimate"]`` holds one per epoch.

    See Also
    --------
    skinvariant.metrics.make_mutual_information_scorer : Choose ``lam`` without validation data.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import MINEDebiasedClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> age = s + np.random.RandomState(0).normal(size=len(s))  # a continuous attribute
    >>> clf = MINEDebiasedClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=age)
    >>> clf.sensitive_type_
    'continuous'
    """

    _parameter_constraints = {
        **InvariantClassifierBase._parameter_constraints,
        **SensitiveTypeMixin._parameter_constraints,
        "estimator": [StrOptions(set(ESTIMATORS))],
        "n_estimator_steps": [Interval(Integral, 1, None, closed="left")],
        "statistics_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "ema_rate": [Interval(Real, 0, 1, closed="neither")],
        "adaptive_clipping": ["boolean"],
        **KERNEL_PENALTY_CONSTRAINT,
    }

    def __init__(
        self,
        lam=1.0,
        *,
        estimator="mine",
        n_estimator_steps=20,
        statistics_hidden_layer_sizes=(100, 100),
        ema_rate=0.01,
        adaptive_clipping=True,
        sensitive_type="auto",
        kernel_penalty=0.0,
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.estimator = estimator
        self.n_estimator_steps = n_estimator_steps
        self.statistics_hidden_layer_sizes = statistics_hidden_layer_sizes
        self.ema_rate = ema_rate
        self.adaptive_clipping = adaptive_clipping
        self.sensitive_type = sensitive_type
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
        if self.estimator == "club" and self.sensitive_type_ == "continuous":
            raise ValueError(
                "estimator='club' needs a categorical sensitive attribute; use "
                "estimator='mine' for a continuous one."
            )
        return MutualInformationObjective(
            z_dim,
            self._sensitive_width(),
            categorical=self.sensitive_type_ == "categorical",
            estimator=self.estimator,
            hidden_layer_sizes=check_layer_sizes(
                "statistics_hidden_layer_sizes", self.statistics_hidden_layer_sizes
            ),
            n_estimator_steps=self.n_estimator_steps,
            ema_rate=self.ema_rate,
            clip_gradient=self.adaptive_clipping,
        )

    @property
    def mutual_information_(self):
        """The last epoch's estimate of I(z; s)."""
        if "train_mi_estimate" not in self.history_[-1]:
            raise AttributeError(
                "mutual_information_ is only estimated when fit receives "
                "sensitive=...; this model was fitted without it."
            )
        return float(self.history_[-1, "train_mi_estimate"])


@fill_doc
class HSICClassifier(SensitiveTypeMixin, InvariantClassifierBase):
    """Classifier whose representation is made independent of ``sensitive`` by a kernel statistic.

    The encoder minimises ``CE(y) + lam * nHSIC(z, s)``, the normalised
    Hilbert-Schmidt independence criterion (Gretton et al. 2005) between the
    batch's representation and attribute: a Gaussian kernel on z
    standardised within the batch (median-heuristic bandwidth), so shrinking
    z cannot lower it, and a delta kernel on group labels (2-D for
    intersectional groups) or a Gaussian kernel on a continuous attribute.
    There is no critic network to fool: the statistic is computed from the
    batch itself. Batches are stratified by (class, group) for group labels.

    The statistic is estimated from one batch: larger batches estimate it
    with less noise and see more of each group, at a cost that grows with the
    square of the batch size.

    The representation is narrow by default (``n_components=2``): with one
    bandwidth for all of z, the statistic on a wide z misses dependence
    that a fresh probe reads. Measured (``benchmarks/probe_sweep.py``,
    3-group blobs, chance 0.33): the strongest of three fresh probes read
    0.33-0.37 at ``lam`` 1 and 10 with 2 components, 0.66-0.72 with 8, at
    the same y accuracy; on Adult at ``lam=10``, balanced leakage 0.51 with
    2 components and 0.56 with 8 (chance 0.5), accuracy 0.822 and 0.828.

    Parameters
    ----------
    lam : float, default=1.0
        Weight of the HSIC penalty.
    sensitive_type : {"auto", "categorical", "continuous"}, default="auto"
        How to read ``sensitive``; ``"auto"`` treats non-integer floats as
        continuous and anything else as group labels. The decision is stored
        in ``sensitive_type_``.
    {common_parameters}

    Attributes
    ----------
    {common_attributes}
    sensitive_type_ : {"categorical", "continuous"}
        How ``sensitive`` was read.
    sensitive_mean_, sensitive_scale_ : ndarray of shape (n_attributes,)
        Standardisation of a continuous ``sensitive``; None for groups.

    See Also
    --------
    skinvariant.metrics.hsic : The same statistic, measured on any representation.

    Examples
    --------
    >>> from skinvariant import HSICClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = HSICClassifier(max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> clf.transform(X).shape
    (400, 2)
    """

    _parameter_constraints = {
        **InvariantClassifierBase._parameter_constraints,
        **SensitiveTypeMixin._parameter_constraints,
    }

    def __init__(
        self,
        lam=1.0,
        *,
        sensitive_type="auto",
        n_components=2,
        hidden_layer_sizes=(64,),
        encoder=None,
        class_weight=None,
        max_epochs=50,
        batch_size=256,
        lr=1e-3,
        optimizer="adam",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.sensitive_type = sensitive_type
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
        return KernelIndependenceObjective(
            self._sensitive_width(), categorical=self.sensitive_type_ == "categorical"
        )


@fill_doc
class AffinityClassifier(InvariantClassifierBase, AffinityTransformer):
    """Classifier on a representation in which every sample has a near twin in another group.

    :class:`AffinityTransformer` with ``predict``, ``predict_proba`` and
    ``score`` from its own linear head: the encoder minimises
    ``CE(y) + lam * L_aff``, where ``L_aff`` is the L1 distance in the
    representation from each sample to its nearest neighbour of the same
    class and another group, within a stratified batch (paper 004).

    Parameters
    ----------
    lam : float, default=0.1
        Weight of the affinity loss; see :class:`AffinityTransformer`.
    same_class : bool, default=True
        Pair each sample only with samples of its own class (eq. 3); False
        pairs it with any class (eq. 2).
    freeze_encoder : bool, default=False
        Train only a fair layer (and the head) on top of a fixed, pretrained
        ``encoder``; see :class:`AffinityTransformer`.
    {kernel_penalty_parameter}
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
