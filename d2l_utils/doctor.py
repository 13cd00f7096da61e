"""The set-up's doctor: what is wrong with this machine for the notebooks, and the one fix on its platform.

``python -m d2l_utils doctor`` and the line ``doctor()`` in every notebook's set-up cell look at Python
and PyTorch (version and build: CPU-only, CUDA, ROCm, MPS), the device :func:`~d2l_utils.try_gpu` picks
and why, PyTorch's threads against the cores this process may use, the memory free for a notebook's
kernel against what the notebooks were measured to need, where Fashion-MNIST was found, and whether the
explorers' widgets will render. When all is well they print one line, :data:`ALL_GOOD`, the same on every
machine (so a notebook's stored output compares equal anywhere); otherwise the facts, each problem and
its fix for the platform the doctor detects (:func:`detect_platform`: Linux, macOS, Windows, WSL, Colab
or a JupyterHub). The command exits with status 1 when it found a problem.

A *CUDA request* is a device asked for by name -- ``--device cuda`` (or ``cuda:N``), ``doctor(device=
"cuda")`` -- or ``CUDA_VISIBLE_DEVICES`` naming a GPU (Slurm and GPU servers set it; the values that hide
every GPU, ``""``, ``-1`` and Slurm's ``NoDevFiles``, ask for none). It is a problem when this PyTorch
cannot give that device: a CPU-only build, no GPU visible, or fewer GPUs than the index asks for.

The doctor reads files, environment variables and package metadata only: it imports no widget library,
starts no CUDA context, moves no random stream and changes no setting.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os
import platform as _platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .data import DataError, find_data_dir
from .training import try_gpu

__all__ = ["ALL_GOOD", "PLATFORMS", "Problem", "Report", "cuda_request", "detect_platform", "diagnose",
           "doctor"]

ALL_GOOD = "Set-up checked: all good (PyTorch, device, threads, memory, data and widgets)."

PLATFORMS = {"linux": "Linux", "macos": "macOS", "wsl": "Windows (WSL)", "windows": "Windows",
             "colab": "Colab", "hub": "a JupyterHub"}

# The notebooks' largest kernel, notebook 08 (peak RSS measured by `make memory`, benchmarks/README.md,
# 2026-11-29), plus the C++ compiler its torch.compile section starts beside it (largest reading 0.54 GB).
KERNEL_PEAK_MB = {"cuda": 1085, "cpu": 715}  # PyTorch's CUDA build; the CPU-only wheel
COMPILER_MB = 540

PROC_VERSION = Path("/proc/version")  # "... Microsoft ..." under WSL
CGROUP = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
HIDE_ALL_GPUS = ("", "-1", "NoDevFiles")
MIN_IPYWIDGETS = (8, 1)  # pyproject.toml's dependency (Colab has ipywidgets 7)


@dataclass(frozen=True)
class Problem:
    """One thing that will go wrong in the notebooks (``what``) and the one ``fix`` on this platform."""

    what: str
    fix: str


@dataclass
class Report:
    """What :func:`diagnose` found: the ``platform`` key, the ``facts`` (one line each) and the problems."""

    platform: str
    facts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, verbose: bool = False) -> str:
        """:data:`ALL_GOOD` alone when all is well (unless ``verbose``); else the facts and each problem."""
        if self.ok and not verbose:
            return ALL_GOOD
        lines = [f"Set-up on {PLATFORMS[self.platform]}:"] + [f"  {fact}" for fact in self.facts]
        for problem in self.problems:
            lines += [f"Problem: {problem.what}", f"  Fix: {problem.fix}"]
        count = len(self.problems)
        lines.append(ALL_GOOD if self.ok else
                     f"Set-up checked: {count} problem{'s' * (count > 1)}, each with its fix above.")
        return "\n".join(lines)


def detect_platform() -> str:
    """``"colab"``, ``"hub"`` (JupyterHub), ``"wsl"``, ``"macos"``, ``"windows"`` or ``"linux"``, first
    match wins (Colab and hubs run Linux; WSL is Linux whose kernel says Microsoft)."""
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return "colab"
    if os.environ.get("JUPYTERHUB_USER"):
        return "hub"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    try:
        if "microsoft" in PROC_VERSION.read_text(encoding="utf-8", errors="replace").lower():
            return "wsl"
    except OSError:
        pass
    return "linux"


def _fix(fixes: dict[str, str], platform: str) -> str:
    """The fix for ``platform``: its own entry, else Linux's (which suits the others there)."""
    return fixes.get(platform, fixes["linux"])


