"""Reset function of the example gallery (``sphinx_gallery_conf["reset_modules"]``).

The gallery runs every example in one Python process. Some examples turn on
scikit-learn's metadata routing and others use the legacy ``step__sensitive``
form that routing forbids, so each example starts from scikit-learn's defaults,
as it does when run as a script.
"""

import sklearn


def reset_sklearn_config(gallery_conf, fname):
    sklearn.set_config(enable_metadata_routing=False)
