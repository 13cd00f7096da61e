"""d2l_utils.plots: every figure helper called once and its figure checked, the table printer, and the
display of a number per seed with its spread (print_spread, plot_spread)."""

import re

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.colors import to_rgba

from d2l_utils import (
    IMAGE_CMAP,
    RECIPE_COLORS,
    SIGNED_CMAP,
    TEXT_LABELS,
    History,
    plot_bars,
    plot_channels,
    plot_confusion_matrix,
    plot_flattened_neighbours,
    plot_history,
    plot_spread,
    print_spread,
    print_table,
    projector_style,
    show_fashion_mnist,
    show_images,
    show_maps,
)
from d2l_utils.plots import CORRECT_COLOR, MISTAKE_COLOR, show_predictions, table
from d2l_utils.recipes import RECIPES


@pytest.fixture(autouse=True)
def clean_figures():
    """Each test starts with no figure and matplotlib's settings, and leaves them so."""
    plt.close("all")
    with matplotlib.rc_context():
        yield
    plt.close("all")


def images(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8)


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def same_color(a, b):
    return to_rgba(a) == to_rgba(b)


# --- conventions ------------------------------------------------------------------------------------------


def luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_images_are_drawn_in_grey_from_black_to_white():
    cmap = matplotlib.colormaps[IMAGE_CMAP]
    steps = [cmap(x / 10) for x in range(11)]
    assert all(r == g == b for r, g, b, _ in steps), "an image colour map with hues"
    assert [luminance(c) for c in steps] == sorted(luminance(c) for c in steps)  # brighter with the value
    assert luminance(steps[0]) < 0.05 and luminance(steps[-1]) > 0.95


def test_signed_values_diverge_from_a_light_middle_to_two_hues():
    cmap = matplotlib.colormaps[SIGNED_CMAP]
    low, middle, high = cmap(0.0), cmap(0.5), cmap(1.0)
    assert luminance(middle) > luminance(low) + 0.3 and luminance(middle) > luminance(high) + 0.3
    assert low[2] > low[0] and high[0] > high[2]  # negative bluish, positive reddish: signs differ in hue


def test_each_recipe_has_its_own_colour():
    assert set(RECIPE_COLORS) == set(RECIPES)
    colours = [to_rgba(c) for c in RECIPE_COLORS.values()]
    assert len(set(colours)) == len(colours)


def test_projector_style_enlarges_the_text_for_a_projector():
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        defaults = {k: matplotlib.rcParams[k] for k in ("font.size", "axes.titlesize")}
        projector_style()
        text = matplotlib.font_manager.FontProperties(size=plt.rcParams["font.size"]).get_size_in_points()
        title = matplotlib.font_manager.FontProperties(
            size=plt.rcParams["axes.titlesize"]).get_size_in_points()
        assert text >= 12 and title >= text, (text, title)  # the house rule: titles >= 11 pt
        assert text > defaults["font.size"]
        assert plt.rcParams["image.cmap"] == IMAGE_CMAP  # images default to the grey map


# --- image grids ------------------------------------------------------------------------------------------


def test_show_images_grid():
    imgs = images(5)
    axes = show_images(imgs, 2, 3, titles=[f"t{i}" for i in range(5)]).axes
    fig = axes[0].figure
    assert len(axes) == 6 and len(fig.axes) == 6 and len(image_axes(fig)) == 5
    assert not axes[5].axison  # the spare panel is switched off
    assert [ax.get_title() for ax in axes[:5]] == ["t0", "t1", "t2", "t3", "t4"]
    shown = axes[0].images[0]
    assert shown.get_cmap().name == IMAGE_CMAP and shown.get_clim() == (0, 1)
    assert torch.allclose(torch.as_tensor(shown.get_array()), imgs[0, 0].float() / 255)  # bytes scaled
    assert list(axes[0].get_xticks()) == [] and list(axes[0].get_yticks()) == []


