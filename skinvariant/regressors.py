"""The public invariant regressors: each is the regression twin of a classifier.

A twin shares its classifier's parameters (but those only classes give a
meaning to: ``class_weight``, ``semantic_alignment``), parameter constraints,
objective and documented parameters; only the head differs (one real output
per target column, trained on the mean squared error of the standardised target, see
:class:`~skinvariant._base.InvariantRegressorBase`). The methods whose idea
does not depend on classes have twins: the adversarial, discriminator-matching,
mutual-information and kernel criteria.
"""

import inspect
import re
import textwrap

from ._base import (
    TARGET_SCALING_DOC,
    InvariantRegressorBase,
    SensitiveTypeMixin,
    fill_placeholders,
)
from .classifiers import (
    AdversarialClassifier,
    HSICClassifier,
    IIDMClassifier,
    MINEDebiasedClassifier,
    adversary_options,
)
from .objectives import DiscriminatorMatchingObjective

__all__ = [
    "AdversarialRegressor",
    "HSICRegressor",
    "IIDMRegressor",
    "MINEDebiasedRegressor",
]

# on docstrings without their indentation, as fill_placeholders leaves them
_SECTION_HEADER = re.compile(r"^(\w[\w ]*)\n-+\n", re.M)
_ENTRY_START = re.compile(r"^(?=\S)", re.M)

# The twins' own text for the entries whose classifier text speaks of classes.
_LAM_DOC = """\
    lam : float, default={default:lam}
        Invariance weight: 0 trains a plain neural regressor; larger values
        trade R^2 for invariance."""

# the classifiers' parameters that only class labels give a meaning to
CLASS_ONLY_PARAMETERS = ("class_weight", "semantic_alignment")


def _section(doc, title):
    """The body of the numpydoc section ``title`` of ``doc``."""
    headers = list(_SECTION_HEADER.finditer(doc))
    for header, following in zip(headers, [*headers[1:], None]):
        if header[1] == title:
            return doc[header.end() : following.start() if following else len(doc)].rstrip()
    raise ValueError(f"the docstring has no {title!r} section")


def _entries(body):
    """``{names: entry}`` of a numpydoc section body, in order."""
    entries = [entry.rstrip() for entry in _ENTRY_START.split(body) if entry.strip()]
    return {entry.split(" : ")[0]: entry for entry in entries}


def regression_twin_doc(classifier, **replaced):
    """Fill a regressor's ``{parameters}`` and ``{attributes}`` from ``classifier``'s docstring.

    The regressor shares the classifier's constructor, so its parameters are
    documented once, in the classifier; ``replaced`` gives, by parameter
    name, the entries whose text differs for regression (``{default:name}``
    becomes the shared default). The attributes lose ``classes_`` and gain
    ``y_mean_`` and ``y_scale_``.
    """

    def decorate(cls):
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(classifier.__init__).parameters.items()
        }
        parameters = _entries(_section(classifier.__doc__, "Parameters"))
        unknown = set(replaced) - set(parameters)
        if unknown:
            raise ValueError(f"{classifier.__name__} documents no parameter {sorted(unknown)}")
        parameters.update({name: textwrap.dedent(text) for name, text in replaced.items()})
        for name in CLASS_ONLY_PARAMETERS:  # a real-valued target has no classes
            parameters.pop(name, None)
        attributes = _entries(_section(classifier.__doc__, "Attributes"))
        del attributes["classes_"]
        doc = fill_placeholders(
            cls.__doc__,
            parameters="\n".join(parameters.values()),
            attributes="\n".join([textwrap.dedent(TARGET_SCALING_DOC), *attributes.values()]),
        )
        cls.__doc__ = re.sub(r"\{default:(\w+)\}", lambda match: repr(defaults[match[1]]), doc)
        return cls

    return decorate


