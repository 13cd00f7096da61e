"""d2l_utils.training: device choice, accuracy, the training loop (plain and fast), predictions and
checkpoints (writing, every way reading one can fail, where they are looked for)."""

import math
import os
import stat
from pathlib import Path

import pytest
import torch
from torch import nn

import d2l_utils.training as training
from d2l_utils import (
    TEXT_LABELS,
    CheckpointError,
    History,
    evaluate_accuracy,
    lenet,
    lenet_modern,
    load_checkpoint,
    predict_ch5,
    train_ch5,
    try_gpu,
    weight_layers,
)
from d2l_utils.training import check_writable, checkpoint_dir, evaluation_mode, save_checkpoint

# --- device and accuracy ----------------------------------------------------------------------------------


def test_try_gpu_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert try_gpu() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert try_gpu() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert try_gpu() == torch.device("cuda:0") and try_gpu(1) == torch.device("cuda:1")
    assert try_gpu(2) == torch.device("mps")  # no third GPU: the next best


class Oracle(nn.Module):
    """Reads the class off the fake images' bright bar: perfect on them."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        rows = X[:, 0, :, 4:24].mean(dim=2)  # brightness of each row
        label = (rows.argmax(dim=1) - 2) // 2
        return nn.functional.one_hot(label.clamp(0, 9), 10).float() + self.dummy


@pytest.mark.parametrize("fast", [True, False])
def test_evaluate_accuracy_counts_and_restores_mode(fake_iters, fast):
    _, test_iter = fake_iters
    net = Oracle().train()
    assert evaluate_accuracy(net, test_iter, fast=fast) == 1.0
    assert net.training  # the caller's mode is restored ...
    net.eval()
    assert evaluate_accuracy(net, test_iter, fast=fast) == 1.0
    assert not net.training  # ... whichever it was
    wrong = lambda X: torch.zeros(len(X), 10).index_fill_(1, torch.tensor([3]), 1.0)  # noqa: E731
    assert evaluate_accuracy(wrong, test_iter, device="cpu", fast=fast) == pytest.approx(3 / 32)


def test_evaluate_accuracy_runs_in_eval_mode_without_gradients(fake_iters):
    _, test_iter = fake_iters
    seen = []

    class Spy(Oracle):
        def forward(self, X):
            seen.append((self.training, torch.is_grad_enabled()))
            return super().forward(X)

    evaluate_accuracy(Spy().train(), test_iter, fast=False)
    assert seen and all(mode == (False, False) for mode in seen)


def test_fast_and_plain_evaluation_agree(fake_iters):
    train_iter, test_iter = fake_iters
    torch.manual_seed(0)
    net = lenet().apply(training.init_weights)
    train_ch5(net, train_iter, test_iter, 2, 0.9, "cpu", verbose=False)
    for data in (train_iter, test_iter):
        assert evaluate_accuracy(net, data, fast=True) == evaluate_accuracy(net, data, fast=False)


# --- the training loop ------------------------------------------------------------------------------------


def test_training_lowers_the_loss(fake_iters, capsys):
    torch.manual_seed(0)
    train_iter, test_iter = fake_iters
    net, records = nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), []
    history = train_ch5(net, train_iter, test_iter, 6, 0.1, "cpu", on_epoch=records.append)
    assert len(history) == 6 and not history.interrupted
    assert history.loss[-1] < history.loss[0] - 0.5 and history.test_acc[-1] > 0.5
    assert [r["epoch"] for r in records] == list(range(1, 7))
    assert set(records[0]) == {"epoch", "loss", "train_acc", "test_acc", "sec"}
    assert records[-1] == history.epoch(5) and history.as_dict()["loss"] == history.loss
    out = capsys.readouterr().out
    assert "training on cpu" in out and out.count("test acc") == 7  # 6 epochs and the summary


def test_reported_loss_is_the_mean_per_example(fake_iters):
    """An untrained 10-class net scores near ln 10 = 2.30 per example (not 2.30 / batch size)."""
    torch.manual_seed(0)
    train_iter, test_iter = fake_iters
    history = train_ch5(lenet(), train_iter, test_iter, 1, 1e-9, "cpu", verbose=False)
    assert math.log(10) - 0.1 < history.loss[0] < math.log(10) + 0.5


def test_sum_and_mean_losses_report_the_same_mean(fake_iters):
    train_iter, test_iter = fake_iters
    results = []
    for reduction, lr in (("mean", 0.5), ("sum", 0.5 / 16)):
        torch.manual_seed(0)
        h = train_ch5(lenet(), train_iter, test_iter, 2, lr, "cpu",
                      loss=nn.CrossEntropyLoss(reduction=reduction), verbose=False)
        results.append(h.loss)
    assert results[0] == pytest.approx(results[1], rel=1e-4)
    assert 1.5 < results[0][0] < 3.0  # a mean per example for both, not a sum over a batch


def test_an_interrupt_propagates_with_the_finished_epochs_kept(fake_iters, capsys):
    train_iter, test_iter = fake_iters

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

    history = History()
    with pytest.raises(KeyboardInterrupt) as err:
        train_ch5(lenet(), InterruptedIter(), test_iter, 5, 0.9, "cpu", history=history)
    assert history.interrupted and len(history) == 1 and err.value.history is history
    assert len(history.test_acc) == len(history.sec) == 1
    assert "Interrupted after 1 finished epoch(s)" in capsys.readouterr().out


def test_needs_lr_or_an_optimizer_not_both(fake_iters):
    train_iter, test_iter = fake_iters
    with pytest.raises(ValueError, match="needs a learning rate"):
        train_ch5(lenet(), train_iter, test_iter, 1, None, "cpu")
    net = lenet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="pass lr=None with an optimizer"):
        train_ch5(net, train_iter, test_iter, 1, 0.5, "cpu", optimizer=optimizer)  # which would count?
    history = train_ch5(net, train_iter, test_iter, 1, None, "cpu", optimizer=optimizer,
                        verbose=False)  # an optimizer alone is enough
    assert len(history) == 1


def test_loss_defaults_to_cross_entropy(fake_iters):
    train_iter, test_iter = fake_iters
    runs = []
    for loss in (None, nn.CrossEntropyLoss()):
        torch.manual_seed(0)
        runs.append(train_ch5(lenet(), train_iter, test_iter, 1, 0.5, "cpu", loss=loss, verbose=False).loss)
    assert runs[0] == runs[1]
    torch.manual_seed(0)
    smoothed = train_ch5(lenet(), train_iter, test_iter, 1, 0.5, "cpu",
                         loss=nn.CrossEntropyLoss(label_smoothing=0.5), verbose=False)
    assert smoothed.loss != runs[0]  # the loss given is the one used


def test_scheduler_and_augment_run_once_per_batch(fake_iters):
    train_iter, test_iter = fake_iters
    calls = {"augment": 0}

    def augment(X):
        calls["augment"] += 1
        return X

    net = lenet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train_ch5(net, train_iter, test_iter, 2, None, "cpu", optimizer=optimizer, scheduler=scheduler,
              augment=augment, verbose=False)
    assert calls["augment"] == 2 * len(train_iter) == scheduler.last_epoch
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 12)


# --- no surprises: only init=True re-initialises; the network comes back as it went in -------------------


def test_a_trained_net_keeps_its_weights_with_a_tiny_learning_rate(fake_iters):
    """Training a loaded or trained network a little more goes on from its weights (the default,
    init=False); only init=True, asked for by name, draws new Xavier weights."""
    train_iter, test_iter = fake_iters
    torch.manual_seed(0)
    net = lenet()
    train_ch5(net, train_iter, test_iter, 3, 0.9, "cpu", init=True, verbose=False)
    trained = [p.detach().clone() for p in net.parameters()]
    accuracy = evaluate_accuracy(net, test_iter)
    train_ch5(net, train_iter, test_iter, 1, 1e-9, "cpu", verbose=False)
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(net.parameters(), trained))
    assert evaluate_accuracy(net, test_iter) == accuracy
    torch.manual_seed(1)
    train_ch5(net, train_iter, test_iter, 1, 0.0, "cpu", init=True, verbose=False)
    expected = lenet()
    torch.manual_seed(1)
    expected.apply(training.init_weights)
    weights = [(a.weight, b.weight) for (_, a), (_, b) in zip(weight_layers(net), weight_layers(expected))]
    assert all(torch.equal(w, v) for w, v in weights)  # new Xavier weights (the biases are kept)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_the_net_comes_back_in_its_memory_layout_and_mode(fake_iters, fast, mode):
    train_iter, test_iter = fake_iters
    net = getattr(lenet_modern(), mode)()
    net[7].eval()  # one layer in another mode than the rest: each layer gets its own mode back
    train_ch5(net, train_iter, test_iter, 1, 0.5, "cpu", fast=fast, verbose=False)
    assert net[5].weight.view(16, -1).shape == (16, 150)  # notebook 02's view works: NCHW weights
    assert all(p.is_contiguous() for p in net.parameters())
    assert all(p.grad.stride() == p.stride() for p in net.parameters())
    assert [m.training for m in net.modules()] == [m is not net[7] and mode == "train" for m in net.modules()]


def test_a_channels_last_net_stays_channels_last(fake_iters):
    train_iter, test_iter = fake_iters
    net = lenet().to(memory_format=torch.channels_last)
    train_ch5(net, train_iter, test_iter, 1, 0.5, "cpu", fast=False, verbose=False)  # NCHW batches
    assert net[3].weight.is_contiguous(memory_format=torch.channels_last)
    assert not net[3].weight.is_contiguous()


def test_the_net_comes_back_as_it_went_in_after_ctrl_c(fake_iters, capsys):
    train_iter, test_iter = fake_iters

    def interrupt(X):
        raise KeyboardInterrupt

    net = lenet().eval()
    with pytest.raises(KeyboardInterrupt) as err:
        train_ch5(net, train_iter, test_iter, 2, 0.9, "cpu", augment=interrupt)
    assert err.value.history.interrupted and len(err.value.history) == 0
    assert net[3].weight.view(16, -1).shape == (16, 150) and not net.training
    def broken(y_hat, y):
        raise RuntimeError("broken batch")

    with pytest.raises(RuntimeError, match="broken batch"):  # any other error is raised, the net given back
        train_ch5(net, train_iter, test_iter, 1, 0.9, "cpu", loss=broken, verbose=False)
    assert net[3].weight.view(16, -1).shape == (16, 150) and not net.training


def test_device_none_means_the_nets_own_device_and_nothing_moves_it(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    net = lenet()
    moved = []
    monkeypatch.setattr(nn.Module, "to", lambda self, *a, **k: moved.append((a, k)) or self)
    train_ch5(net, train_iter, test_iter, 1, 0.5, None, fast=False, verbose=False)
    assert moved == [((torch.device("cpu"),), {"memory_format": torch.contiguous_format})]
    assert training.net_device(net) == torch.device("cpu") == training.net_device(lambda X: X)
    assert training.net_device(net, "meta") == torch.device("meta")


class Probe(nn.Module):
    """Records the strides of each batch it passes through (a layer, so no hook changes the path),
    and whether ``layer``'s weight is in channels-last memory then."""

    def __init__(self, layer=None):
        super().__init__()
        self.seen, self.layer, self.weight_channels_last = [], layer, []

    def forward(self, X):
        self.seen.append((tuple(X.shape), X.stride()))
        if self.layer is not None:
            self.weight_channels_last.append(not self.layer.weight.is_contiguous())
        return X


