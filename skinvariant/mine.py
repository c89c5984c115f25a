"""Mutual-information penalties: MINE (Belghazi et al., ICML 2018) as used by
Ragonesi et al. (CVPR workshops 2021), and the CLUB upper bound (Cheng et al.,
ICML 2020).

``s`` reaches the objective as group codes (one-hot encoded here) or as
standardised float columns for a continuous attribute. This module holds the
objective, the parameters the classifier and the regressor share, and the two
estimators.
"""

import math
from numbers import Integral, Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from .core import (
    LAM,
    InvariantClassifierBase,
    InvariantEstimatorBase,
    InvariantRegressorBase,
    Network,
    Objective,
    SensitiveTypeMixin,
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
)

__all__ = ["MINEDebiasedClassifier", "MINEDebiasedRegressor", "MutualInformationObjective"]

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

    graph_capturable = True

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
        # a permutation from uniform draws on s's device (which CUDA graphs replay anew)
        shuffled = s[torch.argsort(torch.rand(len(s), device=s.device))]
        joint = self.network(torch.cat([z, s], dim=1)).mean()
        marginal = self.network(torch.cat([z, shuffled], dim=1)).squeeze(1)
        return joint, torch.logsumexp(marginal, dim=0) - math.log(len(marginal))

    def _update_average(self, log_mean_exp):
        """Move the average towards ``log_mean_exp``; the first batch sets it (no branch on it)."""
        moved = torch.logaddexp(
            math.log1p(-self.ema_rate) + self.log_mean_exp_average,
            math.log(self.ema_rate) + log_mean_exp,
        )
        self.log_mean_exp_average.copy_(
            torch.where(torch.isnan(self.log_mean_exp_average), log_mean_exp, moved)
        )

    def _club(self, z, s):
        """CLUB: ``E_joint[log q(s|z)] - E_z E_s'[log q(s'|z)]``, s' from the batch's groups."""
        log_q = F.log_softmax(self.network(z), dim=1)
        group_frequencies = s.mean(dim=0)
        return ((log_q * s).sum(1) - log_q @ group_frequencies).mean()


MINE_PARAMETERS_DOC = """\
    estimator : {"mine", "club"}, default={default:estimator}
        ``"mine"`` pushes down a lower bound of I(z; s), as in the paper.
        ``"club"`` pushes down the CLUB upper bound (Cheng et al., ICML 2020)
        with a classifier q(s|z) trained by likelihood; categorical
        ``sensitive`` only. A lower bound that falls does not prove the
        information has gone: check with a fresh probe
        (:func:`~skinvariant.metrics.sensitive_leakage`).
    n_estimator_steps : int, default={default:n_estimator_steps}
        Steps of the estimator network per encoder step (K). The paper uses
        40 to 80; each step costs one small forward and backward pass.
    statistics_hidden_layer_sizes : int or tuple of int, default={default:statistics_hidden_layer_sizes}
        Hidden layers of the statistics network (or of q for CLUB).
    ema_rate : float, default={default:ema_rate}
        Rate of the moving average of ``E_marginal[exp T]`` used to correct the
        bias of the MINE gradient.
    adaptive_clipping : bool, default={default:adaptive_clipping}
        Rescale the penalty's gradient on each parameter tensor to at most the
        norm of the task gradient, so the unbounded estimate cannot swamp the task.
    {sensitive_type_parameter}"""

MINE_ATTRIBUTES_DOC = """\
    {sensitive_type_attributes}
    mutual_information_ : float
        The estimate of I(z; s) in the last epoch (mean over its batches);
        ``history_[:, "train_mi_estimate"]`` holds one per epoch."""


class _MINEParameters(SensitiveTypeMixin):
    """MINE/CLUB's parameters and objective, shared by its classifier and regressor."""

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        **SensitiveTypeMixin._parameter_constraints,
        **KERNEL_PENALTY_CONSTRAINT,
        **WEIGHT_AVERAGING_CONSTRAINT,
        **LAM_RAMP_CONSTRAINT,
        "estimator": [StrOptions(set(ESTIMATORS))],
        "n_estimator_steps": [Interval(Integral, 1, None, closed="left")],
        "statistics_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "ema_rate": [Interval(Real, 0, 1, closed="neither")],
        "adaptive_clipping": ["boolean"],
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


@fill_doc(method_parameters=MINE_PARAMETERS_DOC, method_attributes=MINE_ATTRIBUTES_DOC)
class MINEDebiasedClassifier(_MINEParameters, InvariantClassifierBase):
    """Classifier whose representation carries little mutual information with ``sensitive``.

    A statistics network T(z, s) estimates I(z; s) through the
    Donsker-Varadhan bound ``E_joint[T] - log E_marginal[exp T]`` (MINE,
    Belghazi et al., ICML 2018), trained ``n_estimator_steps`` times on the
    detached representation before every encoder step; the encoder minimises
    ``CE(y) + lam * I_hat(z; s)`` (Ragonesi et al., CVPR workshops 2021). The
    attribute may be categorical (one-hot encoded, 2-D for intersectional
    groups) or continuous (one or more numeric columns, standardised).

    The representation is narrow by default (``n_components=2``), as for
    :class:`IIDMClassifier`.

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
    {method_attributes}

    See Also
    --------
    skinvariant.metrics.make_mutual_information_scorer : Choose ``lam`` without validation data.
    MINEDebiasedRegressor : The same method for a real-valued target.

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

    def __init__(
        self,
        lam=1.0,
        *,
        estimator="mine",
        n_estimator_steps=5,
        statistics_hidden_layer_sizes=(100, 100),
        ema_rate=0.01,
        adaptive_clipping=True,
        sensitive_type="auto",
        kernel_penalty=0.0,
        lam_ramp=False,
        weight_averaging=0.8,
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


@fill_doc(method_parameters=MINE_PARAMETERS_DOC, method_attributes=MINE_ATTRIBUTES_DOC)
class MINEDebiasedRegressor(_MINEParameters, InvariantRegressorBase):
    """Regressor whose representation carries little mutual information with ``sensitive``.

    The twin of :class:`MINEDebiasedClassifier` for a real-valued target:
    the encoder minimises ``E[(y - h(z))^2] + lam * I_hat(z; s)`` with y
    standardised, where I_hat is the MINE lower bound or the CLUB upper
    bound of a network trained ``n_estimator_steps`` times per encoder step.
    The attribute may be categorical or continuous (``sensitive_type``).

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
    {method_attributes}

    See Also
    --------
    MINEDebiasedClassifier : The same method for class labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import MINEDebiasedRegressor
    >>> rng = np.random.RandomState(0)
    >>> age = rng.uniform(20, 60, 400)  # a continuous attribute
    >>> X = np.c_[rng.normal(size=(400, 2)), age / 10 + rng.normal(size=400)]
    >>> y = 3 * X[:, 0] + rng.normal(size=400)
    >>> reg = MINEDebiasedRegressor(max_epochs=3, random_state=0).fit(X, y, sensitive=age)
    >>> reg.sensitive_type_
    'continuous'
    """
