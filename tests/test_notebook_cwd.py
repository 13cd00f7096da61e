"""A notebook run from an unrelated working directory still finds its data, helpers and checkpoints."""

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07_what_lenet_learned.ipynb"


@pytest.mark.slow
def test_notebook_runs_from_another_directory(tmp_path, monkeypatch):
    """Notebook 07 loads the modern LeNet with checkpoint_or_train: with D2L_CHECKPOINT_DIR naming
    the collection's checkpoints it must load them, not retrain, wherever the kernel runs."""
    checkpoints = ROOT / "checkpoints"
    if not (checkpoints / "lenet_modern.pt").is_file():
        pytest.skip("no checkpoints/lenet_modern.pt: run `make checkpoints`")
    before = {p.name: p.stat().st_mtime_ns for p in checkpoints.iterdir()}
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("D2L_CHECKPOINT_DIR", str(checkpoints))  # the kernel inherits it
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    texts = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "not found: training" not in texts  # the committed checkpoint was found, not retrained
    assert "checkpoint_or_train" in json.dumps([cell.source for cell in nb.cells])
    assert os.listdir(tmp_path) == []  # and nothing was written where the notebook ran
    assert {p.name: p.stat().st_mtime_ns for p in checkpoints.iterdir()} == before  # nor there
