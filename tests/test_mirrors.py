"""One text for the lesson code the library also holds (as d2l's ``#@save`` keeps book and library one).

A notebook that writes out a definition d2l_utils holds too marks it with one comment at the end of its
``def`` or ``class`` line, ``# the same as d2l_utils.NAME`` (or ``d2l_utils.MODULE.NAME``). Every marked
definition is compared with its library twin as Python syntax: docstrings, comments, type annotations and
layout aside, and the notebook's names for the definition and its parameters mapped to the library's
(notebook 03's ``out_size(n, k, p, s)`` is ``conv_output_size(n, kernel, padding, stride)``). Any other
difference fails.
"""

from __future__ import annotations

import ast
import copy
import difflib
import importlib
import inspect
import re
import textwrap

import pytest

from nbtools import NOTEBOOKS, code_sources

MARK = re.compile(r"\s# the same as (d2l_utils(?:\.\w+)+)\s*$")
# The mirrors issue 25 named: each must stay marked (and so compared).
KNOWN = {"d2l_utils.conv_output_size", "d2l_utils.random_hflip", "d2l_utils.fast.SigmoidAvgPool2"}


def marked_definitions():
    """``(where, twin's dotted name, notebook source of the definition)`` for every marked definition."""
    found = []
    for path in NOTEBOOKS:
        for i, source in code_sources(path):
            lines = source.splitlines()
            for node in ast.parse(source).body:
                if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    continue
                mark = MARK.search(lines[node.lineno - 1])  # the def or class line, after any decorator
                if mark:
                    found.append((f"{path.name[:2]} cell {i}: {node.name}", mark.group(1),
                                  ast.get_source_segment(source, node, padded=True)))
    return found


MARKED = marked_definitions()


def twin(dotted: str):
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError:
            continue
        for attr in parts[n:]:
            obj = getattr(obj, attr)
        return obj
    raise AssertionError(f"{dotted} names nothing importable")


def definition(source: str) -> ast.FunctionDef | ast.ClassDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.ClassDef)), source
    return node


def parameters(node) -> list[str]:
    if isinstance(node, ast.ClassDef):
        return []
    a = node.args
    return [arg.arg for arg in [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg] if arg is not None]


class _Normalise(ast.NodeTransformer):
    """Docstrings and annotations dropped, names renamed."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def _strip_docstring(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    def visit_FunctionDef(self, node):
        node.name = self.names.get(node.name, node.name)
        node.returns = None
        self._strip_docstring(node)
        return self.generic_visit(node)

    def visit_ClassDef(self, node):
        node.name = self.names.get(node.name, node.name)
        self._strip_docstring(node)
        return self.generic_visit(node)

    def visit_arg(self, node):
        node.arg, node.annotation = self.names.get(node.arg, node.arg), None
        return node

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node


def normalised(node, names: dict[str, str] | None = None) -> str:
    node = _Normalise(names or {}).visit(copy.deepcopy(node))
    return ast.unparse(ast.fix_missing_locations(node))


def compare(notebook_source: str, library_source: str) -> tuple[str, str]:
    """Both definitions as normalised Python, the notebook's names mapped to the library's."""
    ours, theirs = definition(notebook_source), definition(library_source)
    ours_params, theirs_params = parameters(ours), parameters(theirs)
    assert len(ours_params) == len(theirs_params), \
        f"parameters {ours_params} in the notebook, {theirs_params} in the library"
    names = {ours.name: theirs.name, **dict(zip(ours_params, theirs_params))}
    return normalised(ours, names), normalised(theirs)


def test_every_named_mirror_is_marked():
    assert KNOWN <= {dotted for _, dotted, _ in MARKED}, \
        f"unmarked: {sorted(KNOWN - {dotted for _, dotted, _ in MARKED})}"


@pytest.mark.parametrize("where, dotted, source", MARKED, ids=[where for where, _, _ in MARKED])
def test_the_notebook_writes_out_its_library_twin(where, dotted, source):
    ours, theirs = compare(source, inspect.getsource(twin(dotted)))
    diff = "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(), dotted, where, lineterm=""))
    assert ours == theirs, f"{where} and {dotted} have drifted apart:\n{diff}"


def test_the_comparison_sees_a_change_of_code_but_not_of_names_or_docstrings():
    library = 'def size(n: int, kernel: int) -> int:\n    """Doc."""\n    return n - kernel + 1  # note\n'
    same = "def out(n, k):\n    return n - k + 1\n"
    assert compare(same, library)[0] == compare(same, library)[1]
    for drifted in ("def out(n, k):\n    return n - k + 2\n", "def out(n, k):\n    return k - n + 1\n"):
        ours, theirs = compare(drifted, library)
        assert ours != theirs, drifted
