"""Build the collection as an offline web book: `make site` (or `.venv/bin/python site/build.py`).

1. Stage README.md (as index.md), notebooks/README.md, the notebooks 01..09 and the other
   notebooks/*.md (TEACHING.md) into _build/site-src/. Only these copies change, never notebooks/:
   - solution cells (tag `solution`, or hidden in JupyterLab) are collapsed in a <details> element
     that one click opens: code cells through MyST-NB's `hide-*` tags, written answers wrapped;
   - every widget output becomes what its stored state shows (the figures and HTML of the Output and
     HTML widgets it contains) under a note that it is interactive in JupyterLab;
   - display formulas ($$...$$) are drawn by matplotlib (no MathJax);
   - links to files outside the book point at the repository, images from the web become their text;
   - figures keep the text alternative of their cell's metadata ({"mystnb": {"image": {"alt": ...}}},
     which MyST-NB writes into <img alt>), widgets' stored figures that of the cell showing the widget.
2. Run Sphinx with site/conf.py into _build/site/html (formulas get their LaTeX as alt there), then
   fix what the theme writes for readers of assistive technology (fix_html). Nothing is executed,
   nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from conf import BRANCH, REPOSITORY_URL

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "<p class='widget-note'><em>This widget as stored (interactive in JupyterLab).</em></p>"
# A written answer, collapsed as MyST-NB collapses a code cell (same classes, so the same look).
SOLUTION = ("<div class='cell container tag_solution'><details class='admonition hide above-input'>"
            "<summary>"
            "<p class='collapsed admonition-title'>Show the answer</p>"
            "<p class='expanded admonition-title'>Hide the answer</p></summary>\n\n{}\n\n</details></div>\n")
TIME = re.compile(r"\*\*Time:\*\*\s*about\s+(\d+)\s+minutes")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
# The theme's search button is named "Search" (aria-label) but shows "Search Ctrl+K": a name that leaves
# out visible text fails WCAG 2.5.3 (axe: label-content-name-mismatch). Without the label, its name is
# what it shows.
SEARCH_BUTTON_LABEL = re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"')
# The same for MyST-NB's collapsed cells: named "Toggle hidden content", showing "Show code cell content".
SUMMARY_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')


def book_pages() -> dict[str, str]:
    """{path in the repository: path in the book}, in reading order."""
    pages = {"README.md": "index.md", "notebooks/README.md": "notebooks/README.md"}
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        pages[f"notebooks/{nb.name}"] = f"notebooks/{nb.name}"
    for md in sorted((ROOT / "notebooks").glob("*.md")):  # TEACHING.md and any other notes
        pages.setdefault(f"notebooks/{md.name}", f"notebooks/{md.name}")
    return pages


def fix_markdown(text: str, repo_path: str, pages: dict[str, str], pictures: set[str]) -> str:
    """Links and images that resolve in the book, display formulas drawn by matplotlib."""
    here = os.path.dirname(repo_path)
    book_here = os.path.dirname(pages[repo_path])

    def image(m: re.Match) -> str:
        alt, target = m.groups()
        if re.match(r"[a-z]+:", target):  # a picture from the web (a badge): its text instead
            return alt
        pictures.add(os.path.normpath(os.path.join(here, target)))  # a local picture: copied along
        return m.group(0)

    def link(m: re.Match) -> str:
        label, target = m.groups()
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return m.group(0)
        path, _, anchor = target.partition("#")
        in_repo = os.path.normpath(os.path.join(here, path))
        if in_repo in pages:  # another page of the book (README.md is index.md there)
            new = os.path.relpath(pages[in_repo], book_here)
        else:  # a file of the repository: its page on the forge
            kind = "tree" if (ROOT / in_repo).is_dir() else "blob"
            new = f"{REPOSITORY_URL}/{kind}/{BRANCH}/{in_repo}"
        return f"[{label}]({new}{'#' + anchor if anchor else ''})"

    text = LINK.sub(link, IMAGE.sub(image, text))
    return DISPLAY_MATH.sub(lambda m: f"\n```{{mathmpl}}\n{m.group(1).strip()}\n```\n", text)


def widget_outputs(model_id: str, state: dict, seen: set[str]) -> list[dict]:
    """The outputs stored in a widget and in the widgets it contains, in display order."""
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    name, values = state[model_id]["model_name"], state[model_id].get("state", {})
    if name == "OutputModel":
        return static_outputs(values.get("outputs", []), state, seen)
    if name == "HTMLModel" and values.get("value"):
        return [{"output_type": "display_data", "metadata": {}, "data": {"text/html": values["value"]}}]
    found = []
    for child in values.get("children", []):
        found += widget_outputs(child.removeprefix("IPY_MODEL_"), state, seen)
    return found


def static_outputs(outputs: list[dict], state: dict, seen: set[str]) -> list[dict]:
    """Each widget output replaced by its stored figures (or its text fallback) under a note."""
    result = []
    for out in outputs:
        view = out.get("data", {}).get(WIDGET_VIEW)
        if view is None:
            result.append({"metadata": {}, **out} if out["output_type"] == "display_data" else out)
            continue
        note = {"output_type": "display_data", "metadata": {}, "data": {"text/html": WIDGET_NOTE}}
        stored = widget_outputs(view["model_id"], state, seen)
        text = {k: v for k, v in out["data"].items() if k != WIDGET_VIEW}
        fallback = [{"output_type": "display_data", "metadata": {}, "data": text}] if text else []
        result += [note, *(stored or fallback)]
    return result


def stage_notebook(nb: dict, repo_path: str, pages: dict[str, str], pictures: set[str]) -> dict:
    state = nb["metadata"].pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb["cells"]:
        meta = cell["metadata"]
        hidden = meta.get("jupyter", {})
        tags = meta.setdefault("tags", [])
        if cell["cell_type"] == "markdown":
            text = fix_markdown("".join(cell["source"]), repo_path, pages, pictures)
            if "solution" in tags or hidden.get("source_hidden"):  # a written answer: collapsed too
                text = SOLUTION.format(text.strip())
            cell["source"] = text
        if cell["cell_type"] != "code":
            continue
        cell["outputs"] = static_outputs(cell["outputs"], state, set())
        if "solution" in tags or (hidden.get("source_hidden") and hidden.get("outputs_hidden")):
            tags.append("hide-cell")
        elif hidden.get("source_hidden"):
            tags.append("hide-input")
        elif hidden.get("outputs_hidden"):
            tags.append("hide-output")
    return nb


def toc_entry(repo_path: str) -> str:
    """A sidebar line: the notebook's title and its time estimate."""
    book_path = repo_path.rsplit(".", 1)[0]
    if not repo_path.endswith(".ipynb"):
        return book_path
    first = "".join(json.loads((ROOT / repo_path).read_text(encoding="utf-8"))["cells"][0]["source"])
    title = re.search(r"^#\s+(.+)$", first, re.M)
    minutes = TIME.search(first)
    if not (title and minutes):
        raise SystemExit(f"site: {repo_path}: the first cell needs '# title' and '**Time:** about N minutes'")
    return f"{title.group(1).strip()} · {minutes.group(1)} min <{book_path}>"


