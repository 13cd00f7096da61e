"""d2l_utils.widgets, built without a browser: move the controls, check the state, the controls and
the drawing (the one mechanism: control_values/control_limits, set(), a PNG in an Output)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from d2l_utils import TEXT_LABELS, ConvExplorer, DatasetBrowser, PredictionExplorer, ShapeCalculator
from d2l_utils.widgets import KERNELS, conv_output_size, widgets_available

from fakes import corr2d

pytest.importorskip("ipywidgets")


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (50, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.arange(50) % 10
    return images, labels


def png(explorer):
    (output,) = explorer._out.outputs
    assert output["output_type"] == "display_data"
    data = output["data"]["image/png"]
    assert data.startswith("iVBOR")  # base64 of a PNG
    return data


def controls_match_state(explorer):
    for name, value in explorer.control_values().items():
        assert explorer.controls[name].value == value, name
    for name, largest in explorer.control_limits().items():
        assert explorer.controls[name].max == largest, name



def test_no_frontend_outside_a_kernel(monkeypatch):
    assert not widgets_available()  # pytest is no Jupyter kernel
    monkeypatch.setenv("D2L_STATIC_WIDGETS", "1")
    assert not widgets_available()
    assert DatasetBrowser(torch.zeros(1, 1, 28, 28, dtype=torch.uint8), [0]).static


# --- the data set browser ---------------------------------------------------------------------------------


def test_dataset_browser_follows_its_controls(data):
    images, labels = data
    browser = DatasetBrowser(images, labels, static=False)
    assert browser.name == TEXT_LABELS[0] and browser.dataset_index == 0
    browser.controls["class_index"].value = 3
    browser.controls["index"].value = 2
    assert browser.dataset_index == 23  # third image of class 3: positions 3, 13, 23, ...
    assert browser.name == "Dress" and browser.control_values() == {"class_index": 3, "index": 2}
    assert torch.equal(browser.image, images[23].float() / 255)
    assert browser.controls["index"].max == 4  # five images per class
    assert "image 3 of 5 in the class, #23 in the data set" in browser.title
    browser.controls["class_index"].value = 9
    assert browser.dataset_index == 29 and browser.name == "Ankle boot"
    controls_match_state(browser)


def test_dataset_browser_slider_follows_the_class_size():
    labels = torch.tensor([0, 0, 0, 0, 0, 1, 1])  # five T-shirts, two trousers
    browser = DatasetBrowser(torch.zeros(7, 1, 28, 28, dtype=torch.uint8), labels, static=False)
    browser.controls["index"].value = 4
    browser.controls["class_index"].value = 1
    assert browser.index == 1 and browser.dataset_index == 6  # clamped to the class
    assert browser.control_limits() == {"index": 1}
    controls_match_state(browser)
    browser.set(class_index=0, index=3)  # set() in code moves the controls too
    assert browser.controls["class_index"].value == 0 and browser.controls["index"].value == 3
    controls_match_state(browser)


def test_dataset_browser_clamps_and_rejects(data):
    browser = DatasetBrowser(*data, static=True)
    assert browser.set(class_index=1, index=99).index == 4
    assert browser.set(index=-3).index == 0
    with pytest.raises(ValueError, match="class_index"):
        browser.set(class_index=10)


# --- the convolution explorer -----------------------------------------------------------------------------


def test_conv_output_is_the_sum_of_the_elementwise_product():
    torch.manual_seed(0)
    image = torch.rand(28, 28)
    explorer = ConvExplorer(image, static=False)
    explorer.controls["row"].value, explorer.controls["col"].value = 7, 11
    kernel = KERNELS["vertical edges"]
    manual = sum(float(image[7 + i, 11 + j] * kernel[i, j]) for i in range(3) for j in range(3))
    assert explorer.output_value == pytest.approx(manual, abs=1e-5)
    assert torch.equal(explorer.patch, image[7:10, 11:14])
    assert torch.equal(explorer.product, image[7:10, 11:14] * kernel)
    assert explorer.output_value == pytest.approx(float(explorer.product.sum()))
    explorer.controls["kernel"].value = "blur (3x3 mean)"
    assert explorer.output_value == pytest.approx(float(image[7:10, 11:14].mean()), abs=1e-5)


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_conv_feature_map_is_the_cross_correlation(kernel):
    torch.manual_seed(1)
    image = torch.rand(12, 10)
    explorer = ConvExplorer(image, kernel=kernel, static=True)
    expected = corr2d(image, KERNELS[kernel])
    assert explorer.feature_map.shape == (10, 8) == explorer.out_shape
    assert torch.allclose(explorer.feature_map, expected, atol=1e-5)
    assert torch.allclose(explorer.feature_map,
                          F.conv2d(image[None, None], KERNELS[kernel][None, None])[0, 0], atol=1e-6)
    for row, col in ((0, 0), (3, 5), (9, 7)):  # each cell is the sum over its window
        explorer.set(row=row, col=col)
        assert explorer.output_value == pytest.approx(float(expected[row, col]), abs=1e-5)


def test_conv_explorer_with_custom_kernel_padding_and_stride():
    image = torch.arange(36.0).reshape(6, 6)
    kernel = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    explorer = ConvExplorer(image, kernel=kernel, padding=1, stride=2, static=False)
    assert explorer.kernel_name == "custom" and "custom" in explorer.controls["kernel"].options
    assert explorer.out_shape == (4, 4) == tuple(explorer.feature_map.shape)
    assert explorer.controls["row"].max == 3
    explorer.controls["row"].value, explorer.controls["col"].value = 0, 0
    assert explorer.output_value == pytest.approx(4.0 * image[0, 0])  # only the corner is not padding
    explorer.set(row=2, col=1)  # window at (4, 2) of the padded image = (3, 1) of the image
    expected = float((image[3:5, 1:3] * kernel).sum())
    assert explorer.output_value == pytest.approx(expected)
    assert explorer.output_value == pytest.approx(float(explorer.feature_map[2, 1]))
    assert explorer.controls["row"].value == 2  # set() moves the sliders too
    explorer.set(row=100)
    assert explorer.row == 3
    controls_match_state(explorer)


def test_conv_explorer_slider_range_follows_the_kernel():
    explorer = ConvExplorer(torch.rand(6, 6), kernel=torch.ones(2, 2), static=False)
    assert explorer.control_limits() == {"row": 4, "col": 4}
    explorer.controls["row"].value = 4
    explorer.controls["kernel"].value = "sharpen"  # 3x3: a 4x4 feature map
    assert explorer.control_limits() == {"row": 3, "col": 3}
    assert explorer.row == 3 and explorer.controls["row"].value == 3 and explorer.controls["row"].max == 3
    controls_match_state(explorer)


def test_conv_explorer_writes_values_readably_on_dark_and_light_cells():
    image = torch.zeros(6, 6)
    image[1, 1] = 1.0  # one white pixel in a black image
    explorer = ConvExplorer(image, kernel="blur (3x3 mean)", row=0, col=0, static=True)
    patch_ax = explorer.figure().axes[1]
    colours = {t.get_text(): t.get_color() for t in patch_ax.texts}
    assert colours == {"0.00": "white", "1.00": "black"}  # no black "0.00" on a black cell


def test_conv_explorer_rejects():
    with pytest.raises(ValueError, match="one grayscale image"):
        ConvExplorer(torch.rand(2, 3, 5, 5))
    with pytest.raises(ValueError, match="There is no kernel called"):
        ConvExplorer(torch.rand(5, 5), kernel="emboss")
    with pytest.raises(ValueError, match="does not fit"):
        ConvExplorer(torch.rand(2, 2), kernel="sharpen")


# --- the shape calculator ---------------------------------------------------------------------------------


def test_shape_calculator_defaults_are_lenet():
    calc = ShapeCalculator(static=False)
    assert calc.error is None
    shapes = [s for _, s in calc.shapes]
    assert shapes == [(1, 1, 28, 28), (1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5),
                      (1, 400), (1, 120), (1, 84), (1, 10)]
    assert calc.control_values() == ShapeCalculator.DEFAULTS
    controls_match_state(calc)


@pytest.mark.parametrize("k1,p1,s1,k2,p2,s2,pool", [(3, 1, 1, 3, 0, 1, 2), (5, 0, 2, 3, 1, 1, 1),
                                                    (7, 3, 1, 5, 2, 2, 3), (5, 2, 1, 5, 0, 1, 2)])
def test_shape_calculator_agrees_with_pytorch(k1, p1, s1, k2, p2, s2, pool):
    calc = ShapeCalculator(static=False)
    for name, value in dict(k1=k1, p1=p1, s1=s1, k2=k2, p2=p2, s2=s2, pool=pool).items():
        calc.controls[name].value = value
    layers = [nn.Conv2d(1, 6, k1, s1, p1), nn.MaxPool2d(pool),
              nn.Conv2d(6, 16, k2, s2, p2), nn.MaxPool2d(pool)]
    X, expected = torch.zeros(1, 1, 28, 28), []
    for layer in layers:
        X = layer(X)
        expected.append(tuple(X.shape))
    assert [s for _, s in calc.shapes[1:5]] == expected
    assert calc.shapes[5] == ("Flatten", (1, X.numel()))
    assert (calc.error is None) == (X.numel() == 400)


def test_shape_calculator_explains_instead_of_crashing():
    calc = ShapeCalculator(static=False)
    calc.controls["k2"].value = 3
    assert "576" in calc.error and "400" in calc.error and "nn.Linear(576, 120)" in calc.error
    assert calc.shapes[-1] == ("Flatten", (1, 576))  # computed as far as it goes
    calc.set(k1=9, p1=0, s1=3, k2=3)  # 28 -> 7 -> 3 -> 1 -> pooling 2x2 on 1x1 is impossible
    assert calc.shapes[-1][1] == (1, 16, 1, 1)
    assert "does not fit" in calc.error and "= 0" in calc.error
    assert "problem:" in calc.text
    assert calc.controls["k1"].value == 9 and calc.controls["s1"].value == 3  # set() moved the sliders
    calc.set(**ShapeCalculator.DEFAULTS)
    assert calc.error is None and calc.controls["k1"].value == 5 and "problem" not in calc.text
    with pytest.raises(TypeError, match="ShapeCalculator has no setting"):
        calc.set(kernel=3)


def test_conv_output_size_formula():
    assert conv_output_size(28, 5, 2, 1) == 28
    assert conv_output_size(28, 2, 0, 2) == 14
    assert conv_output_size(14, 5) == 10
    assert conv_output_size(4, 5) == 0


# --- the prediction explorer ------------------------------------------------------------------------------


class _Fixed(nn.Module):
    """A 'network' whose logits are given: class (i * 3) % 10 wins for image i."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        idx = (X.flatten(1)[:, 0] * 255).round().long()
        logits = torch.zeros(len(X), 10)
        logits[torch.arange(len(X)), (idx * 3) % 10] = 2.0
        return logits


