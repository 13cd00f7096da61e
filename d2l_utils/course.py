"""Exercise self-checks and closing quizzes (every notebook), read from ``notebooks/exercises/NN.json``.

``check("05.2", answer)`` prints "Correct! <why>", "Not yet: <a hint>" (never the solution) or "Write your
answer first: <what to write>". ``quiz("05")`` shows each option as an HTML ``<details>`` that opens on its
feedback (no JavaScript), as text elsewhere. The file format: ``notebooks/exercises/README.md``.
"""

from __future__ import annotations

import html
import importlib.util
import json
import math
import re
from pathlib import Path

import torch

from .data import TEXT_LABELS

__all__ = ["check", "grade", "quiz", "Quiz"]


def _folders() -> list[Path]:  # a notebook runs in notebooks/, pytest and scripts in the repository root
    here, repo = Path.cwd(), Path(__file__).parents[1]
    return [here / "exercises", here / "notebooks" / "exercises", repo / "notebooks" / "exercises"]


def _file(name: str) -> Path | None:
    return next((f / name for f in _folders() if (f / name).is_file()), None)


def content(notebook: str | int) -> dict:
    """The exercises and the quiz of ``notebook`` ("05" or 5): ``exercises/NN.json``."""
    key = f"{int(notebook):02d}"
    if (path := _file(f"{key}.json")) is None:
        raise FileNotFoundError(
            f"The course content of notebook {key} ({key}.json) is in no notebooks/exercises/ folder: "
            f"looked in {', '.join(map(str, _folders()))}. Run the notebook from the repository's "
            "notebooks/ folder (or Python from the repository root); if the folder is missing, "
            "restore it with `git checkout -- notebooks/exercises`.")
    return json.loads(path.read_text(encoding="utf-8"))  # read anew: edits show at once


_Form = type("_Form", (ValueError,), {"__doc__": "An answer of the wrong form; its text is the hint."})


def _value(form: str, x, label: str):
    """The answer ``x`` as a comparable value: float, int, bool, class label, choice, tuple, frozenset."""
    if torch.is_tensor(x):
        x = x.item() if x.numel() == 1 and form not in ("list", "set") else x.tolist()
    if form == "boolean" and not (isinstance(x, bool) or type(x).__name__ == "bool_"):  # or numpy's bool
        raise _Form(f"write {label} as True or False, not {x!r}")
    if form in ("boolean", "choice"):
        return bool(x) if form == "boolean" else str(x).strip().lower()
    if form == "class" and isinstance(x, str):
        if x.strip().lower() not in (names := [n.lower() for n in TEXT_LABELS]):
            raise _Form(f"{x!r} is not a class name; the names are in TEXT_LABELS")
        return names.index(x.strip().lower())
    if form in ("list", "set"):
        items = [x] if isinstance(x, (str, int)) else x
        if not isinstance(items, (tuple, list, set, frozenset, torch.Size)):
            raise _Form(f"give {label} as a {'set' if form == 'set' else 'tuple'} such as (1, 2), not {x!r}")
        items = [v.strip() if isinstance(v, str) else _value("integer", v, label) for v in items]
        return tuple(items) if form == "list" else frozenset(items)
    if isinstance(x, (bool, str)) or not hasattr(x, "__float__"):
        raise _Form(f"give {label} as a number, not {type(x).__name__} {x!r}")
    if not math.isfinite(value := float(x)) or form != "number" and value != int(value):
        raise _Form(f"give {label} as a {'number' if form == 'number' else 'whole number'}, not {value}")
    return value if form == "number" else int(value)


def _holds(condition: dict, key: str, form: str, v) -> bool:
    """Whether ``v`` meets ``condition``: {key: value, "tol": t, "rel": r} or {"range": [low, high]}."""
    if "range" in condition:
        return condition["range"][0] <= v <= condition["range"][1]
    target = _value(form, condition[key], "the content file's value")
    if form == "number":
        return abs(v - target) <= max(condition.get("tol", 1e-9), condition.get("rel", 0) * abs(target))
    return v == target


