"""The claims of the text, checked on what a notebook prints: each notebook's table (notebooks/claims/NN.json)
names the lines its cells print, the honest range of each number read from them, and the text's claims about
those numbers. The root conftest.py applies it to the fresh outputs of every cell nbval runs (`make test`), so
a number that leaves its range, or a claim that stops holding, fails that cell; tests/test_claims.py applies
it to the stored outputs. The lesson cells only print: the checks live here and in the table.

A table::

    {"notebook": "05",
     "cells": {"a piece of one code cell's source": ["a line it prints: {name} a number, {} any number"]},
     "ranges": {"name": [low, high]},
     "claims": {"what the text says": "an expression over the names"}}

A line template matches a whole line of the cell's stdout: its text as written (a run of spaces matches any
run of spaces), each ``{name}`` a printed number (``0.81``, ``6,697``, ``7e-08``; a number followed by ``%``
is read as printed, ``47%`` as 47), each ``{}`` a number that is read and ignored. A claim is checked at the
cell that prints the last of its numbers; its expression may use ``abs``, ``min``, ``max``, ``all``, ``any``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

NUMBER = r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?"
FUNCTIONS = {"abs": abs, "min": min, "max": max, "all": all, "any": any}


def template_regex(template: str) -> re.Pattern:
    """The regular expression of a line template: ``{name}`` and ``{}`` numbers, spaces any run of spaces."""
    parts = []
    for piece in re.split(r"(\{\w*\})", template):
        if re.fullmatch(r"\{\w*\}", piece):
            name = piece[1:-1]
            parts.append(f"(?P<{name}>{NUMBER})" if name else f"(?:{NUMBER})")
        else:
            parts.append(" +".join(re.escape(word) for word in re.split(" +", piece)))
    return re.compile("".join(parts))


def template_names(template: str) -> list[str]:
    return [name for name in re.findall(r"\{(\w*)\}", template) if name]


def expression_names(expression: str) -> set[str]:
    """The numbers a claim's expression uses."""
    return set(re.findall(r"[A-Za-z_]\w*", expression)) - set(FUNCTIONS) - {"and", "or", "not"}


def stdout_lines(outputs) -> list[str]:
    """The lines a cell printed on stdout, from its outputs (nbformat's, stored or fresh)."""
    text = "".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"] for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return [line.rstrip() for line in text.splitlines()]


@dataclass
class Table:
    """One notebook's table, and the numbers its cells have printed so far in a run."""

    path: Path
    cells: dict[str, list[str]]
    ranges: dict[str, list[float]]
    claims: dict[str, str]
    values: dict[str, float] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Table:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(Path(path), data["cells"], data.get("ranges", {}), data.get("claims", {}))

    def check_cell(self, source: str, outputs) -> list[str]:
        """Read the numbers of one cell's outputs (the cell's ``source``), in the order nbval runs the cells;
        return one sentence per line missing, number out of its range or claim that does not hold."""
        problems, lines = [], stdout_lines(outputs)
        for key, templates in self.cells.items():
            if key not in source:
                continue
            for template in templates:
                regex = template_regex(template)
                found = [m for m in map(regex.fullmatch, lines) if m]
                if not found:
                    problems.append(f"The cell did not print a line like {template!r} ({self.path.name} "
                                    "expects one): update the table if the cell's output changed on purpose.")
                    continue
                for name, text in found[-1].groupdict().items():
                    self.values[name] = value = float(text.replace(",", ""))
                    low, high = self.ranges.get(name, (float("-inf"), float("inf")))
                    if not low <= value <= high:
                        line = found[-1].group(0)
                        problems.append(f"Out of range: {name} = {text} (the line {line!r}); the "
                                        f"lesson expects it between {low:g} and {high:g} ({self.path.name}).")
        for claim, expression in self.claims.items():
            names = expression_names(expression)
            if claim in self.checked or not names <= set(self.values):
                continue
            self.checked.add(claim)
            if not eval(expression, {"__builtins__": {}, **FUNCTIONS, **self.values}):  # noqa: S307
                shown = ", ".join(f"{n} = {self.values[n]:g}" for n in sorted(names))
                problems.append(f"A claim of the text does not hold: {claim} ({expression}, with {shown}; "
                                f"{self.path.name}).")
        return problems


def table_for(notebook: Path) -> Table | None:
    """The table of a notebook ``NN_name.ipynb``: ``claims/NN.json`` beside it, or None where there is none.
    """
    path = Path(notebook).parent / "claims" / f"{Path(notebook).name[:2]}.json"
    return Table.load(path) if path.exists() else None
