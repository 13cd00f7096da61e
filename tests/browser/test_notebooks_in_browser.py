"""Every notebook, run top to bottom in JupyterLab in a real browser (Debian's chromium).

For each ``notebooks/NN_*.ipynb``: open it, Run All Cells, wait for the kernel, then check that
every code cell ran without an error and that the figures were drawn. Notebooks that show one of
the ``d2l_utils`` explorers are also played with: a dropdown choice and a slider move must change
what is shown. Notebooks that train must print their per-epoch lines. A screenshot of each whole
notebook goes to artifacts/screenshots/.

`make test` runs here only the notebooks with an explorer (what needs a browser; nbval runs every
notebook already); the others are marked `full` and run in `make test-all`.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_env import NOTEBOOKS, SCREENSHOTS
from nbtools import NOTEBOOK_GLOB, notebook_paths

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = float(os.environ.get("BROWSER_NOTEBOOK_TIMEOUT", "1200"))
USES_EXPLORERS = re.compile(r"\b(ConvExplorer|DatasetBrowser|PredictionExplorer|ShapeCalculator)\s*\(|"
                            r"^\s*import\s+ipywidgets|^\s*from\s+ipywidgets\s+import", re.M)
EPOCH_LINE = re.compile(r"^epoch +\d+, loss", re.M)
DRAWS = re.compile(r"\bplt\.|matplotlib|show_images|show_fashion_mnist|plot_history|\.imshow\(")


def _notebooks():
    """Every notebook; those without an explorer (nbval runs them in `make test`) are marked `full`:
    `make test` runs only the notebooks whose explorers need a browser, `make test-all` all of them."""
    found = notebook_paths(NOTEBOOKS)
    if not found:
        return [pytest.param(None, id="no-notebooks")]
    return [pytest.param(p, id=p.name, marks=() if _read(p)["widgets"] else pytest.mark.full) for p in found]


def _read(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    source = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in code)

    def has_image(cell):
        return any(k.startswith("image/") for o in cell.get("outputs", []) for k in o.get("data", {}))

    return {
        "source": source,
        # Indices (among all cells) of the code cells whose saved outputs hold a figure.
        "image_cells": [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and has_image(c)],
        "widgets": bool(USES_EXPLORERS.search(source)),
        # Saved with per-epoch training lines: the browser run must print them too.
        "trains": any(EPOCH_LINE.search("".join(o.get("text", ""))) for c in code
                      for o in c.get("outputs", []) if o.get("output_type") == "stream"),
        "draws": bool(DRAWS.search(source)),
    }


# --- JavaScript run in the page (window.jupyterapp is exposed by the server fixture) ----------------

JS_READY = """(name) => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== name || !w.context.isReady || !w.content) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && w.content.widgets.length > 0;
}"""

JS_RUN_ALL = """() => {
  window.__run = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__run = {ok: ok}; }, err => { window.__run = {error: String(err)}; });
}"""

JS_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const busy = [...w.content.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
  return !!kernel && kernel.status === 'idle' && !busy;
}"""

