"""Root pytest configuration: the markers of the tiers, the browser tests skipped in one line where no
Chromium exists, and nbval comparing stdout and rich outputs, never stderr.

Warnings and library chatter on stderr vary between machines and versions and say nothing about the
lesson, so they are dropped from both sides of nbval's comparison.
"""

import os
from pathlib import Path

import pytest

try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval not installed: nothing to adjust
    IPyNbCell = None

if IPyNbCell is not None:
    _compare = IPyNbCell.compare_outputs

    def _without_stderr(outputs):
        return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]

    def compare_outputs(self, test, ref, skip_compare=None):
        return _compare(self, _without_stderr(test), _without_stderr(ref), skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


def chromium() -> str:
    """The Chromium the browser tests drive (tests/browser/browser_env.py reads the same variable)."""
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_configure(config):
    config.addinivalue_line("markers", "full: a browser test that only `make test-all` runs (a notebook "
                                       "without an explorer, which nbval already runs in `make test`)")


def pytest_collection_modifyitems(config, items):
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser and not Path(chromium()).exists():
        reason = f"no Chromium at {chromium()}: browser tests skipped (`make chromium`, or CHROMIUM=path)"
        print(f"\n{len(browser)} {reason}")
        for item in browser:
            item.add_marker(pytest.mark.skip(reason=reason))
