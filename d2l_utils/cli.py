"""``python -m d2l_utils train ...``: train a LeNet from the command line; ``ablation``: notebook 06's
ablation over several seeds, saved for the notebook to load."""

from __future__ import annotations

import argparse
import json
import re
import sys

import torch

from .data import DataError, find_data_dir, load_fashion_mnist_tensors
from .doctor import diagnose
from .plots import print_spread
from .recipes import ABLATION_COLUMNS, RECIPES, SEEDS, train_ablation, train_recipe
from .training import CheckpointError, History, check_writable, try_gpu

__all__ = [
    "build_parser",
    "main",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage block or traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(kind, expected: str, least: str):
    """An argparse type: the text as a positive ``kind``, or one line saying what was expected."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be {least}, got {value}")
        return value
    return parse


_positive_int = _positive(int, "a positive whole number", "at least 1")
_positive_float = _positive(float, "a number", "positive")


class _Distinct(argparse.Action):
    """Store a list given with ``nargs``, refusing one that names a value twice."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(set(values)) != len(values):
            raise argparse.ArgumentError(self, f"each seed once, got {' '.join(map(str, values))}")
        setattr(namespace, self.dest, values)


def _device(text: str) -> torch.device:
    if text == "auto":
        return try_gpu()
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r} (choose auto, cpu, cuda, cuda:N or mps)")
    device = torch.device(text)
    if device.type == "cuda" and torch.cuda.device_count() <= (device.index or 0):
        raise argparse.ArgumentTypeError(f"{text} is not available on this machine (try --device auto)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise argparse.ArgumentTypeError("mps is not available on this machine (try --device auto)")
    return device


def _save_path(text: str):
    try:
        return check_writable(text)
    except CheckpointError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _each_recipe(field: str) -> str:
    """What the recipe table says for each recipe, as "10 for lenet and 8 for lenet-modern"."""
    parts = [f"{getattr(recipe, field)} for {name}" for name, recipe in RECIPES.items()]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _add_run_options(command: argparse.ArgumentParser, *, save: str, json: str) -> None:
    """The options every training command shares: batch size, device, data folder, --save and --json."""
    command.add_argument("--batch-size", type=_positive_int, default=256)
    command.add_argument("--device", type=_device, default="auto", help="auto, cpu, cuda, cuda:N or mps")
    command.add_argument("--data-dir", default=None, help="folder with the four Fashion-MNIST files")
    command.add_argument("--save", type=_save_path, default=None, metavar="FILE",
                         help=save + " (checked before training starts)")
    command.add_argument("--json", action="store_true", help=json)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m d2l_utils", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = sub.add_parser("train", help="train a LeNet on Fashion-MNIST")
    train.add_argument("--model", choices=sorted(RECIPES), default="lenet")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="default: the recipe's, " + _each_recipe("epochs"))
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default: the recipe's, " + _each_recipe("lr") + ")")
    train.add_argument("--seed", type=int, default=0)
    _add_run_options(train, save="write a checkpoint here", json="print one JSON object per epoch on stdout")
    ablation = sub.add_parser("ablation", help="notebook 06's ablation for several seeds, as a JSON table")
    ablation.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), metavar="SEED",
                          action=_Distinct, help="one run of every row per seed (default: %(default)s)")
    ablation.add_argument("--epochs", type=_positive_int, default=2, help="per run (default: 2)")
    ablation.add_argument("--train-images", type=_positive_int, default=5000,
                          help="the first N training images (default: 5000)")
    _add_run_options(ablation, save="write the table here as JSON", json="print the table as JSON on stdout")
    data = sub.add_parser("data", help="find, verify (and if needed download) Fashion-MNIST")
    data.add_argument("--data-dir", default=None, help="folder with the four Fashion-MNIST files")
    data.add_argument("--no-download", action="store_true",
                      help="only look on this machine (exit 1 when the files are not here)")
    doctor = sub.add_parser("doctor", help="check this set-up for the notebooks (exit 1 on a problem)")
    doctor.add_argument("--device", type=_device_name, default=None,
                        help="a device to check as asked for: cpu, cuda, cuda:N or mps")
    doctor.add_argument("--verbose", action="store_true", help="print what was checked even when all is well")
    return parser


def _device_name(text: str) -> str:
    """An argparse type for ``doctor --device``: a well-formed name, which the doctor then checks."""
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r} (choose cpu, cuda, cuda:N or mps)")
    return text


def _check_data(args: argparse.Namespace) -> int:
    folder = find_data_dir(args.data_dir, download=not args.no_download)
    tensors = load_fashion_mnist_tensors(folder)
    counts = ", ".join(f"{len(labels)} {split}" for split, (_, labels) in tensors.items())
    print(f"Fashion-MNIST OK in {folder} ({counts} images)")
    return 0


def _ablation(args: argparse.Namespace) -> None:
    """Run the ablation; print its table (as JSON with --json) on stdout."""
    table = train_ablation(args.seeds, args.epochs, batch_size=args.batch_size,
                           train_images=args.train_images, device=args.device, root=args.data_dir,
                           save=args.save, verbose=not args.json)
    if args.json:
        print(json.dumps(table))
    else:
        print_spread([(row["variant"], *(row[c] for c in ABLATION_COLUMNS)) for row in table["rows"]],
                     ["variant", *(f"{c}, lr {table['lr'][c]}" for c in ABLATION_COLUMNS)], fmt=".2f")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def emit(record: dict[str, float]) -> None:
        print(json.dumps(record), flush=True)

    if args.command == "doctor":
        report = diagnose(args.device)
        print(report.text(args.verbose))
        return 0 if report.ok else 1
    history = History()  # filled as the epochs finish, so that Ctrl-C can report them
    try:
        if args.command == "data":
            return _check_data(args)
        if args.command == "ablation":
            _ablation(args)
        else:
            train_recipe(args.model, args.epochs, batch_size=args.batch_size, seed=args.seed, lr=args.lr,
                         device=args.device, root=args.data_dir, save=args.save,
                         progress=sys.stderr.isatty(), verbose=not args.json,
                         on_epoch=emit if args.json else None, history=history)
    except (DataError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.command == "ablation":
            print(f"Interrupted: the ablation did not finish{'; nothing was saved' if args.save else ''}.",
                  file=sys.stderr)
            return 130
        print(f"Interrupted after {len(history)} finished epoch(s) of {args.model}"
              f"{'; nothing was saved' if args.save else ''}.", file=sys.stderr)
        return 130
    if args.save:
        print(f"saved {args.save}", file=sys.stderr)
    return 0
