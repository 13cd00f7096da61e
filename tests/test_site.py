"""The web book (`make site`, site/build.py): every page, figure and link there, offline, solutions collapsed.

The book is built from scratch (about half a minute) into `_build/test-site/`, and read with
BeautifulSoup. The browser test opens one page in Debian's chromium, offline. `make test` runs the
two in separate pytest runs: a run that selects only the browser test reuses the book of an earlier
run when a stamp shows that it was built from the same files (every file under site/ and
notebooks/, README.md, requirements.txt); any other run builds it anew.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

import nbtools
from nbtools import NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow

CONF = runpy.run_path(str(ROOT / "site" / "conf.py"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def load(nb_path: Path) -> dict:
    return json.loads(nb_path.read_text(encoding="utf-8"))


@functools.cache
def soup(path: Path) -> BeautifulSoup:
    """A built page, parsed once (the tests only read it)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def squash(text: str) -> str:
    """White space folded, and the book's typographic apostrophes (MyST's smart quotes) as typed."""
    return " ".join(text.replace("\u2019", "'").split())


def inputs_key() -> str:
    """A hash of every file the book is built from (names and bytes)."""
    digest = hashlib.sha256()
    files = [ROOT / "README.md", ROOT / "requirements.txt", *ROOT.glob("site/**/*"),
             *ROOT.glob("notebooks/*")]
    for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def site(request):
    """The built book's html folder; the notebooks' bytes before and after the build (``None`` when
    an earlier run's book is reused: see the module's docstring)."""
    out, key = ROOT / "_build" / "test-site", inputs_key()
    stamp = out / "inputs.sha256"
    here = [item for item in request.session.items if item.path == Path(__file__)]
    only_browser = all(item.get_closest_marker("browser") for item in here)
    built = stamp.is_file() and stamp.read_text() == key and (out / "html" / "index.html").is_file()
    if only_browser and built:
        return {"html": out / "html", "before": None, "after": None}
    shutil.rmtree(out, ignore_errors=True)
    before = {p.name: p.read_bytes() for p in NOTEBOOKS}
    command = [sys.executable, str(ROOT / "site" / "build.py"), "--src", out / "src", "--out", out / "html"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"site/build.py failed:\n{result.stdout}\n{result.stderr}"
    after = {p.name: p.read_bytes() for p in NOTEBOOKS}
    stamp.write_text(key)
    return {"html": out / "html", "before": before, "after": after}


def page(site, nb_path: Path) -> Path:
    return site["html"] / "notebooks" / f"{nb_path.stem}.html"


def test_the_build_leaves_the_notebooks_alone(site):
    assert site["after"] == site["before"]


def test_the_book_has_the_readme_and_every_notebook_and_note(site):
    index = soup(site["html"] / "index.html")
    assert "LeNet on Fashion-MNIST" in index.h1.get_text()
    nav = squash(index.select_one("nav.bd-links").get_text())
    for nb_path in NOTEBOOKS:
        assert page(site, nb_path).is_file(), f"no page for {nb_path.name}"
    for md in ROOT.glob("notebooks/*.md"):  # README.md, TEACHING.md
        html = site["html"] / "notebooks" / f"{md.stem}.html"
        assert html.is_file(), f"no page for notebooks/{md.name}"
        assert squash(soup(html).h1.get_text()).rstrip("#") in nav, f"notebooks/{md.name} not in the contents"


def test_the_contents_list_the_notebooks_in_order_with_their_time_estimates(site):
    nav = squash(soup(site["html"] / "index.html").select_one("nav.bd-links").get_text())
    positions = []
    for nb_path in NOTEBOOKS:
        first = "".join(load(nb_path)["cells"][0]["source"])
        title = re.search(r"^#\s+(.+)$", first, re.M).group(1).strip()
        minutes = re.search(r"\*\*Time:\*\*\s*about\s+(\d+)\s+minutes", first).group(1)
        entry = f"{title} · {minutes} min"
        assert entry in nav, f"{entry!r} not in the book's contents"
        positions.append(nav.index(entry))
        assert f"Time: about {minutes} minutes" in squash(soup(page(site, nb_path)).get_text())
    assert positions == sorted(positions)


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_every_stored_figure_is_on_the_page(site, nb_path):
    nb = load(nb_path)
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    n_figures = sum("image/png" in o.get("data", {}) for o in outputs)
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    n_widget_figures = sum("image/png" in o.get("data", {}) for m in state.get("state", {}).values()
                           for o in m.get("state", {}).get("outputs", []))
    html = soup(page(site, nb_path))
    images = [img["src"] for img in html.select("article img") if "/mathmpl/" not in img["src"]]
    assert len(images) == n_figures + n_widget_figures
    for src in images:
        assert (page(site, nb_path).parent / unquote(src)).is_file(), src


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_widgets_become_their_stored_views(site, nb_path):
    outputs = [o for c in load(nb_path)["cells"] for o in c.get("outputs", [])]
    n_widgets = sum(WIDGET_VIEW in o.get("data", {}) for o in outputs)
    text = page(site, nb_path).read_text(encoding="utf-8")
    assert WIDGET_VIEW not in text and "widget-state" not in text and "require.js" not in text
    notes = soup(page(site, nb_path)).select("p.widget-note")
    assert len(notes) == n_widgets
    for note in notes:
        assert "(interactive in JupyterLab)" in note.get_text()
        assert note.find_parent("div", class_="cell_output").find("img"), "a widget without its figure"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_solutions_are_collapsed(site, nb_path):
    solutions = [c for c in load(nb_path)["cells"] if "solution" in c["metadata"].get("tags", [])]
    assert solutions, f"{nb_path.name} has no solution (the test would prove nothing)"
    shown = soup(page(site, nb_path)).select("div.tag_solution")
    assert len(shown) == len(solutions)
    for cell, div in zip(solutions, shown):
        details = div.find("details")
        assert details is not None and not details.has_attr("open")
        source = "".join(cell["source"])
        snippet = (source.splitlines()[0] if cell["cell_type"] == "code"
                   else re.search(r"[A-Za-z][A-Za-z ,']{15,}", source).group(0))
        assert squash(snippet) in squash(details.get_text()), f"{snippet!r} is not in the collapsed block"
        if cell["cell_type"] == "code" and cell["outputs"]:
            assert details.select_one(".cell_output"), "a solution's output is not collapsed with it"


def test_display_formulas_are_images(site):
    for nb_path in NOTEBOOKS:
        cells = load(nb_path)["cells"]
        markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        html = soup(page(site, nb_path))
        assert "$$" not in html.select_one("article").get_text()
        formulas = html.select("img[src*='/mathmpl/']")
        assert len(formulas) == markdown.count("$$") // 2
        for img in formulas:
            assert (page(site, nb_path).parent / img["src"]).is_file()


def test_every_notebook_page_has_a_binder_link(site):
    org_repo = CONF["REPOSITORY_URL"].removeprefix("https://github.com/")
    for nb_path in NOTEBOOKS:
        hrefs = {a["href"] for a in soup(page(site, nb_path)).find_all("a", href=True)}
        assert (f"https://mybinder.org/v2/gh/{org_repo}/{CONF['BRANCH']}"
                f"?urlpath=lab/tree/notebooks/{nb_path.name}") in hrefs


def html_pages(site):
    """The book's pages (not the theme's Jinja macros that Sphinx copies into _static)."""
    return sorted(p for p in site["html"].rglob("*.html") if "_static" not in p.parts)


def anchors(path: Path) -> set[str]:
    return {element["id"] for element in soup(path).find_all(id=True)}


def test_every_internal_link_resolves(site):
    broken = []
    for path in html_pages(site):
        html = soup(path)
        for tag, attr in (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href")):
            for element in html.find_all(tag, **{attr: True}):
                url = urlsplit(element[attr])
                if url.scheme or url.netloc or not (url.path or url.fragment):
                    continue  # the web (Binder, the repository) or a bare "#"
                target = (path.parent / unquote(url.path)).resolve() if url.path else path
                if not target.is_file():
                    broken.append(f"{path.relative_to(site['html'])}: {element[attr]}")
                elif url.fragment and target.suffix == ".html" and url.fragment not in anchors(target):
                    broken.append(f"{path.relative_to(site['html'])}: {element[attr]} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_no_page_loads_anything_from_the_network(site):
    remote = re.compile(r"^(https?:)?//")
    for path in html_pages(site):
        html = soup(path)
        for element in html.find_all(["script", "link", "img", "iframe", "source"]):
            for attr in ("src", "href"):
                if tag_url := element.get(attr):
                    assert not remote.match(tag_url), f"{path.name} loads {tag_url}"
    for css in site["html"].rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import\s+['\"]?(https?:)?//", css.read_text()), css


@pytest.mark.browser
def test_a_page_renders_in_chromium_offline(site):
    chromium = nbtools.chromium()  # tests/conftest.py skips without one
    nb_path = next(p for p in NOTEBOOKS if p.name.startswith("05_"))
    title = re.search(r"^#\s+(.+)$", "".join(load(nb_path)["cells"][0]["source"]), re.M).group(1).strip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The browser tests of JupyterLab (tests/browser) keep a Playwright session, and so an asyncio loop,
    # running in this thread for the whole pytest run; Playwright's sync API needs a thread without one.
    nbtools.in_a_thread(_check_page_in_chromium, site, nb_path, title, chromium)



def _check_page_in_chromium(site, nb_path, title, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND"])  # a page that reaches out fails the test below
        try:
            page_ = browser.new_page(viewport={"width": 1300, "height": 900})
            outside = []
            page_.on("request", lambda r: r.url.startswith(("file:", "data:")) or outside.append(r.url))
            page_.goto(page(site, nb_path).as_uri())
            assert title in page_.title()
            heading = page_.locator("article h1").first
            assert heading.is_visible() and title in heading.inner_text()
            assert page_.locator("article img").first.evaluate("img => img.complete && img.naturalWidth > 0")
            page_.screenshot(path=str(SCREENSHOTS / "site_05.png"))
            solution = page_.locator("div.tag_solution").first
            assert not solution.locator(".cell_input").is_visible()  # collapsed until clicked
            solution.locator("summary").click()
            assert solution.locator(".cell_input").is_visible()
            assert not outside, f"the page asked the network for {outside}"
        finally:
            browser.close()


# --- accessible to every reader (WCAG 2.1 AA) -----------------------------------------------------------

AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` (npm)
FORMULA = "/mathmpl/"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def is_sentence(text: str) -> bool:
    """A text alternative that says something: words, a capital first and a full stop last, no file."""
    text = text.strip()
    return (len(text.split()) >= 4 and text[:1].isupper() and text.endswith((".", "!", "?"))
            and not re.search(r"(^|\s)(\.\./|_images/)|\.(png|jpe?g|svg|gif)\b", text))


def figure_cells(nb: dict) -> list[tuple[int, int]]:
    """(cell index, number of figures) of each code cell that shows figures: its stored images and the
    images stored in the state of the widgets it displays."""
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def widget_images(model_id, seen):
        if model_id in seen or model_id not in state:
            return 0
        seen.add(model_id)
        values = state[model_id].get("state", {})
        n = sum("image/png" in o.get("data", {}) for o in values.get("outputs", []))
        n += sum(widget_images(v.removeprefix("IPY_MODEL_"), seen) for o in values.get("outputs", [])
                 for v in [o.get("data", {}).get(WIDGET_VIEW, {}).get("model_id", "")] if v)
        return n + sum(widget_images(c.removeprefix("IPY_MODEL_"), seen) for c in values.get("children", []))

    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        n = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        n += sum(widget_images(o["data"][WIDGET_VIEW]["model_id"], set()) for o in cell.get("outputs", [])
                 if WIDGET_VIEW in o.get("data", {}))
        if n:
            found.append((i, n))
    return found


def test_every_figure_has_a_text_alternative_in_its_cell():
    """The alt of a figure is the producing cell's metadata {"mystnb": {"image": {"alt": "..."}}}:
    a sentence saying what the figure shows (widgets: what their stored view shows)."""
    missing = []
    for nb_path in NOTEBOOKS:
        nb = load(nb_path)
        for i, n in figure_cells(nb):
            alt = nb["cells"][i]["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            if not is_sentence(alt):
                first = "".join(nb["cells"][i]["source"]).strip().splitlines()[0][:60]
                missing.append(f"{nb_path.name} cell {i} ({n} figure{'s' * (n > 1)}, {first!r}): "
                               + (f"alt {alt!r} is not a sentence" if alt else "no mystnb.image.alt"))
    assert not missing, "figures without a text alternative:\n" + "\n".join(missing)


def test_every_image_in_the_book_has_a_sentence_for_alt(site):
    """What reaches the readers: every <img> of every page; a formula's alt is its LaTeX source."""
    wrong = []
    for path in html_pages(site):
        for img in soup(path).find_all("img"):
            alt, src = img.get("alt"), img.get("src", "")
            name = path.relative_to(site["html"])
            if FORMULA in src:
                if not (alt or "").startswith("Formula: "):
                    wrong.append(f"{name}: formula {src} has alt {alt!r}")
            elif "_static/" in src:  # the theme's logos
                if not alt:
                    wrong.append(f"{name}: {src} has no alt")
            elif not is_sentence(alt or ""):
                wrong.append(f"{name}: {src.rsplit('/', 1)[-1][:16]}... has alt {alt!r}")
    assert not wrong, f"{len(wrong)} images without a sentence for alt:\n" + "\n".join(wrong)


@pytest.mark.browser
def test_axe_finds_no_serious_or_critical_violation_on_any_page(site):
    """axe-core (npm), injected into every page of the book in Chromium, light and dark, with every
    collapsed block (solutions, quizzes) opened: no serious or critical violation of WCAG 2.1 A/AA."""
    if not AXE.is_file():
        pytest.skip(f"no axe-core at {AXE.relative_to(ROOT)}: `make axe` installs it with npm")
    chromium = nbtools.chromium()
    found = []
    nbtools.in_a_thread(_run_axe, site, chromium, found)
    assert not found, (f"axe-core: {len(found)} serious or critical violations:\n" + "\n".join(found))


JS_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.html.replace(/\\s+/g, ' ').slice(0, 120)
                             + (n.any.length ? ' (' + n.any[0].message + ')' : ''))}));
}"""

# Every collapsed block opened, and no animation still running (a transition half-way through gives
# colours that are neither its start nor its end).
JS_OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
JS_SETTLED = "() => document.getAnimations().every(a => a.playState !== 'running')"


def _run_axe(site, chromium, found):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND"])
        try:
            for scheme in ("light", "dark"):
                page_ = browser.new_page(viewport={"width": 1300, "height": 900}, color_scheme=scheme)
                for path in html_pages(site):
                    page_.goto(path.as_uri())
                    page_.wait_for_function("() => document.documentElement.dataset.theme !== undefined")
                    page_.evaluate(JS_OPEN_ALL)
                    page_.wait_for_function(JS_SETTLED)
                    page_.add_script_tag(path=str(AXE))
                    for v in page_.evaluate(JS_AXE):
                        nodes = "\n".join(f"      {n}" for n in v["nodes"][:5])
                        more = f"\n      ... and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else ""
                        found.append(f"{path.relative_to(site['html'])} ({scheme}): {v['impact']} "
                                     f"{v['id']}: {v['help']} ({len(v['nodes'])}):\n{nodes}{more}")
                page_.close()
        finally:
            browser.close()