@regression_twin_doc(AdversarialClassifier, lam=_LAM_DOC)
class AdversarialRegressor(InvariantRegressorBase):
    """Regressor whose representation is made invariant by an adversary.

    The twin of :class:`AdversarialClassifier` for a real-valued target: an
    adversary q(s|z) learns to predict the sensitive group from the
    representation z while the encoder learns to predict y and to defeat it,
    ``E[(y - h(z))^2] + lam * log q(s|z)`` with y standardised (AII, Xie et
    al. 2017; gradient reversal, Ganin et al. 2016). The same modes,
    parameters and defaults as the classifier.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

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

    _parameter_constraints = AdversarialClassifier._parameter_constraints

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
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    build_objective = AdversarialClassifier.build_objective
    engine_options = AdversarialClassifier.engine_options


@regression_twin_doc(IIDMClassifier, lam=_LAM_DOC)
class IIDMRegressor(InvariantRegressorBase):
    """Regressor made invariant by discriminator matching (IIDM).

    The twin of :class:`IIDMClassifier` for a real-valued target: an
    adversary q(s|z) is trained as in :class:`AdversarialRegressor`, and
    the adversary's output on a sample of group j is pulled towards its
    moving average on every other group,
    ``E[(y - h(z))^2] + lam * mean KL(softmax(c_j) || q(.|z))`` with y
    standardised (Iwasawa, Akuzawa and Matsuo, IJCAI 2020). IIDM+
    (the classifier's ``semantic_alignment``) needs classes: the regressor
    has no such parameter.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

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

    _parameter_constraints = IIDMClassifier._parameter_constraints

    def __init__(
        self,
        lam=1.0,
        *,
        decay=0.7,
        n_adversary_steps=5,
        gradient_penalty=0.0,
        adversary_hidden_layer_sizes=(100,),
        kernel_penalty=0.0,
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.decay = decay
        self.n_adversary_steps = n_adversary_steps
        self.gradient_penalty = gradient_penalty
        self.adversary_hidden_layer_sizes = adversary_hidden_layer_sizes
        self.kernel_penalty = kernel_penalty
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.encoder = encoder
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
            **adversary_options(self),
        )


@regression_twin_doc(MINEDebiasedClassifier, lam=_LAM_DOC)
class MINEDebiasedRegressor(SensitiveTypeMixin, InvariantRegressorBase):
    """Regressor whose representation carries little mutual information with ``sensitive``.

    The twin of :class:`MINEDebiasedClassifier` for a real-valued target:
    the encoder minimises ``E[(y - h(z))^2] + lam * I_hat(z; s)`` with y
    standardised, where I_hat is the MINE lower bound (Belghazi et al. 2018)
    or the CLUB upper bound (Cheng et al. 2020) of a network trained
    ``n_estimator_steps`` times per encoder step. The attribute may be
    categorical or continuous (``sensitive_type``).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

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

    _parameter_constraints = MINEDebiasedClassifier._parameter_constraints

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
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    build_objective = MINEDebiasedClassifier.build_objective
    mutual_information_ = MINEDebiasedClassifier.mutual_information_


@regression_twin_doc(HSICClassifier, lam=_LAM_DOC)
class HSICRegressor(SensitiveTypeMixin, InvariantRegressorBase):
    """Regressor whose representation is made independent of ``sensitive`` by a kernel statistic.

    The twin of :class:`HSICClassifier` for a real-valued target: the
    encoder minimises ``E[(y - h(z))^2] + lam * nHSIC(z, s)`` with y
    standardised, the normalised Hilbert-Schmidt independence criterion
    between the batch's representation (standardised, Gaussian kernel) and
    attribute (delta kernel on groups, Gaussian kernel on a quantity). No
    critic network; batches are stratified by group for group labels.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

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

    _parameter_constraints = HSICClassifier._parameter_constraints

    def __init__(
        self,
        lam=1.0,
        *,
        sensitive_type="auto",
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
        random_state=None,
        verbose=0,
    ):
        self.lam = lam
        self.sensitive_type = sensitive_type
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.encoder = encoder
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    build_objective = HSICClassifier.build_objective
