"""Analysis helpers of d2l_utils.insight on small hand-made inputs."""

import torch
from torch import nn

from d2l_utils import TEXT_LABELS, lenet, lenet_modern
from d2l_utils.data import TensorBatches
from d2l_utils.insight import (
    confusion_matrix,
    first_steps,
    lenet_variant,
    most_confident_mistakes,
    most_confused_pairs,
    per_class_accuracy,
)


def test_confusion_matrix_and_per_class_accuracy():
    labels = torch.tensor([0, 0, 0, 6, 6, 2, 2, 2])
    preds = torch.tensor([0, 6, 0, 0, 6, 2, 6, 4])
    cm = confusion_matrix(labels, preds)
    assert cm.shape == (10, 10) and int(cm.sum()) == 8
    assert int(cm[0, 0]) == 2 and int(cm[0, 6]) == 1 and int(cm[6, 0]) == 1 and int(cm[2, 4]) == 1
    acc = per_class_accuracy(cm)
    assert torch.allclose(acc[[0, 2, 6]], torch.tensor([2 / 3, 1 / 3, 1 / 2]))
    assert float(acc[5]) == 0.0  # a class without examples does not divide by zero
    pairs = most_confused_pairs(cm, k=2)
    assert pairs[0] == (TEXT_LABELS[0], TEXT_LABELS[6], 2)  # 0 taken for 6 once, 6 for 0 once
    assert most_confused_pairs(cm, k=1, symmetric=False)[0][2] == 1


def test_most_confident_mistakes_order():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 1, 0])  # mistakes: 1 (0.8), 2 (0.6), 3 (0.7)
    assert most_confident_mistakes(probs, labels, k=2).tolist() == [1, 3]


def test_variants():
    assert [type(m) for m in lenet_variant()] == [type(m) for m in lenet()]
    assert [type(m) for m in lenet_variant(True, True, True)] == [type(m) for m in lenet_modern()]
    for flags in ({"relu": True}, {"max_pool": True}, {"relu": True, "batch_norm": True}):
        net = lenet_variant(**flags).eval()
        assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    kinds = {type(m) for m in lenet_variant(relu=True)}
    assert nn.ReLU in kinds and nn.Sigmoid not in kinds and nn.AvgPool2d in kinds


def test_first_steps_records_every_layer():
    torch.manual_seed(0)
    data = TensorBatches(torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8), torch.arange(64) % 10, 16)
    net = lenet()
    s = first_steps(net, data, torch.optim.SGD(net.parameters(), lr=0.1), steps=3)
    assert len(s["loss"]) == 3 and list(s["grad"]) == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert all(len(v) == 3 and min(v) > 0 for v in s["grad"].values())
    assert list(s["slope"]) == ["conv1", "conv2", "fc1", "fc2"]
    assert all(0 < x <= 0.25 for v in s["slope"].values() for x in v)
    net = lenet_modern()
    s = first_steps(net, data, torch.optim.SGD(net.parameters(), lr=0.1), steps=2)
    assert not s["slope"] and all(0 < x < 1 for v in s["dead"].values() for x in v)
