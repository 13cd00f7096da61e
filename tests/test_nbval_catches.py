"""The stored outputs and the claims tables guard what the notebooks show, end to end: nbval, with the
project's sanitiser and the root conftest.py, run over the first cells of a notebook copy fails when a stored
shape differs from what the cell prints (notebook 02's ``120x400``, a ``torch.Size`` in 01), when a measured
number leaves the range its lesson gives ``measured`` (notebook 05: the range narrowed in the copy, so the
cell prints its "Note: ..." sentence), when a number leaves the range of the notebook's table
(notebooks/claims/NN.json) although the sanitiser masks it (the copy's cell prints another value), and
when the table states a claim that the run does not show. The same copy left as it is passes, so each
failure is the change's doing.

tests/test_sanitizer.py checks the patterns on strings and tests/test_claims.py the tables on the stored
outputs; this runs the real thing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CFG = ROOT / "tests" / "nbval_sanitize.cfg"

pytest.importorskip("nbval")
pytestmark = pytest.mark.slow


def stored_output(old: str, new: str):
    def change(cell):
        text = json.dumps(cell["outputs"], ensure_ascii=False)
        assert old in text, f"the stored output no longer holds {old!r}: update this test"
        cell["outputs"] = json.loads(text.replace(old, new))
    return change


def source(old: str, new: str):
    def change(cell):
        text = "".join(cell["source"])
        assert old in text, f"the cell's source no longer holds {old!r}: update this test"
        cell["source"] = text.replace(old, new)
    return change


def false_claim(claim: str, expression: str):
    def change(table):
        table["claims"][claim] = expression
    return change


def first_cells(name: str, last_code_cell: int, change, folder: Path, change_table=None) -> Path:
    """A copy of notebook ``name`` up to its code cell ``last_code_cell`` (0-based), that cell changed, with
    a copy of its claims table (``change_table`` applied to it) where it has one."""
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    nb["cells"] = nb["cells"][: code[last_code_cell] + 1]
    if change is not None:
        change(nb["cells"][-1])
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    table_path = ROOT / "notebooks" / "claims" / f"{name[:2]}.json"
    if table_path.exists():
        table = json.loads(table_path.read_text(encoding="utf-8"))
        if change_table is not None:
            change_table(table)
        (folder / "claims").mkdir()
        (folder / "claims" / table_path.name).write_text(json.dumps(table, ensure_ascii=False),
                                                         encoding="utf-8")
    else:
        assert change_table is None, f"notebook {name} has no claims table to change"
    return path


def nbval(folder: Path) -> subprocess.CompletedProcess:
    """pytest --nbval as `make test` runs it over every notebook below ``folder``, the root conftest.py
    (stderr left out of the comparison) loaded as a plugin."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", ".", "-p", "conftest", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(CFG), "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rf",
         "--rootdir", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False)


# case: (notebook, its last code cell kept, the change of that cell, the change of its table, what the
# failure must show)
CASES = {
    "02's 120x400 stored as 120x401": (
        "02_building_lenet", 2, stored_output("120x400", "120x401"), None, "120x401"),
    "01's torch.Size([28, 28]) stored as [28, 27]": (
        "01_why_convolutions", 1, stored_output("torch.Size([28, 28])", "torch.Size([28, 27])"), None,
        "[28, 27]"),
    "05's untrained accuracy outside a narrowed range": (
        "05_training", 4, source('measured("untrained accuracy", ours, 0.05, 0.2)',
                                 'measured("untrained accuracy", ours, 0.5, 0.9)'), None,
        "Note: the lesson expects untrained accuracy between 0.50 and 0.90"),
    "05's evaluate_accuracy printed outside its table's range (masked by the sanitiser)": (
        "05_training", 4, source("{packaged:.2f}", "{packaged + 0.5:.2f}"), None,
        "Out of range: untrained_packaged = 0.60 (the line 'untrained accuracy, from evaluate_accuracy "
        "≈ 0.60'); the lesson expects it between 0.05 and 0.2 (05.json)."),
    "05's table claims what the run does not show": (
        "05_training", 4, None,
        false_claim("evaluate_accuracy gives twice our accuracy", "untrained_packaged > 2 * untrained"),
        "A claim of the text does not hold: evaluate_accuracy gives twice our accuracy "
        "(untrained_packaged > 2 * untrained, with untrained = 0.1, untrained_packaged = 0.1; 05.json)."),
}


def as_stored(case: str) -> str:
    """The folder of the unchanged copy a case is compared with: one per notebook and number of cells."""
    name, cell, *_ = CASES[case]
    return f"as-stored/{list(dict.fromkeys((n, c) for n, c, *_ in CASES.values())).index((name, cell))}"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One nbval run over each case's changed copy and each unchanged copy (one pytest process for all)."""
    folder = tmp_path_factory.mktemp("nbval-catches")
    for i, (case, (name, cell, change, change_table, _)) in enumerate(CASES.items()):
        (folder / "changed" / str(i)).mkdir(parents=True)
        first_cells(name, cell, change, folder / "changed" / str(i), change_table)
        if not (folder / as_stored(case)).exists():
            (folder / as_stored(case)).mkdir(parents=True)
            first_cells(name, cell, None, folder / as_stored(case))
    out = nbval(folder)
    failed = re.findall(r"^FAILED \S*?((?:as-stored|changed)/\d/\w+\.ipynb)::", out.stdout, flags=re.M)
    return out.stdout, set(failed)


@pytest.mark.parametrize("case", CASES)
def test_nbval_fails_on_the_change_and_passes_without_it(case, run):
    stdout, failed = run
    i = list(CASES).index(case)
    name, *_, shown = CASES[case]
    unchanged = f"{as_stored(case)}/{name}.ipynb"
    assert unchanged not in failed, f"the unchanged copy should pass:\n{stdout[-3000:]}"
    assert f"changed/{i}/{name}.ipynb" in failed, f"nbval passed over the change ({case}):\n{stdout[-3000:]}"
    report = report_of(stdout, f"changed/{i}/{name}.ipynb")
    assert shown in report, f"the failure does not show {shown!r}:\n{report[:3000]}"


# pytest's report of a failed test opens with "____ path::Cell 2 ____"; the summary with "==== ... ====".
HEADER = re.compile(r"^(?:_{3,} (\S+?)::.* _{3,}|={3,} .* ={3,})$", re.M)


def report_of(stdout: str, copy: str) -> str:
    """What pytest reports for the failed cells of one notebook copy: each section whose header names the
    copy, up to the next header (another copy's report, or the summary), so another copy's failure can
    never stand in for this one's."""
    headers = list(HEADER.finditer(stdout))
    sections = [stdout[h.start():nxt.start() if nxt else len(stdout)]
                for h, nxt in zip(headers, [*headers[1:], None]) if h.group(1) == copy]
    assert sections, f"pytest reports no failure of {copy}:\n{stdout[-3000:]}"
    return "".join(sections)
