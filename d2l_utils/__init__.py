"""Helpers shared by the LeNet-on-Fashion-MNIST notebooks, one module per concept (``data``, ``models``,
``training``, ``recipes``, ``diagnostics``, ``plots``, ``widgets``, ``measured``; ``fast`` holds the
fused step ``train_ch5`` uses, ``cli`` the command line), and the exercises' self-checks and quizzes
(``course``). Each public helper's docstring says which notebooks use it (read one with ``helper??``).
The public names are each module's ``__all__``, all imported here.

One convention, d2l's, for every public function (tests/test_conventions.py checks the signatures):

* The network comes first (``net``), then the data: ``data_iter`` (or ``train_iter, test_iter`` for
  a helper that trains and tests), or ``images``, then what the model made (``predictions`` or
  ``probabilities``), then the truth (``labels``). Then the other required arguments.
* Every helper that runs a network takes ``device=None`` as its last positional-or-keyword argument;
  ``None`` means the device of the network's parameters. Everything after it is keyword-only
  (``loss``, ``optimizer``, flags). Training helpers (``train_ch5``, ``first_steps``, the recipes)
  move the network to a device given, as d2l's ``train_ch6`` does; evaluation helpers never move it,
  and a device that is not the network's raises ``ValueError`` naming both, on every machine alike.
  Helpers that build their own network (``train_recipe``, ``checkpoint_or_train``, ``recipe_runs``,
  ``ablation``, ``train_ablation``, ``ablation_or_train``, ``train_classic``, ``train_modern``) take
  ``device`` keyword-only with their other settings, ``batch_size`` before ``seed``.
* Checkpoint helpers take the path first: ``load_checkpoint(path, model=None, device=None)``,
  ``load_ablation(path)``.
* Images are called ``images`` (one: ``image``), never ``imgs``; epochs ``num_epochs``; a grid
  ``nrows`` and ``ncols``.
* A wrong type raises ``TypeError`` (as does a keyword a helper does not take, as in Python); a
  wrong value ``ValueError``; bad data ``DataError`` and an unreadable or unwritable checkpoint
  ``CheckpointError``. Every message is whole sentences saying what is wrong and how to fix it.
* Every public function is fully type-annotated.

And the promises: no helper shares writable state with the learner (the data are new tensors on
every call), swallows an interrupt (Ctrl-C in ``train_ch5`` propagates; the finished epochs stay on
the ``History``), moves the caller's random stream (a recipe seeds inside
``torch.random.fork_rng()``) or changes its arguments: every helper gives a network back in the
mode, memory layout and ``requires_grad`` it went in, with its buffers (batch norm's running
statistics) unchanged unless it trains; only ``init=True`` re-initialises one.
"""

from .course import Quiz, check, grade, quiz
from .data import (
    TEXT_LABELS,
    DataError,
    TensorBatches,
    find_data_dir,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    load_fashion_mnist_tensors,
    subset,
    to_unit_range,
)
from .diagnostics import (
    confusion_matrix,
    feature_maps,
    first_steps,
    most_confident_mistakes,
    most_confused_pairs,
    per_class_accuracy,
    predict_probabilities,
    weight_gradient_norms,
)
from .measured import measured
from .models import (
    Normalize,
    count_parameters,
    init_weights,
    lenet,
    lenet_convs,
    lenet_modern,
    parameter_table,
    weight_layers,
)
from .plots import (
    IMAGE_CMAP,
    RECIPE_COLORS,
    SIGNED_CMAP,
    plot_bars,
    plot_channels,
    plot_confusion_matrix,
    plot_flattened_neighbours,
    plot_history,
    plot_spread,
    print_spread,
    print_table,
    projector_style,
    show_fashion_mnist,
    show_images,
    show_maps,
)
from .recipes import (
    EPOCHS,
    RECIPES,
    Recipe,
    ablation,
    ablation_or_train,
    checkpoint_or_train,
    load_ablation,
    load_checkpoint,
    modern_setup,
    random_hflip,
    recipe_runs,
    train_ablation,
    train_classic,
    train_modern,
    train_recipe,
)
from .training import CheckpointError, History, evaluate_accuracy, predict_ch5, train_ch5, try_gpu
from .widgets import ConvExplorer, DatasetBrowser, PredictionExplorer, ShapeCalculator, conv_output_size

# Exactly the names of the modules' __all__ (tests/test_conventions.py checks it).
__all__ = [
    # data
    "TEXT_LABELS", "DataError", "TensorBatches", "find_data_dir", "get_fashion_mnist_labels",
    "load_data_fashion_mnist", "load_fashion_mnist_tensors", "subset", "to_unit_range",
    # measured
    "measured",
    # models
    "Normalize", "count_parameters", "init_weights", "lenet", "lenet_convs", "lenet_modern",
    "parameter_table", "weight_layers",
    # training
    "CheckpointError", "History", "evaluate_accuracy", "predict_ch5", "train_ch5", "try_gpu",
    # recipes
    "EPOCHS", "RECIPES", "Recipe", "ablation", "ablation_or_train", "checkpoint_or_train", "load_ablation",
    "load_checkpoint", "modern_setup", "random_hflip", "recipe_runs", "train_ablation", "train_classic",
    "train_modern", "train_recipe",
    # plots
    "IMAGE_CMAP", "RECIPE_COLORS", "SIGNED_CMAP", "plot_bars", "plot_channels", "plot_confusion_matrix",
    "plot_flattened_neighbours", "plot_history", "plot_spread", "print_spread", "print_table",
    "projector_style", "show_fashion_mnist", "show_images", "show_maps",
    # diagnostics
    "confusion_matrix", "feature_maps", "first_steps", "most_confident_mistakes", "most_confused_pairs",
    "per_class_accuracy", "predict_probabilities", "weight_gradient_norms",
    # widgets
    "ConvExplorer", "DatasetBrowser", "PredictionExplorer", "ShapeCalculator", "conv_output_size",
    # course
    "check", "grade", "quiz", "Quiz",
]