# --- Python and PyTorch ------------------------------------------------------------------------------

def _build() -> str:
    if torch.version.cuda:
        return f"CUDA {torch.version.cuda} build"
    if getattr(torch.version, "hip", None):
        return f"ROCm {torch.version.hip} build"
    if torch.backends.mps.is_built():
        return "build with MPS (Apple's GPU)"
    return "CPU-only build"


def _gpu_build() -> bool:
    return bool(torch.version.cuda or getattr(torch.version, "hip", None))


def _check_versions(report: Report) -> None:
    """Facts only: pip installs d2l_utils with the PyTorch and ipywidgets versions it needs."""
    report.facts.append(f"Python {_platform.python_version()}, PyTorch {torch.__version__} ({_build()})")


# --- the device --------------------------------------------------------------------------------------

def cuda_request(device: str | torch.device | None = None) -> str | None:
    """Where a CUDA device is asked for, in words (``"--device cuda:1"``, ``"CUDA_VISIBLE_DEVICES=0"``),
    or None: ``device`` when it names CUDA, else ``CUDA_VISIBLE_DEVICES`` when it names a GPU."""
    if device is not None and torch.device(device).type == "cuda":
        return f"--device {device}"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() not in HIDE_ALL_GPUS:
        return f"CUDA_VISIBLE_DEVICES={visible}"
    return None


def _nvidia_gpu_present() -> bool:
    """Whether an NVIDIA driver shows a GPU to this system (Linux; WSL's passthrough), without CUDA."""
    return any(Path(p).exists() for p in ("/proc/driver/nvidia/gpus", "/dev/nvidia0",
                                          "/usr/lib/wsl/lib/nvidia-smi"))


def _why_device(chosen: torch.device) -> str:
    if chosen.type == "cuda":
        count = torch.cuda.device_count()
        return f"PyTorch sees {count} CUDA GPU{'s' * (count > 1)}"
    if chosen.type == "mps":
        return "there is no CUDA GPU and Apple's GPU (MPS) is available"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if _gpu_build() and visible is not None and visible.strip() in HIDE_ALL_GPUS:
        return f"CUDA_VISIBLE_DEVICES={visible!r} hides every GPU"
    if _gpu_build():
        return f"this PyTorch has {_build().removesuffix(' build')} but sees no GPU"
    if torch.backends.mps.is_built():
        return "MPS (Apple's GPU) is not available on this Mac"
    return "this PyTorch is a CPU-only build"


