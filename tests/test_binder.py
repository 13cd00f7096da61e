"""The Binder (repo2docker) configuration in binder/ is coherent with the rest of the repository.

repo2docker, given a binder/ folder, reads only that folder: runtime.txt picks Python, apt.txt the
Debian/Ubuntu packages, requirements.txt is installed with ``pip install -r binder/requirements.txt``
from the repository root, then binder/postBuild runs. These tests check each piece here, offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

# PEP 508 name at the start of a requirement line, PEP 503 normalised for comparison.
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(path: Path):
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            yield line


def parse_requirements(path: Path, _seen: frozenset = frozenset()) -> tuple[dict[str, str], list[str]]:
    """``({canonical name: line}, [option lines])`` of a pip requirements file, following ``-r``.

    As pip does, a nested ``-r``/``--requirement`` path is relative to the file that names it.
    """
    path = path.resolve()
    assert path not in _seen, f"{path} includes itself"
    names: dict[str, str] = {}
    options: list[str] = []
    for line in _lines(path):
        include = re.match(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^-\s]))(\S.*)$", line)
        if include:
            nested = path.parent / include.group(1).strip()
            assert nested.is_file(), f"{path.name}: {line!r} names {nested}, which does not exist"
            sub_names, sub_options = parse_requirements(nested, _seen | {path})
            names.update(sub_names)
            options += sub_options
        elif line.startswith("-"):
            options.append(line)
        else:
            match = _NAME.match(line)
            assert match, f"{path.name}: cannot read a package name in {line!r}"
            names[canonical(match.group(1))] = line
    return names, options


def test_runtime_is_python_311():
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"


def test_apt_installs_the_debian_data_set():
    packages = [line.partition("#")[0].strip() for line in
                (BINDER / "apt.txt").read_text(encoding="utf-8").splitlines()]
    packages = [p for p in packages if p]
    assert "dataset-fashion-mnist" in packages
    # repo2docker puts these names on an apt-get command line and rejects anything else.
    assert all(re.fullmatch(r"[a-z0-9.+-]+", p) for p in packages), packages


def _requirement_lines(path: Path) -> list[str]:
    return [raw.split("  # via ", 1)[0].strip() for raw in path.read_text(encoding="utf-8").splitlines()
            if raw.strip() and not raw.startswith(("#", "-"))]


def test_binder_requirements_are_the_runtime_lock_less_the_cuda_build():
    """Exactly requirements.lock's pins, in its order, less what only PyTorch's CUDA build needs."""
    from test_requirements import CUDA_ONLY

    runtime = _requirement_lines(ROOT / "requirements.lock")
    binder = _requirement_lines(BINDER / "requirements.txt")
    assert binder == [line for line in runtime if not CUDA_ONLY.match(line)]
    assert any(CUDA_ONLY.match(line) for line in runtime)  # the lock does hold the CUDA build


def test_binder_pins_every_version_and_includes_nothing():
    names, options = parse_requirements(BINDER / "requirements.txt")
    assert not [o for o in options if o.startswith(("-r", "--requirement", "-c", "--constraint"))], options
    loose = [line for line in names.values() if not re.match(r"^[A-Za-z0-9._-]+==[^=*,]+(\s*;.*)?$", line)]
    assert not loose, f"binder/requirements.txt does not pin {loose}"


def test_binder_installs_no_test_lint_or_docs_tool():
    from test_requirements import TOOLS

    names, _ = parse_requirements(BINDER / "requirements.txt")
    assert not TOOLS & set(names), sorted(TOOLS & set(names))
    root, _ = parse_requirements(ROOT / "requirements.txt")
    assert set(root) <= set(names), f"binder does not install {sorted(set(root) - set(names))}"


def test_the_package_dependencies_are_all_in_the_requirements():
    """postBuild installs d2l_utils with --no-deps: the requirements must bring its dependencies."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = {canonical(_NAME.match(d).group(1)) for d in project.get("dependencies", [])}
    binder, _ = parse_requirements(BINDER / "requirements.txt")
    assert deps <= set(binder), f"not in binder's requirements: {sorted(deps - set(binder))}"


