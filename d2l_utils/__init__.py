"""Helpers shared by the LeNet-on-Fashion-MNIST notebooks, one module per concept.

``data`` (notebook 04), ``models`` (02, 06), ``training`` (05), ``recipes`` (05-07), ``plots``
(every notebook), ``inspect`` (05-07), ``widgets`` (01, 03, 04, 07), ``fast`` (08), and ``checks``
(``check_NN_k``, the exercises' self-checks) and ``quiz`` (the closing quiz) in every notebook. Each public
helper says in its docstring which notebook teaches or uses it; read one with ``helper??``.
The public names are listed here once; notebooks import them from ``d2l_utils``.
"""

from .checks import (
    check_01_1,
    check_01_2,
    check_01_3,
    check_01_4,
    check_01_5,
    check_02_1,
    check_02_2,
    check_02_3,
    check_02_4,
    check_02_5,
    check_03_1,
    check_03_2,
    check_03_3,
    check_03_4,
    check_03_5,
    check_04_1,
    check_04_2,
    check_04_3,
    check_04_4,
    check_05_1,
    check_05_2,
    check_05_3,
    check_05_5,
    check_06_1,
    check_06_2,
    check_06_3,
    check_07_1,
    check_07_2,
    check_07_3,
    check_07_4,
    check_08_1,
    check_08_2,
    check_08_3,
)
from .data import (
    TEXT_LABELS,
    DataError,
    TensorBatches,
    find_data_dir,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    load_fashion_mnist_tensors,
    read_idx,
    subset,
    to_unit_range,
)
from .inspect import (
    confusion_matrix,
    feature_maps,
    first_steps,
    most_confident_mistakes,
    most_confused_pairs,
    per_class_accuracy,
    predict_probabilities,
    weight_gradient_norms,
)
from .measured import expect, measured
from .models import (
    MODELS,
    Normalize,
    count_parameters,
    init_weights,
    lenet,
    lenet_modern,
    lenet_variant,
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
    print_table,
    projector_style,
    show_fashion_mnist,
    show_images,
    show_maps,
    show_predictions,
)
from .quiz import quiz
from .recipes import (
    ABLATION_ROWS,
    EPOCHS,
    RECIPES,
    ablation,
    checkpoint_or_train,
    modern_setup,
    random_hflip,
    short_run,
    train_classic,
    train_modern,
    train_recipe,
)
from .training import (
    CheckpointError,
    History,
    check_writable,
    checkpoint_dir,
    evaluate_accuracy,
    evaluation_mode,
    load_checkpoint,
    predict_ch5,
    save_checkpoint,
    train_ch5,
    try_gpu,
)
from .widgets import ConvExplorer, DatasetBrowser, PredictionExplorer, ShapeCalculator, conv_output_size

__all__ = [
    # data
    "TEXT_LABELS", "DataError", "TensorBatches", "find_data_dir", "get_fashion_mnist_labels",
    "load_data_fashion_mnist", "load_fashion_mnist_tensors", "read_idx", "subset", "to_unit_range",
    # measured numbers in the lessons
    "expect", "measured",
    # models
    "MODELS", "Normalize", "count_parameters", "init_weights", "lenet", "lenet_modern", "lenet_variant",
    "parameter_table", "weight_layers",
    # training
    "CheckpointError", "History", "check_writable", "checkpoint_dir", "evaluate_accuracy",
    "evaluation_mode", "load_checkpoint", "predict_ch5", "save_checkpoint", "train_ch5", "try_gpu",
    # recipes
    "ABLATION_ROWS", "EPOCHS", "RECIPES", "ablation", "checkpoint_or_train", "modern_setup", "random_hflip",
    "short_run", "train_classic", "train_modern", "train_recipe",
    # plots
    "IMAGE_CMAP", "RECIPE_COLORS", "SIGNED_CMAP", "plot_bars", "plot_channels", "plot_confusion_matrix",
    "plot_flattened_neighbours", "plot_history", "print_table", "projector_style", "show_fashion_mnist",
    "show_images", "show_maps", "show_predictions",
    # inspect
    "confusion_matrix", "feature_maps", "first_steps", "most_confident_mistakes", "most_confused_pairs",
    "per_class_accuracy", "predict_probabilities", "weight_gradient_norms",
    # widgets
    "ConvExplorer", "DatasetBrowser", "PredictionExplorer", "ShapeCalculator", "conv_output_size",
    # checks (exercises' self-checks) and quiz
    "check_01_1", "check_01_2", "check_01_3", "check_01_4", "check_01_5", "check_02_1", "check_02_2",
    "check_02_3", "check_02_4", "check_02_5", "check_03_1", "check_03_2", "check_03_3", "check_03_4",
    "check_03_5", "check_04_1", "check_04_2", "check_04_3", "check_04_4", "check_05_1", "check_05_2",
    "check_05_3", "check_05_5", "check_06_1", "check_06_2", "check_06_3", "check_07_1", "check_07_2",
    "check_07_3", "check_07_4", "check_08_1", "check_08_2", "check_08_3",
    "quiz",
]
