"""The GPU check, in one go, on a machine with an NVIDIA GPU and PyTorch's CUDA build.

Runs from the source tree with only PyTorch, torchvision, matplotlib and pytest installed (no Jupyter,
nbval or Playwright, nothing from the network), the data from FASHION_MNIST_DIR::

    FASHION_MNIST_DIR=/path/to/the/four/files PYTHONPATH=. python benchmarks/gpu.py

1. the unit tests that involve a device (tests/test_device.py, and the device choice and CLI device
   errors of tests/test_training.py and tests/test_cli.py) with ``D2L_TEST_DEVICE=cuda``;
2. one epoch of the classic and one of the modern recipe on ``cuda`` through the CLI
   (``python -m d2l_utils train --json``): the epoch's seconds, the process's seconds and the accuracy;
3. notebook 05's device choice: its ``describe_device`` cell, run as the notebook runs it.

Without a CUDA GPU it stops at once with one line (exit status 2). It prints a summary for the
README's GPU row and exits 1 if any step failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVICE_TESTS = ["tests/test_device.py", "tests/test_training.py::test_try_gpu_prefers_cuda_then_mps_then_cpu",
                "tests/test_cli.py"]


def env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "D2L_TEST_DEVICE": "cuda"}


def unit_tests() -> bool:
    print(f"== 1. unit tests on cuda: pytest {' '.join(DEVICE_TESTS)}", flush=True)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DEVICE_TESTS],
                         cwd=ROOT, env=env(), check=False)
    return run.returncode == 0


def one_epoch(model: str, data_dir: Path) -> dict | None:
    command = [sys.executable, "-m", "d2l_utils", "train", "--model", model, "--epochs", "1", "--seed", "0",
               "--device", "cuda", "--data-dir", str(data_dir), "--json"]
    start = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        print(f"{model}: the CLI failed (exit {run.returncode}):\n{run.stderr.strip()}")
        return None
    record = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"{model}: one epoch on cuda in {record['sec']:.2f} s (process {wall:.1f} s, imports, data and "
          f"CUDA start included); test accuracy {record['test_acc']:.3f}, training loss {record['loss']:.3f}")
    return {"model": model, "sec": record["sec"], "process_sec": wall, "test_acc": record["test_acc"]}


def notebook_05_device() -> bool:
    """Notebook 05's ``describe_device`` cell, with the notebook's ``torch`` and ``try_gpu``."""
    import torch

    from d2l_utils import try_gpu

    cells = json.loads((ROOT / "notebooks" / "05_training.ipynb").read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    cell = next((s for s in sources if "def describe_device" in s), None)
    if cell is None:
        print("notebook 05 has no cell defining describe_device: nothing to check")
        return False
    namespace = {"torch": torch, "try_gpu": try_gpu}
    exec(compile(cell, "notebook 05, describe_device", "exec"), namespace)  # prints the chosen device
    device = namespace.get("device")
    ok = isinstance(device, torch.device) and device.type == "cuda"
    print(f"notebook 05 chose {device}: {'a CUDA GPU, as it should here' if ok else 'NOT the GPU'}")
    return ok


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print(f"benchmarks/gpu.py: no CUDA GPU here (torch {torch.__version__}, torch.cuda.is_available() is "
              "False): run it on a machine with an NVIDIA GPU and PyTorch's CUDA build.", file=sys.stderr)
        return 2
    from d2l_utils import DataError, find_data_dir

    try:
        data_dir = find_data_dir(download=False)
    except DataError as err:
        print(f"benchmarks/gpu.py: {err}", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name(0)
    print(f"GPU check: {name}, torch {torch.__version__} (CUDA {torch.version.cuda}), data in {data_dir}",
          flush=True)

    results = {"tests": unit_tests()}
    print("== 2. one epoch of each recipe on cuda", flush=True)
    epochs = [one_epoch(model, data_dir) for model in ("lenet", "lenet-modern")]
    results["recipes"] = all(epochs)
    print("== 3. notebook 05's device choice", flush=True)
    results["notebook 05"] = notebook_05_device()

    print(f"\nSummary ({time.strftime('%Y-%m-%d')}, {name}):")
    for what, ok in results.items():
        print(f"  {what}: {'passed' if ok else 'FAILED'}")
    for e in filter(None, epochs):
        print(f"  {e['model']}: {e['sec']:.2f} s per epoch, test accuracy {e['test_acc']:.3f} after one")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
