"""Disentanglement metrics (MIG, SAP, DCI) on codes whose answer is known.

Three discrete factors (4, 5 and 5 values, 2,000 rows). The aligned code is
each factor plus small noise, then two pure-noise codes; the rotated code is
a random rotation of it, which spreads every factor over all five codes. The
bounds leave room for other rotations: over seeds 0-3 the rotated code scored
MIG 0.05-0.30, SAP 0.03-0.12, DCI disentanglement 0.23-0.55 and completeness
0.20-0.44, the aligned one MIG 0.99, SAP 0.42-0.45 and DCI 1.00.
"""

import numpy as np
import pytest
from scipy.stats import ortho_group

from skinvariant.metrics import (
    dci_disentanglement,
    mutual_information_gap,
    separated_attribute_predictability,
)


def noisy(values, rng, scale=0.1):
    return values + scale * rng.standard_normal(values.shape)


@pytest.fixture(scope="module")
def factors_and_codes():
    rng = np.random.default_rng(0)
    n_samples = 2000
    factors = np.column_stack([rng.integers(0, k, n_samples) for k in (4, 5, 5)])
    aligned = np.column_stack([noisy(factors, rng), rng.standard_normal((n_samples, 2))])
    rotated = aligned @ ortho_group.rvs(5, random_state=0)
    return factors, aligned, rotated


@pytest.fixture(scope="module")
def dci(factors_and_codes):
    factors, aligned, rotated = factors_and_codes
    return dci_disentanglement(factors, aligned), dci_disentanglement(factors, rotated)


def test_mig_is_close_to_one_for_aligned_codes_and_low_once_rotated(factors_and_codes):
    factors, aligned, rotated = factors_and_codes
    assert mutual_information_gap(factors, aligned) > 0.95  # measured 0.986
    assert mutual_information_gap(factors, rotated) < 0.35  # measured 0.066


def test_mig_ignores_the_scale_and_offset_of_each_code(factors_and_codes):
    factors, aligned, _ = factors_and_codes
    rescaled = aligned * np.array([3.0, -0.5, 10.0, 1.0, 2.0]) + 7.0
    assert mutual_information_gap(factors, rescaled) == pytest.approx(
        mutual_information_gap(factors, aligned)
    )


def test_mig_and_sap_are_zero_when_a_factor_is_encoded_twice():
    rng = np.random.default_rng(0)
    factor = rng.integers(0, 4, (1000, 1))
    twice = np.column_stack([noisy(factor, rng), noisy(factor, rng)])
    assert mutual_information_gap(factor, twice) == pytest.approx(0.0, abs=1e-12)
    assert separated_attribute_predictability(factor, twice) == pytest.approx(0.0, abs=0.02)


def test_sap_is_higher_for_aligned_than_rotated_codes(factors_and_codes):
    factors, aligned, rotated = factors_and_codes
    # a one-code linear classifier separates 4-5 classes poorly: aligned stays well below 1
    assert 0.35 < separated_attribute_predictability(factors, aligned) < 0.6  # measured 0.446
    assert separated_attribute_predictability(factors, rotated) < 0.15  # measured 0.048


def test_sap_of_continuous_factors_is_the_gap_in_squared_correlation():
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((500, 2))
    codes = np.column_stack([factors[:, 0] + factors[:, 1], factors[:, 1], factors[:, 0]])
    squared = np.corrcoef(codes.T, factors.T)[:3, 3:] ** 2
    expected = np.mean(np.sort(squared, axis=0)[-1] - np.sort(squared, axis=0)[-2])
    assert separated_attribute_predictability(
        factors, codes, continuous_factors=True
    ) == pytest.approx(expected)


def test_dci_is_close_to_one_for_aligned_codes_and_low_once_rotated(dci):
    aligned, rotated = dci
    assert aligned.disentanglement > 0.95 and aligned.completeness > 0.95  # measured 1.000
    assert aligned.informativeness > 0.95
    assert rotated.disentanglement < 0.6  # measured 0.234
    assert rotated.completeness < 0.5  # measured 0.202
    assert rotated.importance_matrix.shape == (5, 3)


def test_dci_importance_lies_on_the_factor_codes_not_on_noise(dci):
    aligned, _ = dci
    np.testing.assert_allclose(aligned.importance_matrix[:3], np.eye(3), atol=0.02)
    assert aligned.importance_matrix[3:].max() < 0.02


def test_dci_tells_one_code_for_two_factors_apart_from_mig():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 2, (1000, 2))
    one_code = np.column_stack(
        [noisy(2 * factors[:, 0] + factors[:, 1], rng), rng.standard_normal(1000)]
    )
    result = dci_disentanglement(factors, one_code)
    assert result.disentanglement < 0.05  # the code explains both factors: measured 0.000
    assert result.completeness > 0.95  # each factor has one code: measured 1.000
    assert mutual_information_gap(factors, one_code) > 0.9  # MIG does not see it: 0.985


def test_dci_is_deterministic_for_a_given_random_state():
    rng = np.random.default_rng(1)
    factors = rng.integers(0, 3, (200, 2))
    codes = rng.standard_normal((200, 3))
    first, second = (dci_disentanglement(factors, codes, random_state=3) for _ in range(2))
    np.testing.assert_array_equal(first.importance_matrix, second.importance_matrix)
    assert first.informativeness == second.informativeness


MEASURES = [mutual_information_gap, separated_attribute_predictability, dci_disentanglement]


@pytest.mark.parametrize("measure", MEASURES, ids=lambda measure: measure.__name__)
@pytest.mark.parametrize(
    "factors, codes, message",
    [
        (np.zeros(10), np.zeros((10, 2)), "factors must be 2-D"),
        (np.zeros((10, 1)), np.zeros(10), "codes must be 2-D"),
        (np.arange(10).reshape(5, 2), np.zeros((6, 2)), "same samples"),
        (np.zeros((10, 0)), np.zeros((10, 2)), "factors has no column"),
        (np.c_[np.arange(10) % 2, np.ones(10)], np.zeros((10, 2)), "factors column 1 is constant"),
    ],
)
def test_bad_inputs_raise_a_value_error_naming_the_argument(measure, factors, codes, message):
    with pytest.raises(ValueError, match=message):
        measure(factors, codes)


@pytest.mark.parametrize("measure", MEASURES[:2], ids=lambda measure: measure.__name__)
def test_gap_measures_need_two_codes(measure):
    with pytest.raises(ValueError, match="at least 2 columns"):
        measure(np.arange(10).reshape(-1, 1) % 2, np.zeros((10, 1)))


@pytest.mark.parametrize("n_bins", [1, 2.5, True])
def test_mig_rejects_a_bad_number_of_bins(n_bins):
    with pytest.raises(ValueError, match="n_bins must be an integer >= 2"):
        mutual_information_gap(np.arange(10).reshape(-1, 1) % 2, np.zeros((10, 2)), n_bins=n_bins)
