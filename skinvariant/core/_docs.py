"""The parameter and attribute descriptions that the estimators share, and ``fill_doc``."""

import inspect
import re
import textwrap

ENCODER_PARAMETERS_DOC = """\
    n_components : int, default={default:n_components}
        Width of the representation returned by ``transform``, when the
        default encoder is used. A narrow representation is easier to make
        invariant: each extra dimension is one more place to hide the attribute.
    hidden_layer_sizes : int or tuple of int, default={default:hidden_layer_sizes}
        Hidden layers of the default MLP encoder.
    encoder : torch.nn.Module, default=None
        Your own encoder mapping ``(n, n_features)`` float tensors to
        ``(n, k)``; it replaces the default MLP (``hidden_layer_sizes`` and
        ``n_components`` are then unused, except with ``freeze_encoder``
        where an estimator has it; ``n_components_`` gives ``k``). It is
        copied at ``fit``, so the module you pass is never changed."""

TRAINING_PARAMETERS_DOC = """\
    max_epochs : int, default={default:max_epochs}
        Passes over the training data.
    batch_size : int, default={default:batch_size}
        Rows per training step.
    lr : float, default={default:lr}
        Learning rate of every optimizer.
    optimizer : {"rmsprop", "adam", "adamw", "sgd"}, torch optimizer class or partial, default={default:optimizer}
        Optimizer of the encoder/head and of the auxiliary networks: a name,
        a ``torch.optim.Optimizer`` subclass, or a ``functools.partial`` of
        one with its options (e.g. ``partial(torch.optim.Adam, weight_decay=1e-4)``).
        ``torch.optim.LBFGS`` is refused: it needs a closure over the whole loss.
    validation_fraction : float, default=None
        Share of the training rows held out (stratified by ``y`` for a
        classifier) to record ``valid_loss``, the whole objective on those
        rows (which skorch's ``EarlyStopping`` and ``Checkpoint`` monitor by
        default), and its task part ``valid_task_loss``.
    callbacks : list of skorch callbacks, default=None
        Handed to the skorch net (e.g. ``ProgressBar()``, ``EarlyStopping()``,
        ``LRScheduler(...)``). They are copied at ``fit``.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when available, else on the CPU.
    cuda_graphs : bool, default=True
        On a CUDA device, capture each training step (the auxiliary networks'
        steps, the buffer updates and the encoder/head step) in a CUDA graph
        once per batch size and replay it, rather than launch its kernels one
        by one from Python (see *Getting started*, "On a GPU"). Objectives that
        are not written for graphs train eagerly, with a warning. False
        trains eagerly. Ignored on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order and the validation split; an int makes two
        fits identical on the same device. The global torch RNG is left as it was.
    verbose : int, default=0
        1 prints a table of the training losses per epoch."""

CLASS_WEIGHT_DOC = """\
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the task loss, ``{label: weight}``, or
        ``"balanced"`` for ``n_samples / (n_classes * count)``, as in
        scikit-learn's classifiers; multiplied with ``fit``'s
        ``sample_weight``. Only the task loss is weighted: the invariance
        terms are taken over the rows as they come. Use it when a minority
        class is dropped from the predictions (``fit`` warns)."""

CLASSES_DOC = """\
    classes_ : ndarray of shape (n_classes,)
        Class labels."""

TARGET_SCALING_DOC = """\
    y_mean_ : ndarray of shape (n_targets,)
        Mean of each target column in ``fit``; the head is trained on the
        standardised target and ``predict`` maps back to the units of y.
    y_scale_ : ndarray of shape (n_targets,)
        Standard deviation of each target column (1 for a constant column)."""

REPRESENTATION_ATTRIBUTES_DOC = """\
    sensitive_groups_ : list or None
        Sensitive groups seen in ``fit`` (tuples for 2-D ``sensitive``); None
        when fitted without ``sensitive``.
    n_components_ : int
        Width of the representation.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string column names.
    device_ : str
        Device the model is on (the training device; "cpu" once a model
        trained on CUDA is unpickled where CUDA is absent).
    history_ : skorch.History
        Per-epoch records: ``train_loss`` (the total), ``train_task_loss``,
        ``train_penalty`` (unweighted), ``train_<network>_loss`` (an auxiliary
        network's own loss: ``train_adversary_loss``, ``train_mi_network_loss``),
        the objective's monitor (``train_adversary_acc``, ``train_mi_estimate``
        or ``train_unpaired_fraction``), ``train_z_mean_square`` (the scale of
        z), ``valid_loss`` and ``valid_<term>`` (with ``validation_fraction``),
        ``dur``; each term also per batch, in ``history_[-1, "batches"]``.
    net_ : skinvariant.core.InvariantNet
        The trained skorch net."""


KERNEL_PENALTY_DOC = """\
    kernel_penalty : float, default={default:kernel_penalty}
        Weight, relative to ``lam``, of a kernel independence term added to
        the method's own: ``lam * kernel_penalty * nHSIC(z, s)`` on the batch
        (as in :class:`~skinvariant.HSICClassifier`; recorded as
        ``train_hsic``), or on 512 of its rows drawn at random when it has
        more, so that the term's cost, the square of its rows, stays bounded
        at large batches. It has no network to fool. 0 leaves the method as
        its paper has it."""

