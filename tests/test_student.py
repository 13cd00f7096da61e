"""The students' copy (`make student`, site/student.py): no solution anywhere in it, everything else kept,
a git repository on branch `student`; and (`make test-all`) every student notebook running top to bottom.

The copy is made here into a temporary folder, from this checkout. The run of the notebooks (nbval in lax
mode over the copy, about as long as `make test-nbval`) runs only where D2L_TEST_STUDENT=1, as
`make test-student` (part of `make test-all`) sets it; the rest takes seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

import student  # noqa: E402

MIN_LENGTH = 12  # shorter solution lines ("net.eval()", "print(x)") say nothing of the solution


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("copy") / "student"
    student.build(out)
    return out


def originals() -> dict[str, nbformat.NotebookNode]:
    return {p.name: nbformat.read(p, as_version=4) for p in student.notebook_paths()}


def lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def solution_lines() -> dict[str, str]:
    """{line: notebook} for each line of a solution cell (code, or a written answer) that is its own: not
    trivial (a comment, an import, shorter than MIN_LENGTH), and in no other cell of any notebook nor in
    d2l_utils."""
    mine, elsewhere = {}, set()
    for name, nb in originals().items():
        for cell in nb.cells:
            if student.SOLUTION_TAG in cell.metadata.get("tags", []):
                mine.update(dict.fromkeys(lines(cell.source), name))
            else:
                elsewhere |= lines(cell.source)
    for path in (ROOT / "d2l_utils").glob("*.py"):
        elsewhere |= lines(path.read_text(encoding="utf-8"))
    return {line: name for line, name in mine.items()
            if len(line) >= MIN_LENGTH and not line.startswith(("#", "import ", "from "))
            and line not in elsewhere}


def tree_lines(folder: Path) -> dict[str, Path]:
    """{line: file} over every file of ``folder`` but git's own; a notebook's cells and outputs by line."""
    found = {}
    files = [p for p in folder.rglob("*") if p.is_file() and ".git" not in p.relative_to(folder).parts]
    for path in sorted(files):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            parts = []
            for cell in json.loads(text)["cells"]:
                parts.append("".join(cell["source"]))
                for out in cell.get("outputs", []):
                    parts.append("".join(out.get("text", "")))
                    parts += ["".join(v) for v in out.get("data", {}).values() if isinstance(v, (str, list))]
            text = "\n".join(parts)
        for line in lines(text):
            found.setdefault(line, path)
    return found


def test_no_solution_line_anywhere_in_the_copy(copy):
    wanted = solution_lines()
    assert len(wanted) > 100, f"only {len(wanted)} solution lines to look for: is the tag still used?"
    # The search finds every one of them where they are, in the notebooks themselves...
    assert not set(wanted) - set(tree_lines(ROOT / "notebooks")), "the search misses solution lines"
    # ...and none in any file of the copy.
    there = tree_lines(copy)
    leaks = [f"{wanted[line]}: {line[:80]!r} in {there[line].relative_to(copy)}"
             for line in wanted if line in there]
    assert not leaks, f"{len(leaks)} solution lines in the student copy:\n" + "\n".join(leaks)


def git(copy: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(copy), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_copy_is_one_clean_commit_on_branch_student(copy):
    assert git(copy, "symbolic-ref", "--short", "HEAD") == student.BRANCH
    assert git(copy, "rev-list", "--count", "HEAD") == "1"
    assert git(copy, "status", "--porcelain") == "", "files of the copy left out of its commit"
    tracked = set(git(copy, "ls-files").splitlines())
    for name in student.FILES:  # what make lab needs, the helpers, the course data, Binder's set-up
        assert name in tracked or any(t.startswith(name + "/") for t in tracked), f"{name} not in the copy"
    assert {f"notebooks/{p.name}" for p in student.notebook_paths()} <= tracked
    assert not [t for t in tracked if t.startswith(("tests/", "benchmarks/", "site/")) or "__pycache__" in t]


def test_each_notebook_keeps_all_but_its_solutions(copy):
    """Solution cells and their pointers gone, exercise cells without stored outputs, every other cell
    (the quiz among them) as it was, outputs included."""
    for name, nb in originals().items():
        mine = nbformat.read(copy / "notebooks" / name, as_version=4)
        kept = [c for c in nb.cells if student.SOLUTION_TAG not in c.metadata.get("tags", [])
                and not (c.cell_type == "markdown" and c.source.strip().startswith("*Solution:"))]
        assert len(kept) < len(nb.cells), f"{name}: no solution cell removed"
        assert [c.source for c in mine.cells] == [c.source for c in kept], f"{name}: cells differ"
        exercises = [c for c in mine.cells if student.is_exercise(c)]
        assert exercises, f"{name}: no exercise cell left"
        for before, after in zip(kept, mine.cells, strict=True):
            if student.is_exercise(after):
                assert before.outputs and not after.outputs and after.execution_count is None, name
            elif after.cell_type == "code":
                assert after.outputs == before.outputs, f"{name}: outputs of {after.source[:40]!r} changed"
        assert any(c.source.startswith("quiz(") and c.outputs for c in mine.cells), f"{name}: quiz missing"
        assert mine.metadata == nb.metadata


def test_a_new_build_is_a_commit_on_top_of_the_last(tmp_path):
    """Pushes stay fast-forwards (nbgitpuller merges them into students' clones): a rebuild adds a commit
    where the copy changed, none where it did not."""
    out = tmp_path / "student"
    student.build(out)
    first = git(out, "rev-parse", "HEAD")
    student.build(out)
    assert git(out, "rev-parse", "HEAD") == first
    git(out, "rm", "-q", "notebooks/README.md")
    git(out, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a change in the copy")
    (out / "stray.txt").write_text("not from the collection")
    student.build(out)
    assert git(out, "rev-list", "--count", "HEAD") == "3" and git(out, "status", "--porcelain") == ""
    assert (out / "notebooks" / "README.md").is_file() and not (out / "stray.txt").exists()
    assert git(out, "merge-base", "--is-ancestor", first, "HEAD") == ""


def test_a_folder_that_is_not_a_student_copy_is_left_alone(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a student copy"):
        student.build(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("D2L_TEST_STUDENT") != "1",
                    reason="runs in make test-all (make test-student: D2L_TEST_STUDENT=1)")
def test_every_student_notebook_runs_with_each_check_not_answered_yet(tmp_path):
    """nbval --nbval-lax over the copy, with its own d2l_utils and exercise data: every cell runs without an
    error; each exercise cell, run as the student finds it, prints "Write your answer first: ..." (the
    original's stored output, restored for nbval to compare), and each quiz shows as stored."""
    copy = tmp_path / "student"
    student.build(copy)
    for name, nb in originals().items():
        expected = [c.outputs for c in nb.cells if student.is_exercise(c)]
        assert all(o and o[0].get("text", "").startswith("Write your answer first") for o in expected), name
        quiz = [c.outputs for c in nb.cells if c.cell_type == "code" and c.source.startswith("quiz(")]
        path = copy / "notebooks" / name
        mine = nbformat.read(path, as_version=4)
        for cell in mine.cells:
            if student.is_exercise(cell) or cell.cell_type == "code" and cell.source.startswith("quiz("):
                cell.outputs = (expected if student.is_exercise(cell) else quiz).pop(0)
                cell.execution_count = cell.execution_count or 1  # nbval: an unrun cell has no output
                cell.metadata.setdefault("tags", []).append("nbval-check-output")
        nbformat.write(mine, path)
    env = {**os.environ, "PYTHONPATH": str(copy), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks", "--nbval-lax", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "-p", "no:cacheprovider",
         "-q", "--durations=8"], cwd=copy, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " failed" not in run.stdout and " passed" in run.stdout, run.stdout[-3000:]
