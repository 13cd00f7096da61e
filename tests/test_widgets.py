"""The explorers of d2l_utils.widgets, built without a browser: move the controls, check the state."""

import pytest
import torch
from torch import nn

from d2l_utils import TEXT_LABELS
from d2l_utils.widgets import (
    KERNELS,
    ConvExplorer,
    DatasetBrowser,
    PredictionExplorer,
    ShapeCalculator,
    conv_output_size,
    widgets_available,
)

pytest.importorskip("ipywidgets")


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (50, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.arange(50) % 10
    return images, labels


def test_no_frontend_outside_a_kernel(monkeypatch):
    assert not widgets_available()  # pytest is no Jupyter kernel
    monkeypatch.setenv("D2L_STATIC_WIDGETS", "1")
    assert not widgets_available()


def test_dataset_browser_follows_its_controls(data):
    images, labels = data
    browser = DatasetBrowser(images, labels, static=False)
    assert browser.name == TEXT_LABELS[0] and browser.dataset_index == 0
    browser.controls["class_index"].value = 3
    browser.controls["index"].value = 2
    assert browser.dataset_index == 23  # third image of class 3: positions 3, 13, 23, ...
    assert browser.name == "Dress"
    assert torch.equal(browser.image, images[23].float() / 255)
    assert browser.controls["index"].max == 4  # five images per class
    browser.controls["class_index"].value = 9
    assert browser.dataset_index == 29 and browser.name == "Ankle boot"


def test_dataset_browser_clamps_and_rejects(data):
    browser = DatasetBrowser(*data, static=True)
    assert browser.set(class_index=1, index=99).index == 4
    with pytest.raises(ValueError):
        browser.set(class_index=10)


def test_conv_output_is_the_sum_of_the_elementwise_product():
    torch.manual_seed(0)
    image = torch.rand(28, 28)
    explorer = ConvExplorer(image, static=False)
    explorer.controls["row"].value, explorer.controls["col"].value = 7, 11
    kernel = KERNELS["vertical edges"]
    manual = sum(float(image[7 + i, 11 + j] * kernel[i, j]) for i in range(3) for j in range(3))
    assert explorer.output_value == pytest.approx(manual, abs=1e-5)
    assert float(explorer.feature_map[7, 11]) == pytest.approx(manual, abs=1e-5)
    assert explorer.feature_map.shape == (26, 26)
    assert torch.equal(explorer.patch, image[7:10, 11:14])
    explorer.controls["kernel"].value = "blur (3x3 mean)"
    assert explorer.output_value == pytest.approx(float(image[7:10, 11:14].mean()), abs=1e-5)


def test_conv_explorer_with_custom_kernel_padding_and_stride():
    image = torch.arange(36.0).reshape(6, 6)
    kernel = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    explorer = ConvExplorer(image, kernel=kernel, padding=1, stride=2, static=False)
    assert explorer.out_shape == (4, 4) == tuple(explorer.feature_map.shape)
    assert explorer.controls["row"].max == 3
    explorer.controls["row"].value, explorer.controls["col"].value = 0, 0
    assert explorer.output_value == pytest.approx(4.0 * image[0, 0])  # only the corner is not padding
    explorer.set(row=2, col=1)  # window at (4, 2) of the padded image = (3, 1) of the image
    expected = float((image[3:5, 1:3] * kernel).sum())
    assert explorer.output_value == pytest.approx(expected)
    assert explorer.controls["row"].value == 2  # set() moves the sliders too
    explorer.set(row=100)
    assert explorer.row == 3


def test_shape_calculator_defaults_are_lenet():
    calc = ShapeCalculator(static=False)
    assert calc.error is None
    shapes = [s for _, s in calc.shapes]
    assert shapes == [(1, 1, 28, 28), (1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5),
                      (1, 400), (1, 120), (1, 84), (1, 10)]


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
    calc.set(k1=9, p1=0, s1=3, k2=3)  # 28 -> 7 -> 3 -> 1 -> pooling 2x2 on 1x1 is impossible
    assert calc.shapes[-1][1] == (1, 16, 1, 1)
    assert "does not fit" in calc.error and "= 0" in calc.error
    assert "problem:" in calc.text
    calc.set(**ShapeCalculator.DEFAULTS)
    assert calc.error is None and calc.controls["k1"].value == 5
    with pytest.raises(TypeError):
        calc.set(kernel=3)


def test_conv_output_size_formula():
    assert conv_output_size(28, 5, 2, 1) == 28
    assert conv_output_size(28, 2, 0, 2) == 14
    assert conv_output_size(14, 5) == 10
    assert conv_output_size(4, 5) == 0


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


def test_prediction_explorer_state():
    n = 20
    images = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    images[:, 0, 0, 0] = torch.arange(n, dtype=torch.uint8)  # image i carries its number
    labels = torch.arange(n) % 10
    explorer = PredictionExplorer(_Fixed(), images, labels, static=False)
    explorer.controls["index"].value = 4
    assert explorer.dataset_index == 4
    assert explorer.prediction == TEXT_LABELS[2] and explorer.true_name == TEXT_LABELS[4]
    assert not explorer.correct
    p = explorer.probabilities
    assert p.sum() == pytest.approx(1.0) and int(p.argmax()) == 2
    assert float(p[2]) == pytest.approx(torch.softmax(torch.tensor([2.0] + [0.0] * 9), 0)[0].item())
    # (3 i) % 10 == i % 10 only for i % 5 == 0: images 0, 5, 10, 15 are right
    explorer.controls["show"].value = "correct only"
    assert explorer.controls["index"].max == 3
    assert explorer.dataset_index == 15 and explorer.correct  # index 4 clamped to the last one
    explorer.controls["show"].value = "mistakes only"
    explorer.controls["index"].value = 0
    assert explorer.dataset_index == 1 and not explorer.correct


def test_static_explorers_draw_one_figure(data):
    from matplotlib.figure import Figure

    images, labels = data
    explorers = [DatasetBrowser(images, labels, static=True), ConvExplorer(images[0], static=True),
                 ShapeCalculator(static=True, k2=3),
                 PredictionExplorer(_Fixed(), images, labels, static=True)]
    for explorer in explorers:
        assert explorer.widget is None and not explorer.controls
        assert isinstance(explorer.figure(), Figure)


def test_live_explorers_redraw_into_their_output(data):
    images, labels = data
    browser = DatasetBrowser(images, labels, static=False)
    assert not browser.live and browser._out.outputs == ()  # no kernel here: nothing drawn yet
    browser.live = True
    browser.controls["index"].value = 1
    first = browser._out.outputs
    assert len(first) == 1 and first[0]["data"]["image/png"].startswith("iVBOR")  # base64 of a PNG
    browser.controls["class_index"].value = 4
    assert browser._out.outputs[0]["data"]["image/png"] != first[0]["data"]["image/png"]
    calc = ShapeCalculator(static=False)
    calc.controls["k2"].value = 3
    assert "Problem" in calc._text.value and "576" in calc._text.value
