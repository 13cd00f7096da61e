"""The closing quiz of every notebook (``quiz("NN")`` reading ``notebooks/exercises/NN.json``): four options
per question, the right one's letter drawn at random (seeded, by notebooks/exercises/redraw.py) so that no
pattern gives it away, HTML that needs no JavaScript, escaped text, a plain-text fallback and the same output
on every run."""

import importlib.util
import json
import re
import shutil
from collections import Counter

import pytest

from d2l_utils.course import Quiz, content, quiz

from nbtools import BY_NUMBER, ROOT

_spec = importlib.util.spec_from_file_location("redraw", ROOT / "notebooks" / "exercises" / "redraw.py")
redraw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(redraw)
NUMBERS = list(BY_NUMBER)
QUIZZES = {number: content(number)["quiz"] for number in NUMBERS}
ALL = [q for number in NUMBERS for q in QUIZZES[number]]
LETTERS = "ABCD"


def test_every_notebook_has_a_quiz():
    assert NUMBERS[:8] == ["01", "02", "03", "04", "05", "06", "07", "08"]
    assert all(3 <= len(QUIZZES[number]) <= 5 for number in NUMBERS)


@pytest.mark.parametrize("number", NUMBERS)
def test_questions_have_four_distinct_options_a_right_one_and_feedback_for_each(number):
    questions = QUIZZES[number]
    for q in questions:
        assert q["question"].strip() and list(q["options"]) == list(LETTERS), q["question"]
        assert q["answer"] in LETTERS and q["why"].strip(), q["question"]
        assert sorted(q["hints"]) == sorted(set(LETTERS) - {q["answer"]}), q["question"]
        texts = [t.strip().lower() for t in q["options"].values()]
        assert all(texts) and len(set(texts)) == 4, f"two options are the same: {q['question']}"
        for feedback in [q["why"], *q["hints"].values()]:
            assert feedback.strip() and feedback not in q["options"].values()
    assert len({q["question"] for q in questions}) == len(questions)


def test_the_right_option_is_the_longest_in_at_most_a_third_of_the_questions():
    longest = [q["question"] for q in ALL
               if len(q["options"][q["answer"]]) >= max(len(t) for t in q["options"].values())]
    assert len(longest) <= len(ALL) / 3, longest


def test_each_letter_is_right_in_15_to_35_percent_of_all_questions():
    counts = Counter(q["answer"] for q in ALL)
    assert all(0.15 <= counts[letter] / len(ALL) <= 0.35 for letter in LETTERS), counts


@pytest.mark.parametrize("number", NUMBERS)
def test_no_four_question_quiz_is_answered_by_a_b_c_and_d_once_each(number):
    """Else the last answer could be deduced from the others. (Quizzes of 3 or 5 questions have no such
    pattern: only the shares above apply to them.)"""
    letters = [q["answer"] for q in QUIZZES[number]]
    assert len(letters) != 4 or sorted(letters) != list(LETTERS), letters


@pytest.mark.parametrize("number", NUMBERS)
def test_the_right_letters_are_the_draw_of_the_recorded_seed(number):
    """Placed by the seeded draw, not by hand: an added question or a hand-moved answer shows here."""
    seed = content(number).get("quiz_seed")
    letters = "".join(q["answer"] for q in QUIZZES[number])
    assert isinstance(seed, int) and letters == redraw.draw(number, seed, len(letters)), (
        f"quiz {number}: {letters}, seed {seed}; run `python notebooks/exercises/redraw.py {number}`")


def test_redraw_moves_each_right_option_with_its_feedback_and_skips_a_draw_the_rule_refuses(tmp_path):
    shutil.copytree(ROOT / "notebooks" / "exercises", tmp_path, dirs_exist_ok=True)
    # a quiz number whose seed 0 draws a permutation of A-D for four questions: the rule must refuse it
    fake = next(nb for nb in map(str, range(10, 100)) if redraw.permutation(redraw.draw(nb, 0, 4)))
    original = [{"question": f"q{i}", "answer": "A", "why": f"why {i}",
                 "options": dict(zip(LETTERS, (f"right {i}", f"w{i}1", f"w{i}2", f"w{i}3"))),
                 "hints": {"B": f"h{i}1", "C": f"h{i}2", "D": f"h{i}3"}} for i in range(4)]
    (tmp_path / f"{fake}.json").write_text(json.dumps({"notebook": fake, "exercises": {}, "quiz": original}),
                                           encoding="utf-8")
    letters, seed = redraw.redraw(fake, tmp_path)
    stored = json.loads((tmp_path / f"{fake}.json").read_text(encoding="utf-8"))
    assert seed > 0 and stored["quiz_seed"] == seed and not redraw.permutation(letters)
    assert "".join(q["answer"] for q in stored["quiz"]) == letters == redraw.draw(fake, seed, 4)
    for i, q in enumerate(stored["quiz"]):
        assert q["options"][q["answer"]] == f"right {i}" and q["why"] == f"why {i}"
        wrong = [k for k in LETTERS if k != q["answer"]]
        assert [q["options"][k] for k in wrong] == [f"w{i}1", f"w{i}2", f"w{i}3"]  # in their order,
        assert [q["hints"][k] for k in wrong] == [f"h{i}1", f"h{i}2", f"h{i}3"]  # each with its hint
    answers = "".join(q["answer"] for c in redraw.load(tmp_path).values() for q in c["quiz"])
    assert all(0.15 <= share <= 0.35 for share in redraw.shares(answers).values())


