"""The exercises' self-checks (d2l_utils.checks): each accepts the notebook's solution, turns a typical
wrong answer into a hint that does not give the solution away, and asks for an answer when given None.

The right answers are computed as the notebooks' solution cells compute them, on small or random inputs
where the solution uses the data set; answers that need a trained network are the ones the solution
cells assert and print (nbval checks there that the solution cell prints "Correct!").
"""

import math

import pytest
import torch
from fakes import corr2d
from torch import nn

import d2l_utils
from d2l_utils import (
    ShapeCalculator,
    TensorBatches,
    conv_output_size,
    count_parameters,
    lenet,
)
from d2l_utils.checks import CHECKS, Verdict

# --- the notebooks' own small functions (01 and 03) ---------------------------------------------------------



def shift(x, down, right):
    out = torch.zeros_like(x)
    out[..., down:, right:] = x[..., : x.shape[-2] - down, : x.shape[-1] - right]
    return out


def out_size(n, k, p=0, s=1):
    return (n + 2 * p - k) // s + 1


# --- the solutions, computed ------------------------------------------------------------------------------


def solution_01_3():
    torch.manual_seed(0)
    img = torch.rand(28, 28)  # like image 0, non-zero at the border
    x = img[None, None]
    conv = nn.Conv2d(1, 6, kernel_size=5)
    with torch.no_grad():
        y, y_shifted = conv(x), conv(shift(x, 3, 2))
        y_rolled = conv(torch.roll(x, shifts=(3, 2), dims=(-2, -1)))
    return (torch.allclose(y_rolled[..., 3:, 2:], y[..., :-3, :-2], atol=1e-5),
            torch.allclose(y_rolled, y_shifted, atol=1e-5))


def solution_01_4():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 28, 28)
    conv, pool = nn.Conv2d(1, 6, kernel_size=5), nn.AvgPool2d(2, stride=2)
    matches = []
    with torch.no_grad():
        p = pool(conv(x))
        for s in (1, 2):
            q = pool(conv(shift(x, s, s)))
            k = s // 2
            matches.append(torch.allclose(q[..., k:, k:], p[..., : p.shape[-2] - k, : p.shape[-1] - k],
                                          atol=1e-5))
    return tuple(matches)


def solution_01_5():
    torch.manual_seed(0)
    img = torch.rand(28, 28)
    blur = torch.full((3, 3), 1 / 9)
    B = corr2d(img, blur)
    B_shifted = corr2d(shift(img, 3, 2), blur)
    return ((tuple(B.shape), tuple(corr2d(img, torch.full((7, 7), 1 / 49)).shape)),
            torch.allclose(B_shifted[3:, 2:], B[:-3, :-2], atol=1e-5), 1)


