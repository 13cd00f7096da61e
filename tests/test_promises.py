"""The promises of d2l_utils' docstring, each checked where it was once broken: no helper shares
writable state with the learner, swallows an interrupt, moves the caller's random stream, or gives a
network back other than it went in; a device that does not fit is named, the same way on every machine."""

import pytest
import torch

import d2l_utils.cli as cli
from d2l_utils import (
    History,
    lenet,
    load_data_fashion_mnist,
    load_fashion_mnist_tensors,
    to_unit_range,
    train_ch5,
)

# --- no writable state shared with the learner ------------------------------------------------------------


def test_the_data_cache_hands_out_new_tensors(isolated, fake_dir):
    first = load_fashion_mnist_tensors(fake_dir)
    kept = first["train"][0].clone()
    first["train"][0].zero_()  # a learner's in-place experiment
    first["test"][1].fill_(3)
    again = load_fashion_mnist_tensors(fake_dir)
    assert torch.equal(again["train"][0], kept) and again["train"][0].any()
    assert not torch.equal(again["test"][1], first["test"][1])
    train_iter, _ = load_data_fashion_mnist(16, root=fake_dir)
    train_iter.images.zero_()
    assert torch.equal(load_data_fashion_mnist(16, root=fake_dir)[0].images, kept)


def test_to_unit_range_always_returns_a_new_tensor():
    for images in (torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4, dtype=torch.float64),
                   torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8)):
        before = images.clone()
        out = to_unit_range(images)
        out.mul_(2)
        assert torch.equal(images, before) and out.dtype == torch.float32


# --- no interrupt swallowed --------------------------------------------------------------------------------


def test_ctrl_c_in_train_ch5_stops_run_all_and_keeps_the_finished_epochs(fake_iters):
    """JupyterLab's Run All stops only at a cell that ends in an error: train_ch5 must raise."""
    train_iter, test_iter = fake_iters
    epochs_seen = []

    def interrupt_in_epoch_two(record):
        epochs_seen.append(record["epoch"])
        if record["epoch"] == 2 and len(epochs_seen) in (2, 4):
            raise KeyboardInterrupt  # as if Ctrl-C came during epoch 2's bookkeeping

    with pytest.raises(KeyboardInterrupt) as err:
        train_ch5(lenet(), train_iter, test_iter, 5, 0.5, "cpu", verbose=False,
                  on_epoch=interrupt_in_epoch_two)
    assert epochs_seen == [1, 2] and len(err.value.history) == 2 and err.value.history.interrupted
    history = History()  # or kept on a History passed in, filled as the epochs finish
    with pytest.raises(KeyboardInterrupt):
        train_ch5(lenet(), train_iter, test_iter, 5, 0.5, "cpu", history=history, verbose=False,
                  on_epoch=interrupt_in_epoch_two)
    assert len(history) == 2 and history.interrupted


def test_the_cli_catches_ctrl_c_and_reports_the_epochs_done(isolated, fake_dir, monkeypatch, capsys):
    def interrupted_after_one(*args, history, **kwargs):
        history.loss.append(1.0)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "train_recipe", interrupted_after_one)
    assert cli.main(["train", "--device", "cpu", "--data-dir", str(fake_dir)]) == 130
    assert "Interrupted after 1 finished epoch(s) of lenet." in capsys.readouterr().err
