"""Each notebook's set-up cell (its first code cell) outside `make`: where d2l_utils cannot be imported
it stops with one paragraph saying what to run; on Colab it installs the collection from its repository.
The repository's address is written once, in pyproject.toml's [project.urls]; every copy must agree."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

from d2l_utils.doctor import ALL_GOOD

from nbtools import NOTEBOOKS, ROOT, as_python, cells

URL = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
PARAGRAPH_START = "This notebook needs d2l_utils"


def setup_cell(path: Path) -> str:
    """The notebook's first code cell, as IPython runs it (``%pip`` becomes ``get_ipython()....``)."""
    return as_python("".join(next(c for c in cells(path) if c["cell_type"] == "code")["source"]))


def parts(path: Path) -> tuple[str, str, str]:
    """The set-up cell in three: Colab's part (up to the ``try:`` that imports d2l_utils), that ``try``
    statement (the paragraph), and the rest (the notebook's own imports and set-up)."""
    cell = setup_cell(path)
    guard = [node for node in ast.parse(cell).body if isinstance(node, ast.Try)
             and any(getattr(h.type, "id", None) == "ModuleNotFoundError" for h in node.handlers)]
    assert len(guard) == 1, f"{path.name}: the set-up cell should hold one try ... except ModuleNotFoundError"
    lines = cell.splitlines(keepends=True)
    start, end = guard[0].lineno - 1, guard[0].end_lineno
    return "".join(lines[:start]), "".join(lines[start:end]), "".join(lines[end:])


def run_isolated(code: str, cwd: Path, with_site_packages: bool = False) -> subprocess.CompletedProcess:
    """``python -S -I``: no site-packages processing, so neither PYTHONPATH nor the editable install of
    d2l_utils (a .pth import hook) is seen. ``with_site_packages`` appends this environment's
    site-packages as a plain folder (torch, matplotlib, ...) -- still without the .pth hooks."""
    purelib = sysconfig.get_paths()["purelib"]
    prelude = f"import sys; sys.path.append({purelib!r})\n" if with_site_packages else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "D2L_"))}
    env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-S", "-I", "-c", prelude + code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_repository_address_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", URL), URL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_setup_cell_names_the_one_repository_address(path):
    found = re.findall(r'^REPOSITORY = "([^"]*)"$', setup_cell(path), flags=re.M)
    assert found == [URL], f"{path.name}: REPOSITORY is {found}, pyproject.toml says {URL}"


def test_the_readme_binder_link_and_the_web_book_name_the_same_repository():
    org_repo = URL.removeprefix("https://github.com/")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    binder = re.findall(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme)
    assert binder and set(binder) == {org_repo}, binder
    github = set(re.findall(r"https://github\.com/([\w.-]+/[\w.-]+)", readme))
    assert github <= {org_repo}, github
    conf = runpy.run_path(str(ROOT / "site" / "conf.py"))  # as test_site.py reads it
    assert conf["REPOSITORY_URL"] == URL, \
        f"site/conf.py REPOSITORY_URL is {conf['REPOSITORY_URL']}, pyproject.toml says {URL}"


def test_the_isolated_python_really_lacks_d2l_utils(tmp_path):
    probe = "import importlib.util as u; print(u.find_spec('d2l_utils'), u.find_spec('torch') is not None)"
    out = run_isolated(probe, tmp_path, with_site_packages=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "True"], out.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_without_d2l_utils_the_setup_cell_says_what_to_run(path, tmp_path):
    """Only the standard library: the cell must stop at its first statement with the paragraph."""
    out = run_isolated(setup_cell(path), tmp_path)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ModuleNotFoundError: {PARAGRAPH_START}"), out.stderr
    for what in ("make lab", f"%pip install git+{URL}", "%pip install -e ..", "restart the kernel"):
        assert what in last, f"{path.name}: the paragraph does not say {what!r}:\n{last}"
    assert len(last) < 600, "one short paragraph"
    # `from None`: the paragraph alone, not a chained traceback of the first import
    assert "During handling" not in out.stderr and out.stderr.count("Traceback") == 1, out.stderr