def test_show_images_accepts_float_images_without_titles():
    floats = torch.rand(3, 28, 28)
    axes = show_images(floats, 1, 3).axes
    assert len(axes) == 3 and all(ax.get_title() == "" for ax in axes)
    assert torch.allclose(torch.as_tensor(axes[2].images[0].get_array()), floats[2])


def test_show_fashion_mnist_titles():
    axes = show_fashion_mnist(images(4), torch.tensor([0, 3, 9, 6]), ncols=2).axes
    assert len(axes) == 4 and len(axes[0].figure.axes) == 4  # 2 rows of 2
    assert [ax.get_title() for ax in axes] == ["T-shirt/top (0)", "Dress (3)", "Ankle boot (9)", "Shirt (6)"]
    assert len(show_fashion_mnist(images(3), [1, 2, 3]).axes) == 3  # one row by default


def test_show_predictions_marks_the_mistakes():
    preds, labels = [0, 1, 2, 3, 4, 5], [0, 7, 2, 3, 8, 5]  # mistakes at 1 and 4
    axes = show_predictions(images(6), preds, labels, ncols=3).axes
    assert len(axes) == 6 and len(image_axes(axes[0].figure)) == 6
    for i, ax in enumerate(axes):
        wrong = i in (1, 4)
        title = ax.title
        assert title.get_text().startswith(TEXT_LABELS[preds[i]])
        assert ("true: " + TEXT_LABELS[labels[i]] in title.get_text()) == wrong
        assert same_color(title.get_color(), MISTAKE_COLOR if wrong else "black")
        spines = list(ax.spines.values())
        assert all(same_color(s.get_edgecolor(), MISTAKE_COLOR) for s in spines) == wrong
    assert MISTAKE_COLOR != CORRECT_COLOR


# --- curves and bars --------------------------------------------------------------------------------------


def history():
    return History(loss=[2.0, 1.0, 0.5], train_acc=[0.3, 0.6, 0.8], test_acc=[0.3, 0.5, 0.7],
                   sec=[1.0, 1.0, 1.0])


def test_plot_history_three_curves():
    ax = plot_history(history()).axes[0]
    assert len(ax.figure.axes) == 1 and len(ax.lines) == 3
    assert [line.get_label() for line in ax.lines] == ["train loss", "train acc", "test acc"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3] and list(ax.lines[2].get_ydata()) == [0.3, 0.5, 0.7]
    assert ax.get_xlabel() == "epoch" and ax.get_legend() is not None


def test_plot_history_uses_the_recipe_colours():
    fig, ax = plt.subplots()
    for model in ("lenet", "lenet-modern"):
        assert plot_history(history(), ax, label=model, color=RECIPE_COLORS[model]) is fig
    assert len(fig.axes) == 1 and len(ax.lines) == 6
    for line in ax.lines:
        model = line.get_label().split()[0]
        assert same_color(line.get_color(), RECIPE_COLORS[model]), line.get_label()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "lenet train loss" in labels and "lenet-modern test acc" in labels


def test_plot_bars():
    fig = plot_bars(["a", "b", "c"], [1.0, 10.0, 100.0], "speed", "seconds", log=True,
                    colors=[RECIPE_COLORS["lenet"]] * 3)
    (ax,) = fig.axes
    assert ax.get_title() == "speed" and ax.get_ylabel() == "seconds" and ax.get_yscale() == "log"
    bars = ax.patches
    assert len(bars) == 3 and [b.get_height() for b in bars] == [1.0, 10.0, 100.0]
    assert all(same_color(b.get_facecolor(), RECIPE_COLORS["lenet"]) for b in bars)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert plot_bars(["x"], [2.0], "t", "y").axes[0].get_yscale() == "linear"


# --- maps, channels, neighbours, confusions ---------------------------------------------------------------


def test_show_maps_signed_shares_one_scale_with_a_colour_bar():
    maps = [torch.tensor([[1.0, -2.0], [0.5, 0.0]]), torch.tensor([[3.0, 0.0], [0.0, -1.0]]),
            torch.zeros(2, 2)]
    fig = show_maps(maps, ["a", "b", "c"], ncols=2, signed=True)
    panels = image_axes(fig)
    assert len(panels) == 3 and len(colorbars(fig)) == 1
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    for ax in panels:
        shown = ax.images[0]
        assert shown.get_cmap().name == SIGNED_CMAP and shown.get_clim() == (-3.0, 3.0)  # symmetric
    spare = [ax for ax in fig.axes if not ax.images and ax.get_label() != "<colorbar>"]
    assert len(spare) == 1 and not spare[0].axison


