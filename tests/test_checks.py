"""The exercises' self-checks (``d2l_utils.course.check`` reading ``notebooks/exercises/NN.json``): each
accepts the notebook's own solution, turns typical wrong answers into hints that do not give the solution
away, asks for an answer while it is None, and finds its content from the notebooks' folder and from the
repository root, or says in one paragraph where it looked and what to do.

The right answers come from the notebooks' solution cells, never from the content files: the cheap
solutions are executed here (their ``check(...)`` call records its arguments), with the notebook's own
helper functions and small or random inputs where the notebook uses its own; the answers that need a
trained network or a timing are read from the solution cell's stored output, except where the
committed checkpoint or a few training steps give them in seconds (06.1, 07.1).
"""

import ast
import json
import math
import re
import shutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2l_utils.course as course
from d2l_utils import (
    TEXT_LABELS,
    Normalize,
    ShapeCalculator,
    TensorBatches,
    checkpoint_or_train,
    confusion_matrix,
    count_parameters,
    first_steps,
    init_weights,
    lenet,
    lenet_modern,
    load_data_fashion_mnist,
    per_class_accuracy,
    predict_probabilities,
)
from d2l_utils.course import check, grade

from nbtools import BY_NUMBER, ROOT, cells, notebook_function

CONTENT = {nb: json.loads((ROOT / "notebooks" / "exercises" / f"{nb}.json").read_text(encoding="utf-8"))
           for nb in BY_NUMBER}
EXERCISES = [f"{nb}.{k}" for nb in sorted(CONTENT) for k in CONTENT[nb]["exercises"]]


def check_calls(source):
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call) and node.args
            and getattr(node.func, "id", None) == "check" and isinstance(node.args[0], ast.Constant)]


def solution_cell(exercise):
    """The solution code cell (tag ``solution``) that calls ``check(exercise, ...)``."""
    found = [c for c in cells(exercise[:2]) if c["cell_type"] == "code" and "solution" in c["metadata"].get(
        "tags", []) and any(call.args[0].value == exercise for call in check_calls("".join(c["source"])))]
    assert len(found) == 1, f"{exercise}: {len(found)} solution cells call check({exercise!r}, ...)"
    return found[0]


def helpers(nb, *names):
    namespace = {"torch": torch, "nn": nn}
    for name in names:
        exec(notebook_function(nb, name), namespace)
    return namespace


def run_solution(exercise, namespace):
    """Execute the solution cell of ``exercise`` in ``namespace``; the answers its check call passes."""
    calls = []
    namespace = {**namespace, "check": lambda name, *answers: calls.append((name, answers))}
    exec("".join(solution_cell(exercise)["source"]), namespace)
    answers = [a for name, a in calls if name == exercise]
    assert len(answers) == 1, calls
    return answers[0]


def stored(exercise, pattern):
    """The groups of ``pattern`` in the stored output of the solution cell (a run too costly for a test)."""
    text = "".join("".join(o.get("text", "")) for o in solution_cell(exercise)["outputs"])
    match = re.search(pattern, text)
    assert match, f"{exercise}: the stored solution output has no {pattern!r} (run the notebook):\n{text}"
    return match.groups()


@pytest.fixture(scope="module")
def real():
    train_iter, test_iter = load_data_fashion_mnist(256)
    return {"train_iter": train_iter, "test_iter": test_iter, "images": train_iter.images}


def notebook_01():
    namespace = helpers("01", "corr2d", "shift", "n_params")
    torch.manual_seed(0)
    img = torch.rand(28, 28)  # unlike zeros, non-zero at the border, as image 0 is
    x, conv = img[None, None], nn.Conv2d(1, 6, kernel_size=5)
    x_shifted = namespace["shift"](x, 3, 2)
    with torch.no_grad():
        y, y_shifted = conv(x), conv(x_shifted)
    return {**namespace, "img": img, "x": x, "conv": conv, "x_shifted": x_shifted, "y": y,
            "y_shifted": y_shifted}


def notebook_09(exercise):
    """The namespace of notebook 09's solution cells: the section's helpers as the notebook defines them
    (``lenet_with``), a batch ``X``, and the training-curve helpers replaced by ones that do nothing (the
    runs they plot are tests/test_debugging_lab.py's business)."""
    namespace = {"torch": torch, "nn": nn, "F": F, "math": math, "lenet": lenet, "init_weights": init_weights,
                 "X": torch.rand(2, 1, 28, 28), "batches": [],
                 "measure_steps": lambda *args, **kwargs: ([], [], []),
                 "plot_steps": lambda *args, **kwargs: None, "plot_losses": lambda *args, **kwargs: None}
    if "lenet_with" in "".join(solution_cell(exercise)["source"]):
        exec(notebook_function("09", "lenet_with"), namespace)
    return namespace


