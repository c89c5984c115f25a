"""The notebooks in notebooks/ run top to bottom in a Jupyter kernel, on small settings.

Each notebook is a jupytext percent script. Its cell tagged ``parameters``
holds the settings a user runs; here a cell after it replaces them with a
small sample and few epochs (as papermill does), so the notebooks execute in
seconds while every cell runs. The kernels run side by side, and import the
same skinvariant as this test process.
"""

import asyncio
import os
import time
from pathlib import Path

import pytest

import skinvariant

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
PACKAGE_ROOT = Path(skinvariant.__file__).resolve().parents[1]

# the small settings each notebook runs with here
SMALL_SETTINGS = {
    "01_adult_fairness_workflow.py": "N_SAMPLES = 1500\nMAX_EPOCHS = 2\nLAMS = [0.0, 3.0]",
    "02_choosing_lam.py": "N_SAMPLES = 1500\nMAX_EPOCHS = 2\nLAMS = [0.0, 3.0]\nCV = 2",
    "03_frozen_encoder.py": "PRETRAIN_EPOCHS = 5\nMAX_EPOCHS = 5\nLAMS = [0.0, 0.1]",
}


def test_every_notebook_has_small_settings():
    assert sorted(path.name for path in NOTEBOOK_DIR.glob("[0-9]*.py")) == sorted(SMALL_SETTINGS)


def prepare(name):
    """Notebook ``name`` with its small settings, and a last cell reporting the kernel's package and CPU."""
    notebook = jupytext.read(NOTEBOOK_DIR / name)
    parameters = [
        index
        for index, cell in enumerate(notebook.cells)
        if "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(parameters) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    notebook.cells.insert(parameters[0] + 1, nbformat.v4.new_code_cell(SMALL_SETTINGS[name]))
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import resource, skinvariant\n"
            "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(skinvariant.__file__, usage.ru_utime + usage.ru_stime)"
        )
    )
    return notebook


@pytest.fixture(scope="module")
def executed():
    """Every notebook, executed: the kernels run side by side (one torch thread each).

    Returns a dict of name to the executed notebook, or to the exception its
    execution raised.
    """
    environment = {
        "PYTHONPATH": str(PACKAGE_ROOT),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    saved = {variable: os.environ.get(variable) for variable in environment}
    os.environ.update(environment)  # the kernels are fresh processes: the package under test
    notebooks = {name: prepare(name) for name in sorted(SMALL_SETTINGS)}

    async def run(name):
        start = time.perf_counter()
        client = nbclient.NotebookClient(
            notebooks[name],
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        )
        try:
            await client.async_execute()
        except Exception as error:  # reported by that notebook's test
            return name, error
        print(
            f"{name}: {time.perf_counter() - start:.1f} s wall, kernel CPU "
            f"{float(notebooks[name].cells[-1].outputs[0]['text'].split()[-1]):.1f} s"
        )
        return name, notebooks[name]

    async def run_all():
        return dict(await asyncio.gather(*(run(name) for name in notebooks)))

    try:
        yield asyncio.run(run_all())
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def outputs(notebook, kind):
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if kind in output.get("data", {}) or output.get("output_type") == kind
    ]


@pytest.mark.parametrize("name", sorted(SMALL_SETTINGS))
def test_notebook_runs(name, executed):
    notebook = executed[name]
    if isinstance(notebook, Exception):
        raise notebook
    # no cell raised (nbclient would have), the kernel used this checkout's package,
    # and every notebook draws at least one figure
    kernel_package = notebook.cells[-1].outputs[0]["text"].split()[0]
    assert Path(kernel_package).resolve() == Path(skinvariant.__file__).resolve()
    assert outputs(notebook, "image/png")
    assert not outputs(notebook, "error")