def _hint(notebook: str, spec: dict, answer):
    """None for a right answer, ``...`` for one not written yet, otherwise the hint."""
    if answer is None or answer is ... or isinstance(answer, (tuple, list)) and None in answer:
        return ...
    if spec["form"] == "code":  # a function of exercises/NN.py, with the same three outcomes
        module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(
            f"exercises_{notebook}", _file(f"{notebook}.py")))
        module.__spec__.loader.exec_module(module)
        return getattr(module, spec["function"])(answer)
    form, label = spec["form"], spec.get("label", "the answer")
    v = _value(form, answer, label)
    if form == "list" and (n := len(spec["right"])):
        v = v[1:] if len(v) == n + 1 and v[0] == 1 else v  # a shape with or without a batch of 1
        if len(v) != n:
            raise _Form(f"give {label} as {n} whole numbers")
    if _holds(spec, "right", form, v):
        return None
    return next((h["hint"] for h in spec.get("hints", []) if _holds(h, "is", form, v)), spec["otherwise"])


def grade(exercise: str, *answers: object) -> tuple[bool, str]:
    """``(right, message)`` for exercise "NN.k" without printing it (``check`` prints the message)."""
    notebook, _, k = str(exercise).partition(".")
    exercises = content(notebook)["exercises"]
    if k not in exercises:
        raise KeyError(f"no exercise {exercise!r}; notebook {notebook} has {', '.join(exercises)}")
    spec = exercises[k]
    if len(answers) != len(spec["answers"]):
        raise TypeError(f'check("{exercise}", ...) takes {len(spec["answers"])} answer(s): {spec["asks"]}')
    hints = []
    for part, answer in zip(spec["answers"], answers):
        try:
            hints.append(_hint(notebook, part, answer))
        except _Form as err:
            hints.append(f"{err}.")
    if ... in hints:
        return False, f"Write your answer first: {spec['asks']}"
    if hints == [None] * len(hints):
        return True, f"Correct! {spec['why']}"
    if len(hints) == 1:
        return False, f"Not yet: {hints[0]}"
    notes = [f"{p['label']} — {h}" for p, h in zip(spec["answers"], hints) if h is not None]
    if right := [p["label"] for p, h in zip(spec["answers"], hints) if h is None]:
        notes.append(f"{' and '.join(right)} {'is' if len(right) == 1 else 'are'} right.")
    return False, "Not yet: " + " ".join(n if i == 0 else n[:1].upper() + n[1:] for i, n in enumerate(notes))


def check(exercise: str, *answers: object) -> None:
    """Check the answer(s) to exercise "NN.k" and print the verdict (under every exercise)."""
    print(grade(exercise, *answers)[1])


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _feedback(q: dict, letter: str) -> str:
    return f"✔ Correct: {q['why']}" if letter == q["answer"] else f"✘ Not quite: {q['hints'][letter]}"


class Quiz:
    """The questions of one notebook, shown as clickable HTML (no JavaScript) or as plain text."""

    def __init__(self, notebook: str, questions: list[dict]) -> None:
        self.notebook, self.questions = notebook, questions

    def _repr_html_(self) -> str:
        parts = [f'<div class="d2l-quiz"><p><strong>Quiz · notebook {self.notebook}</strong>'
                 " — click an option to see whether it is right.</p>"]
        for i, q in enumerate(self.questions, 1):
            parts.append(f"<p><strong>{i}.</strong> {_inline(q['question'])}</p>")
            parts += [f"<details><summary>{k}. {_inline(text)}</summary><p>{_inline(_feedback(q, k))}</p>"
                      "</details>" for k, text in q["options"].items()]
        return "\n".join(parts + ["</div>"])

    def __repr__(self) -> str:
        lines = [f"Quiz · notebook {self.notebook}. Open the notebook in JupyterLab and click an option, "
                 f'or ask here: quiz("{self.notebook}").answer(1, "A").']
        for i, q in enumerate(self.questions, 1):
            lines += [f"\n{i}. {q['question']}"] + [f"   {k}. {text}" for k, text in q["options"].items()]
        return "\n".join(lines)

    def answer(self, question: int, letter: str) -> None:
        """Print the feedback for option ``letter`` of question ``question`` (counted from 1)."""
        key, n = str(letter).strip().upper(), len(self.questions)
        if not 1 <= question <= n or key not in self.questions[question - 1]["options"]:
            options = ", ".join(self.questions[question - 1]["options"]) if 1 <= question <= n else "A"
            raise ValueError(f"There is no option {letter!r} of question {question}: choose a question "
                             f"from 1 to {n} and one of its options ({options}).")
        print(_feedback(self.questions[question - 1], key))


def quiz(notebook: str | int) -> Quiz:
    """The quiz that ends notebook ``notebook`` ("05" or 5); leave it as a cell's last line to show it."""
    return Quiz(f"{int(notebook):02d}", content(notebook)["quiz"])
