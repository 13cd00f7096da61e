"""d2l_utils.fast: the fused Sigmoid -> AvgPool2d(2) step must give exactly what the two layers give,
and fused_forward must never change what a network computes or bypass what it is asked to run."""

import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2l_utils
import d2l_utils.fast
import d2l_utils.training as training
from d2l_utils.fast import SigmoidAvgPool2, fused_forward

CL = torch.channels_last


def channels_last_batch(*shape, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=dtype) * 3).contiguous(memory_format=CL)


def autograd_nodes(out):
    """Names of every autograd step behind ``out``."""
    seen, stack, names = set(), [out.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(type(node).__name__)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return names


def fused_steps(out):
    return sum("SigmoidAvgPool2" in name for name in autograd_nodes(out))


# --- the step itself --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 6, 28, 28), (8, 16, 10, 10), (3, 5, 4, 6), (1, 1, 2, 2)])
@pytest.mark.parametrize("grad_layout", ["channels-last", "NCHW-contiguous"])
def test_sigmoid_avgpool_is_bit_for_bit_the_two_layers(shape, grad_layout):
    x = channels_last_batch(*shape).requires_grad_()
    plain = F.avg_pool2d(torch.sigmoid(x), 2)
    fused = SigmoidAvgPool2.apply(x)
    assert fused.shape == plain.shape and fused.dtype == plain.dtype
    assert fused.is_contiguous(memory_format=CL)
    assert torch.equal(fused, plain)
    # the gradient arriving from a conv is channels-last; the one arriving from nn.Flatten is NCHW
    grad = channels_last_batch(*plain.shape, seed=1)
    if grad_layout == "NCHW-contiguous":
        grad = grad.contiguous()
        assert not grad.is_contiguous(memory_format=CL) or shape[1] == 1
    expected = torch.autograd.grad(plain, x, grad)[0]
    got = torch.autograd.grad(fused, x, grad)[0]
    assert got.shape == x.shape and torch.equal(got, expected)


def test_sigmoid_avgpool_passes_gradcheck_in_float64():
    x = channels_last_batch(2, 3, 4, 6, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(SigmoidAvgPool2.apply, (x,), eps=1e-6, atol=1e-6)
    y = channels_last_batch(2, 3, 4, 6, seed=2, dtype=torch.float64)
    assert torch.equal(SigmoidAvgPool2.apply(y), F.avg_pool2d(torch.sigmoid(y), 2))


def test_sigmoid_avgpool_extreme_inputs():
    x = torch.tensor([[-1e4, 1e4], [0.0, 50.0]]).reshape(1, 1, 2, 2).contiguous(memory_format=CL)
    x.requires_grad_()
    fused = SigmoidAvgPool2.apply(x)
    plain = F.avg_pool2d(torch.sigmoid(x), 2)
    assert torch.equal(fused, plain) and bool(torch.isfinite(fused).all())
    g = torch.ones_like(plain)
    assert torch.equal(torch.autograd.grad(fused, x, g)[0], torch.autograd.grad(plain, x, g)[0])


# --- fused_forward: which networks, which inputs ----------------------------------------------------------


def lenet_pair():
    torch.manual_seed(0)
    net = d2l_utils.lenet().apply(d2l_utils.init_weights).to(memory_format=CL)
    return net, fused_forward(net)


def test_fused_lenet_matches_outputs_and_gradients():
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
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))
    assert fused_steps(forward(X)) == 2 and fused_steps(net(X)) == 0  # both pairs fused, really


def test_other_networks_are_returned_as_they_are():
    modern = d2l_utils.lenet_modern()
    assert fused_forward(modern) is modern  # max pooling: nothing to fuse
    conv = nn.Conv2d(1, 1, 3)
    assert fused_forward(conv) is conv
    for pool in (nn.AvgPool2d(3), nn.AvgPool2d(2, stride=1), nn.AvgPool2d(2, padding=1),
                 nn.AvgPool2d(2, ceil_mode=True), nn.AvgPool2d(2, divisor_override=3)):
        net = nn.Sequential(nn.Sigmoid(), pool)
        assert fused_forward(net) is net, pool
    reverse = nn.Sequential(nn.AvgPool2d(2), nn.Sigmoid())
    assert fused_forward(reverse) is reverse


def test_a_sequential_subclass_with_its_own_forward_is_never_bypassed():
    class Doubled(nn.Sequential):
        def forward(self, x):
            return 2 * super().forward(x)

    net = Doubled(nn.Sigmoid(), nn.AvgPool2d(2))
    assert fused_forward(net) is net  # returned unchanged
    x = channels_last_batch(2, 3, 4, 4)
    assert torch.equal(fused_forward(net)(x), 2 * F.avg_pool2d(torch.sigmoid(x), 2))

    class Named(nn.Sequential):  # a subclass that keeps Sequential's forward may be fused
        pass

    named = Named(nn.Sigmoid(), nn.AvgPool2d(2))
    forward = fused_forward(named)
    assert forward is not named and torch.equal(forward(x), named(x))
    assert fused_steps(forward(x.requires_grad_())) == 1


