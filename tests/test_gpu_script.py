"""benchmarks/gpu.py, the GPU check: here, without a GPU, it stops at once with one line; its notebook-05
step still finds the notebook's device cell (a renamed or removed cell would make the GPU run fail)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu.py"


def test_without_a_gpu_it_stops_at_once_with_one_line():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 2
    assert run.stdout == ""  # no test, no training started
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no CUDA GPU here" in lines[0], run.stderr


def test_the_notebook_05_step_runs_the_device_cell(capsys):
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    ok = gpu.notebook_05_device()
    out = capsys.readouterr().out
    assert "Chosen device: cpu" in out  # the notebook's own print
    assert ok is False and "notebook 05 chose cpu: NOT the GPU" in out
