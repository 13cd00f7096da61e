"""Self-checks for the exercises of every notebook (01-08): ``check_NN_k`` checks exercise k of notebook NN.

Under each exercise whose answer is a number, a shape, True/False, a class name or a small function, the
notebook has a cell such as::

    next_pixel = None  # your answer: (row, column)
    check_01_1(next_pixel)

The check prints ``Correct!`` with one sentence of why, or ``Not yet: <hint>``; it never prints the
solution. An answer still at ``None`` (or ``...``) prints ``Write your answer first: ...``, saying what
form the answer takes. Equivalent forms are accepted (a shape as a tuple, a list or a ``torch.Size``; a
number as an int, a float or a one-element tensor; a class as its name or its label), floats with an
honest tolerance, and a function is checked by calling it on a few inputs.

Each ``check_NN_k`` prints and returns ``None``, so a notebook cell shows only the message. Code that
needs the verdict (the tests) calls ``check_NN_k.grade(...)`` instead: it prints nothing and returns a
:class:`Verdict`, true when the answer is right, with the message as ``.message``. ``CHECKS`` maps
``"NN_k"`` to each check.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from .data import TEXT_LABELS
from .models import FASHION_MNIST_MEAN, FASHION_MNIST_STD
from .widgets import ShapeCalculator, conv_output_size

CHECKS: dict = {}  # "01_1" -> check_01_1, in notebook and exercise order


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``correct`` (also its truth value) and the ``message`` a learner sees."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct


class _Form(Exception):
    """An answer of the wrong form (a str for a number, ...); the exception's text is the hint."""


def _correct(why: str) -> Verdict:
    return Verdict(True, f"Correct! {why}")


def _not_yet(hint: str) -> Verdict:
    return Verdict(False, f"Not yet: {hint}")


def _unanswered(answer) -> bool:
    if answer is None or answer is Ellipsis:
        return True
    return isinstance(answer, (tuple, list)) and any(_unanswered(a) for a in answer)


def _check(asks: str):
    """Turn a grading function (answers -> Verdict) into a notebook check that prints its message.

    ``asks`` says what the learner writes; it completes "Write your answer first: ..."."""

    def wrap(grade):
        def verdict(*answers) -> Verdict:
            if any(_unanswered(a) for a in answers):
                return Verdict(False, f"Write your answer first: {asks}")
            try:
                return grade(*answers)
            except _Form as hint:
                return _not_yet(str(hint))

        @functools.wraps(grade)
        def check(*answers) -> None:
            print(verdict(*answers).message)

        check.grade = verdict
        CHECKS[grade.__name__.removeprefix("check_")] = check
        return check

    return wrap


# --- reading answers in any reasonable form ----------------------------------------------------------------


def _number(x, what: str = "a number") -> float:
    if torch.is_tensor(x):
        if x.numel() != 1:
            raise _Form(f"give {what}, not a tensor of {x.numel()} values")
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise _Form(f"give {what}, not {type(x).__name__} {x!r}")
    value = float(x)
    if not math.isfinite(value):
        raise _Form(f"give {what}, not {value}")
    return value


def _integer(x, what: str = "a whole number") -> int:
    value = _number(x, what)
    if value != int(value):
        raise _Form(f"give {what}, not {value}")
    return int(value)


def _boolean(x, what: str = "the answer") -> bool:
    if torch.is_tensor(x) and x.numel() == 1 and x.dtype == torch.bool:
        return bool(x.item())
    if isinstance(x, bool) or type(x).__name__ == "bool_":  # Python's bool or numpy's
        return bool(x)
    raise _Form(f"write {what} as True or False, not {x!r}")


def _shape(x, what: str = "a shape") -> tuple:
    if torch.is_tensor(x):  # the tensor itself: its shape
        x = x.shape
    if not isinstance(x, (tuple, list, torch.Size)):
        raise _Form(f"give {what} as a tuple such as (1, 2, 3), not {x!r}")
    return tuple(_integer(n, f"whole numbers in {what}") for n in x)


def _size(x, what: str) -> int:
    """A square map's size, given as n or as (n, n)."""
    if isinstance(x, (tuple, list, torch.Size)) or torch.is_tensor(x) and x.numel() != 1:
        dims = _shape(x, what)
        if len(dims) != 2 or dims[0] != dims[1]:
            raise _Form(f"give {what} as one number n or as (n, n), not {x!r}")
        return dims[0]
    return _integer(x, what)


def _class(x) -> int:
    """A Fashion-MNIST class given by name ("Shirt", any case) or by label (6)."""
    if isinstance(x, str):
        names = [name.lower() for name in TEXT_LABELS]
        if x.strip().lower() in names:
            return names.index(x.strip().lower())
        raise _Form(f"{x!r} is not a class name; the names are in TEXT_LABELS")
    label = _integer(x, "a class name or a label from 0 to 9")
    if not 0 <= label <= 9:
        raise _Form(f"labels go from 0 to 9, not {label}")
    return label