@pytest.mark.parametrize("fast", [True, False])
def test_fast_runs_channels_last_batches_and_plain_runs_nchw(fake_iters, fast):
    train_iter, test_iter = fake_iters
    classic = list(lenet())
    first, second = Probe(), Probe(layer=classic[3])
    net = nn.Sequential(first, *classic[:3], second, *classic[3:])  # probes before conv1 and conv2
    train_ch5(net, train_iter, test_iter, 1, 0.9, "cpu", fast=fast, verbose=False)
    # (B, 1, 28, 28): channels-last strides (784, 1, 28, 1), NCHW strides (784, 784, 28, 1);
    # is_contiguous() cannot tell them apart with one channel, the strides can.
    expected = (784, 1, 28, 1) if fast else (784, 784, 28, 1)
    # training batches, then the test set (32 images: one batch, as fast=True reads at least 256 at once)
    assert len(first.seen) == len(train_iter) + (1 if fast else len(test_iter))
    assert all(stride == expected for _, stride in first.seen), first.seen
    # (B, 6, 14, 14) after the first unit: unambiguous
    for shape, stride in second.seen:
        X = torch.empty_strided(shape, stride)
        assert X.is_contiguous(memory_format=torch.channels_last) == fast
        assert X.is_contiguous() == (not fast)
    assert set(second.weight_channels_last) == {fast}  # conv2's weight follows the batches' layout,
    assert classic[3].weight.is_contiguous()  # and comes back in the layout it had


