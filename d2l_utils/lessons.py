"""Small helpers used only by the lesson notebooks 01-05 (figures, tables, device wording).

Not exported from ``d2l_utils``; import them as ``from d2l_utils.lessons import ...``.
"""

from __future__ import annotations

import torch
from torch import nn


def projector_style() -> None:
    """Matplotlib settings for figures that stay readable on a projector (PNG output)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "font.size": 14, "axes.titlesize": 15,
                         "axes.labelsize": 14, "xtick.labelsize": 12, "ytick.labelsize": 12,
                         "legend.fontsize": 12})


def print_table(rows, headers) -> None:
    """Print ``rows`` (tuples) under ``headers`` as an aligned plain-text table."""
    rows = [tuple(f"{v:,}" if isinstance(v, int) else str(v) for v in row) for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format(*headers).rstrip())
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row).rstrip())


def describe_device(device: torch.device) -> str:
    """One sentence saying which device :func:`d2l_utils.try_gpu` chose and why."""
    if device.type == "cuda":
        return f"Chosen device: {device} (CUDA GPU {torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Chosen device: mps (Apple GPU through Metal; no CUDA GPU found)"
    return "Chosen device: cpu (neither a CUDA GPU nor Apple's MPS is available)"


def plot_flattened_neighbours(img: torch.Tensor, r: int, c: int):
    """Left: the image with the 3x3 neighbourhood of pixel (r, c) boxed.
    Right: where those nine pixels land in the flattened 784-vector."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    img = img.squeeze().float()
    width = img.shape[1]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [1, 2.6]})
    ax0.imshow(img, cmap="gray_r")
    ax0.add_patch(Rectangle((c - 1.5, r - 1.5), 3, 3, fill=False, edgecolor="red", linewidth=2.5))
    ax0.set_title(f"3x3 neighbourhood of pixel ({r}, {c})")
    ax0.set_xticks([])
    ax0.set_yticks([])
    start, stop = width * (r - 1) + c - 1, width * (r + 1) + c + 2
    flat = img.flatten()[start:stop]
    ax1.imshow(flat[None, :], cmap="gray_r", aspect="auto", extent=(start - 0.5, stop - 0.5, 0, 1))
    hits = [width * (r + dr) + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    for h in hits:
        ax1.add_patch(Rectangle((h - 0.5, 0), 1, 1, fill=False, edgecolor="red", linewidth=2.5))
    ax1.set_xticks([hits[1], hits[4], hits[7]])
    ax1.set_yticks([])
    ax1.set_xlabel("position in the flattened vector (index = 28 * row + column)")
    ax1.set_title("the same nine pixels after flattening: three groups, 28 apart")
    fig.tight_layout()
    return fig


def show_maps(images, titles, ncols: int | None = None, scale: float = 3.2):
    """Draw 2-D tensors side by side with titles (larger than ``show_images``, for feature maps)."""
    import matplotlib.pyplot as plt

    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * 1.1), squeeze=False)
    for ax, img, title in zip(axes.flat, images, titles):
        ax.imshow(img.detach().squeeze().cpu(), cmap="gray_r")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(images):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def weight_gradient_norms(net: nn.Sequential, X: torch.Tensor, y: torch.Tensor,
                          loss: nn.Module) -> list[tuple[str, float]]:
    """``(layer, norm of the weight gradient / norm of the weight)`` for one batch, per layer with weights."""
    net.zero_grad()
    loss(net(X), y).backward()
    rows = []
    for i, layer in enumerate(net):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            rel = (layer.weight.grad.norm() / layer.weight.norm()).item()
            rows.append((f"{i}: {type(layer).__name__}", rel))
    net.zero_grad()
    return rows


def plot_bars(names, values, title: str, ylabel: str, log: bool = False):
    """A simple bar chart sized for a projector."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))
    ax.bar(names, values, color="tab:blue")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def enlarge_titles(axes, size: int = 14) -> None:
    """Make the titles drawn by ``show_images``/``show_fashion_mnist`` readable on a projector."""
    for ax in axes:
        ax.title.set_fontsize(size)
