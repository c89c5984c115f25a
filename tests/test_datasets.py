"""Tests of the bundled data set loaders and the synthetic generators."""

import socket

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.utils import Bunch

from skinvariant.datasets import load_adult, load_german, make_attribute_blobs

ADULT_CATEGORICAL = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "native-country",
]
ADULT_NUMERIC = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
GERMAN_NUMERIC = [
    "month",
    "credit_amount",
    "investment_as_income_percentage",
    "residence_since",
    "number_of_credits",
    "people_liable_for",
]


@pytest.fixture(scope="module")
def adult():
    return load_adult()


@pytest.fixture(scope="module")
def german():
    return load_german()


# --- load_adult -----------------------------------------------------------------


def test_adult_default_drops_missing_rows_and_sex(adult):
    assert adult.data.shape == (30162, 13)
    assert len(adult.target) == len(adult.sensitive) == 30162
    assert "sex" not in adult.data.columns
    assert adult.data.notna().all().all()


def test_adult_keeps_missing_rows_as_nan():
    X, y, sex = load_adult(return_X_y_s=True, dropna=False)
    assert X.shape == (32561, 13)
    missing = X.isna().sum()
    assert missing[missing > 0].to_dict() == {
        "workclass": 1836,
        "occupation": 1843,
        "native-country": 583,
    }
    assert X.isna().any(axis=1).sum() == 32561 - 30162
    assert y.mean() == pytest.approx(7841 / 32561)


def test_adult_keeps_sex_on_request():
    X, _, sex = load_adult(return_X_y_s=True, drop_sensitive=False)
    assert X.shape == (30162, 14)
    pd.testing.assert_series_equal(X["sex"], sex)


def test_adult_target_is_binary_income(adult):
    y = adult.target
    assert y.name == "income"
    assert y.dtype == np.int64
    assert set(y.unique()) == {0, 1}
    assert y.mean() == pytest.approx(0.249, abs=0.001)
    assert adult.target_names == ["<=50K", ">50K"]


def test_adult_sensitive_is_sex_with_about_one_third_women(adult):
    sex = adult.sensitive
    assert sex.name == adult.sensitive_name == "sex"
    assert isinstance(sex.dtype, pd.CategoricalDtype)
    assert list(sex.cat.categories) == ["Female", "Male"]
    assert (sex == "Female").mean() == pytest.approx(0.324, abs=0.001)


def test_adult_dtypes_and_stripped_values(adult):
    X = adult.data
    for column in ADULT_CATEGORICAL:
        assert isinstance(X[column].dtype, pd.CategoricalDtype), column
        categories = pd.Series(X[column].cat.categories)
        assert (categories == categories.str.strip()).all(), column
        assert "?" not in set(categories), column
    for column in ADULT_NUMERIC:
        assert pd.api.types.is_integer_dtype(X[column]), column
    assert "Never-worked" not in X["workclass"].cat.categories


def test_adult_bunch_fields(adult):
    assert isinstance(adult, Bunch)
    assert adult.feature_names == list(adult.data.columns)
    features_with_sex = load_adult(drop_sensitive=False).feature_names
    assert list(adult.frame.columns) == [*features_with_sex, "income"]
    pd.testing.assert_series_equal(adult.frame["income"], adult.target)
    assert "CC BY 4.0" in adult.DESCR
    assert "Kohavi" in adult.DESCR
    assert "30,162" in adult.DESCR


def test_adult_return_X_y_s_matches_bunch(adult):
    X, y, sex = load_adult(return_X_y_s=True)
    pd.testing.assert_frame_equal(X, adult.data)
    pd.testing.assert_series_equal(y, adult.target)
    pd.testing.assert_series_equal(sex, adult.sensitive)


def test_adult_as_numpy():
    bunch = load_adult(as_frame=False)
    assert isinstance(bunch.data, np.ndarray) and bunch.data.shape == (30162, 13)
    assert bunch.data.dtype == object
    assert isinstance(bunch.target, np.ndarray) and bunch.target.dtype == np.int64
    assert isinstance(bunch.sensitive, np.ndarray)
    assert set(bunch.sensitive) == {"Female", "Male"}
    assert bunch.frame is None
    assert bunch.sensitive_name == "sex"


