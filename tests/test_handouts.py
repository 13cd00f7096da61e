"""The handouts (`make handouts`, site/handouts.py), made here from a fresh student copy: one PDF per
notebook, each with its title, its section headings and its figures' text alternatives in its text, no
solution code in any, and nothing on the printed page wider than the page.

They are printed by Chromium, so these are browser tests of `make test-all` (marked `full`), skipped in
one line where no Chromium exists (conftest.py)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

import handouts  # noqa: E402
import student  # noqa: E402
from test_student import MIN_LENGTH, originals  # noqa: E402

from nbtools import in_a_thread  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.full]

# Printable width of A4 with the handouts' margins (210 mm - 2 × 12 mm) in CSS pixels (96 per inch).
PRINT_WIDTH = round((210 - 2 * 12) / 25.4 * 96)


def chromium() -> str:
    """The browser tests' Chromium, as the root conftest.py finds it."""
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """{notebook name: its PDF}, the student copy and the handouts made anew."""
    tmp = tmp_path_factory.mktemp("handouts")
    student.build(tmp / "student")
    # In a process of its own, as `make handouts` runs it: Playwright's sync API cannot start inside the
    # asyncio loop that the other browser tests of this pytest session leave running.
    command = [sys.executable, str(ROOT / "site" / "handouts.py"), "--student", str(tmp / "student"),
               "--out", str(tmp / "out")]
    made = subprocess.run(command, env={**os.environ, "CHROMIUM": chromium()}, capture_output=True, text=True,
                          timeout=600, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    return {pdf.stem + ".ipynb": pdf for pdf in sorted((tmp / "out").glob("*.pdf"))}


def squeezed(text: str) -> str:
    """Text without whitespace or markdown marks, ligatures spelt out: a PDF breaks lines its own way."""
    return re.sub(r"[\s`*_]+", "", unicodedata.normalize("NFKC", text))


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return squeezed("".join(page.extract_text() for page in PdfReader(pdf).pages))


def test_one_pdf_per_notebook(made):
    assert sorted(made) == [p.name for p in student.notebook_paths()]
    assert all(pdf.stat().st_size > 10_000 for pdf in made.values())


def test_each_has_its_title_headings_and_figure_texts(made):
    for name, nb in originals().items():
        text = pdf_text(made[name])
        headings = [line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if re.match(r"#{1,3} ", line)]
        assert headings[0] and nb.cells[0].source.startswith("# " + headings[0])  # the title comes first
        missing = [h for h in headings if squeezed(h) not in text]
        assert not missing, f"{name}: headings not in its handout: {missing}"
        alts = [c.metadata["mystnb"]["image"]["alt"] for c in nb.cells
                if c.cell_type == "code" and "alt" in c.metadata.get("mystnb", {}).get("image", {})
                and student.SOLUTION_TAG not in c.metadata.get("tags", [])]
        missing = [a for a in alts if squeezed(a) not in text]
        assert not missing, f"{name}: figures' text alternatives not in its handout: {missing}"


def test_no_solution_code_in_any_handout(made):
    for name, nb in originals().items():
        text = pdf_text(made[name])
        elsewhere = squeezed(" ".join(c.source for c in nb.cells
                                      if student.SOLUTION_TAG not in c.metadata.get("tags", [])))
        solution, shown = set(), set()
        for cell in nb.cells:
            for line in cell.source.splitlines():
                if cell.cell_type == "code" and len(line.strip()) >= MIN_LENGTH \
                        and not line.strip().startswith("#"):
                    (solution if student.SOLUTION_TAG in cell.metadata.get("tags", []) else shown).add(
                        squeezed(line))
        solution = {s for s in solution if s not in elsewhere}  # a line the exercise's text also quotes
        assert solution, f"{name}: no solution code to look for"
        # The code the handout shows is found in its text (so the search below can find code)...
        found = [s for s in shown if s in text]
        assert len(found) >= 0.9 * len(shown), f"{name}: only {len(found)} of {len(shown)} code lines found"
        # ...and no line of a solution is.
        leaks = [s for s in solution if s in text]
        assert not leaks, f"{name}: solution code in the handout: {leaks[:5]}"


def test_nothing_is_wider_than_the_printed_page(made):
    """Each handout's HTML laid out at the printable width of A4, as printed: no element reaches past it
    (long code lines and outputs wrap, images and tables shrink)."""
    in_a_thread(_check_widths, made)


def _check_widths(made):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": PRINT_WIDTH, "height": 1000})
            page.route("**/*", handouts.refuse_network)
            for name, pdf in made.items():
                page.goto((pdf.parent / "html" / f"{pdf.stem}.html").as_uri())
                page.emulate_media(media="print")
                wide = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > width + 1 || e.scrollWidth
                                 > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
                    .map(e => e.tagName + ': ' + (e.textContent || '').trim().slice(0, 60))""", PRINT_WIDTH)
                assert not wide, f"{name}: {len(wide)} elements wider than the page: {wide[:5]}"
                code = page.locator("pre").first
                assert code.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
        finally:
            browser.close()


def test_alt_text_is_on_each_figure_of_the_html(made):
    for name, pdf in made.items():
        page = (pdf.parent / "html" / f"{pdf.stem}.html").read_text(encoding="utf-8")
        images = re.findall(r"<img\b[^>]*>", page)
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        assert images or not any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                                 for o in c.outputs), name
        # quoted either way: an alt text that holds a double quote is written between single quotes
        assert not [i for i in images if not re.search(r"""alt=(?:"[^"]{12,}"|'[^']{12,}')""", i)], \
            f"{name}: an image has no alt"


def test_display_formulas_are_drawn_with_their_latex_as_alt(made):
    """No MathJax prints here: a $$...$$ formula must reach the page as a drawing, its LaTeX as its alt."""
    drawn = 0
    for name, nb in originals().items():
        page = (made[name].parent / "html" / f"{made[name].stem}.html").read_text(encoding="utf-8")
        for cell in (c for c in nb.cells if c.cell_type == "markdown"):
            for latex in handouts.DISPLAY_FORMULA.findall(cell.source):
                alt = html.escape("Formula: " + " ".join(latex.split()), quote=True)
                assert re.search(rf'<img alt="{re.escape(alt)}"[^>]* src="data:image/png;base64,', page), \
                    f"{name}: the formula {latex.strip()!r} is not drawn with its LaTeX as alt"
                drawn += 1
        printed = pdf_text(made[name])
        assert "$$" not in printed and "\\frac" not in printed, f"{name}: LaTeX source printed"
    assert drawn, "no display formula in any notebook: this test checks nothing"
