"""Complete training recipes: the classic one of the textbook and a modern one of the same size."""

from __future__ import annotations

import torch
from torch import nn

from .data import load_data_fashion_mnist
from .models import lenet, lenet_modern
from .train import save_checkpoint, train_ch5, try_gpu


def random_hflip(X: torch.Tensor) -> torch.Tensor:
    """Mirror a random half of the images left-right (clothes stay clothes when mirrored)."""
    flip = torch.rand(len(X), device=X.device) < 0.5
    return torch.where(flip[:, None, None, None], X.flip(-1), X)


def train_classic(train_iter, test_iter, num_epochs=10, lr=0.9, device=None, **kwargs):
    """The textbook recipe: sigmoid LeNet, Xavier init, cross-entropy, plain SGD. Returns (net, history)."""
    net = lenet()
    history = train_ch5(net, train_iter, test_iter, nn.CrossEntropyLoss(), num_epochs,
                        train_iter.batch_size, device or try_gpu(), lr=lr, **kwargs)
    return net, history


def train_modern(train_iter, test_iter, num_epochs=10, lr=0.01, device=None, weight_decay=0.01,
                 label_smoothing=0.1, augment=random_hflip, **kwargs):
    """The modern recipe for :func:`lenet_modern`: AdamW with a one-cycle schedule peaking at ``lr``,
    cross-entropy with label smoothing, and random horizontal flips. Returns (net, history)."""
    net = lenet_modern()
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr,
                                                    total_steps=num_epochs * len(train_iter))
    loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    history = train_ch5(net, train_iter, test_iter, loss, num_epochs, train_iter.batch_size,
                        device or try_gpu(), optimizer=optimizer, scheduler=scheduler,
                        augment=augment, **kwargs)
    return net, history


RECIPES = {"lenet": train_classic, "lenet-modern": train_modern}


def train_recipe(model: str, num_epochs: int = 10, batch_size: int = 256, seed: int = 0, device=None,
                 root=None, lr=None, save=None, **kwargs):
    """What ``python -m d2l_utils train`` does: seed, load the data, train ``model``'s recipe (its own
    learning rate unless ``lr`` is given) and, with ``save``, write a checkpoint. Returns (net, history)."""
    torch.manual_seed(seed)
    train_iter, test_iter = load_data_fashion_mnist(batch_size, root=root)
    if lr is not None:
        kwargs["lr"] = lr
    net, history = RECIPES[model](train_iter, test_iter, num_epochs=num_epochs, device=device, **kwargs)
    if save:
        save_checkpoint(net, save, model, history, epochs=num_epochs, batch_size=batch_size, lr=lr,
                        seed=seed)
    return net, history
