"""Device choice, accuracy, the training loop, interrupts and checkpoints."""

import math

import pytest
import torch
from torch import nn

import d2l_utils
from d2l_utils import History, evaluate_accuracy, lenet, load_checkpoint, save_checkpoint, train_ch5, try_gpu
from d2l_utils.data import TensorBatches


def test_try_gpu_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert try_gpu() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert try_gpu() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert try_gpu() == torch.device("cuda:0") and try_gpu(1) == torch.device("cuda:1")


class Oracle(nn.Module):
    """Reads the class off the fake images' bright bar: perfect on them."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        rows = X[:, 0, :, 4:24].mean(dim=2)  # brightness of each row
        label = (rows.argmax(dim=1) - 2) // 2
        return nn.functional.one_hot(label.clamp(0, 9), 10).float() + self.dummy


def _fake_iters(fake_dir, batch_size=16):
    return d2l_utils.load_data_fashion_mnist(batch_size, root=fake_dir)


def test_evaluate_accuracy_counts_and_restores_mode(isolated, fake_dir):
    train_iter, test_iter = _fake_iters(fake_dir)
    net = Oracle().train()
    assert evaluate_accuracy(test_iter, net) == 1.0
    assert net.training  # the caller's mode is restored
    wrong = lambda X: torch.zeros(len(X), 10).index_fill_(1, torch.tensor([3]), 1.0)  # noqa: E731
    assert evaluate_accuracy(test_iter, wrong, device="cpu") == pytest.approx(3 / 32)


def test_training_lowers_the_loss(isolated, fake_dir, capsys):
    torch.manual_seed(0)
    train_iter, test_iter = _fake_iters(fake_dir)
    net, records = nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), []
    history = train_ch5(net, train_iter, test_iter, nn.CrossEntropyLoss(), 6, 16, "cpu", lr=0.1,
                        progress=False, on_epoch=records.append)
    assert len(history) == 6 and not history.interrupted
    assert history.loss[-1] < history.loss[0] - 0.5 and history.test_acc[-1] > 0.5
    assert [r["epoch"] for r in records] == list(range(1, 7))
    assert set(records[0]) == {"epoch", "loss", "train_acc", "test_acc", "sec"}
    out = capsys.readouterr().out
    assert "training on cpu" in out and out.count("test acc") == 7  # 6 epochs and the summary


def test_reported_loss_is_the_mean_per_example(isolated, fake_dir):
    """An untrained 10-class net scores near ln 10 = 2.30 per example (not 2.30 / batch size)."""
    torch.manual_seed(0)
    train_iter, test_iter = _fake_iters(fake_dir)
    history = train_ch5(lenet(), train_iter, test_iter, nn.CrossEntropyLoss(), 1, 16, "cpu", lr=1e-9,
                        progress=False, verbose=False)
    assert math.log(10) - 0.1 < history.loss[0] < math.log(10) + 0.5


def test_sum_and_mean_losses_report_the_same_mean(isolated, fake_dir):
    results = []
    for reduction, lr in (("mean", 0.5), ("sum", 0.5 / 16)):
        torch.manual_seed(0)
        train_iter, test_iter = _fake_iters(fake_dir)
        h = train_ch5(lenet(), train_iter, test_iter, nn.CrossEntropyLoss(reduction=reduction), 2, 16,
                      "cpu", lr=lr, progress=False, verbose=False)
        results.append(h.loss)
    assert results[0] == pytest.approx(results[1], rel=1e-4)


def test_interrupt_returns_finished_epochs(isolated, fake_dir, capsys):
    train_iter, test_iter = _fake_iters(fake_dir)

    class InterruptedIter:
        batch_size, epochs = 16, 0

        def __len__(self):
            return len(train_iter)

        def __iter__(self):
            self.epochs += 1
            for i, batch in enumerate(train_iter):
                if self.epochs == 2 and i == 2:
                    raise KeyboardInterrupt
                yield batch

    history = train_ch5(lenet(), InterruptedIter(), test_iter, nn.CrossEntropyLoss(), 5, 16, "cpu",
                        lr=0.9, progress=False)
    assert history.interrupted and len(history) == 1
    assert "interrupted: returning the 1 finished epoch(s)" in capsys.readouterr().out


def test_needs_lr_or_optimizer(isolated, fake_dir):
    train_iter, test_iter = _fake_iters(fake_dir)
    with pytest.raises(ValueError, match="lr"):
        train_ch5(lenet(), train_iter, test_iter, nn.CrossEntropyLoss(), 1, 16, "cpu", progress=False)


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    net = lenet().to(memory_format=torch.channels_last)
    history = History(loss=[2.0], train_acc=[0.3], test_acc=[0.4], sec=[1.0])
    path = save_checkpoint(net, tmp_path / "ck" / "lenet.pt", "lenet", history, lr=0.9)
    assert [p.name for p in path.parent.iterdir()] == ["lenet.pt"]  # no temporary file left behind
    loaded, payload = load_checkpoint(path)
    X = torch.rand(4, 1, 28, 28)
    net.eval()
    assert torch.allclose(loaded(X), net(X), atol=1e-6)
    assert payload["history"]["test_acc"] == [0.4] and payload["meta"] == {"lr": 0.9}
    assert not loaded.training


def test_checkpoint_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": "lenet", "state_dict": {}, "payload": History}, path)  # a class, not weights
    with pytest.raises(Exception, match="[Ww]eights only"):
        load_checkpoint(path)


def test_tensor_batches_rejects_bad_batch_size():
    with pytest.raises(ValueError):
        TensorBatches(torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), 0)


def test_live_plot_draws_each_epoch_and_closes_its_figure(isolated, fake_dir, monkeypatch):
    import matplotlib.pyplot as plt
    from IPython import display as ipy_display

    shown = []

    class Handle:
        def update(self, fig):
            shown.append([len(line.get_xdata()) for line in fig.axes[0].lines])

    monkeypatch.setattr(ipy_display, "display", lambda *args, **kwargs: Handle())
    train_iter, test_iter = _fake_iters(fake_dir)
    train_ch5(lenet(), train_iter, test_iter, nn.CrossEntropyLoss(), 3, 16, "cpu", lr=0.5,
              progress=False, verbose=False, plot=True)
    assert shown == [[1, 1, 1], [2, 2, 2], [3, 3, 3]]  # loss, train acc, test acc grow each epoch
    assert plt.get_fignums() == []
