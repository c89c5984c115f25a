"""How much a representation reveals ``sensitive``: fresh probes on held-out rows
(:func:`sensitive_leakage`, :func:`continuous_leakage`), the probe estimate of
H(s | z) and the re-attachment test.
"""

from contextlib import nullcontext

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch, check_array, column_or_1d
from sklearn.utils.multiclass import type_of_target
from threadpoolctl import threadpool_limits

from skinvariant.core._validation import (
    as_frame,
    check_sensitive_aligned,
    continuous_values,
    group_codes,
)

from ._groups import CONTINUOUS_ADVICE, PROBABILITY_FLOOR


def _default_probe(random_state):
    """Return the classifier that reads ``sensitive`` from a representation.

    Gradient-boosted trees read non-linear leakage (interactions such as XOR,
    radial boundaries) without feature scaling and fit 20k x 20 in about a
    second on one thread; early stopping on a validation split keeps their
    probabilities calibrated enough for a cross-entropy, so an independent
    ``Z`` scores close to log K instead of overfitting noise. An MLP reads
    oblique boundaries slightly better but is several times slower.
    """
    return HistGradientBoostingClassifier(early_stopping=True, random_state=random_state)


def _default_probes(random_state):
    """The fresh probes of :func:`sensitive_leakage`, whose strongest reading is reported.

    A linear model reads linear leakage, boosted trees read interactions and
    radial boundaries without scaling, an MLP reads oblique non-linear
    boundaries: each misses what another reads.

    The MLP's early stopping waits 20 epochs (scikit-learn's default is 10)
    at a learning rate of 3e-3 (default 1e-3): on a representation whose
    leakage is non-linear, validation accuracy stays at chance for the first
    epochs, and with the defaults the probe stopped there. Measured on
    IIDM's representation of the 3-group blobs (1,050 rows, chance 0.33):
    0.37 with the defaults, 0.70-0.73 with these settings or without early
    stopping, which costs several times as long.
    """
    return {
        "linear": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "boosting": _default_probe(random_state),
        "mlp": make_pipeline(StandardScaler(), _mlp_probe(MLPClassifier, random_state)),
    }


def _mlp_probe(mlp_class, random_state):
    """The MLP probe: two hidden layers of 64, early stopping with patience (see above)."""
    return mlp_class(
        hidden_layer_sizes=(64, 64),
        learning_rate_init=3e-3,
        early_stopping=True,
        n_iter_no_change=20,
        max_iter=300,
        random_state=random_state,
    )


def _default_regression_probes(random_state):
    """The fresh regressors of :func:`continuous_leakage`, strongest reported."""
    return {
        "linear": make_pipeline(StandardScaler(), RidgeCV()),
        "boosting": HistGradientBoostingRegressor(early_stopping=True, random_state=random_state),
        "mlp": make_pipeline(StandardScaler(), _mlp_probe(MLPRegressor, random_state)),
    }


def probe_threads(probe):
    """Context limiting the default probes to one thread.

    The default probe's many short parallel regions make it orders of
    magnitude slower when other processes share the CPUs (measured on two
    cores shared with other jobs: 0.04 s with one thread, 42 s with two),
    while one thread is fast enough for the size of a test set. A user's
    ``probe`` runs with the threads it asks for.
    """
    if probe is None:
        return threadpool_limits(limits=1)
    return nullcontext()


def _split_groups(Z, sensitive, test_size, random_state):
    """Split ``Z`` and the group codes of ``sensitive``, stratified by group.

    Returns
    -------
    Z_train, Z_test, codes_train, codes_test : ndarray
    n_groups : int
    """
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    codes, n_groups = _group_codes(sensitive, len(Z))
    return (
        *train_test_split(Z, codes, test_size=test_size, stratify=codes, random_state=random_state),
        n_groups,
    )


def _group_codes(sensitive, n_samples):
    """Group codes of ``sensitive`` and the number of groups, which must be at least two."""
    codes, groups = group_codes(
        sensitive, n_samples, advice=CONTINUOUS_ADVICE, compared_by="reading s from Z"
    )
    return codes, len(groups)


