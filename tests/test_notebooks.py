"""The notebooks follow the collection's conventions (structure only: nothing is executed here).

Title and time in cell 0 and in notebooks/README.md, one mechanism for hidden solutions, imports of
public names only, no performance internals before notebook 08, projector_style() everywhere, few
cells exempt from nbval's comparison, each explorer in the notebook that teaches its idea, a self-check
under every checkable exercise, and a closing quiz.
"""

import ast
import json
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest

import d2l_utils
from d2l_utils import doctor
from d2l_utils.course import content

from nbtools import NOTEBOOKS, NOTEBOOKS_DIR, as_python

IDS = [p.stem for p in NOTEBOOKS]
TIME = re.compile(r"\*\*Time:\*\* about (\d+) minutes")
INTERNALS = ("fused_forward", "_pool", "channels_last", "d2l_utils.fast")
EXEMPT_TAGS = {"nbval-ignore-output", "nbval-skip"}
EXPLORERS = {  # notebook number -> what it must do in code
    "01": ["def corr2d", "ConvExplorer("],
    "03": ["ShapeCalculator("],
    "04": ["DatasetBrowser("],
    "06": ["AdamW(", "OneCycleLR("],
    "07": ["PredictionExplorer("],
}


def test_the_notebooks_are_numbered_from_01_without_gaps():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(numbers) >= 8, f"eight notebooks or more, found {numbers}"
    assert numbers == [f"{i:02d}" for i in range(1, len(numbers) + 1)], numbers


@cache
def load(path: Path):
    return nbformat.read(path, as_version=4)


def number(path: Path) -> str:
    return path.name[:2]


def tags(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def tree(cell) -> ast.Module:
    return ast.parse(as_python(cell.source))


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(str(out.get("data", {}).get("text/plain", "")))
        parts.extend(out.get("traceback", []))
    return "\n".join(parts)


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def notebook(request):
    return request.param, load(request.param)


# --- the house style --------------------------------------------------------------------------------------


def test_title_and_time_in_cell_0(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith(f"# {number(path)} · "), first.source.splitlines()[0]
    assert TIME.search(first.source), "cell 0 needs '**Time:** about N minutes'"


def test_readme_lists_each_notebook_with_its_time(notebook):
    path, nb = notebook
    readme = (NOTEBOOKS_DIR / "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if f"({path.name})" in line]
    assert lines, f"notebooks/README.md does not link {path.name}"
    minutes = TIME.search(nb.cells[0].source)
    assert minutes, "cell 0 states no time"
    assert re.search(rf"\b{minutes.group(1)} ?min", lines[0]), \
        f"README's line for {path.name} does not say {minutes.group(1)} min: {lines[0]}"


def test_projector_style_is_called(notebook):
    _, nb = notebook
    calls = [node for cell in code_cells(nb) for node in ast.walk(tree(cell))
             if isinstance(node, ast.Call) and (getattr(node.func, "id", None) == "projector_style"
                                                or getattr(node.func, "attr", None) == "projector_style")]
    assert calls, "every notebook calls projector_style()"


def test_code_cells_parse(notebook):
    _, nb = notebook
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            try:
                tree(cell)
            except SyntaxError as err:
                pytest.fail(f"cell {i}: {err}")


# --- hidden solutions: one mechanism ----------------------------------------------------------------------


def test_solution_cells_are_hidden(notebook):
    _, nb = notebook
    for i, cell in enumerate(nb.cells):
        if "solution" not in tags(cell):
            continue
        jupyter = cell.metadata.get("jupyter", {})
        assert jupyter.get("source_hidden") is True, f"cell {i}: solution without source_hidden"
        if cell.cell_type == "code":
            assert jupyter.get("outputs_hidden") is True, f"cell {i}: solution without outputs_hidden"


def test_no_details_blocks(notebook):
    _, nb = notebook
    for i, cell in enumerate(nb.cells):
        assert "<details" not in cell.source.lower(), f"cell {i} uses <details>; tag a solution cell instead"


def test_every_exercise_has_a_solution(notebook):
    _, nb = notebook
    cells = nb.cells
    exercises = [i for i, c in enumerate(cells)
                 if c.cell_type == "markdown" and c.source.lstrip().startswith("**Exercise")]
    assert exercises, "the notebook has no exercise ('**Exercise k.** ...' markdown cells)"
    for i in exercises:
        assert "solution" not in tags(cells[i]), f"cell {i}: the exercise itself is tagged solution"
        solutions = []
        for j in range(i + 1, len(cells)):
            cell = cells[j]
            if "solution" in tags(cell):
                solutions.append(j)
            elif cell.cell_type == "markdown" and cell.source.lstrip().startswith(("**Exercise", "#")):
                break
        assert solutions, f"cell {i} ({cells[i].source[:40]!r}...) has no solution-tagged cell after it"
        before = cells[solutions[0] - 1]
        assert before.cell_type == "markdown" and "*Solution:" in before.source, \
            f"cell {solutions[0] - 1}: the line before a solution says '*Solution: click ...*'"


# --- imports and internals --------------------------------------------------------------------------------


def test_imports_from_d2l_utils_are_public(notebook):
    _, nb = notebook
    public = set(d2l_utils.__all__)
    for i, cell in enumerate(code_cells(nb)):
        module = tree(cell)
        aliases = set()
        for node in ast.walk(module):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "d2l_utils":
                assert node.module != "d2l_utils.fast" and "._" not in node.module, (i, node.module)
                # the set-up cell's doctor is set-up tooling (as the CLI), not a lesson helper
                names = set(doctor.__all__) if node.module == "d2l_utils.doctor" else public
                for alias in node.names:
                    assert alias.name in names, \
                        f"code cell {i}: {alias.name} from {node.module} is not public"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "d2l_utils":
                        assert alias.name in ("d2l_utils",), f"code cell {i}: import {alias.name}"
                        aliases.add(alias.asname or alias.name)
        for node in ast.walk(module):
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) in aliases:
                assert node.attr in public, f"code cell {i}: d2l_utils.{node.attr} is not public"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if number(p) <= "07"], ids=lambda p: p.stem)