def solutions(exercise, real):
    """The answers of the notebook's solution to ``exercise``, computed or read as the docstring says."""
    nb = exercise[:2]
    if nb == "01":
        return run_solution(exercise, notebook_01())
    if nb == "02":
        x = torch.rand(2, 5, 5, 16).permute(0, 3, 1, 2)  # as section 6: memory height-width-channel
        return run_solution(exercise, {"torch": torch, "nn": nn, "lenet": lenet, "x": x,
                                       "count_parameters": count_parameters})
    if nb == "03":
        return run_solution(exercise, {**helpers("03", "out_size"), "lenet": lenet, "net": lenet(),
                                       "ShapeCalculator": ShapeCalculator})
    if nb == "04":
        plt = type("plt", (), {"show": staticmethod(lambda: None)})
        return run_solution(exercise, {**real, "math": math, "torch": torch, "TensorBatches": TensorBatches,
                                       "TEXT_LABELS": TEXT_LABELS, "Normalize": Normalize, "plt": plt,
                                       "show_fashion_mnist": lambda *args, **kwargs: None})
    if exercise == "05.5":
        ratio, = stored(exercise, r"tanh ≈ (\d+(?:\.\d+)?)×")
        accuracy, = stored(exercise, r"2 short epochs[,:] tanh ≈ (\d\.\d+)")
        return float(ratio), float(accuracy) < 0.35  # as the solution's check call
    if nb == "05":
        return run_solution(exercise, {**real, "math": math, "torch": torch})
    if exercise == "06.1":  # 20 steps of the classic net, twice: cheap enough to run here
        namespace = helpers("06", "first_20")  # its globals: the notebook's names it uses
        namespace.update(lenet=lenet, init_weights=init_weights, first_steps=first_steps,
                         train_iter=real["train_iter"], device=torch.device("cpu"))
        return run_solution(exercise, namespace)
    if nb == "06":
        return run_solution(exercise, {"torch": torch, "nn": nn, "lenet_modern": lenet_modern})
    if exercise == "07.1":  # the confusion matrix of the committed checkpoint, as the notebook computes it
        net, _ = checkpoint_or_train("lenet_modern.pt", "lenet-modern")
        test_iter = real["test_iter"]
        preds = predict_probabilities(net, test_iter.images).argmax(dim=1)
        return run_solution(exercise, {"torch": torch, "TEXT_LABELS": TEXT_LABELS, "cm": confusion_matrix(
            preds, test_iter.labels), "per_class_accuracy": per_class_accuracy})
    if exercise == "07.2":
        preds, y_test = torch.randint(0, 10, (200,)), torch.randint(0, 10, (200,))
        y_test[:100] = preds[:100]  # right half the time
        return run_solution(exercise, {"torch": torch, "TEXT_LABELS": TEXT_LABELS,
                                       "preds": preds, "y_test": y_test})
    if exercise == "07.3":
        return stored(exercise, r"largest gain: (.+)")
    if exercise == "07.4":  # the honest answer: the arguments of the check call, evaluated
        call, = check_calls("".join(solution_cell(exercise)["source"]))
        return tuple(eval(ast.unparse(a), {"TEXT_LABELS": TEXT_LABELS}) for a in call.args[1:])
    if exercise == "08.1":  # a prediction, as 07.4: the arguments of the check call, evaluated
        source = "".join(solution_cell(exercise)["source"])
        return (eval(re.search(r"^prediction = (.+?)  #", source, re.M).group(1)),)
    if exercise == "08.2":
        return run_solution(exercise, {"torch": torch, "F": F, "BATCH": 16})
    if exercise == "08.3":
        text = "".join("".join(o.get("text", "")) for o in solution_cell(exercise)["outputs"])
        return ({op for op in re.findall(r"(aten::\S+)\s+still there: False", text)},)
    if nb == "09":
        return run_solution(exercise, notebook_09(exercise))
    raise AssertionError(f"no way to the solution of {exercise}")


