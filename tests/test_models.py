"""d2l_utils.models: LeNet, the modern LeNet, the variants between them, names and parameter tables."""

import math

import pytest
import torch
from torch import nn

from d2l_utils import (
    Normalize,
    count_parameters,
    init_weights,
    lenet,
    lenet_convs,
    lenet_modern,
    parameter_table,
    weight_layers,
)
from d2l_utils.models import FASHION_MNIST_MEAN, FASHION_MNIST_STD, lenet_variant
from d2l_utils.recipes import RECIPES

ALL_FLAGS = {"relu": True, "max_pool": True, "normalize": True, "batch_norm": True}


def layer_types(net):
    return [type(m) for m in net]


def state_shapes(net):
    return [(name, tuple(t.shape)) for name, t in net.state_dict().items()]


def count(net, kind):
    return sum(isinstance(m, kind) for m in net.modules())


# --- LeNet ------------------------------------------------------------------------------------------------


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


def test_parameter_counts():
    assert count_parameters(lenet()) == 61_706
    assert count_parameters(lenet_modern()) == 61_932
    frozen = lenet()
    frozen[0].weight.requires_grad_(False)
    assert count_parameters(frozen) == 61_706 - 150  # only trainable parameters count


def test_each_recipe_builds_its_model():
    assert set(RECIPES) == {"lenet", "lenet-modern", "lenet-convs"}
    assert layer_types(RECIPES["lenet"].model()) == layer_types(lenet())
    assert layer_types(RECIPES["lenet-modern"].model()) == layer_types(lenet_modern())
    assert layer_types(RECIPES["lenet-convs"].model()) == layer_types(lenet_convs())


def test_xavier_uniform_init_stays_in_bounds():
    net = lenet()
    torch.manual_seed(0)
    net.apply(init_weights)
    for _, layer in weight_layers(net):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert float(layer.weight.detach().abs().max()) <= bound
        assert float(layer.weight.detach().abs().max()) > 0.8 * bound  # uniform fills the range
    layer = nn.Conv2d(1, 6, 5)
    weight, bias = layer.weight.detach().clone(), layer.bias.detach().clone()
    init_weights(layer)
    assert not torch.equal(layer.weight, weight)
    assert torch.equal(layer.bias, bias)  # biases keep PyTorch's default
    norm = nn.BatchNorm1d(4)
    init_weights(norm)  # other layers are left alone
    assert torch.equal(norm.weight, torch.ones(4))


def test_channels_last_batches_work():
    net = lenet().to(memory_format=torch.channels_last)
    X = torch.rand(8, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    assert net(X).shape == (8, 10)
    assert torch.allclose(net(X), net(X.contiguous()), atol=1e-6)


# --- names and tables -------------------------------------------------------------------------------------


def test_weight_layers_names_and_layers():
    net = lenet()
    named = weight_layers(net)
    assert [n for n, _ in named] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert [layer for _, layer in named] == [net[0], net[3], net[7], net[9], net[11]]
    modern = lenet_modern()
    assert [n for n, _ in weight_layers(modern)] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert weight_layers(modern)[0][1] is modern[1]  # Normalize comes first and has no weights
    nested = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3)), nn.Flatten(), nn.Linear(2, 2))
    assert [n for n, _ in weight_layers(nested)] == ["conv1", "fc1"]  # found inside blocks too


def test_parameter_table_rows():
    assert parameter_table(lenet()) == [
        ("conv1", "6x1x5x5 + 6", 156), ("conv2", "16x6x5x5 + 16", 2416),
        ("fc1", "120x400 + 120", 48120), ("fc2", "84x120 + 84", 10164), ("fc3", "10x84 + 10", 850)]
    rows = parameter_table(lenet_modern())
    assert [r[0] for r in rows] == ["conv1", "BatchNorm2d (3)", "conv2", "BatchNorm2d (7)", "fc1",
                                    "BatchNorm1d (11)", "fc2", "BatchNorm1d (14)", "fc3"]
    assert rows[0] == ("conv1", "6x1x5x5", 150)  # no bias before batch norm
    assert rows[1] == ("BatchNorm2d (3)", "6 + 6", 12)
    assert sum(r[2] for r in rows) == count_parameters(lenet_modern())


# --- the modern LeNet and the variants --------------------------------------------------------------------


def test_no_flag_is_lenet_and_all_flags_are_lenet_modern():
    assert layer_types(lenet_variant()) == layer_types(lenet())
    assert state_shapes(lenet_variant()) == state_shapes(lenet())
    unit = [nn.MaxPool2d, nn.BatchNorm2d, nn.ReLU]
    assert layer_types(lenet_modern()) == [Normalize, nn.Conv2d, *unit, nn.Conv2d, *unit, nn.Flatten,
                                           nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear, nn.BatchNorm1d,
                                           nn.ReLU, nn.Linear]


def test_relu_flag_swaps_every_sigmoid_for_relu():
    net = lenet_variant(relu=True)
    assert count(net, nn.ReLU) == 4 and count(net, nn.Sigmoid) == 0
    assert count(net, nn.AvgPool2d) == 2 and count(net, nn.BatchNorm2d) == 0  # nothing else changes
    assert [type(m) is nn.ReLU for m in net] == [type(m) is nn.Sigmoid for m in lenet()]