def _close(x: float, target: float, tol: float) -> bool:
    return abs(x - target) <= tol


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _parts(parts, why: str) -> Verdict:
    """Several answers at once: parts is a list of (label, right, hint); one hint per wrong answer."""
    wrong = [f"{label} — {hint}" for label, right, hint in parts if not right]
    if not wrong:
        return _correct(why)
    right = [label for label, ok, _ in parts if ok]
    if right:
        names = right[0] if len(right) == 1 else ", ".join(right[:-1]) + " and " + right[-1]
        wrong.append(f"{names} {'is' if len(right) == 1 else 'are'} right.")
    return _not_yet(" ".join([wrong[0]] + [_sentence(w) for w in wrong[1:]]))


def _booleans(*answers) -> tuple:
    """Several True/False answers, named "the first answer", "the second answer", ... in hints."""
    names = ("the first answer", "the second answer", "the third answer")
    return tuple(_boolean(a, name) for a, name in zip(answers, names))


# --- 01 · Why convolutions ---------------------------------------------------------------------------------


@_check("the (row, column) of the pixel at the next position of the flattened vector.")
def check_01_1(next_pixel):
    """Exercise 1 of notebook 01: the pixel after (5, 27) in the flattened image."""
    if torch.is_tensor(next_pixel) and next_pixel.numel() == 2:
        next_pixel = next_pixel.tolist()
    if not isinstance(next_pixel, (tuple, list)):
        index = _integer(next_pixel, "the pixel as (row, column)")
        raise _Form(f"{index} is a position in the flattened vector; give the pixel as (row, column)")
    if len(next_pixel) != 2:
        raise _Form("give the pixel as (row, column): two numbers")
    row, col = (_integer(v, "whole numbers for row and column") for v in next_pixel)
    if (row, col) == (6, 0):
        return _correct("a row ends at column 27, so the vector continues with the first pixel of the "
                        "next row, far away in the image.")
    if col > 27:
        return _not_yet("a row has only columns 0 to 27. Where does the vector go after a row's last "
                        "pixel?")
    if row == 5:
        return _not_yet("(5, 27) is the last pixel of row 5, so the next position cannot be in row 5.")
    return _not_yet("pixel (r, c) sits at position 28·r + c. Add 1 to the position of (5, 27) and turn "
                    "it back into (row, column) with divmod(position, 28).")


@_check("the number of parameters (weights and biases) of nn.Conv2d(6, 16, kernel_size=5).")
def check_01_2(conv2_count):
    """Exercise 2 of notebook 01: the parameters of LeNet's second convolution."""
    n = _integer(conv2_count, "a whole number of parameters")
    if n == 16 * 6 * 5 * 5 + 16:
        return _correct("each output channel has one 5×5 kernel per input channel, plus one bias.")
    if n == 16 * 6 * 5 * 5:
        return _not_yet("count the biases too: one per output channel.")
    if n in (16 * 5 * 5 + 16, 16 * 5 * 5, 6 * 5 * 5 + 6):
        return _not_yet("every output channel has a 5×5 kernel for each of the 6 input channels.")
    return _not_yet("weights: output channels × input channels × 5 × 5; then add one bias per output "
                    "channel.")


@_check("two answers, True or False: does the compared region still match, and do the whole maps "
        "match?")
def check_01_3(region_still_equal, whole_maps_equal):
    """Exercise 3 of notebook 01: the shift comparison for a rolled image instead of a zero-filled one."""
    region, whole = _booleans(region_still_equal, whole_maps_equal)
    return _parts([
        ("the compared region", region,
         "output (i, j) reads input rows i to i+4 and columns j to j+4. For i ≥ 3 and j ≥ 2, which "
         "input pixels are those, whatever fills the gap at the top and left?"),
        ("the whole maps", not whole,
         "is the border of the image all zero? Look at img[-3:] and img[:, -2:], then at what roll "
         "brings in."),
    ], "the compared region reads only original pixels, whatever filled the gap; the first rows and "
       "columns of the maps read the filled-in pixels, and there roll and zeros differ.")


@_check("two answers, True or False: do the pooled maps match for a shift of 1 pixel, and for 2 "
        "pixels?")
def check_01_4(match_shift_1, match_shift_2):
    """Exercise 4 of notebook 01: does the shift property survive 2x2 average pooling?"""
    one, two = _booleans(match_shift_1, match_shift_2)
    return _parts([
        ("the 1-pixel shift", not one,
         "a 1-pixel shift moves the content by half a pooled cell. Can a pooled map shift by half a "
         "cell?"),
        ("the 2-pixel shift", two,
         "2 pixels are exactly one pooled cell. Compare the pooled maps shifted by one cell, as in "
         "section 4."),
    ], "only shifts by a multiple of the pooling stride carry over exactly; pooling trades exact "
       "equivariance for smaller maps.")


@_check("(a) the map sizes for the 3×3 and the 7×7 mean, e.g. ((h, w), (h, w)); (b) True or False; "
        "(c) a number.")
