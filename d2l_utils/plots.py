"""Figures and tables for the notebooks, sized for a projector; every drawing helper returns its
matplotlib ``Figure``.

One colour convention throughout (stated in notebook 04):

* images in ``IMAGE_CMAP`` ("gray"): 0 is black, 1 is white, so a bright pixel looks bright;
* signed values (kernels, feature maps, products) in ``SIGNED_CMAP`` ("coolwarm"), centred on 0:
  red is positive, blue negative, one colour scale per figure with a colour bar;
* the recipes in fixed colours, ``RECIPE_COLORS``: classic orange, modern blue, the convolutions' green.

A number measured once per seed is shown with its spread (:func:`print_spread`, :func:`plot_spread`):
the median of the seeds and their range, lowest to highest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .data import TEXT_LABELS

__all__ = [
    "IMAGE_CMAP",
    "RECIPE_COLORS",
    "SIGNED_CMAP",
    "plot_bars",
    "plot_channels",
    "plot_confusion_matrix",
    "plot_flattened_neighbours",
    "plot_history",
    "plot_spread",
    "print_spread",
    "print_table",
    "projector_style",
    "show_fashion_mnist",
    "show_images",
    "show_maps",
]

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .training import History

IMAGE_CMAP = "gray"
SIGNED_CMAP = "coolwarm"
RECIPE_COLORS = {"lenet": "tab:orange", "lenet-modern": "tab:blue", "lenet-convs": "tab:green"}
MISTAKE_COLOR, CORRECT_COLOR = "tab:red", "tab:green"
# The width of a notebook's outputs, in inches at projector_style's 100 dpi (1,000 pixels: JupyterLab's
# output area on a 1,280-pixel projector). A figure no wider than this is shown at its own size, so its
# text of N pt appears at N * 100 / 96 CSS pt; a wider one is shrunk to fit, and its text with it.
NOTEBOOK_WIDTH, NOTEBOOK_DPI = 10.0, 100


def shown_points(fontsize: float, fig_width: float, dpi: float = NOTEBOOK_DPI) -> float:
    """The size in CSS points at which text of ``fontsize`` pt appears in a notebook, in a figure
    ``fig_width`` inches wide saved at ``dpi``. Used by the explorers (widgets) and their tests."""
    scale = min(1.0, NOTEBOOK_WIDTH * NOTEBOOK_DPI / (fig_width * dpi))
    return fontsize * dpi / 96 * scale


def projector_style() -> None:
    """Matplotlib settings that stay readable on a projector: large fonts, PNG output.
    Used in every notebook."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "font.size": 14, "axes.titlesize": 15,
                         "axes.labelsize": 14, "xtick.labelsize": 12, "ytick.labelsize": 12,
                         "legend.fontsize": 12, "image.cmap": IMAGE_CMAP})


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """``rows`` (tuples) under ``headers`` as aligned plain text; whole numbers get thousands commas."""
    rows = [tuple(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in row)
            for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    lines = [line.format(*headers), line.format(*("-" * w for w in widths))]
    lines += [line.format(*row) for row in rows]
    return "\n".join(s.rstrip() for s in lines)


def print_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> None:
    """Print :func:`table`. Used in notebooks 01, 02, 03, 04 and 06."""
    print(table(rows, headers))


def _spread_groups(rows: Sequence[Sequence[object]], headers: Sequence[str],
                   helper: str) -> list[tuple[str, list[list[float] | None]]]:
    """``rows`` as ``(name, [per-seed numbers or None for each group])``, checked against ``headers``."""
    checked = []
    for row in rows:
        if isinstance(row, str) or len(row) != len(headers):
            raise ValueError(f"{helper} got the row {row!r} for the {len(headers)} headers {list(headers)}: "
                             "give each row a name and then one list of numbers per group (or None).")
        name, *groups = row
        values = []
        for group in groups:
            if group is not None:
                group = list(group)
                if not group or not all(isinstance(v, int | float) and math.isfinite(v) for v in group):
                    raise ValueError(f"{helper} got {group!r} in the row {name!r}: give one number per "
                                     "seed (at least one), or None for a combination that was not run.")
            values.append(group)
        checked.append((str(name), values))
    return checked


def print_spread(rows: Sequence[Sequence[object]], headers: Sequence[str], *, fmt: str = ".3f") -> None:
    """Print numbers measured once per seed as their median and range: each of ``rows`` is a name and
    then one group of numbers per seed (a list, or ``None`` where that combination was not run);
    ``headers`` are the name column's header and each group's. Each group gets two columns, its
    median and its range (lowest–highest), printed after "≈" with ``fmt``, "-" where it was not run.
    :func:`plot_spread` draws the same. Used in notebook 06."""
    checked = _spread_groups(rows, headers, "print_spread")
    columns = [headers[0]] + [f"{h} {what}" for h in headers[1:] for what in ("median", "range")]
    lines = []
    for name, groups in checked:
        cells = [name]
        for group in groups:
            cells += (["-", "-"] if group is None else
                      [f"≈ {statistics.median(group):{fmt}}", f"≈ {min(group):{fmt}}–{max(group):{fmt}}"])
        lines.append(cells)
    print_table(lines, columns)


def plot_spread(rows: Sequence[Sequence[object]], headers: Sequence[str], *, xlabel: str = "test accuracy",
                title: str = "", colors: Sequence[str] | None = None) -> Figure:
    """Draw what :func:`print_spread` prints: one line of the figure per row, top to bottom in the
    order given; for each group, its seeds as large open markers on a line from the lowest to the
    highest, and its median as a small filled marker of the same shape on top (seeds that coincide show
    as one ring around it). The groups differ by marker shape and height within the row as well as by
    colour (``colors``, one per group), and the legend below the plot names them. Returns the figure.
    Used in notebook 06."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    checked = _spread_groups(rows, headers, "plot_spread")
    groups = headers[1:]
    colors = list(colors) if colors is not None else [f"C{i}" for i in range(len(groups))]
    markers = ("o", "s", "^", "D", "v")
    seed_style = {"fillstyle": "none", "markersize": 13, "markeredgewidth": 1.5, "linestyle": "none"}
    median_style = {"markersize": 7, "markeredgecolor": "black", "linestyle": "none"}
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.7 * len(checked)), layout="constrained")
    for i, (_, values) in enumerate(checked):
        for g, group in enumerate(values):
            if group is None:
                continue
            y = -i + 0.3 * (len(groups) - 1) * (0.5 - g / max(len(groups) - 1, 1))  # first group on top
            marker, color = markers[g % len(markers)], colors[g % len(colors)]
            ax.plot([min(group), max(group)], [y, y], "-", color=color, linewidth=2, zorder=2)
            ax.plot(group, [y] * len(group), marker, color=color, zorder=3, **seed_style)
            ax.plot([statistics.median(group)], [y], marker, color=color, zorder=4, **median_style)
    handles = [Line2D([], [], marker=markers[g % len(markers)], color=colors[g % len(colors)], label=label,
                      **(seed_style if kind == "seed" else median_style))
               for kind in ("seed", "median") for g, group in enumerate(groups)
               for label in [f"{group}: each seed" if kind == "seed" else f"{group}: median"]]
    ax.set_yticks([-i for i in range(len(checked))], [name for name, _ in checked])
    ax.set_ylim(-len(checked) + 0.5, 0.5)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(groups), fontsize=12)
    return fig


def _bare(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def _image(img) -> torch.Tensor:
    img = img.detach().cpu() if torch.is_tensor(img) else torch.as_tensor(img)
    if img.dtype == torch.uint8:
        img = img.float() / 255
    return img.squeeze(0) if img.dim() == 3 else img


def show_images(images: Sequence[torch.Tensor] | torch.Tensor, nrows: int, ncols: int,
                titles: Sequence[str] | None = None, scale: float = 2.2,
                title_colors: Sequence[str] | None = None) -> Figure:
    """Draw images on a grid of ``nrows`` x ``ncols`` (white = bright); returns the figure
    (d2l's helper). Used in notebook 07."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * 1.25),
                             squeeze=False, layout="constrained")
    axes = axes.flatten()
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(_image(image), cmap=IMAGE_CMAP, vmin=0, vmax=1)
        _bare(ax)
        if titles is not None:
            ax.set_title(titles[i], fontsize=12, color=title_colors[i] if title_colors else "black")
    for ax in axes[len(images):]:
        ax.axis("off")
    return fig


def show_fashion_mnist(images: Sequence[torch.Tensor] | torch.Tensor, labels: Sequence[int] | torch.Tensor,
                       ncols: int | None = None, scale: float = 2.2) -> Figure:
    """Draw images titled ``"name (label)"``, on rows of ``ncols``; returns the figure.
    Used in notebook 04."""
    labels = [int(i) for i in labels]
    titles = [f"{TEXT_LABELS[i]} ({i})" for i in labels]
    ncols = ncols or len(images)
    return show_images(images, math.ceil(len(images) / ncols), ncols, titles, scale)


def show_predictions(images: Sequence[torch.Tensor] | torch.Tensor, predictions: Sequence[int] | torch.Tensor,
                     labels: Sequence[int] | torch.Tensor, ncols: int = 5, scale: float = 2.4) -> Figure:
    """Images titled "predicted / true: ..."; wrong predictions in red with a red frame (drawn by
    :func:`~d2l_utils.training.predict_ch5`); returns the figure."""
    predictions, labels = [int(p) for p in predictions], [int(t) for t in labels]
    wrong = [p != t for p, t in zip(predictions, labels)]
    titles = [f"{TEXT_LABELS[p]}\n{'true: ' + TEXT_LABELS[t] if w else 'correct'}"
              for p, t, w in zip(predictions, labels, wrong)]
    colors = [MISTAKE_COLOR if w else "black" for w in wrong]
    fig = show_images(images, math.ceil(len(images) / ncols), ncols, titles, scale, colors)
    for ax, w in zip(fig.axes, wrong):
        if w:
            for spine in ax.spines.values():
                spine.set(color=MISTAKE_COLOR, linewidth=4)
    return fig


def plot_history(history: History, ax: Axes | None = None, label: str = "",
                 color: str | None = None) -> Figure:
    """Loss and accuracies per epoch on ``ax`` (a new figure's by default); returns the figure.
    Used in notebook 05."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    epochs = range(1, len(history) + 1)
    prefix = f"{label} " if label else ""
    # three line styles and three markers, so that the curves differ without their colour
    ax.plot(epochs, history.loss, "-", marker="o", color=color, label=prefix + "train loss")
    ax.plot(epochs, history.train_acc, "--", marker="s", fillstyle="none", color=color,
            label=prefix + "train acc")
    ax.plot(epochs, history.test_acc, ":", marker="^", color=color, label=prefix + "test acc")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss; accuracy (0 to 1)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax.figure


def plot_bars(names: Sequence[str], values: Sequence[float], title: str, ylabel: str, log: bool = False,
              colors: Sequence[str] | None = None) -> Figure:
    """A bar chart sized for a projector; returns the figure. Used in notebooks 03, 05 and 08."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5), layout="constrained")
    bars = ax.bar(names, values, color=colors or "tab:blue")
    if log:  # a logarithmic scale is hard to read off: each bar carries its value
        ax.set_yscale("log")
        ax.bar_label(bars, labels=[f"{v:,.0f}" if float(v).is_integer() else f"{v:.2g}" for v in values],
                     padding=2, fontsize=12)
        ax.margins(y=0.15)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def show_maps(maps: Sequence[torch.Tensor], titles: Sequence[str], ncols: int | None = None,
              scale: float = 3.2, signed: bool = False) -> Figure:
    """2-D tensors side by side with titles; ``signed=True`` draws them in the signed colour map on
    one shared, symmetric scale with a colour bar; returns the figure. Used in notebooks 01 and 04."""
    import matplotlib.pyplot as plt

    maps = [m.detach().squeeze().cpu().float() for m in maps]
    ncols = ncols or len(maps)
    nrows = -(-len(maps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * 1.1), squeeze=False,
                             layout="constrained")
    lim = max(float(m.abs().max()) for m in maps) or 1.0
    style = dict(cmap=SIGNED_CMAP, vmin=-lim, vmax=lim) if signed else dict(cmap=IMAGE_CMAP, vmin=0, vmax=1)
    for ax, m, title in zip(axes.flat, maps, titles):
        shown = ax.imshow(m, **style)
        ax.set_title(title)
        _bare(ax)
    for ax in list(axes.flat)[len(maps):]:
        ax.axis("off")
    if signed:
        fig.colorbar(shown, ax=axes, shrink=0.8)
    return fig


def plot_channels(images: torch.Tensor | None, maps: torch.Tensor, title: str,
                  row_titles: Sequence[str] | None = None, col_label: str = "channel",
                  ncols: int | None = None, scale: str = "layer") -> Figure:
    """One grid per layer: a row per image (the image first), a column per channel, in the signed
    colour map with a colour bar and channel numbers; returns the figure. Used in notebook 07.

    ``scale="layer"`` draws every map on one shared scale (the largest absolute value of the layer);
    ``scale="channel"`` gives each channel its own, ± its largest absolute value over the images,
    written under the channel's number, so that weak channels are not left near the middle colour.

    ``images``: (N, 1, H, W) inputs; ``maps``: (N, C, h, w) outputs of one layer. Pass
    ``images=None`` for maps without inputs (the kernels of a layer, one row). With ``ncols``, each
    image's channels wrap onto rows of ``ncols`` (every map titled with its channel number).
    """
    import matplotlib.pyplot as plt

    if scale not in ("layer", "channel"):
        raise ValueError(f"plot_channels got scale={scale!r}: pass scale='layer' (one colour scale for "
                         "all maps) or scale='channel' (one per channel).")
    maps = maps.detach().cpu().float()
    n, c = maps.shape[:2]
    extra = 0 if images is None else 1
    ncols = min(ncols or c, c)
    wraps = -(-c // ncols)  # rows per image
    fig, axes = plt.subplots(n * wraps, ncols + extra, squeeze=False, layout="constrained",
                             figsize=(1.5 * (ncols + extra) + 1.2, 1.6 * n * wraps + 0.8))
    if scale == "layer":
        lims = [float(maps.abs().max()) or 1.0] * c
    else:
        lims = [float(maps[:, ch].abs().max()) or 1.0 for ch in range(c)]
    for r in range(n):
        if images is not None:
            axes[r * wraps, 0].imshow(_image(images[r]), cmap=IMAGE_CMAP, vmin=0, vmax=1)
            axes[r * wraps, 0].set_title("input" if r == 0 else "", fontsize=11)
            if row_titles:
                axes[r * wraps, 0].set_ylabel(row_titles[r], fontsize=11)
            for w in range(1, wraps):
                axes[r * wraps + w, 0].axis("off")
        for ch in range(c):
            ax = axes[r * wraps + ch // ncols, ch % ncols + extra]
            shown = ax.imshow(maps[r, ch], cmap=SIGNED_CMAP, vmin=-lims[ch], vmax=lims[ch])
            if r == 0 or wraps > 1:
                ax.set_title(f"{col_label} {ch}" + (f"\n±{lims[ch]:.1f}" if scale == "channel" else ""),
                             fontsize=11)
        for ax in axes[r * wraps:(r + 1) * wraps].flat:
            _bare(ax)
    if scale == "layer":
        fig.colorbar(shown, ax=axes, shrink=0.9, label="value (red +, blue -)")
    else:  # one bar for every channel: the value as a fraction of the channel's largest
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        fig.colorbar(ScalarMappable(Normalize(-1, 1), SIGNED_CMAP), ax=axes, shrink=0.9,
                     label="value / the ± above its channel (red +, blue -)")
    fig.suptitle(title)
    return fig


def plot_flattened_neighbours(image: torch.Tensor, r: int, c: int) -> Figure:
    """Left: the image with the 3x3 neighbourhood of pixel (r, c) boxed. Right: where those nine
    pixels land in the flattened 784-vector; returns the figure. Used in notebook 01."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    img = _image(image)
    width = img.shape[1]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [1, 2.6]},
                                   layout="constrained")
    ax0.imshow(img, cmap=IMAGE_CMAP, vmin=0, vmax=1)
    ax0.add_patch(Rectangle((c - 1.5, r - 1.5), 3, 3, fill=False, edgecolor="red", linewidth=2.5))
    ax0.set_title(f"3x3 neighbourhood of pixel ({r}, {c})")
    _bare(ax0)
    start, stop = width * (r - 1) + c - 1, width * (r + 1) + c + 2
    flat = img.flatten()[start:stop]
    ax1.imshow(flat[None, :], cmap=IMAGE_CMAP, vmin=0, vmax=1, aspect="auto",
               extent=(start - 0.5, stop - 0.5, 0, 1))
    hits = [width * (r + dr) + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    for h in hits:
        ax1.add_patch(Rectangle((h - 0.5, 0), 1, 1, fill=False, edgecolor="red", linewidth=2.5))
    ax1.set_xticks([hits[1], hits[4], hits[7]])
    ax1.set_yticks([])
    ax1.set_xlabel("position in the flattened vector (index = 28 * row + column)")
    ax1.set_title("the same nine pixels after flattening: three groups, 28 apart")
    return fig


def plot_confusion_matrix(cm: torch.Tensor, ax: Axes | None = None, normalize: bool = True) -> Figure:
    """Heat map of a confusion matrix on ``ax`` (a new figure's by default), counts written in (rows:
    true class, normalised per row by default); returns the figure. Used in notebook 07."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7), layout="constrained")
    shown = cm.float() / cm.sum(dim=1, keepdim=True).clamp(min=1) if normalize else cm.float()
    ax.imshow(shown.numpy(), cmap="Blues")
    n = cm.shape[0]
    for t in range(n):
        for p in range(n):
            ax.text(p, t, f"{int(cm[t, p])}", ha="center", va="center", fontsize=9,
                    color="white" if shown[t, p] > 0.5 else "black")
    ax.set_xticks(range(n), TEXT_LABELS, rotation=45, ha="right")
    ax.set_yticks(range(n), TEXT_LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax.figure
