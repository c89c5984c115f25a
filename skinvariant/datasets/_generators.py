"""Synthetic data sets whose features carry a known sensitive attribute."""

import colorsys
import math
import numbers

import numpy as np
from scipy.ndimage import rotate
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state


def _check_integer(name, value, minimum, why=""):
    """Raise a ValueError naming ``name`` unless ``value`` is an int >= ``minimum``.

    ``why``, e.g. ``" (n_groups * n_classes)"``, follows the minimum in the message.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{why}; got {value!r}.")


def _check_real(name, value, *, low, high=np.inf, include_low=True):
    """Raise a ValueError naming ``name`` unless ``value`` is a finite number in range."""
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if (
        is_number
        and math.isfinite(value)
        and (low < value <= high or (include_low and value == low))
    ):
        return
    if high < np.inf:
        bounds = f"in {'[' if include_low else '('}{low}, {high}]"
    else:
        bounds = f"{'>=' if include_low else '>'} {low}"
    raise ValueError(f"{name} must be a finite number {bounds}; got {value!r}.")


def _check_test_size(test_size, y):
    """Raise a ValueError unless a split stratified by ``y`` leaves every class in both parts."""
    n_samples, n_classes = len(y), len(np.unique(y))
    is_share = isinstance(test_size, numbers.Real) and 0 < test_size < 1
    # scikit-learn's split puts ceil(test_size * n_samples) rows in the test part
    if not (is_share and n_classes <= math.ceil(test_size * n_samples) <= n_samples - n_classes):
        raise ValueError(
            f"test_size must leave each split at least one digit of each of the {n_classes} "
            f"classes: a number in ({(n_classes - 1) / n_samples:.4g}, "
            f"{(n_samples - n_classes) / n_samples:.4g}] for the {n_samples} digits; "
            f"got {test_size!r}."
        )


def _group_sizes(n_samples, n_groups):
    """Split ``n_samples`` evenly, giving the remainder to the first groups."""
    base, remainder = divmod(n_samples, n_groups)
    return np.array([base + (group < remainder) for group in range(n_groups)])


def _group_centers(n_groups, radius):
    """Return ``n_groups`` points evenly spaced on a circle, the first at the top."""
    angles = 2 * np.pi * np.arange(n_groups) / n_groups
    return radius * np.column_stack([np.sin(angles), np.cos(angles)])


def _labels_balanced_per_group(group_sizes, n_classes, rng):
    """Draw labels that are as balanced as possible within every group."""
    per_group = [
        rng.permutation(np.arange(size, dtype=np.int64) % n_classes) for size in group_sizes
    ]
    return np.concatenate(per_group)


def _task_features(y, n_classes, n_task_features, class_separation, rng):
    """Draw unit-variance Gaussian features whose mean moves with ``y``.

    Consecutive classes have means ``class_separation`` apart (Euclidean
    distance) on the diagonal; the class means are centred on the origin.
    """
    offset = class_separation * (y - (n_classes - 1) / 2) / np.sqrt(n_task_features)
    noise = rng.standard_normal((len(y), n_task_features))
    return offset[:, np.newaxis] + noise


def make_attribute_blobs(
    n_samples=1000,
    *,
    n_groups=3,
    n_classes=2,
    n_task_features=2,
    cluster_std=0.6,
    radius=1.0,
    class_separation=2.0,
    leakage=0.0,
    shuffle=True,
    random_state=None,
    return_X_y_s=True,
):
    """Generate the K-Gaussians toy data: a sensitive group per Gaussian blob.

    This extends the toy data of Iwasawa et al. (IJCAI 2020, section 2.2),
    where each of K groups is an isotropic Gaussian blob in the plane. Group
    ``i`` has mean ``radius * [sin(2 pi i / K), cos(2 pi i / K)]`` for ``i`` in
    ``0 .. K - 1``: the means are evenly spaced on a circle, group 0 at the top
    (the paper prints the angle ambiguously; this even spacing is its intent).

    ``X`` has ``2 + n_task_features`` columns:

    - columns 0 and 1, the blob coordinates, carry the group ``s``. With the
      default ``cluster_std=0.6`` and ``radius=1``, the best possible
      classifier predicts ``s`` from them with an accuracy of about 0.95 for
      K=2, 0.87 for K=3 and 0.78 for K=4 (chance: 1/K);
    - the other columns carry the target ``y``: they are unit-variance
      Gaussians whose mean moves along the diagonal with the class,
      consecutive class means being ``class_separation`` apart. With the
      defaults (2 classes, separation 2), the best accuracy is about 0.84.

    ``y`` is as balanced as possible within every group, so at
    ``leakage=0`` it is independent of ``s``. With probability ``leakage``, a
    sample's label is then replaced by ``s % n_classes``, which makes ``y``
    depend on ``s``, to study the trade-off between accuracy and invariance.
    The task features are drawn after this replacement, so they always
    describe the final ``y``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples, at least ``n_groups * n_classes``, so that every
        group holds every class (with ``leakage=0``). Each group gets
        ``n_samples // n_groups`` samples, the first ``n_samples % n_groups``
        groups one more.
    n_groups : int, default=3
        Number of groups K (blobs), at least 2.
    n_classes : int, default=2
        Number of classes of ``y``, at least 2.
    n_task_features : int, default=2
        Number of features that carry ``y``, at least 1.
    cluster_std : float, default=0.6
        Standard deviation of every blob along each axis; finite, > 0.
    radius : float, default=1.0
        Radius of the circle on which the blob means lie; finite, > 0.
    class_separation : float, default=2.0
        Distance between the means of consecutive classes in the task
        features; finite, >= 0 (0 makes ``y`` unpredictable from them).
    leakage : float, default=0.0
        Probability, in [0, 1], that a sample's label is ``s % n_classes``
        instead of its independent draw.
    shuffle : bool, default=True
        If True, shuffle the samples; if False, they are sorted by group.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for reproducible output.
    return_X_y_s : bool, default=True
        If True, return ``(X, y, s)``; if False, a Bunch.

    Returns
    -------
    X : ndarray of shape (n_samples, 2 + n_task_features), dtype float64
        The features: blob coordinates first, then task features.
    y : ndarray of shape (n_samples,), dtype int64
        The target, in ``0 .. n_classes - 1``.
    s : ndarray of shape (n_samples,), dtype int64
        The sensitive group (blob index), in ``0 .. n_groups - 1``.

    data : :class:`~sklearn.utils.Bunch`
        Returned instead of the tuple if ``return_X_y_s`` is False, with
        ``data`` (X), ``target`` (y), ``sensitive`` (s), ``group_centers``
        (ndarray of shape (n_groups, 2), the blob means) and
        ``feature_names`` (``attribute_0``, ``attribute_1``, ``task_0``...).

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(n_samples=300, random_state=0)
    >>> X.shape
    (300, 4)
    >>> [int(count) for count in np.bincount(s)]
    [100, 100, 100]
    """
    _check_integer("n_groups", n_groups, 2)
    _check_integer("n_classes", n_classes, 2)
    _check_integer(
        "n_samples",
        n_samples,
        n_groups * n_classes,
        " (n_groups * n_classes, so that every group holds every class)",
    )
    _check_integer("n_task_features", n_task_features, 1)
    _check_real("cluster_std", cluster_std, low=0, include_low=False)
    _check_real("radius", radius, low=0, include_low=False)
    _check_real("class_separation", class_separation, low=0)
    _check_real("leakage", leakage, low=0, high=1)
    rng = check_random_state(random_state)

    group_sizes = _group_sizes(n_samples, n_groups)
    s = np.repeat(np.arange(n_groups, dtype=np.int64), group_sizes)
    group_centers = _group_centers(n_groups, radius)
    blob_noise = cluster_std * rng.standard_normal((n_samples, 2))
    attribute_features = group_centers[s] + blob_noise
    y = _labels_balanced_per_group(group_sizes, n_classes, rng)
    leaked = rng.random(n_samples) < leakage
    y[leaked] = s[leaked] % n_classes
    task_features = _task_features(y, n_classes, n_task_features, class_separation, rng)
    X = np.hstack([attribute_features, task_features])

    if shuffle:
        order = rng.permutation(n_samples)
        X, y, s = X[order], y[order], s[order]
    if return_X_y_s:
        return X, y, s
    feature_names = ["attribute_0", "attribute_1"] + [
        f"task_{index}" for index in range(n_task_features)
    ]
    return Bunch(
        data=X,
        target=y,
        sensitive=s,
        group_centers=group_centers,
        feature_names=feature_names,
    )


# Ten well-separated colours, one per digit class (hues evenly spaced on the
# colour wheel, full saturation and value), as in the colour-biased digits of
# Kim et al. (CVPR 2019) used by Ragonesi et al. (CVPR-W 2021).
DIGIT_CLASS_COLORS = np.array([colorsys.hsv_to_rgb(k / 10, 1.0, 1.0) for k in range(10)])


def make_colored_digits(sigma=0.02, *, test_size=0.3, color="rgb", n_bins=2, random_state=None):
    """Colour-biased digits: in training each class has its own colour, in test colours are random.

    Built from scikit-learn's bundled 8x8 digits (no download). Each image
    (scaled to a peak of 1) is painted with one RGB colour, so its brightest
    pixel is its colour. In the training split
    the colour of a digit of class k is drawn from a Gaussian around a
    class-specific mean with standard deviation ``sigma`` per channel (clipped
    to [0, 1]), so colour predicts the class; in the test split the colour is
    uniform at random. A model that learns colour instead of shape fails the
    test split; the smaller ``sigma``, the stronger the bias (Ragonesi et al.
    2021, section 5.1; they use sigma from 0.02 to 0.05 on MNIST).

    Parameters
    ----------
    sigma : float, default=0.02
        Standard deviation of the training colours around their class mean.
    test_size : float, default=0.3
        Share of the 1,797 digits in the test split (stratified by class),
        leaving each split one digit of each class at least: in
        (0.005008, 0.9944].
    color : {"rgb", "binned"}, default="rgb"
        How the colour is returned as the sensitive attribute: continuous RGB
        in [0, 1], or each channel binned into ``n_bins`` integer levels (a
        2-D categorical attribute; each unique row is one group), the
        discrete encoding of the paper.
    n_bins : int, default=2
        Levels per channel when ``color="binned"`` (8 colour groups). More
        levels can leave a group with a single training sample, which the
        estimators refuse.
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the colours.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 192)
        Coloured images, flattened as 8 x 8 pixels x 3 channels.
    y_train, y_test : ndarray of shape (n,)
        Digit classes.
    color_train, color_test : ndarray of shape (n, 3)
        The colour of each image (float RGB, or int bins).

    Examples
    --------
    >>> from skinvariant.datasets import make_colored_digits
    >>> X_train, X_test, y_train, y_test, c_train, c_test = make_colored_digits(0.02, random_state=0)
    >>> X_train.shape, c_train.shape
    ((1257, 192), (1257, 3))
    """
    _check_real("sigma", sigma, low=0)
    _check_integer("n_bins", n_bins, 2)
    if color not in ("rgb", "binned"):
        raise ValueError(f"color must be 'rgb' or 'binned'; got {color!r}.")
    images, y = _peak_scaled_digits()
    _check_test_size(test_size, y)
    rng = check_random_state(random_state)
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=rng
    )
    train_colors = np.clip(
        DIGIT_CLASS_COLORS[y[train]] + rng.normal(0.0, sigma, (len(train), 3)), 0.0, 1.0
    )
    test_colors = rng.uniform(0.0, 1.0, (len(test), 3))
    outputs = []
    for rows, colors in ((train, train_colors), (test, test_colors)):
        painted = images[rows][..., None] * colors[:, None, None, :]
        outputs.append(painted.reshape(len(rows), -1))
    if color == "binned":
        train_colors, test_colors = (
            np.minimum((c * n_bins).astype(int), n_bins - 1) for c in (train_colors, test_colors)
        )
    return outputs[0], outputs[1], y[train], y[test], train_colors, test_colors


def _digit_images():
    """scikit-learn's bundled 8x8 digits scaled to [0, 1], and their classes."""
    digits = load_digits()
    return digits.images / 16.0, digits.target


