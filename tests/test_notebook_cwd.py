"""A notebook run from an unrelated working directory still finds its data, helpers and checkpoints."""

import json
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_what_lenet_learned.ipynb"


def test_notebook_runs_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    texts = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "not found: training" not in texts  # the committed checkpoint was found, not retrained
    assert os.listdir(tmp_path) == []  # and nothing was written where the notebook ran