def test_show_maps_images_have_no_colour_bar():
    fig = show_maps([torch.rand(1, 28, 28), torch.rand(28, 28)], ["x", "y"])
    assert len(image_axes(fig)) == 2 and colorbars(fig) == []
    assert all(ax.images[0].get_cmap().name == IMAGE_CMAP and ax.images[0].get_clim() == (0, 1)
               for ax in image_axes(fig))


def test_plot_channels_rows_of_images_and_channels():
    maps = torch.randn(2, 6, 14, 14)
    fig = plot_channels(images(2), maps, "conv1", row_titles=["Coat", "Bag"])
    assert fig._suptitle.get_text() == "conv1"
    panels = image_axes(fig)
    assert len(panels) == 2 * (6 + 1) and len(colorbars(fig)) == 1
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert grid[0].get_title() == "input" and grid[0].get_ylabel() == "Coat"
    assert [ax.get_title() for ax in grid[1:7]] == [f"channel {c}" for c in range(6)]
    assert grid[7].get_ylabel() == "Bag"
    lim = float(maps.abs().max())
    assert grid[0].images[0].get_cmap().name == IMAGE_CMAP
    for ax in grid[1:7] + grid[8:]:
        assert ax.images[0].get_cmap().name == SIGNED_CMAP
        assert ax.images[0].get_clim() == pytest.approx((-lim, lim))  # one shared scale
    assert "red +" in colorbars(fig)[0].get_ylabel()


def test_plot_channels_without_images():
    fig = plot_channels(None, torch.randn(1, 6, 5, 5), "kernels", col_label="kernel")
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(grid) == 6 and len(colorbars(fig)) == 1
    assert grid[0].get_title() == "kernel 0"


def test_plot_flattened_neighbours():
    img = images(1)[0]
    r, c = 10, 12
    fig = plot_flattened_neighbours(img, r, c)
    ax0, ax1 = fig.axes
    assert ax0.get_title() == "3x3 neighbourhood of pixel (10, 12)"
    assert len(ax0.patches) == 1 and len(ax1.patches) == 9  # one box, then nine pixels
    starts = sorted(p.get_x() + 0.5 for p in ax1.patches)
    assert starts == sorted(28 * (r + dr) + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1))
    assert list(ax1.get_xticks()) == [28 * 9 + 12, 28 * 10 + 12, 28 * 11 + 12]
    shown = torch.as_tensor(ax1.images[0].get_array()).flatten()
    start = 28 * 9 + 11
    assert torch.allclose(shown, img.flatten()[start:start + 2 * 28 + 3].float() / 255)


def test_plot_confusion_matrix():
    cm = torch.zeros(10, 10, dtype=torch.long)
    cm[0, 0], cm[0, 6], cm[6, 6], cm[6, 0] = 90, 10, 70, 30
    ax = plot_confusion_matrix(cm).axes[0]
    assert len(ax.figure.axes) == 1 and len(ax.texts) == 100
    assert [t.get_text() for t in ax.get_xticklabels()] == list(TEXT_LABELS)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(TEXT_LABELS)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    assert texts[(0, 6)].get_text() == "10" and texts[(6, 0)].get_text() == "30"
    assert same_color(texts[(0, 0)].get_color(), "white") and same_color(texts[(0, 6)].get_color(), "black")
    shown = torch.as_tensor(ax.images[0].get_array())
    assert shown[0, 0] == pytest.approx(0.9) and shown[6, 0] == pytest.approx(0.3)  # normalised per row
    raw = plot_confusion_matrix(cm, normalize=False).axes[0]
    assert float(torch.as_tensor(raw.images[0].get_array())[0, 0]) == 90


