"""How much memory each notebook's kernel needs: peak resident memory (RSS) and wall time.

    .venv/bin/python benchmarks/memory.py [notebooks/NN_name.ipynb ...] [--json]

(``make memory`` runs it on every notebook.) The peaks that the README and notebooks/TEACHING.md
quote come from this script.

The method, the same for every notebook:

* the notebook is read into memory and executed top to bottom by nbclient in a fresh ``python3``
  kernel (jupyter_client starts it with this script's Python, i.e. this virtual environment's), with
  a temporary copy of ``notebooks/`` as its working folder, so that no ``.ipynb`` file and nothing
  next to them is written;
* ``D2L_CHECKPOINT_DIR`` points at the repository's ``checkpoints/``, so 06 and 07 load the stored
  weights as a learner's kernel does (they are read, never retrained or rewritten: the script stops
  if a checkpoint is missing);
* the kernel's peak is ``VmHWM`` (the kernel's high-water mark of resident memory, kept by Linux)
  read from ``/proc/<pid>/status`` after the last cell and just before the kernel is shut down; the
  pid is that of the process the kernel manager's provisioner started;
* the kernel's *private* memory (``RssAnon`` + ``RssShmem``: what it wrote itself, not the pages of
  PyTorch's libraries that it maps from disk, which the kernels of one server share) has no
  high-water mark kept by Linux, so it is sampled every 0.2 s and the largest sample is reported
  (a spike shorter than that can be missed); ``RssFile`` at the end is the mapped-library part;
* child processes the kernel starts (DataLoader workers, torch.compile's compile workers) are
  separate processes, not in that peak: their ``VmHWM`` is sampled every 0.2 s while the notebook
  runs, each child's latest reading is kept (``VmHWM`` only grows, until an ``exec`` replaces the
  forked copy of its parent), and the largest is reported in its own column (a child living under
  0.2 s can be missed);
* the seconds run from starting the kernel to the end of the last cell.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from d2l_utils.recipes import RECIPES, SEEDS, _checkpoint_file

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
CHECKPOINTS = REPO / "checkpoints"
# What notebooks 06 and 07 load (`make checkpoints`): every recipe from each seed, and 06's ablation.
CHECKPOINT_FILES = [*(_checkpoint_file(model, seed) for model in RECIPES for seed in SEEDS),
                    "ablation.json"]


def status_mb(pid: int, *fields: str) -> float:
    """The sum of the named ``kB`` fields of ``/proc/<pid>/status`` (e.g. ``RssAnon``), in MB (10**6
    bytes; the kernel reports KiB). A field the process lacks (a zombie has no memory) raises
    RuntimeError."""
    values = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    missing = [f for f in fields if f not in values]
    if missing:
        raise RuntimeError(f"no {', '.join(missing)} in /proc/{pid}/status")
    return sum(int(values[f].split()[0]) for f in fields) * 1024 / 1e6


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of a process's resident memory (``VmHWM``, Linux), in MB."""
    return status_mb(pid, "VmHWM")


def private_mb(pid: int) -> float:
    """A process's private resident memory now (``RssAnon`` + ``RssShmem``), in MB."""
    return status_mb(pid, "RssAnon", "RssShmem")


def descendants(pid: int) -> set[int]:
    """The pids of a process's children, grandchildren and so on that are alive now."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:  # the thread or process ended meanwhile
                continue
            todo.extend(children - found)
            found |= children
    return found


class ChildWatcher(threading.Thread):
    """Samples, until :meth:`stop`, the peak RSS of every descendant of ``pid`` (``{pid: (MB, name)}``)
    and the largest private memory of ``pid`` itself (``private_peak``, MB)."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every, self.peaks, self.private_peak = pid, every, {}, 0.0
        self._stop_event = threading.Event()

    def sample(self):
        self.private_peak = max(self.private_peak, private_mb(self.pid))
        for child in descendants(self.pid):
            try:
                # the latest reading, not the largest: a child read between fork and exec still
                # carries its parent's pages (and name); exec starts a new, lower high-water mark
                self.peaks[child] = (peak_rss_mb(child), Path(f"/proc/{child}/comm").read_text().strip())
            except (OSError, RuntimeError):  # ended between listing and reading
                pass

    def run(self):
        while not self._stop_event.wait(self.every):
            self.sample()

    def stop(self) -> dict[int, tuple[float, str]]:
        self._stop_event.set()
        self.join()
        self.sample()
        return self.peaks


def measure(path, cwd, timeout: int = 1800) -> dict:
    """Execute a copy of the notebook at ``path`` in a fresh kernel running in ``cwd`` and return
    ``{"notebook", "peak_mb", "private_mb", "files_mb", "seconds", "children", "child_peak_mb",
    "child_name"}`` (the method is in the module docstring; ``child_name`` is the largest child's
    command). The file at ``path`` is only read."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(cwd)}})
    env = dict(os.environ, D2L_CHECKPOINT_DIR=str(CHECKPOINTS))
    start = time.perf_counter()
    with client.setup_kernel(env=env):
        pid = client.km.provisioner.process.pid
        watcher = ChildWatcher(pid)
        watcher.start()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        finally:
            children = watcher.stop()
        seconds = time.perf_counter() - start
        peak = peak_rss_mb(pid)  # the kernel is still running: read its marks before shutdown
        files = status_mb(pid, "RssFile")
    child_peak, child_name = max(children.values(), default=(0, ""))
    return {"notebook": Path(path).name, "peak_mb": round(peak), "private_mb": round(watcher.private_peak),
            "files_mb": round(files), "seconds": round(seconds, 1),
            "children": len(children), "child_peak_mb": round(child_peak), "child_name": child_name}


def format_table(rows: list[dict]) -> str:
    """A Markdown table of :func:`measure`'s results."""
    lines = ["| notebook | kernel peak MB | private peak MB | mapped files MB | seconds | child processes "
             "| largest child peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        child = f"{r['child_peak_mb']} ({r['child_name']})" if r["children"] else "-"
        lines.append(f"| {r['notebook']} | {r['peak_mb']} | {r['private_mb']} | {r['files_mb']} | "
                     f"{r['seconds']:.1f} | {r['children']} | {child} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to measure (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON, not a table")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    missing = [p for p in CHECKPOINT_FILES if not (CHECKPOINTS / p).is_file()]
    if missing:  # 06 and 07 would train them: that is not what a learner's kernel does
        sys.exit(f"checkpoints/{', '.join(missing)} missing: run `make checkpoints` first")
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory-benchmark-") as tmp:
        cwd = Path(tmp, "notebooks")
        shutil.copytree(NOTEBOOKS, cwd, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for path in paths:
            rows.append(measure(path, cwd, args.timeout))
            print(f"{rows[-1]['notebook']}: {rows[-1]['peak_mb']} MB ({rows[-1]['private_mb']} MB private), "
                  f"{rows[-1]['seconds']:.1f} s",
                  file=sys.stderr, flush=True)  # progress
    print(json.dumps(rows, indent=1) if args.json else format_table(rows))


if __name__ == "__main__":
    main()
