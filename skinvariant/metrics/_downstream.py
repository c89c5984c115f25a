"""Downstream fairness of a representation: the models a user would put on top of ``transform``.

Exposed as :func:`skinvariant.metrics.downstream_fairness`.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array

from ._fairness import demographic_parity_difference, equalized_odds_difference
from ._leakage import probe_threads

__all__ = ["downstream_fairness"]

_MEASURES = ("accuracy", "demographic_parity_difference", "equalized_odds_difference")


def _default_models(random_state):
    """A linear model, boosted trees and a small MLP, as a user would fit on ``Z``.

    The MLP's early stopping waits 20 epochs at a learning rate of 3e-3, as
    the leakage probe's does: with scikit-learn's defaults (10 epochs at 1e-3)
    it stopped at a constant prediction on a 2-column ``Z`` of 800 rows
    (accuracy 0.49, where logistic regression reached 0.64).
    """
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=random_state),
        "mlp": make_pipeline(
            StandardScaler(),
            MLPClassifier(
                hidden_layer_sizes=(32,),
                learning_rate_init=3e-3,
                early_stopping=True,
                n_iter_no_change=20,
                max_iter=300,
                random_state=random_state,
            ),
        ),
    }


def _check_part(part, Z, y, sensitive):
    """``Z`` of one part as a 2-D float array, its ``y`` and ``sensitive`` of the same length."""
    Z = check_array(Z, input_name=f"Z_{part}")
    for name, values in ((f"y_{part}", y), (f"s_{part}", sensitive)):
        if values is None:
            raise ValueError(f"{name} is None; pass one value per row of Z_{part}.")
        if len(values) != len(Z):
            raise ValueError(
                f"{name} has {len(values)} rows but Z_{part} has {len(Z)}; pass "
                f"one value per row (split Z, y and s with the same indices)."
            )
    return Z, np.asarray(y)


def downstream_fairness(
    Z_train,
    y_train,
    s_train,
    Z_test,
    y_test,
    s_test,
    *,
    models=None,
    pos_label=None,
    random_state=0,
):
    """Accuracy and group gaps of the models a user would train on a representation.

    A representation is reused: someone fits their own classifier on
    ``transform(X)``. Each model learns ``y`` from ``Z_train`` (without
    ``sensitive``) and is measured on the held-out rows: accuracy,
    :func:`~skinvariant.demographic_parity_difference` and
    :func:`~skinvariant.equalized_odds_difference` of its predictions against ``s_test``.
    The last row, ``worst``, holds the lowest accuracy and the largest gaps
    over the models (each column on its own, possibly from different models).
    A representation that still carries ``s`` shows it here when ``y`` is
    correlated with ``s``: some model finds ``s`` and uses it.

    Parameters
    ----------
    Z_train : array-like of shape (n_train, n_components)
        Representation of the training rows, e.g. ``estimator.transform(X_train)``.
    y_train : array-like of shape (n_train,)
        Their binary labels.
    s_train : array-like of shape (n_train,) or (n_train, n_attributes)
        Their groups. Unused by the default models (none sees ``sensitive``);
        checked for its length.
    Z_test : array-like of shape (n_test, n_components)
        Representation of the held-out rows.
    y_test : array-like of shape (n_test,)
        Their labels.
    s_test : array-like of shape (n_test,) or (n_test, n_attributes)
        Their groups, against which the gaps are measured.
    models : dict of str to classifier, default=None
        The models to train instead of the defaults, by name; each is cloned.
        The defaults: ``"logistic_regression"`` (standardised),
        ``"hist_gradient_boosting"`` and ``"mlp"`` (one hidden layer of 32,
        standardised, early stopping with a patience of 20); they run on one thread, as the leakage
        probes do. Yours run with the threads they ask for.
    pos_label : object, default=None
        The positive label of ``y``; see
        :func:`~skinvariant.demographic_parity_difference`.
    random_state : int, RandomState instance or None, default=0
        Seed of the default models.

    Returns
    -------
    pandas.DataFrame
        Indexed by model name (``index.name == "model"``), then ``"worst"``;
        columns ``accuracy``, ``demographic_parity_difference`` and
        ``equalized_odds_difference``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.metrics import downstream_fairness
    >>> rng = np.random.default_rng(0)
    >>> s = rng.integers(0, 2, 600)
    >>> y = (rng.random(600) < 0.3 + 0.4 * s).astype(int)
    >>> Z = np.column_stack([y + rng.normal(size=600), s + 0.1 * rng.normal(size=600)])
    >>> table = downstream_fairness(Z[:400], y[:400], s[:400], Z[400:], y[400:], s[400:])
    >>> list(table.index)
    ['logistic_regression', 'hist_gradient_boosting', 'mlp', 'worst']
    """
    Z_train, y_train = _check_part("train", Z_train, y_train, s_train)
    Z_test, y_test = _check_part("test", Z_test, y_test, s_test)
    if Z_test.shape[1] != Z_train.shape[1]:
        raise ValueError(
            f"Z_test has {Z_test.shape[1]} columns where Z_train has "
            f"{Z_train.shape[1]}: give the same representation of other rows."
        )
    if models is None:
        models, threads = _default_models(random_state), probe_threads(None)
    else:
        if not isinstance(models, dict) or not models:
            raise TypeError(
                "models must be a non-empty dict of name -> unfitted classifier; "
                f"got {type(models).__name__}."
            )
        for name, model in models.items():
            if not is_classifier(model):
                raise TypeError(
                    f"models[{name!r}] must be a scikit-learn classifier; got "
                    f"{type(model).__name__}."
                )
        if "worst" in models:
            raise ValueError("'worst' names the summary row; give the model another name.")
        threads = probe_threads(models)
    rows = {}
    with threads:
        for name, model in models.items():
            predicted = clone(model).fit(Z_train, y_train).predict(Z_test)
            rows[name] = {
                "accuracy": float(np.mean(predicted == y_test)),
                "demographic_parity_difference": demographic_parity_difference(
                    y_test, predicted, sensitive=s_test, pos_label=pos_label
                ),
                "equalized_odds_difference": equalized_odds_difference(
                    y_test, predicted, sensitive=s_test, pos_label=pos_label
                ),
            }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(_MEASURES))
    table.loc["worst"] = [
        table["accuracy"].min(),
        table["demographic_parity_difference"].max(),
        table["equalized_odds_difference"].max(),
    ]
    table.index.name = "model"
    return table