def check_01_5(map_sizes, blur_shifts_too, largest_blurred):
    """Exercise 5 of notebook 01: a mean (blur) kernel: map sizes, equivariance, largest value."""
    if not isinstance(map_sizes, (tuple, list)) or len(map_sizes) != 2:
        raise _Form("give (a) as two sizes, one for the 3×3 and one for the 7×7 mean kernel")
    small, large = _size(map_sizes[0], "the 3×3 map's size"), _size(map_sizes[1], "the 7×7 map's size")
    shifts = _boolean(blur_shifts_too, "(b)")
    largest = _number(largest_blurred, "(c) as a number")
    if (small, large) == (28, 28):
        size_hint = "without padding the kernel does not fit at the border. How many rows does it lose?"
    elif (small, large) == (25, 21):
        size_hint = "a k×k kernel without padding loses k − 1 rows and columns, not k."
    else:
        size_hint = "a k×k kernel without padding loses k − 1 rows and columns of the 28×28 image."
    if largest in (9, 255, 9 * 255):
        largest_hint = ("the kernel's weights are 1/9: each output is the mean of nine pixels, and the "
                        "pixels are in [0, 1] here.")
    else:
        largest_hint = "what is the largest possible mean of nine numbers, each in [0, 1]?"
    return _parts([
        ("(a)", (small, large) == (26, 22), size_hint),
        ("(b)", shifts, "equivariance comes from using the same weights at every position. Does that "
                        "depend on the kernel's values?"),
        ("(c)", _close(largest, 1, 1e-6), largest_hint),
    ], "(a) a k×k kernel loses k − 1 rows and columns; (b) weight sharing makes every kernel "
       "equivariant; (c) a mean of values in [0, 1] stays in [0, 1].")


# --- 02 · Building LeNet -----------------------------------------------------------------------------------


@_check("the number of parameters of LeNet with 10 channels in the first convolution.")
def check_02_1(n_wider):
    """Exercise 1 of notebook 02: LeNet's parameter count with a 10-channel first convolution."""
    n = _integer(n_wider, "a whole number of parameters")
    conv1, conv2 = (10 * 25 + 10) - (6 * 25 + 6), (16 * 10 * 25 + 16) - (16 * 6 * 25 + 16)
    if n == 61_706 + conv1 + conv2:
        return _correct("only the two convolutions change; the linear layers still receive 16×5×5 "
                        "values.")
    if n == 61_706:
        return _not_yet("more channels in conv1 mean more kernels there, and conv2 then has more input "
                        "channels.")
    if n == 61_706 + conv1:
        return _not_yet("conv2 now sees 10 input channels, so each of its kernels grows too.")
    if n == 61_706 + conv2:
        return _not_yet("conv1 itself has 10 kernels and 10 biases now.")
    return _not_yet("recount conv1 and conv2 (out × in × 5 × 5 weights + out biases); the linear "
                    "layers do not change.")


@_check("the shape that reaches the flatten layer, e.g. (channels, height, width), and the parameter "
        "count of the network once it runs.")
def check_02_2(flatten_input_shape, n_params_fixed):
    """Exercise 2 of notebook 02: a second convolution with padding 2."""
    if not isinstance(flatten_input_shape, (tuple, list, torch.Size)) and not torch.is_tensor(
            flatten_input_shape):
        raise _Form("give the shape that reaches the flatten layer as (channels, height, width), "
                    "not the number of values that leaves it")
    shape = _shape(flatten_input_shape, "the shape")
    shape = shape[1:] if len(shape) == 4 and shape[0] == 1 else shape
    n = _integer(n_params_fixed, "a whole number of parameters")
    if shape == (16, 5, 5):
        shape_hint = "with padding 2, what size does the second convolution's output have?"
    elif shape == (16, 14, 14):
        shape_hint = "the second pooling layer still halves height and width."
    else:
        shape_hint = "trace it: conv2 (5×5, padding 2) on 6×14×14, then 2×2 pooling with stride 2."
    if n == 61_706:
        count_hint = ("the first linear layer must accept the new number of flattened values: recount "
                      "its weights.")
    else:
        count_hint = ("only fc1 changes: its inputs are channels × height × width of the shape above. "
                      "Recount it and add the rest of the network.")
    return _parts([
        ("the shape", shape == (16, 7, 7), shape_hint),
        ("the parameter count", n == 61_706 + (784 - 400) * 120, count_hint),
    ], "padding keeps the maps 14×14 before pooling, so fc1 must take 16·7·7 inputs, and it holds "
       "most of the parameters.")


@_check("the parameter count of LeNet with max pooling instead of average pooling.")
def check_02_3(n_max_pool):
    """Exercise 3 of notebook 02: LeNet's parameter count with max pooling."""
    n = _integer(n_max_pool, "a whole number of parameters")
    if n == 61_706:
        return _correct("neither max nor average pooling has parameters, so the count does not change.")
    if n <= 100:
        return _not_yet("give the parameter count of the whole network, not the change.")
    return _not_yet("which layers of LeNet hold parameters (section 5)? Try "
                    "list(nn.MaxPool2d(2).parameters()).")