def test_inputs_the_fused_step_cannot_take_go_layer_by_layer():
    pair = nn.Sequential(nn.Sigmoid(), nn.AvgPool2d(2))
    forward = fused_forward(pair)
    assert forward is not pair
    for x in (torch.randn(2, 3, 6, 6),                   # NCHW with several channels
              channels_last_batch(2, 3, 5, 5),           # odd height and width
              channels_last_batch(2, 3, 6, 5),           # odd width
              torch.randn(3, 6, 6)):                     # no batch dimension
        x.requires_grad_()
        out = forward(x)
        assert torch.equal(out, pair(x)) and fused_steps(out) == 0
    ok = channels_last_batch(2, 3, 6, 6).requires_grad_()
    assert fused_steps(forward(ok)) == 1


def test_layers_changed_after_fusing_are_used():
    net = nn.Sequential(nn.Sigmoid(), nn.AvgPool2d(2))
    forward = fused_forward(net)
    x = channels_last_batch(2, 3, 4, 4)
    net[1] = nn.MaxPool2d(2)  # the layers are read at each call
    assert torch.equal(forward(x), F.max_pool2d(torch.sigmoid(x), 2))


# --- hooks are always honoured ----------------------------------------------------------------------------


def test_hooks_are_honoured():
    net, forward = lenet_pair()
    seen = []
    handle = net[2].register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    X = torch.rand(2, 1, 28, 28).contiguous(memory_format=CL)
    forward(X)
    assert seen == [torch.Size([2, 6, 14, 14])]
    handle.remove()
    forward(X)
    assert len(seen) == 1  # hook removed: the fused path again
    assert fused_steps(forward(X.requires_grad_())) == 2


def test_a_hook_added_later_is_honoured():
    net, forward = lenet_pair()  # fused_forward was called first
    seen = []
    net[1].register_forward_pre_hook(lambda module, inputs: seen.append("sigmoid"))
    net.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    X = torch.rand(3, 1, 28, 28).contiguous(memory_format=CL).requires_grad_()
    out = forward(X)
    assert seen == ["sigmoid", torch.Size([3, 10])] and fused_steps(out) == 0


def test_a_global_hook_is_honoured():
    net, forward = lenet_pair()
    seen = []
    handle = nn.modules.module.register_module_forward_hook(
        lambda module, inputs, output: seen.append(type(module).__name__))
    try:
        forward(torch.rand(2, 1, 28, 28).contiguous(memory_format=CL))
    finally:
        handle.remove()
    assert seen.count("AvgPool2d") == 2 and seen.count("Sigmoid") == 4


def test_a_backward_hook_is_honoured():
    net, forward = lenet_pair()
    seen = []
    net[2].register_full_backward_hook(lambda module, grad_in, grad_out: seen.append(grad_out[0].shape))
    X = torch.rand(2, 1, 28, 28).contiguous(memory_format=CL)
    forward(X).sum().backward()
    assert seen == [torch.Size([2, 6, 14, 14])]


# --- train_ch5(fast=True) ---------------------------------------------------------------------------------


def test_train_ch5_fast_gives_the_plain_layers_weights(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    weights, histories = [], []
    for fused in (True, False):
        if not fused:  # the same channels-last batches, through the plain layers
            monkeypatch.setattr(training, "fused_forward", lambda net: net)
        torch.manual_seed(0)
        net = d2l_utils.lenet()
        histories.append(d2l_utils.train_ch5(net, train_iter, test_iter, 2, 0.9, "cpu", init=True,
                                             verbose=False))
        weights.append(net.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert histories[0].loss == histories[1].loss and histories[0].test_acc == histories[1].test_acc


def test_train_ch5_fast_really_fuses(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    calls = []
    real = SigmoidAvgPool2.apply

    def counting(x):
        calls.append(tuple(x.shape))
        return real(x)

    monkeypatch.setattr(SigmoidAvgPool2, "apply", counting)
    d2l_utils.train_ch5(d2l_utils.lenet(), train_iter, test_iter, 1, 0.9, "cpu", verbose=False)
    # two pairs per batch: 6 training batches, then the 32 test images in one batch
    assert calls.count((16, 6, 28, 28)) == 6 and calls.count((16, 16, 10, 10)) == 6
    assert calls.count((32, 6, 28, 28)) == 1
    calls.clear()
    d2l_utils.train_ch5(d2l_utils.lenet(), train_iter, test_iter, 1, 0.9, "cpu", verbose=False, fast=False)
    assert calls == []


def test_the_private_hook_dictionaries_fused_forward_reads_exist():
    """PyTorch offers no public way to ask whether a hook is registered, so d2l_utils.fast reads the
    dictionaries Module.__call__ reads; this fails on a PyTorch release that renames them."""
    from torch.nn.modules import module as torch_module

    for kind in d2l_utils.fast.HOOK_DICTS:
        assert isinstance(getattr(torch_module, "_global" + kind), dict), kind
        assert isinstance(getattr(nn.Sigmoid(), kind), dict), kind
    source = inspect.getsource(torch_module.Module._call_impl)
    assert all(kind in source for kind in d2l_utils.fast.HOOK_DICTS)  # the ones __call__ reads