COLAB = textwrap.dedent("""
    import os, sys, types
    sys.modules["google.colab"] = types.ModuleType("google.colab")
    magics = []

    class FakeShell:  # what Colab's IPython does, with the effects a test can have here
        def system(self, command, _stack_depth=1):
            magics.append(("!", command.format(**sys._getframe(1).f_globals)))
        def run_line_magic(self, name, line, _stack_depth=1):
            magics.append((name, line.format(**sys._getframe(1).f_globals)))
            if name == "pip":
                sys.path.insert(0, {root!r})  # what the install does: d2l_utils becomes importable
            if name == "cd":
                os.chdir({notebooks!r})  # the clone's notebooks/ folder: here, this checkout's

    get_ipython = FakeShell
    exec(compile({cell!r}, "setup-cell", "exec"))
    import d2l_utils
    print("MAGICS", magics)
    print("D2L", d2l_utils.__file__)
    print("CWD", os.getcwd())
""")


def test_every_setup_cell_opens_with_the_same_header():
    """The Colab part and the paragraph are one text in all notebooks (so one is run below for all)."""
    colab, paragraph, _ = parts(NOTEBOOKS[0])
    assert "google.colab" in colab and PARAGRAPH_START in paragraph
    assert re.search(r"^    from d2l_utils\.doctor import doctor\n", paragraph, flags=re.M), paragraph
    for path in NOTEBOOKS[1:]:
        assert parts(path)[:2] == (colab, paragraph), \
            f"{path.name}'s set-up cell differs from {NOTEBOOKS[0].name}'s"
    for path in NOTEBOOKS:  # then the doctor: one line when all is well (d2l_utils.doctor)
        assert parts(path)[2].startswith("doctor()  # "), f"{path.name}: the doctor's line should follow"


@pytest.mark.slow
def test_on_colab_the_setup_cell_clones_installs_and_moves_to_the_notebooks(tmp_path):
    """On Colab the cell clones the repository, installs its helpers into the kernel and runs on in the
    clone's notebooks/ folder, where the exercises, quizzes and checkpoints lie beside the notebook;
    then the rest of the cell (its imports, the data) runs from there. (Notebook 01's cell stands for all:
    their Colab parts are one text, as the test above checks.)"""
    import d2l_utils

    try:
        d2l_utils.find_data_dir(download=False)
    except d2l_utils.DataError as err:
        pytest.skip(f"no local Fashion-MNIST for the rest of the cell ({err})")
    code = COLAB.format(root=str(ROOT), notebooks=str(ROOT / "notebooks"), cell=setup_cell(NOTEBOOKS[0]))
    out = run_isolated(code, tmp_path, with_site_packages=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    magics = eval(next(line for line in lines if line.startswith("MAGICS "))[7:])
    clone = "/content/lenet-fashion-mnist"
    assert magics == [("!", f"git clone --quiet --depth 1 {URL} {clone}"),
                      ("pip", f"install --quiet {clone}"), ("cd", f"{clone}/notebooks")], magics
    assert PARAGRAPH_START not in out.stdout + out.stderr
    assert ALL_GOOD in lines, out.stdout  # the doctor ran, on Colab (data found here, widgets not checked)
    d2l = next(line for line in lines if line.startswith("D2L "))[4:]
    assert Path(d2l).resolve().is_relative_to(ROOT / "d2l_utils"), d2l
    assert next(line for line in lines if line.startswith("CWD "))[4:] == str(ROOT / "notebooks")


def test_on_colab_a_second_run_neither_clones_nor_installs_again(tmp_path):
    """After a kernel restart the clone and the installed helpers are there: the cell only moves to the
    notebooks/ folder again (Colab starts every kernel in /content)."""
    cell = parts(NOTEBOOKS[0])[0]  # Colab's part alone: d2l_utils is installed, the rest needs no test
    clone = tmp_path / "lenet-fashion-mnist"
    clone.mkdir()  # the clone of the first run
    cell = cell.replace('CLONE = "/content/lenet-fashion-mnist"', f"CLONE = {str(clone)!r}")
    assert str(clone) in cell, "the set-up cell no longer names the clone's folder as CLONE = ..."
    code = COLAB.format(root=str(ROOT), notebooks=str(ROOT / "notebooks"), cell=cell)
    code = code.replace("magics = []", f"magics = []; sys.path.insert(0, {str(ROOT)!r})")  # installed
    out = run_isolated(code, tmp_path, with_site_packages=True)
    assert out.returncode == 0, out.stderr
    magics = eval(next(line for line in out.stdout.splitlines() if line.startswith("MAGICS "))[7:])
    assert magics == [("cd", f"{clone}/notebooks")], magics
