"""Paths and settings shared by the browser tests' fixtures (conftest.py) and tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The folder served by JupyterLab and searched for NN_*.ipynb (another one only to develop the tests).
NOTEBOOKS = Path(os.environ.get("BROWSER_NOTEBOOKS_DIR") or ROOT / "notebooks").resolve()
SCREENSHOTS = ROOT / "artifacts" / "screenshots"  # git-ignored
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