def numbered_images(n=20):
    images = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    images[:, 0, 0, 0] = torch.arange(n, dtype=torch.uint8)  # image i carries its number
    return images, torch.arange(n) % 10


def test_prediction_explorer_state():
    images, labels = numbered_images()
    explorer = PredictionExplorer(_Fixed(), images, labels, static=False)
    explorer.controls["index"].value = 4
    assert explorer.dataset_index == 4
    assert explorer.prediction == TEXT_LABELS[2] and explorer.true_name == TEXT_LABELS[4]
    assert not explorer.correct
    p = explorer.probabilities
    assert p.sum() == pytest.approx(1.0) and int(p.argmax()) == 2
    assert float(p[2]) == pytest.approx(torch.softmax(torch.tensor([2.0] + [0.0] * 9), 0)[0].item())
    controls_match_state(explorer)


def test_prediction_explorer_mistakes_filter():
    images, labels = numbered_images()
    explorer = PredictionExplorer(_Fixed(), images, labels, static=False)
    explorer.controls["index"].value = 4
    # (3 i) % 10 == i % 10 only for i % 5 == 0: images 0, 5, 10, 15 are right
    explorer.controls["show"].value = "correct only"
    assert explorer.members.tolist() == [0, 5, 10, 15] and explorer.controls["index"].max == 3
    assert explorer.dataset_index == 15 and explorer.correct  # index 4 clamped to the last one
    explorer.controls["show"].value = "mistakes only"
    assert len(explorer.members) == 16 and explorer.controls["index"].max == 15
    explorer.controls["index"].value = 0
    assert explorer.dataset_index == 1 and not explorer.correct
    for i in range(16):
        explorer.set(index=i)
        assert not explorer.correct  # the filter shows mistakes only
    explorer.set(show="all images", index=19)
    assert explorer.dataset_index == 19 and explorer.controls["show"].value == "all images"
    with pytest.raises(ValueError, match="There is no choice"):
        explorer.set(show="some")


