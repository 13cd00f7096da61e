"""Recipes: the classic textbook recipe, a modern one for a network of the same size, and the
ablation and checkpoints built on them. Each recipe trains a network of its own, Xavier-initialised.

``make checkpoints`` trains every recipe of :data:`RECIPES` from seeds 0, 1 and 2 (seed 0 as
``checkpoints/NAME.pt``, NAME the recipe's name with - as _, the others as ``NAME_seedS.pt``) and runs
the ablation for the same seeds into ``checkpoints/ablation.json``; :func:`recipe_runs` and
:func:`ablation_or_train` load them (and compute what is missing)."""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data import Batches, Device, load_data_fashion_mnist, subset
from .models import lenet, lenet_convs, lenet_modern, lenet_variant
from .training import (
    CHECKPOINT_FIX,
    CheckpointError,
    History,
    check_writable,
    checkpoint_dir,
    save_checkpoint,
    train_ch5,
)

__all__ = [
    "EPOCHS",
    "RECIPES",
    "Recipe",
    "ablation",
    "ablation_or_train",
    "checkpoint_or_train",
    "load_ablation",
    "load_checkpoint",
    "modern_setup",
    "random_hflip",
    "recipe_runs",
    "train_ablation",
    "train_classic",
    "train_modern",
    "train_recipe",
]


def random_hflip(images: torch.Tensor) -> torch.Tensor:
    """Mirror a random half of the images left-right: a mirrored coat is still a coat. Used in notebook 06."""
    flip = torch.rand(len(images), device=images.device) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def modern_setup(net: nn.Module, num_epochs: int, steps_per_epoch: int, lr: float | None = None,
                 weight_decay: float = 0.01, label_smoothing: float = 0.1
                 ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler, nn.Module]:
    """The modern recipe's optimiser, schedule and loss, as notebook 06 writes them out:

    * AdamW: a step size per parameter, from running averages of its gradient and squared gradient,
      and weight decay applied to the weights directly;
    * a one-cycle schedule: the learning rate warms up to ``lr`` (``None``: the modern recipe's,
      ``RECIPES["lenet-modern"].lr``) over the first 30% of the steps,
      then anneals to almost 0;
    * cross-entropy with label smoothing: the target puts ``1 - label_smoothing`` on the true class
      and spreads the rest evenly, so the network is not pushed towards infinite confidence.

    Returns ``(optimizer, scheduler, loss)``; the scheduler steps after every batch. Used in notebook 06.
    """
    lr = RECIPES["lenet-modern"].lr if lr is None else lr
    # fused=True: one kernel updates every parameter (PyTorch's own, on CPU, CUDA and MPS); same result
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                    total_steps=num_epochs * steps_per_epoch)
    return optimizer, scheduler, nn.CrossEntropyLoss(label_smoothing=label_smoothing)


def _classic(net: nn.Module, train_iter: Batches, test_iter: Batches, num_epochs: int,
             lr: float, device: Device | None = None, **kwargs: Any) -> History:
    """The classic recipe's training: SGD at ``lr`` with cross-entropy, from new Xavier weights."""
    return train_ch5(net, train_iter, test_iter, num_epochs, lr, device, init=True, **kwargs)


def _modern(net: nn.Module, train_iter: Batches, test_iter: Batches, num_epochs: int,
            lr: float, device: Device | None = None, *, label_smoothing: float = 0.1,
            augment: Callable[[torch.Tensor], torch.Tensor] | None = random_hflip, **kwargs: Any) -> History:
    """:func:`modern_setup` (AdamW, one-cycle up to ``lr``, label smoothing) and ``augment``, from new
    Xavier weights."""
    optimizer, scheduler, loss = modern_setup(net, num_epochs, len(train_iter), lr=lr,
                                              label_smoothing=label_smoothing)
    return train_ch5(net, train_iter, test_iter, num_epochs, None, device, loss=loss, optimizer=optimizer,
                     scheduler=scheduler, augment=augment, init=True, **kwargs)