def test_no_option_is_always_or_never_the_shortest():
    """The right option is not told apart by its length: neither always short nor always long."""
    ranks = Counter(sorted(len(t) for t in q["options"].values()).index(len(q["options"][q["answer"]]))
                    for q in ALL)
    assert max(ranks.values()) <= len(ALL) / 2, ranks


@pytest.mark.parametrize("number", NUMBERS)
def test_html_shows_every_option_with_its_feedback_without_javascript(number):
    page = quiz(number)._repr_html_()
    questions = QUIZZES[number]
    n = 4 * len(questions)
    assert page.count("<details>") == page.count("</details>") == page.count("<summary>") == n
    assert page.count("✔ Correct:") == len(questions)
    assert page.count("✘ Not quite:") == 3 * len(questions)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"\son\w+\s*=", lowered)  # no event handlers
    assert "<style" not in lowered and "http" not in lowered  # nothing loaded from anywhere
    for i, q in enumerate(questions, 1):
        assert f"<strong>{i}.</strong>" in page
        rest = page[page.index(f"<strong>{i}.</strong>"):]
        for letter in LETTERS:
            verdict = "✔ Correct:" if letter == q["answer"] else "✘ Not quite:"
            # each option's feedback sits inside the option's own <details>
            block = re.search(rf"<details><summary>{letter}\. (.*?)</summary><p>(.*?)</p></details>", rest)
            assert block and block.group(2).startswith(verdict), (i, letter)
    assert quiz(number)._repr_html_() == page  # deterministic: nbval compares the stored output


def test_html_escapes_text_and_shows_code():
    tricky = Quiz("99", [{"question": "Is <b> & `x.view(n, -1)` safe?", "answer": "B",
                          "options": {"A": "<script>alert(1)</script>", "B": "Yes", "C": "No", "D": "Maybe"},
                          "why": "`nn.Flatten` \"copies\"",
                          "hints": {"A": "a & b < c", "C": "no", "D": "no"}}])
    page = tricky._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Is &lt;b&gt; &amp; <code>x.view(n, -1)</code> safe?" in page
    assert "a &amp; b &lt; c" in page and "<code>nn.Flatten</code> &quot;copies&quot;" in page


@pytest.mark.parametrize("number", NUMBERS)
def test_text_fallback_lists_questions_and_options_but_not_the_answers(number):
    text = repr(quiz(number))
    assert text.startswith("Quiz") and f'quiz("{number}").answer(1, "A")' in text
    assert "<details" not in text and "<p>" not in text
    for i, q in enumerate(QUIZZES[number], 1):
        assert f"{i}. {q['question']}" in text
        for letter, option in q["options"].items():
            assert f"   {letter}. {option}" in text
        for feedback in [q["why"], *q["hints"].values()]:
            assert feedback not in text
    assert "Correct" not in text and "Not quite" not in text


def test_answer_prints_the_feedback(capsys):
    q, first = quiz("05"), QUIZZES["05"][0]
    for letter in LETTERS:
        assert q.answer(1, letter.lower()) is None
        right = letter == first["answer"]
        expected = f"✔ Correct: {first['why']}" if right else f"✘ Not quite: {first['hints'][letter]}"
        assert capsys.readouterr().out == expected + "\n"
    for bad in ((0, "A"), (len(QUIZZES["05"]) + 1, "A"), (1, "Z"), (1, "AB"), (1, "")):
        with pytest.raises(ValueError):
            q.answer(*bad)


def test_quiz_accepts_a_number_or_a_string():
    assert repr(quiz(5)) == repr(quiz("05")) == repr(quiz("5"))
    with pytest.raises(FileNotFoundError, match="42.json"):
        quiz("42")


def test_quizzes_quote_no_count_a_rerun_changes_and_say_what_coolwarm_shows():
    """Slips the review found: "dozens of mistakes" (a count of a stored run) and "white is zero" (it is
    light grey in coolwarm)."""
    text = " ".join(str(v) for q in ALL for v in (q["question"], q["why"], *q["options"].values(),
                                                  *q["hints"].values()))
    assert "white is zero" not in text and "light grey is zero" in text
    assert not re.search(r"\b(dozens|hundreds|over a hundred)\b", text)


def test_quizzes_print_no_measured_looking_number():
    """A number after "≈" is a measured one, which the sanitiser masks in stored outputs: a quiz says "about
    2.30" instead, so that its text is compared whole."""
    text = " ".join(str(v) for q in ALL for v in (q["question"], q["why"], *q["options"].values(),
                                                  *q["hints"].values()))
    assert not re.findall(r"≈\s*[-+]?\d", text)
