"""The notebooks in notebooks/ run top to bottom in a Jupyter kernel, on small settings.

Each notebook is a jupytext percent script. Its cell tagged ``parameters``
holds the settings a user runs; here a cell after it replaces them with a
small sample and few epochs (as papermill does), so the notebooks execute in
seconds while every cell runs. The kernel imports the same skinvariant as
this test process.
"""

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


def execute(name, monkeypatch):
    """Run notebook ``name`` with its small settings; return it with outputs and the seconds taken."""
    notebook = jupytext.read(NOTEBOOK_DIR / name)
    parameters = [index for index, cell in enumerate(notebook.cells)
                  if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    notebook.cells.insert(parameters[0] + 1, nbformat.v4.new_code_cell(SMALL_SETTINGS[name]))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import resource, skinvariant\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(skinvariant.__file__, usage.ru_utime + usage.ru_stime)"))
    # the kernel is a fresh process: the skinvariant under test, one thread per library
    monkeypatch.setenv("PYTHONPATH", str(PACKAGE_ROOT))
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(variable, "1")
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    seconds = time.perf_counter() - start
    kernel_cpu = float(notebook.cells[-1].outputs[0]["text"].split()[-1])
    print(f"{name}: {seconds:.1f} s wall, kernel CPU {kernel_cpu:.1f} s")
    return notebook, seconds


def outputs(notebook, kind):
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if kind in output.get("data", {})
            or output.get("output_type") == kind]


@pytest.mark.parametrize("name", sorted(SMALL_SETTINGS))
def test_notebook_runs(name, monkeypatch):
    notebook, _ = execute(name, monkeypatch)
    # no cell raised (nbclient would have), the kernel used this checkout's package,
    # and every notebook draws at least one figure
    kernel_package = notebook.cells[-1].outputs[0]["text"].split()[0]
    assert Path(kernel_package).resolve() == Path(skinvariant.__file__).resolve()
    assert outputs(notebook, "image/png")
    assert not outputs(notebook, "error")
