"""d2l_utils.recipes: the flip augmentation, the modern set-up, both recipes on small fake data, the
CLI's train_recipe, the ablation and checkpoint_or_train (both branches); every recipe over seeds
(recipe_runs) and the ablation over seeds (train_ablation, load_ablation, ablation_or_train)."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from torch import nn

import d2l_utils.recipes as recipes
from d2l_utils import (
    CheckpointError,
    History,
    ablation,
    checkpoint_or_train,
    lenet,
    lenet_modern,
    load_checkpoint,
    modern_setup,
    random_hflip,
    subset,
    train_classic,
    train_modern,
)
from d2l_utils.recipes import ABLATION_ROWS, RECIPES, train_recipe
from d2l_utils.training import save_checkpoint

# --- the flip augmentation --------------------------------------------------------------------------------


def mirror(img):
    """Left-right mirror written out, column by column (no torch.flip)."""
    width = img.shape[-1]
    return torch.stack([img[..., width - 1 - c] for c in range(width)], dim=-1)


def test_random_hflip_mirrors_a_random_subset_exactly():
    g = torch.Generator().manual_seed(1)
    X = torch.rand(200, 1, 28, 28, generator=g)
    torch.manual_seed(0)
    Y = random_hflip(X)
    assert Y.shape == X.shape and Y.dtype == X.dtype
    kept = [torch.equal(y, x) for x, y in zip(X, Y)]
    mirrored = [torch.equal(y, mirror(x)) for x, y in zip(X, Y)]
    assert all(k != m for k, m in zip(kept, mirrored))  # each image: exactly one of the two
    assert 60 < sum(mirrored) < 140  # both happen, about half each
    torch.manual_seed(0)
    assert torch.equal(random_hflip(X), Y)  # torch's seed makes it reproducible
    torch.manual_seed(1)
    assert not torch.equal(random_hflip(X), Y)  # another seed, another subset
    assert torch.equal(X, torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(1)))  # untouched


def test_random_hflip_mirrors_whole_images_only():
    X = torch.arange(2 * 2 * 3 * 4, dtype=torch.float32).reshape(2, 2, 3, 4)  # two 2-channel images
    seen = set()
    for seed in range(20):
        torch.manual_seed(seed)
        Y = random_hflip(X)
        for x, y in zip(X, Y):
            assert torch.equal(y, x) or torch.equal(y, mirror(x))  # every channel and row together
            seen.add(torch.equal(y, x))
    assert seen == {True, False}


def test_random_hflip_keeps_channels_last_batches_working():
    X = torch.rand(4, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    Y = random_hflip(X)
    assert lenet_modern().eval()(Y).shape == (4, 10)


# --- the modern set-up ------------------------------------------------------------------------------------


def test_modern_setup_builds_the_recipe_with_the_given_numbers():
    net = lenet_modern()
    optimizer, scheduler, loss = modern_setup(net, num_epochs=3, steps_per_epoch=7, lr=0.02,
                                              weight_decay=0.05, label_smoothing=0.2)
    assert type(optimizer) is torch.optim.AdamW
    assert [p for g in optimizer.param_groups for p in g["params"]] == list(net.parameters())
    group = optimizer.param_groups[0]
    assert group["weight_decay"] == 0.05 and group["max_lr"] == 0.02
    assert type(scheduler) is torch.optim.lr_scheduler.OneCycleLR and scheduler.optimizer is optimizer
    assert scheduler.total_steps == 21
    assert group["lr"] == pytest.approx(0.02 / 25)  # one-cycle starts low and warms up ...
    lrs = []  # the learning rate of each of the 21 steps
    for _ in range(21):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    peak = lrs.index(max(lrs))
    assert max(lrs) == pytest.approx(0.02, rel=0.05) and 4 <= peak <= 7  # ... over the first 30%,
    assert lrs == sorted(lrs[:peak + 1]) + sorted(lrs[peak + 1:], reverse=True)  # then anneals
    assert lrs[-1] < 1e-6  # to almost 0
    assert type(loss) is nn.CrossEntropyLoss and loss.label_smoothing == 0.2


def test_modern_setup_defaults():
    optimizer, scheduler, loss = modern_setup(lenet_modern(), 10, 235)
    assert optimizer.param_groups[0]["max_lr"] == RECIPES["lenet-modern"].lr  # the recipe's
    assert optimizer.param_groups[0]["weight_decay"] == 0.01
    assert scheduler.total_steps == 2350 and loss.label_smoothing == 0.1
    assert optimizer.param_groups[0]["fused"] is True  # one kernel for the whole update (notebook 08)


def test_each_recipe_trains_its_own_number_of_epochs(monkeypatch):
    seen = []
    monkeypatch.setattr(recipes, "load_data_fashion_mnist", lambda *a, **k: ([], []))
    monkeypatch.setitem(recipes.RECIPES, "lenet-modern", dataclasses.replace(
        RECIPES["lenet-modern"], trainer=lambda net, t, v, num_epochs, lr, device, **k: seen.append(
            (num_epochs, lr)) or History()))
    recipes.train_recipe("lenet-modern")
    recipes.train_recipe("lenet-modern", 3, lr=0.5)
    assert seen == [(RECIPES["lenet-modern"].epochs, RECIPES["lenet-modern"].lr), (3, 0.5)]
    assert recipes.EPOCHS == {name: recipe.epochs for name, recipe in RECIPES.items()}


# --- both recipes on small fake data ----------------------------------------------------------------------


def test_train_modern_runs_one_short_epoch(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    made, flips = [], []
    real_setup = recipes.modern_setup

    def spy_setup(*args, **kwargs):
        made.append(real_setup(*args, **kwargs))
        return made[-1]

    def spy_flip(X):
        flips.append(len(X))
        return random_hflip(X)

    monkeypatch.setattr(recipes, "modern_setup", spy_setup)
    torch.manual_seed(0)
    net, history = train_modern(train_iter, test_iter, num_epochs=1, device="cpu", augment=spy_flip,
                                verbose=False)
    assert type(net[0]).__name__ == "Normalize" and len(history) == 1
    assert 0.0 <= history.test_acc[0] <= 1.0 and 0 < history.loss[0] < 5
    assert flips == [16] * len(train_iter)  # every training batch is augmented
    _, scheduler, loss = made[0]
    assert scheduler.total_steps == len(train_iter) == scheduler.last_epoch  # stepped once per batch
    assert loss.label_smoothing == 0.1


def test_train_modern_defaults_to_flips(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    seen = []
    monkeypatch.setattr(recipes, "train_ch5", lambda *args, **kwargs: seen.append(kwargs) or History())
    train_modern(train_iter, test_iter, num_epochs=1, device="cpu")
    assert seen[0]["augment"] is random_hflip and isinstance(seen[0]["optimizer"], torch.optim.AdamW)


def test_train_classic_is_sgd_on_lenet(fake_iters):
    train_iter, test_iter = fake_iters
    torch.manual_seed(0)
    net, history = train_classic(train_iter, test_iter, num_epochs=1, device="cpu", verbose=False)
    assert [type(m) for m in net] == [type(m) for m in lenet()] and len(history) == 1
    assert RECIPES["lenet"].model is lenet and RECIPES["lenet-modern"].model is lenet_modern


def test_recipes_train_new_xavier_initialised_networks(fake_iters, monkeypatch):
    train_iter, test_iter = fake_iters
    seen = []
    monkeypatch.setattr(recipes, "train_ch5", lambda net, *args, **kwargs: seen.append((net, args, kwargs)))
    train_classic(train_iter, test_iter, num_epochs=1)
    train_modern(train_iter, test_iter, num_epochs=1)
    (classic, args, kwargs), (modern, modern_args, modern_kwargs) = seen
    assert args == (train_iter, test_iter, 1, RECIPES["lenet"].lr, None) and kwargs == {"init": True}
    assert type(modern[0]).__name__ == "Normalize" and modern_args[3:] == (None, None)  # lr: the optimizer's
    assert modern_kwargs["init"] is True and modern_kwargs["loss"].label_smoothing == 0.1


def test_the_ablation_is_quiet(fake_iters, capsys):
    train_iter, test_iter = fake_iters
    ablation(train_iter, test_iter, num_epochs=1, rows=ABLATION_ROWS[:1])
    assert capsys.readouterr().out == ""


# --- train_recipe: what the CLI runs ----------------------------------------------------------------------


def test_train_recipe_saves_a_checkpoint(isolated, fake_dir, tmp_path):
    path = tmp_path / "out" / "lenet.pt"
    net, history = train_recipe("lenet", num_epochs=1, batch_size=32, device="cpu", root=fake_dir,
                                save=path, verbose=False)
    loaded, payload = load_checkpoint(path, model="lenet")
    assert payload["history"] == history.as_dict()
    assert payload["meta"] == {"epochs": 1, "batch_size": 32, "lr": RECIPES["lenet"].lr, "seed": 0}  # used
    net.eval()
    assert all(torch.equal(a, b.cpu()) for a, b in zip(loaded.state_dict().values(),
                                                       net.state_dict().values()))


def test_train_recipe_is_reproducible_and_passes_lr(isolated, fake_dir):
    runs = [train_recipe("lenet", 1, batch_size=32, seed=3, device="cpu", root=fake_dir,
                         verbose=False)[1].loss
            for _ in range(2)]
    assert runs[0] == runs[1]
    other = train_recipe("lenet", 1, batch_size=32, seed=3, device="cpu", root=fake_dir, lr=0.01,
                         verbose=False)[1]
    assert other.loss != runs[0]


@pytest.mark.parametrize("where", ["folder", "/proc/nope/x.pt"])
@pytest.mark.parametrize("run, work", [
    (lambda save: train_recipe("lenet", 1, save=save), "train_ch5"),
    (lambda save: recipes.train_ablation((0,), save=save), "ablation"),
], ids=["train_recipe", "train_ablation"])
def test_a_training_run_refuses_an_unwritable_path_before_any_work(tmp_path, monkeypatch, where, run, work):
    def too_late(*args, **kwargs):
        pytest.fail("the save path must be checked before the data is loaded or anything trains")

    monkeypatch.setattr(recipes, "load_data_fashion_mnist", too_late)
    monkeypatch.setattr(recipes, work, too_late)
    save = tmp_path if where == "folder" else where
    with pytest.raises(CheckpointError, match="cannot save to") as err:
        run(save)
    assert str(save) in str(err.value)


# --- the ablation -----------------------------------------------------------------------------------------


def test_ablation_rows(fake_iters):
    train_iter, test_iter = fake_iters
    rows = ablation(train_iter, test_iter, num_epochs=1)
    names = [r[0] for r in rows]
    assert names == [name for name, _ in ABLATION_ROWS] + ["+ flips, label smoothing (= train_modern)"]
    assert len(rows) == 6 and "+ input normalisation" in names
    assert names[0].startswith("classic") and "lenet_modern" in names[4]
    for name, sgd, adamw in rows[:-1]:
        assert 0.0 <= sgd <= 1.0 and 0.0 <= adamw <= 1.0, name
    assert rows[-1][1] is None and 0.0 <= rows[-1][2] <= 1.0
    # each cell starts from the same seed: a second run gives the same table
    assert ablation(train_iter, test_iter, num_epochs=1, rows=ABLATION_ROWS[:1]) == [rows[0], rows[-1]]
    # the classic row is the classic recipe, the last row the modern one, each from the ablation's seed
    torch.manual_seed(0)
    assert rows[0][1] == train_classic(train_iter, test_iter, 1, verbose=False)[1].test_acc[-1]
    torch.manual_seed(0)
    assert rows[-1][2] == train_modern(train_iter, test_iter, 1, verbose=False)[1].test_acc[-1]


# --- checkpoint_or_train ----------------------------------------------------------------------------------


@pytest.fixture
def fake_data_env(isolated, fake_dir, monkeypatch):
    """The data as a learner's environment provides it: through FASHION_MNIST_DIR."""
    monkeypatch.setenv("FASHION_MNIST_DIR", str(fake_dir))
    monkeypatch.delenv("D2L_CHECKPOINT_DIR", raising=False)
    return fake_dir


