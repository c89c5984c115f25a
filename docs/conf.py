"""Sphinx configuration of the skinvariant documentation site.

Build from the repository root (the README's command, which CI runs too):

    sphinx-build -W --keep-going -b html docs docs/_build/html

The pages are then in docs/_build/html (open index.html).

The example gallery renders every script in ``examples/``. The environment
variable ``SKINVARIANT_GALLERY`` says which of them are executed, with their
output and figures:

- ``quick`` (the default): only ``examples/plot_*.py``, which run in about a
  minute on two cores; the others are shown as code;
- ``all``: every example (about 20 minutes on two cores, most of it
  ``choose_lam_mine.py`` and ``grid_search_lam.py``);
- ``none``: none.

sphinx-gallery keeps the outputs in docs/auto_examples and re-runs an
example only when it changes.
"""

import importlib
import inspect
import os
import pathlib
import pkgutil
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Document the checkout this file belongs to, not whatever copy is installed.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))  # gallery_helpers

import skinvariant  # noqa: E402

project = "skinvariant"
author = "skinvariant developers"
copyright = "skinvariant developers, BSD-3-Clause"
release = skinvariant.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
]

# -- MyST (the user guide is Markdown) ---------------------------------------
# GitHub-style anchors, so links such as estimators.md#choosing-lam work both
# on GitHub and on the site.
myst_heading_anchors = 4
myst_enable_extensions = ["dollarmath"]

# -- API reference: autosummary + numpydoc -----------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
# The class template (_templates/class.rst) lists the members
# skinvariant defines; those inherited from scikit-learn or torch are named,
# with a pointer to their own documentation, not copied in.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# The numpydoc checks every docstring passes (warnings, so errors under -W):
# a summary line (SS01), only known sections (GL06), documented parameters
# that exist (PR02), "name : type" spacing (PR10).
numpydoc_validation_checks = {"SS01", "GL06", "PR02", "PR10"}


def _public_modules():
    """skinvariant and its submodules whose names have no leading underscore."""
    yield skinvariant
    for info in pkgutil.walk_packages(skinvariant.__path__, "skinvariant."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def _split_members(cls):
    """``(own, inherited)``: the public methods and properties of a class.

    ``own`` are defined by skinvariant (possibly in a private base class);
    ``inherited`` come from scikit-learn, torch or Python (``get_params``,
    ``set_fit_request``, ``nn.Module.to``...), or override one of theirs
    without a docstring of their own (``forward``), which autodoc would
    otherwise fill with the other project's text.
    """
    foreign_bases = [base for base in cls.__mro__ if _package(base) != "skinvariant"]
    own, inherited = [], []
    for member in sorted(dir(cls)):
        if member.startswith("_"):
            continue
        static = inspect.getattr_static(cls, member)
        value = inspect.unwrap(
            static.fget if isinstance(static, property) else getattr(cls, member)
        )
        if not callable(value):
            continue
        overrides_undocumented = not value.__doc__ and any(
            member in vars(base) for base in foreign_bases
        )
        if _package(value) == "skinvariant" and not overrides_undocumented:
            own.append(member)
        else:
            inherited.append(member)
    return own, inherited


def _package(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0]


# Plain data (not functions), so that Sphinx can cache the configuration.
autosummary_context = {
    "members_of": {
        f"{module.__name__}.{name}": _split_members(getattr(module, name))
        for module in _public_modules()
        for name in getattr(module, "__all__", ())
        if inspect.isclass(getattr(module, name))
    }
}

# -- Example gallery ---------------------------------------------------------
GALLERY_PATTERNS = {"quick": r"/plot_[^/]*\.py$", "all": r"\.py$", "none": r"^$"}
_gallery = os.environ.get("SKINVARIANT_GALLERY", "quick")
if _gallery not in GALLERY_PATTERNS:
    raise ValueError(f"SKINVARIANT_GALLERY={_gallery!r}; use one of {sorted(GALLERY_PATTERNS)}.")

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": GALLERY_PATTERNS[_gallery],
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_helpers.ExampleOrder",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib", "gallery_helpers.reset_sklearn_config"),
    "min_reported_time": 1,
    "reset_modules_order": "before",
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skinvariant {release}"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "changelog": []}


# -- Docstring hook ----------------------------------------------------------
_SHAPE = re.compile(r"(of shape \()([^()]*)(\))")


def _escape_shape_names(app, what, name, obj, options, lines):
    """Escape trailing underscores in ``of shape (n_samples, n_features_in_)``.

    Docstrings name fitted attributes in array shapes, scikit-learn style;
    reStructuredText would read ``n_features_in_`` as a link to a target
    called ``n_features_in``.
    """
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(lambda m: m[1] + re.sub(r"(?<=\w)_\b", r"\\_", m[2]) + m[3], line)


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _escape_shape_names, priority=400)
