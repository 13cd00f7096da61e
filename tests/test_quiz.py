"""The closing quiz of every notebook (d2l_utils.quiz): well-formed questions, HTML that needs no
JavaScript, escaped text, a plain-text fallback and the same output on every run."""

import re
from pathlib import Path

import pytest

import d2l_utils
from d2l_utils.quiz import LETTERS, QUIZZES, Option, Question, Quiz, quiz

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = [p.name[:2] for p in NOTEBOOKS]


def test_every_notebook_has_a_quiz():
    assert NUMBERS[:8] == ["01", "02", "03", "04", "05", "06", "07", "08"]
    assert sorted(QUIZZES) == NUMBERS
    assert d2l_utils.quiz is quiz and "quiz" in d2l_utils.__all__


@pytest.mark.parametrize("number", sorted(QUIZZES))
def test_questions_are_well_formed(number):
    questions = QUIZZES[number]
    assert 3 <= len(questions) <= 5
    for q in questions:
        assert q.text.strip() and 3 <= len(q.options) <= len(LETTERS)
        assert sum(o.correct for o in q.options) == 1, q.text
        assert len({o.text for o in q.options}) == len(q.options), q.text
        for o in q.options:
            assert o.text.strip() and o.feedback.strip(), (q.text, o.text)
            assert o.feedback != o.text
    assert len({q.text for q in questions}) == len(questions)
    # the right answer is not always in the same place
    positions = {[o.correct for o in q.options].index(True) for q in questions}
    assert len(positions) > 1, f"quiz {number}: every right answer is option {LETTERS[positions.pop()]}"


@pytest.mark.parametrize("number", sorted(QUIZZES))
def test_html_shows_every_option_with_its_feedback_without_javascript(number):
    page = quiz(number)._repr_html_()
    questions = QUIZZES[number]
    n_options = sum(len(q.options) for q in questions)
    assert page.count("<details>") == page.count("</details>") == n_options
    assert page.count("<summary>") == n_options
    assert page.count("✔ Correct:") == len(questions)
    assert page.count("✘ Not quite:") == n_options - len(questions)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"\son\w+\s*=", lowered)  # no event handlers
    assert "<style" not in lowered and "http" not in lowered  # nothing loaded from anywhere
    for i, q in enumerate(questions, 1):
        assert f"<strong>{i}.</strong>" in page
        for letter, o in zip(LETTERS, q.options):
            verdict = "✔ Correct:" if o.correct else "✘ Not quite:"
            # each option's feedback sits inside the option's own <details>
            block = re.search(rf"<details><summary>{letter}\. (.*?)</summary><p>(.*?)</p></details>",
                              page[page.index(f"<strong>{i}.</strong>"):])
            assert block and block.group(2).startswith(verdict), (i, letter)
    assert quiz(number)._repr_html_() == page  # deterministic: nbval compares the stored output


def test_html_escapes_text_and_shows_code():
    tricky = Quiz("99", [Question("Is <b> & `x.view(n, -1)` safe?", (
        Option("<script>alert(1)</script>", False, "a & b < c"),
        Option("Yes", True, "`nn.Flatten` \"copies\""),
        Option("No", False, "no"),
    ))])
    page = tricky._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Is &lt;b&gt; &amp; <code>x.view(n, -1)</code> safe?" in page
    assert "a &amp; b &lt; c" in page and "<code>nn.Flatten</code> &quot;copies&quot;" in page


@pytest.mark.parametrize("number", sorted(QUIZZES))
def test_text_fallback_lists_questions_and_options_but_not_the_answers(number):
    text = repr(quiz(number))
    assert f'quiz("{number}").answer(1, "A")' in text
    assert "<details" not in text and "<p>" not in text
    for i, q in enumerate(QUIZZES[number], 1):
        assert f"{i}. {q.text}" in text
        for letter, o in zip(LETTERS, q.options):
            assert f"   {letter}. {o.text}" in text
            assert o.feedback not in text
    assert "Correct" not in text and "Not quite" not in text


def test_answer_prints_the_feedback(capsys):
    q = quiz("05")
    first = QUIZZES["05"][0]
    for letter, o in zip(LETTERS, first.options):
        assert q.answer(1, letter.lower()) is None
        out = capsys.readouterr().out
        assert out == f"{'✔ Correct:' if o.correct else '✘ Not quite:'} {o.feedback}\n"
    for bad in ((0, "A"), (len(QUIZZES["05"]) + 1, "A"), (1, "Z"), (1, "AB"), (1, "")):
        with pytest.raises(ValueError):
            q.answer(*bad)


def test_quiz_accepts_a_number_or_a_string():
    assert repr(quiz(5)) == repr(quiz("05")) == repr(quiz("5"))
    with pytest.raises(KeyError, match="no quiz"):
        quiz("42")