def test_checkpoint_or_train_trains_a_missing_checkpoint_then_loads_it(fake_data_env, tmp_path,
                                                                       monkeypatch, capsys):
    folder = tmp_path / "ck"
    net, history = checkpoint_or_train("modern.pt", num_epochs=1, device="cpu", folder=folder)
    assert "not found: training lenet-modern for 1 epochs" in capsys.readouterr().out
    assert (folder / "modern.pt").is_file() and sorted(p.name for p in folder.iterdir()) == ["modern.pt"]
    assert type(net[0]).__name__ == "Normalize" and not net.training
    assert isinstance(history, History) and len(history) == 1
    # the second time it loads the file: no training
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("retrained"))
    again, history_again = checkpoint_or_train("modern.pt", num_epochs=1, device="cpu", folder=folder)
    assert history_again.loss == history.loss
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), net.state_dict().values()))
    assert capsys.readouterr().out == ""


def test_checkpoint_or_train_looks_in_the_checkpoint_dir(fake_data_env, tmp_path, monkeypatch):
    folder = tmp_path / "from-env"
    save_checkpoint(lenet(), folder / "classic.pt", "lenet", History(loss=[1.0], train_acc=[0.5],
                                                                      test_acc=[0.5], sec=[1.0]))
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("retrained"))
    monkeypatch.setenv("D2L_CHECKPOINT_DIR", str(folder))
    _, history = checkpoint_or_train("classic.pt", model="lenet", device="cpu")
    assert history.loss == [1.0]
    monkeypatch.delenv("D2L_CHECKPOINT_DIR")
    monkeypatch.chdir(tmp_path)  # an absolute path is taken as it is
    _, history = checkpoint_or_train(folder / "classic.pt", model="lenet", device="cpu")
    assert history.loss == [1.0]