def _peak_scaled_digits():
    """The bundled 8x8 digits, each scaled to a peak of 1 (its brightest pixel is 1)."""
    digits = load_digits()
    return digits.images / digits.images.max(axis=(1, 2), keepdims=True), digits.target


def _rotate(images, angle):
    """``images`` rotated counter-clockwise by ``angle`` degrees, 8 x 8 frame kept, in [0, 1]."""
    return np.clip(rotate(images, angle, axes=(2, 1), reshape=False, order=1), 0.0, 1.0)


def _check_angles(name, angles):
    """``angles`` as a 1-D array of distinct numbers, or a ValueError naming ``name``."""
    angles = np.asarray(angles)
    if angles.ndim != 1 or len(angles) == 0 or not np.issubdtype(angles.dtype, np.number):
        raise ValueError(
            f"{name} must be a non-empty sequence of numbers (degrees); got {angles!r}."
        )
    if len(np.unique(angles)) != len(angles):
        raise ValueError(f"{name} must be distinct; got {angles.tolist()}.")
    return angles


def make_inverted_digits(*, inverted_fraction=0.5, random_state=None):
    """Digits, some of them inverted: the origin (plain or inverted) is the sensitive attribute.

    The small-scale version of Boedi and Grabner's (2021) MNIST / inverted MNIST (MNIST-I),
    built from scikit-learn's bundled 8x8 digits (no download), scaled to
    [0, 1]. In each class a share ``inverted_fraction`` of the images is
    replaced by its negative ``1 - x``, so the origin is independent of the
    digit but trivially visible in the pixels: a plain network learns one
    cluster per (digit, origin), an invariant one a single cluster per digit.
    Each image appears once (the paper uses every image twice; an image and
    its own negative would be perfect nearest-neighbour partners, and one of
    them could land in the test split while the other trains).

    Parameters
    ----------
    inverted_fraction : float, default=0.5
        Share of each class's images that are inverted, in (0, 1). Each
        class keeps one image of each origin at least, so a share too small
        (or too large) to round to one image inverts one image (or all but one).
    random_state : int, RandomState instance or None, default=None
        Seeds which images are inverted.

    Returns
    -------
    X : ndarray of shape (1797, 64)
        Flattened 8 x 8 images in [0, 1].
    y : ndarray of shape (1797,)
        Digit classes.
    inverted : ndarray of shape (1797,), dtype int
        1 for an inverted image, 0 for a plain one.

    Examples
    --------
    >>> from skinvariant.datasets import make_inverted_digits
    >>> X, y, inverted = make_inverted_digits(random_state=0)
    >>> X.shape, round(float(inverted.mean()), 2)
    ((1797, 64), 0.5)
    """
    _check_real("inverted_fraction", inverted_fraction, low=0, high=1, include_low=False)
    if inverted_fraction == 1:
        raise ValueError("inverted_fraction must be below 1, so that both origins occur; got 1.")
    rng = check_random_state(random_state)
    images, y = _digit_images()
    X = images.reshape(len(y), -1)
    # One random key per image, the lowest keys of each class inverted. Not a
    # permutation per class: scikit-learn's stratified split draws those from
    # the same seed, and with random_state=0 on both, 7 of 540 test images
    # were inverted where half should be.
    keys = rng.random_sample(len(y))
    inverted = np.zeros(len(y), dtype=int)
    for digit in np.unique(y):
        rows = np.flatnonzero(y == digit)
        count = min(max(round(inverted_fraction * len(rows)), 1), len(rows) - 1)
        inverted[rows[np.argsort(keys[rows])][:count]] = 1
    X = np.where(inverted[:, None] == 1, 1.0 - X, X)
    return X, y, inverted


