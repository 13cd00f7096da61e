"""The Makefile keeps its set-up promises (issue 25): `make lab`, `make test` and `make test-all` never run
apt-get or sudo (only `make system-deps` does), a failed npm install of axe-core is remembered, the Python
detection runs once per make, `make clean` removes the web book, `make checkpoints` trains each recipe for
its own epochs.

Each test runs the real make on a copy of the Makefile in a scratch folder, with every tool it would run
replaced by a stand-in that records its call: the venv's python, pytest, ruff and jupyter, npm, apt-get,
apt-cache, sudo and `id` (to play a learner or root). The rest of PATH is this machine's, less the real
apt, apt-get, sudo and chromium. So the recipes run, in seconds, and nothing is installed or downloaded.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="no make on PATH")

# What the Makefile reads (the stamps hash the locks and pyproject.toml).
COPIED = ("Makefile", "requirements.lock", "requirements-dev.lock", "pyproject.toml")
HIDDEN = {"apt", "apt-get", "apt-cache", "sudo", "chromium", "npm", "id"}
PROBE = "-c import sys; sys.exit(sys.version_info < (3, 11))"  # the Makefile's Python detection


def executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture(scope="module")
def system_path(tmp_path_factory) -> Path:
    """One folder of links to every command on this PATH but HIDDEN (the real sudo and apt-get among them)."""
    links = tmp_path_factory.mktemp("path")
    for folder in os.environ["PATH"].split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for entry in sorted(Path(folder).iterdir()):
            if entry.name not in HIDDEN and not (links / entry.name).exists() and os.access(entry, os.X_OK):
                (links / entry.name).symlink_to(entry)
    return links


class Scratch:
    """A scratch folder with a copy of the Makefile, a stand-in .venv and stand-in system commands."""

    def __init__(self, root: Path, system_path: Path):
        self.root, self.log = root / "work", root / "calls.log"
        self.root.mkdir()
        for name in COPIED:
            shutil.copy(ROOT / name, self.root / name)
        self.fakes = root / "fakes"
        self.fakes.mkdir()
        log = self.log
        # A recorder per system command: it appends "NAME ARGS" to the log and exits FAKE_<NAME>_RC (0).
        for name in ("apt", "apt-get", "sudo", "npm"):
            var = "FAKE_" + name.replace("-", "_").upper() + "_RC"
            executable(self.fakes / name, f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit "${{{var}:-0}}"\n')
        # apt-cache show: every package exists but those in FAKE_MISSING
        executable(self.fakes / "apt-cache", f'#!/bin/sh\necho "apt-cache $*" >> "{log}"\n'
                   'case " $FAKE_MISSING " in *" $2 "*) exit 100;; esac\nexit 0\n')
        # id -u: FAKE_UID (a learner, 1000, unless a test plays root)
        real_id = shutil.which("id")
        executable(self.fakes / "id", '#!/bin/sh\n[ "$1" = -u ] && { echo "${FAKE_UID:-1000}"; exit 0; }\n'
                   f'exec "{real_id}" "$@"\n')
        # The first python3.11 the detection tries: records its calls, then runs this Python.
        executable(self.fakes / "python3.11", f'#!/bin/sh\necho "python3.11 $*" >> "{log}"\n'
                   f'exec "{sys.executable}" "$@"\n')
        # The venv's tools. python: no local data set (so the old Makefile reached for apt-get), no
        # Playwright Chromium, a token for make lab; every other call succeeds.
        bin_ = self.root / ".venv" / "bin"
        bin_.mkdir(parents=True)
        executable(bin_ / "python", f'#!/bin/sh\necho "venv-python $*" >> "{log}"\n'
                   '[ "$1 $2 $3 $4" = "-m d2l_utils data --no-download" ] && exit 1\n'
                   '[ "$1" = -c ] || exit 0\n'
                   'case "$2" in *secrets*) echo token; exit 0;; *) exit 1;; esac\n')
        for tool in ("pytest", "ruff", "jupyter", "playwright", "uv"):
            executable(bin_ / tool, f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit 0\n')
        unset = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "PYTHON", "CHROMIUM", "TORCH"}
        self.env = {k: v for k, v in os.environ.items() if k not in unset}
        self.env["PATH"] = f"{self.fakes}{os.pathsep}{system_path}"

    def make(self, *args: str, python: str | None = sys.executable, **env: str):
        """Run make ARGS here (PYTHON=this interpreter unless python=None: the Makefile looks for one)."""
        argv = [MAKE, "--no-print-directory", *args] + ([f"PYTHON={python}"] if python else [])
        return subprocess.run(argv, cwd=self.root, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=120)

    def calls(self, name: str | None = None) -> list[str]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [line for line in lines if name is None or line.split(" ", 1)[0] == name]


@pytest.fixture
def scratch(tmp_path, system_path) -> Scratch:
    return Scratch(tmp_path, system_path)


@pytest.mark.parametrize("uid", ["1000", "0"], ids=["learner", "root"])
def test_lab_test_and_test_all_never_run_apt_get_or_sudo(scratch, uid):
    """Whoever runs them, a learner whose sudo asks for a password or root: no system package manager.
    (The sudo and apt-get stand-ins fail, as a password prompt left unanswered would.)"""
    for target in ("lab", "test-all"):
        run = scratch.make(target, FAKE_UID=uid, FAKE_SUDO_RC="1", FAKE_APT_GET_RC="100")
        assert run.returncode == 0, f"make {target}:\n{run.stdout}\n{run.stderr}"
    calls = scratch.calls()
    assert not [c for c in calls if c.split(" ", 1)[0] in {"sudo", "apt-get", "apt"}], calls
    # the recipes did run: JupyterLab, the lint over the whole tree, every tier's pytest
    assert any(c.startswith("jupyter lab ") for c in calls), calls
    assert "ruff check ." in calls
    pytests = [c for c in calls if c.startswith("pytest ")]
    assert any("notebooks --nbval" in c for c in pytests) and len(pytests) >= 4, pytests


def test_without_chromium_the_browser_tier_says_so_in_one_line_and_goes_on(scratch):
    run = scratch.make("test-browser", "DEBIAN_CHROMIUM=/nonexistent/chromium", FAKE_NPM_RC="1")
    assert run.returncode == 0, run.stderr
    skipped = [line for line in run.stdout.splitlines() if line.startswith("Browser tier skipped")]
    assert len(skipped) == 2 and "make system-deps" in skipped[0], run.stdout  # make chromium, then the tier
    assert not [c for c in scratch.calls("pytest") if "browser" in c]


def test_system_deps_installs_both_packages_through_sudo_for_a_learner(scratch):
    run = scratch.make("system-deps")
    assert run.returncode == 0, run.stderr
    assert scratch.calls("sudo") == ["sudo apt-get update",
                                     "sudo apt-get install -y dataset-fashion-mnist chromium"]


def test_system_deps_as_root_runs_apt_get_itself_and_leaves_out_a_package_the_lists_lack(scratch):
    run = scratch.make("system-deps", FAKE_UID="0", FAKE_MISSING="chromium")  # lists without it
    assert run.returncode == 0, run.stderr
    assert scratch.calls("sudo") == []
    assert scratch.calls("apt-get") == ["apt-get update", "apt-get install -y dataset-fashion-mnist"]
    assert "chromium: not in this system's package lists, left out" in run.stdout


def test_system_deps_without_root_or_sudo_says_so_in_one_line(scratch):
    (scratch.fakes / "sudo").unlink()
    run = scratch.make("system-deps")
    assert run.returncode != 0 and scratch.calls("apt-get") == []
    said = [line for line in run.stderr.splitlines() if not line.startswith("make: ***")]
    assert len(said) == 1, run.stderr
    assert "root or sudo" in said[0] and "make lab and make test work" in said[0]


def test_a_failed_axe_core_install_is_remembered_until_its_marker_is_deleted(scratch):
    first = scratch.make("axe", FAKE_NPM_RC="1")
    assert first.returncode == 0 and len(scratch.calls("npm")) == 1, first.stderr
    marker = scratch.root / ".cache" / "axe-core-install-failed"
    assert marker.is_file()
    again = scratch.make("axe", FAKE_NPM_RC="1")
    assert again.returncode == 0 and len(scratch.calls("npm")) == 1  # not tried again
    said = again.stdout.strip().splitlines()
    assert len(said) == 1 and "skipped" in said[0] and f"rm {marker.relative_to(scratch.root)}" in said[0]
    marker.unlink()
    scratch.make("axe", FAKE_NPM_RC="1")
    assert len(scratch.calls("npm")) == 2  # tried again once the marker is gone


def test_the_python_detection_runs_once_per_make(scratch):
    """`make -n lab` expands PYTHON in the stamps' hashes and the checks, and runs a recursive make."""
    run = scratch.make("-n", "lab", python=None)
    assert run.returncode == 0, run.stderr
    probes = [c for c in scratch.calls("python3.11") if c == f"python3.11 {PROBE}"]
    assert len(probes) == 1, scratch.calls()
    assert str(scratch.fakes / "python3.11") in run.stdout  # the one it found is the one used


