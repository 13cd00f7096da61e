"""Root pytest configuration, for nbval over notebooks/ as for tests/: nbval compares stdout and rich
outputs, never stderr. (The tiers' markers are declared in pyproject.toml; tests/conftest.py skips the
browser tests where no Chromium exists.)

Warnings and library chatter on stderr vary between machines and versions and say nothing about the
lesson, so they are dropped from both sides of nbval's comparison.
"""

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