def make_rotated_digits(angles=(0, 30)):
    """Digits rotated by each angle: the angle is the domain.

    The small-scale version of Boedi and Grabner's (2021) MNIST / rotated MNIST (MNIST-R),
    built from scikit-learn's bundled 8x8 digits (no download), scaled to
    [0, 1]. Every image is rotated counter-clockwise about its centre by every
    angle (bilinear interpolation, the 8 x 8 frame kept, pixels rotated out
    of it lost). Rows come in blocks, one per angle in the order given, each
    block holding the 1,797 images in the same order: row ``i`` is image
    ``i % 1797``. Split by image (not by row) so that no digit trains in one
    domain and tests in another.

    Parameters
    ----------
    angles : sequence of float, default=(0, 30)
        Rotation angles in degrees; one domain each.

    Returns
    -------
    X : ndarray of shape (1797 * len(angles), 64)
        Flattened 8 x 8 images in [0, 1].
    y : ndarray of shape (1797 * len(angles),)
        Digit classes.
    angle : ndarray of shape (1797 * len(angles),)
        The rotation of each row, in degrees.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.datasets import make_rotated_digits
    >>> X, y, angle = make_rotated_digits(angles=(0, 45))
    >>> X.shape, np.unique(angle).tolist()
    ((3594, 64), [0, 45])
    >>> image = np.arange(len(X)) % 1797  # the source image of each row
    """
    angles = _check_angles("angles", angles)
    images, y = _digit_images()
    blocks = [_rotate(images, angle) for angle in angles]
    X = np.concatenate(blocks).reshape(len(angles) * len(y), -1)
    return X, np.tile(y, len(angles)), np.repeat(angles, len(y))