# --- load_german ----------------------------------------------------------------


def test_german_default_shape_and_age_dropped(german):
    assert german.data.shape == (1000, 19)
    assert "age" not in german.data.columns
    assert german.frame.shape == (1000, 21)


def test_german_keeps_age_on_request():
    X, _, young = load_german(return_X_y_s=True, drop_sensitive=False)
    assert X.shape == (1000, 20)
    assert ((X["age"] <= 25) == young).all()


def test_german_target_is_good_credit(german):
    y = german.target
    assert y.name == "credit"
    assert y.dtype == np.int64
    assert set(y.unique()) == {0, 1}
    assert y.mean() == pytest.approx(0.70)
    assert german.target_names == ["bad", "good"]


def test_german_sensitive_is_young(german):
    young = german.sensitive
    assert young.name == german.sensitive_name == "age_le_25"
    assert young.dtype == bool
    assert young.mean() == pytest.approx(0.19)
    assert ((german.frame["age"] <= 25) == young).all()


def test_german_decodes_codes_to_readable_labels(german):
    X = german.data
    categorical = [column for column in X.columns if column not in GERMAN_NUMERIC]
    assert len(categorical) == 13
    for column in categorical:
        assert isinstance(X[column].dtype, pd.CategoricalDtype), column
        assert X[column].notna().all(), column
        assert not X[column].astype(str).str.match(r"A\d+$").any(), column
    assert X["status"].iloc[0] == "< 0 DM"
    assert X["purpose"].iloc[0] == "radio/television"
    assert X["personal_status"].iloc[0] == "male: single"
    assert X["foreign_worker"].iloc[0] == "yes"
    assert list(X["savings"].cat.categories)[0] == "< 100 DM"


def test_german_without_decoding_keeps_codes():
    X, _, _ = load_german(return_X_y_s=True, decode=False)
    assert X["status"].iloc[0] == "A11"
    assert isinstance(X["purpose"].dtype, pd.CategoricalDtype)
    assert list(X["purpose"].cat.categories)[-1] == "A410"


def test_german_decoding_preserves_counts(german):
    codes, _, _ = load_german(return_X_y_s=True, decode=False)
    no_account = german.data["status"] == "no checking account"
    assert ((codes["status"] == "A14") == no_account).all()
    assert no_account.sum() == 394


def test_german_bunch_and_numpy():
    bunch = load_german(as_frame=False)
    assert isinstance(bunch.data, np.ndarray) and bunch.data.shape == (1000, 19)
    assert bunch.sensitive.dtype == bool
    assert bunch.target.dtype == np.int64
    assert bunch.frame is None
    assert "Hofmann" in bunch.DESCR and "CC BY 4.0" in bunch.DESCR


def test_loaders_read_package_files_only(monkeypatch):
    def refuse_network(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse_network)
    monkeypatch.setattr(socket, "create_connection", refuse_network)
    assert load_adult().data.shape == (30162, 13)
    assert load_german().data.shape == (1000, 19)


# --- make_attribute_blobs ---------------------------------------------------------


def test_blobs_shapes_and_dtypes():
    X, y, s = make_attribute_blobs(n_samples=300, n_task_features=3, random_state=0)
    assert X.shape == (300, 5) and X.dtype == np.float64
    assert y.shape == s.shape == (300,)
    assert y.dtype == s.dtype == np.int64
    assert set(np.unique(s)) == {0, 1, 2}
    assert set(np.unique(y)) == {0, 1}


def test_blobs_group_means_lie_evenly_on_the_circle():
    X, _, s = make_attribute_blobs(
        n_samples=40000, n_groups=4, radius=2.0, cluster_std=0.5, random_state=0
    )
    expected = np.array([[0.0, 2.0], [2.0, 0.0], [0.0, -2.0], [-2.0, 0.0]])
    observed = np.array([X[s == group, :2].mean(axis=0) for group in range(4)])
    np.testing.assert_allclose(observed, expected, atol=0.02)
    within_group_std = np.array([X[s == group, :2].std(axis=0) for group in range(4)])
    np.testing.assert_allclose(within_group_std, 0.5, atol=0.02)


