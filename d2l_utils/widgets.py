"""Interactive explorers (ipywidgets), each in the notebook that teaches its idea: the kernel
explorer in 01, the shape calculator in 03, the data set browser in 04, the prediction explorer in 07.

Every explorer shares one mechanism (:class:`_Explorer`): a state computed with plain Python/torch
(``.output_value``, ``.shapes``, ``.probabilities``, ...), changed with :meth:`set` or by moving the
controls (``.controls``, name -> widget, laid out in ``.widget``); and a matplotlib figure of that state
(:meth:`figure`), written as a PNG into an ``Output`` widget's state rather than printed in a ``with
output:`` block, so that re-running a notebook without a widget frontend (nbval) gives exactly the cell
outputs JupyterLab stores. The figure is redrawn on every change in a Jupyter kernel (``.live``; set it
to redraw elsewhere, e.g. in tests). Without a frontend (no ipywidgets or kernel, ``static=True``, or
``D2L_STATIC_WIDGETS=1``) an explorer shows one figure of its state. Display one as a cell's last value.
"""
from __future__ import annotations

import os

import torch
from torch import nn
from torch.nn import functional as F

from .data import TEXT_LABELS, Device, to_unit_range
from .diagnostics import predict_probabilities
from .plots import CORRECT_COLOR, IMAGE_CMAP, MISTAKE_COLOR, NOTEBOOK_DPI, NOTEBOOK_WIDTH, SIGNED_CMAP, _bare

__all__ = [
    "ConvExplorer",
    "DatasetBrowser",
    "PredictionExplorer",
    "ShapeCalculator",
    "conv_output_size",
]

# Legible on a projector: every text of an explorer's figure is at least FONT_PT (14 pt: 14.6 CSS pt at
# 100 dpi), every figure at most the notebook's width (so it is not shrunk) and drawn at the notebook's
# 100 dpi, whatever matplotlib's settings (tests/test_widgets.py measures it on the drawn figures).
FONT_PT, TITLE_PT = 14, 15
WIDGET_FONT = "19px"  # the HTML text beside the controls: 14 pt


def widgets_available() -> bool:
    """True when ipywidgets is importable and we run in a Jupyter kernel (and no one asked for static)."""
    if os.environ.get("D2L_STATIC_WIDGETS", "") not in ("", "0"):
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def _new_figure(width: float, height: float):
    from matplotlib.figure import Figure  # not pyplot: no global figure list, no double display

    return Figure(figsize=(min(width, NOTEBOOK_WIDTH), height), dpi=NOTEBOOK_DPI, layout="constrained")


def _ticks(ax):
    """Tick labels at FONT_PT (matplotlib's default is 10 pt)."""
    ax.tick_params(labelsize=FONT_PT)


def png_output(fig, dpi: int = NOTEBOOK_DPI) -> dict:
    """A figure as a notebook ``display_data`` output holding a PNG (for ``Output.outputs``)."""
    import base64
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                     "text/plain": f"<Figure size {fig.get_figwidth():g}x{fig.get_figheight():g} in>"}}


def _np(x):
    return x.detach().cpu().numpy() if torch.is_tensor(x) else x


def _text_color(rgba) -> str:
    """"white" or "black", whichever contrasts more with a cell of colour ``rgba`` (WCAG luminance)."""
    def linear(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if (luminance + 0.05) ** 2 < 1.05 * 0.05 else "black"


class _Explorer:
    """State + controls + PNG rendering; subclasses define set, control_values and figure."""

    def __init__(self, static: bool | None = None):
        available = widgets_available()
        self.static = (not available) if static is None else bool(static)
        self.live = available and not self.static
        self.controls: dict = {}
        self.widget = None
        self._out = None
        self._syncing = False

    def _setup_widgets(self, layout_rows):
        if self.static:
            return
        import ipywidgets as w

        self._out = w.Output()
        self.widget = w.VBox([*layout_rows, self._out])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._render()

    # The one control/state mechanism: a subclass says what its controls show (control_values)
    # and how far its sliders reach (control_limits); moving a control calls set(**values).

    def control_limits(self) -> dict:
        """``{slider name: largest value}`` for sliders whose range depends on the state."""
        return {}

    def _on_change(self, _change):
        if self._syncing:
            return
        self.set(**{name: c.value for name, c in self.controls.items()})
        self._render()

    def _to_controls(self):
        """Write the state into the controls (after set(), whether called in code or by a control)."""
        if self.static or self._syncing or not self.controls:
            return
        self._syncing = True
        try:
            for name, largest in self.control_limits().items():
                self.controls[name].max = largest
            for name, value in self.control_values().items():
                self.controls[name].value = value
        finally:
            self._syncing = False

    def _render(self):
        if self.static or self._out is None or not self.live:
            return
        self._out.outputs = (png_output(self.figure()),)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.figure() if self.static else self.widget)


