"""d2l_utils.diagnostics: layer statistics in the first steps, gradients, probabilities, confusions and
feature maps, on small hand-made inputs."""

import pytest
import torch
from torch import nn

from d2l_utils import (
    TEXT_LABELS,
    TensorBatches,
    confusion_matrix,
    feature_maps,
    first_steps,
    lenet,
    lenet_modern,
    most_confident_mistakes,
    most_confused_pairs,
    per_class_accuracy,
    predict_probabilities,
    weight_gradient_norms,
)

NAMES = ["conv1", "conv2", "fc1", "fc2", "fc3"]


@pytest.fixture
def batches():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (64, 1, 28, 28), generator=g, dtype=torch.uint8)
    return TensorBatches(images, torch.arange(64) % 10, 16)


def hooks_left(net):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in net.modules())


# --- the first training steps -----------------------------------------------------------------------------


def test_first_steps_on_the_classic_lenet(batches):
    torch.manual_seed(0)
    net = lenet()
    record = first_steps(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), steps=3)
    assert len(record["loss"]) == 3 and all(0 < x < 10 for x in record["loss"])
    assert list(record["grad"]) == NAMES
    assert all(len(v) == 3 and min(v) > 0 for v in record["grad"].values())
    assert list(record["slope"]) == list(record["saturated"]) == NAMES[:4]  # the four sigmoids
    assert all(len(v) == 3 and 0 < x <= 0.25 for v in record["slope"].values() for x in v)
    assert all(0 <= x <= 1 for v in record["saturated"].values() for x in v)
    assert record["dead"] == {}
    assert hooks_left(net) == 0 and net.training


def test_first_steps_stops_at_the_data_and_steps_the_scheduler(batches):
    net = lenet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
    record = first_steps(net, batches, optimizer, steps=50, scheduler=scheduler)
    assert len(record["loss"]) == len(batches) == 4 and scheduler.last_epoch == 4


def test_first_steps_changes_the_weights_as_training_would(batches):
    torch.manual_seed(0)
    net = lenet()
    before = net[0].weight.detach().clone()
    first_steps(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), steps=2)
    assert not torch.equal(net[0].weight, before)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_first_steps_gives_the_net_back_in_its_mode_and_layout(batches, mode):
    net = getattr(lenet_modern().to(memory_format=torch.channels_last), mode)()
    first_steps(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), steps=1)
    assert net.training == (mode == "train") and all(m.training == net.training for m in net.modules())
    conv2 = net[5].weight
    assert conv2.is_contiguous(memory_format=torch.channels_last) and not conv2.is_contiguous()


def test_device_none_means_the_nets_own_device(batches, monkeypatch):
    """No helper moves a network unless asked: first_steps used to move any network to the CPU."""
    seen = []
    real_to = nn.Module.to
    monkeypatch.setattr(nn.Module, "to", lambda self, *a, **k: seen.append(a) or real_to(self, *a, **k))
    net = lenet()
    first_steps(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), steps=1)
    predict_probabilities(net, batches.images[:4])
    feature_maps(net, batches.images[:4])
    assert seen == [(torch.device("cpu"),)]  # first_steps: to the device its parameters are on, read off them


def test_first_steps_on_the_modern_lenet(batches):
    torch.manual_seed(0)
    net = lenet_modern()
    record = first_steps(net, batches, torch.optim.AdamW(net.parameters(), lr=0.01), steps=2)
    assert record["slope"] == {} and record["saturated"] == {}
    assert list(record["dead"]) == NAMES[:4]  # the four ReLUs, named by the layer that feeds them
    assert all(len(v) == 2 and 0 <= x <= 1 for v in record["dead"].values() for x in v)
    assert any(x > 0 for v in record["dead"].values() for x in v)  # ReLUs do output zeros
    assert hooks_left(net) == 0


def test_first_steps_removes_its_hooks_when_interrupted(batches):
    net = lenet()

    class Broken(nn.Module):
        def forward(self, out, y):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        first_steps(net, batches, torch.optim.SGD(net.parameters(), lr=0.1), loss=Broken())
    assert hooks_left(net) == 0


# --- gradients and probabilities --------------------------------------------------------------------------