@_check("two numbers: the trainable parameters of LeNet-5's C3 and of our conv2.")
def check_02_4(c3_params, conv2_params):
    """Exercise 4 of notebook 02: LeNet-5's partially connected C3 against our conv2."""
    c3 = _integer(c3_params, "a whole number for C3")
    ours = _integer(conv2_params, "a whole number for conv2")
    connections = 6 * 3 + 9 * 4 + 1 * 6
    if c3 == connections * 25:
        c3_hint = "each of the 16 maps has one bias too."
    else:
        c3_hint = ("count the connections (6 maps see 3 of S2's maps, 9 see 4, 1 sees 6): one 5×5 "
                   "kernel each, then one bias per map.")
    if ours == 16 * 6 * 25:
        ours_hint = "count the biases too: one per output channel."
    else:
        ours_hint = ("our conv2 connects all 6 input maps to each of its 16 maps, one 5×5 kernel each, "
                     "plus one bias per map.")
    return _parts([
        ("C3", c3 == connections * 25 + 16, c3_hint),
        ("conv2", ours == 16 * 6 * 25 + 16, ours_hint),
    ], "C3's partial connections need fewer kernels than our fully connected conv2.")


@_check("two answers, True or False: does reshape share memory for the contiguous tensor, and for x?")
def check_02_5(contiguous_shares, x_shares):
    """Exercise 5 of notebook 02: when does reshape copy?"""
    contiguous, x = _booleans(contiguous_shares, x_shares)
    return _parts([
        ("the contiguous tensor", contiguous,
         "a contiguous tensor can be read in flattened order as it is. What does reshape return then?"),
        ("x", not x,
         "x.view(2, -1) failed because x's memory is not in flattened order. Can reshape avoid moving "
         "the data?"),
    ], "reshape returns a view when it can and copies the data when it must; the copy costs time and "
       "memory.")


# --- 03 · Tracing shapes -----------------------------------------------------------------------------------


@_check("the output shape of the first convolution (5×5, no padding) for a 1×1×32×32 input.")
def check_03_1(conv1_shape):
    """Exercise 1 of notebook 03: LeNet-5's 32×32 input without padding."""
    shape = _shape(conv1_shape, "the shape")
    shape = shape[1:] if len(shape) == 4 and shape[0] == 1 else shape
    if shape == (6, 28, 28):
        return _correct("32 − 4 = 28: from the first convolution on, every shape is the same as ours.")
    if len(shape) != 3:
        return _not_yet("give (batch, channels, height, width), as the trace prints it.")
    if shape[0] != 6:
        return _not_yet("the first convolution still has 6 output channels.")
    if shape[1:] == (32, 32):
        return _not_yet("without padding, a 5×5 kernel loses 4 rows and 4 columns.")
    return _not_yet("a k×k convolution without padding shrinks height and width by k − 1.")


@_check("the index (in net) of the layer that fails, and the number of values that reach the first "
        "linear layer.")
def check_03_2(failing_layer, n_values):
    """Exercise 2 of notebook 03: a 20×20 input."""
    if isinstance(failing_layer, str):
        failing = {"linear": 7, "fc1": 7, "flatten": 6}.get(failing_layer.strip().lower())
        if failing is None:
            raise _Form(f"give the failing layer as its index in net (0 to 11), not {failing_layer!r}")
    else:
        failing = _integer(failing_layer, "the layer's index in net (0 to 11)")
    n = _integer(n_values, "a whole number of values")
    if failing == 6:
        layer_hint = "flatten works for any size. Which layer needs a fixed number of inputs?"
    elif 0 <= failing <= 5:
        layer_hint = ("compute the sizes: every convolution and pooling window still fits. Which layer "
                      "needs a fixed number of inputs?")
    else:
        layer_hint = "which layer of net needs a fixed number of inputs? (Index 0 is conv1.)"
    if n == 400:
        value_hint = ("400 is what the first linear layer expects. Trace 20 through conv1, pool1, "
                      "conv2 and pool2.")
    elif n in (3, 9):
        value_hint = "count all values: channels × height × width."
    else:
        value_hint = ("apply ⌊(n + 2p − k)/s⌋ + 1 to 20 for conv1 (k 5, p 2), pool1, conv2 (k 5) and "
                      "pool2, then multiply by the 16 channels.")
    return _parts([
        ("the failing layer", failing == 7, layer_hint),
        ("the number of values", n == 16 * 3 * 3, value_hint),
    ], "the convolutions and poolings accept any size that fits; only the first linear layer needs "
       "exactly 400 inputs.")


@_check("the padding (a whole number) that turns 28×28 into 14×14 for a 3×3 convolution with "
        "stride 2.")
def check_03_3(padding):
    """Exercise 3 of notebook 03: padding for a 3×3, stride-2 convolution."""
    p = _integer(padding, "a whole number of pixels")
    if p < 0:
        return _not_yet("padding is at least 0.")
    out = conv_output_size(28, 3, p, 2)
    if out == 14:
        return _correct(f"⌊(28 + {2 * p} − 3)/2⌋ + 1 = 14.")
    return _not_yet(f"with padding {p} the formula ⌊(28 + 2p − 3)/2⌋ + 1 gives {out}×{out}. "
                    f"{'More' if out < 14 else 'Less'} padding?")