@dataclass(frozen=True)
class Recipe:
    """One recipe: the network it trains (``model()`` builds a new one), its number of epochs, its
    learning rate and how it trains (``trainer(net, train_iter, test_iter, num_epochs, lr, device,
    **kwargs)`` returns a :class:`~d2l_utils.training.History`). :data:`RECIPES` holds every recipe."""

    model: Callable[[], nn.Sequential]
    epochs: int
    lr: float
    trainer: Callable[..., History]
    summary: str

    def train(self, train_iter: Batches, test_iter: Batches, num_epochs: int | None = None, *,
              lr: float | None = None, device: Device | None = None,
              **kwargs: Any) -> tuple[nn.Sequential, History]:
        """Train a new network of this recipe: ``num_epochs`` and ``lr`` default to the recipe's."""
        net = self.model()
        history = self.trainer(net, train_iter, test_iter, self.epochs if num_epochs is None else num_epochs,
                               self.lr if lr is None else lr, device, **kwargs)
        return net, history


# The recipes, the only place their epochs and learning rates are written (the CLI, the trainers, the
# ablation, the checkpoints and their metadata read them here). The modern recipe's epochs fit in a
# minute of training on a 2-core CPU (README). A new recipe is a new entry (and its colour in plots).
RECIPES: dict[str, Recipe] = {
    "lenet": Recipe(lenet, epochs=10, lr=0.9, trainer=_classic,
                    summary="sigmoid LeNet, SGD with cross-entropy"),
    "lenet-modern": Recipe(lenet_modern, epochs=8, lr=0.01, trainer=_modern,
                           summary="LeNet with ReLU, max pooling, batch norm; AdamW, one-cycle, "
                                   "label smoothing and flips"),
    "lenet-convs": Recipe(lenet_convs, epochs=9, lr=0.01, trainer=_modern,
                          summary="LeNet's budget spent on three convolution units; the modern recipe"),
}
EPOCHS = {name: recipe.epochs for name, recipe in RECIPES.items()}  # each recipe's number of epochs


def recipe(model: str) -> Recipe:
    """The recipe called ``model``, or a ``ValueError`` naming the recipes there are."""
    if model not in RECIPES:
        raise ValueError(f"There is no recipe called {model!r}: choose one of "
                         f"{', '.join(map(repr, RECIPES))}.")
    return RECIPES[model]


def train_classic(train_iter: Batches, test_iter: Batches, num_epochs: int | None = None, *,
                  lr: float | None = None, device: Device | None = None,
                  **kwargs: Any) -> tuple[nn.Sequential, History]:
    """The classic textbook recipe on a new network: sigmoid LeNet, Xavier init, cross-entropy,
    SGD at ``lr`` (``None``: the recipe's, ``RECIPES["lenet"]``); ``kwargs`` go to
    :func:`~d2l_utils.training.train_ch5`. Returns ``(net, history)``."""
    return RECIPES["lenet"].train(train_iter, test_iter, num_epochs, lr=lr, device=device, **kwargs)


def train_modern(train_iter: Batches, test_iter: Batches, num_epochs: int | None = None, *,
                 lr: float | None = None, device: Device | None = None,
                 **kwargs: Any) -> tuple[nn.Sequential, History]:
    """The modern recipe on a new :func:`~d2l_utils.models.lenet_modern`: Xavier init,
    :func:`modern_setup` (AdamW, one-cycle, label smoothing) and random horizontal flips
    (``label_smoothing=`` and ``augment=`` change them); epochs and ``lr`` default to the recipe's,
    ``RECIPES["lenet-modern"]``; other ``kwargs`` go to :func:`~d2l_utils.training.train_ch5`.
    Returns ``(net, history)``."""
    return RECIPES["lenet-modern"].train(train_iter, test_iter, num_epochs, lr=lr, device=device, **kwargs)


def train_recipe(model: str, num_epochs: int | None = None, *, batch_size: int = 256, seed: int = 0,
                 lr: float | None = None, device: Device | None = None,
                 root: str | os.PathLike | None = None, save: str | os.PathLike | None = None,
                 **kwargs: Any) -> tuple[nn.Sequential, History]:
    """What ``python -m d2l_utils train`` does: check ``save`` can be written, load the data and
    train ``model``'s recipe from ``seed`` (its own number of epochs and learning rate, from
    :data:`RECIPES`, unless given) and, with ``save``, write a checkpoint whose metadata hold the
    epochs, batch size, learning rate and seed used. The seed is set inside
    ``torch.random.fork_rng()``: the caller's random stream is left as it was. Returns
    ``(net, history)``."""
    chosen = recipe(model)
    num_epochs = chosen.epochs if num_epochs is None else num_epochs
    lr = chosen.lr if lr is None else lr
    if save:
        check_writable(save)  # before the work it would waste
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        train_iter, test_iter = load_data_fashion_mnist(batch_size, root=root)
        net, history = chosen.train(train_iter, test_iter, num_epochs, lr=lr, device=device, **kwargs)
    if save:
        save_checkpoint(net, save, model, history, epochs=num_epochs, batch_size=batch_size, lr=lr,
                        seed=seed)
    return net, history


