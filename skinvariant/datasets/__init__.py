"""Data sets for learning representations invariant to a sensitive attribute.

The loaders read copies of UCI benchmarks bundled with the package (no
download); the generators draw synthetic data whose sensitive attribute is
known by construction.
"""

from ._generators import (
    make_attribute_blobs,
    make_colored_background_digits,
    make_colored_digits,
    make_inverted_digits,
    make_mixed_factors,
    make_rotated_digits,
    make_spheres,
)
from ._loaders import load_adult, load_german

__all__ = [
    "load_adult",
    "load_german",
    "make_attribute_blobs",
    "make_colored_background_digits",
    "make_colored_digits",
    "make_inverted_digits",
    "make_mixed_factors",
    "make_rotated_digits",
    "make_spheres",
]