def test_checkpoint_or_train_does_not_retrain_over_a_corrupt_file(fake_data_env, tmp_path, monkeypatch):
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("silently retrained"))
    path = save_checkpoint(lenet_modern(), tmp_path / "modern.pt", "lenet-modern")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted") as err:
        checkpoint_or_train(path, device="cpu")
    assert str(path) in str(err.value) and "make checkpoints" in str(err.value)
    assert path.read_bytes() == raw[: len(raw) // 2]  # left for the learner to look at or delete


def test_checkpoint_or_train_refuses_another_models_file(fake_data_env, tmp_path, monkeypatch):
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("silently retrained"))
    path = save_checkpoint(lenet(), tmp_path / "lenet_modern.pt", "lenet")
    with pytest.raises(CheckpointError, match="holds a 'lenet' network, not the 'lenet-modern'"):
        checkpoint_or_train(path, model="lenet-modern", device="cpu")


def test_checkpoint_or_train_checks_the_folder_before_training(fake_data_env, monkeypatch):
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("trained first"))
    with pytest.raises(CheckpointError, match="cannot save to /proc/nope/x.pt"):
        checkpoint_or_train("x.pt", device="cpu", folder="/proc/nope")


# --- every recipe over seeds: recipe_runs -----------------------------------------------------------------


