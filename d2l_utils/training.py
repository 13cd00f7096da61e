"""Training: device choice, accuracy, the training loop, predictions and checkpoints.

``device=None`` means, in every helper, the device the network's parameters are on (the CPU for a
network a helper builds); no helper moves a network unless it is given a device.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from .data import Batches, Device, TensorBatches, get_fashion_mnist_labels
from .fast import fused_forward
from .models import init_weights

__all__ = [
    "CheckpointError",
    "History",
    "evaluate_accuracy",
    "predict_ch5",
    "train_ch5",
    "try_gpu",
]

# Evaluation batches (fast=True) as large as training batches: batches of 1,024 are barely faster per
# image on a CPU (notebook 08, exercise 1) but raise the kernel's peak memory by 40-50 MB
# (benchmarks/memory.py).
EVAL_BATCH_SIZE = 256


def try_gpu(i: int = 0) -> torch.device:
    """CUDA device ``i`` if there is one, else Apple's MPS, else the CPU (d2l's helper).
    Used in notebooks 05, 06, 07 and 08."""
    if torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    return torch.device("mps" if torch.backends.mps.is_available() else "cpu")


def _layout(device: torch.device, fast: bool):
    """Channels-last memory suits convolutions on CPUs and CUDA GPUs (notebook 08 measures it)."""
    return torch.channels_last if fast and device.type in ("cpu", "cuda") else torch.contiguous_format


def _to(X: torch.Tensor, device: torch.device, fast: bool) -> torch.Tensor:
    return X.to(device, memory_format=_layout(device, fast)) if X.dim() == 4 else X.to(device)


def net_device(net: nn.Module | Callable, device: Device | None = None) -> torch.device:
    """``device`` if given, else the device of ``net``'s parameters (the CPU for a network without
    any, or for a plain function): what ``device=None`` means in every helper of the package."""
    if device is not None:
        return torch.device(device)
    param = next(net.parameters(), None) if isinstance(net, nn.Module) else None
    return param.device if param is not None else torch.device("cpu")


def _same_device(given: torch.device, actual: torch.device) -> bool:
    """Whether ``given`` names ``actual``: the same type and, when ``given`` has one, the same index
    ("cuda" names any CUDA device). Decided on the names alone, so the same on every machine."""
    if given.type != actual.type:
        return False
    return given.index is None or given.index == (actual.index or 0)


def device_of(net: nn.Module | Callable, device: Device | None = None,
              helper: str = "this helper") -> torch.device:
    """The device an evaluation helper runs ``net`` on: where its parameters are. A ``device`` given
    must name that device: evaluation never moves a network, so a mismatch raises ``ValueError``
    naming both devices and the fix, before any work (the same on every machine)."""
    actual = net_device(net)
    has_params = isinstance(net, nn.Module) and next(net.parameters(), None) is not None
    if device is None:
        return actual
    given = torch.device(device)
    if not has_params:  # a plain function or a network without weights runs where it is told
        return given
    if not _same_device(given, actual):
        raise ValueError(f"{helper} got device={str(given)!r}, but the network's parameters are on "
                         f"{actual}: move the network first with net.to({str(given)!r}), or leave device "
                         f"out to run on {actual}.")
    return actual


@contextmanager
def given_back(net):
    """Run a ``with`` block, then give ``net`` back as it came, even after an error or Ctrl-C: every
    layer in its mode (training or evaluation) and every parameter and buffer in its memory layout
    (NCHW or channels-last), its gradient included. Anything that is not a module passes through."""
    if not isinstance(net, nn.Module):
        yield net
        return
    modes = [(m, m.training) for m in net.modules()]
    strides = [(t, t.stride()) for t in (*net.parameters(), *net.buffers())]
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training
        for t, stride in strides:
            for name in ("data", "grad"):
                value = getattr(t, name)
                if value is not None and value.stride() != stride:  # copied back into its old layout
                    setattr(t, name, torch.empty_strided(t.shape, stride, dtype=t.dtype,
                                                         device=value.device).copy_(value))


@contextmanager
def evaluation_mode(net):
    """Put ``net`` in evaluation mode (dropout off, batch norm using its running statistics) for a
    ``with`` block, and give it back as it came (:func:`given_back`)."""
    with given_back(net):
        yield net.eval() if isinstance(net, nn.Module) else net


def evaluate_accuracy(net: nn.Module | Callable[[torch.Tensor], torch.Tensor],
                      data_iter: Batches, device: Device | None = None, *,
                      fast: bool = True) -> float:
    """Fraction of correctly classified examples, in evaluation mode and without gradients (d2l's
    helper; notebook 05 writes it out). ``net`` may be any callable; it comes back in the mode it went
    in. It runs where ``net``'s parameters are: a ``device`` given must be that one (a different one
    raises ``ValueError``; move the network with ``net.to(device)``). ``fast=True`` reads a
    :class:`~d2l_utils.data.TensorBatches` in batches of at least 256, in channels-last memory, with
    the fused step: the same accuracy. Used in notebooks 05 and 07."""
    device = device_of(net, device, "evaluate_accuracy")
    if fast and isinstance(data_iter, TensorBatches) and not data_iter.resize:
        data_iter = TensorBatches(data_iter.images, data_iter.labels,
                                  max(EVAL_BATCH_SIZE, data_iter.batch_size))
    forward = fused_forward(net) if fast else net
    correct, total = 0, 0
    with evaluation_mode(net), torch.inference_mode():
        for X, y in data_iter:
            X, y = _to(X, device, fast), y.to(device)
            correct += int((forward(X).argmax(dim=1) == y).sum())
            total += y.numel()
    return correct / total


@dataclass
class History:
    """Per-epoch record of a training run; ``interrupted`` is set when it was stopped early.
    Used in notebook 05."""

    loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    sec: list[float] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.loss)

    def epoch(self, i: int) -> dict[str, float]:
        """Epoch ``i`` (0-based) as a dict with keys epoch, loss, train_acc, test_acc, sec."""
        return {"epoch": i + 1, "loss": self.loss[i], "train_acc": self.train_acc[i],
                "test_acc": self.test_acc[i], "sec": self.sec[i]}

    def as_dict(self) -> dict[str, list[float] | bool]:
        return asdict(self)


def train_ch5(net: nn.Module, train_iter: Batches, test_iter: Batches, num_epochs: int, lr: float | None,
              device: Device | None = None, *,
              loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
              optimizer: torch.optim.Optimizer | None = None,
              scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
              augment: Callable[[torch.Tensor], torch.Tensor] | None = None, init: bool = False,
              fast: bool = True, progress: bool = False, plot: bool = False, verbose: bool = True,
              on_epoch: Callable[[dict[str, float]], object] | None = None,
              history: History | None = None) -> History:
    """Train ``net`` on ``device`` (``None``: where its parameters are; a device given moves it there,
    as d2l's ``train_ch6`` does) and print, per epoch, the mean
    loss per example, train and test accuracy and seconds: the ``train`` function notebook 05 writes
    out, with its arguments in the same order, packaged. Used in notebooks 05 and 08.

    ``loss`` defaults to cross-entropy; plain SGD at learning rate ``lr`` unless an ``optimizer`` is
    given (then ``lr=None``: it has its own); ``scheduler`` steps after every batch, ``augment``
    transforms each training batch; ``init=True`` draws new Xavier weights first, otherwise training
    goes on from the weights ``net`` has. ``on_epoch(record)`` gets each epoch's dict; ``plot=True``
    redraws a live figure, ``progress=True`` shows a progress bar.

    ``fast=True`` trains in channels-last memory with each ``Sigmoid`` -> ``AvgPool2d(2)`` pair as one
    autograd step (``d2l_utils.fast``, taught in notebook 08): about two thirds of the time on a CPU,
    and the same numbers up to the last digits of channels-last convolutions. ``fast=False`` runs the
    plain layers in NCHW memory. Either way ``net`` comes back in the memory layout and mode it went
    in (on ``device``).

    Ctrl-C (or the kernel's stop button) stops training and raises ``KeyboardInterrupt`` as usual, so
    that JupyterLab's Run All stops there too; the network keeps the weights it reached, and the
    finished epochs stay reachable: pass ``history=History()`` to have them filled in as they finish
    (they are also on the exception, as ``err.history``, with ``interrupted`` set). Returns the
    :class:`History` (``history`` itself when given).
    """
    if optimizer is not None and lr is not None:
        raise ValueError(f"train_ch5 got lr={lr} and an optimizer, which has its own learning rate: pass "
                         "lr=None with an optimizer, or leave the optimizer out to train with SGD at lr.")
    if optimizer is None and lr is None:
        raise ValueError("train_ch5 needs a learning rate: give lr (for plain SGD) or an optimizer.")
    device = net_device(net, device)
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    history = History() if history is None else history
    bar, live = None, None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=num_epochs * len(train_iter), unit="batch", desc="training", leave=False)
    if verbose:
        print(f"training on {device}")
    with given_back(net):
        if init:
            net.apply(init_weights)
        net.to(device, memory_format=_layout(device, fast))
        forward = fused_forward(net) if fast else net
        if optimizer is None:
            optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        try:
            for epoch in range(num_epochs):
                start = time.perf_counter()
                net.train()
                loss_sum = torch.zeros((), device=device)
                correct = torch.zeros((), dtype=torch.long, device=device)
                n = 0
                for X, y in train_iter:
                    X, y = _to(X, device, fast), y.to(device)
                    if augment is not None:
                        X = augment(X)
                    y_hat = forward(X)
                    batch_loss = loss(y_hat, y)
                    optimizer.zero_grad(set_to_none=True)
                    batch_loss.backward()
                    optimizer.step()
                    if scheduler is not None:
                        scheduler.step()
                    per_example = len(y) if getattr(loss, "reduction", "mean") == "mean" else 1
                    loss_sum += batch_loss.detach() * per_example  # no .item(): no wait for the device
                    correct += (y_hat.argmax(dim=1) == y).sum()
                    n += len(y)
                    if bar is not None:
                        bar.update()
                history.loss.append(float(loss_sum) / n)
                history.train_acc.append(int(correct) / n)
                history.test_acc.append(evaluate_accuracy(net, test_iter, device, fast=fast))
                history.sec.append(time.perf_counter() - start)
                record = history.epoch(epoch)
                if verbose:
                    print(f"epoch {epoch + 1:2d}, loss {record['loss']:.3f}, train acc "
                          f"{record['train_acc']:.3f}, test acc {record['test_acc']:.3f}, "
                          f"{record['sec']:.1f} sec")
                if on_epoch is not None:
                    on_epoch(record)
                if plot:
                    live = _update_live_plot(history, live)
        except KeyboardInterrupt as err:
            history.interrupted = True
            err.history = history  # the finished epochs, for whoever catches it (the CLI does)
            if verbose:
                print(f"Interrupted after {len(history)} finished epoch(s); the network keeps the weights "
                      "it reached, and the epochs are on the History passed as history=.")
            raise
        finally:
            if bar is not None:
                bar.close()
            if live is not None:
                import matplotlib.pyplot as plt

                plt.close(live[0])
    if verbose and len(history):
        examples = len(history) * n
        print(f"loss {history.loss[-1]:.3f}, train acc {history.train_acc[-1]:.3f}, test acc "
              f"{history.test_acc[-1]:.3f}; {examples / sum(history.sec):.0f} examples/sec on {device}")
    return history


def _update_live_plot(history, live):
    import matplotlib.pyplot as plt
    from IPython.display import display

    from .plots import plot_history

    if live is None:
        fig, ax = plt.subplots(figsize=(6, 4))
        live = (fig, ax, display(fig, display_id=True))
        plt.close(fig)  # shown through the display handle only
    fig, ax, handle = live
    ax.clear()
    plot_history(history, ax)
    handle.update(fig)
    return live


def predict_ch5(net: nn.Module, data_iter: Batches, n: int = 10,
                device: Device | None = None) -> tuple[list[str], list[str]]:
    """Predict the first ``n`` images of ``data_iter`` and draw them on a grid of five columns, titled
    with the predicted and the true class, mistakes in red; returns ``(predicted names, true names)``
    (d2l's helper). A ``device`` given must be the network's (:func:`evaluate_accuracy`).
    Used in notebook 05."""
    from .plots import show_predictions

    device = device_of(net, device, "predict_ch5")
    X, y = next(iter(data_iter))
    X, y = X[:n], y[:n]
    with evaluation_mode(net), torch.inference_mode():
        preds = net(X.to(device)).argmax(dim=1).cpu()
    show_predictions(X, preds, y)
    return get_fashion_mnist_labels(preds), get_fashion_mnist_labels(y)


# --------------------------------------------------------------------------- checkpoints


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or read; the message names the file and the fix."""


CHECKPOINT_FIX = ("Rebuild it with `make checkpoints` in the collection's folder, or delete it so that "
                  "the notebook that needs it trains a new one.")


def checkpoint_dir(folder=None) -> Path:
    """Where checkpoints live: ``folder`` if given, else ``$D2L_CHECKPOINT_DIR``, else the
    collection's ``checkpoints/`` folder seen from where you run (the repository root, as the CLI
    runs, or ``notebooks/``, as JupyterLab runs a notebook), else ``./checkpoints``."""
    if folder is not None:
        return Path(folder).expanduser()
    if os.environ.get("D2L_CHECKPOINT_DIR"):
        return Path(os.environ["D2L_CHECKPOINT_DIR"]).expanduser()
    for candidate in (Path("checkpoints"), Path("..", "checkpoints")):
        if candidate.is_dir():
            return candidate
    return Path("checkpoints")


def check_writable(path) -> Path:
    """Refuse, before any training, a checkpoint path that cannot be written (a folder, or a place
    where no file can be created); creates missing parent folders. Returns the path."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise CheckpointError(f"cannot save to {path}: it is a folder; name a file in it, "
                              f"such as {path / 'lenet.pt'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise CheckpointError(f"cannot save to {path}: {err.strerror or err} "
                              f"({err.filename or path.parent})") from None
    return path


def save_checkpoint(net, path, model: str, history: History | None = None, **meta) -> Path:
    """Write ``net``'s weights, its model name, its history and ``meta`` to ``path`` atomically
    (a temporary file in the same folder, then a rename; ``make checkpoints``)."""
    path = check_writable(path)
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    payload = {"model": model, "state_dict": state,
               "history": history.as_dict() if history else None, "meta": meta}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as f:  # the user's usual permissions, unlike mkstemp's 0600
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