@_check("the four sizes after conv1, pool1, conv2 and pool2, e.g. [h1, h2, h3, h4], and the number "
        "of values that reach the flatten layer.")
def check_03_4(sizes, n_flat):
    """Exercise 4 of notebook 03: 3×3 pooling windows with stride 3."""
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 4:
        raise _Form("give the four sizes after conv1, pool1, conv2 and pool2 (not the input's), as a "
                    "list")
    given = [_integer(n, "whole numbers for the sizes") for n in sizes]
    n = _integer(n_flat, "a whole number of values")
    windows = {"conv1": "k 5, p 2, s 1", "pool1": "k 3, s 3", "conv2": "k 5, no padding",
               "pool2": "k 3, s 3"}
    wrong = [name for name, a, b in zip(windows, given, [28, 9, 5, 1]) if a != b]
    size_hint = (f"the size after {wrong[0]} is off: apply ⌊(n + 2p − k)/s⌋ + 1 with "
                 f"{windows[wrong[0]]} to the size before it." if wrong else "")
    if n in (1, given[-1] ** 2):
        flat_hint = "count all values: 16 channels × height × width after pool2."
    else:
        flat_hint = "the flatten layer receives 16 channels × height × width of pool2's output."
    return _parts([
        ("the sizes", not wrong, size_hint),
        ("the flattened size", n == 16, flat_hint),
    ], "only 16 values reach the flatten layer, so Linear(400, 120) no longer fits.")


@_check("settings of the first convolution as a dict, such as dict(k1=5, p1=2, s1=1), or a "
        "ShapeCalculator.")
def check_03_5(conv1_settings):
    """Exercise 5 of notebook 03: bring the flattened size back to 400 with conv2's kernel at 3.

    Any setting of the first convolution that works is right; the shape calculator checks it."""
    if isinstance(conv1_settings, ShapeCalculator):
        values = conv1_settings.values
        if values["k2"] != 3 or any(values[name] != ShapeCalculator.DEFAULTS[name]
                                    for name in ("p2", "s2", "pool")):
            return _not_yet("keep the second convolution's kernel at 3 and change only k1, p1 and s1.")
        if conv1_settings.size != 28:
            return _not_yet("keep the 28×28 input.")
        settings = {name: values[name] for name in ("k1", "p1", "s1")}
    elif isinstance(conv1_settings, dict):
        others = sorted(set(conv1_settings) - {"k1", "p1", "s1"})
        if others:
            return _not_yet(f"change only the first convolution (k1, p1, s1), not {', '.join(others)}.")
        settings = {name: _integer(value, f"a whole number for {name}")
                    for name, value in conv1_settings.items()}
    else:
        raise _Form("give the first convolution's settings as a dict, such as dict(k1=5, p1=2, s1=1)")
    calc = ShapeCalculator(static=True, k2=3, **settings)
    if calc.error is None:
        return _correct("with these settings the maps after the second pooling are 5×5 again: "
                        "16 × 5 × 5 = 400.")
    name, shape = calc.shapes[-1]
    if name == "Flatten":
        return _not_yet(f"with these settings the flatten layer gets {shape[-1]} values, not 400. "
                        "The 3×3 second convolution loses 2 rows: what must the first pooling deliver?")
    return _not_yet(calc.error)


# --- 04 · The Fashion-MNIST data ---------------------------------------------------------------------------


@_check("two pairs (number of batches, images in the last batch): one for batch size 1,000, one "
        "for 7.")
def check_04_1(batches_1000, batches_7):
    """Exercise 1 of notebook 04: batches per epoch and the size of the last one."""
    parts = []
    for b, answer in ((1000, batches_1000), (7, batches_7)):
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise _Form(f"give batch size {b:,}'s answer as a pair (number of batches, images in "
                        "the last batch)")
        count, last = (_integer(v, "whole numbers") for v in answer)
        full, rest = divmod(60_000, b)
        if last == 0:
            hint = "a batch holds at least one image; when b divides 60,000, the last batch is full."
        elif count == full and rest:
            hint = "the images left after the full batches still form a last batch (none are dropped)."
        elif last == b and rest:
            hint = "60,000 is not a multiple of the batch size. What is left after the full batches?"
        else:
            hint = ("the number of batches is 60,000 / b rounded up; the last batch holds what the "
                    "full ones leave.")
        parts.append((f"batch size {b:,}", (count, last) == (full + (rest > 0), rest or b), hint))
    return _parts(parts, "⌈60,000 / b⌉ batches, and the last one holds what the full ones leave.")


@_check("True or False: are the first ten test images the same every time you run the cell?")
def check_04_2(same_every_time):
    """Exercise 2 of notebook 04: is the test iterator shuffled?"""
    if _boolean(same_every_time):
        return _correct("the test iterator is not shuffled, so its order is fixed; only the training "
                        "iterator is shuffled anew every epoch.")
    return _not_yet("the set-up says which iterator is shuffled anew every epoch. Is it the test "
                    "iterator?")