# --------------------------------------------------------------------------- data set browser


class DatasetBrowser(_Explorer):
    """Browse a data set one class at a time: a class dropdown and an index slider within the class.
    Used in notebook 04."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, class_index: int = 0, index: int = 0,
                 static: bool | None = None) -> None:
        super().__init__(static)
        self.images, self.labels = images, torch.as_tensor(labels)
        self.class_index, self.index = 0, 0
        self.set(class_index=class_index, index=index)
        if not self.static:
            import ipywidgets as w

            self.controls = {
                "class_index": w.Dropdown(options=[(f"{n} ({i})", i) for i, n in enumerate(TEXT_LABELS)],
                                          value=self.class_index, description="class"),
                "index": w.IntSlider(value=self.index, min=0, max=self.count - 1, description="index",
                                     continuous_update=False),
            }
            self._setup_widgets([w.HBox([self.controls["class_index"], self.controls["index"]])])

    @property
    def members(self) -> torch.Tensor:
        """Positions in the data set of the images of the chosen class."""
        return torch.nonzero(self.labels == self.class_index).flatten()

    @property
    def count(self) -> int:
        return len(self.members)

    def set(self, class_index: int | None = None, index: int | None = None):
        if class_index is not None:
            if not 0 <= int(class_index) < len(TEXT_LABELS):
                raise ValueError(f"There is no class {class_index}: pass a class_index from 0 to "
                                 f"{len(TEXT_LABELS) - 1} (TEXT_LABELS names them).")
            self.class_index = int(class_index)
        if index is not None:
            self.index = int(index)
        self.index = min(max(self.index, 0), max(self.count - 1, 0))
        self._to_controls()
        return self

    def control_values(self) -> dict:
        return {"class_index": self.class_index, "index": self.index}

    def control_limits(self) -> dict:
        return {"index": max(self.count - 1, 0)}

    @property
    def dataset_index(self) -> int:
        return int(self.members[self.index])

    @property
    def image(self) -> torch.Tensor:
        return to_unit_range(self.images[self.dataset_index])

    @property
    def name(self) -> str:
        return TEXT_LABELS[int(self.labels[self.dataset_index])]

    @property
    def title(self) -> str:
        return (f"{self.name} (label {self.class_index}), image {self.index + 1} of {self.count} "
                f"in the class, #{self.dataset_index} in the data set")

    def figure(self):
        fig = _new_figure(4.2, 4.4)
        ax = fig.add_subplot()
        ax.imshow(_np(self.image.squeeze()), cmap=IMAGE_CMAP, vmin=0, vmax=1)
        _bare(ax)
        ax.set_title(f"{self.name} (label {self.class_index})\n#{self.dataset_index}: "
                     f"{self.index + 1} of {self.count}", fontsize=TITLE_PT)
        return fig


# --------------------------------------------------------------------------- convolution explorer

KERNELS = {
    "vertical edges": torch.tensor([[1.0, 0.0, -1.0]] * 3),
    "horizontal edges": torch.tensor([[1.0, 0.0, -1.0]] * 3).T.contiguous(),
    "blur (3x3 mean)": torch.full((3, 3), 1 / 9),
    "sharpen": torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
}


class ConvExplorer(_Explorer):
    """Slide one kernel over one image (cross-correlation, as ``nn.Conv2d`` computes it): the input
    with the window, the input patch, the kernel, their elementwise product and the output value (its
    sum), next to the whole feature map with the current cell highlighted. Used in notebook 01."""

    def __init__(self, image: torch.Tensor, kernel: str | torch.Tensor = "vertical edges", row: int = 0,
                 col: int = 0, padding: int = 0, stride: int = 1, static: bool | None = None) -> None:
        super().__init__(static)
        image = torch.as_tensor(image, dtype=torch.float32)
        self.image = image.squeeze()
        if self.image.dim() != 2:
            raise ValueError(f"ConvExplorer got an image of shape {tuple(image.shape)}: pass one grayscale "
                             "image, of shape (H, W) or (1, H, W).")
        self.padding, self.stride = int(padding), int(stride)
        self.kernels = dict(KERNELS)
        if not isinstance(kernel, str):
            self.kernels = {"custom": torch.as_tensor(kernel, dtype=torch.float32), **self.kernels}
            kernel = "custom"
        self.kernel_name, self.row, self.col = kernel, 0, 0
        self.set(kernel=kernel, row=row, col=col)
        if not self.static:
            import ipywidgets as w

            self.controls = {
                "row": w.IntSlider(value=self.row, min=0, max=self.out_shape[0] - 1, description="row"),
                "col": w.IntSlider(value=self.col, min=0, max=self.out_shape[1] - 1, description="column"),
                "kernel": w.Dropdown(options=list(self.kernels), value=self.kernel_name,
                                     description="kernel"),
            }
            self._setup_widgets([w.HBox([self.controls["row"], self.controls["col"]]),
                                 self.controls["kernel"]])

    @property
    def kernel(self) -> torch.Tensor:
        return self.kernels[self.kernel_name]

    @property
    def padded(self) -> torch.Tensor:
        return F.pad(self.image, [self.padding] * 4)

    @property
    def out_shape(self) -> tuple[int, int]:
        kh, kw = self.kernel.shape
        h, w = self.image.shape
        return (conv_output_size(h, kh, self.padding, self.stride),
                conv_output_size(w, kw, self.padding, self.stride))

    def set(self, kernel: str | None = None, row: int | None = None, col: int | None = None):
        if kernel is not None:
            if kernel not in self.kernels:
                raise ValueError(f"There is no kernel called {kernel!r}: choose one of "
                                 f"{', '.join(map(repr, self.kernels))}, or pass a tensor.")
            self.kernel_name = kernel
        oh, ow = self.out_shape
        if oh < 1 or ow < 1:
            raise ValueError(f"The kernel {tuple(self.kernel.shape)} does not fit the image "
                             f"{tuple(self.image.shape)}: use a smaller kernel or more padding.")
        self.row = min(max(int(self.row if row is None else row), 0), oh - 1)
        self.col = min(max(int(self.col if col is None else col), 0), ow - 1)
        self._to_controls()
        return self

    def control_values(self) -> dict:
        return {"row": self.row, "col": self.col, "kernel": self.kernel_name}

    def control_limits(self) -> dict:
        return {"row": self.out_shape[0] - 1, "col": self.out_shape[1] - 1}

    @property
    def window(self) -> tuple[int, int]:
        """Top-left corner of the window in the (padded) input."""
        return self.row * self.stride, self.col * self.stride

    @property
    def patch(self) -> torch.Tensor:
        r, c = self.window
        kh, kw = self.kernel.shape
        return self.padded[r:r + kh, c:c + kw]

    @property
    def product(self) -> torch.Tensor:
        return self.patch * self.kernel

    @property
    def output_value(self) -> float:
        return float(self.product.sum())

    @property
    def feature_map(self) -> torch.Tensor:
        return F.conv2d(self.image[None, None], self.kernel[None, None], padding=self.padding,
                        stride=self.stride)[0, 0]

    def figure(self):
        from matplotlib.patches import Rectangle

        fig = _new_figure(NOTEBOOK_WIDTH, 3.6)
        axes = fig.subplots(1, 5, width_ratios=[1.25, 1, 1, 1, 1.25])
        kh, kw = self.kernel.shape
        r, c = self.window
        lo, hi = min(float(self.padded.min()), 0.0), max(float(self.padded.max()), 1.0)  # at least 0..1
        axes[0].imshow(_np(self.padded), cmap=IMAGE_CMAP, vmin=lo, vmax=hi)
        axes[0].add_patch(Rectangle((c - 0.5, r - 0.5), kw, kh, fill=False, ec="red", lw=2))
        axes[0].set_title(f"input{' (padded)' if self.padding else ''}\nwindow ({r}, {c})", fontsize=FONT_PT)
        small = max(kh, kw) <= 3  # values written at FONT_PT fit cells of up to 3x3
        for ax, data, title, signed in ((axes[1], self.patch, "input\npatch", False),
                                        (axes[2], self.kernel, f"kernel:\n{self.kernel_name}", True),
                                        (axes[3], self.product, "patch × kernel\n(elementwise)", True)):
            lim = float(data.abs().max()) or 1.0
            shown = ax.imshow(_np(data), **(dict(cmap=SIGNED_CMAP, vmin=-lim, vmax=lim) if signed
                                           else dict(cmap=IMAGE_CMAP, vmin=lo, vmax=hi)))
            ax.set_title(title, fontsize=FONT_PT)
            if small:  # each value in black or white, whichever is readable on its cell
                for (i, j), v in ((ij, float(data[ij])) for ij in
                                  ((i, j) for i in range(data.shape[0]) for j in range(data.shape[1]))):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=FONT_PT,
                            color=_text_color(shown.cmap(shown.norm(v))))
        axes[3].set_xlabel(f"sum = {self.output_value:.3f}", fontsize=TITLE_PT)
        fmap = self.feature_map
        lim = float(fmap.abs().max()) or 1.0
        axes[4].imshow(_np(fmap), cmap=SIGNED_CMAP, vmin=-lim, vmax=lim)
        axes[4].add_patch(Rectangle((self.col - 0.5, self.row - 0.5), 1, 1, fill=False, ec="black", lw=2))
        axes[4].set_title(f"feature map {fmap.shape[0]}×{fmap.shape[1]}", fontsize=FONT_PT)
        axes[4].set_xlabel(f"({self.row}, {self.col}) = {self.output_value:.3f}", fontsize=FONT_PT)
        for ax in axes:
            _bare(ax)
        return fig


# --------------------------------------------------------------------------- shape calculator


def conv_output_size(n: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """floor((n + 2p - k) / s) + 1: the size after a convolution or pooling window. Used in notebook 03."""
    return (n + 2 * padding - kernel) // stride + 1


class ShapeCalculator(_Explorer):
    """Output shape of each LeNet layer for chosen kernel sizes, paddings, strides and pooling window:
    ``.shapes`` lists ``(layer, shape)`` for the layers that can be computed, ``.error`` explains (in
    words) the first impossible one, or is ``None`` when the whole network works. Used in notebook 03."""

    FIELDS = {"k1": ("conv1 kernel", 1, 9), "p1": ("conv1 padding", 0, 4), "s1": ("conv1 stride", 1, 3),
              "k2": ("conv2 kernel", 1, 9), "p2": ("conv2 padding", 0, 4), "s2": ("conv2 stride", 1, 3),
              "pool": ("pool window", 1, 4)}
    DEFAULTS = {"k1": 5, "p1": 2, "s1": 1, "k2": 5, "p2": 0, "s2": 1, "pool": 2}
    LINEAR_IN = 16 * 5 * 5  # what LeNet's first Linear layer expects

    def __init__(self, size: int = 28, static: bool | None = None, **values: int) -> None:
        super().__init__(static)
        self.size = int(size)
        self.values = dict(self.DEFAULTS)
        self.set(**values)
        if not self.static:
            import ipywidgets as w

            self.controls = {name: w.IntSlider(value=self.values[name], min=lo, max=hi, description=label,
                                               style={"description_width": "7em"})
                             for name, (label, lo, hi) in self.FIELDS.items()}
            self._text = w.HTML(style={"font_size": WIDGET_FONT})
            c = self.controls
            self._setup_widgets([w.HBox([w.VBox([c["k1"], c["p1"], c["s1"]]),
                                         w.VBox([c["k2"], c["p2"], c["s2"]]), c["pool"]]), self._text])

    def set(self, **values):
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"ShapeCalculator has no setting {', '.join(sorted(unknown))}: use "
                            f"{', '.join(self.FIELDS)}.")
        for name, value in values.items():
            self.values[name] = int(value)
        self._compute()
        self._to_controls()
        return self

    def control_values(self) -> dict:
        return dict(self.values)

    def _compute(self):
        v, self.shapes, self.error = self.values, [], None
        n, channels = self.size, 1
        self.shapes.append(("input", (1, 1, n, n)))
        pool = f"Pool2d({v['pool']}, stride={v['pool']})"
        steps = [(f"Conv2d(1, 6, k={v['k1']}, p={v['p1']}, s={v['s1']})", 6, v["k1"], v["p1"], v["s1"]),
                 (pool, None, v["pool"], 0, v["pool"]),
                 (f"Conv2d(6, 16, k={v['k2']}, p={v['p2']}, s={v['s2']})", 16, v["k2"], v["p2"], v["s2"]),
                 (pool, None, v["pool"], 0, v["pool"])]
        for name, out_channels, k, p, s in steps:
            if k < 1 or s < 1 or p < 0:
                self.error = f"{name}: kernel and stride must be at least 1 and padding at least 0."
                return
            out = conv_output_size(n, k, p, s)
            if out < 1:
                self.error = (f"{name}: a {k}x{k} window does not fit a {n}x{n} input "
                              f"{'padded by ' + str(p) + ' ' if p else ''}(output size "
                              f"floor(({n} + 2*{p} - {k}) / {s}) + 1 = {out}). "
                              "Use a smaller kernel, more padding or a larger input.")
                return
            n, channels = out, out_channels or channels
            self.shapes.append((name, (1, channels, n, n)))
        flat = channels * n * n
        self.shapes.append(("Flatten", (1, flat)))
        if flat != self.LINEAR_IN:
            self.error = (f"Flatten gives {channels}x{n}x{n} = {flat} values, but LeNet's first Linear "
                          f"layer expects 16x5x5 = {self.LINEAR_IN}. Either change the settings so that "
                          f"the last pooling outputs 5x5, or build that layer as nn.Linear({flat}, 120).")
            return
        self.shapes += [("Linear(400, 120)", (1, 120)), ("Linear(120, 84)", (1, 84)),
                        ("Linear(84, 10)", (1, 10))]

    @property
    def text(self) -> str:
        lines = [f"{name:<30} {list(shape)}" for name, shape in self.shapes]
        if self.error:
            lines.append(f"problem: {self.error}")
        return "\n".join(lines)

    def _render(self):
        if self.static:
            return
        import html

        rows = "".join(f"<tr><td>{html.escape(n)}</td><td><code>{list(s)}</code></td></tr>"
                       for n, s in self.shapes)
        error = (f"<p style='color:#b00020'><b>Problem:</b> {html.escape(self.error)}</p>"
                 if self.error else "<p style='color:#006400'>All layers fit together.</p>")
        self._text.value = f"<table>{rows}</table>{error}"
        super()._render()

    def figure(self):
        import textwrap

        problem = textwrap.wrap(self.error, 62) if self.error else []
        fig = _new_figure(NOTEBOOK_WIDTH, 4.4 + 0.3 * len(problem))
        ax = fig.add_subplot()
        spatial = [(n, s[2]) for n, s in self.shapes if len(s) == 4]
        names = [f"{i}: {n}" for i, (n, _) in enumerate(spatial)]
        bars = ax.barh(names[::-1], [s for _, s in spatial][::-1], color="tab:blue")
        for bar, (_, shape) in zip(bars, [x for x in self.shapes if len(x[1]) == 4][::-1]):
            ax.text(bar.get_width() + 0.3, bar.get_y() + bar.get_height() / 2,
                    "×".join(map(str, shape[1:])), va="center", fontsize=FONT_PT)
        ax.set_xlabel("height = width of the feature maps", fontsize=FONT_PT)
        ax.set_xlim(0, max(s for _, s in spatial) * 1.35)
        _ticks(ax)
        v = self.values
        title = (f"conv1 k={v['k1']} p={v['p1']} s={v['s1']}, conv2 k={v['k2']} p={v['p2']} "
                 f"s={v['s2']}, pool {v['pool']}")
        if self.error:
            ax.set_title(title + "\nproblem: " + "\n".join(problem), fontsize=FONT_PT, color="#b00020")
        else:
            ax.set_title(title + f"\nFlatten: {self.shapes[-4][1][1]} values -> Linear(400, 120) fits",
                         fontsize=FONT_PT)
        return fig


# --------------------------------------------------------------------------- prediction explorer


class PredictionExplorer(_Explorer):
    """Pick a test image: the network's probabilities for the ten classes, predicted vs. true name; the
    dropdown chooses which images the slider walks through (all, mistakes or correct). Used in notebook 07."""

    CHOICES = ("all images", "mistakes only", "correct only")

    def __init__(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                 device: Device | None = None, *, index: int = 0, show: str = "all images",
                 static: bool | None = None) -> None:
        super().__init__(static)
        self.images = torch.as_tensor(images)
        self.labels = torch.as_tensor(labels)
        self.net = net
        self.all_probabilities = predict_probabilities(net, self.images, device)
        self.predictions = self.all_probabilities.argmax(dim=1)
        self.show, self.index = "all images", 0
        self.set(show=show, index=index)
        if not self.static:
            import ipywidgets as w

            self.controls = {
                "show": w.Dropdown(options=list(self.CHOICES), value=self.show, description="show"),
                "index": w.IntSlider(value=self.index, min=0, max=max(len(self.members) - 1, 0),
                                     description="image", continuous_update=False),
            }
            self._setup_widgets([w.HBox([self.controls["show"], self.controls["index"]])])

    @property
    def members(self) -> torch.Tensor:
        correct = self.predictions == self.labels
        if self.show == "mistakes only":
            return torch.nonzero(~correct).flatten()
        if self.show == "correct only":
            return torch.nonzero(correct).flatten()
        return torch.arange(len(self.labels))

    def set(self, show: str | None = None, index: int | None = None):
        if show is not None:
            if show not in self.CHOICES:
                raise ValueError(f"There is no choice {show!r}: pass show= one of "
                                 f"{', '.join(map(repr, self.CHOICES))}.")
            self.show = show
        if index is not None:
            self.index = int(index)
        self.index = min(max(self.index, 0), max(len(self.members) - 1, 0))
        self._to_controls()
        return self

    def control_values(self) -> dict:
        return {"show": self.show, "index": self.index}

    def control_limits(self) -> dict:
        return {"index": max(len(self.members) - 1, 0)}

    @property
    def dataset_index(self) -> int:
        members = self.members
        if not len(members):
            raise LookupError(f"No image is left to show with {self.show!r}: choose another show=.")
        return int(members[self.index])

    @property
    def probabilities(self) -> torch.Tensor:
        return self.all_probabilities[self.dataset_index]

    @property
    def prediction(self) -> str:
        return TEXT_LABELS[int(self.predictions[self.dataset_index])]

    @property
    def true_name(self) -> str:
        return TEXT_LABELS[int(self.labels[self.dataset_index])]

    @property
    def correct(self) -> bool:
        return self.prediction == self.true_name

    def figure(self):
        fig = _new_figure(NOTEBOOK_WIDTH, 4.6)
        if not len(self.members):
            ax = fig.add_subplot()
            ax.text(0.5, 0.5, f"no image: {self.show}", ha="center", va="center", fontsize=TITLE_PT)
            ax.axis("off")
            return fig
        ax_img, ax_bar = fig.subplots(1, 2, width_ratios=[1, 2.2])
        ax_img.imshow(_np(to_unit_range(self.images[self.dataset_index]).squeeze()), cmap=IMAGE_CMAP,
                      vmin=0, vmax=1)
        _bare(ax_img)
        ax_img.set_title(f"test image #{self.dataset_index}\ntrue: {self.true_name}", fontsize=FONT_PT)
        probs = self.probabilities
        pred, true = int(self.predictions[self.dataset_index]), int(self.labels[self.dataset_index])
        colors = ["tab:gray"] * len(TEXT_LABELS)
        colors[true] = CORRECT_COLOR
        if pred != true:
            colors[pred] = MISTAKE_COLOR
        ax_bar.barh(range(len(TEXT_LABELS)), probs.numpy(), color=colors)
        # the bars are named in words too, not by colour alone, right of the bar's end (the axis runs on
        # past 1, without ticks, to leave them room)
        marks = {true: "true = predicted"} if pred == true else {true: "true", pred: "predicted"}
        for row, mark in marks.items():
            ax_bar.text(float(probs[row]) + 0.02, row, f"{mark} ({float(probs[row]):.0%})", va="center",
                        fontsize=FONT_PT)
        ax_bar.set_yticks(range(len(TEXT_LABELS)), TEXT_LABELS)
        ax_bar.invert_yaxis()
        ax_bar.set_xlim(0, 1.75)
        ax_bar.set_xticks([0, 0.5, 1])
        ax_bar.spines[["top", "right"]].set_visible(False)
        ax_bar.spines["bottom"].set_bounds(0, 1)
        ax_bar.set_xlabel("probability (softmax of the network's outputs)", fontsize=FONT_PT)
        _ticks(ax_bar)
        verdict = "correct" if pred == true else "wrong"
        ax_bar.set_title(f"predicted: {self.prediction} ({float(probs[pred]):.1%}), {verdict}",
                         fontsize=TITLE_PT, color=CORRECT_COLOR if pred == true else MISTAKE_COLOR)
        return fig
