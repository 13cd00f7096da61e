"""Checks of notebook 09 that must compute (named in 09.json): each returns None for a right answer,
``...`` for an answer not written yet, or a hint. Each calls the learner's fixed code and compares what it
does with notebook 02's LeNet and notebook 05's loop, so that only a fix of the cause passes: code that
merely stops failing (a smaller input, a sliced tensor, a lower learning rate...) gets a hint. None of
them moves the caller's random stream."""

import copy
import math

import torch
from torch import nn

from d2l_utils import count_parameters, init_weights, lenet


def _error(what: str, err: Exception) -> str:
    """One sentence: what raised which error, with the first line of its message."""
    message = str(err).strip().splitlines()[0].rstrip(".") if str(err).strip() else ""
    return f"{what} raised {type(err).__name__}" + (f": {message}." if message else ".")


def _random_batch(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def _fresh_lenet(seed: int = 0) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return lenet().apply(init_weights)


# --- fault 1: the first linear layer ---------------------------------------------------------------------

def first_linear(answer):
    """Exercise 1: ``my_lenet`` (or the network it builds) must be notebook 02's LeNet for 28×28 images:
    every layer as ``lenet()`` has it, so that all 16×5×5 values of the second pooling reach the first
    linear layer. Networks that only stop failing (no padding, a cropped or resized input, a slice before
    the linear layer) are told what they lost."""
    if isinstance(answer, nn.Module):
        net = answer
    elif callable(answer):
        try:
            net = answer()
        except Exception as err:
            return _error("my_lenet()", err)
        if not isinstance(net, nn.Module):
            return "my_lenet() should return the network (an nn.Module such as an nn.Sequential)."
    else:
        return "give the function that builds the network (its name, without parentheses)."
    X = _random_batch(4, 1)[0]
    net = copy.deepcopy(net)  # the learner's network stays as it was
    try:
        with torch.no_grad():
            out = net(X)
    except Exception as err:
        return (f"the network still fails on a batch of 28×28 images: {_error('it', err)} Print the shape "
                "after every layer, as notebook 03 does, and compare it with what the next layer expects.")
    if not torch.is_tensor(out) or tuple(out.shape) != (4, 10):
        return "the network should give 10 scores per image: a batch of 4 images gives shape (4, 10)."
    mine = [repr(m) for m in net.modules() if not list(m.children())]
    lenets = [repr(m) for m in lenet().modules() if not list(m.children())]
    if mine == lenets:
        return None
    if len(mine) != len(lenets):
        return ("it runs now, but it has other layers than notebook 02's LeNet. A layer added to make the "
                "sizes fit throws information away or invents it: every value the second pooling computes "
                "should reach the first linear layer, from the 28×28 image as it is.")
    first = next(i for i, (a, b) in enumerate(zip(mine, lenets)) if a != b)
    if count_parameters(net) != count_parameters(lenet()):
        return (f"it runs now, but layer {first} ({mine[first].split('(')[0]}) is not notebook 02's, and the "
                "network has another number of parameters than LeNet. Change the layer the error message "
                "points at, not the layers before it.")
    return f"it runs now, but layer {first} ({mine[first].split('(')[0]}) is not notebook 02's."


# --- fault 2: two devices --------------------------------------------------------------------------------

def same_device(count_correct):
    """Exercise 2: ``count_correct(net, X, y, device)`` must count on the network's device, whatever
    device the batch arrives on. Checked with the meta device (shapes without values, on every machine),
    where an operation on two devices fails as it does between a GPU and the CPU; and on the CPU, where
    the count must be right."""
    if not callable(count_correct):
        return "give the function itself (its name, without parentheses)."
    X, y = _random_batch(64, 2)
    net = _fresh_lenet()
    with torch.no_grad():
        right = int((net(X).argmax(dim=1) == y).sum())
    try:
        with torch.no_grad():
            got = count_correct(net, X, y, torch.device("cpu"))
    except Exception as err:
        return _error("count_correct on the CPU", err)
    if got is None:
        return ...
    try:
        got = int(got)
    except Exception:
        return f"count_correct should return the number of right predictions, not {type(got).__name__}."
    if got != right:
        return (f"on the CPU, count_correct counts {got} right predictions of 64, where the network "
                f"makes {right}.")
    meta = torch.device("meta")
    net_meta = copy.deepcopy(net).to(meta)
    try:
        with torch.no_grad():
            found = count_correct(net_meta, X, y, meta)
    except Exception as err:
        if "meta tensor" in str(err):  # Module.to from meta, or .item(), .cpu(), .tolist() of a result
            return ("the network was placed on its device on purpose; your function moves it, or copies "
                    "something off the device. Leave the network where it is and compute where it is.")
        return (f"with the network on another device than the batch, {_error('count_correct', err)} "
                "Which tensors meet in each operation of your function, and where does each one live?")
    if any(p.device != meta for p in net_meta.parameters()):
        return "count_correct moved the network; the network should stay on the device its caller chose."
    if not torch.is_tensor(found) or found.device != meta or found.dim() != 0:
        return ("count on the network's device and return the count as a one-element tensor there (the "
                "caller turns it into a number), as notebook 05's loop does.")
    return None


# --- fault 3: view on a channels-last tensor -------------------------------------------------------------

def flatten_any_layout(answer):
    """Exercise 3: the ``Flatten`` layer (its class, an instance or a function) must give, for a batch in
    either memory layout, the values in notebook 02's order (channel, then row, then column) and pass the
    gradient back. A flatten that merely stops failing on channels-last memory (values in another order,
    or cut off from autograd) gets a hint."""
    if isinstance(answer, type) and issubclass(answer, nn.Module):
        try:
            answer = answer()
        except Exception as err:
            return _error("Flatten()", err)
    if not callable(answer):
        return "give the Flatten class (its name, without parentheses)."
    g = torch.Generator().manual_seed(3)
    x = torch.rand(3, 16, 5, 5, generator=g)
    weights = torch.rand(3, 400, generator=g)  # a gradient arriving from the layers above
    layouts = (("the default layout", torch.contiguous_format), ("channels-last", torch.channels_last))
    for name, layout in layouts:
        xi = x.clone().to(memory_format=layout).requires_grad_(True)
        try:
            out = answer(xi)
        except Exception as err:
            return _error(f"Flatten on a batch in {name}", err)
        if out is None:
            return ...
        if not torch.is_tensor(out) or tuple(out.shape) != (3, 400):
            shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            return f"a batch of 3 maps of 16×5×5 should become shape (3, 400), not {shape}."
        if not torch.equal(out.detach(), x.reshape(3, 400)):
            return (f"on a batch in {name} the values come out in another order than notebook 02's "
                    "(channel, then row, then column): the first linear layer would get its inputs "
                    "shuffled, differently for each memory layout. The layout changes where values lie "
                    "in memory, never what the tensor holds.")
        if not out.requires_grad:
            return ("the values are right, but autograd cannot see how they were made: no gradient would "
                    "reach the convolutions. Stay with PyTorch's own tensor operations.")
        (out * weights).sum().backward()
        if xi.grad is None or not torch.equal(xi.grad, weights.reshape(3, 16, 5, 5)):
            return "the values are right, but the gradient that flows back through Flatten is not."
    return None


# --- faults 4 and 5: the training loop -------------------------------------------------------------------

LR = 0.9
SIZES = (256, 256, 96)  # two full batches and one like the last of an epoch (60,000 = 234 × 256 + 96)


def _reference(net, batches, lr):
    """Notebook 05's loop: the loss per example, zero_grad, backward, step."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for X, y in batches:
        loss = loss_fn(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _run(train_briefly, batches):
    """(the losses train_briefly returns, the weights after) for a fresh LeNet."""
    net = _fresh_lenet()
    losses = train_briefly(net, list(batches), LR)
    return losses, [p.detach().clone() for p in net.parameters()]


def _run_reference(batches):
    net = _fresh_lenet()
    losses = _reference(net, batches, LR)
    return losses, [p.detach().clone() for p in net.parameters()]


def _close(a, b):
    return all(torch.allclose(p, q, rtol=1e-4, atol=1e-6) for p, q in zip(a, b))


def _size(after, before):
    return math.sqrt(sum(float(((p - q) ** 2).sum()) for p, q in zip(after, before)))


def sgd_steps(train_briefly):
    """Exercises 4 and 5: ``train_briefly(net, batches, lr)`` must take notebook 05's steps: with
    learning rate 0.9 each step is 0.9 times the gradient of this batch's loss per example. Checked on a
    fresh LeNet and random batches of 256, 256 and 96 images, so that the hint says which step goes
    wrong: the first (its size), only the smaller batch (a step that grows with the batch), or only the
    later ones (something carried over from step to step)."""
    if not callable(train_briefly):
        return "give the function itself (its name, without parentheses)."
    batches = [_random_batch(n, 10 + i) for i, n in enumerate(SIZES)]
    start = [p.detach().clone() for p in _fresh_lenet().parameters()]
    try:
        losses, first = _run(train_briefly, batches[:1])
    except Exception as err:
        return _error("train_briefly", err)
    if losses is None:
        return ...
    right = _run_reference(batches[:1])[1]
    if not _close(first, right):
        size, expected = _size(first, start), _size(right, start)
        if size == 0:
            return ("the first step leaves every weight as it was: at the moment the optimizer steps, what "
                    "does it find in each parameter's gradient?")
        if size > 1.5 * expected:
            return ("the first step moves the weights far more than notebook 05's loop does at learning "
                    "rate 0.9. What does the loss add up, and how does that scale its gradient?")
        if size < expected / 1.5:
            return ("the first step moves the weights far less than notebook 05's loop does at learning "
                    "rate 0.9: the check calls your function with lr=0.9, the classic recipe's rate. Make "
                    "that rate mean what it means in notebook 05, rather than making the steps smaller.")
        return ("the first step changes the weights otherwise than notebook 05's loop (SGD at learning "
                "rate 0.9).")
    try:
        small = _run(train_briefly, batches[2:])[1]
        losses, weights = _run(train_briefly, batches)
    except Exception as err:
        return _error("train_briefly", err)
    if not _close(small, _run_reference(batches[2:])[1]):
        return ("on a batch of 256 images your step is right, but on a batch of 96 (the last batch of an "
                "epoch) it is not notebook 05's: a step should not depend on how many images the batch "
                "holds.")
    expected_losses, right = _run_reference(batches)
    if not _close(weights, right):
        return ("the first step is right, but the later ones are not: something carries over from one "
                "step to the next. Compare what each step uses with the gradient of its own batch.")
    try:
        losses = [float(v) for v in losses]
    except Exception:
        return "train_briefly should return a list of numbers: the loss per example of each batch."
    if len(losses) != len(batches) or not all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)
                                              for a, b in zip(losses, expected_losses)):
        return ("the steps are right now, but the losses your function returns are not the loss per example "
                "of each batch (an untrained network starts near ln 10, about 2.3).")
    return None