# exercise: [(a typical wrong answer, a phrase of its hint, strings of the solution no hint may contain)]
WRONG = {
    "01.1": [(((5, 28),), "only columns 0 to 27", ["(6, 0)", "6, 0"]), ((168,), "2 whole numbers", [])],
    "01.2": [((2400,), "biases", ["2416", "2,416"])],
    "01.3": [((False, (3, 2)), "whatever fills the gap", []),
             ((True, (0, 0)), "border of the image", ["3, 2"])],
    "01.4": [(({2},), "try all six shifts", ["4, 6"]), (({1, 2, 3, 4, 5, 6},), "half a pooled cell", [])],
    "01.5": [((224, 28, True, 1), "does not fit at the border", ["222", "22"]),
             ((26, 22, True, 1), "this time the image is 224×224", ["222"]),
             ((222, 22, True, 9), "mean of nine pixels", [])],
    "02.1": [((61_706,), "more kernels", ["63410", "63,410"])],
    "02.2": [(((16, 5, 5), 61_706), "with padding 2", ["107786", "107,786", "7, 7", "7×7"])],
    "02.3": [((12, 64_858), "its own pair", ["2352", "2,352"]),
             ((2352, 2352), "not of one layer", ["64858", "64,858"]), ((2352, 61_750), "shared", ["64858"])],
    "02.4": [((1500, 151_600), "one bias too", ["1516", "1,516"]),
             ((1516, 1516), "10×10 positions", ["151600", "151,600"])],
    "02.5": [((0, 0), "avoid moving", ["3200", "3,200"]), ((0, 800), "4 bytes", ["3200"])],
    "03.1": [(((1, 6, 26, 26), 5), "padding 2", ["30"]), (((6, 30, 30), 2), "first pooling", ["15"]),
             (((30, 30), 5), "3 whole numbers", [])],
    "03.2": [((7, 400), "400 is what", ["144"]), ((6, 144), "flatten works for any size", [])],
    "03.3": [((0,), "gives 13×13", ["padding 1", "p = 1"]), ((-1,), "at least 0", [])],
    "03.4": [(([28, 14, 10, 5], 400), "3×3 windows and stride 3", ["9, 5, 1", "16 values"])],
    "03.5": [((dict(k1=5),), "576 values", ["p1=0", "p1 = 0"]), ((dict(p1=0, k2=5),), "change only", [])],
    "04.1": [(((60, 1000), (8571, 3)), "none are dropped", ["8572", "8,572"])],
    "04.2": [((True, "neither"), "draw the first batch", ['"train"']),
             ((True, "test"), "would its first", [])],
    "04.3": [((47_040_000, 8 * 47_040_000), "float64", ["188160000", "188,160,000"])],
    "04.4": [((72.94, 90.02, "Coat"), "divide the bytes by 255", ["0.286", "0.353"]),
             ((0.29, 0.35, "Coat"), "three decimals", ["0.286", "0.353"])],
    "05.1": [((-math.log10(0.5), -math.log10(0.99)), "natural logarithm", ["0.69", "0.01"])],
    "05.2": [((12.5, "Trouser"), "not a percentage", ["0.125", "Pullover"]),
             ((0.1, "Shirt"), "whole test set", ["0.125", "Pullover"])],
    "05.3": [((0.0019 / 256,), "already too small", ["0.49", "0.48"])],
    "05.5": [((150, True), "slope at 0 is 1", []), ((0.01, False), "grows a lot", [])],
    "06.1": [((2.3,), "90 times smaller", ["2.4", "2.38"]), ((2.6,), "not small", ["2.4", "2.38"])],
    "06.2": [((1.7159,), "chain rule", ["1.14"]), ((0.25,), "sigmoid's slope", ["1.14"]),
             ((1,), "plain tanh", ["1.14"])],
    "06.3": [(("both",), "evaluation mode", ['"train"']), (("neither",), "training mode", ['"train"'])],
    "07.1": [(("Coat", 0.79), "a column collects", ["Shirt", "cm."]),
             (("Shirt", 0.72), "along its row", ["0.78", "0.79"]),
             (("Shirt", 0.21), "share of wrong", ["0.78"])],
    "07.2": [((lambda labels: labels.clone(),), "should end up in the same class", [])],
    "07.3": [(("Trouser",), "class by class", ["Shirt"])],
    "07.4": [((0,), "add up to 1", ["0.1"]), ((90,), "between 0 and 1", ["0.1"])],
    "08.1": [((0.25,), "once per step", []), ((2,), "no work per image", [])],
    "08.2": [((0,), "associative", []), ((1e-6,), "really that rare", []), ((30,), "not a percentage", [])],
    "08.3": [(({"aten::avg_pool2d"},), "Are both gone", []),
             (({"aten::avg_pool2d", "aten::sigmoid"},), "SigmoidAvgPool2", [])],
    # notebook 09 passes fixed code; tests/test_debugging_lab.py turns down more wrong fixes of each fault
    "09.1": [((lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),), "other layers", ["400", "5 * 5"])],
    "09.2": [((lambda net, X, y, device: (net(X).argmax(dim=1) == y).sum(),), "another device", [".to("])],
    "09.3": [((lambda x: x.view(x.shape[0], -1),), "channels-last", ["flatten("])],  # the error names reshape
    "09.4": [((lambda net, batches, lr: [],), "leaves every weight as it was", ["zero_grad", "mean"])],
    "09.5": [((lambda net, batches, lr: [],), "leaves every weight as it was", ["zero_grad"])],
}


