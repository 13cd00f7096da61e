"""benchmarks/memory.py: the peak-memory reading, the child-process listing, the table, and (slow) one
measured notebook."""

import importlib.util
import os
import resource
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "memory.py"
spec = importlib.util.spec_from_file_location("memory_benchmark", SCRIPT)
memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(memory)

# benchmarks/memory.py reads Linux's /proc (VmHWM, VmRSS, RssFile, children): elsewhere (macOS) there is
# nothing to test.
pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="benchmarks/memory.py reads Linux's /proc, which this system lacks")


def _rss_mb():
    line = next(line for line in open("/proc/self/status") if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024 / 1e6


def test_peak_rss_is_a_high_water_mark_in_megabytes():
    rss_before = _rss_mb()
    block = bytearray(150 * 10**6)  # 150 MB, all of it written (zeroed), so resident
    peak = memory.peak_rss_mb(os.getpid())
    assert peak >= rss_before + 140
    del block
    assert memory.peak_rss_mb(os.getpid()) > peak - 2  # freeing does not lower the mark (Linux's
    # counters are approximate to a few pages), and it is getrusage's number (KiB) in MB of 10**6 bytes
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    assert abs(memory.peak_rss_mb(os.getpid()) - maxrss_mb) < 2


def test_private_memory_counts_what_the_process_writes_not_the_libraries_it_maps():
    before = memory.private_mb(os.getpid())
    block = bytearray(150 * 10**6)
    assert memory.private_mb(os.getpid()) > before + 140
    del block
    assert memory.private_mb(os.getpid()) < before + 10  # unlike the high-water mark, it goes down
    assert memory.status_mb(os.getpid(), "RssFile") > 5  # python's own mapped files, not private
    assert memory.private_mb(os.getpid()) + memory.status_mb(os.getpid(), "RssFile") == pytest.approx(
        memory.status_mb(os.getpid(), "VmRSS"), abs=2)


def test_descendants_finds_children_and_grandchildren():
    code = "import subprocess, sys, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(100):  # wait until the grandchild exists
            found = memory.descendants(os.getpid())
            if len(found) >= 2:
                break
            subprocess.run(["sleep", "0.05"])
        assert child.pid in found and len(found) >= 2
    finally:
        for pid in memory.descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()


def test_a_child_is_measured_after_exec_not_as_the_copy_it_was_forked_from():
    """A child read while it still holds 200 MB, and again once it has exec'd `sleep`: the watcher keeps
    the second reading (VmHWM starts anew at exec), not the larger first one."""
    code = ("import os, sys; block = bytearray(200 * 10**6); print('ready', flush=True); "
            "sys.stdin.readline(); os.execvp('sleep', ['sleep', '30'])")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        watcher = memory.ChildWatcher(os.getpid())
        watcher.sample()
        assert watcher.peaks[child.pid][0] > 190, watcher.peaks
        child.stdin.write("go\n")
        child.stdin.flush()
        for _ in range(200):
            if Path(f"/proc/{child.pid}/comm").read_text().strip() == "sleep":
                break
            subprocess.run(["sleep", "0.05"])
        watcher.sample()
        peak, name = watcher.peaks[child.pid]
        assert name == "sleep" and peak < 50, watcher.peaks
    finally:
        child.kill()
        child.wait()


def test_table_lists_every_notebook():
    rows = [dict(notebook="01_a.ipynb", peak_mb=650, private_mb=340, files_mb=310, seconds=9.96,
                 children=0, child_peak_mb=0, child_name=""),
            dict(notebook="08_b.ipynb", peak_mb=1000, private_mb=700, files_mb=320, seconds=120.0,
                 children=3, child_peak_mb=270, child_name="cc1plus")]
    lines = memory.format_table(rows).splitlines()
    assert lines[0].startswith("| notebook | kernel peak MB | private peak MB | mapped files MB | seconds |")
    assert len(lines) == 4
    assert lines[2] == "| 01_a.ipynb | 650 | 340 | 310 | 10.0 | 0 | - |"
    assert lines[3] == "| 08_b.ipynb | 1000 | 700 | 320 | 120.0 | 3 | 270 (cc1plus) |"


@pytest.mark.slow
def test_measure_a_small_notebook(tmp_path):
    """A kernel holding 300 MB peaks above that; the notebook file is not written; the kernel runs in
    the given folder with D2L_CHECKPOINT_DIR pointing at the repository's checkpoints."""
    cells = ["import os\nfrom pathlib import Path",
             "assert Path.cwd() == Path(os.environ['EXPECTED_CWD'])\n"
             "assert os.environ['D2L_CHECKPOINT_DIR'] == os.environ['EXPECTED_CHECKPOINTS']",
             "import time\nblock = bytearray(300 * 10**6)\nblock[::4096] = b'\\x01' * len(block[::4096])\n"
             "time.sleep(1)  # held for five samples of the private memory\ndel block",
             "import subprocess\nsubprocess.run(['sleep', '1'])"]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    stored = path.read_bytes()
    workdir = tmp_path / "work"
    workdir.mkdir()
    os.environ.update(EXPECTED_CWD=str(workdir), EXPECTED_CHECKPOINTS=str(memory.CHECKPOINTS))
    try:
        result = memory.measure(path, workdir, timeout=120)
    finally:
        del os.environ["EXPECTED_CWD"], os.environ["EXPECTED_CHECKPOINTS"]
    assert result["notebook"] == "tiny.ipynb"
    assert 300 < result["peak_mb"] < 1000, result  # the block plus a bare kernel (about 50 MB)
    assert 300 < result["private_mb"] <= result["peak_mb"], result
    assert 0 < result["files_mb"] < result["peak_mb"], result
    assert result["children"] >= 1 and result["child_name"] == "sleep", result
    assert result["child_peak_mb"] < 50, result  # `sleep` is small
    assert 0 < result["seconds"] < 120
    assert path.read_bytes() == stored