def test_recipe_runs_trains_each_missing_seed_then_loads_them(fake_data_env, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "ck"
    runs = recipes.recipe_runs("lenet", seeds=(0, 1), batch_size=32, device="cpu", folder=folder)
    out = capsys.readouterr().out
    epochs = RECIPES["lenet"].epochs
    assert f"lenet.pt not found: training lenet for {epochs} epochs (seed 0)" in out
    assert f"lenet_seed1.pt not found: training lenet for {epochs} epochs (seed 1)" in out
    assert sorted(p.name for p in folder.iterdir()) == ["lenet.pt", "lenet_seed1.pt"]  # make checkpoints
    assert list(runs) == [0, 1] and all(isinstance(h, History) and len(h) == epochs for h in runs.values())
    assert runs[0].loss != runs[1].loss  # two seeds, two runs
    for seed in (0, 1):  # each is the CLI's run from that seed
        meta = load_checkpoint(folder / recipes._checkpoint_file("lenet", seed))[1]["meta"]
        assert meta == {"epochs": epochs, "batch_size": 32, "lr": RECIPES["lenet"].lr, "seed": seed}
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("retrained"))
    again = recipes.recipe_runs("lenet", seeds=(1, 0), device="cpu", folder=folder)
    assert list(again) == [1, 0]
    assert {s: h.loss for s, h in again.items()} == {s: h.loss for s, h in runs.items()}
    assert capsys.readouterr().out == ""


def test_recipe_runs_refuses_a_checkpoint_of_another_seed_or_length(fake_data_env, tmp_path, monkeypatch):
    monkeypatch.setattr(recipes, "train_recipe", lambda *a, **k: pytest.fail("silently retrained"))
    history = History(loss=[1.0], train_acc=[0.5], test_acc=[0.5], sec=[1.0])
    epochs = RECIPES["lenet-modern"].epochs
    save_checkpoint(lenet_modern(), tmp_path / "lenet_modern_seed2.pt", "lenet-modern", history,
                    epochs=epochs, seed=0)  # seed 0's run under seed 2's name
    with pytest.raises(CheckpointError, match=f"seed 0 for {epochs} epochs, not the run from seed 2") as err:
        recipes.recipe_runs("lenet-modern", seeds=(2,), folder=tmp_path)
    assert str(tmp_path / "lenet_modern_seed2.pt") in str(err.value) and "make checkpoints" in str(err.value)
    save_checkpoint(lenet_modern(), tmp_path / "lenet_modern.pt", "lenet-modern", history, epochs=3, seed=0)
    with pytest.raises(CheckpointError, match="for 3 epochs, not the run from seed 0"):
        recipes.recipe_runs("lenet-modern", seeds=(0,), folder=tmp_path)