SEEDS = (0, 1, 2)  # the seeds `make checkpoints` trains every recipe from, and runs the ablation for


ABLATION_ROWS = (
    ("classic: sigmoid, average pooling", {}),
    ("+ ReLU", {"relu": True}),
    ("+ max pooling", {"relu": True, "max_pool": True}),
    ("+ input normalisation", {"relu": True, "max_pool": True, "normalize": True}),
    ("+ batch norm (= lenet_modern)",
     {"relu": True, "max_pool": True, "normalize": True, "batch_norm": True}),
)


def ablation(train_iter: Batches, test_iter: Batches, num_epochs: int = 2, *,
             rows: Sequence[tuple[str, dict[str, bool]]] = ABLATION_ROWS, seed: int = 0,
             device: Device | None = None) -> list[tuple[str, float | None, float | None]]:
    """Test accuracy after ``num_epochs`` for every variant x optimiser (the classic recipe's SGD and
    learning rate, or the modern recipe's AdamW + one-cycle and learning rate without flips or label
    smoothing), each a new network from the same seed. A last row adds flips and label smoothing to
    the modern optimiser, which is exactly :func:`train_modern`. Returns rows ``(variant, SGD
    accuracy, AdamW accuracy)``, with ``None`` where a combination was not run. The seeds are set
    inside ``torch.random.fork_rng()``: the caller's random stream is left as it was.
    :func:`train_ablation` runs it once per seed."""
    classic, modern = RECIPES["lenet"], RECIPES["lenet-modern"]

    def accuracy(make, chosen: Recipe, **settings):
        with torch.random.fork_rng():
            torch.manual_seed(seed)  # the same initial weights and batches in every cell
            return chosen.trainer(make(), train_iter, test_iter, num_epochs, chosen.lr, device,
                                  progress=False, verbose=False, **settings).test_acc[-1]

    table = [(name, accuracy(partial(lenet_variant, **flags), classic),
              accuracy(partial(lenet_variant, **flags), modern, label_smoothing=0.0, augment=None))
             for name, flags in rows]
    return table + [("+ flips, label smoothing (= train_modern)", None, accuracy(modern.model, modern))]


ABLATION_FIX = ("Rebuild it with `make checkpoints` in the collection's folder, or delete it so that the "
                "notebook that needs it computes a new one.")
ABLATION_COLUMNS = ("SGD", "AdamW")  # the optimiser of each column: the classic recipe's, the modern one's


def train_ablation(seeds: Sequence[int] = SEEDS, num_epochs: int = 2, *, batch_size: int = 256,
                   train_images: int = 5000, rows: Sequence[tuple[str, dict[str, bool]]] = ABLATION_ROWS,
                   device: Device | None = None, root: str | os.PathLike | None = None,
                   save: str | os.PathLike | None = None, verbose: bool = True) -> dict[str, Any]:
    """What ``python -m d2l_utils ablation`` does (``make checkpoints`` runs it): check ``save`` can be
    written, load the data, run :func:`ablation` for ``num_epochs`` on the first ``train_images``
    training images once per seed and, with ``save``, write the table as JSON (the format
    :func:`load_ablation` reads). ``verbose`` prints each seed's time as it finishes, with an estimate
    of the time left. The seeds are set inside ``torch.random.fork_rng()``: the caller's random stream is
    left as it was. Returns the table."""
    seeds = _check_seeds(seeds, "train_ablation")
    if save:
        check_writable(save)  # before the work it would waste
    train_iter, test_iter = load_data_fashion_mnist(batch_size, root=root)
    train_iter = subset(train_iter, train_images)
    tables, start = [], time.perf_counter()
    for i, seed in enumerate(seeds):
        tables.append(ablation(train_iter, test_iter, num_epochs, rows=rows, seed=seed, device=device))
        if verbose:
            runs = sum(acc is not None for _, *accs in tables[-1] for acc in accs)
            sec = time.perf_counter() - start
            left = sec / (i + 1) * (len(seeds) - i - 1)
            print(f"ablation, seed {seed}: {runs} runs done, {sec:.0f} s so far"
                  + (f", about {left:.0f} s to go" if left else ""), flush=True)
    table = {"epochs": num_epochs, "batch_size": batch_size, "train_images": len(train_iter.labels),
             "seeds": seeds,
             "lr": {"SGD": RECIPES["lenet"].lr, "AdamW": RECIPES["lenet-modern"].lr},
             "rows": [{"variant": cells[0][0],
                       **{column: None if cells[0][k] is None else [cell[k] for cell in cells]
                          for k, column in enumerate(ABLATION_COLUMNS, start=1)}}
                      for cells in zip(*tables)],
             "sec": round(time.perf_counter() - start, 1)}
    if save:
        _write_json(table, save)
    return table


