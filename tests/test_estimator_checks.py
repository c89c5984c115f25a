"""scikit-learn's own compatibility checks on every public estimator."""

import warnings

import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils.estimator_checks import (
    check_class_weight_classifiers,
    check_classifiers_train,
    check_regressors_train,
    parametrize_with_checks,
)

from skinvariant import (
    AdversarialClassifier,
    AdversarialRegressor,
    AffinityClassifier,
    AffinityTransformer,
    ContrastiveInvariantClassifier,
    FAREClassifier,
    FARETransformer,
    HSICClassifier,
    HSICRegressor,
    IIDMClassifier,
    IIDMRegressor,
    InvertibleClassifier,
    MINEDebiasedClassifier,
    MINEDebiasedRegressor,
    QuantizedRepresentation,
)
from skinvariant.exceptions import NoInvarianceWarning

# A float32 matrix product over a subset of rows may round differently in the
# last bits than over the full batch, depending on the kernel the CPU (or GPU)
# library picks for that batch size. Measured: on one CPU every estimator but
# HSICClassifier, the flow, the VAE and the regressors passed; on another
# (2026-12-04, same torch 2.13.0 build) IIDM, the adversarial and the MINE
# classifiers differ in one of 20 values by 1.5e-7 absolute. So the check is
# an expected failure for every estimator, and not strict.
SUBSET_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 kernels: a subset's representation may differ from the full batch's in "
        "the last bits (measured up to 2e-7)"
    ),
}
# minibatch training: a row of weight 2 counts twice in the one batch it falls
# in, while its duplicate falls in another batch and changes both batches, so
# the two fits take different optimisation paths (as for scikit-learn's
# MLPClassifier); tests/test_sample_weight.py checks what weights do instead
SAMPLE_WEIGHT_FAILED_CHECKS = {
    check: "minibatch SGD: weighting a row is not the same path as duplicating it"
    for check in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


# The checks run at five epochs: they test the plumbing (input checks, cloning,
# pickling, fitted attributes, shapes), which does not need a trained model. The
# three that assert accuracy after fitting (0.83 for a classifier, R^2 0.5 for a
# regressor, class weights moving the predictions) may fail at five epochs and
# run as they are, at the epochs each estimator needs, in test_accuracy_checks.
ACCURACY_CHECKS = {
    "check_classifiers_train",
    "check_class_weight_classifiers",
    "check_regressors_train",
}
FEW_EPOCHS = 5


def expected_failed_checks(estimator):
    if isinstance(estimator, (FAREClassifier, FARETransformer)):
        return {}  # a tree on float64 bins: exact, and no sample_weight
    few_epochs = {
        check: f"{FEW_EPOCHS} epochs; test_accuracy_checks runs it trained"
        for check in ACCURACY_CHECKS
    }
    return {**SUBSET_FAILED_CHECKS, **SAMPLE_WEIGHT_FAILED_CHECKS, **few_epochs}


# the epochs each estimator needs for the accuracy checks (measured)
TRAINED = [
    IIDMClassifier(max_epochs=30),
    AdversarialClassifier(max_epochs=30),
    MINEDebiasedClassifier(max_epochs=30, n_estimator_steps=2),
    AffinityClassifier(max_epochs=30),
    AffinityTransformer(max_epochs=30),
    HSICClassifier(max_epochs=60),  # its 2-wide z needs 60 epochs for the 0.83 check
    InvertibleClassifier(max_epochs=30, random_state=0),
    ContrastiveInvariantClassifier(max_epochs=30),
    IIDMRegressor(max_epochs=30),
    AdversarialRegressor(max_epochs=30),
    MINEDebiasedRegressor(max_epochs=30, n_estimator_steps=2),
    # its 256-row batch takes the check's 200 rows in one step per epoch, through
    # a 2-wide z: 60 steps stay below the check's R^2 of 0.5, 100 pass (measured)
    HSICRegressor(max_epochs=100),
]


@parametrize_with_checks(
    [
        *(clone(estimator).set_params(max_epochs=FEW_EPOCHS) for estimator in TRAINED),
        FARETransformer(),
        FAREClassifier(),
        QuantizedRepresentation(IIDMClassifier(max_epochs=5, random_state=0), random_state=0),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    # the checks call fit(X, y) without sensitive, which warns by design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoInvarianceWarning)
        check(estimator)


@pytest.mark.parametrize("estimator", TRAINED, ids=lambda estimator: type(estimator).__name__)
def test_accuracy_checks(estimator):
    name = type(estimator).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoInvarianceWarning)
        if is_regressor(estimator):
            check_regressors_train(name, clone(estimator))
            return
        if is_classifier(estimator):
            check_classifiers_train(name, clone(estimator))
            check_class_weight_classifiers(name, clone(estimator))
