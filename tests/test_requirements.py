"""The requirement lists and their locks agree (`make lock` rebuilds the locks with uv).

requirements.txt is the runtime (make lab, Binder), requirements-dev.txt adds the test, lint and docs
tools (make test). requirements-dev.lock pins everything, requirements.lock the runtime part of it, and
binder/requirements.txt is requirements.lock less the packages that only PyTorch's CUDA build brings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LISTS = {"requirements.txt": ROOT / "requirements.txt", "requirements-dev.txt": ROOT / "requirements-dev.txt"}
LOCKS = {"runtime": ROOT / "requirements.lock", "dev": ROOT / "requirements-dev.lock"}
# What the Makefile's CUDA_ONLY drops for TORCH=cpu and for Binder.
CUDA_ONLY = re.compile(r"^(nvidia-|cuda-|triton==)")
TOOLS = {"pytest", "pytest-xdist", "nbval", "ruff", "playwright", "sphinx", "myst-nb", "sphinx-book-theme",
         "uv", "coverage"}


@dataclass(frozen=True)
class Pin:
    line: str  # the requirement, without its annotation
    requirement: Requirement
    via: tuple[str, ...]  # uv's annotation: the packages (or -r/-c files) that need it

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)


def read_lock(path: Path) -> list[Pin]:
    pins = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#") or raw.startswith("-"):
            continue
        line, _, note = raw.partition("  # via ")
        via = tuple(v.strip() for v in note.split(",")) if note else ()
        pins.append(Pin(line.strip(), Requirement(line.strip()), via))
    return pins


def direct(path: Path, _seen=()) -> dict[str, Requirement]:
    """The requirements a list names itself, following ``-r`` (relative to the file, as pip does)."""
    found = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            nested = (path.parent / line[3:].strip()).resolve()
            assert nested not in _seen, f"{path.name} includes itself"
            found.update(direct(nested, (*_seen, nested)))
        else:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def test_every_lock_line_pins_one_exact_version():
    for path in LOCKS.values():
        pins = read_lock(path)
        assert pins, f"{path.name} pins nothing"
        for pin in pins:
            specs = list(pin.requirement.specifier)
            assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, \
                f"{path.name}: {pin.line!r} is not one exact version"


def test_every_listed_requirement_is_locked_within_its_range():
    for lock, listed in (("runtime", "requirements.txt"), ("dev", "requirements-dev.txt")):
        pins = {}
        for pin in read_lock(LOCKS[lock]):
            pins.setdefault(pin.name, []).append(pin)
        for name, requirement in direct(LISTS[listed]).items():
            assert name in pins, \
                f"{listed} names {name}, which {LOCKS[lock].name} does not pin: run make lock"
            for pin in pins[name]:
                version = next(iter(pin.requirement.specifier)).version
                assert requirement.specifier.contains(version, prereleases=True), \
                    f"{LOCKS[lock].name} pins {pin.line}, outside {listed}'s {requirement}: run make lock"


def test_the_locks_were_made_from_todays_lists():
    """uv notes ``-r FILE`` beside each requirement a list names: those must be the list's names exactly,
    so that a requirement removed from a list (and left in the lock) is caught too."""
    for lock in LOCKS.values():
        for listed, path in LISTS.items():
            noted = {pin.name for pin in read_lock(lock) if f"-r {listed}" in pin.via}
            if lock == LOCKS["runtime"] and listed == "requirements-dev.txt":
                assert not noted, noted
                continue
            names = set(direct_own(path))
            assert noted == names, (f"{lock.name} and {listed} disagree: only in the lock "
                                    f"{sorted(noted - names)}, only in the list {sorted(names - noted)}; "
                                    "run make lock")


def direct_own(path: Path) -> dict[str, Requirement]:
    """The requirements a list names itself, not those of the lists it includes."""
    included = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("-r "):
            included.update(direct((path.parent / raw[3:].split(" #")[0].strip()).resolve()))
    return {n: r for n, r in direct(path).items() if n not in included}


def test_every_pin_is_needed_by_a_list_or_another_pin():
    for lock in LOCKS.values():
        pins = read_lock(lock)
        names = {pin.name for pin in pins}
        for pin in pins:
            needers = [v for v in pin.via if not v.startswith(("-r ", "-c "))]
            assert pin.via and all(canonicalize_name(v) in names for v in needers), \
                f"{lock.name}: {pin.line} is needed by {pin.via}, not all of them locked"


def test_the_runtime_lock_is_the_dev_lock_restricted_to_the_runtime():
    dev = {pin.line for pin in read_lock(LOCKS["dev"])}
    runtime = [pin.line for pin in read_lock(LOCKS["runtime"])]
    assert set(runtime) <= dev, f"versions differ between the locks: {sorted(set(runtime) - dev)}"
    assert len(runtime) < len(dev)


def test_the_runtime_names_no_test_lint_or_docs_tool():
    for source in (direct(LISTS["requirements.txt"]), {pin.name for pin in read_lock(LOCKS["runtime"])}):
        assert not TOOLS & set(source), sorted(TOOLS & set(source))
    assert TOOLS - {"coverage"} <= set(direct(LISTS["requirements-dev.txt"]))


def test_what_the_cpu_install_drops_only_the_cuda_build_needs():
    """The packages CUDA_ONLY drops are all brought by torch (directly or through one another)."""
    pins = read_lock(LOCKS["dev"])
    dropped = {pin.name: pin for pin in pins if CUDA_ONLY.match(pin.line)}
    assert "nvidia-cudnn-cu13" in dropped or any(n.startswith("nvidia-") for n in dropped)
    for pin in dropped.values():
        needers = {canonicalize_name(v) for v in pin.via}
        assert needers and needers <= set(dropped) | {"torch"}, f"{pin.line} is needed by {pin.via}"
    assert "torch" not in dropped and "torchvision" not in dropped


def test_the_package_dependencies_are_runtime_requirements_and_locked_within_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = direct(LISTS["requirements.txt"])
    pins = {pin.name: pin for pin in read_lock(LOCKS["runtime"])}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"pyproject.toml needs {name}, requirements.txt does not name it"
        assert requirement.specifier.contains(next(iter(pins[name].requirement.specifier)).version)
    assert project["requires-python"] == ">=3.11"


@pytest.mark.parametrize("name", sorted(direct(LISTS["requirements.txt"])))
def test_this_environment_has_the_locked_runtime_versions(name):
    """The stored outputs come from the locked versions: the environment running the tests holds them
    (a +cpu build of torch counts as its version). After `make lock`, `make setup` installs them."""
    pin = next(p for p in read_lock(LOCKS["runtime"]) if p.name == name)
    locked = Version(next(iter(pin.requirement.specifier)).version)
    installed = Version(metadata.version(name))
    assert installed.public == locked.public, \
        f"{name} {installed} is installed, the lock says {locked}: run make setup (or make clean first)"
