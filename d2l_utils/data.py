"""The data: Fashion-MNIST, read offline first and kept in memory as bytes.

Where the four official files come from, first match wins:

1. the ``root`` argument;
2. the ``FASHION_MNIST_DIR`` environment variable;
3. the cache folder (``$XDG_CACHE_HOME/d2l_utils/FashionMNIST/raw``, by default under ``~/.cache``);
4. Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``);
5. torchvision's download into the cache folder.

Every file is checked (gzip integrity, IDX header, payload length, labels in 0..9, image and label
counts agree); anything wrong raises :class:`DataError` naming the file and the fix.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import torch

__all__ = [
    "TEXT_LABELS",
    "DataError",
    "TensorBatches",
    "find_data_dir",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "load_fashion_mnist_tensors",
    "subset",
    "to_unit_range",
]

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
TEXT_LABELS = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IDX_UBYTE = 0x08

HOW_TO_GET_DATA = (
    "Get the data in one of three ways: (1) run `make data` in the collection's folder, which "
    "installs Debian's package dataset-fashion-mnist where apt-get exists (or run "
    "`sudo apt-get install dataset-fashion-mnist` yourself; it puts the files in "
    f"{DEBIAN_DIR}); (2) set FASHION_MNIST_DIR to a folder holding the four official files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz, compressed or not); (3) connect to the network once so "
    "torchvision can download them into the cache folder {cache}."
)


# The types the helpers' signatures name: a device or its name ("cpu", "cuda:0"), and what a training
# or evaluation loop reads, batches of (images, labels) such as a TensorBatches or a DataLoader.
Device = torch.device | str
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


class DataError(RuntimeError):
    """The Fashion-MNIST files are missing, truncated or corrupted; the message says how to fix it
    (raised by every loader here)."""


def cache_dir() -> Path:
    """The folder torchvision downloads into (and that is searched before Debian's):
    ``$XDG_CACHE_HOME/d2l_utils/FashionMNIST/raw``, by default under ``~/.cache``."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache, "d2l_utils", "FashionMNIST", "raw")


def _file_in(folder: Path, stem: str) -> Path | None:
    return next((folder / name for name in (stem, stem + ".gz") if (folder / name).is_file()), None)


def _missing(folder: Path) -> list[str]:
    return [stem for pair in SPLITS.values() for stem in pair if _file_in(folder, stem) is None]


def _fix_for(path: Path) -> str:
    """How to repair a bad file, depending on where it lives."""
    path = Path(path)
    if DEBIAN_DIR in path.parents:
        return "Reinstall Debian's package: `sudo apt-get install --reinstall dataset-fashion-mnist`."
    if cache_dir() in path.parents:
        return f"Delete the folder {cache_dir()} so that the files are downloaded again."
    return ("Replace it with the official file (e.g. from the Debian package dataset-fashion-mnist "
            "or a fresh torchvision download), or point FASHION_MNIST_DIR elsewhere.")


def _bad(path: Path, problem: str) -> DataError:
    return DataError(f"The Fashion-MNIST file {path} {problem}. {_fix_for(path)}")


def _read_into(f, buffer: bytearray) -> int:
    """Fill ``buffer`` from the open file ``f`` one megabyte at a time, so that no second copy of a
    whole file is ever held; returns the bytes read (fewer than asked only at the end of the file)."""
    view, filled = memoryview(buffer), 0
    while filled < len(buffer):
        n = f.readinto(view[filled:filled + 2**20])
        if not n:
            break
        filled += n
    return filled


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read one IDX file of unsigned bytes (``.gz`` or not) into a ``uint8`` tensor, checking it.

    The format behind the four Fashion-MNIST files (used by :func:`load_fashion_mnist_tensors`).
    The payload is decompressed straight into the tensor's memory: no temporary copies."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4:
                raise _bad(path, f"is truncated: {len(head)} bytes, too short for an IDX header")
            zero1, zero2, dtype, ndim = head
            if zero1 or zero2 or dtype != _IDX_UBYTE or ndim not in (1, 3):
                raise _bad(path, f"is not an IDX file of bytes (magic number {head.hex()}, "
                                 "expected 00000801 for labels or 00000803 for images)")
            header = 4 + 4 * ndim
            sizes = f.read(4 * ndim)
            if len(sizes) < 4 * ndim:
                raise _bad(path, f"is truncated inside its header ({4 + len(sizes)} of {header} bytes)")
            dims = [int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim)]
            payload = bytearray(math.prod(dims))
            size = header + _read_into(f, payload) + len(f.read())  # reading to the end checks the CRC
    except (EOFError, OSError, zlib.error) as err:
        raise _bad(path, f"is truncated or corrupted (gzip says: {err})") from None
    expected = header + len(payload)
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise _bad(path, f"is {what}: {size} bytes where the header {dims} implies {expected}")
    if not payload:  # torch.frombuffer refuses an empty buffer
        return torch.empty(dims, dtype=torch.uint8)
    return torch.frombuffer(payload, dtype=torch.uint8).reshape(dims)  # shares the bytearray's memory