def test_no_performance_internals_before_notebook_08(path):
    nb = load(path)
    for i, cell in enumerate(nb.cells):
        text = cell.source + "\n" + output_text(cell)
        found = [s for s in INTERNALS if s in text]
        assert not found, f"cell {i} mentions {found} (notebook 08's business)"


# --- nbval: few exempt cells ------------------------------------------------------------------------------


def test_at_most_a_fifth_of_the_cells_with_output_are_exempt(notebook):
    _, nb = notebook
    with_output = [c for c in code_cells(nb) if c.get("outputs")]
    exempt = [c for c in with_output if tags(c) & EXEMPT_TAGS]
    assert len(exempt) <= 0.2 * len(with_output), \
        f"{len(exempt)} of {len(with_output)} code cells with output are exempt from nbval"
    assert not tags(nb.cells[0]) & EXEMPT_TAGS and "nbval-skip" not in json.dumps(nb.metadata)


# --- each idea in its notebook ----------------------------------------------------------------------------


@pytest.mark.parametrize("nn_, needles", sorted(EXPLORERS.items()))
def test_each_notebook_does_what_it_teaches(nn_, needles):
    paths = [p for p in NOTEBOOKS if number(p) == nn_]
    assert paths, f"no notebook {nn_}"
    nb = load(paths[0])
    code = "\n".join(as_python(c.source) for c in code_cells(nb))
    for needle in needles:
        if needle.startswith("def "):
            names = {n.name for c in code_cells(nb) for n in ast.walk(tree(c))
                     if isinstance(n, ast.FunctionDef)}
            assert needle[4:] in names, f"notebook {nn_} does not define {needle[4:]}"
        else:
            calls = {getattr(n.func, "id", getattr(n.func, "attr", None))
                     for c in code_cells(nb) for n in ast.walk(tree(c)) if isinstance(n, ast.Call)}
            assert needle.rstrip("(") in calls and needle in code, f"notebook {nn_} never calls {needle}...)"


# --- self-checks and the quiz -----------------------------------------------------------------------------

EXERCISE = re.compile(r"\*\*Exercise (\d+)\b")


def called(cell) -> set:
    return {getattr(n.func, "id", getattr(n.func, "attr", None))
            for n in ast.walk(tree(cell)) if isinstance(n, ast.Call)}


def checks_called(cell) -> list[tuple]:
    """``(exercise, number of answers)`` for each ``check("NN.k", ...)`` call in the cell."""
    calls = [n for n in ast.walk(tree(cell))
             if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "check"]
    for call in calls:
        assert call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str), \
            f'check is called as check("NN.k", answer, ...), not {ast.unparse(call)}'
    return [(call.args[0].value, len(call.args) - 1) for call in calls]


def check_cells(nb, exercise: str):
    """For exercise "NN.k": (the learner's cell right under exercise k, the first solution code cell of k)."""
    k = int(exercise.split(".")[1])
    cells = nb.cells
    starts = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
              and (m := EXERCISE.match(c.source.lstrip())) and int(m.group(1)) == k]
    assert len(starts) == 1, f"no single '**Exercise {k}' cell for {exercise}"
    i = starts[0]
    solution = next(c for c in cells[i + 1:] if c.cell_type == "code" and "solution" in tags(c))
    return cells[i + 1], solution