def test_live_plot_draws_each_epoch_and_closes_its_figure(fake_iters, monkeypatch):
    import matplotlib.pyplot as plt
    from IPython import display as ipy_display

    shown = []

    class Handle:
        def update(self, fig):
            shown.append([len(line.get_xdata()) for line in fig.axes[0].lines])

    monkeypatch.setattr(ipy_display, "display", lambda *args, **kwargs: Handle())
    train_iter, test_iter = fake_iters
    plt.close("all")
    train_ch5(lenet(), train_iter, test_iter, 3, 0.5, "cpu", verbose=False, plot=True)
    assert shown == [[1, 1, 1], [2, 2, 2], [3, 3, 3]]  # loss, train acc, test acc grow each epoch
    assert plt.get_fignums() == []


def test_predict_ch5_names_and_draws(fake_iters):
    import matplotlib.pyplot as plt

    _, test_iter = fake_iters
    net = Oracle().train()
    plt.close("all")
    predicted, true = predict_ch5(net, test_iter, n=6)
    assert predicted == true == [TEXT_LABELS[i % 10] for i in range(6)]
    fig = plt.gcf()
    assert len([ax for ax in fig.axes if ax.images]) == 6
    plt.close("all")


# --- checkpoints: writing ---------------------------------------------------------------------------------