def test_prediction_explorer_without_mistakes():
    images, labels = numbered_images(10)
    labels = (torch.arange(10) * 3) % 10  # the 'network' is always right
    explorer = PredictionExplorer(_Fixed(), images, labels, show="mistakes only", static=True)
    assert len(explorer.members) == 0
    with pytest.raises(LookupError, match="No image is left to show"):
        explorer.dataset_index  # noqa: B018
    ax = explorer.figure().axes[0]
    assert "no image" in ax.texts[0].get_text()


def test_prediction_explorer_figure_colours():
    from matplotlib.colors import to_rgba

    from d2l_utils.plots import CORRECT_COLOR, MISTAKE_COLOR

    images, labels = numbered_images()
    explorer = PredictionExplorer(_Fixed(), images, labels, index=4, static=True)
    ax_img, ax_bar = explorer.figure().axes
    colors = [to_rgba(bar.get_facecolor()) for bar in ax_bar.patches]
    assert len(colors) == 10
    assert colors[4] == to_rgba(CORRECT_COLOR) and colors[2] == to_rgba(MISTAKE_COLOR)  # true, predicted
    assert "wrong" in ax_bar.get_title() and "true: Coat" in ax_img.get_title()


# --- drawing ----------------------------------------------------------------------------------------------


def test_static_explorers_draw_one_figure(data):
    from matplotlib.figure import Figure

    images, labels = data
    explorers = [DatasetBrowser(images, labels, static=True), ConvExplorer(images[0], static=True),
                 ShapeCalculator(static=True, k2=3),
                 PredictionExplorer(_Fixed(), images, labels, static=True)]
    for explorer in explorers:
        assert explorer.widget is None and not explorer.controls
        assert isinstance(explorer.figure(), Figure)
    assert len(explorers[1].figure().axes) == 5  # image, patch, kernel, product, feature map


