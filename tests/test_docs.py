"""The Python examples of the contributor docs run."""

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).parent.parent / "docs"


@pytest.mark.filterwarnings("ignore:Training accuracy")
def test_the_adding_a_method_example_trains_and_records_its_terms(capsys):
    source = (DOCS / "contributing.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", source, re.S)
    exec(compile(code, "docs/contributing.md", "exec"), {})
    printed = capsys.readouterr().out
    for key in ("train_penalty", "train_probe_acc", "train_probe_loss", "train_task_loss"):
        assert key in printed