def _read_split(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    img_path, lbl_path = (_file_in(folder, stem) for stem in SPLITS[split])
    images, labels = read_idx(img_path), read_idx(lbl_path)
    if images.dim() != 3 or tuple(images.shape[1:]) != (28, 28):
        raise _bad(img_path, f"does not hold 28x28 images (its dimensions are {list(images.shape)})")
    if labels.dim() != 1:
        raise _bad(lbl_path, f"does not hold labels (its dimensions are {list(labels.shape)})")
    if len(images) != len(labels):
        raise DataError(
            f"The Fashion-MNIST files {img_path} ({len(images)} images) and {lbl_path} "
            f"({len(labels)} labels) do not belong together. {_fix_for(img_path)}")
    if len(labels) and int(labels.max()) > 9:
        raise _bad(lbl_path, f"holds label {int(labels.max())}, outside the classes 0..9")
    return images.unsqueeze(1), labels.long()


def _download(folder: Path) -> None:
    import torchvision  # only needed here

    try:
        torchvision.datasets.FashionMNIST(root=folder.parent.parent, train=True, download=True)
        torchvision.datasets.FashionMNIST(root=folder.parent.parent, train=False, download=True)
    except Exception as err:  # no network, proxy, disk full...
        raise DataError("Fashion-MNIST was not found on this machine and the download failed "
                        f"({type(err).__name__}: {err}). "
                        + HOW_TO_GET_DATA.format(cache=folder)) from None


def find_data_dir(root: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The folder the files are read from (see the module docstring for the order; ``make data``).
    Used in notebook 08."""
    explicit = [(root, "the root argument")] if root is not None else []
    if os.environ.get("FASHION_MNIST_DIR"):
        explicit.append((os.environ["FASHION_MNIST_DIR"], "FASHION_MNIST_DIR"))
    if explicit:  # a folder the user named must hold the data: never fall back silently
        folder, origin = Path(explicit[0][0]).expanduser(), explicit[0][1]
        missing = _missing(folder)
        if missing:
            raise DataError(
                f"The folder {folder} (from {origin}) lacks the Fashion-MNIST file(s) "
                f"{', '.join(m + '[.gz]' for m in missing)}. Copy the four official files there, "
                "or fix the path. " + HOW_TO_GET_DATA.format(cache=cache_dir()))
        return folder
    for folder in (cache_dir(), DEBIAN_DIR):
        if not _missing(folder):
            return folder
    if not download:
        raise DataError("Fashion-MNIST was not found on this machine. "
                        + HOW_TO_GET_DATA.format(cache=cache_dir()))
    _download(cache_dir())
    return cache_dir()


@lru_cache(maxsize=4)
def _load_folder(folder: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {split: _read_split(folder, split) for split in SPLITS}


def load_fashion_mnist_tensors(root: str | os.PathLike | None = None,
                               download: bool = True) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train": (images, labels), "test": (...)}`` as ``uint8`` (N, 1, 28, 28) and ``int64`` (N,).
    The files are read once per folder and kept; every call returns new tensors copied from what was
    kept (about 55 MB, a few milliseconds), so that a change to them never reaches a later call.
    Used in notebook 01."""
    kept = _load_folder(find_data_dir(root, download).resolve())
    return {split: (images.clone(), labels.clone()) for split, (images, labels) in kept.items()}


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """New ``float32`` images: bytes (0..255) are scaled to [0, 1], float images keep their values;
    wherever images enter a network (batches, explorers, predictions). Always a new tensor, never
    ``images`` itself, so changing the result leaves ``images`` as it was. Used in notebook 04."""
    if images.dtype == torch.uint8:
        return images.float().div_(255)
    return images.to(torch.float32, copy=True)


class TensorBatches:
    """Mini-batches of an in-memory data set, like a ``DataLoader`` but without per-image work.

    The images stay as they are given (Fashion-MNIST: ``uint8``, a quarter of the memory of
    ``float32``); each batch is converted to ``float32`` in [0, 1] when it is yielded, with shape
    (B, 1, H, W), together with its ``int64`` labels. With ``shuffle=True`` the order is drawn anew
    each epoch from torch's global generator, so ``torch.manual_seed`` makes it reproducible.
    Used in notebook 04.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 shuffle: bool = False, resize: int | None = None) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool):
            raise TypeError(f"TensorBatches got batch_size={batch_size!r}, which is not a whole number: "
                            "pass an int such as 256.")
        if batch_size < 1:
            raise ValueError(f"TensorBatches got batch_size={batch_size}: pass a batch size of at least 1.")
        if len(images) != len(labels):
            raise ValueError(f"TensorBatches got {len(images)} images but {len(labels)} labels: pass one "
                             "label per image.")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.dataset = torch.utils.data.TensorDataset(self.images, self.labels)

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            idx = slice(start, start + self.batch_size)
            idx = idx if order is None else order[idx]  # a slice (a view), or the shuffled positions
            X, y = to_unit_range(self.images[idx]), self.labels[idx]
            if self.resize:
                X = torch.nn.functional.interpolate(X, size=(self.resize, self.resize),
                                                    mode="bilinear", antialias=True, align_corners=False)
            yield X, y


def subset(data_iter: TensorBatches, n: int, shuffle: bool | None = None) -> TensorBatches:
    """The first ``n`` examples of a :class:`TensorBatches`, in batches of the same size, for short runs;
    ``shuffle`` defaults to the original iterator's. Used in notebooks 05, 06, 08 and 09."""
    shuffle = data_iter.shuffle if shuffle is None else shuffle
    return TensorBatches(data_iter.images[:n], data_iter.labels[:n], data_iter.batch_size,
                         shuffle=shuffle, resize=data_iter.resize)


def load_data_fashion_mnist(batch_size: int, resize: int | None = None,
                            root: str | os.PathLike | None = None) -> tuple[TensorBatches, TensorBatches]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST; training batches are shuffled (d2l's
    helper of the same name, without the per-image ``DataLoader``). Used in notebooks 04, 05, 06, 07, 08
    and 09."""
    tensors = load_fashion_mnist_tensors(root)
    train_iter = TensorBatches(*tensors["train"], batch_size, shuffle=True, resize=resize)
    test_iter = TensorBatches(*tensors["test"], batch_size, shuffle=False, resize=resize)
    return train_iter, test_iter


def get_fashion_mnist_labels(labels: Iterable[int] | torch.Tensor) -> list[str]:
    """Class names of numeric labels (a tensor or any iterable of ints); d2l's helper. Used in notebook 04."""
    return [TEXT_LABELS[int(i)] for i in labels]
