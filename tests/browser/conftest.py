"""Fixtures for the browser tests: a private JupyterLab server and Debian's chromium through Playwright.

The server runs from this repository's .venv on a free loopback port with a random token, serves
``notebooks/`` (or ``$BROWSER_NOTEBOOKS_DIR``), reads no user configuration, fetches no news or
updates, and refuses every save: the notebooks on disk are never written by these tests (autosave
is off too). It is always stopped, kernels included, however the tests end.

Environment: ``CHROMIUM`` (default /usr/bin/chromium), ``BROWSER_NOTEBOOKS_DIR`` (default
notebooks/), ``BROWSER_NOTEBOOK_TIMEOUT`` (seconds per notebook, default 1200).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser_env import CHROMIUM, NOTEBOOKS, ROOT

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
    # Nothing but the loopback server resolves: a page that reaches out fails instead of leaking.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# User settings of this JupyterLab only (a fresh folder each session).
LAB_SETTINGS = {
    # Never write the notebooks (the server refuses saves as well, see SERVER_CONFIG).
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell in the DOM, so outputs, prompts and widgets can be inspected anywhere.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No news, no update check, no toasts over the notebook.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

SERVER_CONFIG = '''
from tornado import web


def refuse_save(model, path, contents_manager, **kwargs):
    raise web.HTTPError(403, f"the browser tests never write notebooks (refused to save {path})")


c.ContentsManager.pre_save_hook = refuse_save
'''


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, url: str, token: str, root: Path, log: Path):
        self.url, self.token, self.root, self.log = url, token, root, log

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def lab_url(self, name: str) -> str:
        # `reset`: a blank workspace, so notebooks opened by earlier tests are not reopened.
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        """End every session (and its kernel) so each notebook starts fresh and memory is freed."""
        for session in self.api("GET", "/api/sessions"):
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}")
            except urllib.error.HTTPError:
                pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server then shuts its kernels down), SIGKILL to its process group if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:  # kernels or anything else the server started and left behind (its own process group)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    jupyter = Path(sys.prefix) / "bin" / "jupyter-lab"
    if not jupyter.exists():
        jupyter = ROOT / ".venv" / "bin" / "jupyter-lab"
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    (home / "config").mkdir()
    (home / "config" / "jupyter_server_config.py").write_text(SERVER_CONFIG)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "MPLBACKEND"))}
    env.update({
        "JUPYTER_CONFIG_DIR": str(home / "config"),  # no user configuration
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),  # no user IPython profile in the kernels
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    port, token = _free_port(), secrets.token_urlsafe(24)
    log = home / "server.log"
    cmd = [
        str(jupyter), "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run commands, read models
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    if os.geteuid() == 0:  # containers and CI
        cmd.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=NOTEBOOKS, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, NOTEBOOKS, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer /api/status in 120 s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():  # the root conftest.py skips these tests before they get here
        pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped (`make chromium`, or CHROMIUM=path)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def lab_page(browser, lab_server):
    """A fresh browser context and page; records any request that is not to the local server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.outside_requests = []

    def record(request):
        url = request.url
        if url.startswith(("http://", "https://", "ws://", "wss://")) and not url.startswith(
                (lab_server.url, lab_server.url.replace("http", "ws", 1))):
            page.outside_requests.append(url)

    page.on("request", record)
    try:
        yield page
    finally:
        context.close()
        lab_server.shutdown_kernels()
