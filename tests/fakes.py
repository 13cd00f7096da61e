"""Small, valid Fashion-MNIST look-alikes written as real IDX files, and notebook 01's corr2d (the reference
the explorers' tests compare with)."""

import gzip
import struct
from pathlib import Path

import torch

import d2l_utils.data as data

from nbtools import notebook_function


def write_idx(path: Path, array: torch.Tensor, compress: bool | None = None) -> Path:
    """Write a uint8 tensor as an IDX file (gzip-compressed when the name ends in .gz)."""
    header = bytes([0, 0, 0x08, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape)
    raw = header + array.to(torch.uint8).contiguous().numpy().tobytes()
    compress = path.suffix == ".gz" if compress is None else compress
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def write_fake_fashion(folder: Path, n_train: int = 96, n_test: int = 32, gz: bool = True) -> Path:
    """Four IDX files whose images encode their label (so a tiny net can learn them)."""
    folder.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = torch.arange(n) % 10
        images = torch.randint(0, 40, (n, 28, 28), generator=gen, dtype=torch.uint8)
        for i, label in enumerate(labels):  # a bright bar whose row tells the class
            images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 250
        img_stem, lbl_stem = data.SPLITS[split]
        suffix = ".gz" if gz else ""
        write_idx(folder / (img_stem + suffix), images)
        write_idx(folder / (lbl_stem + suffix), labels)
    return folder


def _notebook_corr2d():
    """Notebook 01's ``corr2d``, the cross-correlation written out: the reference the explorers' tests compare
    with, read from the notebook so that there is one text of it."""
    namespace = {"torch": torch}
    exec(notebook_function("01", "corr2d"), namespace)
    return namespace["corr2d"]


corr2d = _notebook_corr2d()
