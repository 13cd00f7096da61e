"""The set-up's doctor (``d2l_utils.doctor``, ``python -m d2l_utils doctor``): each fault it names, simulated,
with its problem line and the fix for the platform it detects; the one constant line when all is well;
nothing of the caller's state moved; the command's exit status."""

import os
import random
import subprocess
import sys
import types
from importlib import import_module

import pytest
import torch

from d2l_utils.cli import main
from d2l_utils.doctor import ALL_GOOD, cuda_request, detect_platform, diagnose, doctor

doc = import_module("d2l_utils.doctor")  # the module itself, whatever the package binds to the name

PLATFORMS = ["linux", "macos", "wsl", "windows", "colab", "hub"]
PLENTY = (8_000_000_000, 16_000_000_000)  # bytes free for a kernel, bytes in all


def on(monkeypatch, tmp_path, platform):
    """Make :func:`detect_platform` see ``platform`` the way it looks for it on a real one."""
    for name in ("JUPYTERHUB_USER", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    proc_version = tmp_path / "proc-version"
    proc_version.write_text("Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)\n")
    monkeypatch.setattr(doc, "PROC_VERSION", proc_version)
    monkeypatch.setattr(sys, "platform", {"macos": "darwin", "windows": "win32"}.get(platform, "linux"))
    if platform == "wsl":
        proc_version.write_text("Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f)\n")
    if platform == "colab":
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        widgets = types.ModuleType("google.colab.output._widgets")
        widgets._installed_url = "https://ssl.gstatic.com/colaboratory-static/widgets/manager.min.js"
        monkeypatch.setitem(sys.modules, "google.colab.output._widgets", widgets)
    if platform == "hub":
        monkeypatch.setenv("JUPYTERHUB_USER", "student42")


@pytest.fixture
def healthy(isolated, fake_dir, monkeypatch):
    """All is well, whatever this machine is: Linux, the data in FASHION_MNIST_DIR, plenty of memory, no
    CUDA request, widgets as installed here (ipywidgets and jupyterlab_widgets are in requirements)."""
    on(monkeypatch, isolated, "linux")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(fake_dir))
    for name in ("CUDA_VISIBLE_DEVICES", "D2L_STATIC_WIDGETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(doc, "_memory", lambda: PLENTY)
    return isolated


@pytest.fixture
def cpu_only(monkeypatch):
    """PyTorch's CPU-only build on a machine without a GPU."""
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def cuda_build_without_gpu(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def the_problem(report, starts):
    """The one problem whose line starts with ``starts``, as printed: ``(problem line, fix line)``."""
    lines = report.text().splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(f"Problem: {starts}")]
    assert len(found) == 1, report.text()
    assert lines[found[0] + 1].startswith("  Fix: "), report.text()
    assert lines[-1] != ALL_GOOD
    assert len(report.problems) == sum(line.startswith("Problem: ") for line in lines)
    return lines[found[0]], lines[found[0] + 1]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_platform_is_detected_as_it_shows_itself(platform, monkeypatch, tmp_path):
    on(monkeypatch, tmp_path, platform)
    assert detect_platform() == platform


def test_all_good_is_one_constant_line(healthy, capsys):
    doctor()
    assert capsys.readouterr().out == ALL_GOOD + "\n"
    assert not any(ch.isdigit() for ch in ALL_GOOD), "no version or number in the line notebooks store"


def test_verbose_prints_what_was_checked_even_when_all_is_well(healthy, fake_dir, capsys):
    doctor(verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Set-up on Linux:" and lines[-1] == ALL_GOOD
    facts = "\n".join(lines)
    for fact in (f"PyTorch {torch.__version__}", f"device: {doc.try_gpu()} (what try_gpu() picks), because",
                 f"threads: PyTorch uses {torch.get_num_threads()}", "memory: 8.0 GB free",
                 f"data: Fashion-MNIST in {fake_dir}", "widgets: ipywidgets 8."):
        assert fact in facts, facts


def test_the_doctor_moves_no_random_stream_and_no_setting(healthy, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # a problem to report, too
    torch.manual_seed(3)
    random.seed(3)
    before = (torch.get_rng_state(), random.getstate(), torch.get_num_threads(), torch.get_default_dtype(),
              dict(os.environ), torch.are_deterministic_algorithms_enabled())
    diagnose("cuda:1")
    after = (torch.get_rng_state(), random.getstate(), torch.get_num_threads(), torch.get_default_dtype(),
             dict(os.environ), torch.are_deterministic_algorithms_enabled())
    assert torch.equal(before[0], after[0]) and before[1:] == after[1:]


# --- no data -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("platform, fix", [
    ("linux", "in the collection's folder run `make data`"),
    ("macos", "in the collection's folder run `make data`"),
    ("wsl", "in the collection's folder run `make data`"),
    ("windows", "run `python -m d2l_utils data`"),  # no make there
    ("hub", "open a terminal (File › New › Terminal) and run `python -m d2l_utils data`"),
])
def test_no_data(healthy, monkeypatch, platform, fix):
    monkeypatch.delenv("FASHION_MNIST_DIR")  # and `isolated` left no cache and no Debian folder
    on(monkeypatch, healthy, platform)
    report = diagnose()
    problem, fix_line = the_problem(report, "Fashion-MNIST is not on this machine")
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line
    assert "data: Fashion-MNIST is not on this machine" in report.facts


def test_no_data_on_colab_is_no_problem_the_first_notebook_downloads_it(healthy, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR")
    on(monkeypatch, healthy, "colab")
    report = diagnose()
    assert report.ok, report.text()
    assert any(fact.startswith("data: not downloaded yet") for fact in report.facts)


def test_a_data_folder_named_without_the_files(healthy, monkeypatch):
    empty = healthy / "empty"
    empty.mkdir()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(empty))
    problem, fix = the_problem(diagnose(), "FASHION_MNIST_DIR names")
    assert str(empty) in problem
    assert fix == "  Fix: point FASHION_MNIST_DIR at the folder that holds them, or unset it."


# --- a CUDA request ----------------------------------------------------------------------------------

@pytest.mark.parametrize("device, visible, asked", [
    (None, None, None),
    (None, "", None), (None, "-1", None), (None, "NoDevFiles", None),  # these hide every GPU
    (None, "0", "CUDA_VISIBLE_DEVICES=0"), (None, "GPU-5e1c3b7a", "CUDA_VISIBLE_DEVICES=GPU-5e1c3b7a"),
    ("cpu", "0", "CUDA_VISIBLE_DEVICES=0"), ("mps", None, None),
    ("cuda", None, "--device cuda"), ("cuda:1", "-1", "--device cuda:1"),
])
def test_what_a_cuda_request_is(monkeypatch, device, visible, asked):
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert cuda_request(device) == asked


@pytest.mark.parametrize("platform, nvidia, fix", [
    ("linux", False, "no NVIDIA GPU is visible on this machine: unset CUDA_VISIBLE_DEVICES"),
    ("linux", True, "this machine has an NVIDIA GPU: in the collection's folder run `make lab` without "
                    "TORCH=cpu"),
    ("wsl", False, "no NVIDIA GPU is visible in WSL (NVIDIA's Windows driver brings one in): unset"),
    ("wsl", True, "run `make lab` without TORCH=cpu"),
    ("windows", True, "install PyTorch's CUDA build with the pip command pytorch.org gives"),
    ("macos", False, "a Mac has no CUDA: unset CUDA_VISIBLE_DEVICES"),
    ("colab", False, "Colab's own PyTorch has CUDA: Runtime › Disconnect and delete runtime, choose a GPU"),
    ("hub", False, "this hub installs PyTorch's CPU-only build: unset CUDA_VISIBLE_DEVICES"),
])
def test_cuda_visible_devices_on_a_cpu_only_build(healthy, cpu_only, monkeypatch, platform, nvidia, fix):
    on(monkeypatch, healthy, platform)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setattr(doc, "_nvidia_gpu_present", lambda: nvidia)
    report = diagnose()
    problem, fix_line = the_problem(report, "CUDA_VISIBLE_DEVICES=0 asks for a CUDA GPU")
    assert problem.endswith("but this PyTorch is a CPU-only build."), problem
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line
    assert "device: cpu (what try_gpu() picks), because this PyTorch is a CPU-only build" in report.facts


def test_device_cuda_on_a_cpu_only_build(healthy, cpu_only, monkeypatch):
    monkeypatch.setattr(doc, "_nvidia_gpu_present", lambda: False)
    problem, fix = the_problem(diagnose("cuda"), "--device cuda asks for a CUDA GPU")
    assert fix == ("  Fix: no NVIDIA GPU is visible on this machine: use --device auto, which picks the "
                   "device there is.")


def test_a_cpu_only_build_asked_for_no_gpu_is_all_good(healthy, cpu_only, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert diagnose().ok and diagnose("cpu").ok


@pytest.mark.parametrize("platform, nvidia, fix", [
    ("linux", True, "the NVIDIA driver does not answer: run `nvidia-smi`"),
    ("wsl", True, "install or update NVIDIA's Windows driver (it serves WSL"),
    ("colab", False, "Runtime › Change runtime type › a GPU (T4)"),
    ("hub", False, "this server has no GPU: use --device auto"),
])
def test_device_cuda_on_a_cuda_build_that_sees_no_gpu(healthy, cuda_build_without_gpu, monkeypatch,
                                                       platform, nvidia, fix):
    on(monkeypatch, healthy, platform)
    monkeypatch.setattr(doc, "_nvidia_gpu_present", lambda: nvidia)
    report = diagnose("cuda")
    problem, fix_line = the_problem(report, "--device cuda asks for a CUDA GPU, but this PyTorch (CUDA 12.8 "
                                            "build) sees none.")
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line
    assert "device: cpu (what try_gpu() picks), because this PyTorch has CUDA 12.8 but sees no GPU" \
        in report.facts


def test_device_cuda_while_cuda_visible_devices_hides_every_gpu(healthy, cuda_build_without_gpu, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    report = diagnose("cuda")
    _, fix = the_problem(report, "--device cuda asks for a CUDA GPU")
    assert fix == "  Fix: unset CUDA_VISIBLE_DEVICES (it is '-1', which hides every GPU)."
    assert any("because CUDA_VISIBLE_DEVICES='-1' hides every GPU" in fact for fact in report.facts)


def test_a_gpu_number_beyond_those_there_are(healthy, monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    report = diagnose("cuda:1")
    _, fix = the_problem(report, "--device cuda:1 asks for GPU number 1, but PyTorch sees 1")
    assert fix == "  Fix: use --device cuda:0, or --device auto."
    assert "device: cuda:0 (what try_gpu() picks), because PyTorch sees 1 CUDA GPU" in report.facts
    assert diagnose("cuda:0").ok and diagnose("cuda").ok


# --- memory ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("platform, total, fix", [
    ("linux", 16e9, "close other programs and the notebooks you are done with"),
    ("linux", 1e9, "this machine has 1.0 GB in all: use Colab or Binder"),
    ("macos", 16e9, "close other programs and the notebooks you are done with"),
    ("wsl", 2e9, "WSL has 2.0 GB: raise it in %UserProfile%\\.wslconfig"),
    ("wsl", 16e9, "close other programs (in Windows too)"),
    ("colab", 13e9, "Runtime › Manage sessions: end your other sessions"),
    ("hub", 16e9, "shut down the notebooks you are done with (the Running Terminals and Kernels panel"),
    ("hub", 1e9, "your server's limit is 1.0 GB: ask the hub's administrators for at least 1.6 GB "
                 "(c.Spawner.mem_limit)"),
])
def test_too_little_memory(healthy, cuda_build_without_gpu, monkeypatch, platform, total, fix):
    on(monkeypatch, healthy, platform)
    monkeypatch.setattr(doc, "_memory", lambda: (600_000_000, int(total)))
    problem, fix_line = the_problem(diagnose(), "0.6 GB of memory is free for a notebook's kernel")
    assert problem.endswith("the notebooks need up to 1.6 GB."), problem  # notebook 08, CUDA build
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line


def test_the_memory_needed_is_notebook_08s_measured_peak_for_the_build(healthy, cpu_only, monkeypatch):
    monkeypatch.setattr(doc, "_memory", lambda: (1_200_000_000, 4_000_000_000))
    problem, _ = the_problem(diagnose(), "1.2 GB of memory is free")
    assert problem.endswith("need up to 1.3 GB."), problem  # 715 MB kernel + 540 MB compiler, CPU wheel
    monkeypatch.setattr(doc, "_memory", lambda: (1_300_000_000, 4_000_000_000))
    assert diagnose().ok


def test_unmeasured_memory_is_said_and_no_problem(healthy, monkeypatch):
    monkeypatch.setattr(doc, "_memory", lambda: (None, None))
    report = diagnose()
    assert report.ok and "memory: not measured here (no /proc/meminfo and no psutil)" in report.facts


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="reads Linux's /proc")
def test_memory_is_read_and_a_cgroup_limit_caps_it(monkeypatch, tmp_path):
    free, total = doc._memory()
    assert 0 < free and 0 < total
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "memory.max").write_text("1000000000\n")
    (tmp_path / "kernel" / "memory.current").write_text("600000000\n")
    (tmp_path / "cgroup").write_text("0::/kernel\n")
    monkeypatch.setattr(doc, "CGROUP", tmp_path)
    monkeypatch.setattr(doc, "PROC_CGROUP", tmp_path / "cgroup")
    rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    free, total = doc._memory()
    assert total == 1_000_000_000
    assert 400_000_000 <= free <= 400_000_000 + 2 * rss  # the limit's rest, and what this process holds


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux's CPU affinity")
@pytest.mark.parametrize("cpu_max, v1, cores", [
    ("max 100000\n", None, None), ("50000 100000\n", None, 1), ("100000 100000\n", None, 1),
    (None, ("150000", "100000"), 2), (None, ("-1", "100000"), None),
])
def test_a_cgroup_cpu_quota_caps_the_cores(monkeypatch, tmp_path, cpu_max, v1, cores):
    affinity = len(os.sched_getaffinity(0))
    if cpu_max:
        (tmp_path / "cpu.max").write_text(cpu_max)
        (tmp_path / "cgroup").write_text("0::/\n")
    else:
        (tmp_path / "cpu").mkdir()
        (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(v1[0] + "\n")
        (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(v1[1] + "\n")
        (tmp_path / "cgroup").write_text("4:cpu,cpuacct:/\n")
    monkeypatch.setattr(doc, "CGROUP", tmp_path)
    monkeypatch.setattr(doc, "PROC_CGROUP", tmp_path / "cgroup")
    assert doc._cores() == (affinity if cores is None else min(cores, affinity))


# --- threads -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("platform, fix", [
    ("linux", "start JupyterLab with `OMP_NUM_THREADS=2 make lab`."),
    ("colab", "run `torch.set_num_threads(2)` after the set-up cell."),
    ("hub", "ask the hub's administrators for c.Spawner.environment = {\"OMP_NUM_THREADS\": \"2\"}"),
])
def test_more_threads_than_cores(healthy, monkeypatch, platform, fix):
    on(monkeypatch, healthy, platform)
    monkeypatch.setattr(doc, "_cores", lambda: 2)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 16)
    _, fix_line = the_problem(diagnose(), "PyTorch runs 16 threads on 2 cores")
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line