def small_history():
    return History(loss=[2.0], train_acc=[0.3], test_acc=[0.4], sec=[1.0])


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    net = lenet().to(memory_format=torch.channels_last)
    path = save_checkpoint(net, tmp_path / "ck" / "lenet.pt", "lenet", small_history(), lr=0.9)
    assert path == tmp_path / "ck" / "lenet.pt"
    assert [p.name for p in path.parent.iterdir()] == ["lenet.pt"]  # no temporary file left behind
    loaded, payload = load_checkpoint(path)
    X = torch.rand(4, 1, 28, 28)
    net.eval()
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), net.state_dict().values()))
    assert torch.allclose(loaded(X), net(X), atol=1e-6)  # (other memory layout: other rounding)
    assert payload["model"] == "lenet" and payload["history"]["test_acc"] == [0.4]
    assert payload["meta"] == {"lr": 0.9} and History(**payload["history"]).loss == [2.0]
    assert not loaded.training
    modern = lenet_modern()
    save_checkpoint(modern, tmp_path / "m.pt", "lenet-modern")  # no history
    loaded, payload = load_checkpoint(tmp_path / "m.pt", model="lenet-modern")
    assert type(loaded[0]).__name__ == "Normalize" and payload["history"] is None


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(lenet(), tmp_path / "lenet.pt", "lenet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_checkpoint_permissions_follow_the_umask_which_is_left_alone(tmp_path, monkeypatch, umask):
    old = os.umask(umask)
    try:
        def no_umask(*args):
            raise AssertionError("save_checkpoint must not touch the process-wide umask")

        monkeypatch.setattr(os, "umask", no_umask)
        path = save_checkpoint(lenet(), tmp_path / "lenet.pt", "lenet")
        monkeypatch.undo()
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
        assert os.umask(umask) == umask  # (reads it back) unchanged
    finally:
        os.umask(old)


# --- checkpoints: every way reading one fails names the file and the fix ----------------------------------


def expect_checkpoint_error(path, fragment, **kwargs):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, **kwargs)
    message = str(err.value)
    assert fragment in message, message
    assert str(path) in message and "make checkpoints" in message, message
    assert "\n" not in message  # one paragraph
    return message


def test_missing_checkpoint(tmp_path):
    expect_checkpoint_error(tmp_path / "nope.pt", "does not exist")
    expect_checkpoint_error(tmp_path, "does not exist")  # a folder is no checkpoint either


def test_truncated_checkpoint(tmp_path):
    path = save_checkpoint(lenet(), tmp_path / "lenet.pt", "lenet", small_history())
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    expect_checkpoint_error(path, "truncated or corrupted")
    path.write_bytes(raw[:10])
    expect_checkpoint_error(path, "truncated or corrupted")


