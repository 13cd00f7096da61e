"""The students' copy of the collection: `make student` (or `.venv/bin/python site/student.py`).

Writes _build/student/: the notebooks without their solutions, beside everything `make lab` needs (the
helpers, the exercise data, binder/, the checkpoints, pyproject.toml, the requirements and their locks,
the Makefile), as a git repository on a branch `student` that a teacher pushes as it is
(`git -C _build/student push <your repository> HEAD:student`; notebooks/TEACHING.md): one commit the
first time, then one more on top for each build that changed something, so that every push is a
fast-forward that nbgitpuller merges into the copies students already have. The notebooks go
through nbconvert's preprocessors, in this order:

- RegexRemovePreprocessor drops the one-line cells that point at a solution ("*Solution: click ...*");
- TagRemovePreprocessor drops every cell tagged `solution` (code and written answers alike);
- ClearExerciseOutputs (below) clears the stored output of each learner's exercise cell, the cell that
  calls ``check("NN.k", ...)``, which a student runs once they have written their answer.

Nothing is executed. tests/test_student.py checks the copy; site/links.py and site/handouts.py use it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor, RegexRemovePreprocessor, TagRemovePreprocessor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "student"
BRANCH = "student"
SOLUTION_TAG = "solution"
# The cell before each solution, alone on its line: "*Solution: click the collapsed cell below ...*".
SOLUTION_POINTER = r"\s*\*Solution:[^\n]*\*\s*\Z"
# The learner's exercise cell: it calls check("NN.k", ...) with the answers it asks for.
EXERCISE_CHECK = re.compile(r"""\bcheck\(\s*["']\d\d\.\d+["']""")
# What the copy holds besides the notebooks: the runtime of `make lab`, the course data, Binder's set-up.
FILES = ["Makefile", "pyproject.toml", "README.md", ".gitignore", "requirements.txt", "requirements.lock",
         "requirements-dev.txt", "requirements-dev.lock", "d2l_utils", "binder", "checkpoints",
         "notebooks/exercises", "notebooks/README.md"]
JUNK = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The lessons, in order: notebooks/NN_name.ipynb."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def is_exercise(cell) -> bool:
    """Whether ``cell`` is a learner's exercise cell: code calling check("NN.k", ...), not a solution."""
    return (cell.cell_type == "code" and SOLUTION_TAG not in cell.metadata.get("tags", [])
            and EXERCISE_CHECK.search(cell.source) is not None)


class ClearExerciseOutputs(Preprocessor):
    """Clears the stored outputs (and execution count) of the learner's exercise cells (``is_exercise``)."""

    def preprocess_cell(self, cell, resources, index):
        if is_exercise(cell):
            cell.outputs, cell.execution_count = [], None
        return cell, resources


def preprocessors() -> list[Preprocessor]:
    return [RegexRemovePreprocessor(patterns=[SOLUTION_POINTER], enabled=True),
            TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True),
            ClearExerciseOutputs(enabled=True)]


def student_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as a student receives it."""
    nb = nbformat.read(path, as_version=4)
    resources: dict = {}
    for step in preprocessors():
        nb, resources = step(nb, resources)
    return nb


def source_files(root: Path, name: str) -> list[Path]:
    """The files of ``name`` (a file or a folder): those git tracks in a clone, else all but caches."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", name], capture_output=True,
                                check=True).stdout.decode().split("\0")
        found = [root / p for p in listed if p and (root / p).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git clone (an unpacked archive), or no git
        found = []
    if not found:
        path = root / name
        found = [path] if path.is_file() else [
            p for p in sorted(path.rglob("*")) if p.is_file() and not JUNK & set(p.relative_to(root).parts)]
    return found


def source_revision(root: Path) -> str:
    """The commit the copy is made from (with "+changes" when the work tree differs), or "a work tree"."""
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "a work tree"
    return rev + ("+changes" if dirty else "")


def commit(out: Path, message: str) -> str:
    """Commit everything in ``out`` on branch ``student`` (a new repository the first time, a commit on
    top of the last copy after that, none when nothing changed); the branch's commit."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(out), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    if not (out / ".git").exists():
        git("init", "-q")
        git("symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")  # git init -b needs git 2.28
    git("add", "-A")
    if subprocess.run(["git", "-C", str(out), "rev-parse", "-q", "--verify", "HEAD"],
                      capture_output=True).returncode == 0 and not git("status", "--porcelain"):
        return git("rev-parse", "--short", "HEAD")  # the same copy as last time
    # The teacher's name where git knows it; a neutral one where it does not. No signing: a build step.
    who = [] if subprocess.run(["git", "-C", str(out), "config", "user.email"], capture_output=True).stdout \
        else ["-c", "user.name=make student", "-c", "user.email=make-student@localhost"]
    git(*who, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)
    return git("rev-parse", "--short", "HEAD")


def build(out: Path = OUT, root: Path = ROOT) -> tuple[list[Path], str]:
    """Write the student copy of ``root`` into ``out`` (made anew); its notebooks and its commit."""
    head = out / ".git" / "HEAD"
    if out.exists() and any(out.iterdir()) and not (
            head.is_file() and head.read_text(errors="replace").strip() == f"ref: refs/heads/{BRANCH}"):
        raise SystemExit(
            f"student: {out} exists and is not a student copy made by make student (its git HEAD is not "
            f"branch {BRANCH!r}), so it is left alone. Remove it yourself or name another folder: "
            "site/student.py --out FOLDER.")
    # A copy made before keeps its history: a new build is a commit on top of it, which the pushed
    # branch takes as a fast-forward and nbgitpuller merges into the students' clones.
    for old in out.iterdir() if out.exists() else []:
        if old.name != ".git":
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        files = source_files(root, name)
        if not files:
            raise SystemExit(f"student: {root / name} is missing; the copy needs it (restore it with "
                             f"`git checkout -- {name}`).")
        for src in files:
            target = out / src.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    written = []
    for path in notebook_paths(root):
        target = out / "notebooks" / path.name
        nbformat.write(student_notebook(path), target)
        written.append(target)
    rev = commit(out, f"The students' copy of {source_revision(root)} (make student): the notebooks "
                      "without solution cells or the stored outputs of exercise cells")
    return written, rev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"the folder to write (default {OUT})")
    args = parser.parse_args(argv)
    written, rev = build(args.out)
    shown = os.path.relpath(args.out)
    print(f"student: {len(written)} notebooks without solutions in {shown}, branch {BRANCH} at {rev}.\n"
          f"Push it: git -C {shown} push <your repository> HEAD:{BRANCH}; then "
          "make links HUB=https://your.hub prints the class's links.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
