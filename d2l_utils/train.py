"""Device choice, accuracy, the training loop and checkpoints."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from .data import TensorBatches, get_fashion_mnist_labels, show_images
from .fast import fused_forward, keep_freed_memory
from .models import init_weights

EVAL_BATCH_SIZE = 1024  # no activations are kept for backward, so bigger batches are cheaper (to 32 MB each)


def try_gpu(i: int = 0) -> torch.device:
    """CUDA device ``i`` if there is one, else Apple's MPS, else the CPU."""
    if torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _memory_format(device: torch.device):
    """Channels-last is markedly faster for small convolutions on CPUs (and fine on CUDA)."""
    return torch.channels_last if device.type in ("cpu", "cuda") else torch.preserve_format


def _to(X: torch.Tensor, device: torch.device) -> torch.Tensor:
    fmt = _memory_format(device) if X.dim() == 4 else torch.preserve_format
    return X.to(device, memory_format=fmt, non_blocking=True)


def _fast_batches(data_iter):
    """The same examples in large batches when the iterator is one of ours (order is irrelevant)."""
    if isinstance(data_iter, TensorBatches) and not data_iter.resize:
        return TensorBatches(data_iter.images, data_iter.labels, max(EVAL_BATCH_SIZE, data_iter.batch_size))
    return data_iter


def evaluate_accuracy(data_iter, net, device=None) -> float:
    """Fraction of correctly classified examples (evaluation mode, no gradients)."""
    if isinstance(net, nn.Module):
        was_training = net.training
        net.eval()
        if device is None:
            device = next(net.parameters()).device
    device = torch.device(device or "cpu")
    forward = fused_forward(net)  # net itself unless it is a Sequential with something to fuse
    correct, total = 0, 0
    with torch.inference_mode():
        for X, y in _fast_batches(data_iter):
            X, y = _to(X, device), y.to(device)
            correct += int((forward(X).argmax(dim=1) == y).sum())
            total += y.numel()
    if isinstance(net, nn.Module):
        net.train(was_training)
    return correct / total


@dataclass
class History:
    """Per-epoch record of a training run; ``interrupted`` is set when it was stopped early."""

    loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    sec: list[float] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.loss)

    def epoch(self, i: int) -> dict:
        """Epoch ``i`` (0-based) as a dict with keys epoch, loss, train_acc, test_acc, sec."""
        return {"epoch": i + 1, "loss": self.loss[i], "train_acc": self.train_acc[i],
                "test_acc": self.test_acc[i], "sec": self.sec[i]}

    def as_dict(self) -> dict:
        return asdict(self)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", desc="training", leave=False)


def train_ch5(net, train_iter, test_iter, loss, num_epochs, batch_size, device, lr=None, *,
              optimizer=None, scheduler=None, augment=None, init=True, progress=True,
              plot=False, verbose=True, on_epoch=None) -> History:
    """Train ``net`` and print, per epoch, the mean loss per example, train and test accuracy and seconds.

    ``batch_size`` is kept for d2l's signature; the iterators already batch. With no ``optimizer``,
    mini-batch SGD with learning rate ``lr`` is used. ``scheduler`` steps after every batch and
    ``augment`` transforms each training batch. ``on_epoch(record)`` is called with each epoch's dict.
    Interrupting (Ctrl-C, or the kernel's stop button) ends training cleanly and returns the
    epochs done so far. Returns a :class:`History`.
    """
    device = torch.device(device)
    if init:
        net.apply(init_weights)
    net.to(device, memory_format=_memory_format(device))
    keep_freed_memory()
    forward = fused_forward(net)  # computes exactly net(X), faster on the CPU (see d2l_utils.fast)
    if optimizer is None:
        if lr is None:
            raise ValueError("give either lr (for plain SGD) or an optimizer")
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    if verbose:
        print(f"training on {device}")
    history, bar, live = History(), _progress(num_epochs * len(train_iter), progress), None
    try:
        for epoch in range(num_epochs):
            start = time.perf_counter()
            net.train()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), dtype=torch.long, device=device)
            n = 0
            for X, y in train_iter:
                X, y = _to(X, device), y.to(device, non_blocking=True)
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
                loss_sum += batch_loss.detach() * per_example
                correct += (y_hat.argmax(dim=1) == y).sum()
                n += len(y)
                if bar is not None:
                    bar.update()
            history.loss.append(float(loss_sum) / n)
            history.train_acc.append(int(correct) / n)
            history.test_acc.append(evaluate_accuracy(test_iter, net, device))
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
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"interrupted: returning the {len(history)} finished epoch(s)")
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


def plot_history(history: History, ax=None, label: str = ""):
    """Loss and accuracies per epoch on one axes; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(history) + 1)
    prefix = f"{label} " if label else ""
    ax.plot(epochs, history.loss, "-", label=prefix + "train loss")
    ax.plot(epochs, history.train_acc, "--", label=prefix + "train acc")
    ax.plot(epochs, history.test_acc, "-.", label=prefix + "test acc")
    ax.set_xlabel("epoch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def _update_live_plot(history, live):
    import matplotlib.pyplot as plt
    from IPython.display import display

    if live is None:
        fig, ax = plt.subplots(figsize=(6, 4))
        live = (fig, ax, display(fig, display_id=True))
        plt.close(fig)  # shown through the display handle only
    fig, ax, handle = live
    ax.clear()
    plot_history(history, ax)
    handle.update(fig)
    return live


def predict_ch5(net, test_iter, n: int = 10, device=None):
    """Predict the first ``n`` test images, draw them titled "predicted / true"; return both name lists."""
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n]
    device = device or next(net.parameters()).device
    net.eval()
    with torch.inference_mode():
        preds = net(X.to(device)).argmax(dim=1).cpu()
    pred_names, true_names = get_fashion_mnist_labels(preds), get_fashion_mnist_labels(y)
    titles = [f"{p}\n(true: {t})" for p, t in zip(pred_names, true_names)]
    show_images(X, 1, n, titles=titles, scale=1.8)
    return pred_names, true_names


def save_checkpoint(net, path, model: str, history: History | None = None, **meta) -> Path:
    """Write ``net``'s weights and metadata atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    payload = {"model": model, "state_dict": state,
               "history": history.as_dict() if history else None, "meta": meta}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path, device="cpu"):
    """Rebuild the network saved by :func:`save_checkpoint` (loaded with ``weights_only=True``)."""
    from .models import MODELS

    payload = torch.load(path, map_location=device, weights_only=True)
    net = MODELS[payload["model"]]()
    net.load_state_dict(payload["state_dict"])
    net.to(device).eval()
    return net, payload
