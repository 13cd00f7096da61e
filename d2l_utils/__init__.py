"""Small helpers shared by the LeNet-on-Fashion-MNIST notebooks (named after d2l's)."""

from .data import (
    TEXT_LABELS,
    DataError,
    find_data_dir,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    load_fashion_mnist_tensors,
    read_idx,
    show_fashion_mnist,
    show_images,
)
from .models import MODELS, count_parameters, init_weights, lenet, lenet_modern, parameter_table
from .recipes import RECIPES, random_hflip, train_classic, train_modern
from .train import (
    History,
    evaluate_accuracy,
    load_checkpoint,
    plot_history,
    predict_ch5,
    save_checkpoint,
    train_ch5,
    try_gpu,
)

__all__ = [
    "DataError", "History", "MODELS", "RECIPES", "TEXT_LABELS", "count_parameters",
    "evaluate_accuracy", "find_data_dir", "get_fashion_mnist_labels", "init_weights", "lenet",
    "lenet_modern", "load_checkpoint", "load_data_fashion_mnist", "load_fashion_mnist_tensors",
    "parameter_table", "plot_history", "predict_ch5", "random_hflip", "read_idx",
    "save_checkpoint", "show_fashion_mnist", "show_images", "train_ch5", "train_classic",
    "train_modern", "try_gpu",
]
