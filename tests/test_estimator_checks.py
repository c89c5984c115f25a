"""scikit-learn's own compatibility checks on every public estimator."""

import warnings

import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skinvariant import (
    AdversarialClassifier,
    AdversarialRegressor,
    AffinityClassifier,
    AffinityTransformer,
    ContrastiveInvariantClassifier,
    HSICClassifier,
    HSICRegressor,
    IIDMClassifier,
    IIDMRegressor,
    InvertibleClassifier,
    MINEDebiasedClassifier,
    MINEDebiasedRegressor,
)
from skinvariant.exceptions import NoInvarianceWarning

# On the CPU every estimator passes every check (measured). On CUDA, with
# device="auto", a float32 matrix product over a subset may round differently
# in the last bit than over the full batch; that is not verified here, so the
# expected failure is kept there only, and not strict.
EXPECTED_FAILED_CHECKS = (
    {
        "check_methods_subset_invariance": (
            "float32 GPU kernels can round a subset's matrix product differently in the "
            "last bit (about 1e-7) than the full batch's"
        ),
    }
    if torch.cuda.is_available()
    else {}
)
# measured on the CPU: a flow composes twelve float32 layers, and a subset's
# outputs differ from the full batch's in the seventh digit (2e-7 relative)
FLOW_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "twelve float32 layers: a subset's outputs differ from the full batch's by about "
        "2e-7 relative"
    ),
}


# measured on the CPU: the VAE's transform differs in one of 20 values by 1.3e-7
VAE_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 encoder: a subset's posterior means differ from the full batch's by about "
        "1e-7 absolute"
    ),
}

# measured on the CPU: HSICClassifier's 2-wide encoder and the regressors'
# encoders, trained on the check's data, give one transformed value in 20 that
# differs by one or two float32 ulps (1.2e-7 to 1.8e-7 absolute) between a
# subset and the full batch (some of them pass; the xfail is not strict)
ULP_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 encoder: one of 20 values of a subset's representation differs from the "
        "full batch's by one or two float32 ulps (about 1e-7 absolute)"
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
REGRESSORS = (AdversarialRegressor, HSICRegressor, IIDMRegressor, MINEDebiasedRegressor)


def expected_failed_checks(estimator):
    expected = {**EXPECTED_FAILED_CHECKS, **SAMPLE_WEIGHT_FAILED_CHECKS}
    if isinstance(estimator, (HSICClassifier, *REGRESSORS)):
        return {**expected, **ULP_FAILED_CHECKS}
    if isinstance(estimator, InvertibleClassifier):
        return {**expected, **FLOW_FAILED_CHECKS}
    if isinstance(estimator, ContrastiveInvariantClassifier):
        return {**expected, **VAE_FAILED_CHECKS}
    return expected


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
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    # the checks call fit(X, y) without sensitive, which warns by design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoInvarianceWarning)
        check(estimator)