def _write_json(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file in the same folder, then a rename)."""
    path = check_writable(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        text = json.dumps(data, indent=1)  # with each list of numbers on one line:
        text = re.sub(r"\[\s+([^][{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _accuracies(value: object, count: int) -> bool:
    """Whether ``value`` is ``None`` or ``count`` accuracies between 0 and 1."""
    return value is None or (isinstance(value, list) and len(value) == count and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1
        for v in value))


def load_ablation(path: str | os.PathLike) -> dict[str, Any]:
    """Read the ablation table that :func:`train_ablation` wrote (``make checkpoints``:
    ``checkpoints/ablation.json``): a dict with the ``epochs``, ``batch_size``, ``train_images`` and
    ``seeds`` it was run with, the learning rate of each optimiser (``lr``: ``{"SGD": ..., "AdamW":
    ...}``) and its ``rows``, each ``{"variant": name, "SGD": [one test accuracy per seed] or None,
    "AdamW": [...] or None}`` (``None``: not run). A missing, unreadable or foreign file raises
    ``CheckpointError`` naming the file and the fix. :func:`ablation_or_train` reads it with this."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"The ablation table {path} does not exist. Run `make checkpoints` in the "
                              "collection's folder, which computes and saves it (or call "
                              "d2l_utils.ablation_or_train, which computes it when it is missing).")
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"The ablation table {path} cannot be read as JSON ({_first_line(err)}). "
                              f"{ABLATION_FIX}") from None
    seeds = table.get("seeds") if isinstance(table, dict) else None
    valid = (isinstance(seeds, list) and seeds and all(isinstance(s, int) for s in seeds)
             and isinstance(table.get("epochs"), int) and isinstance(table.get("lr"), dict)
             and isinstance(table.get("rows"), list) and table["rows"]
             and all(isinstance(row, dict) and isinstance(row.get("variant"), str)
                     and all(_accuracies(row.get(column, 0), len(seeds)) for column in ABLATION_COLUMNS)
                     for row in table["rows"]))
    if not valid:
        raise CheckpointError(f"The ablation table {path} is not one that d2l_utils wrote (it lacks the "
                              "seeds, the epochs, the learning rates, or a test accuracy between 0 and 1 "
                              f"per seed in each row). {ABLATION_FIX}")
    return table