# Paper 001's Colored-MNIST palettes: six bright digit colours (hues 60 degrees apart) and six
# dark background colours (value 0.5, hues halfway between the digit hues, so no background
# looks like a digit); backgrounds 0-2 are the training ones, 3-5 appear only in test.
DIGIT_COLORS = np.array([colorsys.hsv_to_rgb(k / 6, 1.0, 1.0) for k in range(6)])
BACKGROUND_COLORS = np.array(
    [colorsys.hsv_to_rgb(hue / 360, 1.0, 0.5) for hue in (30, 150, 270, 90, 210, 330)]
)
N_TRAIN_BACKGROUNDS = 3


def _class_biased_colors(y, n_colors, correlation, rng):
    """Colour indices: ``y % n_colors`` with probability ``correlation``, else uniform."""
    follows_class = rng.random_sample(len(y)) < correlation
    return np.where(follows_class, y % n_colors, rng.randint(n_colors, size=len(y)))


def _rotate_each(images, angles):
    """Each image rotated by its own angle (degrees), one call per distinct angle."""
    rotated = images.copy()
    for angle in np.unique(angles):
        rows = angles == angle
        rotated[rows] = _rotate(images[rows], angle)
    return rotated


def _paint(images, digit_colors, background_colors):
    """Blend each image's digit colour (ink) and background colour by pixel intensity.

    Returns the images flattened as 8 x 8 pixels x 3 channels.
    """
    ink = images[..., np.newaxis]
    painted = (
        ink * digit_colors[:, np.newaxis, np.newaxis, :]
        + (1.0 - ink) * background_colors[:, np.newaxis, np.newaxis, :]
    )
    return painted.reshape(len(images), -1)


