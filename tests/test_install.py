"""The package installed NON-editable (as ``pip install .`` would) imports from its install folder and
finds checkpoints from the working folder or D2L_CHECKPOINT_DIR, never from its own source path."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from d2l_utils.recipes import EPOCHS

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import d2l_utils
    from d2l_utils import CheckpointError, checkpoint_or_train, load_checkpoint
    from d2l_utils.training import checkpoint_dir

    report = {"file": d2l_utils.__file__, "dir": str(checkpoint_dir().resolve())}
    if sys.argv[1] == "load":
        net, history = checkpoint_or_train("lenet_modern.pt", device="cpu")
        report.update(layers=len(net), epochs=len(history), training=net.training)
    else:
        try:
            load_checkpoint(checkpoint_dir() / "lenet_modern.pt", model="lenet-modern")
            report["found"] = True
        except CheckpointError as err:
            report.update(found=False, error=str(err))
    print(json.dumps(report))
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``pip install --no-deps --no-build-isolation --no-index --target SITE`` of a copy of the sources
    (so that the build leaves nothing in the repository), reusing this environment's setuptools."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "d2l_utils", src / "d2l_utils", ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp / "site"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(site), str(src)],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (site / "d2l_utils" / "training.py").is_file()
    assert not list(site.glob("__editable__*")) and not list(site.glob("*.pth"))  # a real copy
    # a checkpoints folder right next to the installed package: it must NOT be found
    (site / "checkpoints").mkdir()
    shutil.copy(ROOT / "checkpoints" / "lenet_modern.pt", site / "checkpoints" / "lenet_modern.pt")
    return site


def probe(site, cwd, mode, checkpoint_env=None):
    """Run PROBE with the installed copy on PYTHONPATH, which comes before this environment's editable
    install of d2l_utils (its import hook is consulted after the path; the test checks __file__)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "D2L_"))}
    env.update(PYTHONPATH=str(site), OMP_NUM_THREADS="1")
    if checkpoint_env is not None:
        env["D2L_CHECKPOINT_DIR"] = str(checkpoint_env)
    run = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (ROOT / "checkpoints" / "lenet_modern.pt").is_file(),
                                 reason="no checkpoints/lenet_modern.pt: run `make checkpoints`")]


def test_installed_package_loads_the_checkpoint_named_by_the_environment(site, tmp_path, capsys):
    report = probe(site, tmp_path, "load", checkpoint_env=ROOT / "checkpoints")
    assert Path(report["file"]).resolve().is_relative_to(site.resolve()), report["file"]
    assert not Path(report["file"]).resolve().is_relative_to(ROOT / "d2l_utils")
    assert report["dir"] == str((ROOT / "checkpoints").resolve())
    assert report["layers"] == 17 and report["training"] is False
    assert report["epochs"] == EPOCHS["lenet-modern"]  # the checkpoint make checkpoints writes
    assert os.listdir(tmp_path) == []  # loaded, not trained and saved


def test_installed_package_does_not_look_next_to_its_source(site, tmp_path):
    report = probe(site, tmp_path, "look")
    assert Path(report["file"]).resolve().is_relative_to(site.resolve())
    assert report["dir"] == str((tmp_path / "checkpoints").resolve())  # the working folder's
    assert report["found"] is False and "does not exist" in report["error"]
    assert str(site) not in report["error"]
    # the same from a folder holding checkpoints/: found there
    (tmp_path / "checkpoints").mkdir()
    shutil.copy(ROOT / "checkpoints" / "lenet_modern.pt", tmp_path / "checkpoints")
    assert probe(site, tmp_path, "look")["found"] is True
