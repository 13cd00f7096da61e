"""Notebook 09, the debugging lab: for each of its five faults the self-check accepts the notebook's fix and
turns down the broken code the notebook shows and two or more plausible wrong fixes, each with a hint
that points at the cause without giving the fix. The broken code and the fixes are read from the
notebook's cells (the broken one from the fault's first code cell, the fix from its solution cell), so
the tests check what a learner sees; the wrong fixes are written out here.

The two claims of the text about the training runs (section 4: the loss explodes; section 5: the steps
are several times the learning rate times their batch's gradient while the loss stays near ln 10) are
checked on the real data, with the notebook's own code.
"""

import ast
import copy
import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from IPython.core.inputtransformer2 import TransformerManager
from test_checks import notebook_09, run_solution
from torch import nn

from d2l_utils import init_weights, lenet, load_data_fashion_mnist, subset
from d2l_utils.course import grade

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = next((ROOT / "notebooks").glob("09_*.ipynb"))
CELLS = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
NAMESPACE = {"torch": torch, "nn": nn, "F": F, "math": math, "copy": copy, "lenet": lenet,
             "init_weights": init_weights}


def defined(source, name):
    """``name`` (a function or a class) as the cell ``source`` defines it, executed on its own."""
    node = next(n for n in ast.parse(source).body
                if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    namespace = dict(NAMESPACE)
    exec(ast.get_source_segment(source, node), namespace)
    return namespace[name]


def broken(name):
    """The first definition of ``name`` (a function or a class) in the notebook's code cells: the broken
    code as the fault's section shows it, executed on its own."""
    for cell in CELLS:
        if cell["cell_type"] == "code":
            source = TransformerManager().transform_cell("".join(cell["source"]))
            names = {n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            if name in names:
                return defined(source, name)
    raise AssertionError(f"notebook 09 defines no {name}")


def fixed(exercise):
    """What the solution cell of ``exercise`` passes to its check (as tests/test_checks.py runs it)."""
    answer, = run_solution(exercise, notebook_09(exercise))
    return answer


def accepted(exercise, answer):
    right, message = grade(exercise, answer)
    assert right and message.startswith("Correct! "), message


def turned_down(exercise, answer, phrase):
    right, message = grade(exercise, answer)
    assert not right and message.startswith("Not yet: "), message
    assert phrase in message, f"expected {phrase!r} in: {message}"
    return message


# --- fault 1: the first linear layer ---------------------------------------------------------------------

def lenet_without_padding():
    """The error gone by shrinking the maps until 16 × 4 × 4 fits."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


class Slice(nn.Module):
    def forward(self, x):
        return x[:, :256]


class Crop(nn.Module):
    def forward(self, x):
        return x[:, :, 2:-2, 2:-2]


def lenet_sliced():
    """The error gone by keeping the first 256 of the 400 values."""
    net = broken("my_lenet")()
    return nn.Sequential(*net[:7], Slice(), *net[7:])


def lenet_cropped():
    """The error gone by cropping the images to 24 × 24."""
    return nn.Sequential(Crop(), *broken("my_lenet")())


def test_fault_1_accepts_the_fix_and_equivalent_ones():
    accepted("09.1", fixed("09.1"))
    accepted("09.1", lenet)  # notebook 02's own
    accepted("09.1", fixed("09.1")())  # the network itself
    lazy = broken("my_lenet")()
    lazy[7] = nn.LazyLinear(120)  # the size left to PyTorch
    accepted("09.1", lazy)


def test_fault_1_turns_down_the_broken_code_and_fixes_that_only_stop_the_error():
    message = turned_down("09.1", broken("my_lenet"), "still fails on a batch of 28×28 images")
    assert "4x400 and 256x120" in message  # the check's batch of 4
    for wrong in (lenet_without_padding, lenet_sliced, lenet_cropped):
        assert wrong()(torch.rand(2, 1, 28, 28)).shape == (2, 10)  # each runs
        message = turned_down("09.1", wrong, "it runs now")
        assert "400" not in message and "5 * 5" not in message and "16 * 5" not in message, message
    assert "layer 0 (Conv2d)" in grade("09.1", lenet_without_padding)[1]
    assert "other layers" in grade("09.1", lenet_sliced)[1]


# --- fault 2: two devices --------------------------------------------------------------------------------

def count_moving_the_images_only(net, X, y, device):
    return (net(X.to(device)).argmax(dim=1) == y).sum()


def count_moving_the_network(net, X, y, device):
    net.to(X.device)
    return (net(X).argmax(dim=1) == y).sum()


def count_on_the_cpu(net, X, y, device):
    X, y = X.to(device), y.to(device)
    return (net(X).argmax(dim=1) == y).sum().item()  # a number, copied off the device at every batch


def test_fault_2_accepts_the_fix():
    accepted("09.2", fixed("09.2"))

    def using_the_networks_device(net, X, y, device):
        where = next(net.parameters()).device
        return (net(X.to(where)).argmax(dim=1) == y.to(where)).sum()

    accepted("09.2", using_the_networks_device)


def test_fault_2_turns_down_the_broken_code_and_fixes_that_only_stop_the_error():
    message = turned_down("09.2", broken("count_correct"), "on another device than the batch")
    assert "Tensor on device meta is not on the expected device cpu" in message
    turned_down("09.2", count_moving_the_images_only, "Which tensors meet")
    turned_down("09.2", count_moving_the_network, "moves it")
    turned_down("09.2", count_on_the_cpu, "copies something off the device")
    wrong_count = turned_down("09.2", lambda net, X, y, device: (net(X).argmax(dim=1) != y).sum(), "counts")
    assert "on the CPU" in wrong_count


# --- fault 3: view on channels-last memory ---------------------------------------------------------------

class PermutedView(nn.Module):
    """Runs on channels-last memory: the permuted tensor is contiguous there. The values come in
    height-width-channel order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


class ThroughNumpy(nn.Module):
    def forward(self, x):
        return torch.from_numpy(x.detach().numpy().reshape(x.shape[0], -1))


class HardCodedBatch(nn.Module):
    def forward(self, x):
        return x.reshape(256, -1)


def test_fault_3_accepts_the_fix_and_equivalent_ones():
    accepted("09.3", fixed("09.3"))
    accepted("09.3", nn.Flatten)
    accepted("09.3", lambda x: x.contiguous().view(x.shape[0], -1))
    accepted("09.3", lambda x: x.flatten(1))


def test_fault_3_turns_down_the_broken_code_and_fixes_that_only_stop_the_error():
    message = turned_down("09.3", broken("Flatten"), "channels-last raised RuntimeError")
    assert "view size is not compatible" in message
    assert PermutedView()(torch.rand(2, 16, 5, 5).to(memory_format=torch.channels_last)).shape == (2, 400)
    turned_down("09.3", PermutedView, "another order")
    turned_down("09.3", ThroughNumpy, "autograd cannot see")
    turned_down("09.3", HardCodedBatch, "raised RuntimeError")


# --- faults 4 and 5: the training loop -------------------------------------------------------------------

def loop(reduction="mean", lr_factor=1.0, zero="before backward", optimizer=torch.optim.SGD,
         per_example=None):
    """Notebook 05's loop with one thing changed (``zero``: "before backward", "before step", "once" or
    "never"; ``per_example``: divide the loss by the batch size before returning it)."""

    def train_briefly(net, batches, lr):
        loss_fn = nn.CrossEntropyLoss(reduction=reduction)
        opt = optimizer(net.parameters(), lr=lr * lr_factor)
        if zero == "once":
            opt.zero_grad()
        losses = []
        for X, y in batches:
            loss = loss_fn(net(X), y)
            if zero == "before backward":
                opt.zero_grad()
            loss.backward()
            if zero == "before step":
                opt.zero_grad()
            opt.step()
            divide = per_example if per_example is not None else reduction == "sum"
            losses.append(loss.item() / len(y) if divide else loss.item())
        return losses

    return train_briefly


def test_faults_4_and_5_accept_the_fix_and_equivalent_ones():
    accepted("09.4", fixed("09.4"))
    accepted("09.5", fixed("09.5"))
    accepted("09.4", loop())

    def sum_divided(net, batches, lr):  # the sum over the batch divided by its size is the mean
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        losses = []
        for X, y in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(net(X), y, reduction="sum") / len(y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    accepted("09.4", sum_divided)
    accepted("09.5", loop(zero="before backward"))


def test_fault_4_turns_down_the_broken_code_and_fixes_that_only_hide_the_explosion():
    turned_down("09.4", broken_loop(4), "far more")
    turned_down("09.4", loop(reduction="sum", lr_factor=0.001 / 0.9), "far less")  # lr 0.001
    turned_down("09.4", loop(reduction="sum", lr_factor=1 / 256), "a batch of 96")  # exact for 256 only
    turned_down("09.4", loop(reduction="sum", optimizer=torch.optim.Adam), "far more")  # scale-free, at 0.9
    turned_down("09.4", loop(per_example=True), "not the loss per example")  # the tutorial's number


def test_fault_5_turns_down_the_broken_code_and_fixes_in_the_wrong_place():
    turned_down("09.5", broken_loop(5), "carries over")
    turned_down("09.5", loop(zero="once"), "carries over")
    turned_down("09.5", loop(zero="before step"), "leaves every weight as it was")
    turned_down("09.5", loop(zero="never", lr_factor=0.1), "far less")


def broken_loop(fault):
    """The train_briefly that section ``fault`` (4 or 5) shows running, before its exercise."""
    shown = ["".join(c["source"]) for c in CELLS if c["cell_type"] == "code"
             and "def train_briefly" in "".join(c["source"]) and "fix me" not in "".join(c["source"])
             and "solution" not in c["metadata"].get("tags", [])]
    assert len(shown) == 2, "sections 4 and 5 each show one broken train_briefly"
    return defined(shown[fault - 4], "train_briefly")


# --- the claims of the text about the two training runs --------------------------------------------------

@pytest.fixture(scope="module")
def batches():
    train_iter, _ = load_data_fashion_mnist(256)
    return list(subset(train_iter, 20 * 256, shuffle=False))


def test_section_4_the_summed_loss_explodes(batches):
    torch.manual_seed(0)
    losses = broken_loop(4)(lenet().apply(init_weights), batches[:10], 0.9)
    assert abs(losses[0] - math.log(10)) < 0.5  # it starts near ln 10
    assert max(losses[1:]) > 100 * math.log(10)  # "jumps hundreds of times higher"


def test_section_5_the_steps_are_not_the_gradient_steps(batches):
    source = next("".join(c["source"]) for c in CELLS if c["cell_type"] == "code"
                  and "def measure_steps" in "".join(c["source"]))
    measure_steps = defined(source, "measure_steps")
    losses, moved, expected = measure_steps(broken_loop(5), batches)
    assert math.isclose(moved[0], expected[0], rel_tol=1e-3)  # the first step is SGD's
    assert all(abs(loss - math.log(10)) < 0.25 for loss in losses[10:])  # after a few steps, near ln 10
    late = range(len(moved) // 2, len(moved))
    assert all(moved[k] > 3 * expected[k] for k in late)  # "several times smaller"
    assert max(moved[k] for k in late) < 2 * moved[0]  # "about as large as the first"
    _, fixed_moved, fixed_expected = measure_steps(fixed("09.5"), batches[:3])
    assert all(math.isclose(a, b, rel_tol=1e-3) for a, b in zip(fixed_moved, fixed_expected))
