"""Printable handouts: `make handouts` (after `make student`) writes _build/handouts/NN_name.pdf.

One PDF per notebook, from the students' copy (_build/student/notebooks: no solutions), with its stored
outputs: nbconvert's HTML export (template "lab") printed to A4 by Chromium through Playwright, the
browser the browser tests drive (CHROMIUM, as `make` finds it). Each notebook on its way:

- every widget output becomes what its stored state shows (site/build.py's static_outputs, as in the
  web book), since no widget manager runs in print;
- every figure becomes a <figure> whose <img alt> and visible caption are its cell's text alternative
  ({"mystnb": {"image": {"alt": ...}}}, tests/test_site.py), so a printed page says what it shows too;
- code and outputs wrap at the page edge (white-space: pre-wrap) instead of running off it; images and
  tables are at most the page's width; prompts ("In [ ]:") are left out.

- every display formula ($$...$$) is drawn by matplotlib's mathtext as an image whose alt is its LaTeX
  source, as the web book draws it (site/conf.py): no MathJax, so nothing to fetch.

Nothing is executed; nothing is fetched: the page's requests for anything but itself are refused. The
HTML is kept beside the PDFs (_build/handouts/html/), for tests/test_handouts.py to measure.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

SITE = Path(__file__).resolve().parent
sys.path.insert(0, str(SITE))
from build import WIDGET_STATE, static_outputs  # noqa: E402  (the web book's widgets, drawn statically)

ROOT = SITE.parent
STUDENT = ROOT / "_build" / "student"
OUT = ROOT / "_build" / "handouts"
IMAGES = ("image/png", "image/jpeg")
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { margin: 0 !important; padding: 0 !important; }
.jp-Notebook { padding: 0 !important; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-InputArea-prompt, .jp-OutputArea-prompt { display: none !important; }
pre, code, .highlight pre, .jp-OutputArea-output pre {
  white-space: pre-wrap !important; overflow-wrap: anywhere !important; word-break: break-word !important;
  overflow: visible !important; }
.jp-Cell, .jp-InputArea, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output,
.jp-InputArea-editor, .jp-RenderedHTMLCommon { max-width: 100% !important; min-width: 0 !important;
  overflow: visible !important; }
img, svg { max-width: 100% !important; height: auto !important; }
table { max-width: 100% !important; table-layout: auto; word-break: break-word; }
figure.handout-figure { margin: 0.4em 0; break-inside: avoid; }
p.handout-formula { text-align: center; margin: 0.6em 0; }
figure.handout-figure figcaption { font-size: 0.85em; font-style: italic; margin-top: 0.2em; }
"""


DISPLAY_FORMULA = re.compile(r"\$\$(.+?)\$\$", re.S)


def formula_image(latex: str) -> str:
    """``latex`` drawn by matplotlib's mathtext as an <img> (a PNG data URL) whose alt is its source."""
    from matplotlib import mathtext

    png = io.BytesIO()
    mathtext.math_to_image(f"${latex.strip()}$", png, dpi=200, format="png")
    alt = html.escape("Formula: " + " ".join(latex.split()), quote=True)
    return (f'<p class="handout-formula"><img alt="{alt}" style="height: 2.4em" '
            f'src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}"></p>')


class FiguresWithTheirText(Preprocessor):
    """Widgets as their stored outputs; each image as a <figure> with its cell's text alternative as its
    alt and caption; each display formula as an image with its LaTeX as alt."""

    def preprocess(self, nb, resources):
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = DISPLAY_FORMULA.sub(lambda m: formula_image(m.group(1)), cell.source)
            if cell.cell_type != "code":
                continue
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            outputs = static_outputs([dict(o) for o in cell.outputs], state, set())
            for out in outputs:
                kind = next((k for k in IMAGES if k in out.get("data", {})), None)
                if kind is None:
                    continue
                data = "".join(out["data"][kind]).replace("\n", "")
                caption = f"<figcaption>Figure: {html.escape(alt)}</figcaption>" if alt else ""
                img = f'<img src="data:{kind};base64,{data}" alt="{html.escape(alt, quote=True)}">'
                out["data"] = {"text/html": f'<figure class="handout-figure">{img}{caption}</figure>'}
                out["metadata"] = {}
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.metadata.pop("widgets", None)
        return nb, resources


def handout_html(path: Path) -> str:
    """The notebook at ``path`` as one self-contained HTML page, styled for print."""
    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(FiguresWithTheirText(enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
    return body.replace("</head>", f"<style>{PRINT_CSS}</style>\n</head>", 1)


def refuse_network(route) -> None:
    """Only the page itself (a file) and what it carries (data: URLs) load: no CDN, no network."""
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


def build(student: Path = STUDENT, out: Path = OUT, chromium: str | None = None) -> list[tuple[Path, int]]:
    """Write a PDF per notebook of ``student``/notebooks into ``out``; [(pdf, pages)]."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    notebooks = sorted((student / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise SystemExit(f"handouts: no notebooks in {student / 'notebooks'}: run make student first "
                         "(the handouts are made from the students' copy, without solutions).")
    (out / "html").mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.pdf"), *(out / "html").glob("*.html")]:  # a renamed notebook's old handout
        old.unlink()
    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium or os.environ.get("CHROMIUM") or None,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                          "--disable-background-networking", "--disable-component-update",
                                          "--disable-sync"])
        try:
            page = browser.new_page()
            page.route("**/*", refuse_network)
            for nb in notebooks:
                page_html = out / "html" / f"{nb.stem}.html"
                page_html.write_text(handout_html(nb), encoding="utf-8")
                page.goto(page_html.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                pdf = out / f"{nb.stem}.pdf"
                page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True,
                         display_header_footer=False)
                made.append((pdf, len(PdfReader(pdf).pages)))
        finally:
            browser.close()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", type=Path, default=STUDENT, help="the students' copy (make student)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PDFs go")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    made = build(args.student, args.out)
    for pdf, pages in made:
        print(f"  {os.path.relpath(pdf)}: {pages} pages")
    print(f"handouts: {len(made)} PDFs, {sum(p for _, p in made)} pages, in "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
