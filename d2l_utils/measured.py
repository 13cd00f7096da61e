"""Measured numbers a lesson asks the learner to compare (notebooks 05 and 06): printed after "≈", each
with the range it should fall in.

A number from floating-point training or inference differs in its last digits between machines, so the
notebooks print it after "≈" (the test-suite ignores those digits). Where the learner should see what to
expect, the cell calls ``measured`` with the range; outside that range nothing stops: the learner reads one
plain sentence, which fails the test-suite. The ranges of the other printed numbers, and the claims of the
text, are checked by the test-suite on every run (notebooks/claims/NN.json), not in the learner's cells.
"""

from __future__ import annotations

__all__ = [
    "measured",
]

_AFTER_A_CHANGE = ("That is expected if you changed something above; if you changed nothing, "
                   "re-run the notebook from the top (Kernel > Restart and Run All).")


def measured(what: str, value: float, low: float, high: float, fmt: str = ".2f", unit: str = "") -> float:
    """Print ``what ≈ value`` and, when ``value`` lies outside ``[low, high]``, one sentence saying
    which range the lesson expects and that a change of settings explains it. Returns ``value``."""
    value = float(value)
    print(f"{what} ≈ {value:{fmt}}{unit}")
    if not low <= value <= high:
        print(f"  Note: the lesson expects {what} between {low:{fmt}}{unit} and {high:{fmt}}{unit}, "
              f"and this run gave {value:{fmt}}{unit}. {_AFTER_A_CHANGE}")
    return value