def _check_held_out(held_out):
    """Return ``(Z_test, sensitive_test)`` from ``held_out``, or raise naming the argument."""
    if not (isinstance(held_out, (tuple, list)) and len(held_out) == 2):
        raise TypeError(
            "held_out must be a pair (Z_test, sensitive_test): the held-out rows' "
            f"representation and attribute; got {type(held_out).__name__}."
        )
    Z_test, sensitive_test = held_out
    check_sensitive_aligned(sensitive_test, Z=Z_test)
    return check_array(Z_test, input_name="held_out[0]"), sensitive_test


def _stacked(first, second):
    """The rows of two array-likes of labels or values, one after the other."""
    first, second = as_frame(first), as_frame(second)
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"held_out[1] has {second.shape[1]} attribute column(s) where "
            f"sensitive has {first.shape[1]}."
        )
    return pd.concat([first, second.set_axis(first.columns, axis=1)], ignore_index=True)


def _held_out_groups(Z, sensitive, held_out):
    """Codes of the training rows ``Z`` and of the ``held_out`` rows, encoded together."""
    check_sensitive_aligned(sensitive, Z=Z)
    Z_train = check_array(Z, ensure_min_samples=2)
    Z_test, sensitive_test = _check_held_out(held_out)
    if Z_test.shape[1] != Z_train.shape[1]:
        raise ValueError(
            f"held_out[0] has {Z_test.shape[1]} columns where Z has "
            f"{Z_train.shape[1]}: give the same representation of other rows."
        )
    codes, n_groups = _group_codes(_stacked(sensitive, sensitive_test), len(Z_train) + len(Z_test))
    codes_train, codes_test = codes[: len(Z_train)], codes[len(Z_train) :]
    for part, part_codes in (("Z", codes_train), ("held_out", codes_test)):
        if len(np.unique(part_codes)) < n_groups:
            raise ValueError(
                f"some group of sensitive has no row in {part}: every group "
                "must appear among the probes' training rows and the held-out rows."
            )
    return Z_train, Z_test, codes_train, codes_test, n_groups