def test_every_exercise_has_cases_and_a_solution_cell():
    assert sorted(WRONG) == EXERCISES
    for exercise in EXERCISES:
        solution_cell(exercise)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_accepts_the_notebooks_solution(exercise, real, capsys):
    answers = solutions(exercise, real)
    capsys.readouterr()  # what the solution cell itself prints
    assert check(exercise, *answers) is None  # prints; shows nothing else in a notebook
    out = capsys.readouterr().out
    assert out.startswith("Correct! ") and out.count("\n") == 1, out
    assert grade(exercise, *answers) == (True, out.rstrip("\n"))
    assert capsys.readouterr().out == ""  # grade prints nothing


@pytest.mark.parametrize("exercise", EXERCISES)
def test_typical_wrong_answers_get_a_hint_not_the_solution(exercise):
    for answers, hint, secrets in WRONG[exercise]:
        right, message = grade(exercise, *answers)
        assert not right and message.startswith("Not yet: ") and hint in message, (answers, message)
        for secret in secrets:
            assert secret not in message, f"the hint gives away {secret!r}: {message}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_no_answer_asks_for_one(exercise):
    n = len(WRONG[exercise][0][0])
    right, message = grade(exercise, *[None] * n)
    assert not right and message.startswith("Write your answer first: ") and len(message) > 40, message
    assert grade(exercise, *[...] * n)[1] == message
    if n > 1:  # one answer missing is enough to ask
        assert grade(exercise, *WRONG[exercise][0][0][:-1], None)[1] == message


@pytest.mark.parametrize("exercise", EXERCISES)
def test_answers_of_the_wrong_form_get_a_hint_not_an_error(exercise):
    n = len(WRONG[exercise][0][0])
    for odd in ("abc", object(), 2.5, [1, 2, 3], float("nan")):
        right, message = grade(exercise, *[odd] * n)
        assert not right and message.startswith("Not yet: ") and message.endswith((".", "?")), (odd, message)


def test_equivalent_forms_are_accepted():
    for shape in ((1, 6, 30, 30), [6, 30, 30], torch.Size([1, 6, 30, 30]), torch.tensor([6, 30, 30])):
        assert grade("03.1", shape, 5)[0], shape
    for n in (2416, 2416.0, torch.tensor(2416), torch.tensor([2416.0])):  # int, float, 1-element tensors
        assert grade("01.2", n)[0], n
    assert grade("01.3", torch.tensor(True), [3, 2])[0] and grade("01.1", torch.tensor([6, 0]))[0]
    assert grade("01.4", [6, 4, 2])[0] and grade("01.4", {2, 4, torch.tensor(6)})[0]
    assert grade("07.3", "shirt")[0] and grade("07.3", 6)[0] and grade("07.3", torch.tensor(6))[0]
    assert grade("06.3", " Train ")[0] and grade("08.3", ["aten::avg_pool2d_backward", "aten::avg_pool2d"])[0]
    assert grade("03.5", dict(k1=7, p1=2))[0] and grade("03.5", ShapeCalculator(static=True, k2=3, p1=0))[0]
    assert not grade("03.5", ShapeCalculator(static=True, p1=0))[0]  # conv2's kernel must stay 3