def test_blobs_three_groups_at_120_degrees():
    bunch = make_attribute_blobs(n_samples=30000, random_state=1, return_X_y_s=False)
    angles = np.arctan2(bunch.group_centers[:, 0], bunch.group_centers[:, 1])
    np.testing.assert_allclose(np.degrees(angles), [0.0, 120.0, -120.0], atol=1e-9)
    observed = np.array(
        [bunch.data[bunch.sensitive == group, :2].mean(axis=0) for group in range(3)]
    )
    np.testing.assert_allclose(observed, bunch.group_centers, atol=0.02)


def test_blobs_groups_are_balanced_with_remainder_first():
    _, _, s = make_attribute_blobs(n_samples=11, n_groups=3, random_state=0)
    assert np.bincount(s).tolist() == [4, 4, 3]


def test_blobs_unshuffled_rows_are_sorted_by_group():
    _, _, s = make_attribute_blobs(n_samples=9, shuffle=False, random_state=0)
    assert s.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_blobs_are_reproducible():
    first = make_attribute_blobs(n_samples=200, leakage=0.3, random_state=42)
    second = make_attribute_blobs(n_samples=200, leakage=0.3, random_state=42)
    other = make_attribute_blobs(n_samples=200, leakage=0.3, random_state=43)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_blobs_group_is_predictable_from_blob_coordinates():
    X, _, s = make_attribute_blobs(n_samples=3000, random_state=0)
    accuracy = cross_val_score(LogisticRegression(), X[:, :2], s, cv=3).mean()
    assert 0.83 < accuracy < 0.91


def test_blobs_target_is_predictable_from_task_features():
    X, y, _ = make_attribute_blobs(n_samples=3000, random_state=0)
    accuracy = cross_val_score(LogisticRegression(), X[:, 2:], y, cv=3).mean()
    assert 0.80 < accuracy < 0.88


def test_blobs_target_is_independent_of_group_without_leakage():
    X, y, s = make_attribute_blobs(n_samples=3000, n_classes=3, random_state=0)
    counts = pd.crosstab(s, y).to_numpy()
    assert counts.max() - counts.min() <= 1
    accuracy = cross_val_score(LogisticRegression(), X[:, :2], y, cv=3).mean()
    assert accuracy < 1 / 3 + 0.04


def test_blobs_target_follows_group_with_full_leakage():
    _, y, s = make_attribute_blobs(n_samples=300, n_groups=4, leakage=1.0, random_state=0)
    np.testing.assert_array_equal(y, s % 2)


def test_blobs_target_is_predictable_from_blob_coordinates_with_full_leakage():
    X, y, _ = make_attribute_blobs(n_samples=3000, n_groups=2, leakage=1.0, random_state=0)
    accuracy = cross_val_score(LogisticRegression(), X[:, :2], y, cv=3).mean()
    assert accuracy > 0.9


def test_blobs_partial_leakage_rate():
    _, y, s = make_attribute_blobs(n_samples=20000, n_groups=2, leakage=0.5, random_state=0)
    # Half the labels are forced to s; the other half agree with s by chance.
    assert np.mean(y == s) == pytest.approx(0.75, abs=0.02)


def test_blobs_bunch_output():
    bunch = make_attribute_blobs(n_samples=50, n_groups=5, random_state=0, return_X_y_s=False)
    assert bunch.data.shape == (50, 4)
    assert bunch.group_centers.shape == (5, 2)
    np.testing.assert_allclose(np.linalg.norm(bunch.group_centers, axis=1), 1.0)
    assert bunch.feature_names == ["attribute_0", "attribute_1", "task_0", "task_1"]


@pytest.mark.parametrize(
    "arguments, name",
    [
        ({"n_groups": 1}, "n_groups"),
        ({"n_groups": 2.5}, "n_groups"),
        ({"n_samples": 2, "n_groups": 3}, "n_samples"),
        ({"n_samples": 3}, r"n_samples must be an integer >= 6 \(n_groups \* n_classes"),
        ({"n_classes": 1}, "n_classes"),
        ({"n_task_features": 0}, "n_task_features"),
        ({"cluster_std": 0.0}, "cluster_std"),
        ({"cluster_std": -1.0}, "cluster_std"),
        ({"radius": 0}, "radius"),
        ({"radius": np.inf}, "radius must be a finite number > 0"),
        ({"cluster_std": float("nan")}, "cluster_std"),
        ({"class_separation": np.inf}, "class_separation"),
        ({"class_separation": -0.1}, "class_separation"),
        ({"leakage": 1.5}, "leakage"),
        ({"leakage": -0.1}, "leakage"),
        ({"leakage": float("nan")}, "leakage"),
    ],
)
def test_blobs_reject_bad_arguments(arguments, name):
    with pytest.raises(ValueError, match=name):
        make_attribute_blobs(**arguments)