def test_every_live_explorer_redraws_when_a_control_moves(data):
    images, labels = data
    cases = [
        (DatasetBrowser(images, labels, static=False), "class_index", 4),
        (ConvExplorer(images[0], static=False), "row", 12),
        (ConvExplorer(images[0], static=False), "kernel", "sharpen"),
        (ShapeCalculator(static=False), "k2", 3),
        (PredictionExplorer(_Fixed(), *numbered_images(), static=False), "show", "mistakes only"),
    ]
    for explorer, name, value in cases:
        assert not explorer.live and explorer._out.outputs == ()  # no kernel here: nothing drawn yet
        explorer.live = True
        explorer.set()  # (state unchanged: no redraw without a control event)
        assert explorer._out.outputs == ()
        explorer.controls[name].value = explorer.controls[name].value  # no change, no event
        assert explorer._out.outputs == ()
        # draw the current state, then move the control and expect another picture
        explorer._render()
        before = png(explorer)
        explorer.controls[name].value = value
        assert png(explorer) != before, (type(explorer).__name__, name)
        assert explorer.control_values()[name] == value
        controls_match_state(explorer)


def test_shape_calculator_text_follows_its_controls():
    calc = ShapeCalculator(static=False)
    assert "All layers fit together" in calc._text.value
    calc.controls["k2"].value = 3
    assert "Problem" in calc._text.value and "576" in calc._text.value


