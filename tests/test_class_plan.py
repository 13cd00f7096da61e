"""The class plan in notebooks/TEACHING.md, the core/optional marks in the notebooks' headings and the
notebooks' "Time" lines agree.

- Every numbered section heading ends in "(core)" or "(optional)"; a ``###`` part may end in "(optional)".
- TEACHING.md's "Minutes, section by section" lists every part of every notebook with its mark, and its
  minutes add up to the notebook's Time line: the core to its first time, the optional parts to the minutes
  it gives for them, the core and the exercises to its time with exercises (each to the nearest 5 minutes).
- Each class plan (a table under a "### Path …" heading whose title names its length, "90-minute" or
  "45-minute") runs from minute 0 to its length without a gap, names only sections that exist in their
  notebook and are core there, in the notebook's order, exercises that exist with their own minutes, and
  quiz questions that exist; the 90-minute path and the two 45-minute paths are there.

Each check is a function returning the problems it found, so the tests at the end can show that each one
catches a broken copy of the plan, of a notebook or of a Time line.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache

import pytest

from nbtools import BY_NUMBER, NOTEBOOKS, NOTEBOOKS_DIR

TEACHING = NOTEBOOKS_DIR / "TEACHING.md"
MARK = re.compile(r"^(?P<name>.*?)(?: \((?P<mark>core|optional)\))?$")
NUMBERED = re.compile(r"^\d+\. ")
PLAIN = {"Set-up", "Summary", "Exercises", "Quiz"}  # every path has them; they carry no mark
SPAN = re.compile(r"^(\d+)\s*[–-]\s*(\d+)$")
EXERCISE = re.compile(r"^exercise (\d+) \((\d+) min\)$")
QUIZ = re.compile(r"^quiz (Q\d+(?:, Q\d+)*)$")
TIME = re.compile(r"\*\*Time:\*\* about (\d+) minutes")
WITH_EXERCISES = re.compile(r"about (\d+) minutes with the exercises")
OPTIONAL_MORE = re.compile(r"about (\d+) minutes more for the parts? marked \*\(optional\)\*")
ROUNDING = 2.5  # times are rounded to the nearest 5 minutes


# --- reading ---------------------------------------------------------------------------------------------


def tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every markdown table of ``text`` under the heading above it: heading -> rows as {column: cell}."""
    found: dict[str, list[dict[str, str]]] = {}
    heading, columns = None, None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, columns = line.lstrip("#").strip(), None
        elif line.startswith("|") and heading is not None:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if columns is None:
                columns = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                found.setdefault(heading, []).append(dict(zip(columns, cells, strict=True)))
        else:
            columns = None
    return found


def parts(cells: list[dict]) -> list[tuple[str, str, int]]:
    """A notebook's headings as (name without its mark, mark, level): the mark is "core", "optional" or ""."""
    found = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or not source.startswith("##"):
            continue
        line = source.splitlines()[0]
        level = len(line) - len(line.lstrip("#"))
        m = MARK.match(line.lstrip("#").strip())
        found.append((m["name"], m["mark"] or "", level))
    return found


def timed_parts(cells: list[dict]) -> list[tuple[str, str]]:
    """The parts that have minutes of their own, in order: every ``##`` section but the exercises (the plain
    ones counted as core), and every ``###`` part headed (optional)."""
    return [(name, mark or "core") for name, mark, level in parts(cells)
            if (level == 2 and name != "Exercises") or (level == 3 and mark == "optional")]


def exercise_count(cells: list[dict]) -> int:
    numbers = {m.group(1) for cell in cells if cell["cell_type"] == "markdown"
               for m in [re.match(r"\*\*Exercise (\d+)", "".join(cell["source"]))] if m}
    return len(numbers)


@cache
def notebook_cells(number: str) -> list[dict]:
    return json.loads(BY_NUMBER[number].read_text(encoding="utf-8"))["cells"]


def quiz_count(number: str) -> int:
    data = (NOTEBOOKS_DIR / "exercises" / f"{number}.json").read_text(encoding="utf-8")
    return len(json.loads(data)["quiz"])


def minutes_table(text: str) -> dict[str, list[dict[str, str]]]:
    """TEACHING.md's "Minutes, section by section", by notebook number."""
    rows = tables(text).get("Minutes, section by section", [])
    by_notebook: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_notebook.setdefault(row["notebook"], []).append(row)
    return by_notebook


def exercise_minutes(rows: list[dict[str, str]]) -> list[int]:
    found = [row["minutes"] for row in rows if row["section"] == "Exercises"]
    return [int(m) for m in found[0].split("+")] if found else []


def plans(text: str) -> dict[str, tuple[int, list[dict[str, str]]]]:
    """The class plans: heading -> (its length in minutes, its rows)."""
    found = {}
    for heading, rows in tables(text).items():
        m = re.match(r"Path\b.*?\b(\d+)-minute", heading)
        if m:
            found[heading] = (int(m.group(1)), rows)
    return found


# --- the checks --------------------------------------------------------------------------------------------