def test_blobs_smallest_size_puts_every_class_in_every_group():
    _, y, s = make_attribute_blobs(n_samples=6, random_state=0)
    assert pd.crosstab(s, y).to_numpy().tolist() == [[1, 1]] * 3


def test_colored_digits_bias_colour_by_class_in_training_only():
    from skinvariant.datasets import make_colored_digits
    from skinvariant.datasets._generators import DIGIT_CLASS_COLORS

    X_train, X_test, y_train, y_test, c_train, c_test = make_colored_digits(0.02, random_state=0)
    assert X_train.shape == (1257, 192) and X_test.shape == (540, 192)
    assert c_train.shape == (1257, 3) and set(np.unique(y_train)) == set(range(10))
    deviation = c_train - DIGIT_CLASS_COLORS[y_train]
    assert np.abs(deviation).mean() < 0.03  # training colours sit near their class colour
    # test colours are random: far from the class colour and uniform on [0, 1]
    assert np.abs(c_test - DIGIT_CLASS_COLORS[y_test]).mean() > 0.2
    assert 0.4 < c_test.mean() < 0.6
    # the brightest pixel of a digit is its colour (images reach full intensity)
    pixels = X_train.reshape(-1, 64, 3)
    brightest = pixels[np.arange(len(pixels)), pixels.sum(2).argmax(1)]
    np.testing.assert_allclose(brightest, c_train, atol=1e-12)


def test_colored_digits_binned_colour_and_reproducibility():
    from skinvariant.datasets import make_colored_digits

    first = make_colored_digits(0.05, color="binned", n_bins=4, random_state=3)
    second = make_colored_digits(0.05, color="binned", n_bins=4, random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[4].dtype.kind == "i" and first[4].min() >= 0 and first[4].max() <= 3


def test_colored_digits_bad_arguments_name_the_argument():
    from skinvariant.datasets import make_colored_digits

    with pytest.raises(ValueError, match="sigma"):
        make_colored_digits(-1)
    with pytest.raises(ValueError, match="color"):
        make_colored_digits(0.02, color="hsv")


@pytest.mark.parametrize("maker", ["make_colored_digits", "make_colored_background_digits"])
def test_colored_digits_test_size_leaves_every_class_in_both_splits(maker):
    from skinvariant import datasets

    make = getattr(datasets, maker)
    for test_size in (1.0, 0.001, float("nan")):
        with pytest.raises(ValueError, match=r"test_size must .*\(0\.005008, 0\.9944\]"):
            make(test_size=test_size)
    # the bounds: 10 digits, one per class, in the smaller split
    for test_size, n_test in ((9.5 / 1797, 10), (1787 / 1797, 1787)):
        split = make(test_size=test_size, random_state=0)
        y_train, y_test = (split.y_train, split.y_test) if isinstance(split, Bunch) else split[2:4]
        assert len(y_test) == n_test
        assert set(y_train.tolist()) == set(y_test.tolist()) == set(range(10))


def test_spheres_put_each_class_on_its_radius():
    from skinvariant.datasets import make_spheres

    X, y = make_spheres(301, n_features=100, radii=(1, 10), random_state=0)
    assert X.shape == (301, 100) and np.bincount(y).tolist() == [151, 150]
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.where(y == 0, 1.0, 10.0))
    X_again, _ = make_spheres(301, n_features=100, radii=(1, 10), random_state=0)
    np.testing.assert_array_equal(X, X_again)
    for radii in ((1, 1), (1, np.nan), (1, np.inf)):
        with pytest.raises(ValueError, match="radii must hold at least two distinct finite"):
            make_spheres(10, radii=radii)


