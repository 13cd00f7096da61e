"""Measured numbers in the lessons (every notebook): printed after "≈", each with the range it should fall in.

A number from floating-point training or inference differs in its last digits between machines, so the
notebooks print it after "≈" (the test-suite ignores those digits) and say which range it should fall in.
Outside that range nothing stops: the learner reads one plain sentence, which fails the test-suite.
"""

from __future__ import annotations

__all__ = [
    "expect",
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


def expect(holds: object, claim: str) -> bool:
    """Print nothing when ``holds`` is true; otherwise one sentence saying that this run does not show
    ``claim`` (what the text says), and that a change of settings explains it. Returns ``bool(holds)``."""
    if not holds:
        print(f"Note: the lesson says {claim}, but this run does not show it. {_AFTER_A_CHANGE}")
    return bool(holds)
