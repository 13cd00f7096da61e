"""Recipes (notebooks 05-07): the classic textbook recipe, a modern one for a network of the same
size, and the short runs, ablation and checkpoints built on them."""

from __future__ import annotations

import torch
from torch import nn

from .data import load_data_fashion_mnist
from .models import lenet, lenet_modern, lenet_variant
from .training import (
    History,
    check_writable,
    checkpoint_dir,
    load_checkpoint,
    save_checkpoint,
    train_ch5,
    try_gpu,
)


def random_hflip(X: torch.Tensor) -> torch.Tensor:
    """Mirror a random half of the images left-right: a mirrored coat is still a coat (notebook 06)."""
    flip = torch.rand(len(X), device=X.device) < 0.5
    return torch.where(flip[:, None, None, None], X.flip(-1), X)


def modern_setup(net: nn.Module, num_epochs: int, steps_per_epoch: int, lr: float = 0.01,
                 weight_decay: float = 0.01, label_smoothing: float = 0.1):
    """The modern recipe's optimiser, schedule and loss, as notebook 06 writes them out:

    * AdamW: a step size per parameter, from running averages of its gradient and squared gradient,
      and weight decay applied to the weights directly;
    * a one-cycle schedule: the learning rate warms up to ``lr`` over the first 30% of the steps,
      then anneals to almost 0;
    * cross-entropy with label smoothing: the target puts ``1 - label_smoothing`` on the true class
      and spreads the rest evenly, so the network is not pushed towards infinite confidence.

    Returns ``(optimizer, scheduler, loss)``; the scheduler steps after every batch.
    """
    # fused=True: one kernel updates every parameter (PyTorch's own, on CPU, CUDA and MPS); same result
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                    total_steps=num_epochs * steps_per_epoch)
    return optimizer, scheduler, nn.CrossEntropyLoss(label_smoothing=label_smoothing)


# Each recipe's number of epochs: the modern one fits in a minute of training on a 2-core CPU (README).
EPOCHS = {"lenet": 10, "lenet-modern": 8}


def train_classic(train_iter, test_iter, num_epochs=EPOCHS["lenet"], lr=0.9, device=None, net=None, **kwargs):
    """The textbook recipe (notebook 05): sigmoid LeNet, Xavier init, cross-entropy, SGD at ``lr``.
    Returns ``(net, history)``."""
    net = net if net is not None else lenet()
    history = train_ch5(net, train_iter, test_iter, nn.CrossEntropyLoss(), num_epochs,
                        train_iter.batch_size, device or try_gpu(), lr=lr, **kwargs)
    return net, history


def train_modern(train_iter, test_iter, num_epochs=EPOCHS["lenet-modern"], lr=0.01, device=None, net=None,
                 label_smoothing=0.1, augment=random_hflip, **kwargs):
    """The modern recipe (notebook 06) for :func:`~d2l_utils.models.lenet_modern`:
    :func:`modern_setup` (AdamW, one-cycle, label smoothing) and random horizontal flips.
    Returns ``(net, history)``."""
    net = net if net is not None else lenet_modern()
    optimizer, scheduler, loss = modern_setup(net, num_epochs, len(train_iter), lr=lr,
                                              label_smoothing=label_smoothing)
    history = train_ch5(net, train_iter, test_iter, loss, num_epochs, train_iter.batch_size,
                        device or try_gpu(), optimizer=optimizer, scheduler=scheduler,
                        augment=augment, **kwargs)
    return net, history


RECIPES = {"lenet": train_classic, "lenet-modern": train_modern}


def train_recipe(model: str, num_epochs: int | None = None, batch_size: int = 256, seed: int = 0,
                 device=None, root=None, lr=None, save=None, **kwargs):
    """What ``python -m d2l_utils train`` does: check ``save`` can be written, seed, load the data,
    train ``model``'s recipe (its own number of epochs, ``EPOCHS[model]``, and learning rate unless
    given) and, with ``save``, write a checkpoint. Returns ``(net, history)``."""
    num_epochs = num_epochs or EPOCHS[model]
    if save:
        check_writable(save)  # before the work it would waste
    torch.manual_seed(seed)
    train_iter, test_iter = load_data_fashion_mnist(batch_size, root=root)
    if lr is not None:
        kwargs["lr"] = lr
    net, history = RECIPES[model](train_iter, test_iter, num_epochs=num_epochs, device=device, **kwargs)
    if save:
        save_checkpoint(net, save, model, history, epochs=num_epochs, batch_size=batch_size, lr=lr,
                        seed=seed)
    return net, history