JS_CELLS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.content.widgets.map((cell, index) => {
    const m = cell.model;
    const info = {index, type: m.type, source: m.sharedModel.getSource().split('\\n')[0].slice(0, 90)};
    if (m.type !== 'code') return info;
    const outputs = m.outputs.toJSON();
    const area = cell.node.querySelector('.jp-Cell-outputArea') || cell.node;
    return Object.assign(info, {
      count: m.executionCount,
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      // Tracebacks rendered anywhere in the cell, e.g. inside an interact() Output widget.
      tracebacks: [...area.querySelectorAll('.jp-OutputArea-output')]
        .map(o => o.innerText).filter(t => /Traceback \\(most recent call last\\)/.test(t))
        .map(t => t.slice(0, 400)),
      stdout: outputs.filter(o => o.output_type === 'stream' && o.name === 'stdout')
        .map(o => Array.isArray(o.text) ? o.text.join('') : o.text).join(''),
      images: area.querySelectorAll('img').length,
      widgets: outputs.some(o => o.data && o.data['application/vnd.jupyter.widget-view+json']),
    });
  });
}"""

# What an explorer shows: images and output text, not its controls (a slider's readout would change
# with the slider whatever the explorer does).
JS_SHOWN = """(cell) => {
  const area = cell.querySelector('.jp-Cell-outputArea') || cell;
  const parts = [...area.querySelectorAll('img')].map(i => 'img ' + i.src);
  for (const e of area.querySelectorAll('.widget-output, .widget-html-content, .widget-label, '
                                        + '.widget-textarea textarea, .widget-text input')) {
    parts.push('text ' + (e.value !== undefined && e.tagName !== 'DIV' ? e.value : e.innerText));
  }
  return parts.join('\\n');
}"""


def _cell_locator(page, index):
    """The index-th cell of the notebook in view (other notebooks' cells may be in the DOM too)."""
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    return page.locator(f"[id='{panel}'] .jp-Notebook .jp-Cell").nth(index)


# The explorer shows something else than `before`, and has finished: the kernel is idle (its callback has
# sent all its output) and every image has loaded.
JS_SHOWS_ANOTHER_VIEW = """([cell, before]) => {
  const shown = (""" + JS_SHOWN + """)(cell);
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const images = [...cell.querySelectorAll('.jp-Cell-outputArea img')];
  return shown !== before && shown.trim() !== '' && !!kernel && kernel.status === 'idle'
    && images.every(i => i.complete && i.naturalWidth > 0);
}"""


def _wait_shown_changes(page, cell, before, what, timeout_s=60):
    """Wait until the explorer shows something else, drawn completely."""
    try:
        page.wait_for_function(JS_SHOWS_ANOTHER_VIEW, arg=[cell.element_handle(), before],
                               timeout=timeout_s * 1000, polling=200)
    except PlaywrightTimeout:
        raise AssertionError(f"{what}: nothing shown by the explorer changed within {timeout_s} s") from None


def _play_with_explorers(page, cells) -> list[str]:
    """Pick another option in the first dropdown and move the first slider of every widget cell."""
    played = []
    for info in cells:
        if info["type"] != "code" or not info["widgets"]:
            continue
        cell = _cell_locator(page, info["index"])
        label = f"cell {info['index']} ({info['source']!r})"
        dropdowns = cell.locator(".widget-dropdown select")
        if dropdowns.count():
            select = dropdowns.first
            options = select.locator("option")
            n = options.count()
            if n > 1:
                current = select.evaluate("s => s.selectedIndex")
                before = cell.evaluate(JS_SHOWN)
                select.select_option(index=(current + 1) % n)
                _wait_shown_changes(page, cell, before, f"{label}: dropdown option {(current + 1) % n}")
                played.append(f"{label}: dropdown")
        handles = cell.locator(".widget-slider .noUi-handle")
        if handles.count():
            handle = handles.first
            before = cell.evaluate(JS_SHOWN)
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.focus()
            handle.press("ArrowLeft" if at_max else "ArrowRight")
            _wait_shown_changes(page, cell, before, f"{label}: slider moved")
            played.append(f"{label}: slider")
    return played


def _screenshot(page, path: Path) -> None:
    """The whole notebook: the viewport is stretched to the height of the scrolled panel."""
    try:
        height = page.evaluate("""() => {
          const panel = window.jupyterapp.shell.currentWidget;
          const outer = panel && panel.node.querySelector('.jp-WindowedPanel-outer');
          if (!outer) return 1000;
          outer.scrollTop = 0;  // Run All leaves it scrolled to the end
          return outer.scrollHeight; }""")
        page.set_viewport_size({"width": 1400, "height": int(min(max(height + 200, 1000), 15000))})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
    except Exception as err:  # a failed screenshot must not hide the test's own failure
        print(f"screenshot failed: {err}")


@pytest.mark.parametrize("notebook", _notebooks())
def test_notebook_runs_in_jupyterlab(notebook, lab_server, lab_page):
    assert notebook is not None, f"no notebook matches {NOTEBOOKS}/{NOTEBOOK_GLOB}"
    page, expect = lab_page, _read(notebook)
    started = time.monotonic()
    try:
        page.goto(lab_server.lab_url(notebook.name), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function(JS_READY, arg=notebook.name, timeout=180_000, polling=500)

        page.evaluate(JS_RUN_ALL)
        page.wait_for_function("() => window.__run !== null", timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        run = page.evaluate("() => window.__run")
        page.wait_for_function(JS_IDLE, timeout=120_000, polling=500)
        cells = page.evaluate(JS_CELLS)
        code = [c for c in cells if c["type"] == "code"]

        problems = [f"cell {c['index']} ({c['source']!r}): {e}" for c in code for e in c["errors"]]
        problems += [f"cell {c['index']} ({c['source']!r}) shows a traceback:\n{t}"
                     for c in code for t in c["tracebacks"] if not c["errors"]]
        assert not problems, "errors in the notebook:\n" + "\n".join(problems)
        assert "error" not in run, f"Run All failed: {run['error']}"
        not_run = [f"cell {c['index']} ({c['source']!r})" for c in code
                   if c["count"] is None and c["source"].strip()]
        assert not not_run, f"cells not executed: {not_run}"

        if expect["image_cells"]:
            no_figure = [f"cell {i} ({cells[i]['source']!r})" for i in expect["image_cells"]
                         if cells[i]["images"] == 0]
            assert not no_figure, f"saved with a figure, but none was drawn in the browser: {no_figure}"
        if expect["draws"] or expect["image_cells"]:
            assert sum(c["images"] for c in code) > 0, "the notebook draws figures but no image rendered"

        if expect["trains"]:
            epochs = [c["index"] for c in code if EPOCH_LINE.search(c["stdout"])]
            assert epochs, "the notebook trains, but no cell printed a per-epoch line"

        if expect["widgets"]:
            assert any(c["widgets"] for c in code), "the notebook uses widgets but none was displayed"
            played = _play_with_explorers(page, cells)
            assert played, "no explorer offered a dropdown or slider to play with"
            print("\n".join(["explorers changed their view on:", *played]))
            # The explorers' callbacks must not have failed either.
            after = page.evaluate(JS_CELLS)
            broken = [t for c in after if c["type"] == "code" for t in c["tracebacks"]]
            assert not broken, "an explorer failed after interaction:\n" + "\n".join(broken)

        assert not page.outside_requests, f"the page tried to reach the network: {page.outside_requests}"
    finally:
        _screenshot(page, SCREENSHOTS / f"{notebook.stem if notebook else 'none'}.png")
        print(f"{notebook.name if notebook else '-'}: {time.monotonic() - started:.0f} s in the browser")
