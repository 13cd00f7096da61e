"""The CPU speed-ups in d2l_utils.fast must give exactly what the plain network gives."""

import platform
import shutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2l_utils
import d2l_utils.fast as fast
from d2l_utils.fast import SigmoidAvgPool2, fused_forward, keep_freed_memory

CL = torch.channels_last


def channels_last_batch(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g) * 3).contiguous(memory_format=CL)


@pytest.fixture(params=["C kernels", "PyTorch operations"])
def pooling_path(request, monkeypatch):
    """Run a test once through the compiled kernels and once through the PyTorch fallback."""
    if request.param == "PyTorch operations":
        monkeypatch.setattr(fast, "_kernels", False)
    elif fast.pool_kernels() is None:
        pytest.skip("no C compiler here")  # CI has one: test_kernels_are_built_where_cc_exists
    return request.param


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_kernels_are_built_where_cc_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(fast, "_kernels", None)
    assert fast.pool_kernels() is not None
    assert len(list((tmp_path / "d2l_utils" / "kernels").glob("pool-*.so"))) == 1
    monkeypatch.setattr(fast, "_kernels", None)
    monkeypatch.setenv("D2L_UTILS_PURE_TORCH", "1")
    assert fast.pool_kernels() is None


def test_a_failing_compiler_means_the_pytorch_path(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    monkeypatch.setattr(fast, "_kernels", None)
    assert fast.pool_kernels() is None
    x = channels_last_batch(2, 6, 8, 8)
    assert torch.equal(SigmoidAvgPool2.apply(x), F.avg_pool2d(torch.sigmoid(x), 2))


@pytest.mark.parametrize("shape", [(8, 6, 28, 28), (8, 16, 10, 10), (3, 5, 4, 6)])
def test_sigmoid_avgpool_is_bit_for_bit_the_two_layers(shape, pooling_path):
    x = channels_last_batch(*shape).requires_grad_()
    plain = F.avg_pool2d(torch.sigmoid(x), 2)
    fused = SigmoidAvgPool2.apply(x)
    assert fused.shape == plain.shape and fused.is_contiguous(memory_format=CL)
    assert torch.equal(fused, plain)
    grad = channels_last_batch(*plain.shape, seed=1)
    expected = torch.autograd.grad(plain, x, grad)[0]
    assert torch.equal(torch.autograd.grad(fused, x, grad)[0], expected)
    # the gradient arriving from nn.Flatten is NCHW-contiguous, not channels-last
    assert torch.equal(torch.autograd.grad(SigmoidAvgPool2.apply(x), x, grad.contiguous())[0], expected)


def lenet_pair():
    torch.manual_seed(0)
    net = d2l_utils.lenet().apply(d2l_utils.init_weights).to(memory_format=CL)
    return net, fused_forward(net)


def test_fused_lenet_matches_outputs_and_gradients(pooling_path):
    net, forward = lenet_pair()
    assert forward is not net
    X, y = channels_last_batch(32, 1, 28, 28).sigmoid(), torch.arange(32) % 10
    grads = []
    for f in (net, forward):
        net.zero_grad()
        out = f(X)
        F.cross_entropy(out, y).backward()
        grads.append([p.grad.clone() for p in net.parameters()])
        assert torch.equal(out, net(X))
    assert all(torch.equal(a, b) for a, b in zip(*grads))


def test_train_ch5_gives_the_plain_loops_weights(isolated, fake_dir, monkeypatch, pooling_path):
    train_iter, test_iter = d2l_utils.load_data_fashion_mnist(32, root=fake_dir)
    weights = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(d2l_utils.train, "fused_forward", lambda net: net)
        torch.manual_seed(0)
        net = d2l_utils.lenet()
        d2l_utils.train_ch5(net, train_iter, test_iter, nn.CrossEntropyLoss(), 2, 32, "cpu", lr=0.9,
                            progress=False, verbose=False)
        weights.append(net.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_other_networks_are_returned_as_they_are():
    modern = d2l_utils.lenet_modern()
    assert fused_forward(modern) is modern  # max pooling: nothing to fuse
    conv = nn.Conv2d(1, 1, 3)
    assert fused_forward(conv) is conv
    three = nn.Sequential(nn.Sigmoid(), nn.AvgPool2d(3))
    assert fused_forward(three) is three


def test_inputs_the_fused_step_cannot_take_go_layer_by_layer():
    pair = nn.Sequential(nn.Sigmoid(), nn.AvgPool2d(2))
    forward = fused_forward(pair)
    assert forward is not pair
    for x in (torch.randn(2, 3, 6, 6),                   # NCHW with several channels
              channels_last_batch(2, 3, 5, 5),           # odd height and width
              torch.randn(3, 6, 6)):                     # no batch dimension
        assert torch.equal(forward(x), pair(x))


def test_hooks_are_honoured():
    net, forward = lenet_pair()
    seen = []
    net[2].register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    with torch.no_grad():
        forward(torch.rand(2, 1, 28, 28))
    assert seen == [torch.Size([2, 6, 14, 14])]
    net, forward = lenet_pair()
    net.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))  # added later
    with torch.no_grad():
        forward(torch.rand(3, 1, 28, 28))
    assert seen[-1] == torch.Size([3, 10])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc only")
def test_keep_freed_memory_applies_on_glibc():
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True  # idempotent
