"""The modern LeNet: size, shapes, batch norm's two modes, and the flip augmentation."""

import torch
from torch import nn

from d2l_utils import count_parameters, lenet, lenet_modern, random_hflip
from d2l_utils.models import Normalize


def test_parameter_count_stays_lenet_sized():
    net = lenet_modern()
    assert count_parameters(net) == 61_932
    assert count_parameters(net) <= 70_000
    # the same convolution and linear layers as the classic LeNet, biases aside
    shapes = [tuple(m.weight.shape) for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    classic = [tuple(m.weight.shape) for m in lenet() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert shapes == classic


def test_modern_ingredients_are_there():
    kinds = {type(m) for m in lenet_modern()}
    assert {nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d, nn.BatchNorm1d, Normalize} <= kinds
    assert nn.Sigmoid not in kinds and nn.AvgPool2d not in kinds


def test_output_shapes():
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


def test_random_hflip_mirrors_about_half_exactly():
    torch.manual_seed(0)
    X = torch.rand(2000, 1, 28, 28)
    Y = random_hflip(X)
    assert Y.shape == X.shape
    same = (Y == X).flatten(1).all(dim=1)
    mirrored = (Y == X.flip(-1)).flatten(1).all(dim=1)
    assert bool((same | mirrored).all())  # every image is either untouched or exactly mirrored
    assert 0.45 < mirrored.float().mean() < 0.55
    assert torch.equal(X.flip(-1).flip(-1), X)


def test_random_hflip_keeps_channels_last():
    X = torch.rand(4, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    Y = random_hflip(X)
    assert lenet_modern().eval()(Y).shape == (4, 10)
