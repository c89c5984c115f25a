"""The estimator bases: validation, encoding of y and ``sensitive``, building the
engine, and prediction and representation from it."""

import contextlib
import copy
import functools
import inspect
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
    is_classifier,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..exceptions import DivergenceError, NoInvarianceWarning, warn_at_caller
from ._engine import InvariantNet, softmax
from ._modules import InvariantNetwork, make_mlp
from ._objective import ObjectiveSum
from ._penalty import KernelPenaltyObjective
from ._runtime import OPTIMIZERS, resolve_device, resolve_optimizer, seeded_torch, training_threads
from ._validation import (
    ESTIMATOR_ADVICE,
    check_sensitive_aligned,
    check_transform_output,
    codes_of_known_groups,
    continuous_columns,
    continuous_values,
    group_codes,
    standardize_continuous,
    validate_numeric,
)

KERNEL_PENALTY_CONSTRAINT = {"kernel_penalty": [Interval(Real, 0, None, closed="left")]}
WEIGHT_AVERAGING_CONSTRAINT = {"weight_averaging": [Interval(Real, 0, 1, closed="left")]}
LAM_RAMP_CONSTRAINT = {"lam_ramp": ["boolean"]}

# The head's task loss and its output map, by task: the one place they are
# chosen. A regression head predicts the standardised target, so its mean
# squared error starts near 1 whatever the units of y.
TASK_LOSSES = {
    "classification": {"criterion": nn.CrossEntropyLoss, "predict_nonlinearity": softmax},
    "regression": {"criterion": nn.MSELoss, "predict_nonlinearity": None},
}


# What each call of ``partial_fit`` reads afresh; every other parameter is
# built into the network by the call that builds it.
PARAMS_READ_EACH_CALL = ("lam", "class_weight", "verbose", "transform_output")


def _same_value(old, new):
    """Whether a parameter still holds its value (arrays compared by content)."""
    if old is new:
        return True
    try:
        return bool(old == new)
    except (TypeError, ValueError, RuntimeError):  # arrays and tensors compare elementwise
        return bool(np.array_equal(old, new))


def checked_call(method):
    """Check a public method's arguments, naming the user's class in the ``TypeError``.

    Python would name the base class that defines the method, and say nothing
    of ``sensitive`` given to the wrong method or by position.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as error:
            hint = ""
            if "sensitive" not in signature.parameters and "sensitive" in kwargs:
                hint = " sensitive is only used by fit; do not pass it here."
            elif "sensitive" in signature.parameters and "too many positional" in str(error):
                hint = " Pass the attribute by keyword: fit(X, y, sensitive=s)."
            raise TypeError(f"{type(self).__name__}.{method.__name__}(): {error}.{hint}") from None
        return method(self, *args, **kwargs)

    return wrapper


def store_parameters(estimator, arguments):
    """Keep each ``__init__`` argument as an attribute of the same name, untouched.

    A scikit-learn estimator's ``__init__`` does nothing else; call it first
    thing, as ``store_parameters(self, locals())``.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def check_layer_sizes(name, sizes):
    """Return ``sizes`` (an int or a sequence of ints) as a tuple of positive ints.

    Raises ``ValueError`` naming ``name`` otherwise (bools are not sizes).
    """
    sizes = tuple(np.atleast_1d(sizes).tolist())
    if not all(isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in sizes):
        raise ValueError(
            f"{name} must be a positive int or a tuple of them, e.g. (64,); got {sizes!r}."
        )
    return sizes


def representation_width(encoder, n_features):
    """Return the output width of ``encoder`` on ``(2, n_features)`` zeros."""
    parameter = next(encoder.parameters(), None)
    device = parameter.device if parameter is not None else "cpu"
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.no_grad():
            output = encoder(torch.zeros(2, n_features, device=device))
    except RuntimeError as error:
        raise ValueError(
            f"encoder failed on a batch of shape (2, {n_features}); it must "
            f"accept (n, n_features) float tensors: {error}"
        ) from error
    finally:
        encoder.train(was_training)
    if output.ndim != 2:
        raise ValueError(
            f"encoder must return a 2-D tensor (n, n_components); got shape {tuple(output.shape)}."
        )
    return output.shape[1]