@pytest.mark.parametrize("seeds, error", [(0, TypeError), ("012", TypeError), ((), ValueError),
                                          ((1, 1), ValueError), ((0, 1.5), ValueError)])
def test_recipe_runs_wants_different_whole_seeds(seeds, error, tmp_path):
    with pytest.raises(error, match=r"recipe_runs got seeds=.*: pass .*such as seeds=\(0, 1, 2\)\."):
        recipes.recipe_runs("lenet", seeds=seeds, folder=tmp_path)
    assert not list(tmp_path.iterdir())


# --- the ablation over seeds: train_ablation, load_ablation, ablation_or_train ----------------------------


def test_train_ablation_runs_the_ablation_once_per_seed_and_saves_it(isolated, fake_dir, tmp_path, capsys):
    path = tmp_path / "out" / "ablation.json"
    table = recipes.train_ablation((0, 3), 1, batch_size=16, train_images=64, rows=ABLATION_ROWS[:2],
                                   device="cpu", root=fake_dir, save=path)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in out] == ["ablation", "ablation"]
    assert "seed 3: 5 runs done" in out[1]
    assert "to go" in out[0] and "to go" not in out[1]
    assert recipes.load_ablation(path) == table
    assert {k: table[k] for k in ("epochs", "batch_size", "train_images", "seeds", "lr")} == {
        "epochs": 1, "batch_size": 16, "train_images": 64, "seeds": [0, 3],
        "lr": {"SGD": RECIPES["lenet"].lr, "AdamW": RECIPES["lenet-modern"].lr}}
    train_iter, test_iter = data_of(fake_dir, 16)
    for seed_index, seed in enumerate((0, 3)):  # each seed's column is the ablation from that seed
        single = ablation(subset(train_iter, 64), test_iter, 1, rows=ABLATION_ROWS[:2], seed=seed)
        assert [(r["variant"], *(None if r[c] is None else r[c][seed_index] for c in ("SGD", "AdamW")))
                for r in table["rows"]] == single
    assert table["rows"][-1]["SGD"] is None and len(table["rows"]) == 3


def data_of(folder, batch_size):
    from d2l_utils import load_data_fashion_mnist

    return load_data_fashion_mnist(batch_size, root=folder)


GOOD_TABLE = {"epochs": 2, "batch_size": 256, "train_images": 5000, "seeds": [0, 1],
              "lr": {"SGD": 0.9, "AdamW": 0.01},
              "rows": [{"variant": "classic", "SGD": [0.1, 0.2], "AdamW": [0.3, 0.4]},
                       {"variant": "+ flips", "SGD": None, "AdamW": [0.5, 0.6]}]}


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "cannot be read as JSON"),
    (b"\xff\xfe", "cannot be read as JSON"),
    ("[1, 2]", "is not one that d2l_utils wrote"),
    (json.dumps({**GOOD_TABLE, "seeds": []}), "is not one that d2l_utils wrote"),
    (json.dumps({**GOOD_TABLE, "rows": [{"variant": "classic", "SGD": [0.1], "AdamW": [0.3, 0.4]}]}),
     "is not one that d2l_utils wrote"),  # one accuracy for two seeds
    (json.dumps({**GOOD_TABLE, "rows": [{"variant": "classic", "SGD": [0.1, 1.5], "AdamW": None}]}),
     "is not one that d2l_utils wrote"),  # not an accuracy
    (json.dumps({**GOOD_TABLE, "rows": [{"variant": "classic", "AdamW": [0.3, 0.4]}]}),
     "is not one that d2l_utils wrote"),  # a column missing
])
def test_load_ablation_names_a_bad_file_and_the_fix(tmp_path, text, fragment):
    path = tmp_path / "ablation.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(CheckpointError, match=fragment) as err:
        recipes.load_ablation(path)
    message = str(err.value)
    assert str(path) in message and "make checkpoints" in message and "\n" not in message


