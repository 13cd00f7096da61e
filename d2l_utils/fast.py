"""The fused step: a ``Sigmoid`` followed by a 2x2 ``AvgPool2d`` as one autograd step.

PyTorch's CPU pooling kernels vectorise over channels, slow for LeNet's 6 and 16, and autograd stores
the sigmoid's output *and* runs two backward kernels. :class:`SigmoidAvgPool2` computes both layers in
one step from a channels-last batch, adding each window's four values in ``avg_pool2d``'s order and
using the sigmoid's own backward formula: bit for bit the two layers' outputs and gradients. Notebook
08 writes this class out, checks and times it; ``train_ch5(fast=True)`` runs it via :func:`fused_forward`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn.modules import module as _torch_module

__all__ = [
    "SigmoidAvgPool2",
    "fused_forward",
]


class SigmoidAvgPool2(torch.autograd.Function):
    """``avg_pool2d(sigmoid(x), 2)`` for a batch ``x`` of even height and width."""

    @staticmethod
    def forward(ctx, x):
        B, C, H, W = x.shape
        s = torch.sigmoid(x)
        q = s.permute(0, 2, 3, 1).reshape(B, H // 2, 2, W // 2, 2, C)  # (row pair, column pair)
        out = q[:, :, 0, :, 0] + q[:, :, 0, :, 1]  # avg_pool2d's order: top left + top right,
        out += q[:, :, 1, :, 0]                    # then bottom left,
        out += q[:, :, 1, :, 1]                    # then bottom right,
        out /= 4                                   # then divide by the window size
        ctx.save_for_backward(s)
        return out.permute(0, 3, 1, 2)  # NCHW shape, channels-last memory

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        B, C, H, W = s.shape
        g = (grad / 4).permute(0, 2, 3, 1).reshape(B * (H // 2) * (W // 2), C)  # each window's share
        g = torch.cat([g, g], dim=1).view(B, H // 2, 1, W * C)  # every value twice along a row,
        g = g.expand(B, H // 2, 2, W * C)                        # and every row twice (a view)
        rows = s.permute(0, 2, 3, 1).reshape(B, H // 2, 2, W * C)
        grad_x = torch.ops.aten.sigmoid_backward(g, rows)       # grad * (1 - s) * s
        return grad_x.view(B, H, W, C).permute(0, 3, 1, 2)


def _fusable(first: nn.Module, second: nn.Module) -> bool:
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    return (type(first) is nn.Sigmoid and type(second) is nn.AvgPool2d
            and pair(second.kernel_size) == (2, 2) and pair(second.stride) == (2, 2)
            and pair(second.padding) == (0, 0) and not second.ceil_mode
            and second.divisor_override is None)


# PyTorch has no public way to ask whether a hook is registered: these are the dictionaries that
# ``Module.__call__`` itself reads (tests/test_fast.py fails on a PyTorch release that renames them).
HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")


def _hooked(modules) -> bool:
    """Whether a hook is registered on any of ``modules``, or on every module (a global hook). Where
    PyTorch lacks one of the dictionaries read, every module counts as hooked: nothing is fused
    (slower, never wrong)."""
    try:
        return any(getattr(_torch_module, "_global" + kind) for kind in HOOK_DICTS) or any(
            getattr(module, kind) for module in modules for kind in HOOK_DICTS)
    except AttributeError:
        return True


def fused_forward(net: nn.Module):
    """A callable computing ``net(X)`` with each ``Sigmoid`` -> ``AvgPool2d(2)`` pair as one
    :class:`SigmoidAvgPool2` step (used by ``train_ch5(fast=True)``; notebook 08 writes it out).

    Only a plain ``nn.Sequential`` is fused: any other network, a ``Sequential`` subclass with a
    ``forward`` of its own included, is returned as it is. While a hook is registered on the
    network or a layer, the callable runs ``net(X)`` itself, so hooks always see every layer.
    A pair is fused only for 4-d CPU batches in channels-last memory with even height and width.
    """
    if (not isinstance(net, nn.Sequential) or type(net).forward is not nn.Sequential.forward
            or not any(_fusable(a, b) for a, b in zip(net, net[1:]))):
        return net

    def forward(X):
        layers = list(net)  # read at each call: layers and hooks may change during training
        if _hooked((net, *layers)):
            return net(X)
        i = 0
        while i < len(layers):
            if (i + 1 < len(layers) and _fusable(layers[i], layers[i + 1]) and X.dim() == 4
                    and X.device.type == "cpu" and X.shape[2] % 2 == 0 and X.shape[3] % 2 == 0
                    and X.is_contiguous(memory_format=torch.channels_last)):
                X = SigmoidAvgPool2.apply(X)
                i += 2
            else:
                X = layers[i](X)
                i += 1
        return X

    return forward