def make_colored_background_digits(
    correlation=0.9, *, train_angles=(0,), test_angles=(0,), test_size=0.3, random_state=None
):
    """Paper 001's Colored-MNIST on 8x8 digits: digit and background colours as nuisances.

    Built from scikit-learn's bundled 8x8 digits (no download), each scaled to
    a peak of 1; a pixel of intensity ``a`` becomes
    ``a * digit_color + (1 - a) * background_color``. Two known nuisance
    factors (Zhu, Xie and Abd-Almageed 2022, section 4.1):

    - the digit colour, one of six bright colours (``DIGIT_COLORS``);
    - the background colour, one of three dark colours in training and one of
      three *other* dark colours in test (``BACKGROUND_COLORS`` rows 0-2 and
      3-5), so test backgrounds are never seen in training.

    In training the colours are spurious: with probability ``correlation``
    a digit of class ``k`` gets digit colour ``k % 6`` and, independently
    with the same probability, background ``k % 3``; otherwise each is drawn
    uniformly from its training palette. In test both are uniform and
    independent of the class. The paper states no correlation; 0 gives its
    literal setting, in which only the backgrounds shift.

    Rotation-Colored-MNIST (the paper's Table 2) rotates each digit, before
    painting, by an angle drawn uniformly from ``train_angles`` or
    ``test_angles``; the paper uses ``train_angles=(-45, -22.5, 0, 22.5, 45)``
    and ``test_angles=(-75, -65, 65, 75)``, and treats the angle as an
    unknown nuisance (it is not a column of ``nuisance``).

    Parameters
    ----------
    correlation : float, default=0.9
        Probability, in [0, 1], that a training digit takes its class's digit
        colour (and, independently, its class's background).
    train_angles : sequence of float, default=(0,)
        Rotation angles of the training digits, in degrees (counter-clockwise).
    test_angles : sequence of float, default=(0,)
        Rotation angles of the test digits.
    test_size : float, default=0.3
        Share of the 1,797 digits in the test split (stratified by class),
        leaving each split one digit of each class at least: in
        (0.005008, 0.9944].
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the colours and the angles.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``X_train`` and ``X_test`` (ndarray of shape (n, 192), values in
        [0, 1], 8 x 8 pixels x 3 channels), ``y_train`` and ``y_test`` (digit
        classes), ``nuisance_train`` and ``nuisance_test`` (int ndarray of
        shape (n, 2): digit colour index into ``digit_colors``, background
        colour index into ``background_colors``), ``angle_train`` and
        ``angle_test`` (the rotation of each digit), ``digit_colors`` (6, 3),
        ``background_colors`` (6, 3) and ``nuisance_names``. Groups for
        worst-group accuracy are the (class, nuisance) cells:
        ``np.column_stack([y_test, nuisance_test])`` as ``sensitive``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.datasets import make_colored_background_digits
    >>> data = make_colored_background_digits(random_state=0)
    >>> data.X_train.shape, data.nuisance_train.shape
    ((1257, 192), (1257, 2))
    >>> np.unique(data.nuisance_train[:, 1]).tolist(), np.unique(data.nuisance_test[:, 1]).tolist()
    ([0, 1, 2], [3, 4, 5])
    >>> cells = np.column_stack([data.y_test, data.nuisance_test])  # worst-group cells
    """
    _check_real("correlation", correlation, low=0, high=1)
    train_angles = _check_angles("train_angles", train_angles)
    test_angles = _check_angles("test_angles", test_angles)
    images, y = _peak_scaled_digits()
    _check_test_size(test_size, y)
    rng = check_random_state(random_state)
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=rng
    )
    n_test_backgrounds = len(BACKGROUND_COLORS) - N_TRAIN_BACKGROUNDS
    nuisance = {
        "train": np.column_stack(
            [
                _class_biased_colors(y[train], len(DIGIT_COLORS), correlation, rng),
                _class_biased_colors(y[train], N_TRAIN_BACKGROUNDS, correlation, rng),
            ]
        ),
        "test": np.column_stack(
            [
                rng.randint(len(DIGIT_COLORS), size=len(test)),
                N_TRAIN_BACKGROUNDS + rng.randint(n_test_backgrounds, size=len(test)),
            ]
        ),
    }
    data = Bunch(
        digit_colors=DIGIT_COLORS.copy(),
        background_colors=BACKGROUND_COLORS.copy(),
        nuisance_names=["digit_color", "background_color"],
    )
    for split, rows, angles in (("train", train, train_angles), ("test", test, test_angles)):
        angle = rng.choice(angles, len(rows))
        digit, background = nuisance[split].T
        data[f"X_{split}"] = _paint(
            _rotate_each(images[rows], angle), DIGIT_COLORS[digit], BACKGROUND_COLORS[background]
        )
        data[f"y_{split}"] = y[rows]
        data[f"nuisance_{split}"] = nuisance[split]
        data[f"angle_{split}"] = angle
    return data