@_check("two numbers of bytes: the training images as stored (uint8), and as float32.")
def check_04_3(n_bytes_uint8, n_bytes_float32):
    """Exercise 3 of notebook 04: memory of the training images."""
    stored = _integer(n_bytes_uint8, "a whole number of bytes")
    as_float = _integer(n_bytes_float32, "a whole number of bytes")
    pixels = 60_000 * 28 * 28
    if stored < 1000:
        stored_hint = "give the answer in bytes, not MiB or MB."
    else:
        stored_hint = "one byte per pixel: count the pixels of all training images (images × 28 × 28)."
    if stored != pixels:
        float_hint = "first count the pixels; a float32 takes 32 bits per pixel."
    elif as_float == 8 * pixels:
        float_hint = "a float32 takes 32 bits; a float64 would take 8 bytes."
    elif as_float == 32 * pixels:
        float_hint = "that counts bits; a byte has 8."
    else:
        float_hint = "a float32 takes 32 bits. How many bytes is that per pixel?"
    return _parts([
        ("uint8", stored == pixels, stored_hint),
        ("float32", as_float == 4 * pixels, float_hint),
    ], "one byte per pixel as stored, four as float32: converting batch by batch saves three quarters "
       "of the memory.")


@_check("the mean and the standard deviation of the training pixels (on the [0, 1] scale), and the "
        "brightest class (its name or label).")
def check_04_4(mean, std, brightest):
    """Exercise 4 of notebook 04: pixel statistics and the brightest class.

    Accepted: within 0.0005 of the values that ``Normalize`` uses (three decimals or more)."""
    m = _number(mean, "the mean as a number")
    s = _number(std, "the standard deviation as a number")
    c = _class(brightest)

    def stat_hint(value, target, name, method):
        if value > 1:
            return "on the [0, 1] scale: divide the bytes by 255."
        if _close(value, target, 0.005):
            return "close; give three decimals or more."
        return f"compute {name} over all pixels of all training images: pixels.{method}()."

    return _parts([
        ("the mean", _close(m, FASHION_MNIST_MEAN, 5e-4),
         stat_hint(m, FASHION_MNIST_MEAN, "the mean", "mean")),
        ("the standard deviation", _close(s, FASHION_MNIST_STD, 5e-4),
         stat_hint(s, FASHION_MNIST_STD, "the standard deviation", "std")),
        ("the brightest class", c == TEXT_LABELS.index("Coat"),
         "compute each class's mean, pixels[train_iter.labels == c].mean(), and take the largest."),
    ], "these are the statistics that Normalize uses in notebook 06; coats are large garments that "
       "fill much of the frame.")


# --- 05 · Training LeNet -----------------------------------------------------------------------------------


@_check("two numbers: the cross-entropy when the true class gets probability 0.5, and when it gets "
        "0.99.")
def check_05_1(ce_half, ce_99):
    """Exercise 1 of notebook 05: cross-entropy of a single example (two decimals or more)."""
    half, sure = _number(ce_half, "a number"), _number(ce_99, "a number")

    def hint(value, q):
        if value < 0:
            return "cross-entropy is −log q, a positive number when q < 1."
        if _close(value, -math.log10(q), 1e-3):
            return "use the natural logarithm (math.log), as PyTorch does, not log base 10."
        if _close(value, 1 - q, 1e-9):
            return "cross-entropy is −log q of the true class, not 1 − q."
        return "cross-entropy is −log q of the true class (natural logarithm); give two decimals or more."

    return _parts([
        ("q = 0.5", math.isclose(half, -math.log(0.5), rel_tol=0.01, abs_tol=1e-3), hint(half, 0.5)),
        ("q = 0.99", math.isclose(sure, -math.log(0.99), rel_tol=0.01, abs_tol=1e-3), hint(sure, 0.99)),
    ], "−log q: the lower the cross-entropy, the closer the prediction is to the truth.")


@_check("the test accuracy (a fraction between 0 and 1) of a model that always answers Trouser.")
def check_05_2(trouser_accuracy):
    """Exercise 2 of notebook 05: accuracy of a constant answer."""
    acc = _number(trouser_accuracy, "a fraction between 0 and 1")
    if _close(acc, 0.1, 0.005):
        return _correct("the test set holds equally many images of every class, so a constant answer "
                        "is right for one class's share of them: chance level.")
    if acc > 1:
        return _not_yet("give the accuracy as a fraction between 0 and 1, not a percentage.")
    return _not_yet("count the test labels equal to 1 (Trouser) and divide by the number of test "
                    "images.")


@_check("the mean loss per example (a number) that the tutorial's 0.0019 corresponds to.")
def check_05_3(mean_loss):
    """Exercise 3 of notebook 05: undo the source tutorial's extra division (two decimals or more)."""
    loss = _number(mean_loss, "a number")
    if _close(loss, 0.0019 * 256, 0.01):
        return _correct("the tutorial divided a sum of batch means by the number of examples: the mean "
                        "loss divided by the batch size once more.")
    if _close(loss, 0.0019 / 256, 1e-6):
        return _not_yet("the tutorial's number is already too small: undo its extra division rather "
                        "than adding one.")
    if loss > 10:
        return _not_yet("each batch mean already averages a whole batch of examples. Which factor is "
                        "too much?")
    return _not_yet("the tutorial added batch means and divided by the number of examples. By which "
                    "factor is that too small?")