def test_load_ablation_reads_a_good_file_and_names_a_missing_one(tmp_path):
    path = tmp_path / "ablation.json"
    path.write_text(json.dumps(GOOD_TABLE), encoding="utf-8")
    assert recipes.load_ablation(path) == GOOD_TABLE
    with pytest.raises(CheckpointError, match="ablation table .*nope.json does not exist.*make checkpoints"):
        recipes.load_ablation(tmp_path / "nope.json")


@pytest.fixture
def short_ablation(monkeypatch):
    """ablation_or_train computing a one-row table in batches of 32 (the fake data are tiny)."""
    real = recipes.train_ablation
    calls = []

    def short(seeds, num_epochs, **kwargs):
        calls.append((list(seeds), num_epochs))
        return real(seeds, num_epochs, **{**kwargs, "batch_size": 32, "rows": ABLATION_ROWS[:1]})

    monkeypatch.setattr(recipes, "train_ablation", short)
    return calls


def test_ablation_or_train_computes_a_missing_table_then_loads_it(fake_data_env, tmp_path, short_ablation,
                                                                  capsys):
    table = recipes.ablation_or_train(seeds=(0, 1), num_epochs=1, device="cpu", folder=tmp_path)
    out = capsys.readouterr().out
    assert short_ablation == [([0, 1], 1)]
    assert f"{tmp_path / 'ablation.json'} not found: running the ablation and saving it" in out
    assert f"{2 * (2 * len(ABLATION_ROWS) + 1)} runs of 1 epochs" in out and "seed 1: 3 runs done" in out
    assert table == recipes.load_ablation(tmp_path / "ablation.json") and table["seeds"] == [0, 1]
    again = recipes.ablation_or_train(seeds=(0, 1), num_epochs=1, folder=tmp_path)
    assert again == table and short_ablation == [([0, 1], 1)] and capsys.readouterr().out == ""


def test_ablation_or_train_refuses_a_table_of_other_seeds_or_epochs(tmp_path, short_ablation):
    (tmp_path / "ablation.json").write_text(json.dumps(GOOD_TABLE), encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"runs of 2 epochs from the seeds \[0, 1\], not the runs of 2 "
                                              r"epochs from the seeds \[0, 1, 2\] asked for"):
        recipes.ablation_or_train(folder=tmp_path)
    with pytest.raises(CheckpointError, match="not the runs of 3 epochs"):
        recipes.ablation_or_train(seeds=[0, 1], num_epochs=3, folder=tmp_path)
    assert short_ablation == []  # never silently recomputed


def test_ablation_or_train_checks_the_folder_before_training(fake_data_env, short_ablation):
    with pytest.raises(CheckpointError, match="cannot save to /proc/nope/ablation.json"):
        recipes.ablation_or_train(folder="/proc/nope")
    assert short_ablation == []


# --- the committed files: what `make checkpoints` writes and notebook 06 loads ----------------------------

COMMITTED = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.mark.parametrize("model", list(RECIPES))
def test_the_collection_holds_every_recipes_run_from_each_seed(model, monkeypatch):
    """Each checkpoint says the seed, epochs and learning rate it was trained with, those of its file name and
    its recipe; recipe_runs loads them all without training."""
    monkeypatch.setattr(recipes, "train_recipe",
                        lambda *a, **k: pytest.fail(f"a {model} checkpoint is missing: run make checkpoints"))
    runs = recipes.recipe_runs(model, folder=COMMITTED)
    assert list(runs) == list(recipes.SEEDS) and all(len(h) == RECIPES[model].epochs for h in runs.values())
    for seed in recipes.SEEDS:
        meta = load_checkpoint(COMMITTED / recipes._checkpoint_file(model, seed), model)[1]["meta"]
        assert meta == {"epochs": RECIPES[model].epochs, "batch_size": 256, "lr": RECIPES[model].lr,
                        "seed": seed}


def test_the_collection_holds_the_ablation_over_seeds(monkeypatch):
    monkeypatch.setattr(recipes, "train_ablation", lambda *a, **k: pytest.fail("no ablation table"))
    table = recipes.ablation_or_train(folder=COMMITTED)
    assert table["seeds"] == list(recipes.SEEDS) and table["epochs"] == 2 and table["train_images"] == 5000
    assert [row["variant"] for row in table["rows"]] == [name for name, _ in ABLATION_ROWS] + [
        "+ flips, label smoothing (= train_modern)"]
    assert table["lr"] == {"SGD": RECIPES["lenet"].lr, "AdamW": RECIPES["lenet-modern"].lr}
