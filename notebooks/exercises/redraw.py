"""Draw the position of each quiz question's right option, seeded, and record the seed: for instructors.

    python notebooks/exercises/redraw.py 05        # one quiz (or several: 01 04 07, or all)

Run it after adding or removing a question (a new question changes the whole quiz's draw). For quiz NN it
tries seed 0, 1, 2, ... and keeps the first draw that the rule accepts (the rule of tests/test_quiz.py, stated
in README.md beside this file): a quiz of four questions is not answered by A, B, C and D once each, and, with
the other quizzes as they are stored, each letter is right in 15% to 35% of all questions. It then moves each
right option to its drawn letter, the wrong options keeping their order and their hints, and writes the seed
as "quiz_seed". Learners never run it; d2l_utils does not import it.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
LETTERS = "ABCD"
SHARE = (0.15, 0.35)  # each letter's share of the right answers over all quizzes


def draw(notebook: str, seed: int, n: int) -> str:
    """The right letters of an n-question quiz of ``notebook`` drawn with ``seed``, e.g. "CADA"."""
    rng = random.Random(f"quiz {notebook} seed {seed}")  # a str seed hashes the same on every Python 3
    return "".join(rng.choice(LETTERS) for _ in range(n))


def permutation(letters: str) -> bool:
    """A four-question quiz answered by A, B, C and D once each: its last answer can be deduced."""
    return sorted(letters) == list(LETTERS)


def shares(letters: str) -> dict[str, float]:
    """Each letter's share of ``letters`` (all quizzes' right letters, joined)."""
    counts = Counter(letters)
    return {k: counts[k] / len(letters) for k in LETTERS}


def accepted(letters: str, others: str) -> bool:
    """The rule: the quiz is no permutation of A-D, and with the others' letters every share is in SHARE."""
    low, high = SHARE
    return not permutation(letters) and all(low <= s <= high for s in shares(letters + others).values())


def place(question: dict, letter: str) -> dict:
    """``question`` with its right option at ``letter``, the wrong ones at the others in their order."""
    right = question["answer"]
    wrong = [(question["options"][k], question["hints"][k]) for k in LETTERS if k != right]
    rest = [k for k in LETTERS if k != letter]
    options = {letter: question["options"][right]} | {k: text for k, (text, _) in zip(rest, wrong)}
    return question | {"options": {k: options[k] for k in LETTERS}, "answer": letter,
                       "hints": {k: hint for k, (_, hint) in zip(rest, wrong)}}


def load(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("[0-9][0-9].json"))}


def redraw(notebook: str, folder: Path = FOLDER) -> tuple[str, int]:
    """Redraw quiz ``notebook`` in ``folder`` by the rule, write it, and return its letters and seed."""
    contents = load(folder)
    if notebook not in contents:
        raise SystemExit(f"redraw.py: there is no {notebook}.json in {folder}; "
                         f"the quizzes are {', '.join(contents)}")
    data = contents[notebook]
    others = "".join(q["answer"] for nb, c in contents.items() if nb != notebook for q in c.get("quiz", []))
    n = len(data["quiz"])
    seed = next((s for s in range(100_000) if accepted(draw(notebook, s, n), others)), None)
    if seed is None:
        raise SystemExit(f"redraw.py: no seed below 100,000 satisfies the rule for quiz {notebook}; "
                         "first redraw the quizzes whose letters pull a share out of 15-35%")
    letters = draw(notebook, seed, n)
    data["quiz"] = [place(q, k) for q, k in zip(data["quiz"], letters)]
    data["quiz_seed"] = seed
    path = folder / f"{notebook}.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return letters, seed


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        raise SystemExit(__doc__)
    if argv != ["all"] and not all(a.isdigit() for a in argv):
        raise SystemExit(f"redraw.py: name each quiz by its notebook's number (05 or 5), or all; not {argv}")
    for notebook in sorted(load(FOLDER)) if argv == ["all"] else [f"{int(a):02d}" for a in argv]:
        letters, seed = redraw(notebook)
        print(f"quiz {notebook}: {letters} (seed {seed})")


if __name__ == "__main__":
    main(sys.argv[1:])