# --- widgets -----------------------------------------------------------------------------------------

def without(monkeypatch, *packages, **versions):
    """Package metadata as if ``packages`` were not installed (and ``versions`` were installed)."""
    real = doc._version
    monkeypatch.setattr(doc, "_version",
                        lambda name: None if name in packages else versions.get(name) or real(name))


INSTALL_WIDGETS = ('run `%pip install "ipywidgets>=8.1"` in a notebook, '
                   "then Kernel › Restart Kernel and reload")
NO_FRONTEND = "JupyterLab's widget frontend (jupyterlab_widgets) is missing"


@pytest.mark.parametrize("package, platform, problem, fix", [
    ("ipywidgets", "linux", "ipywidgets is not installed: the explorers show one still", INSTALL_WIDGETS),
    ("ipywidgets", "hub", "ipywidgets is not installed: the explorers show one still", INSTALL_WIDGETS),
    ("ipywidgets", "colab", "ipywidgets is not installed: the explorers show one still",
     'run `%pip install "ipywidgets>=8.1"`, then Runtime › Restart session.'),
    ("jupyterlab_widgets", "linux", NO_FRONTEND,
     "run `%pip install jupyterlab_widgets` in a notebook, then reload the page."),
    ("jupyterlab_widgets", "hub", NO_FRONTEND,
     "run `%pip install jupyterlab_widgets` in a notebook and reload the page; if the explorers still "
     "show as text, ask the hub's administrators"),
])
def test_a_widget_package_missing(healthy, monkeypatch, package, platform, problem, fix):
    on(monkeypatch, healthy, platform)
    without(monkeypatch, package)
    _, fix_line = the_problem(diagnose(), problem)
    assert fix_line.startswith(f"  Fix: {fix}"), fix_line