# --- tables -----------------------------------------------------------------------------------------------


def test_table_alignment_and_thousands_commas():
    text = table([("conv1", 156, 0.25), ("fc1", 48120, True), ("total", 61706, "")],
                 ["layer", "parameters", "note"])
    lines = text.splitlines()
    assert lines == [
        "layer  parameters  note",
        "-----  ----------  ----",
        "conv1  156         0.25",
        "fc1    48,120      True",  # booleans are not numbers here
        "total  61,706",  # no trailing spaces
    ]
    assert all(line == line.rstrip() for line in lines)


def test_print_table(capsys):
    print_table([("a", 1234567)], ["name", "n"])
    assert capsys.readouterr().out == "name  n\n----  ---------\na     1,234,567\n"


def test_plot_channels_wraps_the_channels_onto_rows_of_ncols():
    maps = torch.randn(2, 16, 10, 10)
    fig = plot_channels(images(2), maps, "conv2", row_titles=["Coat", "Bag"], ncols=8)
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(grid) == 2 * 2 * (8 + 1) and len(image_axes(fig)) == 2 * (16 + 1)
    assert grid[0].get_ylabel() == "Coat" and grid[18].get_ylabel() == "Bag"
    assert not grid[9].axison  # below the input, the second row of channels has no image
    assert [ax.get_title() for ax in grid[10:18]] == [f"channel {c}" for c in range(8, 16)]
    assert grid[18 + 9 + 8].images[0].get_array()[0, 0] == pytest.approx(float(maps[1, 15, 0, 0]))


def test_plot_bars_labels_the_bars_of_a_log_scale():
    fig = plot_bars(["a", "b"], [0.0015, 784.0], "t", "y", log=True)
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.0015", "784"]
    assert len(plot_bars(["a"], [2.0], "t", "y").axes[0].texts) == 0


def test_no_notebook_labels_the_bars_of_a_log_scale_again():
    """plot_bars(log=True) writes each bar's value; a cell that adds bar_label draws every label twice."""
    import ast

    from nbtools import NOTEBOOKS, code_sources

    twice = []
    for path in NOTEBOOKS:
        for i, source in code_sources(path):
            calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
            log_bars = any(getattr(c.func, "id", None) == "plot_bars"
                           and any(k.arg == "log" and getattr(k.value, "value", False) is True
                                   for k in c.keywords) for c in calls)
            if log_bars and any(getattr(c.func, "attr", None) == "bar_label" for c in calls):
                twice.append(f"{path.name} cell {i}")
    assert not twice, f"bars labelled twice: {twice}"


