"""LeNet's layers, shapes and parameters."""

import math

import torch
from torch import nn

from d2l_utils import count_parameters, init_weights, lenet, parameter_table


def test_shape_trace_matches_the_curriculum():
    X = torch.rand(1, 1, 28, 28)
    trace = []
    for layer in lenet():
        X = layer(X)
        trace.append((type(layer).__name__, tuple(X.shape)))
    assert trace == [
        ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
        ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
        ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)),
        ("Linear", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10))]


def test_parameter_count_and_table():
    net = lenet()
    assert count_parameters(net) == 61_706
    table = parameter_table(net)
    assert [n for _, _, n in table] == [156, 2416, 48120, 10164, 850]
    assert table[0][1] == "6x1x5x5 + 6"


def test_xavier_uniform_init_stays_in_bounds():
    net = lenet()
    torch.manual_seed(0)
    net.apply(init_weights)
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert float(layer.weight.detach().abs().max()) <= bound
            assert float(layer.weight.detach().abs().max()) > 0.8 * bound  # uniform fills the range


def test_channels_last_batches_work():
    net = lenet().to(memory_format=torch.channels_last)
    X = torch.rand(8, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    assert net(X).shape == (8, 10)
    assert torch.allclose(net(X), net(X.contiguous()), atol=1e-6)