def mark_problems(number: str, cells: list[dict]) -> list[str]:
    problems = []
    for name, mark, level in parts(cells):
        where = f"{number}: heading {name!r}"
        if level == 2 and NUMBERED.match(name) and not mark:
            problems.append(f"{where} ends in neither (core) nor (optional)")
        if level == 2 and name in PLAIN and mark:
            problems.append(f"{where} is on every path: no mark")
        if level == 3 and mark == "core":
            problems.append(f"{where}: a ### part is core with its section; only (optional) marks one")
        if "*(optional)*" in name or "*(core)*" in name:
            problems.append(f"{where}: the mark is plain '(optional)' or '(core)' at the end")
    return problems


def time_problems(number: str, cells: list[dict], rows: list[dict[str, str]]) -> list[str]:
    """The minutes table's rows for one notebook against its headings and its Time line."""
    if not rows:
        return [f"{number}: no rows in TEACHING.md's 'Minutes, section by section'"]
    problems = []
    listed = [(row["section"], row["mark"]) for row in rows if row["mark"] != "exercises"]
    if listed != timed_parts(cells):
        problems.append(f"{number}: the minutes table lists {listed}, "
                        f"the notebook's headings are {timed_parts(cells)}")
    minutes = {"core": 0, "optional": 0}
    for row in rows:
        if row["mark"] in minutes:
            minutes[row["mark"]] += int(row["minutes"])
    exercises = exercise_minutes(rows)
    if len(exercises) != exercise_count(cells):
        problems.append(f"{number}: minutes for {len(exercises)} exercises, "
                        f"the notebook has {exercise_count(cells)}")
    head = "".join(cells[0]["source"])
    core, with_exercises, more = TIME.search(head), WITH_EXERCISES.search(head), OPTIONAL_MORE.search(head)
    if not (core and with_exercises):
        return problems + [f"{number}: the Time line gives no time, or none with the exercises"]
    if abs(minutes["core"] - int(core.group(1))) > ROUNDING:
        problems.append(f"{number}: the core parts add up to {minutes['core']} min, the Time line says "
                        f"{core.group(1)}")
    total = minutes["core"] + sum(exercises)
    if abs(total - int(with_exercises.group(1))) > ROUNDING:
        problems.append(f"{number}: the core and the exercises add up to {total} min, the Time line says "
                        f"{with_exercises.group(1)} with the exercises")
    if minutes["optional"] and not more:
        problems.append(f"{number}: {minutes['optional']} min of optional parts, "
                        "not on the Time line")
    if more and abs(minutes["optional"] - int(more.group(1))) > ROUNDING:
        problems.append(f"{number}: the optional parts add up to {minutes['optional']} min, "
                        f"the Time line says {more.group(1)} more")
    return problems


def plan_problems(heading: str, length: int, rows: list[dict[str, str]], text: str,
                  cells_of=notebook_cells) -> list[str]:
    problems, minute = [], 0
    last_index: dict[str, int] = {}
    table = minutes_table(text)
    for row in rows:
        where = f"{heading}, {row['minutes']}"
        span = SPAN.match(row["minutes"])
        if not span:
            problems.append(f"{where}: minutes read 'start–end'")
            continue
        start, end = int(span.group(1)), int(span.group(2))
        if start != minute or end <= start:
            problems.append(f"{where}: starts at {start}, the row above ended at {minute}")
        minute = end
        number, section, how = row["notebook"], row["section"], row["how"]
        if number not in BY_NUMBER:
            problems.append(f"{where}: no notebook {number}")
            continue
        headings = parts(cells_of(number))
        names = [name for name, _, _ in headings]
        if section not in names:
            problems.append(f"{where}: notebook {number} has no section {section!r}")
            continue
        index = names.index(section)
        if index < last_index.get(number, -1):
            problems.append(f"{where}: {section!r} comes before the plan's previous section of {number}")
        last_index[number] = index
        if headings[index][1] != "core" and section not in PLAIN:
            problems.append(f"{where}: {number}'s {section!r} is not marked (core)")
        exercise, quiz = EXERCISE.match(how), QUIZ.match(how)
        if exercise:
            k, m = int(exercise.group(1)), int(exercise.group(2))
            own = exercise_minutes(table.get(number, []))
            if section != "Exercises" or not 1 <= k <= len(own):
                problems.append(f"{where}: notebook {number} has no exercise {k}")
            elif own[k - 1] != m or end - start != m:
                problems.append(f"{where}: exercise {k} takes {own[k - 1]} min; "
                                f"the plan says {m} and gives it {end - start}")
        elif quiz:
            asked = [int(q[1:]) for q in quiz.group(1).split(", ")]
            if section != "Quiz" or not all(1 <= q <= quiz_count(number) for q in asked):
                problems.append(f"{where}: {number}'s quiz has questions 1 to {quiz_count(number)}, "
                                f"not {asked}")
        elif how not in ("live", "stored"):
            problems.append(f"{where}: 'how' is live, stored, 'exercise k (m min)' or 'quiz Q1, Q2', "
                            f"not {how!r}")
    if minute != length:
        problems.append(f"{heading}: the rows end at minute {minute}, not {length}")
    return problems


