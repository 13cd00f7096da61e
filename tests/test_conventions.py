"""The one convention written in d2l_utils/__init__.py, checked over every public function: the order
and names of the arguments, ``device``, annotations, the modules' ``__all__``, and error messages
that are whole sentences naming the fix."""

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest
import torch

import d2l_utils
from d2l_utils.models import lenet

# The modules whose __all__ the package re-exports; the others (fast, serving train_ch5, and the command
# line's) declare __all__ for their own users.
MODULES = ("data", "measured", "models", "training", "recipes", "plots", "diagnostics", "widgets", "course")
EVERY_MODULE = sorted(p.stem for p in Path(d2l_utils.__file__).parent.glob("*.py")
                      if p.stem not in ("__init__", "__main__"))
# Helpers that take a network only to look at it or to build an optimiser for it: they run nothing.
LOOK_ONLY = {"count_parameters", "parameter_table", "weight_layers", "modern_setup"}
# Helpers that train (and so move the network to a device given, as d2l's train_ch6 does).
TRAINERS = {"train_ch5", "first_steps"}
DATA = ("images", "predictions", "probabilities", "labels")  # in this order, after the network


def public():
    """(name, signature) of every public function and class (its __init__), exceptions aside."""
    for name in d2l_utils.__all__:
        obj = getattr(d2l_utils, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


PUBLIC = list(public())
IDS = [name for name, _ in PUBLIC]


def parameters(obj) -> list[inspect.Parameter]:
    params = list(inspect.signature(obj.__init__ if inspect.isclass(obj) else obj).parameters.values())
    return params[1:] if inspect.isclass(obj) else params  # without self


def test_every_module_has_all_and_the_package_imports_exactly_those():
    names = []
    assert set(MODULES) <= set(EVERY_MODULE)
    for module in EVERY_MODULE:
        mod = importlib.import_module(f"d2l_utils.{module}")
        assert isinstance(mod.__all__, list) and mod.__all__, module
        assert all(hasattr(mod, n) for n in mod.__all__), module
        if module in MODULES:
            names += mod.__all__
    assert sorted(d2l_utils.__all__) == sorted(names) and len(names) == len(set(names))
    imported = {n for n, v in vars(d2l_utils).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert imported == set(names), imported ^ set(names)  # nothing imported besides __all__


def test_the_rule_is_written_once_in_the_package_docstring():
    doc = " ".join(d2l_utils.__doc__.split())
    for phrase in ("The network comes first", "device=None", "keyword-only", "never ``imgs``",
                   "TypeError", "ValueError", "whole sentences", "fully type-annotated"):
        assert phrase in doc, phrase


@pytest.mark.parametrize("name, obj", PUBLIC, ids=IDS)
def test_the_signature_follows_the_rule(name, obj):
    params = parameters(obj)
    names = [p.name for p in params]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert not {"imgs", "img", "X", "y"} & set(names), f"{name}: images and labels by their names"
    if not dataclasses.is_dataclass(obj):  # a record's fields (Recipe.epochs) describe, they are no arguments
        assert not {"epochs", "num_cols", "num_rows"} & set(names), f"{name}: num_epochs, nrows, ncols"
    if "net" in names:
        assert names[0] == "net", f"{name}: the network comes first"
    data = [n for n in names if n in DATA]
    assert data == [n for n in DATA if n in data], f"{name}: images, then what the model made, then labels"
    if data and "net" in names:
        assert names.index(data[0]) == 1, f"{name}: the data right after the network"
    if "batch_size" in names and "seed" in names:
        assert names.index("batch_size") < names.index("seed"), f"{name}: batch_size before seed"
    if "path" in names:
        assert names[0] == "path", f"{name}: a checkpoint helper takes the path first"
    runs_a_network = names[:1] == ["net"] and name not in LOOK_ONLY
    if runs_a_network:
        assert "device" in names, f"{name} runs a network: it takes device=None"
        device = params[names.index("device")]
        assert device.default is None and positional[-1] is device, \
            f"{name}: device=None is the last positional-or-keyword argument"
        assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[names.index("device") + 1:])
    elif name == "load_checkpoint":  # load_checkpoint(path, model=None, device=None): it only loads
        assert params[names.index("device")].default is None and positional[-1].name == "device", name
    elif "device" in names:  # a helper that builds its own network: device among its keyword settings
        device = params[names.index("device")]
        assert device.default is None and device.kind is device.KEYWORD_ONLY, name


def test_the_rule_knows_which_helpers_run_a_network():
    takes_net = {name for name, obj in PUBLIC if parameters(obj)[:1] and parameters(obj)[0].name == "net"}
    assert LOOK_ONLY <= takes_net and TRAINERS <= takes_net
    assert {"evaluate_accuracy", "predict_probabilities", "PredictionExplorer"} <= takes_net - LOOK_ONLY


def test_d2ls_own_names_and_order_are_kept():
    assert [p.name for p in parameters(d2l_utils.train_ch5)][:6] == [
        "net", "train_iter", "test_iter", "num_epochs", "lr", "device"]
    assert [p.name for p in parameters(d2l_utils.evaluate_accuracy)][:3] == ["net", "data_iter", "device"]
    assert [p.name for p in parameters(d2l_utils.load_checkpoint)] == ["path", "model", "device"]
    checkpoint = inspect.signature(d2l_utils.checkpoint_or_train).parameters
    assert list(checkpoint)[:3] == ["path", "model", "num_epochs"] and checkpoint["seed"].kind == 3
    recipe = inspect.signature(d2l_utils.train_recipe).parameters
    assert list(recipe)[:6] == ["model", "num_epochs", "batch_size", "seed", "lr", "device"]
    assert all(recipe[n].kind is inspect.Parameter.KEYWORD_ONLY for n in list(recipe)[2:6])


@pytest.mark.parametrize("name, obj", PUBLIC, ids=IDS)
def test_every_public_function_is_fully_annotated(name, obj):
    function = obj.__init__ if inspect.isclass(obj) else obj
    signature = inspect.signature(function)
    missing = [p.name for p in parameters(obj) if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: no annotation for {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"


# --- error messages: whole sentences, the culprit and the fix ----------------------------------------------


def _quiz_answer():
    quiz = d2l_utils.course.Quiz("05", [{"question": "q", "options": {"A": "a", "B": "b"}, "answer": "A",
                                          "why": "w", "hints": {"B": "h"}}])
    quiz.answer(1, "E")


MISTAKES = {
    "batch size of the wrong type": (TypeError,
                                     lambda: d2l_utils.TensorBatches(torch.zeros(4), torch.zeros(4), "8")),
    "batch size below 1": (ValueError, lambda: d2l_utils.TensorBatches(torch.zeros(4), torch.zeros(4), 0)),
    "images and labels that differ": (ValueError,
                                      lambda: d2l_utils.TensorBatches(torch.zeros(4), torch.zeros(3), 2)),
    "a class that does not exist": (ValueError, lambda: d2l_utils.DatasetBrowser(
        torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]), class_index=10, static=True)),
    "a colour image for the kernel explorer": (ValueError, lambda: d2l_utils.ConvExplorer(
        torch.zeros(3, 8, 8), static=True)),
    "an unknown kernel": (ValueError,
                          lambda: d2l_utils.ConvExplorer(torch.zeros(8, 8), "emboss", static=True)),
    "a kernel larger than the image": (ValueError, lambda: d2l_utils.ConvExplorer(
        torch.zeros(2, 2), static=True)),
    "an unknown setting": (TypeError, lambda: d2l_utils.ShapeCalculator(static=True, k3=5)),
    "an unknown choice": (ValueError, lambda: d2l_utils.PredictionExplorer(
        lenet(), torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]), show="some", static=True)),
    "an option a question lacks": (ValueError, _quiz_answer),
    "an unknown recipe": (ValueError, lambda: d2l_utils.train_recipe("alexnet")),
    "a seed twice": (ValueError, lambda: d2l_utils.recipe_runs("lenet", (0, 0))),
    "one seed where seeds are asked for": (TypeError, lambda: d2l_utils.ablation_or_train(seeds=1)),
    "a missing ablation table": (d2l_utils.CheckpointError, lambda: d2l_utils.load_ablation("/nope.json")),
    "a row of the spread without its numbers": (ValueError, lambda: d2l_utils.print_spread(
        [("classic", [])], ["variant", "SGD"])),
    "a device this machine lacks": (ValueError, lambda: d2l_utils.load_checkpoint("x.pt", device="cuda:99")),
    "a device not the network's": (ValueError, lambda: d2l_utils.evaluate_accuracy(lenet(), [], "meta")),
    "a learning rate and an optimizer": (ValueError, lambda: d2l_utils.train_ch5(
        lenet(), [], [], 1, 0.1, optimizer=torch.optim.SGD(lenet().parameters(), lr=0.1))),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_gets_whole_sentences_naming_the_fix(mistake):
    error, call = MISTAKES[mistake]
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    starts = re.match(r"[A-Z]", message) or message.split()[0] in d2l_utils.__all__  # or a helper's name
    assert starts and message.endswith("."), f"not whole sentences: {message!r}"
    assert "\n" not in message and len(message.split()) >= 8, message
    assert re.search(r"\b(pass|use|choose|move|leave|give|train|rebuild|run|set|name)\b", message, re.I), \
        f"no fix named: {message!r}"
