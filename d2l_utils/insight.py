"""Looking inside training and trained networks: layer statistics, ablations, confusions, feature maps."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .data import TEXT_LABELS, TensorBatches, to_unit_range
from .models import Normalize, lenet, lenet_modern
from .recipes import random_hflip, train_recipe
from .train import History, load_checkpoint, train_ch5, try_gpu

# --------------------------------------------------------------------------- the first training steps


def weight_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` for the convolution and linear layers, named conv1, conv2, fc1, fc2, fc3."""
    named, counts = [], {"conv": 0, "fc": 0}
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            kind = "conv" if isinstance(layer, nn.Conv2d) else "fc"
            counts[kind] += 1
            named.append((f"{kind}{counts[kind]}", layer))
    return named


def first_steps(net, train_iter, optimizer, loss=None, steps: int = 20, scheduler=None,
                saturation: float = 0.05, device="cpu") -> dict:
    """Train ``steps`` mini-batches and record, per step, what each layer does.

    Returns a dict of per-step lists: ``loss``; ``grad[name]``, the mean absolute gradient of each
    conv/linear layer's weights; ``saturated[name]``, the fraction of each sigmoid's outputs that
    lie within ``saturation`` of 0 or 1 (where its slope s(1 - s) is below about ``saturation``);
    ``slope[name]``, the mean slope s(1 - s) of each sigmoid (at most 0.25: the factor by which
    it scales the gradient passing back through it); ``dead[name]``, the fraction of each ReLU's
    outputs that are exactly zero (no gradient flows back through them).
    Activation statistics are named after the conv/linear layer that feeds the nonlinearity.
    """
    loss = loss or nn.CrossEntropyLoss()
    names = weight_layers(net)
    record = {"loss": [], "grad": {n: [] for n, _ in names}, "saturated": {}, "slope": {}, "dead": {}}
    current, hooks = None, []
    owner = {}
    for layer in net:  # the nonlinearity after each conv/linear layer carries that layer's name
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            current = next(n for n, m in names if m is layer)
        elif isinstance(layer, (nn.Sigmoid, nn.ReLU)) and current is not None:
            owner[layer] = current

    def hook(module, _inputs, out):
        name, out = owner[module], out.detach()
        if isinstance(module, nn.Sigmoid):
            frac = ((out < saturation) | (out > 1 - saturation)).float().mean()
            record["saturated"].setdefault(name, []).append(float(frac))
            record["slope"].setdefault(name, []).append(float((out * (1 - out)).mean()))
        else:
            record["dead"].setdefault(name, []).append(float((out == 0).float().mean()))

    hooks = [m.register_forward_hook(hook) for m in owner]
    net.to(device).train()
    try:
        for step, (X, y) in enumerate(train_iter):
            if step == steps:
                break
            X, y = X.to(device), y.to(device)
            batch_loss = loss(net(X), y)
            optimizer.zero_grad()
            batch_loss.backward()
            for name, layer in names:
                record["grad"][name].append(float(layer.weight.grad.abs().mean()))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            record["loss"].append(batch_loss.item())
    finally:
        for h in hooks:
            h.remove()
    return record


# --------------------------------------------------------------------------- one change at a time


def lenet_variant(relu: bool = False, max_pool: bool = False, batch_norm: bool = False) -> nn.Sequential:
    """LeNet with some of the modern changes. All three on gives exactly :func:`lenet_modern`."""
    if relu and max_pool and batch_norm:
        return lenet_modern()
    if not (relu or max_pool or batch_norm):
        return lenet()
    act = nn.ReLU if relu else nn.Sigmoid
    pool = nn.MaxPool2d if max_pool else nn.AvgPool2d
    if batch_norm:
        def unit(c_in, c_out, pad):
            return [nn.Conv2d(c_in, c_out, 5, padding=pad, bias=False), pool(2, 2),
                    nn.BatchNorm2d(c_out), act()]

        def dense(n_in, n_out):
            return [nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out), act()]
        layers = [Normalize()]
    else:
        def unit(c_in, c_out, pad):
            return [nn.Conv2d(c_in, c_out, 5, padding=pad), act(), pool(2, 2)]

        def dense(n_in, n_out):
            return [nn.Linear(n_in, n_out), act()]
        layers = []
    return nn.Sequential(*layers, *unit(1, 6, 2), *unit(6, 16, 0), nn.Flatten(),
                         *dense(400, 120), *dense(120, 84), nn.Linear(84, 10))


