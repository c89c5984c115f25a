"""The Python examples of the contributor docs run, and the API reference lists every public name."""

import importlib
import pathlib
import pkgutil
import re

import pytest
from sklearn.base import clone

import skinvariant

DOCS = pathlib.Path(__file__).parent.parent / "docs"


@pytest.mark.filterwarnings("ignore:Training accuracy")
def test_the_adding_a_method_example_trains_and_records_its_terms(capsys):
    source = (DOCS / "contributing.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", source, re.S)
    namespace = {}
    exec(compile(code, "docs/contributing.md", "exec"), namespace)
    printed = capsys.readouterr().out
    for key in ("train_penalty", "train_probe_acc", "train_probe_loss", "train_task_loss"):
        assert key in printed
    # a method of its own: an estimator with its documented parameters only
    model, X = namespace["model"], namespace["X"]
    assert model.predict_proba(X).shape == (len(X), 2)
    assert model.transform(X).shape == (len(X), 8)
    parameters = type(model).__doc__.split("Attributes\n")[0]
    assert sorted(re.findall(r"^(\w+) :", parameters, flags=re.M)) == sorted(model.get_params())
    assert clone(model).get_params() == model.get_params()


def public_modules():
    """skinvariant and each of its submodules whose dotted name has no part starting with _."""
    yield skinvariant
    for info in pkgutil.walk_packages(skinvariant.__path__, "skinvariant."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def documented_names(source):
    """Dotted names the API reference documents: autosummary entries and py:data directives."""
    names, module, in_autosummary = set(), None, False
    for line in source.splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match[1]
        elif match := re.match(r"\.\. py:data:: (\w+)", line):
            names.add(f"{module}.{match[1]}")
        if line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and line and not line[0].isspace():
            in_autosummary = False
        elif in_autosummary and (match := re.fullmatch(r"   ~?([\w.]+)", line)):
            names.add(f"{module}.{match[1]}")
    return names


def resolve(dotted):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def test_the_api_reference_lists_every_public_name():
    documented = documented_names((DOCS / "api.rst").read_text())
    documented_objects = [resolve(name) for name in documented]
    missing = [
        f"{module.__name__}.{name}"
        for module in public_modules()
        for name in getattr(module, "__all__", ())
        if not any(getattr(module, name) is obj for obj in documented_objects)
    ]
    assert not missing, f"docs/api.rst does not document {missing}"
    # and the check does read the page: a known name of each kind is found
    assert {
        "skinvariant.IIDMClassifier",
        "skinvariant.model_selection.lam_path",
        "skinvariant.__version__",
        "skinvariant.core.LAM",
    } <= documented