def _check_device(report: Report, device: str | torch.device | None) -> None:
    chosen = try_gpu()
    report.facts.append(f"device: {chosen} (what try_gpu() picks), because {_why_device(chosen)}")
    platform, asked = report.platform, cuda_request(device)
    if device is not None and torch.device(device).type == "mps" and not torch.backends.mps.is_available():
        report.problems.append(Problem(
            f"--device {device} asks for Apple's GPU, which this PyTorch cannot use here.",
            "use --device auto: the notebooks' try_gpu() picks the best device there is."))
    if asked is None:
        return
    by_name = asked.startswith("--")
    drop = ("use --device auto, which picks the device there is" if by_name
            else "unset CUDA_VISIBLE_DEVICES (the notebooks run on the CPU as they are)")
    index = torch.device(device).index if by_name else None
    count = torch.cuda.device_count() if _gpu_build() else 0
    if not _gpu_build():
        what = f"{asked} asks for a CUDA GPU, but this PyTorch is a CPU-only build."
        nvidia = _nvidia_gpu_present()
        fixes = {
            "linux": ("this machine has an NVIDIA GPU: in the collection's folder run `make lab` without "
                      "TORCH=cpu, which makes .venv/ anew with PyTorch's CUDA build." if nvidia else
                      f"no NVIDIA GPU is visible on this machine: {drop}."),
            "wsl": ("run `make lab` without TORCH=cpu in the collection's folder: it installs PyTorch's CUDA "
                    "build, which reaches the GPU through the Windows driver." if nvidia else
                    f"no NVIDIA GPU is visible in WSL (NVIDIA's Windows driver brings one in): {drop}."),
            "windows": ("install PyTorch's CUDA build with the pip command pytorch.org gives for Windows "
                        "and CUDA, then Kernel › Restart Kernel." if nvidia else
                        f"no NVIDIA GPU is visible on this machine: {drop}."),
            "macos": f"a Mac has no CUDA: {drop} (try_gpu() picks Apple's GPU, mps, where there is one).",
            "colab": "Colab's own PyTorch has CUDA: Runtime › Disconnect and delete runtime, choose a GPU "
                     "in Runtime › Change runtime type, and run the notebook again from the top.",
            "hub": f"this hub installs PyTorch's CPU-only build: {drop}.",
        }
    elif count == 0:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        what = f"{asked} asks for a CUDA GPU, but this PyTorch ({_build()}) sees none."
        if visible is not None and visible.strip() in HIDE_ALL_GPUS:
            fixes = {"linux": f"unset CUDA_VISIBLE_DEVICES (it is {visible!r}, which hides every GPU)."}
        else:
            fixes = {
                "linux": ("the NVIDIA driver does not answer: run `nvidia-smi`, and install or update the "
                          f"driver until it lists the GPU with CUDA {torch.version.cuda} or newer."
                          if _nvidia_gpu_present() else f"no NVIDIA GPU is visible on this machine: {drop}."),
                "wsl": "install or update NVIDIA's Windows driver (it serves WSL; install no Linux driver "
                       "inside WSL), then `wsl --shutdown` in Windows; `nvidia-smi` in WSL must list the "
                       "GPU.",
                "windows": "install or update NVIDIA's driver until `nvidia-smi` lists the GPU.",
                "macos": f"a Mac has no CUDA: {drop} (try_gpu() picks Apple's GPU, mps, where there is one).",
                "colab": "Runtime › Change runtime type › a GPU (T4), then run the notebook again from the "
                         "top.",
                "hub": f"this server has no GPU: {drop}.",
            }
    elif index is not None and index >= count:
        what = f"{asked} asks for GPU number {index}, but PyTorch sees {count} (numbered from 0)."
        fixes = {"linux": "use --device cuda:0, or --device auto."}
    else:
        return
    report.problems.append(Problem(what, _fix(fixes, platform)))


# --- threads -----------------------------------------------------------------------------------------

def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_dirs(controller: str) -> list[Path]:
    """This process's cgroup folders for ``controller`` (``"cpu"`` or ``"memory"``), its own first, then
    each one above it, where a container, a hub's spawner or a systemd unit may set a limit: cgroup v2's
    one hierarchy (``0::/path``) and v1's per-controller ones (``N:cpu,cpuacct:/path``)."""
    try:
        lines = PROC_CGROUP.read_text().splitlines()
    except OSError:
        lines = []
    folders = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers and controller not in controllers.split(","):
            continue
        root = CGROUP / controller if controllers else CGROUP
        own = root / path.strip().lstrip("/")
        folders += [own, *(d for d in own.parents if d.is_relative_to(root))]
    return folders or [CGROUP, CGROUP / controller]