def subset(data_iter, n: int, shuffle: bool = True) -> TensorBatches:
    """The first ``n`` examples of one of our iterators, in batches of the same size."""
    return TensorBatches(data_iter.images[:n], data_iter.labels[:n], data_iter.batch_size, shuffle=shuffle)


def short_run(net, train_iter, test_iter, num_epochs: int, optimizer: str = "sgd", lr: float = 0.9,
              augment=None, label_smoothing: float = 0.0, device="cpu") -> History:
    """Train ``net`` briefly with plain SGD (``"sgd"``) or AdamW + one-cycle (``"adamw"``)."""
    opt = sched = None
    if optimizer == "adamw":
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=num_epochs * len(train_iter))
    elif optimizer != "sgd":
        raise ValueError(f"optimizer must be 'sgd' or 'adamw', not {optimizer!r}")
    return train_ch5(net, train_iter, test_iter, nn.CrossEntropyLoss(label_smoothing=label_smoothing),
                     num_epochs, train_iter.batch_size, device, lr=lr, optimizer=opt, scheduler=sched,
                     augment=augment, progress=False, verbose=False)


ABLATION_VARIANTS = [
    ("classic: sigmoid, avg pool", {}),
    ("+ ReLU", {"relu": True}),
    ("+ max pool", {"relu": True, "max_pool": True}),
    ("+ batch norm (= lenet_modern)", {"relu": True, "max_pool": True, "batch_norm": True}),
]
ABLATION_OPTIMIZERS = {"SGD, lr 0.9": ("sgd", 0.9), "AdamW + one-cycle, lr 0.01": ("adamw", 0.01)}


def ablation(train_iter, test_iter, num_epochs: int = 2, variants=ABLATION_VARIANTS,
             optimizers=ABLATION_OPTIMIZERS, seed: int = 0, progress: bool = True, device="cpu") -> dict:
    """Test accuracy after ``num_epochs`` for every variant x optimizer, each from the same seed.

    Adds the row ``"+ flips, label smoothing (= train_modern)"``, trained with the last optimizer.
    Returns ``{variant: {optimizer: test accuracy}}``.
    """
    jobs = [(v, flags, o, spec, False) for v, flags in variants for o, spec in optimizers.items()]
    last_opt, last_spec = list(optimizers.items())[-1]
    jobs.append(("+ flips, label smoothing (= train_modern)", variants[-1][1], last_opt, last_spec, True))
    table: dict = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="runs", leave=False)
    for variant, flags, opt_name, (opt, lr), extras in jobs:
        torch.manual_seed(seed)
        history = short_run(lenet_variant(**flags), train_iter, test_iter, num_epochs, opt, lr,
                            augment=random_hflip if extras else None,
                            label_smoothing=0.1 if extras else 0.0, device=device)
        table.setdefault(variant, {})[opt_name] = history.test_acc[-1]
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return table


def format_table(table: dict, fmt: str = "{:.1%}") -> str:
    """A nested dict ``{row: {column: value}}`` as aligned text (missing cells shown as -)."""
    columns = list(dict.fromkeys(c for row in table.values() for c in row))
    width = max(len(r) for r in table) + 2
    lines = [" " * width + "".join(f"{c:>28}" for c in columns)]
    for name, row in table.items():
        cells = "".join(f"{fmt.format(row[c]) if c in row else '-':>28}" for c in columns)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


# The repository's checkpoints/ folder (d2l_utils is installed in editable mode, next to it).
CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


