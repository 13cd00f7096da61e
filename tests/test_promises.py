"""The promises of d2l_utils' docstring, each checked where it was once broken: no helper shares
writable state with the learner, swallows an interrupt, moves the caller's random stream, or gives a
network back other than it went in; a device that does not fit is named, the same way on every machine."""

import dataclasses

import pytest
import torch

import d2l_utils
import d2l_utils.cli as cli
import d2l_utils.recipes as recipes
from d2l_utils import (
    History,
    lenet,
    lenet_modern,
    load_checkpoint,
    load_data_fashion_mnist,
    load_fashion_mnist_tensors,
    to_unit_range,
    train_ch5,
)
from d2l_utils.training import save_checkpoint

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


# --- a device that does not fit the network: named, the same way on every machine --------------------------


@pytest.mark.parametrize("helper", ["evaluate_accuracy", "predict_ch5", "predict_probabilities",
                                    "feature_maps", "weight_gradient_norms", "PredictionExplorer"])
def test_evaluation_helpers_name_a_device_that_is_not_the_networks(helper, fake_iters):
    """A CPU network and device="cuda": a ValueError naming both, without CUDA, before any work."""
    _, test_iter = fake_iters
    images, labels = test_iter.images[:4], test_iter.labels[:4]
    call = {"evaluate_accuracy": lambda net: d2l_utils.evaluate_accuracy(net, test_iter, "cuda"),
            "predict_ch5": lambda net: d2l_utils.predict_ch5(net, test_iter, 4, "cuda"),
            "predict_probabilities": lambda net: d2l_utils.predict_probabilities(net, images, "cuda"),
            "feature_maps": lambda net: d2l_utils.feature_maps(net, images, "cuda"),
            "weight_gradient_norms": lambda net: d2l_utils.weight_gradient_norms(
                net, to_unit_range(images), labels, "cuda"),
            "PredictionExplorer": lambda net: d2l_utils.PredictionExplorer(net, images, labels, "cuda",
                                                                            static=True)}[helper]
    net = lenet()
    with pytest.raises(ValueError) as err:
        call(net)
    message = str(err.value)
    assert "'cuda'" in message and "cpu" in message and "net.to('cuda')" in message, message
    assert message.count(". ") == 0 and message.endswith("."), message  # one sentence
    assert next(net.parameters()).device.type == "cpu"


def test_a_device_that_names_the_networks_is_accepted(fake_iters):
    _, test_iter = fake_iters
    net = lenet()
    assert 0 <= d2l_utils.evaluate_accuracy(net, test_iter, "cpu") <= 1
    assert d2l_utils.predict_probabilities(net, test_iter.images[:3], torch.device("cpu")).shape == (3, 10)


# --- checkpoints: the device first, "corrupted" only for what is ------------------------------------------


def test_a_checkpoint_saved_on_a_gpu_loads_on_the_cpu(tmp_path, monkeypatch):
    """Every storage tagged as a CUDA one when saved, as a GPU run writes it."""
    import torch.serialization

    net = lenet()
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    path = save_checkpoint(net, tmp_path / "gpu.pt", "lenet")
    monkeypatch.undo()
    loaded, _ = load_checkpoint(path, "lenet")
    assert next(loaded.parameters()).device.type == "cpu"
    assert torch.equal(loaded[0].weight, net[0].weight)


def test_a_device_this_machine_lacks_is_named_not_called_corruption(tmp_path):
    path = save_checkpoint(lenet(), tmp_path / "lenet.pt", "lenet")
    with pytest.raises(ValueError) as err:
        load_checkpoint(path, "lenet", "cuda:99")  # no machine has a hundredth GPU
    message = str(err.value)
    assert "'cuda:99'" in message and "does not have" in message and "corrupted" not in message, message
    assert load_checkpoint(path, "lenet", "cpu")[0] is not None  # the file itself is fine


# --- diagnostics leave batch norm's running statistics alone -----------------------------------------------


def test_weight_gradient_norms_leaves_batch_norm_statistics_alone():
    torch.manual_seed(0)
    net = lenet_modern()
    before = {name: b.clone() for name, b in net.named_buffers()}
    X, y = torch.rand(8, 1, 28, 28), torch.arange(8)
    rows = d2l_utils.weight_gradient_norms(net, X, y)
    assert len(rows) == 5 and all(value > 0 for _, value in rows)
    for name, b in net.named_buffers():
        assert torch.equal(b, before[name]), name
    assert net.training and all(p.grad is None for p in net.parameters())


