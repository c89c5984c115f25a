"""Adversarial invariance induction (Xie et al., NeurIPS 2017) and its variants.

An adversary q(s|z) learns to predict the sensitive group from the
representation z; the encoder is trained against it in one of three ways:

* ``"alternating"`` (AII): maximise the adversary's cross-entropy;
* ``"reversal"`` (RevGrad, Ganin et al., JMLR 2016): one joint step through a
  gradient-reversal layer;
* ``"nonsaturating"`` (NS, label flipping): minimise the adversary's
  cross-entropy against the other groups.

This module holds the objectives, the parameters the classifier and the
regressor share, and the two estimators.
"""

from numbers import Integral, Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .core import (
    LAM,
    BatchStandardize,
    InvariantClassifierBase,
    InvariantEstimatorBase,
    InvariantRegressorBase,
    Network,
    Objective,
    Term,
    check_layer_sizes,
    fill_doc,
    grad_reverse,
    make_mlp,
    store_parameters,
)
from .core._estimator import (
    KERNEL_PENALTY_CONSTRAINT,
    LAM_RAMP_CONSTRAINT,
    WEIGHT_AVERAGING_CONSTRAINT,
)

__all__ = [
    "AdversarialClassifier",
    "AdversarialObjective",
    "AdversarialRegressor",
    "AdversaryObjective",
]

MODES = ("alternating", "reversal", "nonsaturating")


class AdversaryObjective(Objective):
    """Base of the objectives that train a group classifier q(s|z), the ``"adversary"``.

    Parameters
    ----------
    z_dim : int
        Width of the representation.
    n_groups : int
        Number of sensitive groups.
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the adversary.
    n_adversary_steps : int, default=1
        Adversary steps per encoder step (kappa).
    gradient_penalty : float, default=0.0
        Weight gamma of the penalty ``gamma / 2 * E||grad_z log q(s|z)||^2``
        added to the adversary's loss (Mescheder et al. 2018).
    """

    def __init__(
        self,
        z_dim,
        n_groups,
        *,
        hidden_layer_sizes=(100,),
        n_adversary_steps=1,
        gradient_penalty=0.0,
    ):
        super().__init__()
        # the adversary reads z standardised per batch, so shrinking z cannot fool it
        self.adversary = nn.Sequential(
            BatchStandardize(), *make_mlp(z_dim, hidden_layer_sizes, n_groups)
        )
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty

    graph_capturable = True

    def networks(self):
        return {"adversary": Network(self.adversary, "inner", self.n_adversary_steps)}

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def network_loss(self, name, step):
        return self.adversary_loss(step)

    def adversary_loss(self, step):
        """The adversary's cross-entropy on ``s`` plus its gradient penalty."""
        z = step.outputs["z"]
        return self.recorded_cross_entropy(z, step) + self.adversary_gradient_penalty(z, step.s)

    def recorded_cross_entropy(self, z, step):
        """The adversary's cross-entropy on ``step.s`` from ``z``; records its accuracy."""
        logits = self.adversary(z)
        step.record("adversary_acc", (logits.argmax(dim=1) == step.s).float().mean())
        return F.cross_entropy(logits, step.s)

    def adversary_gradient_penalty(self, z, s):
        """Return ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the detached ``z``."""
        if not self.gradient_penalty:
            return 0.0
        z = z.detach().requires_grad_(True)
        log_q_true = F.log_softmax(self.adversary(z), dim=1).gather(1, s[:, None]).sum()
        (grad,) = torch.autograd.grad(log_q_true, z, create_graph=True)
        return 0.5 * self.gradient_penalty * grad.pow(2).sum(dim=1).mean()

    def penalty(self, step):
        """The encoder's invariance penalty on ``step``."""
        raise NotImplementedError


class AdversarialObjective(AdversaryObjective):
    """Adversarial invariance: the encoder fights the adversary directly.

    Parameters
    ----------
    z_dim, n_groups
        See :class:`AdversaryObjective`.
    mode : {"alternating", "reversal", "nonsaturating"}, default="alternating"
        How the encoder is updated against the adversary. ``"reversal"``
        trains the adversary jointly with the encoder, through a
        gradient-reversal layer, instead of in inner steps.
    **adversary_options
        The adversary's options, those of :class:`AdversaryObjective`
        (``hidden_layer_sizes``, ``n_adversary_steps``, ``gradient_penalty``).
    """

    def __init__(self, z_dim, n_groups, *, mode="alternating", **adversary_options):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
        super().__init__(z_dim, n_groups, **adversary_options)
        self.mode = mode

    def networks(self):
        if self.mode == "reversal":
            return {"adversary": Network(self.adversary, "joint")}
        return super().networks()

    def terms(self):
        if self.mode != "reversal":
            return super().terms()
        # One joint step: the adversary descends its cross-entropy while the
        # reversed gradient makes the encoder ascend it, scaled by lam (so the
        # term's own weight is 1). The recorded penalty is -CE, as in the other modes.
        return [Term("adversary_loss", self.reversed_adversary_loss, needs_sensitive=True)]

    def reversed_adversary_loss(self, step):
        """The adversary's loss on z behind a gradient-reversal layer of scale lam."""
        z = step.outputs["z"]
        cross_entropy = self.recorded_cross_entropy(grad_reverse(z, step.lam), step)
        step.record("penalty", -cross_entropy)
        return cross_entropy + self.adversary_gradient_penalty(z, step.s)

    def penalty(self, step):
        log_q = F.log_softmax(self.adversary(step.outputs["z"]), dim=1)
        s = step.s
        if self.mode == "nonsaturating":
            other_groups = torch.ones_like(log_q).scatter_(1, s[:, None], 0.0)
            return -(log_q * other_groups).sum(1).div(other_groups.sum(1)).mean()
        # maximising the adversary's cross-entropy = minimising log q(s|z)
        return log_q.gather(1, s[:, None]).mean()