# --- the tests ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def teaching() -> str:
    return TEACHING.read_text(encoding="utf-8")


@pytest.mark.parametrize("number", list(BY_NUMBER), ids=[p.stem for p in NOTEBOOKS])
def test_each_section_is_marked_core_or_optional(number):
    cells = notebook_cells(number)
    assert any(mark for _, mark, _ in parts(cells)), f"{number} marks no section"
    assert mark_problems(number, cells) == []


@pytest.mark.parametrize("number", list(BY_NUMBER), ids=[p.stem for p in NOTEBOOKS])
def test_section_minutes_add_up_to_the_time_line(teaching, number):
    assert time_problems(number, notebook_cells(number), minutes_table(teaching).get(number, [])) == []


def test_the_minutes_table_names_only_notebooks_that_exist(teaching):
    assert set(minutes_table(teaching)) == set(BY_NUMBER)


def test_a_90_minute_path_and_two_45_minute_paths(teaching):
    lengths = sorted(length for length, _ in plans(teaching).values())
    assert lengths == [45, 45, 90], f"the plans found: {list(plans(teaching))}"


def test_each_plan_names_core_sections_that_exist_and_adds_up(teaching):
    found = plans(teaching)
    assert found
    for heading, (length, rows) in found.items():
        assert plan_problems(heading, length, rows, teaching) == []


# --- each check catches a broken copy ---------------------------------------------------------------------


def first_plan(text: str):
    heading, (length, rows) = next(iter(plans(text).items()))
    return heading, length, rows


def test_a_plan_whose_minutes_do_not_add_up_fails(teaching):
    heading, length, rows = first_plan(teaching)
    broken = copy.deepcopy(rows)
    broken[-1]["minutes"] = re.sub(r"\d+$", lambda m: str(int(m.group()) - 1), broken[-1]["minutes"])
    assert plan_problems(heading, length, rows, teaching) == []
    assert any(f"not {length}" in p for p in plan_problems(heading, length, broken, teaching))
    gap = copy.deepcopy(rows)
    gap[1]["minutes"] = re.sub(r"^\d+", lambda m: str(int(m.group()) + 1), gap[1]["minutes"])
    assert any("the row above ended" in p for p in plan_problems(heading, length, gap, teaching))


def test_a_plan_naming_a_missing_or_optional_section_fails(teaching):
    heading, length, rows = first_plan(teaching)
    i = next(i for i, row in enumerate(rows) if NUMBERED.match(row["section"]))
    renamed = copy.deepcopy(rows)
    renamed[i]["section"] += " and more"
    assert any("has no section" in p for p in plan_problems(heading, length, renamed, teaching))

    number, section = rows[i]["notebook"], rows[i]["section"]

    def demoted(n):  # the same notebooks, with that section marked (optional) in its notebook
        cells = copy.deepcopy(notebook_cells(n))
        if n == number:
            for cell in cells:
                if "".join(cell["source"]).startswith(f"## {section} (core)"):
                    cell["source"] = "".join(cell["source"]).replace(" (core)", " (optional)", 1)
        return cells

    assert any("is not marked (core)" in p for p in plan_problems(heading, length, rows, teaching, demoted))


def test_a_plan_with_a_wrong_exercise_or_quiz_question_fails(teaching):
    heading, length, rows = first_plan(teaching)
    i = next(i for i, row in enumerate(rows) if EXERCISE.match(row["how"]))
    k, m = EXERCISE.match(rows[i]["how"]).groups()
    wrong_minutes = copy.deepcopy(rows)
    wrong_minutes[i]["how"] = f"exercise {k} ({int(m) + 2} min)"
    assert any("takes" in p for p in plan_problems(heading, length, wrong_minutes, teaching))
    j = next(j for j, row in enumerate(rows) if QUIZ.match(row["how"]))
    no_such_question = copy.deepcopy(rows)
    no_such_question[j]["how"] = "quiz Q1, Q9"
    assert any("quiz has questions" in p for p in plan_problems(heading, length, no_such_question, teaching))


def test_marks_or_minutes_that_disagree_with_the_time_line_fail(teaching):
    number = "05"  # core and optional parts both
    cells, rows = notebook_cells(number), minutes_table(teaching)[number]
    assert time_problems(number, cells, rows) == []
    longer = copy.deepcopy(rows)
    next(row for row in longer if row["mark"] == "core" and NUMBERED.match(row["section"]))["minutes"] = "20"
    assert any("core parts add up" in p for p in time_problems(number, cells, longer))
    unmarked = copy.deepcopy(cells)
    for cell in unmarked:
        cell["source"] = [line.replace(" (optional)", "") for line in cell["source"]]
    assert mark_problems(number, unmarked)
    assert any("the minutes table lists" in p for p in time_problems(number, unmarked, rows))
    silent = copy.deepcopy(cells)
    silent[0]["source"] = [OPTIONAL_MORE.sub("", line) for line in silent[0]["source"]]
    assert any("not on the Time line" in p for p in time_problems(number, silent, rows))