def solution_02_1():
    wider = nn.Sequential(
        nn.Conv2d(1, 10, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(10, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    return (count_parameters(wider),)


def solution_02_2():
    padded = lenet()
    padded[3] = nn.Conv2d(6, 16, kernel_size=5, padding=2)
    padded[7] = nn.Linear(16 * 7 * 7, 120)
    return padded[:6](torch.rand(1, 1, 28, 28)).shape, count_parameters(padded)


def solution_02_3():
    maxnet = nn.Sequential(*[nn.MaxPool2d(2, stride=2) if isinstance(m, nn.AvgPool2d) else m
                             for m in lenet()])
    return (count_parameters(maxnet),)


def solution_02_5():
    x = torch.rand(2, 5, 5, 16).permute(0, 3, 1, 2)
    contiguous = torch.rand(2, 16, 5, 5)
    return (contiguous.reshape(2, -1).data_ptr() == contiguous.data_ptr(),
            x.reshape(2, -1).data_ptr() == x.data_ptr())


def solution_03_1():
    net32 = lenet()
    net32[0] = nn.Conv2d(1, 6, kernel_size=5)
    return (list(net32[0](torch.rand(1, 1, 32, 32)).shape),)


def solution_03_2():
    sizes = [20]
    for k, p, s in [(5, 2, 1), (2, 0, 2), (5, 0, 1), (2, 0, 2)]:
        sizes.append(out_size(sizes[-1], k, p, s))
    X = torch.rand(1, 1, 20, 20)
    for i, layer in enumerate(lenet()):
        try:
            X = layer(X)
        except RuntimeError:
            return i, 16 * sizes[-1] ** 2
    raise AssertionError("no layer failed")


def solution_03_4():
    calc3 = ShapeCalculator(static=True, pool=3)
    return [shape[-1] for _, shape in calc3.shapes[1:5]], calc3.shapes[5][1][-1]


def solution_04_1():
    images, labels = torch.zeros(60_000, 1, 1, 1, dtype=torch.uint8), torch.zeros(60_000, dtype=torch.int64)
    measured = []
    for b in (1000, 7):
        sizes = [len(y_b) for _, y_b in TensorBatches(images, labels, b)]
        measured.append((len(sizes), sizes[-1]))
    return tuple(measured)


def solution_04_2():
    images, labels = torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8), torch.arange(40)
    test_iter = TensorBatches(images, labels, 16)  # as load_data_fashion_mnist's test iterator
    return (torch.equal(next(iter(test_iter))[0][:10], next(iter(test_iter))[0][:10]),)


def solution_04_3():
    images = torch.zeros(1, dtype=torch.uint8).expand(60_000, 1, 28, 28)  # the shape, without the memory
    return (images.numel() * images.element_size(), images.numel() * torch.finfo(torch.float32).bits // 8)


def solution_07_2():
    names = ("T-shirt/top", "Pullover", "Coat", "Shirt")
    tops = torch.tensor([d2l_utils.TEXT_LABELS.index(n) for n in names])

    def group(labels):
        return torch.where(torch.isin(labels, tops), -1, labels)

    return (group,)


def solution_08_2():
    torch.manual_seed(0)
    x = (3 * torch.randn(16, 6, 28, 28)).to(memory_format=torch.channels_last)
    s = torch.sigmoid(x)
    other_order = ((s[:, :, 0::2, 0::2] + s[:, :, 1::2, 0::2])
                   + (s[:, :, 0::2, 1::2] + s[:, :, 1::2, 1::2])) / 4
    plain = nn.functional.avg_pool2d(s, 2)
    return torch.equal(other_order, plain), torch.allclose(other_order, plain, atol=1e-6)


# key: (right answers: a tuple or a function computing it, a typical wrong answer, a phrase of its hint,
#       strings of the solution that no hint may contain)
CASES = {
    "01_1": ((divmod(28 * 5 + 27 + 1, 28),), ((5, 28),), "only columns 0 to 27", ["(6, 0)", "6, 0"]),
    "01_2": ((count_parameters(nn.Conv2d(6, 16, kernel_size=5)),), (2400,), "biases", ["2416", "2,416"]),
    "01_3": (solution_01_3, (True, True), "border of the image", []),
    "01_4": (solution_01_4, (True, True), "half a pooled cell", []),
    "01_5": (solution_01_5, (((28, 28), (28, 28)), True, 1), "does not fit at the border", ["26", "22"]),
    "02_1": (solution_02_1, (61_706,), "more kernels", ["63410", "63,410"]),
    "02_2": (solution_02_2, ((16, 5, 5), 61_706), "with padding 2", ["107786", "107,786", "7, 7", "7×7"]),
    "02_3": (solution_02_3, (61_706 + 2 * (6 + 16),), "which layers of LeNet hold parameters",
             ["61706", "61,706"]),
    "02_4": (((6 * 3 + 9 * 4 + 6) * 25 + 16, count_parameters(nn.Conv2d(6, 16, kernel_size=5))),
             (1500, 2416), "one bias too", ["1516", "1,516"]),
    "02_5": (solution_02_5, (False, False), "contiguous tensor", []),
    "03_1": (solution_03_1, ((1, 6, 32, 32),), "loses 4 rows", ["28"]),
    "03_2": (solution_03_2, (7, 400), "400 is what", ["144"]),
    "03_3": ((next(p for p in range(3) if conv_output_size(28, 3, p, 2) == 14),), (0,), "gives 13×13",
             ["padding 1", "p = 1"]),
    "03_4": (solution_03_4, ([28, 14, 10, 5], 400), "after pool1 is off", ["9, 5, 1", "16 values"]),
    "03_5": ((dict(p1=0),), (dict(k1=5),), "576 values", ["p1=0", "p1 = 0"]),
    "04_1": (solution_04_1, ((60, 1000), (8571, 3)), "none are dropped", ["8572", "8,572"]),
    "04_2": (solution_04_2, (False,), "shuffled", []),
    "04_3": (solution_04_3, (47_040_000, 8 * 47_040_000), "float64", ["188160000", "188,160,000"]),
    # computed in float64 from the 60,000 training images, as the solution does
    "04_4": ((0.2860405969887955, 0.3530242483182949, "Coat"), (72.94, 90.02, "Coat"),
             "divide the bytes by 255", ["0.286", "0.353"]),
    "05_1": ((-math.log(0.5), -math.log(0.99)), (-math.log10(0.5), -math.log10(0.99)), "natural logarithm",
             ["0.69", "0.01"]),
    "05_2": ((1000 / 10_000,), (10,), "not a percentage", ["0.1"]),
    "05_3": ((0.0019 * 256,), (0.0019 / 256,), "already too small", ["0.49", "0.48"]),
    # the predictions of 05_5 and 06: what the solution cells measure and assert
    "05_5": ((False, False), (True, True), "slope at 0 is 1", []),
    "06_1": ((False,), (True,), "nine times smaller step", []),
    "06_2": (("modern", True), ("classic", False), "slope 1", []),
    "06_3": ((True, False), (False, True), "which mean and variance", []),
    "07_1": (("Shirt", True), ("Coat", True), "per column", ["Shirt"]),
    "07_2": (solution_07_2, (lambda labels: labels.clone(),), "should end up in the same class", []),
    "07_3": (("Shirt",), ("Trouser",), "subtract", ["Shirt"]),
    "07_4": ((1 / 10,), (0,), "add up to 1", ["0.1"]),
    "08_1": ((False,), (True,), "once per step", []),
    "08_2": (solution_08_2, (True, True), "associative", []),
    "08_3": (({"aten::avg_pool2d", "aten::avg_pool2d_backward"},), ({"aten::avg_pool2d", "aten::sigmoid"},),
             "SigmoidAvgPool2", []),
}


def right(key):
    answers = CASES[key][0]
    return answers() if callable(answers) else answers


def test_every_check_has_a_case_and_is_exported():
    assert sorted(CASES) == sorted(CHECKS)
    for key, check in CHECKS.items():
        assert check.__name__ == f"check_{key}"
        assert getattr(d2l_utils, check.__name__) is check and check.__name__ in d2l_utils.__all__
        assert check.__doc__.startswith(f"Exercise {int(key[3:])} of notebook {key[:2]}")


@pytest.mark.parametrize("key", sorted(CASES))
def test_accepts_the_solution(key, capsys):
    answers = right(key)
    assert CHECKS[key](*answers) is None  # prints; shows nothing else in a notebook
    out = capsys.readouterr().out
    assert out.startswith("Correct! ") and out.count("\n") == 1, out
    verdict = CHECKS[key].grade(*answers)
    assert isinstance(verdict, Verdict) and verdict and verdict.correct
    assert capsys.readouterr().out == ""  # grade prints nothing


@pytest.mark.parametrize("key", sorted(CASES))
def test_a_typical_wrong_answer_gets_a_hint_not_the_solution(key, capsys):
    _, wrong, hint, secrets = CASES[key]
    CHECKS[key](*wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and hint in out, out
    assert not CHECKS[key].grade(*wrong)
    for secret in secrets:
        assert secret not in out, f"the hint gives away {secret!r}: {out}"


@pytest.mark.parametrize("key", sorted(CASES))
def test_no_answer_asks_for_one(key, capsys):
    n = len(right(key))
    CHECKS[key](*[None] * n)
    out = capsys.readouterr().out
    assert out.startswith("Write your answer first: ") and len(out) > 40, out
    assert not CHECKS[key].grade(*[None] * n)
    if n > 1:  # one answer missing is enough to ask
        assert CHECKS[key].grade(*right(key)[:-1], None).message.startswith("Write your answer first")
    assert CHECKS[key].grade(*[...] * n).message.startswith("Write your answer first")


@pytest.mark.parametrize("key", sorted(CASES))
def test_answers_of_the_wrong_form_get_a_hint_not_an_error(key):
    n = len(right(key))
    for odd in ("abc", object(), 2.5, [1, 2, 3]):
        verdict = CHECKS[key].grade(*[odd] * n)
        assert not verdict and verdict.message.startswith("Not yet: "), (odd, verdict)


def test_equivalent_forms_are_accepted():
    c = d2l_utils
    # shapes: tuple, list, torch.Size, with or without the batch dimension, or the tensor itself
    for shape in ((1, 6, 28, 28), [6, 28, 28], torch.Size([1, 6, 28, 28]), torch.zeros(1, 6, 28, 28)):
        assert c.check_03_1.grade(shape), shape
    # numbers: int, float, one-element tensor; True/False: bool or a bool tensor
    for n in (2416, 2416.0, torch.tensor(2416), torch.tensor([2416.0])):
        assert c.check_01_2.grade(n), n
    assert c.check_01_3.grade(torch.tensor(True), torch.tensor(False))
    # sizes as n or (n, n); a pixel as a tuple, a list or a tensor
    assert c.check_01_5.grade((26, (22, 22)), True, 1.0)
    assert c.check_01_1.grade([6, 0]) and c.check_01_1.grade(torch.tensor([6, 0]))
    # classes by name (any case) or label; operators with or without "aten::"
    assert c.check_07_3.grade("shirt") and c.check_07_3.grade(6) and c.check_07_3.grade(torch.tensor(6))
    assert c.check_08_3.grade(["avg_pool2d", "aten::avg_pool2d_backward"])
    # the failing layer by index or name; any working conv1 setting, also as a ShapeCalculator
    assert c.check_03_2.grade("Linear", 144)
    assert c.check_03_5.grade(dict(k1=7, p1=2))
    assert c.check_03_5.grade(ShapeCalculator(static=True, k2=3, p1=0))
    assert not c.check_03_5.grade(ShapeCalculator(static=True, p1=0))  # conv2's kernel must stay 3
    assert not c.check_03_5.grade(dict(p1=0, k2=5))


def test_tolerances_are_honest():
    c = d2l_utils
    assert c.check_04_4.grade(0.286, 0.353, "Coat") and c.check_04_4.grade(0.2860, 0.3530, 4)
    rounded = c.check_04_4.grade(0.29, 0.35, "Coat")
    assert not rounded and "three decimals" in rounded.message
    assert c.check_05_1.grade(0.69, 0.01) and not c.check_05_1.grade(0.6, 0.01)
    assert c.check_05_3.grade(0.49) and not c.check_05_3.grade(0.4)
    assert c.check_05_2.grade(0.1) and not c.check_05_2.grade(0.2)
    assert not c.check_01_2.grade(2416.5)  # a count is a whole number


def test_several_answers_say_which_are_right():
    message = d2l_utils.check_04_4.grade(0.286, 90.0, "Pullover").message
    assert "The mean is right." in message
    assert "standard deviation —" in message and "brightest class —" in message


def test_a_function_is_checked_by_calling_it():
    check = d2l_utils.check_07_2
    tops = (0, 2, 4, 6)
    assert check.grade(lambda labels: torch.where(torch.isin(labels, torch.tensor(tops)), 99, labels))
    assert check.grade(lambda labels: [(-1 if int(y) in tops else int(y)) for y in labels])  # a list is fine
    assert not check.grade(lambda labels: torch.where(labels == 6, 0, labels))  # only shirts merged
    too_many = check.grade(lambda labels: torch.where(labels >= 6, -1, labels)).message  # shoes and bags too
    assert "Ankle boot and Shirt should not end up in the same class" in too_many
    broken = check.grade(lambda labels: labels.no_such_method())
    assert not broken and "AttributeError" in broken.message
    assert check.grade(lambda labels: None).message.startswith("Write your answer first")

    def in_place(labels):
        labels[labels == 6] = 0
        return labels

    assert "changed the labels" in check.grade(in_place).message