def ablation_or_train(path: str | os.PathLike = "ablation.json", *, seeds: Sequence[int] = SEEDS,
                      num_epochs: int = 2, batch_size: int = 256, train_images: int = 5000,
                      device: Device | None = None,
                      folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """Load the ablation table at ``path`` (:func:`load_ablation`); if there is no such file, compute it
    as ``make checkpoints`` does (:func:`train_ablation`: :func:`ablation` for each of ``seeds``, for
    ``num_epochs`` on the first ``train_images`` training images), saying how many runs that is and
    printing each seed's time as it finishes, and save it there first. A table of other seeds or epochs
    than those asked for raises ``CheckpointError`` naming the file and the fix. A relative ``path``
    is taken in :func:`~d2l_utils.training.checkpoint_dir`, as :func:`checkpoint_or_train` does.
    Either way the caller's random stream is left as it was. Used in notebook 06. The CLI equivalent:
    ``python -m d2l_utils ablation --seeds 0 1 2 --save PATH``."""
    seeds = _check_seeds(seeds, "ablation_or_train")
    path = checkpoint_dir(folder) / path  # an absolute path stays as it is
    if not path.exists():
        check_writable(path)
        per_seed = 2 * len(ABLATION_ROWS) + 1
        print(f"{path} not found: running the ablation and saving it, {len(seeds) * per_seed} runs of "
              f"{num_epochs} epochs on {train_images:,} images ({per_seed} for each of the seeds "
              f"{', '.join(map(str, seeds))}); each seed's time is printed when it is done", flush=True)
        train_ablation(seeds, num_epochs, batch_size=batch_size, train_images=train_images, device=device,
                       save=path)
    table = load_ablation(path)
    if table["seeds"] != seeds or table["epochs"] != num_epochs:
        raise CheckpointError(f"The ablation table {path} holds runs of {table['epochs']} epochs from the "
                              f"seeds {table['seeds']}, not the runs of {num_epochs} epochs from the seeds "
                              f"{seeds} asked for. {ABLATION_FIX}")
    return table


def checkpoint_or_train(path: str | os.PathLike, model: str = "lenet-modern", num_epochs: int | None = None,
                        *, batch_size: int = 256, seed: int = 0, device: Device | None = None,
                        folder: str | os.PathLike | None = None) -> tuple[nn.Sequential, History]:
    """Load the checkpoint at ``path`` onto ``device`` (``None``: the CPU); if there is no such file,
    train ``model`` as the CLI does (``num_epochs``, ``None``: the recipe's) and save it there first.
    Either way the caller's random stream is left as it was. Used in notebook 07.
    (:func:`recipe_runs` loads every seed's checkpoint in the same way.)

    A relative ``path`` is taken in :func:`~d2l_utils.training.checkpoint_dir` (``folder``, or
    ``$D2L_CHECKPOINT_DIR``, or the collection's ``checkpoints/``). A file that is truncated, holds
    another model or is not a checkpoint raises ``CheckpointError`` naming it and the fix. Returns
    ``(net, history)`` with ``net`` in evaluation mode. The CLI equivalent:
    ``python -m d2l_utils train --model MODEL --seed 0 --save PATH`` (the recipe's epochs).
    """
    net, payload = _checkpoint_or_train(path, model, num_epochs, batch_size=batch_size, seed=seed,
                                        device=device, folder=folder)
    return net, History(**payload["history"])


def _checkpoint_or_train(path, model, num_epochs, *, batch_size, seed, device, folder):
    """:func:`checkpoint_or_train`, returning ``(net, payload)``."""
    chosen = recipe(model)
    num_epochs = chosen.epochs if num_epochs is None else num_epochs
    path = checkpoint_dir(folder) / path  # an absolute path stays as it is
    if not path.exists():
        check_writable(path)
        print(f"{path} not found: training {model} for {num_epochs} epochs (seed {seed}) and saving it")
        train_recipe(model, num_epochs, batch_size=batch_size, seed=seed, device=device, save=path,
                     progress=False, verbose=False)
    return load_checkpoint(path, model, device)


def _checkpoint_file(model: str, seed: int) -> str:
    """The file `make checkpoints` saves ``model``'s run from ``seed`` in: ``lenet_modern.pt`` for seed 0
    (the file notebook 07 loads), ``lenet_modern_seed1.pt`` for seed 1."""
    name = model.replace("-", "_")
    return f"{name}.pt" if seed == 0 else f"{name}_seed{seed}.pt"


def _check_seeds(seeds: Sequence[int], helper: str) -> list[int]:
    """``seeds`` as a list: one or more different whole numbers, or a ``ValueError`` saying so."""
    if isinstance(seeds, int | str) or not isinstance(seeds, Sequence):
        raise TypeError(f"{helper} got seeds={seeds!r}: pass a sequence of whole numbers, such as "
                        "seeds=(0, 1, 2).")
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds) \
            or len(set(seeds)) != len(seeds):
        raise ValueError(f"{helper} got seeds={seeds!r}: pass one or more different whole numbers, such as "
                         "seeds=(0, 1, 2).")
    return seeds