def checkpoint_or_train(path, model: str = "lenet-modern", epochs: int = 10, seed: int = 0,
                        batch_size: int = 256, device=None):
    """Load the checkpoint at ``path``; if it is missing, train like the CLI does and save it there.

    A relative ``path`` means a file in the collection's ``checkpoints/`` folder, wherever the
    notebook runs from. Returns ``(net, history)``: ``net`` in evaluation mode, ``history`` a
    :class:`History`.
    The CLI equivalent: ``python -m d2l_utils train --model MODEL --epochs 10 --seed 0 --save PATH``.
    """
    device = device or try_gpu()
    path = CHECKPOINT_DIR / path  # an absolute path stays as it is
    if not path.is_file():
        print(f"{path} not found: training {model} for {epochs} epochs (seed {seed}) and saving it")
        train_recipe(model, epochs, batch_size, seed, device, save=path)
    net, payload = load_checkpoint(path, device=device)
    return net, History(**payload["history"])


# --------------------------------------------------------------------------- what the network gets wrong


@torch.inference_mode()
def predict_probabilities(net, images, batch_size: int = 2048) -> torch.Tensor:
    """Softmax probabilities (N, 10) for uint8 or float images, in evaluation mode."""
    net.eval()
    device = next(net.parameters()).device
    images = to_unit_range(images)
    return torch.cat([F.softmax(net(images[i:i + batch_size].to(device)), dim=1).cpu()
                      for i in range(0, len(images), batch_size)])


def confusion_matrix(labels, predictions, num_classes: int = 10) -> torch.Tensor:
    """``cm[t, p]`` = number of examples of true class ``t`` predicted as ``p``."""
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    return torch.bincount(labels * num_classes + predictions,
                          minlength=num_classes ** 2).reshape(num_classes, num_classes)


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """Fraction of each true class that was predicted correctly (the diagonal over the row sums)."""
    return cm.diag().float() / cm.sum(dim=1).clamp(min=1).float()


def most_confused_pairs(cm: torch.Tensor, k: int = 5, symmetric: bool = True) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal counts as ``(class a, class b, count)``.

    With ``symmetric=True`` a and b are unordered: count = a taken for b plus b taken for a.
    """
    off = cm.clone()
    off.fill_diagonal_(0)
    if symmetric:
        off = torch.triu(off + off.T, diagonal=1)
    values, flat = off.flatten().topk(k)
    n = cm.shape[0]
    return [(TEXT_LABELS[int(i) // n], TEXT_LABELS[int(i) % n], int(v)) for v, i in zip(values, flat)]


def most_confident_mistakes(probabilities, labels, k: int = 10) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions with the highest predicted probability."""
    confidence, predicted = probabilities.max(dim=1)
    wrong = torch.nonzero(predicted != torch.as_tensor(labels)).flatten()
    return wrong[confidence[wrong].argsort(descending=True)[:k]]


def plot_confusion_matrix(cm: torch.Tensor, ax=None, normalize: bool = True):
    """Heat map of the confusion matrix (rows: true class; normalised per row by default)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    shown = cm.float() / cm.sum(dim=1, keepdim=True).clamp(min=1) if normalize else cm.float()
    ax.imshow(shown.numpy(), cmap="Blues")
    n = cm.shape[0]
    for t in range(n):
        for p in range(n):
            ax.text(p, t, f"{int(cm[t, p])}", ha="center", va="center", fontsize=7,
                    color="white" if shown[t, p] > 0.5 else "black")
    ax.set_xticks(range(n), TEXT_LABELS, rotation=45, ha="right")
    ax.set_yticks(range(n), TEXT_LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


# --------------------------------------------------------------------------- inside the network


@torch.inference_mode()
def feature_maps(net: nn.Sequential, images, after=(nn.Conv2d,)) -> list[tuple[str, torch.Tensor]]:
    """Outputs of the layers of the given types for a batch of images, as ``(name, tensor)``."""
    net.eval()
    X = to_unit_range(images)
    X = X.to(next(net.parameters()).device)
    maps = []
    for i, layer in enumerate(net):
        X = layer(X)
        if isinstance(layer, after):
            maps.append((f"{i}: {type(layer).__name__}", X.cpu()))
    return maps