def test_widgets_too_old(healthy, monkeypatch):
    without(monkeypatch, ipywidgets="7.7.1")
    the_problem(diagnose(), "ipywidgets 7.7.1 is older than 8.1")


def test_colabs_custom_widget_manager_off(healthy, monkeypatch):
    on(monkeypatch, healthy, "colab")
    without(monkeypatch, "jupyterlab_widgets")  # Colab draws widgets itself: not needed there
    assert diagnose().ok
    monkeypatch.setattr(sys.modules["google.colab.output._widgets"], "_installed_url", None)
    _, fix = the_problem(diagnose(), "Colab's custom widget manager is off")
    enable = "from google.colab import output; output.enable_custom_widget_manager()"
    assert fix.startswith(f"  Fix: run `{enable}`")


def test_static_widgets_asked_for_are_no_problem(healthy, monkeypatch):
    monkeypatch.setenv("D2L_STATIC_WIDGETS", "1")
    without(monkeypatch, "jupyterlab_widgets")
    report = diagnose()
    assert report.ok and "widgets: still figures, as D2L_STATIC_WIDGETS asks" in report.facts


# --- several problems, and the command ------------------------------------------------------------

def test_several_problems_are_each_printed_with_its_fix(healthy, cpu_only, monkeypatch, capsys):
    monkeypatch.delenv("FASHION_MNIST_DIR")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    without(monkeypatch, "ipywidgets")
    doctor()
    out = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("Problem: ") for line in out) == 3
    assert out[-1] == "Set-up checked: 3 problems, each with its fix above."


