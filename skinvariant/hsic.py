"""Kernel independence: the normalised HSIC (Gretton et al., ALT 2005) between
the representation and ``sensitive``, computed from each batch.

There is no critic network to fool: a Gaussian kernel on the batch-standardised
z (so shrinking z cannot lower it) and a delta kernel on group labels or a
Gaussian kernel on a continuous attribute. This module holds the objective,
the parameters the classifier and the regressor share, and the two estimators.
"""

from .core import (
    LAM,
    InvariantClassifierBase,
    InvariantEstimatorBase,
    InvariantRegressorBase,
    Objective,
    SensitiveTypeMixin,
    Term,
    batch_hsic,
    fill_doc,
    store_parameters,
)
from .core._estimator import LAM_RAMP_CONSTRAINT, WEIGHT_AVERAGING_CONSTRAINT

__all__ = ["HSICClassifier", "HSICRegressor", "KernelIndependenceObjective"]


class KernelIndependenceObjective(Objective):
    """Penalise the normalised HSIC between z and ``s`` within each batch.

    Parameters
    ----------
    s_dim : int
        Number of groups of a categorical attribute (``s`` holds group codes),
        or of columns of a continuous one (``s`` holds floats).
    categorical : bool, default=True
        Whether ``s`` holds group codes.
    """

    def __init__(self, s_dim, *, categorical=True):
        super().__init__()
        self.s_dim = s_dim
        self.categorical = categorical
        # every batch should hold every group, for the statistic to compare them
        self.stratify_batches = categorical

    graph_capturable = True

    def terms(self):
        return [Term("penalty", self.penalty, weight=LAM, needs_sensitive=True)]

    def penalty(self, step):
        """The normalised HSIC between the batch's z and s."""
        return batch_hsic(step.outputs["z"], step.s, self.s_dim, categorical=self.categorical)


class _HSICParameters(SensitiveTypeMixin):
    """HSIC's parameters and objective, shared by its classifier and regressor."""

    _parameter_constraints = {
        **InvariantEstimatorBase._parameter_constraints,
        **SensitiveTypeMixin._parameter_constraints,
        **WEIGHT_AVERAGING_CONSTRAINT,
        **LAM_RAMP_CONSTRAINT,
    }

    def __init__(
        self,
        lam=1.0,
        *,
        sensitive_type="auto",
        lam_ramp=False,
        weight_averaging=0.0,
        n_components=2,
        hidden_layer_sizes=(64,),
        encoder=None,
        max_epochs=50,
        batch_size=256,
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
        return KernelIndependenceObjective(
            self._sensitive_width(), categorical=self.sensitive_type_ == "categorical"
        )


@fill_doc()
class HSICClassifier(_HSICParameters, InvariantClassifierBase):
    """Classifier whose representation is made independent of ``sensitive`` by a kernel statistic.

    The encoder minimises ``CE(y) + lam * nHSIC(z, s)``, the normalised
    Hilbert-Schmidt independence criterion (Gretton et al., ALT 2005) between
    the batch's representation and attribute: a Gaussian kernel on z
    standardised within the batch (median-heuristic bandwidth), so shrinking
    z cannot lower it, and a delta kernel on group labels (2-D for
    intersectional groups) or a Gaussian kernel on a continuous attribute.
    There is no critic network to fool: the statistic is computed from the
    batch itself. Batches are stratified by (class, group) for group labels.

    The statistic is estimated from one batch: larger batches estimate it
    with less noise and see more of each group, at a cost that grows with the
    square of the batch size. The representation is narrow by default
    (``n_components=2``): with one bandwidth for all of z, the statistic on a
    wide z misses dependence that a fresh probe reads.

    Parameters
    ----------
    {lam_parameter}
    {sensitive_type_parameter}
    {lam_ramp_parameter}
    {weight_averaging_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}
    {sensitive_type_attributes}

    See Also
    --------
    skinvariant.metrics.hsic : The same statistic, measured on any representation.
    HSICRegressor : The same method for a real-valued target.

    Examples
    --------
    >>> from skinvariant import HSICClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(400, random_state=0)
    >>> clf = HSICClassifier(max_epochs=5, random_state=0).fit(X, y, sensitive=s)
    >>> clf.transform(X).shape
    (400, 2)
    """

    def __init__(
        self,
        lam=1.0,
        *,
        sensitive_type="auto",
        lam_ramp=True,
        weight_averaging=0.0,
        n_components=2,
        hidden_layer_sizes=(64,),
        encoder=None,
        class_weight=None,
        max_epochs=50,
        batch_size=256,
        lr=3e-3,
        optimizer="adam",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        cuda_graphs=True,
        random_state=None,
        verbose=0,
    ):
        store_parameters(self, locals())


@fill_doc()
class HSICRegressor(_HSICParameters, InvariantRegressorBase):
    """Regressor whose representation is made independent of ``sensitive`` by a kernel statistic.

    The twin of :class:`HSICClassifier` for a real-valued target: the
    encoder minimises ``E[(y - h(z))^2] + lam * nHSIC(z, s)`` with y
    standardised, the normalised Hilbert-Schmidt independence criterion
    between the batch's representation (standardised, Gaussian kernel) and
    attribute (delta kernel on groups, Gaussian kernel on a quantity). No
    critic network; batches are stratified by group for group labels.

    Parameters
    ----------
    {lam_parameter}
    {sensitive_type_parameter}
    {lam_ramp_parameter}
    {weight_averaging_parameter}
    {common_parameters}

    Attributes
    ----------
    {common_attributes}
    {sensitive_type_attributes}

    See Also
    --------
    HSICClassifier : The same method for class labels.
    skinvariant.metrics.hsic : The same statistic, measured on any representation.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant import HSICRegressor
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 400)
    >>> X = np.c_[rng.normal(size=(400, 2)), s + rng.normal(size=400)]
    >>> y = 3 * X[:, 0] + rng.normal(size=400)
    >>> reg = HSICRegressor(max_epochs=50, random_state=0).fit(X, y, sensitive=s)
    >>> bool(reg.score(X, y) > 0.5)
    True
    """
