"""Small, valid Fashion-MNIST look-alikes written as real IDX files, and the notebooks' reference
corr2d."""

import gzip
import struct
from pathlib import Path

import torch

import d2l_utils.data as data


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


def corr2d(X, K):
    """Cross-correlation written out, as notebook 01 defines it (the reference the tests compare with)."""
    h, w = K.shape
    Y = torch.zeros(X.shape[0] - h + 1, X.shape[1] - w + 1)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