# --- legible on a projector -------------------------------------------------------------------------------


def shown_texts(fig):
    """(text, size in CSS pt as the notebook shows it) of every visible text of ``fig``, drawn as the
    explorers send it (``png_output``): the PNG's pixel width over the figure's inches is its dpi."""
    import base64
    import struct

    from matplotlib.text import Text

    from d2l_utils.plots import NOTEBOOK_DPI, NOTEBOOK_WIDTH
    from d2l_utils.widgets import png_output

    png_bytes = base64.b64decode(png_output(fig)["data"]["image/png"])
    pixels = struct.unpack(">I", png_bytes[16:20])[0]  # the IHDR chunk's width
    dpi = pixels / fig.get_figwidth()
    scale = min(1.0, NOTEBOOK_WIDTH * NOTEBOOK_DPI / pixels)  # a wider figure is shrunk to the notebook
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [(t.get_text(), t.get_fontsize() * dpi / 96 * scale) for t in texts]


def _sure_net():
    class Sure(_Fixed):  # as _Fixed, but certain: the winning class gets a probability of about 1
        def forward(self, X):
            return 20 * super().forward(X)

    return Sure()


def test_every_explorer_writes_at_least_14_pt_at_the_notebooks_width(data):
    images, labels = data
    explorers = {"browser": DatasetBrowser(images, labels, static=True),
                 "kernel": ConvExplorer(images[0], row=12, col=11, static=True),
                 "shapes": ShapeCalculator(static=True), "shape problem": ShapeCalculator(static=True, k2=3),
                 "predictions": PredictionExplorer(_Fixed(), *numbered_images(), index=4, static=True)}
    for name, explorer in explorers.items():
        texts = shown_texts(explorer.figure())
        assert texts, name
        small = [(text, round(size, 1)) for text, size in texts if size < 14]
        assert not small, f"{name}: text under 14 pt on screen: {small}"


def test_a_wider_or_coarser_figure_would_fail_the_legibility_test():
    from matplotlib.figure import Figure

    wide = Figure(figsize=(16, 4), dpi=100)
    wide.text(0.5, 0.5, "twelve points", fontsize=14)
    assert shown_texts(wide)[0][1] < 14  # 16 inches shrunk to the notebook's 10: 14 pt shows as 9
    from d2l_utils.plots import shown_points
    assert shown_points(12, 8, dpi=80) == pytest.approx(10)  # the explorers' old 80 dpi and 12 pt


@pytest.mark.parametrize("index", [0, 4])  # right with a probability of about 1; wrong
def test_prediction_explorer_writes_its_marks_beside_the_bars_not_on_them(index):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    images, labels = numbered_images()
    explorer = PredictionExplorer(_sure_net(), images, labels, index=index, static=True)
    fig = explorer.figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax_bar = fig.axes[1]
    marks = {t.get_text(): t.get_window_extent(renderer) for t in ax_bar.texts}
    expected = ["true = predicted"] if explorer.correct else ["true", "predicted"]
    assert [m.split(" (")[0] for m in marks] == expected  # in words, not by colour alone
    if explorer.correct:
        assert float(explorer.probabilities.max()) > 0.99  # the longest bar there is
    for text, box in marks.items():
        assert box.x1 <= fig.bbox.x1 and box.x0 >= ax_bar.bbox.x0, text  # inside the figure
        for bar in ax_bar.patches:
            assert not box.overlaps(bar.get_window_extent(renderer)), f"{text!r} is drawn on a bar"