@_check("two predictions, True or False: is conv1's relative gradient still much smaller than fc3's, "
        "and does the tanh network still start slowly?")
def check_05_5(conv1_much_smaller, starts_slowly):
    """Exercise 5 of notebook 05: tanh in place of the sigmoids (a prediction)."""
    smaller, slow = _booleans(conv1_much_smaller, starts_slowly)
    return _parts([
        ("the gradient", not smaller,
         "tanh's slope at 0 is 1, the slope Xavier's rule assumes. What happens then to the gradient "
         "on its way back through the layers?"),
        ("the start", not slow,
         "if the first layers receive gradients of a useful size from the first step, does the "
         "network still need an epoch to get going?"),
    ], "with slope 1 around zero the gradient keeps its size through the layers, so every layer "
       "learns from the start.")


# --- 06 · A modern LeNet -----------------------------------------------------------------------------------


@_check("your prediction, True or False: does the classic net's loss fall clearly below ln 10 within "
        "20 steps at learning rate 0.1?")
def check_06_1(loss_falls):
    """Exercise 1 of notebook 06: the classic net at learning rate 0.1 (a prediction)."""
    if not _boolean(loss_falls):
        return _correct("the first layers' gradients are about a hundred times smaller than the last "
                        "one's; a step nine times smaller than 0.9 barely moves them, so the loss "
                        "stays near ln 10.")
    return _not_yet("section 1 showed how small the first layers' gradients are, and that even 0.9 "
                    "needs most of an epoch. What does a nine times smaller step do?")


@_check('two predictions: is the tanh net\'s gradient ratio closer to "classic" or "modern", and '
        "does its loss leave ln 10 within 20 steps (True or False)?")
def check_06_2(closer_to, tanh_loss_falls):
    """Exercise 2 of notebook 06: tanh in place of the sigmoids (a prediction)."""
    if not isinstance(closer_to, str) or closer_to.strip().lower() not in ("classic", "modern"):
        raise _Form(f'write the first answer as "classic" or "modern", not {closer_to!r}')
    modern = closer_to.strip().lower() == "modern"
    falls = _boolean(tanh_loss_falls, "the second answer")
    return _parts([
        ("the ratio", modern,
         "Xavier's rule keeps the gradient's size from layer to layer if the activation has slope 1 "
         "around zero. What is tanh's slope there?"),
        ("the loss", falls,
         "if conv1 receives gradients as large as fc3's, does learning rate 0.1 still move it?"),
    ], "tanh has slope 1 at zero, as Xavier's rule assumes, so the gradient keeps its size and the "
       "loss falls even at a small learning rate.")


@_check("two answers, True or False: does an image's output depend on the rest of its batch in "
        "training mode, and in evaluation mode?")
def check_06_3(depends_in_train, depends_in_eval):
    """Exercise 3 of notebook 06: batch norm in training and in evaluation mode."""
    train, evaluate = _booleans(depends_in_train, depends_in_eval)
    return _parts([
        ("training mode", train,
         "in training mode, which mean and variance does batch norm standardise with?"),
        ("evaluation mode", not evaluate,
         "in evaluation mode, where do batch norm's mean and variance come from?"),
    ], "in training mode batch norm uses the batch's own statistics; in evaluation mode the running "
       "averages it collected, so each image's output depends on that image alone.")


# --- 07 · What LeNet learned -------------------------------------------------------------------------------


@_check("the class most often predicted wrongly (its name or label), and True or False: is it also "
        "the weakest class?")
def check_07_1(most_predicted_wrongly, same_as_weakest):
    """Exercise 1 of notebook 07: the confusion matrix's worst column against its worst row."""
    column, same = _class(most_predicted_wrongly), _boolean(same_as_weakest, "the second answer")
    return _parts([
        ("the column", column == TEXT_LABELS.index("Shirt"),
         "per column, add up the wrong predictions, cm.sum(dim=0) - cm.diag(), and take the largest."),
        ("the comparison", same, "compare it with the weakest row, per_class_accuracy(cm).argmin()."),
    ], "the network misses shirts most often, and it also answers Shirt most often when it is wrong: "
       "its fallback for upper-body garments it cannot place.")


@_check("a function group(labels) that returns the labels with T-shirt/top, Pullover, Coat and Shirt "
        "merged into one class.")