def test_empty_checkpoint(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    expect_checkpoint_error(path, "truncated or corrupted")


def test_checkpoint_of_another_model(tmp_path):
    path = save_checkpoint(lenet(), tmp_path / "lenet.pt", "lenet")
    message = expect_checkpoint_error(path, "holds a 'lenet' network, not the 'lenet-modern'",
                                      model="lenet-modern")
    assert "Pass the right file" in message
    assert load_checkpoint(path, model="lenet")[1]["model"] == "lenet"


@pytest.mark.parametrize("payload", [[1, 2, 3], {"weights": torch.zeros(2)},
                                     {"model": "alexnet", "state_dict": {}}, torch.zeros(3)])
def test_checkpoint_of_another_format(tmp_path, payload):
    path = tmp_path / "other.pt"
    torch.save(payload, path)
    expect_checkpoint_error(path, "is not one of d2l_utils' checkpoints")


def test_weights_that_do_not_fit(tmp_path):
    path = tmp_path / "mixed.pt"
    torch.save({"model": "lenet", "state_dict": lenet_modern().state_dict(), "history": None}, path)
    expect_checkpoint_error(path, "do not fit the 'lenet' network")


def test_checkpoint_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": "lenet", "state_dict": lenet().state_dict(), "payload": History}, path)
    message = expect_checkpoint_error(path, "holds Python objects besides weights")
    assert "weights only" in message


# --- checkpoints: where they may be written, where they are looked for ------------------------------------


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "a" / "b" / "x.pt") == tmp_path / "a" / "b" / "x.pt"
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []
    with pytest.raises(CheckpointError, match="it is a folder") as err:
        check_writable(tmp_path)
    assert str(tmp_path) in str(err.value)
    with pytest.raises(CheckpointError) as err:
        check_writable("/proc/nope/x.pt")
    assert "/proc/nope/x.pt" in str(err.value) and "cannot save to" in str(err.value)


def test_check_writable_refuses_a_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(CheckpointError, match="locked/x.pt"):
        check_writable(locked / "x.pt")


def test_checkpoint_dir_order(tmp_path, monkeypatch):
    monkeypatch.delenv("D2L_CHECKPOINT_DIR", raising=False)
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / "notebooks").mkdir(parents=True)
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert checkpoint_dir() == Path("checkpoints")  # the default: ./checkpoints, even if missing
    monkeypatch.chdir(repo / "notebooks")
    assert checkpoint_dir() == Path("checkpoints")  # no ../checkpoints yet
    (repo / "checkpoints").mkdir()
    assert checkpoint_dir() == Path("..", "checkpoints")  # a notebook's view of the collection
    (repo / "notebooks" / "checkpoints").mkdir()
    assert checkpoint_dir() == Path("checkpoints")  # ./checkpoints before ../checkpoints
    monkeypatch.chdir(repo)
    assert checkpoint_dir().resolve() == (repo / "checkpoints")  # the CLI's view
    monkeypatch.setenv("D2L_CHECKPOINT_DIR", str(elsewhere))
    assert checkpoint_dir() == elsewhere  # the environment variable before the folders
    assert checkpoint_dir(tmp_path / "given") == tmp_path / "given"  # the argument before everything
    monkeypatch.setenv("D2L_CHECKPOINT_DIR", "~/ck")
    assert checkpoint_dir() == Path.home() / "ck"
    monkeypatch.setenv("D2L_CHECKPOINT_DIR", "")
    assert checkpoint_dir() == Path("checkpoints")  # an empty variable counts as unset


def test_evaluation_mode_restores_the_mode_even_after_an_error():
    net = lenet_modern().train()
    with evaluation_mode(net):
        assert not net.training and not net[2].training
    assert net.training and net[2].training
    with pytest.raises(RuntimeError, match="inside"), evaluation_mode(net):
        assert not net.training
        raise RuntimeError("an error inside the block")
    assert net.training
    net.eval()
    with evaluation_mode(net):
        pass
    assert not net.training  # a network in evaluation mode stays there


def test_predict_ch5_gives_back_the_training_mode(monkeypatch):
    import d2l_utils.plots as plots
    monkeypatch.setattr(plots, "show_predictions", lambda *a, **k: None)
    net = lenet().train()
    batches = [(torch.rand(10, 1, 28, 28), torch.randint(0, 10, (10,)))]
    predicted, true = predict_ch5(net, batches, n=4)
    assert len(predicted) == 4 and len(true) == 4 and net.training


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_no_helper_moves_the_net_back_to_the_cpu(fake_iters):
    from d2l_utils import feature_maps, first_steps, predict_probabilities, weight_gradient_norms

    train_iter, test_iter = fake_iters
    net = lenet()
    train_ch5(net, train_iter, test_iter, 1, 0.5, "cuda", verbose=False)
    assert net[3].weight.is_cuda and net[3].weight.is_contiguous()  # on the GPU asked for, NCHW again
    X, y = next(iter(train_iter))
    assert 0 <= evaluate_accuracy(net, test_iter) <= 1 and predict_probabilities(net, X).device.type == "cpu"
    assert list(feature_maps(net, X)) == ["conv1", "conv2"] and len(weight_gradient_norms(net, X, y)) == 5
    assert len(first_steps(net, train_iter, torch.optim.SGD(net.parameters(), lr=0.1), steps=1)["loss"]) == 1
    assert all(p.is_cuda for p in net.parameters())