def _cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota (containers, hubs)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quotas = []
    for folder in _cgroup_dirs("cpu"):
        try:  # cgroup v2: "max 100000" (no quota) or "200000 100000" (two cores)
            limit, period = (folder / "cpu.max").read_text().split()[:2]
            quotas += [int(limit) / int(period)] if limit != "max" else []
        except (OSError, ValueError):
            limit, period = (_read_int(folder / name) for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us"))
            quotas += [limit / period] if limit and period else []  # v1; its -1 (no quota) is no number
    return min(cores, max(1, math.ceil(min(quotas)))) if quotas else cores


def _check_threads(report: Report) -> None:
    threads, cores = torch.get_num_threads(), _cores()
    omp = os.environ.get("OMP_NUM_THREADS")
    report.facts.append(f"threads: PyTorch uses {threads}, this process may use {cores} core"
                        f"{'s' * (cores > 1)}" + (f" (OMP_NUM_THREADS={omp})" if omp else ""))
    if threads <= cores:
        return
    report.problems.append(Problem(
        f"PyTorch runs {threads} threads on {cores} core{'s' * (cores > 1)}: they wait for each other and "
        "training takes several times longer.",
        _fix({"linux": f"start JupyterLab with `OMP_NUM_THREADS={cores} make lab`.",
              "windows": f"set OMP_NUM_THREADS={cores} before starting Jupyter.",
              "colab": f"run `torch.set_num_threads({cores})` after the set-up cell.",
              "hub": "ask the hub's administrators for c.Spawner.environment = "
                     f'{{"OMP_NUM_THREADS": "{cores}"}}; until then run `torch.set_num_threads({cores})` '
                     "after the set-up cell."}, report.platform)))


# --- memory ------------------------------------------------------------------------------------------

def _memory() -> tuple[int | None, int | None]:
    """``(free, ceiling)`` in bytes: the memory a notebook's kernel could reach from here (what is
    available plus what this process holds already) and the most there is at all (the machine's memory or
    this process's cgroup limit, the smaller); None where it cannot be read."""
    free = total = rss = None
    try:
        meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        free, total = (int(meminfo[key].split()[0]) * 1024 for key in ("MemAvailable", "MemTotal"))
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, KeyError, ValueError, IndexError):
        try:
            import psutil  # ipykernel's dependency: present wherever a notebook runs (macOS, Windows)
            memory = psutil.virtual_memory()
            free, total, rss = memory.available, memory.total, psutil.Process().memory_info().rss
        except Exception:  # no psutil, or it cannot read this system: the check is skipped
            return None, None
    limits = [(_read_int(d / limit), _read_int(d / usage)) for d in _cgroup_dirs("memory")
              for limit, usage in (("memory.max", "memory.current"),  # cgroup v2, then v1
                                   ("memory.limit_in_bytes", "memory.usage_in_bytes"))]
    for limit, usage in limits:  # "max" (no limit) does not read as a number; v1's "none" is a huge one
        if limit is not None and usage is not None and (total is None or limit < total * 2):
            free = min(free if free is not None else limit, max(0, limit - usage))
            total = min(total if total is not None else limit, limit)
    return (free + (rss or 0) if free is not None else None), total


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.1f} GB"


def _check_memory(report: Report) -> None:
    need = (KERNEL_PEAK_MB["cuda" if _gpu_build() else "cpu"] + COMPILER_MB) * 1_000_000
    free, total = _memory()
    if free is None:
        report.facts.append("memory: not measured here (no /proc/meminfo and no psutil)")
        return
    report.facts.append(f"memory: {_gb(free)} free for a notebook's kernel; the notebooks need up to "
                        f"{_gb(need)} (notebook 08, {'CUDA' if _gpu_build() else 'CPU-only'} build)")
    if free >= need:
        return
    small = total is not None and total < need
    fixes = {
        "linux": (f"this machine has {_gb(total)} in all: use Colab or Binder (the README's links) instead."
                  if small else "close other programs and the notebooks you are done with (File › Close "
                  "and Shut Down Notebook), then run this cell again."),
        "wsl": (f"WSL has {_gb(total)}: raise it in %UserProfile%\\.wslconfig (a [wsl2] section with "
                "memory=4GB), run `wsl --shutdown` in Windows and start again." if total and total < 4e9
                else "close other programs (in Windows too) and the notebooks you are done with (File › "
                "Close and Shut Down Notebook), then run this cell again."),
        "colab": "Runtime › Manage sessions: end your other sessions, or Runtime › Disconnect and delete "
                 "runtime, then run the notebook again.",
        "hub": (f"your server's limit is {_gb(total)}: ask the hub's administrators for at least "
                f"{_gb(need)} (c.Spawner.mem_limit)." if small else
                "shut down the notebooks you are done with (the Running Terminals and Kernels panel on the "
                "left), then run this cell again."),
    }
    report.problems.append(Problem(
        f"{_gb(free)} of memory is free for a notebook's kernel; the notebooks need up to {_gb(need)}.",
        _fix(fixes, report.platform)))


# --- data --------------------------------------------------------------------------------------------