def test_the_command_exits_0_when_all_is_well_and_1_on_a_problem(healthy, cpu_only, capsys):
    assert main(["doctor"]) == 0
    assert capsys.readouterr().out == ALL_GOOD + "\n"
    assert main(["doctor", "--device", "cuda"]) == 1
    assert "Problem: --device cuda asks for a CUDA GPU" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_device(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["doctor", "--device", "gpu"])
    assert exit_.value.code == 2
    assert "unknown device 'gpu' (choose cpu, cuda, cuda:N or mps)" in capsys.readouterr().err


def run_doctor(*args, **env):
    unset = ("CUDA_VISIBLE_DEVICES", "JUPYTERHUB_USER", "COLAB_RELEASE_TAG", "D2L_STATIC_WIDGETS")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run([sys.executable, "-m", "d2l_utils", "doctor", *args], capture_output=True,
                          text=True, timeout=120, env={**clean, "OMP_NUM_THREADS": "1", **env})


@pytest.mark.slow  # subprocesses (seconds to import torch each)
def test_the_command_as_a_learner_runs_it(isolated, fake_dir):
    """This machine is taken as healthy with the data given (the notebooks' stored set-up output, the same
    line, assumes as much); then one fault, and a CUDA request that no machine can meet."""
    ok = run_doctor(FASHION_MNIST_DIR=str(fake_dir))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, ALL_GOOD + "\n", "")
    no_data = run_doctor(FASHION_MNIST_DIR=str(isolated / "nowhere"))
    assert no_data.returncode == 1, no_data.stdout
    assert f"Problem: FASHION_MNIST_DIR names {isolated / 'nowhere'}" in no_data.stdout
    hidden = run_doctor("--device", "cuda", FASHION_MNIST_DIR=str(fake_dir), CUDA_VISIBLE_DEVICES="-1")
    assert hidden.returncode == 1, hidden.stdout
    assert "Problem: --device cuda asks for a CUDA GPU" in hidden.stdout
