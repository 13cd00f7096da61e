"""The models: LeNet as in the classic recipe, a modern LeNet of the same size, and the variants
between them."""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "Normalize",
    "count_parameters",
    "init_weights",
    "lenet",
    "lenet_convs",
    "lenet_modern",
    "parameter_table",
    "weight_layers",
]


def lenet() -> nn.Sequential:
    """LeNet-5 for 1x28x28 inputs: two conv -> sigmoid -> 2x2 average-pool units, then 120-84-10, as
    notebook 02 builds it (and ``lenet_variant()``). Used in notebooks 02, 03, 05, 06, 08 and 09."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def init_weights(module: nn.Module) -> None:
    """Xavier-uniform weights for conv and linear layers (use with ``net.apply``).
    Used in notebooks 05, 06, 08 and 09."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


def count_parameters(net: nn.Module) -> int:
    """Number of trainable parameters. Used in notebooks 02, 05 and 06."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def weight_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` for the convolution and linear layers, named conv1, conv2, ..., fc1, fc2, ...:
    the collection's one naming scheme (parameter tables, gradients, feature maps). Used in notebook 07."""
    named, counts = [], {"conv": 0, "fc": 0}
    for layer in net.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            kind = "conv" if isinstance(layer, nn.Conv2d) else "fc"
            counts[kind] += 1
            named.append((f"{kind}{counts[kind]}", layer))
    return named


def parameter_table(net: nn.Module) -> list[tuple[str, str, int]]:
    """``(layer, weight shapes, parameters)`` for every layer with parameters: convolution and linear
    layers named as in :func:`weight_layers`, others (batch norm) by class and index.
    Used in notebooks 02 and 06."""
    names = {id(layer): name for name, layer in weight_layers(net)}
    rows = []
    for i, layer in enumerate(net):
        params = list(layer.parameters(recurse=False))
        if params:
            shapes = " + ".join("x".join(map(str, p.shape)) for p in params)
            name = names.get(id(layer), f"{type(layer).__name__} ({i})")
            rows.append((name, shapes, sum(p.numel() for p in params)))
    return rows


# Mean and standard deviation of Fashion-MNIST's training pixels (in [0, 1]), computed in notebook 04.
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530


class Normalize(nn.Module):
    """Standardise inputs with fixed statistics, so that callers keep feeding [0, 1] images.
    Used in notebook 04."""

    def __init__(self, mean: float = FASHION_MNIST_MEAN, std: float = FASHION_MNIST_STD) -> None:
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


def lenet_variant(relu: bool = False, max_pool: bool = False, normalize: bool = False,
                  batch_norm: bool = False) -> nn.Sequential:
    """LeNet with any of the modern changes, one flag each (the rows of :func:`~d2l_utils.recipes.ablation`).

    * ``relu``: ReLU instead of sigmoid;
    * ``max_pool``: 2x2 max pooling instead of average pooling;
    * ``normalize``: standardise the input pixels first (:class:`Normalize`);
    * ``batch_norm``: batch norm after each convolution and hidden linear layer. The layers before
      it then need no bias (batch norm's shift replaces it), and each convolution unit pools first:
      conv -> pool -> batch norm -> activation. Max pooling commutes with ReLU (both are monotone)
      and with batch norm's per-channel map when its scale is positive, so this is nearly
      conv -> batch norm -> ReLU -> pool, while batch norm and ReLU see a quarter of the values.

    No flag gives :func:`lenet`; all four give :func:`lenet_modern`.
    """
    act = nn.ReLU if relu else nn.Sigmoid
    pool = nn.MaxPool2d if max_pool else nn.AvgPool2d

    def conv_unit(c_in, c_out, padding):
        conv = nn.Conv2d(c_in, c_out, kernel_size=5, padding=padding, bias=not batch_norm)
        if batch_norm:
            return [conv, pool(kernel_size=2, stride=2), nn.BatchNorm2d(c_out), act()]
        return [conv, act(), pool(kernel_size=2, stride=2)]

    def dense_unit(n_in, n_out):
        if batch_norm:
            return [nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out), act()]
        return [nn.Linear(n_in, n_out), act()]

    return nn.Sequential(*([Normalize()] if normalize else []),
                         *conv_unit(1, 6, 2), *conv_unit(6, 16, 0), nn.Flatten(),
                         *dense_unit(16 * 5 * 5, 120), *dense_unit(120, 84), nn.Linear(84, 10))


def lenet_modern() -> nn.Sequential:
    """LeNet's layout and size with today's habits (61,932 parameters): normalised input, two units
    conv -> 2x2 max pool -> batch norm -> ReLU, then 120-84-10 with batch norm and ReLU, no bias
    before a batch norm. :func:`lenet_variant` with every flag on, which explains the order.
    Used in notebook 06."""
    return lenet_variant(relu=True, max_pool=True, normalize=True, batch_norm=True)



def lenet_convs() -> nn.Sequential:
    """LeNet's budget spent on the convolutions (51,106 parameters, LeNet 61,706): normalised input,
    three units 3x3 conv (padding 1) -> 2x2 max pool -> batch norm -> ReLU with 8, 32 and 128 channels
    (28 -> 14 -> 7 -> 3 pixels), then one linear layer 128*3*3 -> 10. Over three quarters of its weights
    sit in the convolutions, against 4% in LeNet, whose first linear layer holds 78%. Its first unit is
    kept narrow because a channel at full 28x28 resolution costs the most time per weight.
    Used in notebook 06."""
    def unit(c_in: int, c_out: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
                nn.MaxPool2d(kernel_size=2, stride=2), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(Normalize(), *unit(1, 8), *unit(8, 32), *unit(32, 128), nn.Flatten(),
                         nn.Linear(128 * 3 * 3, 10))
