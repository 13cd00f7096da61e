"""Checks of notebook 03 that must compute (named in 03.json): each returns None for a right answer,
``...`` for an answer not written yet, or a hint."""

from d2l_utils import ShapeCalculator


def conv1_settings(answer):
    """Exercise 5: any setting of the first convolution that brings the flattened size back to 400,
    given as a dict such as dict(k1=5, p1=2, s1=1) or as a ShapeCalculator; the calculator checks it."""
    if isinstance(answer, ShapeCalculator):
        values = answer.values
        if values["k2"] != 3 or any(values[n] != ShapeCalculator.DEFAULTS[n] for n in ("p2", "s2", "pool")):
            return "keep the second convolution's kernel at 3 and change only k1, p1 and s1."
        if answer.size != 28:
            return "keep the 28×28 input."
        answer = {name: values[name] for name in ("k1", "p1", "s1")}
    if not isinstance(answer, dict):
        return "give the first convolution's settings as a dict, such as dict(k1=5, p1=2, s1=1)."
    if others := sorted(set(answer) - {"k1", "p1", "s1"}):
        return f"change only the first convolution (k1, p1, s1), not {', '.join(others)}."
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in answer.values()):
        return "give the settings as whole numbers, such as dict(k1=5, p1=2, s1=1)."
    calc = ShapeCalculator(static=True, k2=3, **answer)
    if calc.error is None:
        return None
    name, shape = calc.shapes[-1]
    if name == "Flatten":
        return (f"with these settings the flatten layer gets {shape[-1]} values, not 400. The 3×3 second "
                "convolution loses 2 rows: what must the first pooling deliver?")
    return calc.error