PAPER_001_TRAIN_ANGLES = (-45, -22.5, 0, 22.5, 45)
PAPER_001_TEST_ANGLES = (-75, -65, 65, 75)


def test_colored_background_digits_shapes_range_and_palettes():
    from skinvariant.datasets import make_colored_background_digits

    data = make_colored_background_digits(random_state=0)
    assert data.X_train.shape == (1257, 192) and data.X_test.shape == (540, 192)
    assert data.nuisance_train.shape == (1257, 2) and data.nuisance_test.shape == (540, 2)
    assert data.nuisance_train.dtype.kind == "i"
    assert 0.0 <= min(data.X_train.min(), data.X_test.min())
    assert max(data.X_train.max(), data.X_test.max()) <= 1.0
    assert set(np.unique(data.y_train)) == set(range(10))
    # every digit colour in both splits; backgrounds 0-2 in training, 3-5 only in test
    assert np.unique(data.nuisance_train[:, 0]).tolist() == list(range(6))
    assert np.unique(data.nuisance_test[:, 0]).tolist() == list(range(6))
    assert np.unique(data.nuisance_train[:, 1]).tolist() == [0, 1, 2]
    assert np.unique(data.nuisance_test[:, 1]).tolist() == [3, 4, 5]
    train_rgb = data.background_colors[:3]
    test_rgb = data.background_colors[3:]
    assert np.abs(train_rgb[:, None] - test_rgb[None]).sum(axis=2).min() > 0.4


def test_colored_background_digits_paint_ink_and_background_with_their_colours():
    from skinvariant.datasets import make_colored_background_digits

    data = make_colored_background_digits(random_state=0)
    for split in ("train", "test"):
        pixels = data[f"X_{split}"].reshape(-1, 64, 3)
        digit, background = data[f"nuisance_{split}"].T
        ink = data.digit_colors[digit][:, None]
        paper = data.background_colors[background][:, None]
        # each image reaches full ink somewhere and has blank pixels elsewhere
        assert np.all(np.isclose(pixels, ink).all(axis=2).any(axis=1))
        assert np.all(np.isclose(pixels, paper).all(axis=2).any(axis=1))


def test_colored_background_digits_colours_follow_the_class_in_training_only():
    from skinvariant.datasets import make_colored_background_digits

    data = make_colored_background_digits(0.9, random_state=0)
    digit, background = data.nuisance_train.T
    # expected 0.9 + 0.1 / 6 = 0.917 and 0.9 + 0.1 / 3 = 0.933; measured 0.914 and 0.941
    assert 0.89 < np.mean(digit == data.y_train % 6) < 0.95
    assert 0.91 < np.mean(background == data.y_train % 3) < 0.96
    # in test the colours are independent of the class: chance is 1/6 and 1/3
    assert abs(np.mean(data.nuisance_test[:, 0] == data.y_test % 6) - 1 / 6) < 0.05
    assert abs(np.mean(data.nuisance_test[:, 1] - 3 == data.y_test % 3) - 1 / 3) < 0.05

    determined = make_colored_background_digits(1.0, random_state=0)
    np.testing.assert_array_equal(determined.nuisance_train[:, 0], determined.y_train % 6)
    np.testing.assert_array_equal(determined.nuisance_train[:, 1], determined.y_train % 3)
    independent = make_colored_background_digits(0.0, random_state=0)
    assert abs(np.mean(independent.nuisance_train[:, 0] == independent.y_train % 6) - 1 / 6) < 0.04


def test_colored_background_digits_are_reproducible():
    from skinvariant.datasets import make_colored_background_digits

    first, second, other = (make_colored_background_digits(random_state=seed) for seed in (3, 3, 4))
    for key in ("X_train", "X_test", "y_test", "nuisance_train", "nuisance_test", "angle_test"):
        np.testing.assert_array_equal(first[key], second[key])
    assert not np.array_equal(first.X_train, other.X_train)


def test_rotated_colored_digits_test_angles_lie_outside_the_training_angles():
    from skinvariant.datasets import make_colored_background_digits

    data = make_colored_background_digits(
        train_angles=PAPER_001_TRAIN_ANGLES, test_angles=PAPER_001_TEST_ANGLES, random_state=0
    )
    assert set(data.angle_train.tolist()) == set(PAPER_001_TRAIN_ANGLES)
    assert set(data.angle_test.tolist()) == set(PAPER_001_TEST_ANGLES)
    assert np.abs(data.angle_test).min() > np.abs(data.angle_train).max()
    assert 0.0 <= data.X_test.min() and data.X_test.max() <= 1.0