def test_tolerances_are_honest():
    assert grade("04.4", 0.286, 0.353, "Coat")[0] and grade("04.4", 0.2860, 0.3530, 4)[0]
    assert grade("05.1", 0.69, 0.01)[0] and not grade("05.1", 0.6, 0.01)[0]
    assert grade("05.3", 0.49)[0] and not grade("05.3", 0.4)[0]
    assert grade("05.2", 0.125, "Pullover")[0] and grade("05.2", 0.1265, 2)[0]
    assert not grade("05.2", 0.1, "Pullover")[0] and not grade("05.2", 0.13, "Pullover")[0]
    assert grade("06.2", 1.14)[0] and not grade("06.2", 1.2)[0]
    assert not grade("01.2", 2416.5)[0]  # a count is a whole number
    assert not grade("04.2", 1, "train")[0]  # True/False, not a number


def test_several_answers_say_which_are_right():
    message = grade("04.4", 0.286, 90.0, "Pullover")[1]
    assert "The mean is right." in message
    assert "the standard deviation —" in message and "The brightest class —" in message


def test_a_function_is_checked_by_calling_it():
    tops = (0, 2, 4, 6)
    assert grade("07.2", lambda labels: torch.where(torch.isin(labels, torch.tensor(tops)), 99, labels))[0]
    assert grade("07.2", lambda labels: [(-1 if int(y) in tops else int(y)) for y in labels])[0]  # a list
    assert not grade("07.2", lambda labels: torch.where(labels == 6, 0, labels))[0]  # only shirts merged
    too_many = grade("07.2", lambda labels: torch.where(labels >= 6, -1, labels))[1]  # shoes and bags too
    assert "Ankle boot and Shirt should not end up in the same class" in too_many
    broken = grade("07.2", lambda labels: labels.no_such_method())[1]
    assert broken.startswith("Not yet: ") and "AttributeError" in broken
    assert grade("07.2", lambda labels: None)[1].startswith("Write your answer first")

    def in_place(labels):
        labels[labels == 6] = 0
        return labels

    assert "changed the labels" in grade("07.2", in_place)[1]


def test_no_hint_hands_over_solution_code():
    """Hints say how to get there in words: no method call such as ``cm.sum(dim=0)`` or ``.parameters()``."""
    for nb, content in CONTENT.items():
        for k, exercise in content["exercises"].items():
            for answer in exercise["answers"]:
                for text in [answer.get("otherwise", "")] + [h["hint"] for h in answer.get("hints", [])]:
                    assert not re.search(r"\w\.\w+\(", text), f"{nb}.{k}: {text}"


def test_no_exercise_takes_only_true_or_false():
    """An answer of True/False alone would give the right one away by elimination after one "Not yet"."""
    for nb, content in CONTENT.items():
        for k, exercise in content["exercises"].items():
            forms = {answer["form"] for answer in exercise["answers"]}
            assert forms != {"boolean"}, f"exercise {nb}.{k} asks only for True or False"


def test_unknown_exercises_and_wrong_counts_say_what_exists():
    with pytest.raises(KeyError, match="05.1, 05.2, 05.3, 05.5|1, 2, 3, 5"):
        grade("05.4", 1)
    with pytest.raises(TypeError, match="takes 2 answer"):
        grade("05.1", 0.69)


def test_content_is_found_from_the_notebooks_folder_and_the_repository_root(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    assert course._file("05.json") == ROOT / "notebooks" / "exercises" / "05.json"
    monkeypatch.chdir(ROOT)
    assert course._file("05.json") == ROOT / "notebooks" / "exercises" / "05.json"
    # a notebooks folder elsewhere (a learner's copy): its own exercises/ comes first
    shutil.copytree(ROOT / "notebooks" / "exercises", tmp_path / "exercises")
    data = json.loads((tmp_path / "exercises" / "05.json").read_text(encoding="utf-8"))
    data["exercises"]["2"]["why"] = "from the copy."
    (tmp_path / "exercises" / "05.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert grade("05.2", 0.125, "Pullover") == (True, "Correct! from the copy.")


def test_missing_content_names_the_folders_and_the_fix(tmp_path, monkeypatch):
    folders = [tmp_path / "exercises", tmp_path / "notebooks" / "exercises"]
    monkeypatch.setattr(course, "_folders", lambda: folders)
    with pytest.raises(FileNotFoundError) as err:
        grade("05.2", 0.125, "Pullover")
    message = str(err.value)
    assert "\n" not in message and "05.json" in message and str(tmp_path / "exercises") in message
    assert "notebooks/ folder" in message and "git checkout -- notebooks/exercises" in message
