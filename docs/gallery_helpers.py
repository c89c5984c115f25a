"""Helpers of the example gallery, named by string in ``sphinx_gallery_conf``.

Named by string (``"gallery_helpers.<name>"``) rather than passed as objects,
so that Sphinx can cache the configuration.
"""

import os

import sklearn

# The gallery's order: the quickstart first, then from the quick synthetic
# example to the longer searches; any other example after these, by name.
FIRST = [
    "quickstart.py",
    "plot_lam_path.py",
    "grid_search_lam.py",
    "choose_lam_mine.py",
    "affinity_pipeline.py",
]


class ExampleOrder:
    """``within_subsection_order``: sort key of an example's file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(filename)
        return (FIRST.index(name), "") if name in FIRST else (len(FIRST), name)

    def __repr__(self):
        # sphinx-gallery keys its cache on the repr; keep it stable
        return f"{type(self).__name__}()"


def reset_sklearn_config(gallery_conf, fname):
    """``reset_modules``: start each example from scikit-learn's default configuration.

    The gallery runs every example in one Python process. Some examples turn on
    scikit-learn's metadata routing and others use the legacy
    ``step__sensitive`` form that routing forbids.
    """
    sklearn.set_config(enable_metadata_routing=False)
