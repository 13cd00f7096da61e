"""Paths and settings shared by the browser tests' fixtures (conftest.py) and tests."""

from __future__ import annotations

import os
from pathlib import Path

from nbtools import NOTEBOOKS_DIR, ROOT, chromium

# The folder served by JupyterLab and searched for NN_*.ipynb (another one only to develop the tests).
NOTEBOOKS = Path(os.environ.get("BROWSER_NOTEBOOKS_DIR") or NOTEBOOKS_DIR).resolve()
SCREENSHOTS = ROOT / "artifacts" / "screenshots"  # git-ignored
CHROMIUM = chromium()