def check_07_2(group):
    """Exercise 2 of notebook 07: a function that merges the four upper-body classes.

    Checked by calling it: any merged label is fine, as long as the four tops share one value and
    every other class keeps a value of its own."""
    if not callable(group):
        raise _Form("give the function itself (its name, without parentheses)")
    tops = {TEXT_LABELS.index(name) for name in ("T-shirt/top", "Pullover", "Coat", "Shirt")}
    labels = torch.tensor([9, 6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 4])
    original = labels.clone()
    try:
        grouped = group(labels)
    except Exception as err:  # any error in the learner's code becomes a hint
        return _not_yet(f"group(labels) raised {type(err).__name__}: {err}")
    if grouped is None:
        return Verdict(False, "Write your answer first: group(labels) must return the grouped labels.")
    if not torch.equal(labels, original):
        return _not_yet("group changed the labels it was given; return a new tensor instead "
                        "(torch.where does).")
    grouped = torch.as_tensor(grouped)
    if grouped.shape != labels.shape:
        return _not_yet(f"group(labels) should return one label per label: shape "
                        f"{tuple(labels.shape)}, not {tuple(grouped.shape)}.")
    for i, a in enumerate(labels.tolist()):
        for j, b in enumerate(labels.tolist()):
            belong = a == b or {a, b} <= tops
            if bool(grouped[i] == grouped[j]) != belong:
                return _not_yet(f"{TEXT_LABELS[a]} and {TEXT_LABELS[b]} should "
                                f"{'' if belong else 'not '}end up in the same class.")
    return _correct("the four tops become one class and every other class keeps its own; compare "
                    "group(preds) with group(y_test) to get the grouped accuracy.")


@_check("the class (its name or label) where the modern recipe gains most over the classic one.")
def check_07_3(largest_gain):
    """Exercise 3 of notebook 07: per-class gain of the modern recipe."""
    if _class(largest_gain) == TEXT_LABELS.index("Shirt"):
        return _correct("the modern recipe gains most where the classic net was weakest, among the "
                        "garments that look alike at 28×28.")
    return _not_yet("subtract the classic net's per-class accuracy from the modern one's and take the "
                    "largest difference.")


@_check("the confidence (a number) that an honest network would report on an image of pure noise.")
def check_07_4(honest_confidence):
    """Exercise 4 of notebook 07: what a network should say about noise."""
    value = _number(honest_confidence, "a number between 0 and 1")
    if _close(value, 1 / len(TEXT_LABELS), 0.01):
        return _correct("with no idea, the probability spreads evenly over the ten classes; a softmax "
                        "network cannot say 'none of these' and reports much more.")
    if value > 1:
        return _not_yet("give a probability between 0 and 1.")
    if _close(value, 0, 0.01):
        return _not_yet("the ten probabilities always add up to 1. How would a clueless network share "
                        "them out?")
    return _not_yet("how would a network that has no idea share its probability among the ten "
                    "classes?")


# --- 08 · Where the time goes ------------------------------------------------------------------------------


@_check("your prediction, True or False: on a CPU, does the time per image go down a lot with batch "
        "1,024?")
def check_08_1(much_faster_per_image):
    """Exercise 1 of notebook 08: larger batches on a CPU (a prediction)."""
    if not _boolean(much_faster_per_image):
        return _correct("a CPU's work grows with the number of images, and the costs paid once per step "
                        "are already small at batch 256; on a GPU they dominate.")
    return _not_yet("what does a CPU spend a step on: work per image, or costs paid once per step? "
                    "(Section 7 compares this with a GPU.)")


@_check("two answers, True or False: is the other order bit for bit avg_pool2d's result, and is it "
        "close?")
def check_08_2(bit_for_bit, close):
    """Exercise 2 of notebook 08: another order of the four additions."""
    exact, near = _booleans(bit_for_bit, close)
    return _parts([
        ("bit for bit", not exact,
         "is floating-point addition associative? Does every order round the same way?"),
        ("close", near, "how large can a rounding difference in the last bit of a float32 be?"),
    ], "another order of additions rounds differently in the last bit: close, but not equal.")


_PROFILED = ("aten::avg_pool2d", "aten::avg_pool2d_backward", "aten::sigmoid", "aten::sigmoid_backward")


@_check('the set of operators that are gone from the profile, e.g. {"aten::sigmoid"}.')
def check_08_3(gone):
    """Exercise 3 of notebook 08: which operators the fused step removes."""
    if isinstance(gone, str):
        gone = {gone}
    if not isinstance(gone, (set, frozenset, list, tuple)):
        raise _Form('give a set of operator names, such as {"aten::sigmoid"}')
    names = {str(op).strip().removeprefix("aten::") for op in gone}
    unknown = sorted(names - {op.removeprefix("aten::") for op in _PROFILED})
    if unknown:
        return _not_yet(f"choose among the four operators of the exercise ({', '.join(_PROFILED)}), "
                        f"not {', '.join(unknown)}.")
    if names == {"avg_pool2d", "avg_pool2d_backward"}:
        return _correct("the fused step adds the windows itself, but still calls the sigmoid's kernels.")
    if names & {"sigmoid", "sigmoid_backward"}:
        return _not_yet("read SigmoidAvgPool2's forward and backward: which kernels does it still call?")
    return _not_yet("the fused step replaces the pooling's forward and its backward. Are both gone?")


__all__ = ["CHECKS", "Verdict", *(f"check_{key}" for key in CHECKS)]
