"""Training, evaluation and checkpoints on a device: the CPU here, a GPU where benchmarks/gpu.py runs these
with ``D2L_TEST_DEVICE=cuda`` (it stops at once on a machine without one).

Written against the interfaces that stay (``train_recipe``, keyword calls of ``evaluate_accuracy``), on the
fake data set of ``tests/fakes.py``, so that they need only PyTorch and pytest.
"""

from __future__ import annotations

import math
import os

import matplotlib.pyplot as plt
import pytest
import torch

from d2l_utils import TensorBatches, evaluate_accuracy, lenet, load_checkpoint, predict_ch5
from d2l_utils.fast import fused_forward
from d2l_utils.recipes import train_recipe

DEVICE = torch.device(os.environ.get("D2L_TEST_DEVICE", "cpu"))
# One image of the 32 in the fake test set: argmax may tip on a GPU's different summation order.
ONE_IMAGE = 1 / 32

if DEVICE.type == "cuda" and not torch.cuda.is_available():
    pytest.exit(f"D2L_TEST_DEVICE={DEVICE} but torch.cuda.is_available() is False", returncode=2)


@pytest.mark.parametrize("model", ["lenet", "lenet-modern"])
def test_a_recipe_trains_on_the_device_and_its_checkpoint_loads_on_the_cpu(model, fake_dir, tmp_path):
    path = tmp_path / f"{model}.pt"
    net, history = train_recipe(model, num_epochs=1, batch_size=16, device=DEVICE, root=fake_dir,
                                save=path, verbose=False)
    assert {p.device.type for p in net.parameters()} == {DEVICE.type}
    assert len(history) == 1 and math.isfinite(history.loss[0]) and 0 <= history.test_acc[0] <= 1
    loaded, _ = load_checkpoint(path, device="cpu", model=model)
    assert {p.device.type for p in loaded.parameters()} == {"cpu"}
    for mine, theirs in zip(net.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(mine.cpu(), theirs)
    test_iter = TensorBatches(*_fake_test(fake_dir), 16)
    on_cpu = evaluate_accuracy(net=loaded, data_iter=test_iter)
    assert abs(on_cpu - evaluate_accuracy(net=net, data_iter=test_iter)) <= 2 * ONE_IMAGE


def _fake_test(folder):
    from d2l_utils import load_fashion_mnist_tensors

    return load_fashion_mnist_tensors(folder)["test"]


def test_evaluation_runs_where_the_parameters_are(fake_dir):
    torch.manual_seed(0)
    net = lenet().to(DEVICE)
    test_iter = TensorBatches(*_fake_test(fake_dir), 16)  # batches on the CPU, moved per batch
    implicit = evaluate_accuracy(net=net, data_iter=test_iter)  # device=None: the parameters' device
    explicit = evaluate_accuracy(net=net, data_iter=test_iter, device=DEVICE)
    assert implicit == explicit and 0 <= implicit <= 1
    assert net.training and next(net.parameters()).device.type == DEVICE.type  # given back as it came
    on_cpu = evaluate_accuracy(net=_cpu_copy(net), data_iter=test_iter)
    assert abs(on_cpu - implicit) <= ONE_IMAGE


def _cpu_copy(net):
    copy = lenet()
    copy.load_state_dict({k: v.cpu() for k, v in net.state_dict().items()})
    return copy


def test_the_fused_forward_equals_the_layers_on_the_device(fake_dir):
    torch.manual_seed(0)
    net = lenet().to(DEVICE)
    images, _ = _fake_test(fake_dir)
    X = (images[:16].float() / 255).to(DEVICE, memory_format=torch.channels_last).requires_grad_()
    fused = fused_forward(net)(X)
    plain = net(X)
    torch.testing.assert_close(fused, plain)
    (g_fused,) = torch.autograd.grad(fused.sum(), X)
    (g_plain,) = torch.autograd.grad(plain.sum(), X)
    torch.testing.assert_close(g_fused, g_plain)


def test_predictions_come_from_a_network_on_the_device(fake_dir):
    torch.manual_seed(0)
    net = lenet().to(DEVICE)
    test_iter = TensorBatches(*_fake_test(fake_dir), 16)
    predicted, true = predict_ch5(net, test_iter, n=6)
    plt.close("all")
    assert len(predicted) == len(true) == 6 and all(isinstance(p, str) for p in predicted)
