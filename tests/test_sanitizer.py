"""tests/nbval_sanitize.cfg replaces only what varies between runs and machines.

Every pattern is applied, in nbval's order and as nbval parses the file, to every stored text output
that nbval compares (stdout, the text of rich outputs, errors; not the cells nbval skips or ignores).
What a replacement changes (its match, less the groups the replacement copies back) may hold no digit
other than those the rules below call variable, and no character of a tensor shape or a figure size.
The rules are written here, apart from the patterns they judge, and do not depend on today's outputs:

- a measured value: the word after "≈ " in a cell's printed output, up to its last digit
  (d2l_utils.measured prints "what ≈ value"); a quiz or other rich output is prose and is compared;
- a time (a number followed by s, sec, ms, µs or min), the loss and accuracies of a training line
  ("loss 0.471, train acc 0.824, test acc 0.808"), a throughput ("6697 examples/sec"), all printed;
- a device ("cpu", "cuda:0", "mps", and what "Chosen device:" says of it), printed;
- a memory address: 0x and at least six hexadecimal digits.

And a pattern that matches nothing in the stored outputs is dead weight that could one day hide a real
output: it fails too. In the other direction, no stored output may still show "≈" and a digit once
sanitised (a measured value let through digit for digit), and prose (the course content, quizzes and hints)
says "about", never "≈ 2.30". Hand-written lines, with what the sanitiser must make of each, pin the rules
down apart from the stored outputs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from nbval.plugin import get_sanitize_patterns

from nbtools import NOTEBOOKS, ROOT

CFG = ROOT / "tests" / "nbval_sanitize.cfg"
NOT_COMPARED_TAGS = {"nbval-skip", "nbval-ignore-output", "nbval-raises-exception", "raises-exception"}
# nbval compares every key of an output's data but these (and drops stderr: see the root conftest.py).
NOT_COMPARED_DATA = ("image/", "application/vnd.jupyter.widget-view+json")

DEVICE = r"\b(?:cpu|cuda(?::\d+)?|mps)\b"
# What may vary, in a cell's printed output (stdout).
VARIABLE_PRINTED = {
    # deliberately not the sanitiser's own pattern: the word after "≈ ", up to its last digit
    "measured value after ≈": r"(?<=≈ )[^\s;)]*\d",
    "time": r"\b\d+(?:\.\d+)? ?(?:sec|s|ms|µs|us|min)\b",
    "training metric": r"(?<=\bloss )\d+\.\d+|(?<=\btrain acc )\d+\.\d+|(?<=\btest acc )\d+\.\d+",
    "throughput": r"\b\d+(?:\.\d+)?(?= examples/sec\b)",
    "device": DEVICE,
    "device description": r"(?m)(?<=^Chosen device: ).*$",
}
# What may vary in any output.
VARIABLE_ANYWHERE = {"memory address": r"0x[0-9a-fA-F]{6,}"}
# What a replacement must never touch, wherever it is.
PROTECTED = {
    "tensor shape": r"torch\.Size\(\[[\d, ]*\]\)|\[\d+(?:, \d+)+\]|\(\d+(?:, \d+)+\)|\b\d+ ?[x×] ?\d+\b",
    "figure size": r"<Figure size \d+x\d+ with \d+ Axes>",
}


@dataclass
class Text:
    where: str  # "02 cell 6, stdout"
    printed: bool  # a stream on stdout (where measured values, times and devices are printed)
    text: str


def stored_texts() -> list[Text]:
    texts = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code" or set(cell["metadata"].get("tags", [])) & NOT_COMPARED_TAGS:
                continue
            for out in cell.get("outputs", []):
                where = f"{path.name[:2]} cell {i}"
                kind = out["output_type"]
                if kind == "stream":
                    if out["name"] == "stdout":
                        texts.append(Text(f"{where}, stdout", True, join(out["text"])))
                elif kind == "error":
                    texts.append(Text(f"{where}, error", False, f"{out['ename']}: {out['evalue']}"))
                else:
                    for key, value in out.get("data", {}).items():
                        if not key.startswith(NOT_COMPARED_DATA) and isinstance(value, (str, list)):
                            texts.append(Text(f"{where}, {key}", False, join(value)))
    return texts


def join(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def patterns() -> list[tuple[str, str, str]]:
    """(section name, regex, replacement), as nbval reads them, in order."""
    config = CFG.read_text(encoding="utf-8")
    names = re.findall(r"^\[(.+)\]$", config, re.M)
    pairs = get_sanitize_patterns(config)
    assert len(pairs) == len(names), (
        f"{CFG.name} has {len(names)} sections but nbval reads {len(pairs)} patterns: each section needs "
        "a 'regex: ' line followed directly by a 'replace: ' line")
    return [(name, regex, replace) for name, (regex, replace) in zip(names, pairs)]


def spans(rules: dict[str, str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), what) for what, rule in rules.items() for m in re.finditer(rule, text)
            if m.end() > m.start()]


def inside(pos: int, found: list[tuple[int, int, str]]) -> bool:
    return any(start <= pos < end for start, end, _ in found)


def touched(m: re.Match, replace: str) -> list[int]:
    """Positions a replacement changes: the match, less the groups it copies back (\\1 ...)."""
    kept = [m.span(int(g)) for g in re.findall(r"\\(\d+)", replace) if m.group(int(g)) is not None]
    return [p for p in range(m.start(), m.end()) if not any(a <= p < b for a, b in kept)]


def context(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start:line_end if line_end >= 0 else len(text)][:160]


@pytest.fixture(scope="module")
def texts():
    found = stored_texts()
    assert len(NOTEBOOKS) >= 8 and found, "no stored outputs to check the sanitiser against"
    return found


def test_the_patterns_replace_only_what_varies(texts):
    problems = []
    for item in texts:
        text = item.text
        for name, regex, replace in patterns():
            variable = spans(VARIABLE_ANYWHERE, text)
            if item.printed:
                variable += spans(VARIABLE_PRINTED, text)
            protected = spans(PROTECTED, text)
            for m in re.finditer(regex, text):
                changed = touched(m, replace)
                digits = [p for p in changed if text[p].isdigit() and not inside(p, variable)]
                hits = sorted({what for p in changed for start, end, what in protected if start <= p < end})
                if digits or hits:
                    if digits:
                        hits.append("digits that are not a measured value, a time, an address or a metric")
                    what = ", ".join(hits)
                    problems.append(f"[{name}] in {item.where} replaces {text[m.start():m.end()]!r} "
                                    f"({what}), in: {context(text, m.start(), m.end())!r}")
            text = re.sub(regex, replace, text)
    assert not problems, "the sanitiser hides outputs that must be compared:\n" + "\n".join(problems)


def test_shapes_and_figure_sizes_survive_the_sanitiser(texts):
    lost = []
    for item in texts:
        clean = item.text
        for _, regex, replace in patterns():
            clean = re.sub(regex, replace, clean)
        for start, end, what in spans(PROTECTED, item.text):
            token = item.text[start:end]
            if clean.count(token) < item.text.count(token):
                lost.append(f"{item.where}: {what} {token!r}")
    assert not lost, "sanitised away:\n" + "\n".join(sorted(set(lost)))


def test_every_pattern_matches_some_stored_output(texts):
    unused = []
    sanitised = [item.text for item in texts]
    for name, regex, replace in patterns():
        if not any(re.search(regex, text) for text in sanitised):
            unused.append(name)
        sanitised = [re.sub(regex, replace, text) for text in sanitised]
    assert not unused, (f"patterns of {CFG.name} that match no stored output (after the ones before "
                        f"them): {unused}; remove them, or they may one day hide a real output")


# The rules themselves, on outputs that are not (or not yet) stored: each must hold for the patterns too.

def sanitise(text: str) -> str:
    for _, regex, replace in patterns():
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("stored, fresh", [
    (" 7: Linear    | parameters 120x400 + 120", " 7: Linear    | parameters 120x401 + 120"),
    ("torch.Size([1, 6, 28, 28])", "torch.Size([1, 6, 28, 27])"),
    ("<Figure size 640x480 with 1 Axes>", "<Figure size 640x481 with 1 Axes>"),
    ("   B. a uniform guess over ten classes scores ln 10, about 2.30",
     "   B. a uniform guess over ten classes scores ln 10, about 2.31"),
    ("<p>✔ Correct: 30 s / (235 × 0.002 s) is about 64</p>",
     "<p>✔ Correct: 30 s / (235 × 0.002 s) is about 65</p>"),
    ("true shirts predicted as: Trouser ≈ 0, Shirt ≈ 724",
     "true shirts predicted as: Trouser ≈ 0 Shirt ≈ 724"),  # the list's comma is compared
    ("epoch  1, loss 2.303, train acc 0.100, test acc 0.100, 7.3 sec",
     "epoch  2, loss 2.303, train acc 0.100, test acc 0.100, 7.3 sec"),
    ("test accuracy ≈ 0.81\n", "test accuracy ≈ 0.81\n  Note: the lesson expects test accuracy between "
     "0.75 and 0.90, and this run gave 0.95.\n"),
    ("NCHW ≈ 53.7 ms per training step", "NCHW ≈ 53.7 s per training step"),
    ("+ ReLU  ≈ 0.10  ≈ 0.09–0.11  -  -", "+ ReLU  ≈ 0.10  ≈ 0.09–0.11  -"),  # a column lost
    ("training on cpu\nepoch  1, loss 2.303", "training on cpu\nepoch  1, loss 2.303, 63,410 parameters"),
])
def test_a_real_change_still_shows(stored, fresh):
    assert sanitise(stored) != sanitise(fresh)


@pytest.mark.parametrize("stored, fresh", [
    ("epoch  1, loss 2.303, train acc 0.100, test acc 0.100, 7.3 sec",
     "epoch  1, loss 2.297, train acc 0.104, test acc 0.113, 12.8 sec"),
    ("TensorBatches          ≈ 0.77 ms per batch", "TensorBatches          ≈ 1.02 ms per batch"),
    ("step ≈ 23.5 ms (≈ 0.58 of the channels-last step's time)",
     "step ≈ 31.0 ms (≈ 0.61 of the channels-last step's time)"),
    ("throughput ≈ 6,697 examples/sec", "throughput ≈ 12,001 examples/sec"),
    ("loss 0.471, train acc 0.824, test acc 0.808; 6697 examples/sec on cpu",
     "loss 0.468, train acc 0.826, test acc 0.811; 21004 examples/sec on cuda:0"),
    ("training on cpu", "training on cuda:0"),
    ("Chosen device: cpu (neither a CUDA GPU nor Apple's MPS is available)",
     "Chosen device: cuda:0 (NVIDIA H100 80GB HBM3)"),
])
def test_what_varies_compares_equal(stored, fresh):
    assert sanitise(stored) == sanitise(fresh)


# Hand-written lines and what the sanitiser must make of them: every measured value masked, wherever it
# stands on its line and however many share it; nothing else touched.
@pytest.mark.parametrize("line, expected", [
    ("test accuracy ≈ 0.81", "test accuracy ≈ N"),
    ("classic  loss at step 20 ≈ 2.33", "classic  loss at step 20 ≈ N"),
    ("loss at steps 1, 10, 20: ≈ 2.55, ≈ 2.36, ≈ 2.33", "loss at steps 1, 10, 20: ≈ N, ≈ N, ≈ N"),
    ("T-shirt/top  <-> Shirt        ≈ 184 images", "T-shirt/top  <-> Shirt        ≈ N images"),
    ("as: T-shirt/top ≈ 106, Trouser ≈ 0, Pullover ≈ 56, Dress ≈ 25, Coat ≈ 83, Sandal ≈ 0, Shirt ≈ 724",
     "as: T-shirt/top ≈ N, Trouser ≈ N, Pullover ≈ N, Dress ≈ N, Coat ≈ N, Sandal ≈ N, Shirt ≈ N"),
    ("throughput ≈ 6,697 examples/sec", "throughput ≈ N examples/sec"),
    ("mistakes, of 10,000 test images ≈ 862", "mistakes, of 10,000 test images ≈ N"),
    ("the first two ≈ 7,12 (a list)", "the first two ≈ N,12 (a list)"),
    ("kernel 3: sum(w) / sum(|w|) ≈ -0.48", "kernel 3: sum(w) / sum(|w|) ≈ N"),
    ("kernel 5: sum(w) / sum(|w|) ≈ +0.18", "kernel 5: sum(w) / sum(|w|) ≈ N"),
    ("largest difference of a weight ≈ 7e-08", "largest difference of a weight ≈ N"),
    ("speed-up ≈ 31×; share ≈ 89%", "speed-up ≈ N×; share ≈ N%"),
    ("step ≈ 9.3 ms (≈ 0.82 of the channels-last step's time)",
     "step ≈ N ms (≈ N of the channels-last step's time)"),
    ("first epoch: mean loss ≈ 2.29 (ln 10 = 2.30)", "first epoch: mean loss ≈ N (ln 10 = 2.30)"),
    ("+ ReLU    ≈ 0.10    ≈ 0.09–0.11    ≈ 0.69    ≈ 0.65–0.72",  # print_spread: median, range
     "+ ReLU    ≈ N    ≈ N    ≈ N    ≈ N"),
    ("lenet  ≈ 0.809  ≈ 0.805–0.812  -  -", "lenet  ≈ N  ≈ N  -  -"),
    ("the range 0.80–0.82, as printed in prose", "the range 0.80–0.82, as printed in prose"),
    ("the largest: T-shirt/top <-> Shirt", "the largest: T-shirt/top <-> Shirt"),
    ("   B. The lower, the closer; an even guess scores ln 10, about 2.30",
     "   B. The lower, the closer; an even guess scores ln 10, about 2.30"),
    ("torch.Size([1, 6, 28, 28]) | 120x400 | <Figure size 640x480 with 1 Axes>",
     "torch.Size([1, 6, 28, 28]) | 120x400 | <Figure size 640x480 with 1 Axes>"),
])
def test_the_sanitiser_masks_each_measured_value_and_nothing_else(line, expected):
    assert sanitise(line) == expected


APPROX_DIGIT = re.compile(r"≈\s*[-+]?\d")


def test_no_measured_value_survives_the_sanitiser(texts):
    """The other direction: once sanitised, no compared output line still shows "≈" and a digit."""
    left = [f"{item.where}: {line.strip()[:140]!r}" for item in texts
            for line in sanitise(item.text).splitlines() if APPROX_DIGIT.search(line)]
    assert not left, ("measured values that nbval would compare digit for digit (print each after \"≈ \" as "
                      "d2l_utils.measured does, and let prose say \"about\"):\n" + "\n".join(left))


def test_the_course_content_says_about_not_approx():
    """Quizzes, hints and answers are prose that nbval compares: "≈ 2.30" there would be masked."""
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:140]}"
             for path in sorted((ROOT / "notebooks" / "exercises").iterdir()) if path.is_file()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if APPROX_DIGIT.search(line)]
    assert not found, "write \"about 2.30\", not \"≈ 2.30\", in the course content:\n" + "\n".join(found)