# --- fast.py: no hook skipped if PyTorch renames what it reads ----------------------------------------------


def test_fused_forward_fuses_nothing_where_the_hook_dictionaries_are_gone(monkeypatch):
    """As if a PyTorch release renamed its private hook dictionaries: a hook could be missed, so the
    fused step is not taken (before, the missing names read as "no hook" and the step skipped hooks)."""
    import types

    import d2l_utils.fast as fast

    calls = []
    monkeypatch.setattr(fast.SigmoidAvgPool2, "apply", lambda X: calls.append(X) or X[:, :, ::2, ::2])
    net = lenet().to(memory_format=torch.channels_last)  # as train_ch5(fast=True) runs it
    X = torch.rand(2, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    fast.fused_forward(net)(X)
    assert calls, "the fused step runs where the dictionaries exist"
    calls.clear()
    monkeypatch.setattr(fast, "_torch_module", types.SimpleNamespace(), raising=False)
    assert torch.equal(fast.fused_forward(net)(X), net(X)) and not calls


# --- the caller's random stream is left alone; the checkpoint says what was used ----------------------------


def _next_draws_after(action) -> torch.Tensor:
    torch.manual_seed(123)
    action()
    return torch.rand(4)


def test_checkpoint_or_train_leaves_the_callers_random_stream_alone(isolated, fake_dir, tmp_path,
                                                                    monkeypatch):
    """Whether the checkpoint had to be trained or was only loaded, the next draws are the same."""
    monkeypatch.setenv("FASHION_MNIST_DIR", str(fake_dir))
    untouched = _next_draws_after(lambda: None)
    path = tmp_path / "lenet.pt"
    trained = _next_draws_after(lambda: d2l_utils.checkpoint_or_train(path, "lenet", 1, batch_size=32))
    loaded = _next_draws_after(lambda: d2l_utils.checkpoint_or_train(path, "lenet", 1, batch_size=32))
    assert torch.equal(trained, untouched) and torch.equal(loaded, untouched)


def test_train_recipe_and_the_ablation_leave_the_callers_random_stream_alone(isolated, fake_dir,
                                                                             fake_iters):
    untouched = _next_draws_after(lambda: None)
    recipe = _next_draws_after(lambda: recipes.train_recipe("lenet", 1, batch_size=32, seed=5,
                                                              root=fake_dir, verbose=False))
    train_iter, test_iter = fake_iters
    rows = _next_draws_after(lambda: d2l_utils.ablation(d2l_utils.subset(train_iter, 16), test_iter, 1,
                                                        rows=(("classic", {}),)))
    assert torch.equal(recipe, untouched) and torch.equal(rows, untouched)


def test_the_runs_over_seeds_leave_the_callers_random_stream_alone(isolated, fake_dir, tmp_path, monkeypatch):
    """recipe_runs and ablation_or_train, whether they train what is missing or only load it, and
    train_ablation (what the CLI's ablation and `make checkpoints` run): the next draws are the same."""
    monkeypatch.setenv("FASHION_MNIST_DIR", str(fake_dir))
    monkeypatch.setitem(recipes.RECIPES, "lenet", dataclasses.replace(recipes.RECIPES["lenet"], epochs=1))
    real = recipes.train_ablation
    monkeypatch.setattr(recipes, "train_ablation", lambda seeds, num_epochs, **kwargs: real(
        seeds, num_epochs, **{**kwargs, "batch_size": 32, "rows": recipes.ABLATION_ROWS[:1]}))
    untouched, folder = _next_draws_after(lambda: None), tmp_path / "ck"
    for _ in ("trained", "loaded"):
        runs = _next_draws_after(lambda: recipes.recipe_runs("lenet", (0, 1), batch_size=32,
                                                             folder=folder))
        table = _next_draws_after(lambda: recipes.ablation_or_train(seeds=(0, 1), num_epochs=1,
                                                                    folder=folder))
        assert torch.equal(runs, untouched) and torch.equal(table, untouched)
        assert sorted(p.name for p in folder.iterdir()) == ["ablation.json", "lenet.pt", "lenet_seed1.pt"]
    direct = _next_draws_after(lambda: real((2,), 1, batch_size=32, rows=recipes.ABLATION_ROWS[:1],
                                            root=fake_dir, verbose=False))
    assert torch.equal(direct, untouched)


def test_the_checkpoint_holds_the_learning_rate_used(isolated, fake_dir, tmp_path):
    for lr in (None, 0.5):
        path = tmp_path / f"lenet-{lr}.pt"
        recipes.train_recipe("lenet", 1, batch_size=32, lr=lr, root=fake_dir, save=path, verbose=False)
        saved = load_checkpoint(path, model="lenet")[1]["meta"]["lr"]
        assert saved is not None, "the recipe's own learning rate was used, and must be saved"
        assert saved == (recipes.RECIPES["lenet"].lr if lr is None else lr)


# --- no helper changes its arguments ----------------------------------------------------------------------


def _networks():
    """Networks in the states a learner hands over: each mode, each memory layout, a frozen layer."""
    torch.manual_seed(0)
    classic = lenet()  # training mode, NCHW
    modern = lenet_modern().eval().to(memory_format=torch.channels_last)
    modern(torch.rand(4, 1, 28, 28))  # (evaluation mode: the running statistics stay at their start)
    frozen = lenet_modern()
    with torch.no_grad():
        for m in frozen.modules():
            if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-0.1, 0.1)  # statistics a trained network would have
    frozen[1].weight.requires_grad_(False)
    frozen[1].weight.grad = torch.ones_like(frozen[1].weight)  # a gradient left by the learner
    frozen[7].eval()  # one layer in evaluation mode, the rest training
    return {"lenet, training, NCHW": classic, "lenet_modern, evaluation, channels-last": modern,
            "lenet_modern, mixed modes, a frozen layer with a gradient": frozen}


