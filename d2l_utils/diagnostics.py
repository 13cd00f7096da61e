"""Diagnostics, looking inside networks: layer statistics in the first training steps, gradients,
predicted probabilities, confusions, and feature maps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

import torch
from torch import nn
from torch.nn import functional as F

from .data import TEXT_LABELS, Batches, Device, to_unit_range
from .models import weight_layers
from .training import device_of, evaluation_mode, given_back, net_device

__all__ = [
    "confusion_matrix",
    "feature_maps",
    "first_steps",
    "most_confident_mistakes",
    "most_confused_pairs",
    "per_class_accuracy",
    "predict_probabilities",
    "weight_gradient_norms",
]


def first_steps(net: nn.Sequential, train_iter: Batches,
                optimizer: torch.optim.Optimizer, device: Device | None = None, *,
                loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None, steps: int = 20,
                scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
                saturation: float = 0.05) -> dict[str, list[float] | dict[str, list[float]]]:
    """Train ``net`` for ``steps`` mini-batches on ``device`` (``None``: where its parameters are; a
    device given moves it there, as :func:`~d2l_utils.training.train_ch5` does) and
    record, per step, what each layer does; ``loss`` defaults to cross-entropy, and the network comes
    back in the mode and memory layout it went in. Used in notebook 06.

    Returns a dict of per-step lists: ``loss``; ``grad[name]``, the mean absolute gradient of each
    conv/linear layer's weights (frozen ones left out); ``saturated[name]``, the fraction of each
    sigmoid's outputs that lie within ``saturation`` of 0 or 1 (where its slope s(1 - s) is below about
    ``saturation``); ``slope[name]``, the mean slope s(1 - s) of each sigmoid (at most 0.25: the factor
    by which it scales the gradient passing back through it); ``dead[name]``, the fraction of each
    ReLU's outputs that are exactly zero (no gradient flows back through them). Activation statistics
    carry the name of the conv/linear layer that feeds the nonlinearity.
    """
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    device = net_device(net, device)
    names = weight_layers(net)
    trained = [(n, m) for n, m in names if m.weight.requires_grad]  # a frozen layer has no gradient
    record = {"loss": [], "grad": {n: [] for n, _ in trained}, "saturated": {}, "slope": {}, "dead": {}}
    owner, current = {}, None
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
    try:
        with given_back(net):
            net.to(device).train()
            for X, y in islice(train_iter, steps):
                X, y = X.to(device), y.to(device)
                batch_loss = loss(net(X), y)
                optimizer.zero_grad()
                batch_loss.backward()
                for name, layer in trained:
                    record["grad"][name].append(float(layer.weight.grad.abs().mean()))
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                record["loss"].append(batch_loss.item())
    finally:
        for h in hooks:
            h.remove()
    return record


def weight_gradient_norms(net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                          device: Device | None = None, *,
                          loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
                          ) -> list[tuple[str, float]]:
    """``(layer, |grad W| / |W|)`` for one batch and each conv/linear layer: how fast each layer's
    weights move relative to their size (layers whose weights are frozen, ``requires_grad=False``, are
    left out). ``loss`` defaults to cross-entropy. Used in notebook 05.

    The network runs in training mode, as a training step would (batch norm normalises with the
    batch's own statistics, so the gradients are those training follows), and is given back as it
    came: its mode, its own gradients (``.grad``) and its buffers. Batch norm's running statistics
    are saved before the step and written back after it, because training mode updates them, and
    evaluation mode would give other gradients. A ``device`` given must be the network's."""
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    device = device_of(net, device, "weight_gradient_norms")
    layers = [(n, m) for n, m in weight_layers(net) if m.weight.requires_grad]  # frozen ones do not move
    buffers = [(b, b.clone()) for b in net.buffers()]  # batch norm's running statistics and counts
    with given_back(net), torch.enable_grad():
        try:
            net.train()
            out = loss(net(images.to(device)), labels.to(device))
            grads = torch.autograd.grad(out, [m.weight for _, m in layers])
        finally:
            with torch.no_grad():
                for buffer, saved in buffers:
                    buffer.copy_(saved)
    return [(name, (g.norm() / m.weight.detach().norm()).item()) for (name, m), g in zip(layers, grads)]


@torch.inference_mode()
def predict_probabilities(net: nn.Module | Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor,
                          device: Device | None = None, *, batch_size: int = 256) -> torch.Tensor:
    """Softmax probabilities (N, 10) on the CPU for uint8 or float images, in evaluation mode; the
    network comes back in the mode it went in (the prediction explorer calls it). A ``device`` given
    must be the network's. Used in notebook 07."""
    device = device_of(net, device, "predict_probabilities")
    with evaluation_mode(net):
        probs = [F.softmax(net(to_unit_range(images[i:i + batch_size]).to(device)), dim=1).cpu()
                 for i in range(0, len(images), batch_size)]
    return torch.cat(probs)


def confusion_matrix(predictions: Sequence[int] | torch.Tensor, labels: Sequence[int] | torch.Tensor,
                     num_classes: int = 10) -> torch.Tensor:
    """``cm[t, p]`` = number of examples of true class ``t`` predicted as ``p``, from what the model
    made and then the truth (the package's order). Notebook 07 derives it. Used in notebook 07."""
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    return torch.bincount(labels * num_classes + predictions,
                          minlength=num_classes ** 2).reshape(num_classes, num_classes)


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """Fraction of each true class predicted correctly: the diagonal over the row sums.
    Used in notebook 07."""
    return cm.diag().float() / cm.sum(dim=1).clamp(min=1).float()


def most_confused_pairs(cm: torch.Tensor, k: int = 5) -> list[tuple[str, str, int]]:
    """The ``k`` class pairs confused most often, counting both directions (a taken for b plus b
    taken for a), as ``(class a, class b, count)``. Used in notebook 07."""
    off = cm.clone()
    off.fill_diagonal_(0)
    off = torch.triu(off + off.T, diagonal=1)
    values, flat = off.flatten().topk(k)
    n = cm.shape[0]
    return [(TEXT_LABELS[int(i) // n], TEXT_LABELS[int(i) % n], int(v)) for v, i in zip(values, flat)]


def most_confident_mistakes(probabilities: torch.Tensor, labels: Sequence[int] | torch.Tensor,
                            k: int = 10) -> torch.Tensor:
    """Indices of the ``k`` wrong predictions with the highest predicted probability. Used in notebook 07."""
    confidence, predicted = probabilities.max(dim=1)
    wrong = torch.nonzero(predicted != torch.as_tensor(labels)).flatten()
    return wrong[confidence[wrong].argsort(descending=True)[:k]]


@torch.inference_mode()
def feature_maps(net: nn.Sequential, images: torch.Tensor,
                 device: Device | None = None) -> dict[str, torch.Tensor]:
    """The outputs of every convolution for a batch of images, ``{"conv1": (N, C, H, W), ...}``,
    named as in :func:`~d2l_utils.models.weight_layers`, in evaluation mode. A ``device`` given must
    be the network's. Used in notebook 07."""
    device = device_of(net, device, "feature_maps")
    names = {id(layer): name for name, layer in weight_layers(net)}
    X = to_unit_range(images).to(device)
    maps = {}
    with evaluation_mode(net):
        for layer in net:
            X = layer(X)
            if isinstance(layer, nn.Conv2d):
                maps[names[id(layer)]] = X.cpu()
    return maps
