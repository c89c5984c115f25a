"""scikit-learn's own compatibility checks on every public estimator."""

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

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


def expected_failed_checks(estimator):
    if isinstance(estimator, (FAREClassifier, FARETransformer)):
        return {}  # a tree on float64 bins: exact, and no sample_weight
    return {**SUBSET_FAILED_CHECKS, **SAMPLE_WEIGHT_FAILED_CHECKS}


@parametrize_with_checks(
    [
        IIDMClassifier(max_epochs=30),
        AdversarialClassifier(max_epochs=30),
        MINEDebiasedClassifier(max_epochs=30, n_estimator_steps=2),
        AffinityClassifier(max_epochs=30),
        AffinityTransformer(max_epochs=30),
        HSICClassifier(max_epochs=60),  # its 2-wide z needs 60 epochs for the 0.83 check
        # seeded: on check_sample_weights_shape's four points repeated four times the
        # flow's likelihood diverges (DivergenceError) on 2 of 20 seeds (13 and 14)
        InvertibleClassifier(max_epochs=30, random_state=0),
        ContrastiveInvariantClassifier(max_epochs=30),
        IIDMRegressor(max_epochs=30),
        AdversarialRegressor(max_epochs=30),
        MINEDebiasedRegressor(max_epochs=30, n_estimator_steps=2),
        # its 256-row batch takes the check's 200 rows in one step per epoch, through
        # a 2-wide z: 60 steps stay below the check's R^2 of 0.5, 100 pass (measured)
        HSICRegressor(max_epochs=100),
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