def test_max_pool_flag_swaps_the_pooling():
    net = lenet_variant(max_pool=True)
    assert count(net, nn.MaxPool2d) == 2 and count(net, nn.AvgPool2d) == 0
    assert count(net, nn.Sigmoid) == 4
    pools = [m for m in net if isinstance(m, nn.MaxPool2d)]
    assert all(p.kernel_size == 2 and p.stride == 2 for p in pools)


def test_normalize_flag_standardises_the_input_first():
    net = lenet_variant(normalize=True)
    assert isinstance(net[0], Normalize) and layer_types(net)[1:] == layer_types(lenet())
    assert count_parameters(net) == 61_706  # fixed statistics, not parameters
    torch.manual_seed(0)
    plain = lenet()
    shifted = lenet_variant(normalize=True)
    for (_, mine), (_, theirs) in zip(weight_layers(shifted), weight_layers(plain), strict=True):
        mine.load_state_dict(theirs.state_dict())
    X = torch.rand(3, 1, 28, 28)
    assert torch.allclose(shifted(X), plain((X - FASHION_MNIST_MEAN) / FASHION_MNIST_STD), atol=1e-6)


def test_batch_norm_flag_adds_norms_and_drops_the_biases_they_replace():
    net = lenet_variant(batch_norm=True)
    assert count(net, nn.BatchNorm2d) == 2 and count(net, nn.BatchNorm1d) == 2
    convs_and_hidden = [m for _, m in weight_layers(net)][:-1]
    assert all(m.bias is None for m in convs_and_hidden)
    assert weight_layers(net)[-1][1].bias is not None  # the output layer keeps its bias
    # each convolution unit pools first: conv -> pool -> batch norm -> activation
    assert layer_types(net)[:4] == [nn.Conv2d, nn.AvgPool2d, nn.BatchNorm2d, nn.Sigmoid]
    assert count(net, nn.Sigmoid) == 4  # the activation is the relu flag's business


@pytest.mark.parametrize("flags", [{}, {"relu": True}, {"max_pool": True}, {"normalize": True},
                                   {"batch_norm": True}, {"relu": True, "max_pool": True}, ALL_FLAGS])
def test_every_variant_maps_images_to_ten_scores(flags):
    net = lenet_variant(**flags).eval()
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    weight_shapes = [tuple(m.weight.shape) for _, m in weight_layers(net)]
    assert weight_shapes == [tuple(m.weight.shape) for _, m in weight_layers(lenet())]  # LeNet-sized


def test_normalize_module():
    norm = Normalize(0.5, 0.25)
    assert torch.equal(norm(torch.tensor([0.5, 1.0])), torch.tensor([0.0, 2.0]))
    assert "mean=0.5, std=0.25" in repr(norm)
    assert Normalize().mean == FASHION_MNIST_MEAN and Normalize().std == FASHION_MNIST_STD


def test_modern_output_shapes():
    net = lenet_modern().eval()
    X = torch.rand(3, 1, 28, 28)
    trace = []
    for layer in net:
        X = layer(X)
        trace.append(tuple(X.shape))
    assert trace[0] == (3, 1, 28, 28)
    assert (3, 6, 14, 14) in trace and (3, 16, 5, 5) in trace and (3, 400) in trace
    assert trace[-1] == (3, 10)


def test_batch_norm_train_mode_depends_on_the_batch_eval_mode_does_not():
    torch.manual_seed(0)
    net = lenet_modern()
    x = torch.rand(1, 1, 28, 28)
    others_a, others_b = torch.rand(7, 1, 28, 28), torch.rand(7, 1, 28, 28) * 0.5
    net.train()
    a = net(torch.cat([x, others_a]))[0]
    b = net(torch.cat([x, others_b]))[0]
    assert not torch.allclose(a, b, atol=1e-4)  # batch statistics: the neighbours matter
    net.eval()
    a = net(torch.cat([x, others_a]))[0]
    b = net(torch.cat([x, others_b]))[0]
    alone = net(x)[0]
    assert torch.allclose(a, b, atol=1e-5) and torch.allclose(a, alone, atol=1e-5)


def test_running_statistics_update_only_in_train_mode():
    torch.manual_seed(0)
    net = lenet_modern()
    bn = next(m for m in net if isinstance(m, nn.BatchNorm2d))
    before = bn.running_mean.clone(), bn.running_var.clone()
    net.eval()
    with torch.no_grad():
        net(torch.rand(8, 1, 28, 28))
    assert torch.equal(bn.running_mean, before[0]) and torch.equal(bn.running_var, before[1])
    assert int(bn.num_batches_tracked) == 0
    net.train()
    with torch.no_grad():
        net(torch.rand(8, 1, 28, 28))
    assert not torch.equal(bn.running_mean, before[0])
    assert int(bn.num_batches_tracked) == 1


def test_lenet_convs_spends_at_most_lenets_budget_and_most_of_it_on_convolutions():
    """Issue 28's network: no more parameters than LeNet, most of them in the convolutions."""
    net = lenet_convs()
    assert count_parameters(net) <= count_parameters(lenet()) == 61_706
    conv = sum(p.numel() for m in net.modules() if isinstance(m, nn.Conv2d) for p in m.parameters())
    assert conv / count_parameters(net) > 0.7
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