def make_mixed_factors(
    n_samples=2000, *, n_factors=4, n_levels=5, n_features=16, noise=0.05, random_state=None
):
    """Generate features fully determined by known discrete factors, mixed by a random network.

    Each sample has ``n_factors`` independent factors, each uniform over
    ``n_levels`` evenly spaced values in [-1, 1]. ``X`` is a fixed random
    two-layer tanh network of the factor values (hidden width
    ``2 * n_features``, weights drawn from ``random_state``), plus Gaussian
    noise of standard deviation ``noise``, each column then standardised.
    Factor 0 is the target ``y``; the others are the known nuisance factors
    ``s``. Unlike the coloured digits, where the digit's shape and style are
    unknown factors, every generative factor is known: the setting of
    weakly supervised disentanglement (Locatello et al. 2020) and of paper
    001's disentanglement table (3dShapes), in which two rows that differ in
    exactly k factors of ``s`` and share ``y`` differ in nothing else but the
    noise. Use it to compare codes with
    :func:`~skinvariant.metrics.mutual_information_gap`,
    :func:`~skinvariant.metrics.separated_attribute_predictability` and
    :func:`~skinvariant.metrics.dci_disentanglement`.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of samples.
    n_factors : int, default=4
        Number of factors, at least 2: the target and ``n_factors - 1``
        nuisance factors.
    n_levels : int, default=5
        Number of values of each factor, at least 2.
    n_features : int, default=16
        Number of columns of ``X``.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added before standardising,
        at least 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the mixing network, the factors and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Standardised features.
    y : ndarray of shape (n_samples,)
        Factor 0, in ``0 .. n_levels - 1``.
    s : ndarray of shape (n_samples, n_factors - 1)
        The nuisance factors, one column each, in ``0 .. n_levels - 1``;
        pass it as ``sensitive`` (one known factor per column).

    Examples
    --------
    >>> from skinvariant.datasets import make_mixed_factors
    >>> X, y, s = make_mixed_factors(500, random_state=0)
    >>> X.shape, s.shape
    ((500, 16), (500, 3))
    """
    _check_integer("n_samples", n_samples, 1)
    _check_integer("n_factors", n_factors, 2)
    _check_integer("n_levels", n_levels, 2)
    _check_integer("n_features", n_features, 1)
    _check_real("noise", noise, low=0)
    rng = check_random_state(random_state)
    n_hidden = 2 * n_features
    hidden_weights = rng.standard_normal((n_factors, n_hidden))
    hidden_bias = 0.5 * rng.standard_normal(n_hidden)
    output_weights = rng.standard_normal((n_hidden, n_features)) / np.sqrt(n_hidden)
    factors = rng.randint(n_levels, size=(n_samples, n_factors))
    values = 2.0 * factors / (n_levels - 1) - 1.0
    X = np.tanh(values @ hidden_weights + hidden_bias) @ output_weights
    X += noise * rng.standard_normal(X.shape)
    scale = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    return X, factors[:, 0], factors[:, 1:]


