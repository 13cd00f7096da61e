"""The claims of the text live in tests, not in the learner's cells: each notebook's table
(notebooks/claims/NN.json) fits the notebook's stored outputs, every range and claim holds on them, the
checker that the root conftest.py runs on nbval's fresh outputs fails a number out of its range, a claim that
does not hold and a line the cell no longer prints, and no lesson cell checks anything itself.
(tests/test_nbval_catches.py runs the real thing: nbval over notebook copies.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from notebook_claims import Table, expression_names, stdout_lines, table_for, template_names, template_regex

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TABLES = sorted((ROOT / "notebooks" / "claims").glob("*.json"))


def code_cells(notebook: Path) -> list[dict]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def notebook_of(table: Path) -> Path:
    found = [nb for nb in NOTEBOOKS if nb.name[:2] == table.stem]
    assert len(found) == 1, f"{table.name} names no notebook {table.stem}_*.ipynb"
    return found[0]


def test_each_table_belongs_to_a_notebook_that_prints_measured_numbers():
    assert [t.stem for t in TABLES] == ["05", "06", "07", "08"]
    for table in TABLES:
        assert json.loads(table.read_text(encoding="utf-8"))["notebook"] == table.stem
        assert table_for(notebook_of(table)).path == table


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_the_table_fits_the_stored_outputs(table):
    """Each key picks exactly one code cell, one whose outputs nbval compares (and so hands to the check);
    each line template matches exactly one line of its stored output, each name is read once, and every range
    and claim names numbers the table reads."""
    data = json.loads(table.read_text(encoding="utf-8"))
    cells = code_cells(notebook_of(table))
    names = []
    for key, templates in data["cells"].items():
        chosen = [c for c in cells if key in "".join(c["source"])]
        assert len(chosen) == 1, f"{table.name}: {key!r} is in {len(chosen)} code cells, not 1"
        tags = set(chosen[0]["metadata"].get("tags", []))
        assert not tags & {"nbval-ignore-output", "nbval-skip"}, f"{table.name}: nbval never compares {key!r}"
        lines = stdout_lines(chosen[0]["outputs"])
        for template in templates:
            matches = [line for line in lines if template_regex(template).fullmatch(line)]
            assert len(matches) == 1, f"{table.name}: {template!r} matches {matches} of the stored {lines}"
            names += template_names(template)
    assert len(names) == len(set(names)), f"{table.name}: a name is read twice"
    assert set(data["ranges"]) <= set(names), f"{table.name}: ranges of numbers no line reads"
    for claim, expression in data["claims"].items():
        used = expression_names(expression)
        assert used and used <= set(names), f"{table.name}: no line reads {used - set(names)} ({claim!r})"
    assert data["ranges"] or data["claims"]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_range_and_claim_holds_on_the_stored_outputs(table):
    checker = Table.load(table)
    problems = [p for cell in code_cells(notebook_of(table))
                for p in checker.check_cell("".join(cell["source"]), cell["outputs"])]
    assert problems == []
    assert checker.checked == set(checker.claims), "a claim was never checked"


def stream(text: str) -> list[dict]:
    return [{"output_type": "stream", "name": "stdout", "text": text}]


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "claims" / "09.json"
    path.parent.mkdir()
    path.write_text(json.dumps({
        "notebook": "09",
        "cells": {"first(": ["loss at step {} ≈ {first}, test acc {}"], "second(": ["mean ≈ {second}×"]},
        "ranges": {"first": [2.2, 2.45]},
        "claims": {"the loss falls": "second < first"}}), encoding="utf-8")
    return path


def test_the_checker_reads_the_numbers_of_the_right_cell(table):
    checker = Table.load(table)
    assert checker.check_cell("other()", stream("loss at step 1 ≈ 9.0, test acc 0.5\n")) == []
    assert checker.check_cell("first()", stream("hello\nloss at step  20 ≈ 2.31, test acc 0.5\n")) == []
    assert checker.check_cell("second()", stream("mean ≈ 1,234.5×\n")) == [
        "A claim of the text does not hold: the loss falls (second < first, with first = 2.31, "
        "second = 1234.5; 09.json)."]


def test_the_checker_fails_a_number_out_of_its_range(table):
    problems = Table.load(table).check_cell("first()", stream("loss at step 20 ≈ 2.50, test acc 0.5\n"))
    assert problems == ["Out of range: first = 2.50 (the line 'loss at step 20 ≈ 2.50, test acc 0.5'); "
                        "the lesson expects it between 2.2 and 2.45 (09.json)."]


def test_the_checker_fails_a_line_the_cell_no_longer_prints(table):
    problems = Table.load(table).check_cell("first()", stream("loss at step 20 = 2.30, test acc 0.5\n"))
    assert len(problems) == 1
    assert "did not print a line like 'loss at step {} ≈ {first}, test acc {}'" in problems[0]


def test_a_claim_is_checked_once_all_its_numbers_are_printed(table):
    checker = Table.load(table)
    assert checker.check_cell("second()", stream("mean ≈ 1.0×\n")) == []  # first not printed yet
    assert checker.check_cell("first()", stream("loss at step 20 ≈ 2.3, test acc 0.5\n")) == []
    assert checker.checked == {"the loss falls"}


def test_the_templates_match_whole_lines_and_any_run_of_spaces():
    regex = template_regex("classic loss ≈ {x}%")
    assert regex.fullmatch("classic   loss ≈ 47%")["x"] == "47"
    assert not regex.fullmatch("classic loss ≈ 47% and more")
    assert template_regex("d ≈ {d}").fullmatch("d ≈ 7e-08")["d"] == "7e-08"


def test_no_lesson_cell_checks_a_claim_and_measured_is_introduced_in_05():
    """No cell calls expect(; measured( only in 05 and 06, first in 05 after the prose that explains it."""
    for notebook in NOTEBOOKS:
        text = [("".join(c["source"]), c["cell_type"])
                for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
        assert not any("expect(" in source for source, kind in text if kind == "code"), notebook.name
        calls = [i for i, (source, kind) in enumerate(text) if kind == "code" and "measured(" in source]
        assert not calls or notebook.name[:2] in ("05", "06"), f"{notebook.name} calls measured("
        if notebook.name.startswith("05"):
            introduced = [i for i, (source, kind) in enumerate(text) if kind == "markdown"
                          and "`measured(what, value, low, high)`" in source]
            assert introduced and introduced[0] < calls[0]