def _network_state(net):
    tensors = dict(net.named_parameters()) | dict(net.named_buffers())
    return {"values": {n: t.detach().clone() for n, t in tensors.items()},
            "strides": {n: t.stride() for n, t in tensors.items()},
            "requires_grad": {n: p.requires_grad for n, p in net.named_parameters()},
            "grads": {n: None if p.grad is None else (p.grad.clone(), p.grad.stride())
                      for n, p in net.named_parameters()},
            "modes": [m.training for m in net.modules()]}


def _same_state(before, after):
    assert before["values"].keys() == after["values"].keys()
    for name, value in before["values"].items():
        assert torch.equal(value, after["values"][name]), f"{name} changed"
    assert before["strides"] == after["strides"], "memory layout changed"
    assert before["requires_grad"] == after["requires_grad"] and before["modes"] == after["modes"]
    for name, grad in before["grads"].items():
        other = after["grads"][name]
        assert (grad is None) == (other is None), f"{name}.grad appeared or vanished"
        if grad is not None:
            assert torch.equal(grad[0], other[0]) and grad[1] == other[1], f"{name}.grad changed"


def _batches():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (12, 1, 28, 28), dtype=torch.uint8, generator=g)
    return d2l_utils.TensorBatches(images, torch.arange(12) % 10, 4)


# Each helper that takes a network, called as a notebook does (the data made fresh for each call).
USES_A_NETWORK = {
    "evaluate_accuracy": lambda net, it: d2l_utils.evaluate_accuracy(net, it),
    "evaluate_accuracy(fast=False)": lambda net, it: d2l_utils.evaluate_accuracy(net, it, fast=False),
    "predict_ch5": lambda net, it: d2l_utils.predict_ch5(net, it, 4),
    "predict_probabilities": lambda net, it: d2l_utils.predict_probabilities(net, it.images, batch_size=5),
    "feature_maps": lambda net, it: d2l_utils.feature_maps(net, it.images[:3]),
    "weight_gradient_norms": lambda net, it: d2l_utils.weight_gradient_norms(
        net, to_unit_range(it.images[:8]), it.labels[:8]),
    "PredictionExplorer": lambda net, it: d2l_utils.PredictionExplorer(net, it.images, it.labels, static=True
                                                                        ).figure(),
    "count_parameters": lambda net, it: d2l_utils.count_parameters(net),
    "parameter_table": lambda net, it: d2l_utils.parameter_table(net),
    "weight_layers": lambda net, it: d2l_utils.weight_layers(net),
    "modern_setup": lambda net, it: d2l_utils.modern_setup(net, 2, len(it)),
}