def test_binder_uses_cpu_only_torch_wheels():
    """Binder has no GPU and little disk: PyPI's Linux torch pulls in gigabytes of CUDA libraries."""
    names, options = parse_requirements(BINDER / "requirements.txt")
    assert "torch" in names and "torchvision" in names
    indexes = [o for o in options if o.startswith(("--extra-index-url", "--index-url", "-i "))]
    assert any("download.pytorch.org/whl/cpu" in o for o in indexes), options


def test_postbuild_is_an_executable_script():
    post = BINDER / "postBuild"
    assert post.is_file()
    assert os.access(post, os.X_OK), "binder/postBuild must be executable (chmod +x, and in git)"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!"), "postBuild needs a shebang line"
    assert "--no-deps" in text and "-e ." in text


def test_postbuild_is_executable_in_git():
    """Binder clones the repository: the executable bit must be recorded in git, not only on disk."""
    out = subprocess.run(["git", "ls-files", "-s", "binder/postBuild"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0 or not out.stdout.strip():
        pytest.skip("binder/postBuild is not committed yet (or no git here)")
    assert out.stdout.split()[0] == "100755", out.stdout


def _scratch_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh venv that sees this interpreter's packages (torch, pip, setuptools) but not d2l_utils.

    Its own site-packages comes first; a .pth line appends ours as a plain path, so the .pth files
    in ours (among them the editable install of d2l_utils) are not run.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "zz_outer_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "HOME": str(tmp_path / "home"),
        # Offline: no index, no user/site pip configuration, and the build backend
        # (setuptools) taken from the environment instead of downloaded into an isolated one.
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted spelling of --no-build-isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
    })
    return python, env


@pytest.mark.slow
def test_postbuild_installs_d2l_utils(tmp_path):
    """Run binder/postBuild, as repo2docker does, on a copy of the repository in a scratch venv."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".venv", ".git", "artifacts", "notebooks", "*.egg-info", "build", "__pycache__",
        ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "*.ipynb", "data"))
    python, env = _scratch_env(tmp_path)

    probe = [str(python), "-c", "import importlib.util; print(importlib.util.find_spec('d2l_utils'))"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = subprocess.run(probe, cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert before.stdout.strip() == "None", "the scratch venv already sees d2l_utils: the test proves nothing"

    run = subprocess.run([str(repo / "binder" / "postBuild")], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, f"postBuild failed:\n{run.stdout}\n{run.stderr}"

    check = subprocess.run(
        [str(python), "-c", "import d2l_utils, torch; print(d2l_utils.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stderr
    # Editable: the notebooks use the repository's d2l_utils, so edits show after a kernel restart.
    assert Path(check.stdout.strip()).resolve().is_relative_to(repo / "d2l_utils"), check.stdout


MEMORY_PROBE = textwrap.dedent("""
    import itertools, resource, sys
    import torch
    from torch import nn
    import d2l_utils as d2l

    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB -> MiB

    after_import = peak_mib()
    torch.set_num_threads(2)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=256)
    net = d2l.lenet()
    net.apply(d2l.init_weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
    loss = nn.CrossEntropyLoss()
    for X, y in itertools.islice(train_iter, 20):
        optimizer.zero_grad()
        loss(net(X), y).backward()
        optimizer.step()
    d2l.evaluate_accuracy(net, test_iter)
    print(after_import, peak_mib())
""")


@pytest.mark.slow
def test_training_fits_in_binders_memory():
    """mybinder.org gives a session 2 GB, shared by the Jupyter server and every open kernel.

    A kernel holding the whole data set and training LeNet (as 05-07 do) must stay far below it.
    """
    import d2l_utils

    try:
        d2l_utils.find_data_dir(download=False)
    except d2l_utils.DataError as err:
        pytest.skip(f"no local Fashion-MNIST ({err}); `make data` provides it")
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    after_import, peak = map(int, out.stdout.split()[-2:])
    # torch's own libraries: about 200 MiB with Binder's CPU wheels, 500 with CUDA builds.
    assert peak - after_import < 800, f"data and training took {peak - after_import} MiB beyond torch"
    assert peak < 1500, f"the kernel peaked at {peak} MiB of the 2048 MiB Binder allows"
