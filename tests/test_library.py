"""d2l_utils as a library: its docstrings' notebook claims are true, its public names unique and
shadowing nothing (the convention itself: tests/test_conventions.py)."""

import ast
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

import d2l_utils

from nbtools import as_python

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "d2l_utils"
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
# The convention: a public helper's docstring ends with "Used in notebook 05.", "Used in notebooks 05
# and 07." or "Used in every notebook.", naming the notebooks that import it; every other "notebook NN"
# it mentions is one of those.
USED_IN = re.compile(r"Used in (every notebook|notebooks? (\d\d(?:, \d\d)*(?:,? and \d\d)?))\.")
MENTION = re.compile(r"[Nn]otebooks? (\d\d(?:(?:, |,? and )\d\d)*)")
CONTENT = {"checks", "quiz", "course"}  # the course's self-checks and quizzes (deliverable 1 of issue 19)


def imports_of(path: Path) -> set[str]:
    """Names the notebook's code cells import from d2l_utils."""
    names = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = as_python("".join(cell["source"]))  # magics as Python calls
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module == "d2l_utils":
                names.update(alias.name for alias in node.names)
    return names


IMPORTS = {number: imports_of(path) for number, path in NOTEBOOKS.items()}


def helpers():
    """The public functions and classes of __all__, with where they are defined."""
    for name in d2l_utils.__all__:
        obj = getattr(d2l_utils, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj, obj.__module__.rsplit(".", 1)[-1]


OWN = [(name, obj) for name, obj, module in helpers() if module not in CONTENT | {"measured"}]


@pytest.mark.parametrize("name, obj", OWN, ids=[name for name, _ in OWN])
def test_docstrings_name_the_notebooks_that_use_them(name, obj):
    doc = inspect.getdoc(obj) or ""
    users = {number for number, names in IMPORTS.items() if name in names}
    found = USED_IN.findall(" ".join(doc.split()))
    if not users:
        assert not found and not MENTION.search(doc), f"{name}: unused, yet its docstring says one does"
        return
    assert len(found) == 1, f'{name}: its docstring should say once "Used in notebook(s) {sorted(users)}."'
    claimed = set(NOTEBOOKS) if found[0][0] == "every notebook" else set(re.findall(r"\d\d", found[0][1]))
    assert claimed == users, f"{name}: its docstring says {sorted(claimed)}, the imports {sorted(users)}"
    mentioned = {n for group in MENTION.findall(" ".join(doc.split())) for n in re.findall(r"\d\d", group)}
    assert mentioned <= users, f"{name}: its docstring names non-users {sorted(mentioned - users)}"


def test_the_docstring_test_reads_real_imports():
    assert {"train_ch5", "evaluate_accuracy", "lenet"} <= IMPORTS["05"] and "train_ch5" not in IMPORTS["07"]
    found = USED_IN.findall("Trains. Used in notebooks 05, 06 and 08.")
    assert found == [("notebooks 05, 06 and 08", "05, 06 and 08")]


def test_no_module_shadows_the_standard_library():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert not modules & sys.stdlib_module_names, modules & sys.stdlib_module_names


def test_the_public_names_are_unique_and_none_per_exercise():
    assert len(d2l_utils.__all__) == len(set(d2l_utils.__all__))
    assert not [n for n in d2l_utils.__all__ if n.startswith("check_")]