def test_plot_channels_can_give_each_channel_its_own_scale():
    maps = torch.randn(2, 4, 6, 6) * torch.tensor([9.0, 0.5, 1.0, 0.1])[None, :, None, None]  # one strong
    fig = plot_channels(images(2), maps, "conv2", ncols=2, scale="channel")
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for r in range(2):
        for ch in range(4):
            ax = grid[r * 2 * 3 + (ch // 2) * 3 + ch % 2 + 1]
            lim = float(maps[:, ch].abs().max())  # over the images, not over the layer
            assert ax.images[0].get_clim() == pytest.approx((-lim, lim)), (r, ch)
            assert ax.get_title() == f"channel {ch}\n±{lim:.1f}"
    (bar,) = colorbars(fig)
    assert bar.get_ylim() == pytest.approx((-1, 1)) and "its channel" in bar.get_ylabel()
    with pytest.raises(ValueError, match="scale='layer'"):
        plot_channels(None, maps[:1], "conv2", scale="image")


# --- a number per seed, with its spread -------------------------------------------------------------------

SPREAD_ROWS = [("classic", [0.10, 0.30, 0.20], [0.5, 0.7, 0.65]),
               ("+ ReLU", [0.1, 0.2], None),
               ("+ flips", None, [0.81, 0.8, 0.9, 0.85])]


def test_print_spread_prints_the_median_and_the_range_of_each_group(capsys):
    print_spread(SPREAD_ROWS, ["variant", "SGD", "AdamW"], fmt=".2f")
    lines = capsys.readouterr().out.splitlines()
    headers = ["variant", "SGD median", "SGD range", "AdamW median", "AdamW range"]
    assert re.split(" {2,}", lines[0]) == headers
    assert lines[2].split() == ["classic", "≈", "0.20", "≈", "0.10–0.30", "≈", "0.65", "≈", "0.50–0.70"]
    assert lines[3].split() == ["+", "ReLU", "≈", "0.15", "≈", "0.10–0.20", "-", "-"]  # an even count: the
    assert lines[4].split() == ["+", "flips", "-", "-", "≈", "0.83", "≈", "0.80–0.90"]  # middle two's mean
    print_spread([("lenet", [0.8123, 0.8087, 0.8151])], ["recipe", "final test accuracy"])  # fmt .3f
    assert capsys.readouterr().out.splitlines()[2].split() == ["lenet", "≈", "0.812", "≈", "0.809–0.815"]


@pytest.mark.parametrize("rows", [[("classic", [0.1])], [("classic", [], [0.2])],
                                  [("classic", ["0.1"], None)], ["classic"],
                                  [("classic", [float("nan")], None)]])
def test_print_spread_and_plot_spread_name_a_bad_row(rows, capsys):
    for helper in (print_spread, plot_spread):
        with pytest.raises(ValueError, match=rf"^{helper.__name__} got .*: give .*\.$"):
            helper(rows, ["variant", "SGD", "AdamW"])
    assert capsys.readouterr().out == ""


def test_plot_spread_draws_each_seed_its_range_and_its_median():
    fig = plot_spread(SPREAD_ROWS, ["variant", "SGD", "AdamW"], colors=["tab:orange", "tab:blue"],
                      title="two optimisers")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["classic", "+ ReLU", "+ flips"]  # top to bottom
    assert list(ax.get_yticks()) == [0, -1, -2] and ax.get_title() == "two optimisers"
    assert ax.get_xlabel() == "test accuracy"
    lines = ax.get_lines()
    assert len(lines) == 3 * 4  # per group run: its range, its seeds, its median

    def drawn(x, y):
        return [line for line in lines
                if list(line.get_xdata()) == pytest.approx(x) and line.get_ydata()[0] == pytest.approx(y)]

    sgd_y, adamw_y = 0.15, -0.15  # the groups at two heights of the row, the first one on top
    (seeds,) = drawn([0.10, 0.30, 0.20], sgd_y)
    assert seeds.get_marker() == "o" and seeds.get_fillstyle() == "none" and seeds.get_linestyle() == "None"
    (median,) = drawn([0.20], sgd_y)
    assert median.get_marker() == "o" and median.get_fillstyle() == "full"
    assert median.get_markersize() < seeds.get_markersize()  # coinciding seeds: a ring around the median
    assert median.get_zorder() > seeds.get_zorder()
    (span,) = drawn([0.10, 0.30], sgd_y)
    assert span.get_marker() in ("None", "", None) and span.get_linestyle() == "-"
    assert [line.get_marker() for line in drawn([0.5, 0.7, 0.65], adamw_y)] == ["s"]  # another shape
    assert drawn([0.83], -2 + adamw_y)  # the median of four: the mean of the middle two
    colours = {to_rgba(line.get_color()) for line in drawn([0.5, 0.7, 0.65], adamw_y) + [seeds]}
    assert colours == {to_rgba("tab:orange"), to_rgba("tab:blue")}
    (legend,) = fig.legends  # below the plot, where it hides no marker
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["SGD: each seed", "AdamW: each seed", "SGD: median", "AdamW: median"]


def test_plot_spread_with_one_group_puts_it_on_the_row():
    fig = plot_spread([("lenet", [0.81, 0.80, 0.82]), ("lenet-modern", [0.914, 0.913, 0.915])],
                      ["recipe", "final test accuracy"])
    (ax,) = fig.axes
    assert all(line.get_ydata()[0] in (0, -1) for line in ax.get_lines())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["final test accuracy: each seed",
                                                                 "final test accuracy: median"]
