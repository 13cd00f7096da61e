"""The class's two links: `make links HUB=https://hub.example.edu` (or `python3 site/links.py --hub URL`).

Prints the nbgitpuller link that opens the branch `student` (made by `make student`, pushed by the
teacher) at the first notebook on that JupyterHub, and the Binder link that opens the same branch. The
repository is pyproject.toml's [project.urls] Repository unless REPO= names another (a fork the teacher
pushed to). The nbgitpuller link has the documented form (nbgitpuller's "link" page):
<hub>/hub/user-redirect/git-pull?repo=<repository>&branch=<branch>&targetpath=<folder>&urlpath=lab/tree/<folder>/<notebook>,
which clones the branch into <folder> in the student's home on first click and merges updates on later
clicks, then opens the notebook in JupyterLab. Standard library only: tests/test_links.py checks both.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "student"  # site/student.py's branch
BINDER = "https://mybinder.org"


def repository(root: Path = ROOT) -> str:
    """The repository's address, kept in one place: pyproject.toml's [project.urls] Repository."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["urls"]["Repository"]


def first_notebook(root: Path = ROOT) -> str:
    """notebooks/01_....ipynb, relative to the repository (the student copy has the same names)."""
    return f"notebooks/{sorted((root / 'notebooks').glob('[0-9][0-9]_*.ipynb'))[0].name}"


def folder(repo: str) -> str:
    """The folder nbgitpuller clones into: the repository's name (as nbgitpuller's own default)."""
    return repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def nbgitpuller_link(hub: str, repo: str, branch: str = BRANCH, notebook: str | None = None) -> str:
    """The link that pulls ``branch`` of ``repo`` onto the hub and opens ``notebook`` in JupyterLab."""
    target = folder(repo)
    query = urlencode({"repo": repo, "branch": branch, "targetpath": target,
                       "urlpath": f"lab/tree/{target}/{notebook or first_notebook()}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def binder_link(repo: str, branch: str = BRANCH, notebook: str | None = None) -> str:
    """mybinder.org's link to ``branch`` of ``repo`` (GitHub, GitLab or any git address), at ``notebook``."""
    parts = urlsplit(repo.removesuffix(".git"))
    if parts.netloc == "github.com":
        spec = f"gh/{parts.path.strip('/')}"
    elif parts.netloc == "gitlab.com":
        spec = f"gl/{quote(parts.path.strip('/'), safe='')}"
    else:
        spec = f"git/{quote(repo, safe='')}"
    start = urlencode({"urlpath": f"lab/tree/{notebook or first_notebook()}"})
    return f"{BINDER}/v2/{spec}/{quote(branch, safe='')}?{start}"


def checked_url(value: str, what: str, make_name: str) -> str:
    """``value`` if it is an http(s) address with a host; otherwise a paragraph saying what to give."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SystemExit(
            f"links: {what} {value!r} is not an address such as https://hub.example.edu (http or https, a "
            f"host, no ?query). Give it as make links {make_name}=https://... ; the hub's address is the one "
            "students open to log in, without /hub/... at its end.")
    return value.rstrip("/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", required=True, help="the JupyterHub's address, https://hub.example.edu")
    parser.add_argument("--repo", default="", help="the repository the branch was pushed to "
                        "(default: pyproject.toml's [project.urls] Repository)")
    parser.add_argument("--branch", default=BRANCH, help=f"the students' branch (default {BRANCH})")
    args = parser.parse_args(argv)
    hub = checked_url(args.hub, "the hub", "HUB")
    repo = checked_url(args.repo, "the repository", "REPO") if args.repo else repository()
    print(f"JupyterHub ({hub}), nbgitpuller:\n  {nbgitpuller_link(hub, repo, args.branch)}")
    print(f"Binder:\n  {binder_link(repo, args.branch)}")
    print(f"Both open branch {args.branch} of {repo}: build it with make student, push it with "
          f"git -C _build/student push {repo} HEAD:{args.branch}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
