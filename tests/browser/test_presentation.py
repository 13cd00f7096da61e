"""Presentation mode: a notebook shown as slides by RISE (jupyterlab-rise), offline.

Opens notebooks/02_building_lenet.ipynb in JupyterLab, renders it as a Reveal.js slideshow with
RISE's own command (View > Render as Reveal Slideshow, Alt+R), and checks that the title slide
comes first, that Space and the right arrow go to the next slide and sub-slide as the notebook's
slide metadata says (notebooks/TEACHING.md gives the rules), and that nothing was fetched from the
network (RISE bundles reveal.js; the notebook's RISE theme needs no web fonts). No cell is run.
A screenshot goes to artifacts/screenshots/presentation_02_building_lenet.png.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from browser_env import NOTEBOOKS, SCREENSHOTS

pytestmark = pytest.mark.browser

NOTEBOOK = "02_building_lenet.ipynb"

JS_OPENED = """(name) => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  return !!w && !!w.context && w.context.path === name && w.context.isReady && !!w.content;
}"""

# RISE saves the notebook before rendering it; the test server refuses every save, so this one panel
# skips the save (the file on disk is what RISE shows anyway).
JS_PREVIEW = """() => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  panel.context.save = async () => {};
  return app.commands.execute('RISE:preview');
}"""

# Where the slideshow stands: Reveal's (horizontal, vertical) indices, read from its DOM classes.
JS_WHERE = """() => {
  const top = [...document.querySelectorAll('.reveal .slides > section')];
  const h = top.findIndex(s => s.classList.contains('present'));
  if (h < 0) return null;
  const stack = [...top[h].querySelectorAll(':scope > section')];
  const v = Math.max(0, stack.findIndex(s => s.classList.contains('present')));
  const shown = stack.length ? stack[v] : top[h];
  return {h, v, slides: top.length, text: shown.textContent.replace(/\\s+/g, ' ').trim().slice(0, 2000)};
}"""


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _heading(cell) -> str:
    """The first heading of a markdown cell as it reads once rendered (no #, ` or *)."""
    line = next(line for line in _source(cell).splitlines() if line.startswith("#"))
    return re.sub(r"[`*]", "", line.lstrip("#")).strip().lower()


def _wait_for(frame, condition, what, timeout_s=20, settle_s=1.0):
    """Wait until the slideshow's position meets ``condition`` and still does ``settle_s`` later
    (RISE selects a cell on each new slide, about half a second after arriving)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        where = frame.evaluate(JS_WHERE)
        if where and condition(where):
            time.sleep(settle_s)
            where = frame.evaluate(JS_WHERE)
            if where and condition(where):
                return where
        time.sleep(0.25)
    raise AssertionError(f"{what}: the slideshow stayed at {frame.evaluate(JS_WHERE)}")


def test_presentation_mode_advances_slide_by_slide(lab_server, lab_page):
    nb = json.loads((NOTEBOOKS / NOTEBOOK).read_text(encoding="utf-8"))
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    starts = [i for i, kind in enumerate(kinds) if kind == "slide"]
    assert len(starts) >= 3 and starts[0] == 0, \
        f"{NOTEBOOK} has no slide metadata: its title and '## ' headings must be marked 'slide'"
    headings = [_heading(nb["cells"][i]) for i in starts]
    # The first slide that has a sub-slide (a long code cell), but not the last slide.
    with_sub = next(n for n, (a, b) in enumerate(zip(starts, starts[1:])) if "subslide" in kinds[a:b])

    page = lab_page
    try:
        page.goto(lab_server.lab_url(NOTEBOOK), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function(JS_OPENED, arg=NOTEBOOK, timeout=120_000, polling=500)
        commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
        assert "RISE:preview" in commands, "JupyterLab has no RISE commands: is jupyterlab-rise installed?"

        page.evaluate(JS_PREVIEW)
        deadline = time.monotonic() + 60
        while not (frames := [f for f in page.frames if "/rise/" in f.url]):
            assert time.monotonic() < deadline, "RISE's slideshow panel did not open within 60 s"
            page.wait_for_timeout(250)
        frame = frames[0]
        frame.wait_for_selector(".reveal.ready .slides > section.present", timeout=60_000)

        start = _wait_for(frame, lambda w: w["slides"] == len(starts), "slides rendered")
        assert (start["h"], start["v"]) == (0, 0), f"the slideshow did not start on the title: {start}"
        assert headings[0] in start["text"].lower(), start["text"]

        def press(key, h, v=0):
            """Press a key in the slideshow and wait until it shows slide (h, v)."""
            page.keyboard.press(key)
            return _wait_for(frame, lambda w: (w["h"], w["v"]) == (h, v), f"{key} towards slide {(h, v)}")

        page.locator("iframe[src*='/rise/']").focus()
        second = press("ArrowRight", 1)
        assert headings[1] in second["text"].lower(), \
            f"slide 2 should open with {headings[1]!r}: {second['text'][:120]!r}"

        # Space walks through everything in order, sub-slides included; the right arrow skips them.
        for h in range(2, with_sub + 1):
            press("ArrowRight", h)
        press("Space", with_sub, 1)
        after = press("ArrowRight", with_sub + 1)
        assert headings[with_sub + 1] in after["text"].lower(), after["text"][:120]

        assert not page.outside_requests, f"the slideshow tried to reach the network: {page.outside_requests}"
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SCREENSHOTS / f"presentation_{NOTEBOOK.removesuffix('.ipynb')}.png"))
        except Exception as err:  # a failed screenshot must not hide the test's own failure
            print(f"screenshot failed: {err}")