def test_a_python_named_on_the_command_line_is_used_without_detection(scratch):
    run = scratch.make("-n", "python", python=str(scratch.fakes / "python3.11"))
    assert run.returncode == 0, run.stderr
    assert f"{scratch.fakes / 'python3.11'} -c" in run.stdout
    assert [c for c in scratch.calls("python3.11") if c == f"python3.11 {PROBE}"] == []


def test_clean_removes_the_venv_the_web_book_and_the_caches(scratch):
    for made in ("_build/site/html/index.html", ".pytest_cache/README.md", ".ruff_cache/x",
                 ".cache/axe-core-install-failed"):
        (scratch.root / made).parent.mkdir(parents=True, exist_ok=True)
        (scratch.root / made).write_text("x", encoding="utf-8")
    run = scratch.make("clean")
    assert run.returncode == 0, run.stderr
    left = {p.name for p in scratch.root.iterdir()} | {p.name for p in (scratch.root / ".cache").iterdir()}
    assert not left & {".venv", "_build", ".pytest_cache", ".ruff_cache", "axe-core-install-failed"}, left
    assert set(COPIED) <= left


def test_checkpoints_trains_each_recipe_from_each_seed_then_the_ablation(scratch):
    """Each recipe for its own epochs (the CLI's default), from seeds 0, 1 and 2, under the names
    d2l_utils.recipe_runs reads; then the ablation for the same seeds, where ablation_or_train reads it."""
    from d2l_utils.recipes import _checkpoint_file

    run = scratch.make("checkpoints")
    assert run.returncode == 0, run.stderr
    trained = [c for c in scratch.calls("venv-python") if " train " in c or " ablation " in c]
    assert trained == [f"venv-python -m d2l_utils train --model {model} --seed {seed} "
                       f"--save checkpoints/{_checkpoint_file(model, seed)}"
                       for model in ("lenet", "lenet-modern", "lenet-convs") for seed in (0, 1, 2)] + [
        "venv-python -m d2l_utils ablation --seeds 0 1 2 --save checkpoints/ablation.json"], trained


def test_checkpoints_names_every_recipe():
    """A recipe added to d2l_utils.recipes.RECIPES gets its checkpoints from `make checkpoints` too."""
    import re

    from d2l_utils import RECIPES

    found = re.search(r"^CHECKPOINTS := (.*)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert found and found.group(1).split() == list(RECIPES), "CHECKPOINTS must list RECIPES, in its order"