ABLATION_ROWS = [
    ("classic: sigmoid, average pooling", {}),
    ("+ ReLU", {"relu": True}),
    ("+ max pooling", {"relu": True, "max_pool": True}),
    ("+ input normalisation", {"relu": True, "max_pool": True, "normalize": True}),
    ("+ batch norm (= lenet_modern)",
     {"relu": True, "max_pool": True, "normalize": True, "batch_norm": True}),
]
ABLATION_COLUMNS = ("SGD, lr 0.9", "AdamW + one-cycle, lr 0.01")


def short_run(net, train_iter, test_iter, num_epochs: int, modern: bool, label_smoothing: float = 0.0,
              augment=None, device="cpu") -> History:
    """Train ``net`` quietly: the classic optimiser (SGD, lr 0.9) or the modern one (AdamW + one-cycle,
    lr 0.01, :func:`modern_setup`), with the given label smoothing and augmentation."""
    if modern:
        _, history = train_modern(train_iter, test_iter, num_epochs, device=device, net=net,
                                  label_smoothing=label_smoothing, augment=augment,
                                  progress=False, verbose=False)
    else:
        _, history = train_classic(train_iter, test_iter, num_epochs, device=device, net=net,
                                   progress=False, verbose=False)
    return history


def ablation(train_iter, test_iter, num_epochs: int = 2, rows=ABLATION_ROWS, seed: int = 0,
             device="cpu") -> list[tuple]:
    """Test accuracy after ``num_epochs`` for every variant x optimiser, each from the same seed
    (notebook 06). A last row adds flips and label smoothing with the modern optimiser, which is
    exactly :func:`train_modern`. Returns rows ``(variant, SGD accuracy, AdamW accuracy)``, with
    ``None`` where a combination was not run."""
    results = []
    for name, flags in rows:
        accs = []
        for modern in (False, True):
            torch.manual_seed(seed)
            history = short_run(lenet_variant(**flags), train_iter, test_iter, num_epochs, modern,
                                device=device)
            accs.append(history.test_acc[-1])
        results.append((name, *accs))
    torch.manual_seed(seed)
    history = short_run(lenet_modern(), train_iter, test_iter, num_epochs, True, label_smoothing=0.1,
                        augment=random_hflip, device=device)
    results.append(("+ flips, label smoothing (= train_modern)", None, history.test_acc[-1]))
    return results


def checkpoint_or_train(path, model: str = "lenet-modern", epochs: int | None = None, seed: int = 0,
                        batch_size: int = 256, device=None, folder=None):
    """Load the checkpoint at ``path``; if there is no such file, train ``model`` as the CLI does
    and save it there first (notebooks 06, 07).

    A relative ``path`` is taken in :func:`~d2l_utils.training.checkpoint_dir` (``folder``, or
    ``$D2L_CHECKPOINT_DIR``, or the collection's ``checkpoints/``). A file that is truncated, holds
    another model or is not a checkpoint raises ``CheckpointError`` naming it and the fix. Returns
    ``(net, history)`` with ``net`` in evaluation mode. The CLI equivalent:
    ``python -m d2l_utils train --model MODEL --seed 0 --save PATH`` (``EPOCHS[model]`` epochs).
    """
    device = device or try_gpu()
    epochs = epochs or EPOCHS[model]
    path = checkpoint_dir(folder) / path  # an absolute path stays as it is
    if not path.exists():
        check_writable(path)
        print(f"{path} not found: training {model} for {epochs} epochs (seed {seed}) and saving it")
        train_recipe(model, epochs, batch_size, seed, device, save=path, progress=False, verbose=False)
    net, payload = load_checkpoint(path, device=device, model=model)
    return net, History(**payload["history"])
