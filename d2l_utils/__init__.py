"""Helpers shared by the LeNet-on-Fashion-MNIST notebooks, one module per concept (``data``, ``models``,
``training``, ``recipes``, ``diagnostics``, ``plots``, ``widgets``, ``fast``, ``measured``), and the
exercises' self-checks and quizzes. One convention, d2l's: the model first; ``device=None`` is the
device of the network's parameters (the CPU for a network a helper builds), and only a device given
moves a network; every helper gives a network back in the mode and memory layout it went in; only
``init=True`` re-initialises one. Each public helper's docstring says which notebooks use it (read one
with ``helper??``). The public names are listed here once; the rest stay in their modules.
"""

# ruff: noqa: I001  (the public names packed by module; each is listed once more in __all__)
from .course import check, quiz
from .data import (TEXT_LABELS, DataError, TensorBatches, find_data_dir, get_fashion_mnist_labels,
                   load_data_fashion_mnist, load_fashion_mnist_tensors, subset, to_unit_range)
from .diagnostics import (confusion_matrix, feature_maps, first_steps, most_confident_mistakes,
                          most_confused_pairs, per_class_accuracy, predict_probabilities,
                          weight_gradient_norms)
from .measured import measured
from .models import (Normalize, count_parameters, init_weights, lenet, lenet_modern, parameter_table,
                     weight_layers)
from .plots import (IMAGE_CMAP, RECIPE_COLORS, SIGNED_CMAP, plot_bars, plot_channels, plot_confusion_matrix,
                    plot_flattened_neighbours, plot_history, print_table, projector_style, show_fashion_mnist,
                    show_images, show_maps)
from .recipes import (EPOCHS, ablation, checkpoint_or_train, modern_setup, random_hflip, train_classic,
                      train_modern)
from .training import (CheckpointError, History, evaluate_accuracy, load_checkpoint, predict_ch5, train_ch5,
                       try_gpu)
from .widgets import ConvExplorer, DatasetBrowser, PredictionExplorer, ShapeCalculator, conv_output_size

__all__ = [
    # data
    "TEXT_LABELS", "DataError", "TensorBatches", "find_data_dir", "get_fashion_mnist_labels",
    "load_data_fashion_mnist", "load_fashion_mnist_tensors", "subset", "to_unit_range",
    "measured",  # measured numbers in the lessons
    # models
    "Normalize", "count_parameters", "init_weights", "lenet", "lenet_modern", "parameter_table",
    "weight_layers",
    # training
    "CheckpointError", "History", "evaluate_accuracy", "load_checkpoint", "predict_ch5", "train_ch5",
    "try_gpu",
    # recipes
    "EPOCHS", "ablation", "checkpoint_or_train", "modern_setup", "random_hflip", "train_classic",
    "train_modern",
    # plots
    "IMAGE_CMAP", "RECIPE_COLORS", "SIGNED_CMAP", "plot_bars", "plot_channels", "plot_confusion_matrix",
    "plot_flattened_neighbours", "plot_history", "print_table", "projector_style", "show_fashion_mnist",
    "show_images", "show_maps",
    # diagnostics
    "confusion_matrix", "feature_maps", "first_steps", "most_confident_mistakes", "most_confused_pairs",
    "per_class_accuracy", "predict_probabilities", "weight_gradient_norms",
    "ConvExplorer", "DatasetBrowser", "PredictionExplorer", "ShapeCalculator", "conv_output_size",  # widgets
    "check", "quiz",  # the exercises' self-checks and the closing quiz
]
