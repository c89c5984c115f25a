"""Each estimator's docstring lists its parameters in signature order, with its defaults."""

import ast
import inspect
import re

import pytest

import skinvariant

ESTIMATORS = [
    getattr(skinvariant, name)
    for name in skinvariant.__all__
    if inspect.isclass(getattr(skinvariant, name)) and hasattr(getattr(skinvariant, name), "fit")
]


def documented_parameters(cls):
    """``[(name, documented default or None)]`` from the numpydoc Parameters section."""
    doc = inspect.cleandoc(cls.__doc__)
    section = re.search(r"\nParameters\n-+\n(.*?)(\n\w[^\n]*\n-+\n|$)", doc, re.S).group(1)
    entries = re.findall(r"^(\w+(?:, \w+)*) : ([^\n]*)$", section, re.M)
    return [
        (name, (re.search(r"default=(.*)$", kind) or [None, None])[1])
        for names, kind in entries
        for name in names.split(", ")
    ]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_docstring_lists_the_signature_in_order_with_its_defaults(Estimator):
    signature = inspect.signature(Estimator.__init__).parameters
    documented = documented_parameters(Estimator)
    assert [name for name, _ in documented] == [name for name in signature if name != "self"]
    for name, default in documented:
        if signature[name].default is inspect.Parameter.empty:  # a required parameter
            assert default is None, f"{name} is required but documents a default"
            continue
        assert default is not None, f"{name} documents no default"
        assert literal(default) == signature[name].default, name


def literal(text):
    """The Python value a documented default spells (its text if it spells none)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