def _check_data(report: Report) -> None:
    try:
        folder = find_data_dir(download=False)
    except DataError:
        named = os.environ.get("FASHION_MNIST_DIR")
        if named:
            report.facts.append(f"data: not in {named} (FASHION_MNIST_DIR)")
            report.problems.append(Problem(
                f"FASHION_MNIST_DIR names {named}, which lacks the four Fashion-MNIST files.",
                "point FASHION_MNIST_DIR at the folder that holds them, or unset it."))
        elif report.platform == "colab":  # the network is always there: the first notebook downloads it
            report.facts.append("data: not downloaded yet; the first notebook that loads it downloads it")
        else:
            report.facts.append("data: Fashion-MNIST is not on this machine")
            report.problems.append(Problem(
                "Fashion-MNIST is not on this machine (the notebooks would download it mid-lesson).",
                _fix({"linux": "in the collection's folder run `make data` (Debian's package where apt-get "
                               "exists, else a download of about 30 MB).",
                      "windows": "run `python -m d2l_utils data` (a download of about 30 MB).",
                      "hub": "open a terminal (File › New › Terminal) and run `python -m d2l_utils data` "
                             "(a download of about 30 MB)."}, report.platform)))
        return
    report.facts.append(f"data: Fashion-MNIST in {folder}")


# --- widgets -----------------------------------------------------------------------------------------

def _version(package: str) -> str | None:
    """An installed package's version, from its metadata (nothing is imported), or None."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _colab_widget_manager() -> bool | None:
    """On Colab: whether its custom widget manager (needed by ipywidgets 8) is on; None if unknown."""
    try:
        module = sys.modules.get("google.colab.output._widgets") or \
            importlib.import_module("google.colab.output._widgets")
    except ImportError:
        return None
    url = getattr(module, "_installed_url", ...)
    return None if url is ... else bool(url)


def _check_widgets(report: Report) -> None:
    platform, ipywidgets = report.platform, _version("ipywidgets")
    pip = '`%pip install "ipywidgets>=8.1"`'
    install = _fix({"linux": f"run {pip} in a notebook, then Kernel › Restart Kernel and reload the page.",
                    "colab": f"run {pip}, then Runtime › Restart session."}, platform)
    numbers = tuple(int(n) for n in re.findall(r"\d+", ipywidgets or "")[:2])
    if ipywidgets is None or numbers < MIN_IPYWIDGETS:
        found = "is not installed" if ipywidgets is None else f"{ipywidgets} is older than 8.1"
        report.facts.append(f"widgets: ipywidgets {found}")
        report.problems.append(Problem(
            f"ipywidgets {found}: the explorers show one still figure instead of their controls.", install))
        return
    if os.environ.get("D2L_STATIC_WIDGETS", "") not in ("", "0"):
        report.facts.append("widgets: still figures, as D2L_STATIC_WIDGETS asks")
        return
    if platform == "colab":
        manager = _colab_widget_manager()
        report.facts.append(f"widgets: ipywidgets {ipywidgets}, Colab's custom widget manager "
                            + {True: "on", False: "off", None: "not checked"}[manager])
        if manager is False:
            report.problems.append(Problem(
                "Colab's custom widget manager is off: the explorers' controls will not show.",
                "run `from google.colab import output; output.enable_custom_widget_manager()`, then the "
                "explorer's cell again."))
        return
    frontend = _version("jupyterlab_widgets")
    report.facts.append(f"widgets: ipywidgets {ipywidgets}, JupyterLab's frontend "
                        + (f"jupyterlab_widgets {frontend}" if frontend else "missing"))
    if frontend is None:
        report.problems.append(Problem(
            "JupyterLab's widget frontend (jupyterlab_widgets) is missing: the explorers show as text.",
            _fix({"linux": "run `%pip install jupyterlab_widgets` in a notebook, then reload the page.",
                  "hub": "run `%pip install jupyterlab_widgets` in a notebook and reload the page; if the "
                         "explorers still show as text, ask the hub's administrators to install it beside "
                         "the hub's JupyterLab."}, platform)))


# --- the report --------------------------------------------------------------------------------------

def diagnose(device: str | torch.device | None = None) -> Report:
    """Every check, in the order the report prints them; ``device`` is a device asked for by name
    (the CLI's ``--device``), None for the notebooks' choice."""
    report = Report(detect_platform())
    _check_versions(report)
    _check_device(report, device)
    _check_threads(report)
    _check_memory(report)
    _check_data(report)
    _check_widgets(report)
    return report


def doctor(device: str | torch.device | None = None, verbose: bool = False) -> None:
    """Print :data:`ALL_GOOD` when all is well, else the facts, each problem and its fix
    (``verbose``: the facts always); the set-up cell calls it. Used in every notebook."""
    print(diagnose(device).text(verbose))
