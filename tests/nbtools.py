"""What the tests share about the notebooks, written once: where they are, their code cells as the Python
IPython runs, the definitions they write out, and the Chromium the browser tests drive.

Imported as ``nbtools`` by the tests in tests/ and tests/browser/ (pytest puts tests/ on the path for both).
"""

from __future__ import annotations

import ast
import json
import os
import threading
from functools import cache
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"  # the lessons: 01_why_convolutions.ipynb ... (not README.md's notes)


def notebook_paths(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The lessons in ``folder``, in their order."""
    return sorted(Path(folder).glob(NOTEBOOK_GLOB))


NOTEBOOKS = notebook_paths()
BY_NUMBER = {path.name[:2]: path for path in NOTEBOOKS}  # "05" -> notebooks/05_training.ipynb


def cells(notebook: str | Path) -> list[dict]:
    """The cells of a notebook, given by its number ("05") or its path, as stored (outputs included)."""
    path = BY_NUMBER[notebook] if isinstance(notebook, str) else notebook
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


@cache
def as_python(source: str) -> str:
    """A cell as IPython runs it: ``%pip`` and ``!git`` lines become ``get_ipython()`` calls, the lines stay
    where they were (so AST line numbers are the cell's)."""
    return TransformerManager().transform_cell(source)


def code_sources(notebook: str | Path) -> list[tuple[int, str]]:
    """``(cell index, Python source)`` of every code cell, magics as Python."""
    return [(i, as_python("".join(cell["source"]))) for i, cell in enumerate(cells(notebook))
            if cell["cell_type"] == "code"]


def notebook_function(notebook: str | Path, name: str) -> str:
    """The source of the top-level ``def name`` (or ``class name``) a notebook's code cells write out."""
    found = [ast.get_source_segment(source, node) for _, source in code_sources(notebook)
             for node in ast.parse(source).body
             if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name]
    assert len(found) == 1, f"notebook {notebook} defines {name} {len(found)} times, expected once"
    return found[0]


def chromium() -> str:
    """The Chromium the browser tests drive: $CHROMIUM, else Debian's."""
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def in_a_thread(function, *args):
    """Run ``function(*args)`` in a new thread, and raise what it raised here: the browser tests of
    JupyterLab (tests/browser) keep a Playwright session, and so an asyncio loop, running in the main
    thread for the whole pytest run, and Playwright's sync API needs a thread without one."""
    failure = []

    def run():
        try:
            function(*args)
        except BaseException as err:  # re-raised in the test's own thread
            failure.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