ADVERSARY_CONSTRAINTS = {
    **KERNEL_PENALTY_CONSTRAINT,
    **WEIGHT_AVERAGING_CONSTRAINT,
    **LAM_RAMP_CONSTRAINT,
    "adversary_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "n_adversary_steps": [Interval(Integral, 1, None, closed="left")],
    "gradient_penalty": [Interval(Real, 0, None, closed="left")],
}

ADVERSARY_PARAMETERS_DOC = """\
    n_adversary_steps : int, default={default:n_adversary_steps}
        Adversary steps per encoder step (kappa). Even with several steps the
        adversary lags the encoder: judge invariance by a fresh probe
        (:func:`~skinvariant.metrics.sensitive_leakage`), not by
        ``train_adversary_acc``.
    gradient_penalty : float, default={default:gradient_penalty}
        Weight gamma of ``gamma / 2 * E||grad_z log q(s|z)||^2`` on the
        adversary (Mescheder et al., ICML 2018), which stabilises the game.
    adversary_hidden_layer_sizes : int or tuple of int, default={default:adversary_hidden_layer_sizes}
        Hidden layers of the adversary."""


def adversary_options(estimator):
    """The adversary's options of an adversarial estimator, as its objective takes them."""
    return {
        "hidden_layer_sizes": check_layer_sizes(
            "adversary_hidden_layer_sizes", estimator.adversary_hidden_layer_sizes
        ),
        "n_adversary_steps": estimator.n_adversary_steps,
        "gradient_penalty": estimator.gradient_penalty,
    }


ADVERSARIAL_PARAMETERS_DOC = (
    """\
    mode : {"alternating", "reversal", "nonsaturating"}, default={default:mode}
        ``"alternating"`` (AII): ``n_adversary_steps`` adversary steps, then
        one encoder step on the task loss minus ``lam`` times the adversary's
        cross-entropy. ``"reversal"`` (RevGrad): adversary and encoder step
        together through a gradient-reversal layer (``n_adversary_steps`` is
        unused). ``"nonsaturating"`` (NS): the encoder minimises the
        adversary's cross-entropy against the other groups."""
    + "\n"
    + ADVERSARY_PARAMETERS_DOC
)


class _AdversarialParameters:
    """The adversarial method's parameters and objective, shared by its classifier and regressor."""

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        **ADVERSARY_CONSTRAINTS,
        "mode": [StrOptions(set(MODES))],
    }

    def __init__(
        self,
        lam=1.0,
        *,
        mode="alternating",
        n_adversary_steps=5,
        gradient_penalty=1.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=0.0,
        lam_ramp=False,
        weight_averaging=0.0,
        n_components=8,
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
        return AdversarialObjective(
            z_dim, len(self.sensitive_groups_), mode=self.mode, **adversary_options(self)
        )


@fill_doc(method_parameters=ADVERSARIAL_PARAMETERS_DOC)
class AdversarialClassifier(_AdversarialParameters, InvariantClassifierBase):
    """Classifier whose representation is made invariant by an adversary.

    An adversary q(s|z) learns to predict the sensitive group from the
    representation z; the encoder learns to predict y while defeating it
    (adversarial invariance induction, Xie et al., NeurIPS 2017; gradient
    reversal, Ganin et al., JMLR 2016). The min-max objective is
    ``E[-log q(y|z) + lam * log q(s|z)]``.

    The representation is narrow by default (``n_components=2``, as for
    :class:`IIDMClassifier`): chosen on the task suite, where a 2-wide z left
    the attribute fewer places to hide from a fresh probe than an 8-wide one
    (the user guide has the measurements).

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
    IIDMClassifier : Matches the adversary's outputs across groups instead of fooling it.
    AdversarialRegressor : The same method for a real-valued target.

    Examples
    --------
    >>> from skinvariant import AdversarialClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = AdversarialClassifier(lam=1.0, max_epochs=5, random_state=0)
    >>> clf.fit(X, y, sensitive=s).transform(X).shape
    (400, 2)
    """

    def __init__(
        self,
        lam=1.0,
        *,
        mode="alternating",
        n_adversary_steps=5,
        gradient_penalty=1.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=0.0,
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


@fill_doc(method_parameters=ADVERSARIAL_PARAMETERS_DOC)
class AdversarialRegressor(_AdversarialParameters, InvariantRegressorBase):
    """Regressor whose representation is made invariant by an adversary.

    The twin of :class:`AdversarialClassifier` for a real-valued target: an
    adversary q(s|z) learns to predict the sensitive group from the
    representation z while the encoder learns to predict y and to defeat it,
    ``E[(y - h(z))^2] + lam * log q(s|z)`` with y standardised. The same
    modes, parameters and defaults as the classifier.

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
    AdversarialClassifier : The same method for class labels.
    skinvariant.metrics.group_error_gap : The gap in error between groups.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import AdversarialRegressor
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 400)
    >>> X = np.c_[rng.normal(size=(400, 2)), s + rng.normal(size=400)]
    >>> y = 10 + 3 * X[:, 0] + rng.normal(size=400)
    >>> reg = AdversarialRegressor(max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> reg.predict(X).shape, reg.transform(X).shape
    ((400,), (400, 8))
    """
