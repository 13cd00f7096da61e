"""The class's links (`make links HUB=...`, site/links.py): both parse, name the branch `student` and a
notebook of the student copy; and nbgitpuller itself, its Jupyter server extension started here on
127.0.0.1, pulls the student branch from a local clone through the printed link's path and query, after
which the notebook the link names opens. Nothing here touches the network: the link's repository is
replaced by the local clone, everything else of the link is kept."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

import links  # noqa: E402
import student  # noqa: E402

HUB = "https://hub.example.edu"


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("links") / "student"
    student.build(out)
    return out


def printed(capsys, *args: str) -> tuple[str, str]:
    """The two links ``make links`` prints (the lines that start with https://)."""
    assert links.main(["--hub", HUB, *args]) == 0
    found = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("https://")]
    assert len(found) == 2, found
    return found[0], found[1]


def query(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values()), parsed
    return {k: v[0] for k, v in parsed.items()}


def test_the_nbgitpuller_link_opens_notebook_01_of_the_branch(capsys, copy):
    hub_link, _ = printed(capsys)
    parts, q = urlsplit(hub_link), query(hub_link)
    assert f"{parts.scheme}://{parts.netloc}" == HUB and parts.path == "/hub/user-redirect/git-pull"
    assert q["repo"] == links.repository() and q["branch"] == student.BRANCH
    prefix = f"lab/tree/{q['targetpath']}/"
    assert q["urlpath"].startswith(prefix), q
    notebook = q["urlpath"].removeprefix(prefix)
    assert notebook == f"notebooks/{student.notebook_paths()[0].name}" and (copy / notebook).is_file()


def test_the_binder_link_opens_the_same_notebook_of_the_branch(capsys, copy):
    _, binder = printed(capsys)
    parts, q = urlsplit(binder), query(binder)
    owner_name = urlsplit(links.repository()).path.strip("/")
    assert parts.netloc == "mybinder.org" and parts.path == f"/v2/gh/{owner_name}/{student.BRANCH}"
    assert q["urlpath"].startswith("lab/tree/notebooks/01_")
    assert (copy / q["urlpath"].removeprefix("lab/tree/")).is_file()


def test_another_repository_and_its_folder(capsys):
    hub_link, binder = printed(capsys, "--repo", "https://gitlab.com/a-school/lenet-class.git")
    assert query(hub_link)["targetpath"] == "lenet-class"
    assert query(hub_link)["urlpath"].startswith("lab/tree/lenet-class/notebooks/01_")
    assert urlsplit(binder).path == "/v2/gl/a-school%2Flenet-class/student"


@pytest.mark.parametrize("hub", ["hub.example.edu", "ftp://hub.example.edu", "https://hub.example.edu/?x=1",
                                 ""])
def test_a_hub_that_is_no_address_gets_a_paragraph(hub):
    with pytest.raises(SystemExit, match="not an address such as https://"):
        links.main(["--hub", hub])


# --- nbgitpuller itself ---------------------------------------------------------------------------------

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never a proxy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str, timeout: float = 60):
    return NO_PROXY.open(urllib.request.Request(url, headers={"Authorization": f"token {token}"}),
                         timeout=timeout)


@pytest.fixture
def server(tmp_path):
    """A Jupyter server with nbgitpuller on 127.0.0.1, as a hub starts it for a user: base URL
    /user/student/, an empty home as its root, a random token. Yields (base address, token, home)."""
    pytest.importorskip("nbgitpuller")
    home, token, port = tmp_path / "home", secrets.token_hex(16), free_port()
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_TOKEN": token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={home}",
         "--ServerApp.base_url=/user/student/", "--ServerApp.jpserver_extensions={'nbgitpuller': True}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    base = f"http://127.0.0.1:{port}/user/student"
    try:
        for _ in range(120):
            try:
                get(f"{base}/api/status", token, timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
                time.sleep(0.5)
        else:
            log = (tmp_path / "server.log").read_text()[-3000:]
            pytest.fail(f"the Jupyter server did not answer in 60 s:\n{log}")
        yield base, token, home
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_nbgitpuller_pulls_the_branch_through_the_printed_link_and_the_notebook_opens(capsys, copy, server,
                                                                                     tmp_path):
    base, token, home = server
    remote = tmp_path / "remote.git"  # what the teacher pushed to: a bare clone of the copy
    subprocess.run(["git", "clone", "-q", "--bare", str(copy), str(remote)], check=True)
    hub_link, _ = printed(capsys)
    q = {**query(hub_link), "repo": remote.as_uri()}  # the local clone instead of the forge: no network
    # The hub sends /hub/user-redirect/<path> to the user's server, /user/<name>/<path>.
    path = urlsplit(hub_link).path.removeprefix("/hub/user-redirect")
    page = get(f"{base}{path}?{urlencode(q)}", token).read().decode()
    assert remote.as_uri() in page and q["urlpath"] in page  # the page that pulls, then opens urlpath

    # What that page's script asks for: the pull itself, as server-sent events.
    with get(f"{base}{path}/api?{urlencode(q)}", token, timeout=120) as events:
        phases = [json.loads(line[6:]) for line in events.read().decode().splitlines()
                  if line.startswith("data: ")]
    assert phases and phases[-1]["phase"] == "finished", phases
    pulled = home / q["targetpath"]
    assert subprocess.run(["git", "-C", str(pulled), "branch", "--show-current"], capture_output=True,
                          text=True, check=True).stdout.strip() == student.BRANCH

    notebook = q["urlpath"].removeprefix("lab/tree/")
    with get(f"{base}/api/contents/{notebook}", token) as answer:
        model = json.load(answer)
    assert model["type"] == "notebook" and model["path"] == notebook
    cells = model["content"]["cells"]
    assert cells and cells[0]["source"].startswith("# ")
    assert not [c for c in cells if student.SOLUTION_TAG in c["metadata"].get("tags", [])]