def test_weight_gradient_norms(batches):
    torch.manual_seed(0)
    net = lenet()
    X, y = next(iter(batches))
    rows = weight_gradient_norms(net, X, y, loss=nn.CrossEntropyLoss())
    assert [name for name, _ in rows] == NAMES
    assert all(isinstance(v, float) and v > 0 for _, v in rows)
    assert all(p.grad is None for p in net.parameters())  # no gradient left behind ...
    net(X).sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    weight_gradient_norms(net, X, y)  # (cross-entropy by default)
    assert all(torch.equal(p.grad, g) for p, g in zip(net.parameters(), grads))  # ... nor taken away
    net.zero_grad()
    # the ratio for one layer, computed by hand
    nn.CrossEntropyLoss()(net(X), y).backward()
    conv1 = net[0].weight
    assert rows[0][1] == pytest.approx((conv1.grad.norm() / conv1.detach().norm()).item(), rel=1e-5)


def test_predict_probabilities(batches):
    torch.manual_seed(0)
    net = lenet_modern().train()
    running = net[3].running_mean.clone()
    images = batches.images[:20]
    probs = predict_probabilities(net, images)
    assert probs.shape == (20, 10) and probs.device.type == "cpu"
    assert torch.allclose(probs.sum(dim=1), torch.ones(20), atol=1e-6) and float(probs.min()) >= 0
    assert net.training and torch.equal(net[3].running_mean, running)  # mode restored, stats untouched
    as_floats = predict_probabilities(net, images.float() / 255)
    assert torch.allclose(as_floats, probs, atol=1e-6)  # bytes and [0, 1] floats agree
    in_pieces = predict_probabilities(net, images, batch_size=7)
    assert torch.allclose(in_pieces, probs, atol=1e-6)  # eval mode: batches do not matter
    net.eval()
    expected = torch.softmax(net(images.float() / 255), dim=1)
    assert torch.allclose(probs, expected, atol=1e-6)
    assert not probs.requires_grad


# --- confusions -------------------------------------------------------------------------------------------


def test_confusion_matrix_and_per_class_accuracy():
    labels = torch.tensor([0, 0, 0, 6, 6, 2, 2, 2])
    preds = torch.tensor([0, 6, 0, 0, 6, 2, 6, 4])
    cm = confusion_matrix(preds, labels)  # what the model made, then the truth
    assert cm.shape == (10, 10) and int(cm.sum()) == 8
    assert int(cm[0, 0]) == 2 and int(cm[0, 6]) == 1 and int(cm[6, 0]) == 1 and int(cm[2, 4]) == 1
    assert cm.sum(dim=1).tolist() == [3, 0, 3, 0, 0, 0, 2, 0, 0, 0]  # rows: the true classes
    acc = per_class_accuracy(cm)
    assert torch.allclose(acc[[0, 2, 6]], torch.tensor([2 / 3, 1 / 3, 1 / 2]))
    assert float(acc[5]) == 0.0  # a class without examples does not divide by zero
    two = confusion_matrix(predictions=[1, 1, 0], labels=[0, 1, 1], num_classes=2)
    assert two.tolist() == [[0, 1], [1, 1]]


def test_most_confused_pairs_count_both_directions():
    cm = torch.zeros(10, 10, dtype=torch.long)
    cm[6, 0], cm[0, 6] = 5, 4  # shirt <-> T-shirt: 9 in all
    cm[4, 2] = 7  # coat taken for pullover, one way only
    cm[9, 7], cm[7, 9] = 1, 1
    cm[3, 3] = 100  # the diagonal is no confusion
    pairs = most_confused_pairs(cm, k=3)
    assert pairs == [(TEXT_LABELS[0], TEXT_LABELS[6], 9), (TEXT_LABELS[2], TEXT_LABELS[4], 7),
                     (TEXT_LABELS[7], TEXT_LABELS[9], 2)]
    assert len(most_confused_pairs(cm)) == 5


def test_most_confident_mistakes_order():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 1, 0])  # mistakes: 1 (0.8), 2 (0.6), 3 (0.7)
    assert most_confident_mistakes(probs, labels, k=2).tolist() == [1, 3]
    assert most_confident_mistakes(probs, labels).tolist() == [1, 3, 2]
    assert most_confident_mistakes(probs, [0, 1, 0, 1]).tolist() == []


# --- feature maps -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lenet, lenet_modern])
def test_feature_maps_keys_and_shapes(make, batches):
    torch.manual_seed(0)
    net = make().train()
    images = batches.images[:3]
    maps = feature_maps(net, images)
    assert list(maps) == ["conv1", "conv2"]
    assert maps["conv1"].shape == (3, 6, 28, 28) and maps["conv2"].shape == (3, 16, 10, 10)
    assert net.training  # mode restored
    net.eval()
    with torch.no_grad():
        X = images.float() / 255
        conv1 = net[0] if make is lenet else net[1]
        start = X if make is lenet else net[0](X)
        assert torch.allclose(maps["conv1"], conv1(start), atol=1e-6)
