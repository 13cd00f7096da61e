"""Root pytest configuration, for nbval over notebooks/ as for tests/: nbval compares stdout and rich
outputs, never stderr, and checks the numbers and claims of each notebook's table on the fresh outputs.
(The tiers' markers are declared in pyproject.toml; tests/conftest.py skips the browser tests where no
Chromium exists.)

Warnings and library chatter on stderr vary between machines and versions and say nothing about the
lesson, so they are dropped from both sides of nbval's comparison.

nbval compares a measured number ("what ≈ value") only through the sanitiser's mask, so the value itself is
checked here, on the run nbval has just made: each notebook's table, notebooks/claims/NN.json (read by
tests/notebook_claims.py), names the lines its cells print, the range of each number and the claims of the
text about them. A number out of its range, or a claim that does not hold, fails the cell that printed it.
"""

import importlib.util
import sys
from pathlib import Path

try:
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval not installed: nothing to adjust
    IPyNbCell = None

if IPyNbCell is not None:
    _spec = importlib.util.spec_from_file_location(
        "notebook_claims", Path(__file__).resolve().parent / "tests" / "notebook_claims.py")
    notebook_claims = sys.modules.setdefault("notebook_claims", importlib.util.module_from_spec(_spec))
    if not hasattr(notebook_claims, "Table"):
        _spec.loader.exec_module(notebook_claims)

    _compare = IPyNbCell.compare_outputs

    def _without_stderr(outputs):
        return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]

    def _claims_table(notebook):
        """The notebook's table, loaded once per nbval run of it (it keeps the numbers read so far)."""
        if not hasattr(notebook, "claims_table"):
            notebook.claims_table = notebook_claims.table_for(Path(str(notebook.fspath)))
        return notebook.claims_table

    def compare_outputs(self, test, ref, skip_compare=None):
        same = _compare(self, _without_stderr(test), _without_stderr(ref), skip_compare)
        table = _claims_table(self.parent)
        problems = [] if table is None else table.check_cell(self.cell.source, test)
        if problems:
            self.comparison_traceback[:0] = [
                "The run leaves the lesson's ranges or claims:", *(f"  {p}" for p in problems), ""]
        return same and not problems

    IPyNbCell.compare_outputs = compare_outputs
