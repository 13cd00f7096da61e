"""Recipes: the classic textbook recipe, a modern one for a network of the same size, and the
ablation and checkpoints built on them. Each recipe trains a network of its own, Xavier-initialised."""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from .data import load_data_fashion_mnist
from .models import lenet, lenet_modern, lenet_variant
from .training import History, check_writable, checkpoint_dir, load_checkpoint, save_checkpoint, train_ch5


def random_hflip(X: torch.Tensor) -> torch.Tensor:
    """Mirror a random half of the images left-right: a mirrored coat is still a coat. Used in notebook 06."""
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

    Returns ``(optimizer, scheduler, loss)``; the scheduler steps after every batch. Used in notebook 06.
    """
    # fused=True: one kernel updates every parameter (PyTorch's own, on CPU, CUDA and MPS); same result
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                    total_steps=num_epochs * steps_per_epoch)
    return optimizer, scheduler, nn.CrossEntropyLoss(label_smoothing=label_smoothing)


# Each recipe's number of epochs: the modern one fits in a minute of training on a 2-core CPU (README).
EPOCHS = {"lenet": 10, "lenet-modern": 8}


def _modern(net, train_iter, test_iter, num_epochs, lr=0.01, device=None, label_smoothing=0.1,
            augment=random_hflip, **kwargs) -> History:
    """:func:`modern_setup` (AdamW, one-cycle, label smoothing) and ``augment``, from new Xavier weights."""
    optimizer, scheduler, loss = modern_setup(net, num_epochs, len(train_iter), lr=lr,
                                              label_smoothing=label_smoothing)
    return train_ch5(net, train_iter, test_iter, num_epochs, None, device, loss=loss, optimizer=optimizer,
                     scheduler=scheduler, augment=augment, init=True, **kwargs)


def train_classic(train_iter, test_iter, num_epochs=EPOCHS["lenet"], lr=0.9, device=None, **kwargs):
    """The classic textbook recipe on a new network: sigmoid LeNet, Xavier init, cross-entropy,
    SGD at ``lr``; ``kwargs`` go to :func:`~d2l_utils.training.train_ch5`. Returns ``(net, history)``."""
    net = lenet()
    return net, train_ch5(net, train_iter, test_iter, num_epochs, lr, device, init=True, **kwargs)


def train_modern(train_iter, test_iter, num_epochs=EPOCHS["lenet-modern"], lr=0.01, device=None,
                 label_smoothing=0.1, augment=random_hflip, **kwargs):
    """The modern recipe on a new :func:`~d2l_utils.models.lenet_modern`: Xavier
    init, :func:`modern_setup` (AdamW, one-cycle, label smoothing) and random horizontal flips;
    ``kwargs`` go to :func:`~d2l_utils.training.train_ch5`. Returns ``(net, history)``."""
    net = lenet_modern()
    return net, _modern(net, train_iter, test_iter, num_epochs, lr, device, label_smoothing, augment,
                        **kwargs)


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


def ablation(train_iter, test_iter, num_epochs: int = 2, rows=ABLATION_ROWS, seed: int = 0,
             device=None) -> list[tuple]:
    """Test accuracy after ``num_epochs`` for every variant x optimiser (the classic SGD at lr 0.9, or
    AdamW + one-cycle at lr 0.01 without flips or label smoothing), each a new network from the same
    seed. A last row adds flips and label smoothing to the modern optimiser, which is exactly
    :func:`train_modern`. Returns rows ``(variant, SGD accuracy, AdamW accuracy)``, with ``None``
    where a combination was not run. Used in notebook 06."""

    def accuracy(make, train, **recipe):
        torch.manual_seed(seed)  # the same initial weights and batches in every cell
        return train(make(), train_iter, test_iter, num_epochs, device=device, progress=False,
                     verbose=False, **recipe).test_acc[-1]

    sgd = partial(train_ch5, lr=0.9, init=True)  # the classic recipe's optimiser
    table = [(name, accuracy(partial(lenet_variant, **flags), sgd),
              accuracy(partial(lenet_variant, **flags), _modern, label_smoothing=0.0, augment=None))
             for name, flags in rows]
    return table + [("+ flips, label smoothing (= train_modern)", None, accuracy(lenet_modern, _modern))]


def checkpoint_or_train(path, model: str = "lenet-modern", num_epochs: int | None = None, seed: int = 0,
                        batch_size: int = 256, device=None, folder=None):
    """Load the checkpoint at ``path`` onto ``device`` (``None``: the CPU); if there is no such file,
    train ``model`` as the CLI does and save it there first. Used in notebooks 06 and 07.

    A relative ``path`` is taken in :func:`~d2l_utils.training.checkpoint_dir` (``folder``, or
    ``$D2L_CHECKPOINT_DIR``, or the collection's ``checkpoints/``). A file that is truncated, holds
    another model or is not a checkpoint raises ``CheckpointError`` naming it and the fix. Returns
    ``(net, history)`` with ``net`` in evaluation mode. The CLI equivalent:
    ``python -m d2l_utils train --model MODEL --seed 0 --save PATH`` (``EPOCHS[model]`` epochs).
    """
    num_epochs = num_epochs or EPOCHS[model]
    path = checkpoint_dir(folder) / path  # an absolute path stays as it is
    if not path.exists():
        check_writable(path)
        print(f"{path} not found: training {model} for {num_epochs} epochs (seed {seed}) and saving it")
        train_recipe(model, num_epochs, batch_size, seed, device, save=path, progress=False, verbose=False)
    net, payload = load_checkpoint(path, model, device)
    return net, History(**payload["history"])