def exercises_of(path) -> dict:
    """``{"NN.k": number of answers}`` from the notebook's content file, notebooks/exercises/NN.json."""
    exercises = content(number(path))["exercises"]
    return {f"{number(path)}.{k}": len(spec["answers"]) for k, spec in exercises.items()}


def test_every_self_check_is_used_under_its_exercise(notebook):
    path, nb = notebook
    mine = exercises_of(path)
    used = {call for cell in code_cells(nb) for call in checks_called(cell)}
    assert {name for name, _ in used} <= set(mine), f"checks of other notebooks or unknown exercises: {used}"
    assert used <= set(mine.items()), f"a check call passes another number of answers than {mine}: {used}"
    for name in mine:
        learner, solution = check_cells(nb, name)
        assert learner.cell_type == "code" and "solution" not in tags(learner), name
        assert name in {n for n, _ in checks_called(learner)}, \
            f"{name}: the cell right under the exercise should check the learner's answer"
        assert name in {n for n, _ in checks_called(solution)}, \
            f"{name}: the solution cell should check the solution"


def test_self_checks_show_their_messages(notebook):
    path, nb = notebook
    mine = list(exercises_of(path))
    pairs = [check_cells(nb, name) for name in mine]
    if not all(learner.get("outputs") for learner, _ in pairs):
        pytest.skip("the check cells have not been executed yet (nbval fails on unexecuted cells)")
    for name, (learner, solution) in zip(mine, pairs):
        assert output_text(learner).startswith("Write your answer first: "), name
        assert "Correct! " in output_text(solution) and "Not yet" not in output_text(solution), name


def test_quiz_closes_the_notebook(notebook):
    path, nb = notebook
    cells = nb.cells
    headings = [i for i, c in enumerate(cells)
                if c.cell_type == "markdown" and c.source.startswith("## Quiz")]
    assert len(headings) == 1, "one '## Quiz' section"
    i = headings[0]
    assert i == len(cells) - 3, "the quiz comes last, just before the navigation cell"
    exercises = [j for j, c in enumerate(cells)
                 if c.cell_type == "markdown" and EXERCISE.match(c.source.lstrip())]
    assert exercises and max(exercises) < i, "the quiz follows the exercises"
    cell = cells[i + 1]
    assert cell.cell_type == "code" and not tags(cell) and cell.source.strip() == f'quiz("{number(path)}")'
    if cell.get("outputs"):
        data = cell.outputs[0].get("data", {})
        assert "<details>" in data.get("text/html", "") and data.get("text/plain", "").startswith("Quiz")


# --- presenting with RISE (notebooks/TEACHING.md) ---------------------------------------------------------

LONG_CODE_LINES = 15  # a longer code cell gets a sub-slide of its own
OFFLINE_THEMES = {"white", "black", "serif"}  # RISE's other themes fetch their fonts from Google
SECTION_HEADING = re.compile(r"^## \S", re.M)
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def slide_rules(cells) -> list[str]:
    """The slide type each cell should have (notebooks/TEACHING.md, "Presenting"); first match wins."""
    setup = next((i for i, c in enumerate(cells)
                  if c.cell_type == "markdown" and c.source.lstrip().startswith("## Set-up")), None)
    setup_code = None if setup is None else next(
        (i for i in range(setup + 1, len(cells)) if cells[i].cell_type == "code"), None)
    kinds = []
    for i, cell in enumerate(cells):
        if (i in (setup, setup_code) or "solution" in tags(cell)
                or (cell.cell_type == "markdown" and cell.source.lstrip().startswith("*Solution: click"))):
            kinds.append("skip")
        elif i == 0 or (cell.cell_type == "markdown" and SECTION_HEADING.search(FENCED.sub("", cell.source))):
            kinds.append("slide")
        elif cell.cell_type == "code" and len(cell.source.rstrip("\n").splitlines()) > LONG_CODE_LINES:
            kinds.append("subslide")
        else:
            kinds.append("-")
    return kinds


def test_slide_types_follow_the_rules(notebook):
    _, nb = notebook
    wrong = [f"cell {i} ({cell.source.splitlines()[0][:50] if cell.source else ''!r}): {found!r}, "
             f"should be {kind!r}"
             for i, (cell, kind) in enumerate(zip(nb.cells, slide_rules(nb.cells)))
             if (found := cell.metadata.get("slideshow", {}).get("slide_type")) != kind]
    assert not wrong, "slide types that break the rules:\n" + "\n".join(wrong)


def test_slides_show_offline_and_scroll(notebook):
    _, nb = notebook
    rise = nb.metadata.get("rise", {})
    assert rise.get("theme") in OFFLINE_THEMES, f"RISE theme {rise.get('theme')!r} needs the network"
    assert rise.get("scroll") is True, "a slide taller than the screen must scroll, not be cut off"