class InvariantEstimatorBase(TransformerMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Base of the invariant estimators: fit, and ``transform`` to the representation.

    Subclasses build their objective (``build_objective``) and may pass options
    to the engine (``engine_options``) or build their own encoder
    (``_build_encoder``).
    """

    # what to do with a continuous attribute, in error messages
    _continuous_sensitive_advice = ESTIMATOR_ADVICE
    # whether the method has anything to do without ``sensitive`` beyond the task loss
    _objective_needs_sensitive = True
    # whether fitting without ``sensitive`` raises a NoInvarianceWarning
    _warns_without_sensitive = True
    # what the head learns, a key of TASK_LOSSES
    _task = "classification"
    # the invariance weights a search over ``lam`` tries when given none
    # (``model_selection.BudgetSearchCV(lams=None)``): from the plain model
    # to weights that trade most of the accuracy away
    lam_grid = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

    # Request ``sensitive`` at class level so metadata routing sends it to ``fit``
    # without turning routing on globally.
    __metadata_request__fit = {"sensitive": True}
    __metadata_request__partial_fit = {"sensitive": True}

    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "encoder": [nn.Module, None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type, functools.partial],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "callbacks": [list, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],  # classifiers only
        "device": [str, torch.device],
        "cuda_graphs": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def build_objective(self, z_dim, n_classes):
        """Return the method's objective, once ``sensitive`` is encoded.

        ``n_classes`` is the number of classes of y, or None for a regressor.
        """
        raise NotImplementedError

    def engine_options(self):
        """Extra keyword arguments for :class:`~skinvariant.core.InvariantNet`."""
        return {}

    # -- fit ----------------------------------------------------------------

    @checked_call
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, sensitive=None, sample_weight=None):
        """Fit the encoder and head, with the representation made invariant to ``sensitive``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training data (encode categorical columns first, e.g. with
            a ``ColumnTransformer`` in a ``Pipeline``); sparse input is densified.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            The attribute the representation must not carry: group labels
            (int, str, bool, categorical); 2-D means intersectional groups
            (each unique row is one group); continuous values where the
            estimator accepts them (``MINEDebiasedClassifier``). Without it no
            invariance is enforced and a ``NoInvarianceWarning`` is raised.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the task loss (multiplied by
            the ``class_weight`` of its class); see ``class_weight``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._forget_fit()  # a failed refit must not leave the old model
        inputs, target, X = self._training_inputs(X, y, sensitive, sample_weight, reset=True)
        self.device_ = resolve_device(self.device)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with seeded_torch(seed, self.device_), training_threads(self.device_):
            net = self._build_net(X, "sensitive" in inputs)
            with self._unfitted_on_failure(net, first=True):
                net.fit(inputs, target)
        self.net_ = net
        self._params_at_build = self.get_params(deep=False)
        self.history_ = net.history
        return self

    @checked_call
    def partial_fit(self, X, y, *, sensitive=None, classes=None, sample_weight=None):
        """Train for one pass over the rows given, continuing from the previous call.

        The first call (on an unfitted estimator) fixes the classes, the
        groups of ``sensitive`` and the input checks, builds the network and
        lets the objective initialise itself on these rows; each later call
        (or a call after :meth:`fit`) takes one more epoch over its rows
        with the optimizers' and auxiliary networks' state kept, at the
        current ``lam`` and ``class_weight`` (``set_params(lam=...)`` between
        calls, e.g. to warm start along a path of ``lam``). Any other
        parameter set since the network was built raises a ``ValueError``:
        the network holds the values it was built with, and :meth:`fit`
        rebuilds it. Training schedules (``lam_ramp``) count the calls
        against ``max_epochs``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of the training data.
        y : array-like of shape (n_samples,)
            Its class labels.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Its attribute. Every group must occur in the first chunk; a
            group seen later for the first time raises a ``ValueError``.
        classes : array-like of shape (n_classes,), default=None
            Every class of y, required on a classifier's first call (a chunk
            may lack some; a transformer takes the first chunk's classes);
            on a later call, if given, it must name the same classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row of the chunk in the task loss, taken as given
            (``fit`` rescales its weights to average 1; here they are not
            rescaled per chunk, so that weights compare across chunks).
            ``class_weight`` must be a dict here: "balanced" would weigh each
            chunk differently.

        Returns
        -------
        self : object
            The estimator, trained one more pass.

        Raises
        ------
        DivergenceError
            When the pass diverges; the estimator is then left unfitted,
            whatever earlier calls trained (the network they trained is
            broken too), and the error's ``history`` holds the run.
        """
        return self._partial_fit(X, y, sensitive, sample_weight, classes=classes)

    def _partial_fit(self, X, y, sensitive, sample_weight, classes=None):
        first = not hasattr(self, "net_")
        self._validate_params()
        if not first:
            self._check_params_since_build()
            _check_same_classes(classes, getattr(self, "classes_", None))
        if getattr(self, "class_weight", None) == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: it would weigh "
                "each chunk by its own class shares. Give class_weight as a dict of "
                "weights computed on all rows (sklearn.utils.class_weight.compute_class_weight)."
            )
        inputs, target, X = self._training_inputs(
            X, y, sensitive, sample_weight, reset=first, classes=classes, incremental=True
        )
        if first:
            self.device_ = resolve_device(self.device)
        if first or not hasattr(self, "_partial_fit_seeds_"):  # the first call, or after fit
            self._partial_fit_seeds_ = check_random_state(self.random_state)
        seed = self._partial_fit_seeds_.randint(np.iinfo(np.int32).max)
        with seeded_torch(seed, self.device_), training_threads(self.device_):
            net = (
                self._build_net(X, "sensitive" in inputs, incremental=True) if first else self.net_
            )
            with self._unfitted_on_failure(net, first):
                if first:
                    self.net_, self._params_at_build = net, self.get_params(deep=False)
                net.lam = self.lam  # set_params(lam=...) between calls weighs the next pass
                net.verbose = self.verbose
                net.partial_fit(inputs, target, epochs=1)
        self.history_ = self.net_.history
        return self

    @contextlib.contextmanager
    def _unfitted_on_failure(self, net, first):
        """Leave the estimator unfitted when training ``net`` fails.

        On a :class:`DivergenceError` (the network is broken; the error gets
        the run's ``history``) and on any error of a first call (the network
        is untrained). A later call that fails otherwise keeps the model.
        """
        try:
            yield
        except DivergenceError as error:
            error.history = net.history
            self._forget_fit()
            raise
        except Exception:
            if first:
                self._forget_fit()
            raise

    def _forget_fit(self):
        """Leave the estimator unfitted: no network, history or partial_fit state."""
        for name in ("net_", "history_", "_params_at_build", "_partial_fit_seeds_"):
            self.__dict__.pop(name, None)

    def _check_params_since_build(self):
        """Refuse parameters set since the network was built, other than those each call reads."""
        changed = [
            name
            for name, value in self.get_params(deep=False).items()
            if name not in PARAMS_READ_EACH_CALL
            and not _same_value(value, self._params_at_build[name])
        ]
        if changed:
            raise ValueError(
                f"{', '.join(changed)} changed since the network was built, and partial_fit "
                f"cannot apply {'it' if len(changed) == 1 else 'them'} to a built network (it "
                f"applies only {', '.join(PARAMS_READ_EACH_CALL)}). Call fit to rebuild the "
                "network with the new values, or set them back to continue training."
            )

    def _training_inputs(
        self, X, y, sensitive, sample_weight, *, reset, classes=None, incremental=False
    ):
        """The engine's inputs and target for ``fit`` or a chunk of ``partial_fit``, and X."""
        check_sensitive_aligned(sensitive, X=X, y=y)  # before X loses its index
        X, y = self._validate_training_data(
            X, y, reset=reset, classes=classes, incremental=incremental
        )
        target = self._encode_target(y, reset=reset)
        sensitive_codes = self._encode_sensitive(sensitive, len(X), reset=reset)
        row_weights = self._row_weights(sample_weight, y, rescale=not incremental)
        inputs = {"X": X}
        if sensitive_codes is not None:
            inputs["sensitive"] = sensitive_codes
        if row_weights is not None:
            inputs["sample_weight"] = row_weights
        return inputs, target, X

    def _validate_training_data(self, X, y, *, reset=True, classes=None, incremental=False):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None: its representation is trained to predict y."
            )
        X, y = self._validate_numeric(X, y=y, reset=reset)
        check_classification_targets(y)
        if not reset:
            _check_known_classes(y, self.classes_)
            return X, y
        if classes is not None:
            self.classes_ = np.unique(classes)
            _check_known_classes(y, self.classes_)
        elif incremental and is_classifier(self):  # a transformer takes the first chunk's
            raise ValueError(
                "classes must be given on the first call to partial_fit, e.g. "
                "classes=np.unique(y_all): a chunk may lack some classes."
            )
        else:
            self.classes_ = np.unique(y)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"y has only {n_classes} class; a classifier needs at least 2 "
                "classes in the training data."
            )
        return X, y

    def _row_weights(self, sample_weight, y, rescale=True):
        """Each row's weight in the task loss, or None for equal weights.

        ``rescale`` scales them to average 1 (``fit``); ``partial_fit`` keeps
        them as given, so that they compare across chunks. Only the task
        loss is weighted: the invariance terms are taken over the rows as
        they come, since the weights say what the prediction should favour,
        not from which population ``s`` must be hidden.
        """
        class_weight = getattr(self, "class_weight", None)  # classifiers only
        if sample_weight is None and class_weight is None:
            return None
        weights = (
            np.ones(len(y))
            if sample_weight is None
            else checked_sample_weight(sample_weight, len(y))
        )
        if class_weight is not None:
            weights = weights * compute_sample_weight(class_weight, y)
        if not weights.sum() > 0:
            raise ValueError(
                "sample_weight (times class_weight) is zero for every row: at "
                "least one row must have a positive weight."
            )
        return (weights / weights.mean() if rescale else weights).astype(np.float32)

    def _encode_target(self, y, *, reset=True):
        """What the head trains on: the codes of y among ``classes_`` (set in validation)."""
        return np.searchsorted(self.classes_, y)

    def _n_outputs(self):
        """Width of the head's output: one logit per class."""
        return len(self.classes_)

    def _validate_numeric(self, X, y="no_validation", reset=False, **target_options):
        validated = validate_numeric(
            self, X, y=y, reset=reset, dtype=np.float32, accept_sparse=True, **target_options
        )
        # one-hot encoders emit sparse matrices; the network needs dense rows
        if isinstance(validated, tuple):
            return _dense(validated[0]), validated[1]
        return _dense(validated)

    def _encode_sensitive(self, sensitive, n_samples, *, reset=True):
        """Codes of ``sensitive``; ``reset`` fixes its groups, else those fixed are used."""
        if not reset:
            return self._encode_sensitive_of_chunk(sensitive, n_samples)
        if sensitive is None and not self._warns_without_sensitive:
            self.sensitive_groups_ = None
            return None
        if sensitive is None:
            warn_at_caller(
                f"{type(self).__name__}.fit was called without sensitive=...: no invariance "
                "is enforced and the model is a plain neural network. Pass "
                "fit(X, y, sensitive=s) (with routing: enable_metadata_routing).",
                NoInvarianceWarning,
            )
            self.sensitive_groups_ = None
            return None
        codes, groups = group_codes(
            sensitive,
            n_samples,
            advice=self._continuous_sensitive_advice,
            compared_by="invariance in the training data",
        )
        self.sensitive_groups_ = groups
        return codes

    def _encode_sensitive_of_chunk(self, sensitive, n_samples):
        """Codes of a later chunk's ``sensitive`` among the groups the first call fixed."""
        if sensitive is None:
            if self._fitted_with_sensitive():
                warn_at_caller(
                    f"{type(self).__name__}.partial_fit was called without sensitive=...: "
                    "only the terms that need no sensitive train on this chunk.",
                    NoInvarianceWarning,
                )
            return None
        if not self._fitted_with_sensitive():
            raise ValueError(
                "partial_fit received sensitive, but the first call had none and built a "
                "model without invariance terms; pass sensitive from the first call on."
            )
        return self._chunk_sensitive_codes(sensitive, n_samples)

    def _fitted_with_sensitive(self):
        return self.sensitive_groups_ is not None

    def _chunk_sensitive_codes(self, sensitive, n_samples):
        return codes_of_known_groups(sensitive, self.sensitive_groups_, n_samples)

    def _build_net(self, X, with_invariance, incremental=False):
        network = self._build_network(X)
        classification = self._task == "classification"
        objective = None  # the task loss alone
        if with_invariance or not self._objective_needs_sensitive:
            objective = self._with_kernel_penalty(
                self.build_objective(
                    self.n_components_, len(self.classes_) if classification else None
                )
            )
        optimizer = resolve_optimizer(self.optimizer)
        return InvariantNet(
            network,
            objective=objective,
            lam=self.lam,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            device=self.device_,
            cuda_graphs=self.cuda_graphs,
            callbacks=copy.deepcopy(self.callbacks),
            verbose=self.verbose,
            validation_fraction=self.validation_fraction,
            classification=classification,
            class_labels=self.classes_.tolist() if classification else None,
            **TASK_LOSSES[self._task],
            **self.engine_options(),
            # only some estimators offer these two
            lam_ramp=getattr(self, "lam_ramp", False),
            callbacks__weight_averaging__decay=getattr(self, "weight_averaging", 0.0),
            # one chunk's single epoch says nothing of a collapse
            **({"callbacks__collapse_warning": None} if incremental else {}),
        )

    def _with_kernel_penalty(self, objective):
        """``objective`` plus the kernel term, for estimators with a ``kernel_penalty`` > 0."""
        weight = getattr(self, "kernel_penalty", 0.0)  # only some estimators offer it
        if not weight:
            return objective
        return ObjectiveSum(
            objective,
            KernelPenaltyObjective(
                self._sensitive_width(), categorical=self._sensitive_is_categorical(), weight=weight
            ),
        )

    def _sensitive_width(self):
        """Number of groups of the encoded ``sensitive``."""
        return len(self.sensitive_groups_)

    def _sensitive_is_categorical(self):
        """Whether the encoded ``sensitive`` holds group codes."""
        return True

    def _build_network(self, X):
        encoder, self.n_components_ = self._build_encoder(X.shape[1])
        return InvariantNetwork(encoder, self.n_components_, self._n_outputs())

    def _build_encoder(self, n_features):
        """Return the encoder module and the width of the representation it gives."""
        if self.encoder is None:
            sizes = check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)
            return make_mlp(n_features, sizes, self.n_components), self.n_components
        encoder = copy.deepcopy(self.encoder)
        return encoder, representation_width(encoder, n_features)

    # -- transform ----------------------------------------------------------------

    @checked_call
    def transform(self, X):
        """Return the invariant representation ``z`` of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components_)
        """
        return self._represent(X).numpy().astype(np.float64)

    def _represent(self, X):
        """The network's ``represent(X)`` as a CPU tensor, after the input checks."""
        check_is_fitted(self)
        return self.net_.represent(self._validate_numeric(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True  # the representation is trained to predict y
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:  # skorch maps a CUDA model to the CPU where CUDA is absent
            self.device_ = str(self.net_.device)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    @property
    def _n_features_out(self):
        return self.n_components_


class SensitiveTypeMixin:
    """Read ``sensitive`` as group labels or as a continuous attribute (``sensitive_type``).

    Continuous columns are standardised; the decision is kept in
    ``sensitive_type_``, the standardisation in ``sensitive_mean_`` and
    ``sensitive_scale_``.
    """

    _parameter_constraints = {"sensitive_type": [StrOptions({"auto", "categorical", "continuous"})]}
    _continuous_sensitive_advice = "pass sensitive_type='continuous'"

    def _encode_sensitive(self, sensitive, n_samples, *, reset=True):
        if not reset:
            return super()._encode_sensitive(sensitive, n_samples, reset=False)
        self.sensitive_mean_ = self.sensitive_scale_ = None
        continuous = self.sensitive_type == "continuous" or (
            self.sensitive_type == "auto"
            and sensitive is not None
            and bool(continuous_columns(sensitive))
        )
        if sensitive is None or not continuous:
            codes = super()._encode_sensitive(sensitive, n_samples)
            self.sensitive_type_ = "categorical"
            return codes
        values, self.sensitive_mean_, self.sensitive_scale_ = standardize_continuous(
            sensitive, n_samples
        )
        self.sensitive_type_ = "continuous"
        self.sensitive_groups_ = None
        return values

    def _fitted_with_sensitive(self):
        return self.sensitive_type_ == "continuous" or super()._fitted_with_sensitive()

    def _chunk_sensitive_codes(self, sensitive, n_samples):
        if self.sensitive_type_ == "categorical":
            return super()._chunk_sensitive_codes(sensitive, n_samples)
        values = continuous_values(sensitive, n_samples, advice="pass sensitive_type='categorical'")
        return ((values - self.sensitive_mean_) / self.sensitive_scale_).astype(np.float32)

    def _sensitive_width(self):
        """Number of groups, or of continuous columns, of the encoded ``sensitive``."""
        if self.sensitive_type_ == "categorical":
            return len(self.sensitive_groups_)
        return len(self.sensitive_mean_)

    def _sensitive_is_categorical(self):
        return self.sensitive_type_ == "categorical"


class TwoBlockRepresentationMixin(TransformerMixin):
    """A representation [first block, second block] that the network maps back to inputs.

    Subclasses set ``_block_names`` (the ``transform_output`` values for the
    first block, the second and both) and ``_first_block_width()``; the
    network has ``inverse(z)``.
    """

    _block_names = ("first", "second", "both")

    def _first_block_width(self):
        raise NotImplementedError

    def _blocks(self):
        first, second, both = self._block_names
        width = self._first_block_width()
        return {first: slice(0, width), second: slice(width, None), both: slice(None)}

    def _chosen_block(self):
        """The columns of the representation that ``transform_output`` names."""
        check_transform_output(self)
        return self._blocks()[self.transform_output]

    @checked_call
    def transform(self, X):
        """Return the block of the representation that ``transform_output`` names.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components_)
        """
        block = self._represent(X)[:, self._chosen_block()]
        return block.numpy().astype(np.float64)

    @property
    def _n_features_out(self):
        """Width of what ``transform`` gives with the current ``transform_output``."""
        return len(range(self.n_latent_)[self._chosen_block()])

    @property
    def n_components_(self):
        """Width of what ``transform`` gives, following ``transform_output``."""
        return self._n_features_out

    def get_feature_names_out(self, input_features=None):
        """Names of the columns ``transform`` gives, each named after its block.

        Parameters
        ----------
        input_features : None
            Unused; the names depend on the representation only.

        Returns
        -------
        ndarray of str, e.g. ``invertibleclassifier_logits0``, ...,
        ``invertibleclassifier_nuisance0``, ...
        """
        check_is_fitted(self)
        prefix, (first, second, _) = type(self).__name__.lower(), self._block_names
        width = self._first_block_width()
        names = [f"{prefix}_{first}{i}" for i in range(width)]
        names += [f"{prefix}_{second}{i}" for i in range(self.n_latent_ - width)]
        return np.asarray(names[self._chosen_block()], dtype=object)

    @checked_call
    def inverse_transform(self, Z):
        """Map representations back to inputs.

        ``Z`` is what ``transform`` gives: the block that ``transform_output``
        names, or both blocks. A block alone is inverted with the other block
        at its prior mean, 0, as PCA's ``inverse_transform`` fills the
        components it left out with their mean.

        Parameters
        ----------
        Z : array-like of shape (n_samples, width)
            ``width`` is the block's, as ``transform`` gives it, or
            ``n_latent_`` for both blocks.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float32)
        block = self._chosen_block()
        if Z.ndim != 2 or Z.shape[1] not in (self._n_features_out, self.n_latent_):
            raise ValueError(
                f"Z must have shape (n_samples, {self._n_features_out}), as transform gives "
                f"with transform_output={self.transform_output!r}, or (n_samples, "
                f"{self.n_latent_}), both blocks; got shape {Z.shape}."
            )
        if Z.shape[1] != self.n_latent_:
            full = np.zeros((len(Z), self.n_latent_), dtype=np.float32)
            full[:, block] = Z
            Z = full
        return self._invert(torch.from_numpy(Z))

    def _invert(self, Z):
        net = self.net_
        inputs = net.forward_all(net.get_dataset(Z), net.module_.inverse)
        return inputs.cpu().numpy().astype(np.float64)

    def _combine(self, X_first, X_second, names):
        """Invert [first block of ``X_first``, second block of ``X_second``], row by row."""
        first, second = self._represent(X_first), self._represent(X_second)
        if len(first) != len(second):
            raise ValueError(
                f"{names[0]} and {names[1]} must have as many rows; got "
                f"{len(first)} and {len(second)}."
            )
        width = self._first_block_width()
        return self._invert(torch.cat([first[:, :width], second[:, width:]], dim=1))


class InvariantClassifierBase(ClassifierMixin, InvariantEstimatorBase):
    """Base of the invariant classifiers: the estimator base plus predictions of its head."""

    @checked_call
    def predict_proba(self, X):
        """Return class probabilities, one column per entry of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = self._validate_numeric(X)
        proba = self.net_.predict_proba(X).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)  # rows of 1 in float64, not float32

    @checked_call
    def predict(self, X):
        """Return the predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]


class InvariantRegressorBase(RegressorMixin, InvariantEstimatorBase):
    """Base of the invariant regressors: a real-valued head on the representation.

    The head has one output per target column and is trained on the mean
    squared error of the standardised target (``y_mean_``, ``y_scale_``), so
    the learning rate, the loss scale and the divergence checks are the same
    whatever the units of y; ``predict`` returns the original units and
    ``score`` the coefficient of determination R^2 (from ``RegressorMixin``).
    """

    _task = "regression"

    @checked_call
    def fit(self, X, y, *, sensitive=None, sample_weight=None):
        """Fit the encoder and head, with the representation made invariant to ``sensitive``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training data (encode categorical columns first, e.g. with
            a ``ColumnTransformer`` in a ``Pipeline``); sparse input is densified.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Real-valued target; 2-D for several targets, learned by one head
            with one output per column. Integers are read as quantities.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            The attribute the representation must not carry: group labels
            (int, str, bool, categorical); 2-D means intersectional groups
            (each unique row is one group); continuous values where the
            estimator accepts them (``MINEDebiasedRegressor``,
            ``HSICRegressor``). Without it no invariance is enforced and a
            ``NoInvarianceWarning`` is raised.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the task loss (the weighted
            mean squared error); the invariance terms are not weighted.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sensitive=sensitive, sample_weight=sample_weight)

    @checked_call
    def partial_fit(self, X, y, *, sensitive=None, sample_weight=None):
        """Train for one pass over the rows given, continuing from the previous call.

        The first call (on an unfitted estimator) fixes the target's
        standardisation (``y_mean_``, ``y_scale_``), the groups or the
        standardisation of ``sensitive`` and the input checks, builds the
        network and lets the objective initialise itself on these rows; each
        later call takes one more epoch over its rows with the optimizers'
        and auxiliary networks' state kept, at the current ``lam``
        (``set_params(lam=...)`` between calls). Training schedules count the
        calls against ``max_epochs``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of the training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its real-valued target.
        sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Its attribute. Every group must occur in the first chunk; a
            group seen later for the first time raises a ``ValueError``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row of the chunk in the task loss.

        Returns
        -------
        self : object
            The estimator, trained one more pass.
        """
        return self._partial_fit(X, y, sensitive, sample_weight)

    def _validate_training_data(self, X, y, *, reset=True, classes=None, incremental=False):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None: its representation is trained to predict y."
            )
        y = _real_target(y, type(self).__name__)
        return self._validate_numeric(X, y=y, reset=reset, multi_output=True, y_numeric=True)

    def _encode_target(self, y, *, reset=True):
        y = y.reshape(len(y), -1)
        if not reset:
            if y.shape[1] != len(self.y_mean_):
                raise ValueError(
                    f"y has {y.shape[1]} columns where the first call to partial_fit had "
                    f"{len(self.y_mean_)}."
                )
            return ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        self.y_mean_ = y.mean(axis=0)
        scale = y.std(axis=0)
        # a constant column keeps its units; y is centred in float64 first, so a
        # spread tiny beside the mean is still a spread
        self.y_scale_ = np.where(
            scale > 1e3 * np.finfo(np.float64).eps * np.abs(self.y_mean_), scale, 1.0
        )
        return ((y - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _n_outputs(self):
        """Width of the head's output: one per target column."""
        return len(self.y_mean_)

    @checked_call
    def predict(self, X):
        """Return the predicted target, in the units of the ``y`` given to ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D when ``fit`` received one target column.
        """
        check_is_fitted(self)
        X = self._validate_numeric(X)
        standardised = self.net_.predict(X).astype(np.float64)
        predictions = standardised * self.y_scale_ + self.y_mean_
        return predictions.ravel() if predictions.shape[1] == 1 else predictions

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _check_same_classes(classes, known):
    """Refuse a later ``partial_fit``'s ``classes`` that differ from the first call's."""
    if classes is None or known is None:
        return
    if not np.array_equal(np.unique(classes), known):
        raise ValueError(
            f"classes={np.unique(classes).tolist()} differs from the classes "
            f"{known.tolist()} fixed by the first call to partial_fit; call fit to "
            "start again with other classes."
        )


def _check_known_classes(y, classes):
    """Refuse labels of ``y`` outside ``classes``, naming them."""
    unseen = np.setdiff1d(np.unique(y), classes)
    if len(unseen):
        raise ValueError(
            f"y holds classes {unseen[:5].tolist()} not in classes={classes.tolist()}, "
            "fixed by the first call to partial_fit; give every class there."
        )


def _real_target(y, estimator_name):
    """``y`` as a float64 array of 1 or 2 dimensions; a ``ValueError`` naming y otherwise."""
    values = np.asarray(y)
    if values.dtype.kind == "c":
        raise ValueError(
            "Complex data not supported: y holds complex numbers; a regressor "
            "needs real-valued targets."
        )
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"y must be numeric for {estimator_name}, a regressor ({error}); for class "
            "labels use the classifier of the same method (e.g. IIDMClassifier), or map "
            "them to numbers first."
        ) from error
    if values.ndim not in (1, 2):
        raise ValueError(
            f"y must be 1-D (one target) or 2-D (n_samples, n_targets); got "
            f"an array with {values.ndim} dimensions."
        )
    return values


def _dense(X):
    """``X`` as a dense array (sparse one-hot encodings are densified)."""
    return X.toarray() if sp.issparse(X) else X


def checked_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of ``n_samples`` finite, non-negative weights."""
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"sample_weight must be numeric ({error}).") from error
    if weights.ndim == 0:
        raise ValueError(
            "sample_weight must hold one weight per row of X; got a scalar. "
            "Pass e.g. np.full(len(X), w), or nothing for equal weights."
        )
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weights.shape} but X has {n_samples} "
            "rows; pass one weight per row, sliced like X."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(
            "sample_weight must be finite and non-negative; got NaN, infinite or negative weights."
        )
    return weights