WEIGHT_AVERAGING_DOC = """\
    weight_averaging : float in [0, 1), default={default:weight_averaging}
        Decay of an exponential moving average of the encoder's and head's
        weights over epochs: after each epoch ``average = weight_averaging *
        average + (1 - weight_averaging) * weights``, and ``predict`` and
        ``transform`` use the average (training resumes from the trained
        weights, as in ``partial_fit``). It smooths the oscillation of the
        game between the encoder and its critic or estimator, which a fresh
        probe reads in the last epoch's weights. 0 uses the last epoch's
        weights."""

LAM_RAMP_DOC = """\
    lam_ramp : bool, default={default:lam_ramp}
        Ramp the invariance weight from 0 to ``lam`` as ``lam * (2 / (1 +
        exp(-10 p)) - 1)`` over the training progress p from 0 to 1 (Ganin et
        al., JMLR 2016): the head learns y before the penalty takes hold,
        reaching half of ``lam`` a tenth of the way through ``max_epochs``."""

LAM_DOC = {
    "classification": """\
    lam : float, default={default:lam}
        Invariance weight: 0 trains a plain neural classifier; larger values
        trade accuracy for invariance.""",
    "regression": """\
    lam : float, default={default:lam}
        Invariance weight: 0 trains a plain neural regressor; larger values
        trade R^2 for invariance.""",
}

SENSITIVE_TYPE_DOC = """\
    sensitive_type : {"auto", "categorical", "continuous"}, default={default:sensitive_type}
        How to read ``sensitive``; ``"auto"`` treats non-integer floats as
        continuous and anything else as group labels. A 2-D ``sensitive``
        with one continuous column is continuous in every column (a 0/1
        column is then a number, standardised like the others). The decision
        is stored in ``sensitive_type_``."""

SENSITIVE_TYPE_ATTRIBUTES_DOC = """\
    sensitive_type_ : {"categorical", "continuous"}
        How ``sensitive`` was read.
    sensitive_mean_, sensitive_scale_ : ndarray of shape (n_attributes,)
        Standardisation of a continuous ``sensitive``; None for groups."""


def fill_placeholders(doc, **texts):
    """The docstring ``doc``, its indentation removed, each line ``{name}`` replaced by ``texts[name]``.

    Docstrings are compared without their common indentation (which Python
    3.13 strips at compile time, and formatters move), so a placeholder
    stands alone on its line and each text is inserted dedented.
    """
    doc = inspect.cleandoc(doc)
    for name, text in texts.items():
        dedented = textwrap.dedent(text)
        doc = re.sub(rf"^\{{{name}\}}$", lambda _, text=dedented: text, doc, flags=re.M)
    return doc


def fill_doc(**texts):
    """Class decorator: fill a docstring's placeholders with the shared descriptions.

    A placeholder is a line ``{name}`` of the docstring: ``lam_parameter``,
    ``common_parameters`` (encoder and training), ``training_parameters``,
    ``kernel_penalty_parameter``, ``lam_ramp_parameter``, ``weight_averaging_parameter``,
    ``sensitive_type_parameter``,
    ``common_attributes`` and ``sensitive_type_attributes``, each in the
    class's task (a classifier documents ``class_weight`` and ``classes_``
    when its ``__init__`` has them, a regressor ``y_mean_`` and
    ``y_scale_``), or one of ``texts`` (a method's own parameters, given
    once for its classifier and regressor). ``{default:name}`` becomes the
    default of ``name`` in the class's own ``__init__``.
    """

    def decorate(cls):
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(cls.__init__).parameters.items()
        }
        task = getattr(cls, "_task", "classification")
        training = TRAINING_PARAMETERS_DOC
        if "class_weight" in defaults:
            training = CLASS_WEIGHT_DOC + "\n" + training
        target = CLASSES_DOC if task == "classification" else TARGET_SCALING_DOC
        doc = fill_placeholders(cls.__doc__, **texts)  # which may hold shared placeholders
        doc = fill_placeholders(
            doc,
            lam_parameter=LAM_DOC[task],
            common_parameters=ENCODER_PARAMETERS_DOC + "\n" + training,
            training_parameters=training,
            kernel_penalty_parameter=KERNEL_PENALTY_DOC,
            lam_ramp_parameter=LAM_RAMP_DOC,
            weight_averaging_parameter=WEIGHT_AVERAGING_DOC,
            sensitive_type_parameter=SENSITIVE_TYPE_DOC,
            common_attributes=target + "\n" + REPRESENTATION_ATTRIBUTES_DOC,
            sensitive_type_attributes=SENSITIVE_TYPE_ATTRIBUTES_DOC,
        )
        unfilled = re.findall(r"^\{(\w+)\}$", doc, flags=re.M)
        if unfilled:
            raise ValueError(f"{cls.__name__}'s docstring has unknown placeholders {unfilled}")
        cls.__doc__ = re.sub(r"\{default:(\w+)\}", lambda match: repr(defaults[match[1]]), doc)
        return cls

    return decorate