def stage(src: Path) -> int:
    """Write the book's sources into src (only files whose text changed: rebuilds stay incremental)."""
    pages = book_pages()
    pictures: set[str] = set()  # local images the pages show
    texts = {}
    for repo_path, book_path in pages.items():
        text = (ROOT / repo_path).read_text(encoding="utf-8")
        if repo_path.endswith(".ipynb"):
            nb = stage_notebook(json.loads(text), repo_path, pages, pictures)
            texts[book_path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        else:
            texts[book_path] = fix_markdown(text, repo_path, pages, pictures)
    toc = "\n".join(toc_entry(p) for p in list(pages)[1:])
    texts["index.md"] += f"\n```{{toctree}}\n:hidden:\n:caption: Notebooks\n\n{toc}\n```\n"

    keep = set()
    for book_path, text in texts.items():
        target = src / book_path
        keep.add(target)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for repo_path in pictures:  # pictures keep their place next to the pages that show them
        if (ROOT / repo_path).is_file():
            target = src / repo_path  # the book keeps the repository's layout
            keep.add(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / repo_path, target)
    for old in [p for p in src.rglob("*") if p.is_file() and p not in keep]:
        old.unlink()
    return len(pages)


def fix_html(out: Path) -> None:
    """What the theme and MyST-NB write and a reader needs otherwise (SEARCH_BUTTON_LABEL, SUMMARY_LABEL)."""
    for page in out.rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        fixed = SUMMARY_LABEL.sub("<summary>", SEARCH_BUTTON_LABEL.sub(r"\1", text))
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "_build/site-src", help="staging folder")
    parser.add_argument("--out", type=Path, default=ROOT / "_build/site/html", help="HTML folder")
    args = parser.parse_args(argv)
    from sphinx.cmd.build import build_main

    start = time.perf_counter()
    n = stage(args.src)
    # -W --keep-going: a broken link or a page Sphinx cannot read fails the build, listing them all.
    status = build_main(["-b", "html", "-c", str(SITE), "-d", str(args.out.parent / "doctrees"),
                         "-W", "--keep-going", "-q", str(args.src), str(args.out)])
    if status == 0:
        fix_html(args.out)
        print(f"site: {n} pages in {time.perf_counter() - start:.1f} s: {args.out / 'index.html'}")
    else:
        print("site: failed, see Sphinx's warnings above (each is an error here)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