@pytest.mark.parametrize("network", list(_networks()))
@pytest.mark.parametrize("helper", list(USES_A_NETWORK))
def test_no_helper_changes_the_network_or_the_data_it_is_given(helper, network):
    import matplotlib.pyplot as plt

    net, data = _networks()[network], _batches()
    before, images, labels = _network_state(net), data.images.clone(), data.labels.clone()
    USES_A_NETWORK[helper](net, data)
    plt.close("all")
    _same_state(before, _network_state(net))
    assert torch.equal(data.images, images) and torch.equal(data.labels, labels)


@pytest.mark.parametrize("network", list(_networks()))
@pytest.mark.parametrize("trainer", ["train_ch5", "train_ch5(fast=False)", "first_steps"])
def test_training_gives_the_network_back_as_it_went_in_but_for_its_weights(trainer, network):
    net, data = _networks()[network], _batches()
    before, images = _network_state(net), data.images.clone()
    if trainer == "first_steps":
        d2l_utils.first_steps(net, data, torch.optim.SGD(net.parameters(), lr=0.01), steps=2)
    else:
        train_ch5(net, data, data, 1, 0.01, fast=trainer == "train_ch5", verbose=False)
    after = _network_state(net)
    assert after["strides"] == before["strides"] and after["modes"] == before["modes"]
    assert after["requires_grad"] == before["requires_grad"]
    frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
    assert all(torch.equal(before["values"][n], after["values"][n]) for n in frozen)  # no gradient: no step
    assert torch.equal(data.images, images)


TENSORS_IN = {
    "to_unit_range": lambda t: to_unit_range(t["images"]),
    "confusion_matrix": lambda t: d2l_utils.confusion_matrix(t["predictions"], t["labels"]),
    "per_class_accuracy": lambda t: d2l_utils.per_class_accuracy(t["cm"]),
    "most_confused_pairs": lambda t: d2l_utils.most_confused_pairs(t["cm"], 3),
    "most_confident_mistakes": lambda t: d2l_utils.most_confident_mistakes(t["probabilities"], t["labels"]),
    "get_fashion_mnist_labels": lambda t: d2l_utils.get_fashion_mnist_labels(t["labels"]),
    "random_hflip": lambda t: d2l_utils.random_hflip(t["floats"]),
    "subset": lambda t: list(d2l_utils.subset(d2l_utils.TensorBatches(t["images"], t["labels"], 4), 8)),
    "show_images": lambda t: d2l_utils.show_images(t["images"][:4], 2, 2),
    "show_fashion_mnist": lambda t: d2l_utils.show_fashion_mnist(t["images"][:3], t["labels"][:3]),
    "show_maps": lambda t: d2l_utils.show_maps(list(t["floats"][:2]), ["a", "b"], signed=True),
    "plot_channels": lambda t: d2l_utils.plot_channels(t["images"][:2], t["floats"][:2], "maps"),
    "plot_flattened_neighbours": lambda t: d2l_utils.plot_flattened_neighbours(t["images"][0], 5, 5),
    "plot_confusion_matrix": lambda t: d2l_utils.plot_confusion_matrix(t["cm"]),
    "DatasetBrowser": lambda t: d2l_utils.DatasetBrowser(t["images"], t["labels"], static=True).figure(),
    "ConvExplorer": lambda t: d2l_utils.ConvExplorer(t["floats"][0], static=True).figure(),
}


@pytest.mark.parametrize("helper", list(TENSORS_IN))
def test_no_helper_changes_the_tensors_it_is_given(helper):
    import matplotlib.pyplot as plt

    g = torch.Generator().manual_seed(1)
    probabilities = torch.rand(12, 10, generator=g).softmax(dim=1)
    tensors = {"images": torch.randint(0, 256, (12, 1, 28, 28), dtype=torch.uint8, generator=g),
               "floats": torch.rand(12, 1, 28, 28, generator=g), "labels": torch.arange(12) % 10,
               "probabilities": probabilities, "predictions": probabilities.argmax(dim=1),
               "cm": torch.randint(0, 9, (10, 10), generator=g)}
    kept = {name: (t.clone(), t.stride()) for name, t in tensors.items()}
    TENSORS_IN[helper](tensors)
    plt.close("all")
    for name, (value, stride) in kept.items():
        assert torch.equal(tensors[name], value) and tensors[name].stride() == stride, name