def _probe_reading(probe, Z_train, Z_test, codes_train, codes_test, n_groups):
    """Accuracy, balanced accuracy and AUC of a fresh clone of ``probe`` on the held-out rows.

    The accuracy is that of ``predict``. The balanced accuracy is that of the
    rule that maximises it, the group of largest ``P(s | z) / P(s)`` (the
    probe's probabilities over the training rows' group shares), where the
    probe has ``predict_proba``: ``predict`` picks the group of largest
    ``P(s | z)``, and on unequal groups a probe that finds a weak leak still
    says the largest group almost everywhere, which reads as chance.
    """
    fitted = clone(probe).fit(Z_train, codes_train)
    predicted = fitted.predict(Z_test)
    balanced_prediction, auc = predicted, np.nan
    if hasattr(fitted, "predict_proba"):
        probabilities = fitted.predict_proba(Z_test)
        shares = np.bincount(codes_train, minlength=n_groups)[fitted.classes_] / len(codes_train)
        balanced_prediction = fitted.classes_[np.argmax(probabilities / shares, axis=1)]
        auc = (
            roc_auc_score(codes_test, probabilities[:, 1])
            if n_groups == 2
            else roc_auc_score(
                codes_test, probabilities, multi_class="ovr", labels=np.arange(n_groups)
            )
        )
    return {
        "accuracy": float(accuracy_score(codes_test, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(codes_test, balanced_prediction)),
        "auc": float(auc),
    }


def sensitive_leakage(Z, sensitive, *, held_out=None, probe=None, test_size=0.3, random_state=0):
    """How well a fresh classifier reads ``sensitive`` from a representation ``Z``.

    The rows are split, stratified by group; fresh probes learn to predict
    the group from ``Z`` on the training part and are evaluated on the
    held-out part. With ``held_out``, the probes learn from all of ``Z`` and
    are evaluated on the rows given there: pass the estimator's training
    rows as ``Z`` and test rows as ``held_out``, as an attacker who holds the
    training data would; this gives the probes the most rows to learn from. By default three probes read it (a logistic regression,
    gradient-boosted trees and an MLP, the last two non-linear) and the
    strongest, by balanced accuracy, is reported: a representation is only
    as invariant as the best reader says. An invariant representation gives
    an accuracy close to ``majority_rate``, a balanced accuracy close to
    ``chance_balanced_accuracy`` and an AUC close to 0.5.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups. Every
        group needs at least 2 samples.
    held_out : tuple of (array-like, array-like), default=None
        ``(Z_test, sensitive_test)``: rows to evaluate the probes on, which
        then learn from all of ``Z``. Every group must appear in both.
    probe : classifier, default=None
        One unfitted classifier to use instead of the three default probes;
        it is cloned. A weak probe underestimates leakage.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation; unused with
        ``held_out``.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probes.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys ``accuracy``, ``balanced_accuracy`` and ``auc`` (one-vs-rest
        for more than two groups; NaN for a probe without ``predict_proba``)
        of the strongest probe on the held-out rows, ``probe`` (its name:
        ``"linear"``, ``"boosting"``, ``"mlp"``, or ``"probe"`` for yours),
        ``per_probe`` (the same three numbers for every probe),
        ``majority_rate`` (share of the largest group among the held-out
        rows: the accuracy of always guessing it), ``chance_balanced_accuracy``
        (1 / n_groups) and ``n_groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import sensitive_leakage
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 1000)
    >>> noise = rng.normal(size=(1000, 2))
    >>> leaky = np.column_stack([s + 0.1 * noise[:, 0], noise[:, 1]])
    >>> sensitive_leakage(leaky, s).accuracy > 0.95
    True
    """
    Z_train, Z_test, codes_train, codes_test, n_groups = (
        _split_groups(Z, sensitive, test_size, random_state)
        if held_out is None
        else _held_out_groups(Z, sensitive, held_out)
    )
    probes = _default_probes(random_state) if probe is None else {"probe": probe}
    with probe_threads(probe):
        per_probe = {
            name: _probe_reading(candidate, Z_train, Z_test, codes_train, codes_test, n_groups)
            for name, candidate in probes.items()
        }
    strongest = max(per_probe, key=lambda name: per_probe[name]["balanced_accuracy"])
    return Bunch(
        **per_probe[strongest],
        probe=strongest,
        per_probe=per_probe,
        majority_rate=float(np.bincount(codes_test).max() / len(codes_test)),
        chance_balanced_accuracy=1 / n_groups,
        n_groups=n_groups,
    )


def continuous_leakage(Z, sensitive, *, held_out=None, probe=None, test_size=0.3, random_state=0):
    """How well a fresh regressor reads a continuous ``sensitive`` from ``Z``: held-out R^2.

    The counterpart of :func:`sensitive_leakage` for a quantity (age,
    income, a colour), as :class:`~skinvariant.MINEDebiasedClassifier` accepts.
    For each column of ``sensitive``, a clone of ``probe`` learns it from ``Z``
    on part of the rows; its coefficient of determination on the held-out rows
    is reported. An invariant representation scores about 0 (or below); 1
    means ``Z`` determines the attribute. With ``held_out``, the probes learn
    from all of ``Z`` and are evaluated on the rows given there.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Numeric attribute values; one probe per column.
    held_out : tuple of (array-like, array-like), default=None
        ``(Z_test, sensitive_test)``: rows to evaluate the probes on, which
        then learn from all of ``Z``.
    probe : regressor, default=None
        One unfitted regressor to use instead of the three default probes (a
        ridge regression, gradient-boosted trees and an MLP, whose strongest
        reading is reported); it is cloned.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation; unused with
        ``held_out``.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probes.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``r2`` (the mean over attributes) and ``r2_per_attribute`` (ndarray
        of shape (n_attributes,)) of the strongest probe, ``probe`` (its
        name) and ``per_probe`` (each probe's mean R^2).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import continuous_leakage
    >>> rng = np.random.default_rng(0)
    >>> age = rng.normal(40, 10, 1000)
    >>> leaky = np.column_stack([age / 10 + 0.1 * rng.normal(size=1000), rng.normal(size=1000)])
    >>> continuous_leakage(leaky, age).r2 > 0.9
    True
    """
    check_sensitive_aligned(sensitive, Z=Z)
    Z = check_array(Z, ensure_min_samples=2)
    if held_out is None:
        values = continuous_values(sensitive, len(Z), advice="use sensitive_leakage")
        Z_train, Z_test, values_train, values_test = train_test_split(
            Z, values, test_size=test_size, random_state=random_state
        )
    else:
        Z_train, (Z_test, sensitive_test) = Z, _check_held_out(held_out)
        values_train = continuous_values(sensitive, len(Z), advice="use sensitive_leakage")
        values_test = continuous_values(sensitive_test, len(Z_test), advice="use sensitive_leakage")
        if values_test.shape[1] != values_train.shape[1] or Z_test.shape[1] != Z.shape[1]:
            raise ValueError(
                "held_out must hold the same representation columns and "
                "attribute columns as Z and sensitive."
            )
    probes = _default_regression_probes(random_state) if probe is None else {"probe": probe}
    with probe_threads(probe):
        per_probe = {
            name: np.array(
                [
                    r2_score(
                        values_test[:, column],
                        clone(candidate).fit(Z_train, values_train[:, column]).predict(Z_test),
                    )
                    for column in range(values_train.shape[1])
                ]
            )
            for name, candidate in probes.items()
        }
    strongest = max(per_probe, key=lambda name: per_probe[name].mean())
    return Bunch(
        r2=float(per_probe[strongest].mean()),
        r2_per_attribute=per_probe[strongest],
        probe=strongest,
        per_probe={name: float(scores.mean()) for name, scores in per_probe.items()},
    )


def reattach_sensitive(Z, y, sensitive):
    """Measure how much ``sensitive`` would drive a decision on ``Z`` once added back.

    Paper 004's re-attachment (Fig. 4). The representation is reduced to one
    linear combination ``r`` (the standardised decision function of a
    logistic regression of ``y`` on ``Z``). A linear unit
    ``y_hat = sigmoid(w_r r + w_z . s + b)`` is then fitted on ``r`` and
    indicators of the groups (the first group is the reference). Where ``r``
    is independent of the group, the weights compare directly: ``|w_z|``
    large against ``|w_r|`` means the attribute itself would carry much of
    the decision.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        A representation, e.g. an estimator's ``transform(X)``.
    y : array-like of shape (n_samples,)
        Binary labels.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``w_r`` (float, per standard deviation of ``r``), ``w_z`` (ndarray
        of shape (n_groups - 1,), log-odds shift of each group against
        ``reference_group``), ``intercept``, ``groups`` (the groups of
        ``w_z``), ``reference_group``, ``accuracy_without_sensitive`` (the
        unit on ``r`` alone), ``accuracy_with_sensitive`` (on ``r`` and the
        groups), and ``r`` itself, e.g. to plot its histogram per group.
        Accuracies are on the rows given.
    """
    check_sensitive_aligned(sensitive, Z=Z, y=y)
    y = column_or_1d(y)
    if type_of_target(y) != "binary":
        raise ValueError(
            "reattach_sensitive fits one linear unit and needs a binary y; "
            f"got a {type_of_target(y)} target."
        )
    Z = check_array(Z)
    codes, groups = group_codes(
        sensitive, len(Z), advice=CONTINUOUS_ADVICE, compared_by="reattaching s"
    )
    combination = LogisticRegression().fit(Z, y).decision_function(Z)
    r = ((combination - combination.mean()) / (combination.std() + 1e-12))[:, None]
    with_sensitive = np.hstack([r, np.eye(len(groups))[codes][:, 1:]])
    unit = LogisticRegression().fit(with_sensitive, y)
    return Bunch(
        w_r=float(unit.coef_[0, 0]),
        w_z=unit.coef_[0, 1:],
        intercept=float(unit.intercept_[0]),
        groups=list(groups[1:]),
        reference_group=groups[0],
        accuracy_without_sensitive=LogisticRegression().fit(r, y).score(r, y),
        accuracy_with_sensitive=unit.score(with_sensitive, y),
        r=r[:, 0],
    )


def _true_group_probabilities(probe, Z_test, codes_test, n_groups):
    """Probability the probe assigns to each held-out row's true group."""
    probabilities = np.zeros((len(codes_test), n_groups))
    probabilities[:, probe.classes_] = probe.predict_proba(Z_test)
    return probabilities[np.arange(len(codes_test)), codes_test]


def conditional_entropy(Z, sensitive, *, probe=None, test_size=0.3, random_state=0):
    """Probe estimate of the conditional entropy H(s | z), in nats.

    The post-hoc measure used by Iwasawa et al. (IJCAI 2020) to evaluate
    invariant representations: a fresh classifier learns ``P(s | z)`` on part
    of the rows, and its cross-entropy on the held-out rows estimates
    H(s | z). It is compared with H(s), the cross-entropy of guessing each
    held-out row's group from the training rows' group shares alone.

    H(s | z) = H(s) if and only if ``z`` is independent of ``s`` (perfect
    invariance), and 0 when ``z`` determines ``s``; with uniform groups H(s)
    is the maximum ``log(n_groups)``. The
    cross-entropy is an upper bound of the true H(s | z), tight up to how well
    the probe fits: a weak probe overestimates invariance, hence the strong
    default probe (the same as :func:`sensitive_leakage`). Predicted
    probabilities are clipped at 1e-15 so a confident mistake costs a finite
    34.5 nats. A ratio slightly above 1 means the probe found nothing and
    overfit noise.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The representation, e.g. ``estimator.transform(X)``.
    sensitive : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels; a 2-D ``sensitive`` defines intersectional groups. Every
        group needs at least 2 samples.
    probe : classifier with ``predict_proba``, default=None
        Unfitted classifier used as the adversary; it is cloned. Default: see
        :func:`sensitive_leakage`.
    test_size : float or int, default=0.3
        Share (or number) of rows held out for evaluation.
    random_state : int, RandomState instance or None, default=0
        Seed of the split and of the default probe.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys ``entropy`` (held-out cross-entropy, natural log),
        ``marginal_entropy`` (H(s) as above), ``max_entropy`` (log K, the
        normaliser of Iwasawa et al.'s figures, reached by uniform groups) and
        ``ratio`` (entropy / marginal_entropy: near 1 for an invariant ``Z``
        whatever the group sizes, near 0 for one that reveals ``s``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import conditional_entropy
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 1000)
    >>> conditional_entropy(rng.normal(size=(1000, 3)), s).ratio > 0.9
    True
    """
    with probe_threads(probe):
        Z_train, Z_test, codes_train, codes_test, n_groups = _split_groups(
            Z, sensitive, test_size, random_state
        )
        fitted = clone(_default_probe(random_state) if probe is None else probe)
        fitted.fit(Z_train, codes_train)
        probabilities = _true_group_probabilities(fitted, Z_test, codes_test, n_groups)
    entropy = _cross_entropy(probabilities)
    shares = np.bincount(codes_train, minlength=n_groups) / len(codes_train)
    marginal_entropy = _cross_entropy(shares[codes_test])
    return Bunch(
        entropy=entropy,
        marginal_entropy=marginal_entropy,
        max_entropy=float(np.log(n_groups)),
        ratio=entropy / marginal_entropy,
    )


def _cross_entropy(probabilities):
    """Mean negative log of the probabilities given to the true groups, clipped at 1e-15."""
    return float(-np.mean(np.log(np.clip(probabilities, PROBABILITY_FLOOR, 1.0))))