def test_rotated_colored_digits_rotate_before_painting():
    from skinvariant.datasets import make_colored_background_digits

    upright = make_colored_background_digits(random_state=0)
    turned = make_colored_background_digits(test_angles=(90,), random_state=0)
    np.testing.assert_array_equal(upright.nuisance_test, turned.nuisance_test)
    # the digit is turned a quarter counter-clockwise before it is painted
    np.testing.assert_allclose(
        turned.X_test.reshape(-1, 8, 8, 3),
        np.rot90(upright.X_test.reshape(-1, 8, 8, 3), axes=(1, 2)),
    )


def test_colored_background_digits_cells_give_worst_group_accuracy():
    from skinvariant.datasets import make_colored_background_digits
    from skinvariant.metrics import worst_group_accuracy

    data = make_colored_background_digits(random_state=0)
    cells = np.column_stack([data.y_test, data.nuisance_test[:, 1]])  # (class, background)
    y_pred = data.y_test.copy()
    wrong = (data.y_test == 7) & (data.nuisance_test[:, 1] == 4)
    y_pred[wrong] = 0  # every digit 7 on background 4 misclassified
    assert wrong.sum() >= 5
    assert worst_group_accuracy(data.y_test, y_pred, sensitive=cells) == 0.0
    assert np.mean(y_pred == data.y_test) > 0.95


@pytest.mark.parametrize(
    "arguments, name",
    [
        ({"correlation": 1.5}, "correlation"),
        ({"test_size": 0}, "test_size"),
        ({"train_angles": ()}, "train_angles"),
        ({"test_angles": (65, 65)}, "test_angles"),
    ],
)
def test_colored_background_digits_bad_arguments_name_the_argument(arguments, name):
    from skinvariant.datasets import make_colored_background_digits

    with pytest.raises(ValueError, match=name):
        make_colored_background_digits(**arguments)


def test_inverted_digits_split_by_the_same_seed_keep_both_origins_in_the_test_part():
    from sklearn.model_selection import train_test_split

    from skinvariant.datasets import make_inverted_digits

    X, y, inverted = make_inverted_digits(random_state=0)
    *_, inverted_test = train_test_split(X, y, inverted, test_size=0.3, stratify=y, random_state=0)
    assert 0.4 < inverted_test.mean() < 0.6  # was 7 of 540 with a per-class permutation


@pytest.mark.parametrize("fraction, origin", [(0.001, 1), (0.999, 0)])
def test_inverted_digits_keep_one_image_of_each_origin_per_class(fraction, origin):
    from skinvariant.datasets import make_inverted_digits

    _, y, inverted = make_inverted_digits(inverted_fraction=fraction, random_state=0)
    assert np.bincount(y[inverted == origin]).tolist() == [1] * 10


def test_mixed_factors_are_determined_by_their_factors():
    from skinvariant.datasets import make_mixed_factors

    X, y, s = make_mixed_factors(
        400, n_factors=3, n_levels=4, n_features=6, noise=0.0, random_state=0
    )
    assert X.shape == (400, 6) and y.shape == (400,) and s.shape == (400, 2)
    assert set(np.unique(y)) == set(np.unique(s)) == {0, 1, 2, 3}
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0)
    # without noise, rows with the same factors are the same row
    factors = np.column_stack([y, s])
    _, first, inverse = np.unique(factors, axis=0, return_index=True, return_inverse=True)
    np.testing.assert_allclose(X, X[first][inverse.ravel()])
    X_again, _, _ = make_mixed_factors(
        400, n_factors=3, n_levels=4, n_features=6, noise=0.0, random_state=0
    )
    np.testing.assert_array_equal(X, X_again)
    with pytest.raises(ValueError, match="n_factors must be an integer >= 2"):
        make_mixed_factors(10, n_factors=1)
    with pytest.raises(ValueError, match="noise"):
        make_mixed_factors(10, noise=-1.0)
