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

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


# RISE has finished starting the slideshow: after Reveal's `ready`, it moves to its starting slide, hooks
# its handlers (one of them moves the slideshow to the active cell's slide) and then, in the same task,
# adds #rise-overlay. A key pressed before that can be undone by the move to the starting slide (the
# flake "ArrowRight towards slide (1, 0): the slideshow stayed at (0, 0)" under load).
JS_STARTED = """(n) => {
  const ready = document.querySelector('.reveal.ready .slides > section.present');
  return !!ready && !!document.querySelector('.reveal #rise-overlay')
    && document.querySelectorAll('.reveal .slides > section').length === n;
}"""

# The keyboard reaches Reveal: this document has the focus, and not in an editor (Reveal ignores keys
# typed into an input or a contenteditable element, such as a cell's editor).
JS_KEYS_REACH_REVEAL = """() => {
  const a = document.activeElement;
  return document.hasFocus() && !(a && (a.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)));
}"""

JS_AT = """([h, v]) => {
  const top = [...document.querySelectorAll('.reveal .slides > section')];
  const i = top.findIndex(s => s.classList.contains('present'));
  if (i !== h) return false;
  const stack = [...top[i].querySelectorAll(':scope > section')];
  return Math.max(0, stack.findIndex(s => s.classList.contains('present'))) === v;
}"""


# A record of what moved, for a failure's message: slide changes and the active cell, with times.
JS_RECORD = """() => {
  window.__moves = [];
  const t0 = performance.now();
  const cells = () => [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  new MutationObserver(() => {
    const top = [...document.querySelectorAll('.reveal .slides > section')];
    const h = top.findIndex(s => s.classList.contains('present'));
    const active = cells().findIndex(c => c.classList.contains('jp-mod-active'));
    const focus = cells().findIndex(c => c.contains(document.activeElement));
    const entry = `slide ${h}, active cell ${active}, focus in cell ${focus}`;
    const last = window.__moves[window.__moves.length - 1];
    const ms = Math.round(performance.now() - t0);
    if (!last || !last.endsWith(entry)) window.__moves.push(`${ms} ms: ${entry}`);
  }).observe(document.body, {attributes: true, attributeFilter: ['class'], subtree: true});
}"""


def _auto_selected(cells) -> dict[tuple[int, int], int]:
    """{(slide, sub-slide): the cell RISE selects there}, as RISE's reveal_cell_index finds it (its
    auto_select 'code': the first code cell of the slide, skip and notes cells not counted)."""
    found, h, v = {}, -1, 0
    for i, cell in enumerate(cells):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if kind in ("skip", "notes"):
            continue
        if kind == "slide":
            h, v = h + 1, 0
        h = max(h, 0)
        if kind == "subslide":
            v += 1
        if cell["cell_type"] == "code":
            found.setdefault((h, v), i)
    return found


# RISE has done what it does after arriving on a slide: 450 ms later it makes the slide's first code cell
# the notebook's active cell, and moves the slideshow to that cell's slide. A key pressed before that
# timer fires races it (under load, the move could come after the key's and undo it).
JS_SETTLED = """(index) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  return !!cell && cell.classList.contains('jp-mod-active')
    && !!cell.closest('.reveal .slides section.present');
}"""


def _focus_state(frame) -> str:
    return frame.evaluate("""() => {
      const a = document.activeElement;
      return `focus in the slideshow: ${document.hasFocus()}, active element: `
        + (a ? a.tagName + '.' + a.className : '-') + '; ' + (window.__moves || []).join('; '); }""")


def test_presentation_mode_advances_slide_by_slide(lab_server, lab_page):
    nb = json.loads((NOTEBOOKS / NOTEBOOK).read_text(encoding="utf-8"))
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    starts = [i for i, kind in enumerate(kinds) if kind == "slide"]
    assert len(starts) >= 3 and starts[0] == 0, \
        f"{NOTEBOOK} has no slide metadata: its title and '## ' headings must be marked 'slide'"
    headings = [_heading(nb["cells"][i]) for i in starts]
    # The first slide that has a sub-slide (a long code cell), but not the last slide.
    with_sub = next(n for n, (a, b) in enumerate(zip(starts, starts[1:])) if "subslide" in kinds[a:b])
    selected = _auto_selected(nb["cells"])

    page = lab_page
    try:
        page.goto(lab_server.lab_url(NOTEBOOK), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function(JS_OPENED, arg=NOTEBOOK, timeout=120_000, polling=500)
        commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
        assert "RISE:preview" in commands, "JupyterLab has no RISE commands: is jupyterlab-rise installed?"

        page.evaluate(JS_PREVIEW)
        iframe = page.locator("iframe[src*='/rise/']")
        iframe.wait_for(state="attached", timeout=60_000)
        frame = iframe.element_handle().content_frame()
        assert frame is not None, "RISE's slideshow panel has no document"
        try:
            frame.wait_for_function(JS_STARTED, arg=len(starts), timeout=90_000, polling=250)
        except PlaywrightTimeout:
            raise AssertionError(f"RISE did not finish starting {len(starts)} slides in 90 s: "
                                 f"{frame.evaluate(JS_WHERE)}") from None
        frame.evaluate(JS_RECORD)
        start = frame.evaluate(JS_WHERE)
        assert (start["h"], start["v"]) == (0, 0), f"the slideshow did not start on the title: {start}"
        assert headings[0] in start["text"].lower(), start["text"]

        iframe.focus()  # RISE moves the focus on to its notebook (in command mode)
        try:
            frame.wait_for_function(JS_KEYS_REACH_REVEAL, timeout=30_000, polling=100)
        except PlaywrightTimeout:
            raise AssertionError(f"no keyboard focus in the slideshow: {_focus_state(frame)}") from None

        def press(key, h, v=0):
            """Press a key in the slideshow and wait until it shows slide (h, v)."""
            assert frame.evaluate(JS_KEYS_REACH_REVEAL), f"before {key}: {_focus_state(frame)}"
            page.keyboard.press(key)
            try:
                frame.wait_for_function(JS_AT, arg=[h, v], timeout=30_000, polling=100)
            except PlaywrightTimeout:
                raise AssertionError(f"{key} towards slide {(h, v)}: the slideshow stayed at "
                                     f"{frame.evaluate(JS_WHERE)} ({_focus_state(frame)})") from None
            where = frame.evaluate(JS_WHERE)
            if (h, v) in selected:
                try:
                    frame.wait_for_function(JS_SETTLED, arg=selected[(h, v)], timeout=30_000, polling=100)
                except PlaywrightTimeout:
                    raise AssertionError(f"{key}: RISE selected no cell {selected[(h, v)]} on slide "
                                         f"{(h, v)}: {_focus_state(frame)}") from None
            return where

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