def recipe_runs(model: str, seeds: Sequence[int] = SEEDS, *, batch_size: int = 256,
                device: Device | None = None, folder: str | os.PathLike | None = None) -> dict[int, History]:
    """The history of ``model``'s full run from each of ``seeds``, as ``{seed: History}``, from the
    checkpoints ``make checkpoints`` writes (``checkpoints/lenet_modern.pt`` for seed 0,
    ``lenet_modern_seed1.pt`` for seed 1, ...): one number per seed shows how far the recipe's result
    moves with the seed alone. A missing checkpoint is trained first, as :func:`checkpoint_or_train`
    does (saying so: a few minutes each on a laptop's CPU). A checkpoint of another seed or number of
    epochs than the recipe's raises ``CheckpointError`` naming the file and the fix. The caller's random
    stream is left as it was. Used in notebook 06."""
    chosen, seeds = recipe(model), _check_seeds(seeds, "recipe_runs")
    histories = {}
    for seed in seeds:
        path = checkpoint_dir(folder) / _checkpoint_file(model, seed)
        _, payload = _checkpoint_or_train(path, model, None, batch_size=batch_size, seed=seed, device=device,
                                          folder=None)
        meta = payload.get("meta") or {}
        if meta.get("seed") != seed or meta.get("epochs") != chosen.epochs:
            raise CheckpointError(f"The checkpoint {path} holds a run from seed {meta.get('seed')} for "
                                  f"{meta.get('epochs')} epochs, not the run from seed {seed} for the "
                                  f"{chosen.epochs} epochs of the {model!r} recipe. {CHECKPOINT_FIX}")
        histories[seed] = History(**payload["history"])
    return histories


def _first_line(err: Exception) -> str:
    """The first sentence of an exception's message (PyTorch's can run on for lines)."""
    return (str(err).splitlines() or [type(err).__name__])[0].split(". ")[0].rstrip(".")[:200]


def _available(device: torch.device) -> bool:
    """Whether this machine has ``device`` (the CPU always; a CUDA device by its index; Apple's MPS)."""
    if device.type == "cuda":
        return torch.cuda.device_count() > (device.index or 0)
    if device.type == "mps":
        return torch.backends.mps.is_available()
    return device.type == "cpu"


def load_checkpoint(path: str | os.PathLike, model: str | None = None,
                    device: Device | None = None) -> tuple[nn.Sequential, dict[str, Any]]:
    """Rebuild the network saved by :func:`~d2l_utils.training.save_checkpoint` (read with
    ``weights_only=True``, so a file cannot run code) on ``device`` (``None``: the CPU). With
    ``model``, the file must hold that model. Returns ``(net, payload)`` with ``net`` in evaluation
    mode; a missing, truncated or foreign file raises :class:`~d2l_utils.training.CheckpointError`
    naming the file and the fix. The weights are read onto ``device`` whatever device they were saved
    from, so a checkpoint written on a GPU loads on a machine without one; a ``device`` this machine
    lacks raises ``ValueError`` before the file is read. Its network is built by its recipe's
    ``model`` (:data:`RECIPES`)."""
    path, device = Path(path), torch.device("cpu" if device is None else device)
    if not _available(device):
        raise ValueError(f"load_checkpoint got device={str(device)!r}, which this machine does not have: "
                         "leave device out to load onto the CPU, or pass d2l_utils.try_gpu() for the "
                         "best device this machine has.")
    if not path.is_file():
        raise CheckpointError(f"The checkpoint {path} does not exist. Train and save it with "
                              "`make checkpoints` in the collection's folder (or call "
                              "d2l_utils.checkpoint_or_train, which trains it when it is missing).")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile) as err:
        raise CheckpointError(f"The checkpoint {path} is truncated or corrupted (PyTorch says: "
                              f"{_first_line(err)}). {CHECKPOINT_FIX}") from None
    except pickle.UnpicklingError as err:
        raise CheckpointError(f"The checkpoint {path} holds Python objects besides weights, so it cannot "
                              f"be read with weights only ({_first_line(err)}). Load only "
                              f"files you trust, and then not with this helper. {CHECKPOINT_FIX}") from None
    if not (isinstance(payload, dict) and payload.get("model") in RECIPES and "state_dict" in payload):
        found = payload.get("model") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"The checkpoint {path} is not one of d2l_utils' checkpoints (it holds "
                              f"{found!r}; expected a dict naming one of {sorted(RECIPES)}). "
                              f"{CHECKPOINT_FIX}")
    if model is not None and payload["model"] != model:
        raise CheckpointError(f"The checkpoint {path} holds a {payload['model']!r} network, not the "
                              f"{model!r} network asked for. Pass the right file. {CHECKPOINT_FIX}")
    with torch.random.fork_rng(devices=[]):  # building a network draws its initial weights: not from
        net = RECIPES[payload["model"]].model()  # the caller's stream (they are replaced right away)
    try:
        net.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        detail = (str(err).splitlines() + [""])[1].strip() or str(err)
        raise CheckpointError(f"The weights in {path} do not fit the {payload['model']!r} network "
                              f"({detail[:200]}). {CHECKPOINT_FIX}") from None
    net.to(device).eval()
    return net, payload
