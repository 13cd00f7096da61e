"""CPU speed-ups used by ``train_ch5`` and ``evaluate_accuracy``; none of them changes a result.

* :func:`keep_freed_memory` stops glibc from handing freed activation buffers back to the
  operating system after every batch, only to fault them back in, page by page, in the next.
* :func:`fused_forward` runs a ``Sequential`` as written, except that each ``Sigmoid`` directly
  followed by a 2×2 ``AvgPool2d`` becomes one autograd step (:class:`SigmoidAvgPool2`). PyTorch's
  pooling kernels vectorise over channels, which is slow for LeNet's 6 and 16; the fused step
  pools in one pass of a small C kernel (``_pool.c``, compiled on first use where a C compiler
  exists) or else with four PyTorch additions. Either way it adds the four values of a window in
  the order ``avg_pool2d`` does, so outputs and gradients are bit for bit the plain network's.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import subprocess
from pathlib import Path

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .data import user_cache

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
_memory_kept = False


def keep_freed_memory() -> bool:
    """Let glibc's malloc reuse freed buffers (up to 32 MB each) instead of returning them to the OS.

    With glibc's defaults, the large activation tensors of a training step are often unmapped when
    freed and faulted back in by the next step, thousands of page faults per batch. Returns whether
    the setting was applied (only on Linux with glibc; elsewhere it does nothing).
    """
    global _memory_kept
    if not _memory_kept and platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        try:
            libc = ctypes.CDLL("libc.so.6")
            _memory_kept = bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
                                and libc.mallopt(_M_TRIM_THRESHOLD, 1024 * 1024 * 1024))
        except (OSError, AttributeError):
            return False
    return _memory_kept


_KERNEL_SOURCE = Path(__file__).with_name("_pool.c")
_kernels = None  # None: not tried yet; False: unavailable; else the loaded library


def pool_kernels():
    """The compiled C pooling kernels, or ``None`` where there is no working C compiler.

    Compiled once per machine into ``~/.cache/d2l_utils/kernels`` (a fraction of a second);
    ``D2L_UTILS_PURE_TORCH=1`` turns them off.
    """
    global _kernels
    if _kernels is None:
        _kernels = False if os.environ.get("D2L_UTILS_PURE_TORCH") else (_build_kernels() or False)
    return _kernels or None


def _build_kernels():
    source = _KERNEL_SOURCE.read_bytes()
    cache = user_cache("kernels")
    base = ["-O3", "-ffp-contract=off", "-fPIC", "-shared"]
    for flags in (base + ["-fopenmp"], base):  # OpenMP shares PyTorch's own libgomp threads
        key = hashlib.sha256(source + " ".join(flags + [platform.machine()]).encode()).hexdigest()[:16]
        library = cache / f"pool-{key}.so"
        try:
            if not library.exists():
                cache.mkdir(parents=True, exist_ok=True)
                tmp = library.with_name(f"{library.name}.{os.getpid()}.tmp")
                subprocess.run([os.environ.get("CC", "cc"), *flags, "-o", str(tmp), str(_KERNEL_SOURCE)],
                               check=True, capture_output=True, timeout=120)
                os.replace(tmp, library)  # atomic: parallel kernels never load half a file
            lib = ctypes.CDLL(str(library))
        except (OSError, subprocess.SubprocessError):
            continue
        for name in ("pool_forward", "pool_backward"):
            getattr(lib, name).restype = None
        return lib
    return None


def _ptr(t: torch.Tensor) -> ctypes.c_void_p:
    return ctypes.c_void_p(t.data_ptr())


class SigmoidAvgPool2(torch.autograd.Function):
    """``avg_pool2d(sigmoid(x), 2)`` for a channels-last batch ``x`` of even height and width."""

    @staticmethod
    def forward(ctx, x):
        B, C, H, W = x.shape
        s = torch.sigmoid(x)
        nhwc = s.permute(0, 2, 3, 1)  # the memory order of a channels-last tensor
        lib = pool_kernels()
        if lib is not None and s.dtype == torch.float32 and nhwc.is_contiguous():
            out = torch.empty(B, H // 2, W // 2, C)
            lib.pool_forward(_ptr(nhwc), _ptr(out), *(ctypes.c_long(n) for n in (B, H, W, C)))
        else:
            q = nhwc.view(B, H // 2, 2, W // 2, 2, C)  # (row pair, column pair) views
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
        g = (grad / 4).permute(0, 2, 3, 1).contiguous()  # avg_pool2d_backward's grad / window size
        rows = s.permute(0, 2, 3, 1)
        lib = pool_kernels()
        if lib is not None and s.dtype == torch.float32 and rows.is_contiguous():
            grad_x = torch.empty(B, H, W, C)
            lib.pool_backward(_ptr(g), _ptr(rows), _ptr(grad_x), *(ctypes.c_long(n) for n in (B, H, W, C)))
        else:
            g = g.view(B * (H // 2) * (W // 2), C)
            g = torch.cat([g, g], dim=1).view(B, H // 2, 1, W * C)  # every value twice along a row,
            g = g.expand(B, H // 2, 2, W * C)                        # and every row twice (a view)
            rows = rows.reshape(B, H // 2, 2, W * C)
            grad_x = torch.ops.aten.sigmoid_backward(g, rows)       # grad · (1 − s) · s
        return grad_x.view(B, H, W, C).permute(0, 3, 1, 2)


def _fusable(first: nn.Module, second: nn.Module) -> bool:
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    return (type(first) is nn.Sigmoid and type(second) is nn.AvgPool2d
            and pair(second.kernel_size) == (2, 2) and pair(second.stride) == (2, 2)
            and pair(second.padding) == (0, 0) and not second.ceil_mode
            and second.divisor_override is None)


def _has_hooks(module: nn.Module) -> bool:
    return any(getattr(module, name, None) for name in (
        "_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"))


def _global_hooks() -> bool:
    from torch.nn.modules import module as m

    return any(getattr(m, name, None) for name in (
        "_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
        "_global_backward_pre_hooks"))


def fused_forward(net: nn.Module):
    """A callable computing ``net(X)``, faster on the CPU when ``net`` is a ``Sequential`` with
    ``Sigmoid`` → ``AvgPool2d(2)`` pairs. Any other network is returned as is; while a hook is
    registered on the network or a layer, the callable runs ``net(X)`` itself."""
    if not isinstance(net, nn.Sequential) or not any(_fusable(a, b) for a, b in zip(net, net[1:])):
        return net

    def forward(X):
        layers = list(net)  # read at each call: layers and hooks may change during training
        if _global_hooks() or any(_has_hooks(m) for m in (net, *layers)):
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