def make_spheres(
    n_samples=1000, *, n_features=100, radii=(1.0, 10.0), shuffle=True, random_state=None
):
    """Generate the adversarial spheres of Jacobsen et al. (ICLR 2019): one class per concentric sphere.

    Each sample is drawn uniformly on the sphere of radius ``radii[y]`` in
    ``R^n_features`` (Gilmer et al. 2018; Jacobsen et al. 2019, section 5).
    Only the norm of x carries the class, so every direction is nuisance.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples, split as evenly as possible between the spheres.
    n_features : int, default=100
        Dimension of the space.
    radii : sequence of float, default=(1.0, 10.0)
        Radius of each class's sphere (at least two, all finite, positive and distinct).
    shuffle : bool, default=True
        Shuffle the samples; otherwise they are ordered by class.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Index of the sphere of each sample.

    Examples
    --------
    >>> import numpy as np
    >>> from skinvariant.datasets import make_spheres
    >>> X, y = make_spheres(10, n_features=5, random_state=0)
    >>> np.round(np.linalg.norm(X, axis=1)[np.argsort(y)], 6)
    array([ 1.,  1.,  1.,  1.,  1., 10., 10., 10., 10., 10.])
    """
    _check_integer("n_samples", n_samples, 1)
    _check_integer("n_features", n_features, 2)
    radii = np.asarray(radii, dtype=float)
    if (
        radii.ndim != 1
        or len(radii) < 2
        or not np.all(np.isfinite(radii) & (radii > 0))
        or len(np.unique(radii)) < len(radii)
    ):
        raise ValueError(
            f"radii must hold at least two distinct finite positive radii; got {radii.tolist()}."
        )
    rng = check_random_state(random_state)
    y = np.repeat(np.arange(len(radii)), _group_sizes(n_samples, len(radii)))
    directions = rng.randn(n_samples, n_features)
    X = directions / np.linalg.norm(directions, axis=1, keepdims=True) * radii[y][:, None]
    if shuffle:
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
    return X, y
