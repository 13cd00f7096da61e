"""d2l_utils.data: the real data set, batches and subsets, where the files come from, and every
DataError path on small IDX files the tests write."""

import gzip
import math
import sys
import types

import pytest
import torch

import d2l_utils
import d2l_utils.data as data
from d2l_utils import DataError, TensorBatches, load_data_fashion_mnist, subset, to_unit_range

from fakes import write_fake_fashion, write_idx

# --- the real data set (Debian's package, or wherever find_data_dir finds it) -----------------------------


@pytest.fixture(scope="module")
def real_iters():
    return load_data_fashion_mnist(256)


def test_real_data_batches(real_iters):
    train_iter, test_iter = real_iters
    assert len(train_iter) == 235 and len(test_iter) == math.ceil(10_000 / 256)
    assert len(train_iter.dataset) == 60_000 and len(test_iter.dataset) == 10_000
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (256,) and y.dtype == torch.int64
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0 and float(X.max()) > 0.9
    assert torch.bincount(train_iter.labels).tolist() == [6000] * 10  # balanced classes
    test_labels = [y for _, y in test_iter]  # one pass over the test set: 40 batches, the last of 16
    assert len(test_labels) == 40 and len(test_labels[-1]) == 10_000 - 39 * 256
    assert torch.bincount(torch.cat(test_labels)).tolist() == [1000] * 10


def test_training_order_reshuffles_and_is_reproducible(real_iters):
    train_iter, test_iter = real_iters
    torch.manual_seed(7)
    first, second = (next(iter(train_iter))[1] for _ in range(2))
    torch.manual_seed(7)
    again = next(iter(train_iter))[1]
    assert not torch.equal(first, second)  # a new order every epoch
    assert torch.equal(first, again)  # ... drawn from torch's seeded generator
    assert torch.equal(next(iter(test_iter))[1], next(iter(test_iter))[1])  # the test set is not shuffled


def test_resize(real_iters):
    train_iter, _ = load_data_fashion_mnist(32, resize=64)
    X, _ = next(iter(train_iter))
    assert X.shape == (32, 1, 64, 64)


def test_images_stay_bytes_and_batches_are_floats_in_the_unit_range(real_iters):
    train_iter, test_iter = real_iters
    for it in (train_iter, test_iter):
        assert it.images.dtype == torch.uint8 and it.images.shape[1:] == (1, 28, 28)
    X, y = next(iter(test_iter))  # not shuffled: the first 256 test images
    assert X.dtype == torch.float32 and X.shape == (256, 1, 28, 28)
    assert torch.equal(X, test_iter.images[:256].float() / 255) and torch.equal(y, test_iter.labels[:256])
    assert float(X.min()) == 0.0 and float(X.max()) == 1.0


def test_labels_and_names():
    names = d2l_utils.get_fashion_mnist_labels(torch.tensor([0, 9, 6]))
    assert names == ["T-shirt/top", "Ankle boot", "Shirt"]


# --- batches, subsets and the unit range on small in-memory data ------------------------------------------


def _bytes(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8), torch.arange(n) % 10


def test_to_unit_range():
    images = torch.tensor([0, 51, 255], dtype=torch.uint8)
    out = to_unit_range(images)
    assert out.dtype == torch.float32 and out.tolist() == pytest.approx([0.0, 0.2, 1.0])
    floats = torch.tensor([0.25, 0.5])
    assert torch.equal(to_unit_range(floats), floats)  # floats are kept as they are (not divided again)
    assert to_unit_range(images).data_ptr() != images.data_ptr()  # the bytes are not touched


def test_tensor_batches_converts_each_batch_and_keeps_the_bytes():
    images, labels = _bytes(10)
    batches = TensorBatches(images, labels, 4)
    assert batches.images is images and len(batches) == 3
    got = list(batches)
    assert [len(y) for _, y in got] == [4, 4, 2]
    for i, (X, y) in enumerate(got):
        assert X.dtype == torch.float32 and y.dtype == torch.int64
        assert torch.equal(X, images[4 * i: 4 * i + 4].float() / 255)
        assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    assert images.dtype == torch.uint8  # the data set itself stays in bytes


def test_tensor_batches_shuffle_covers_everything_once():
    images, _ = _bytes(10)
    torch.manual_seed(0)
    seen = torch.cat([y for _, y in TensorBatches(images, torch.arange(10), 3, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-4, ValueError), (2.5, TypeError),
                                               ("16", TypeError), (None, TypeError), (True, TypeError)])
def test_tensor_batches_rejects_bad_batch_sizes(batch_size, error):
    """A wrong type is a TypeError, a whole number below 1 a ValueError (the package's convention)."""
    images, labels = _bytes(4)
    with pytest.raises(error, match="batch_size"):
        TensorBatches(images, labels, batch_size)


def test_tensor_batches_rejects_mismatched_lengths():
    images, labels = _bytes(4)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        TensorBatches(images, labels[:3], 2)


def test_subset_keeps_the_first_examples_and_the_settings():
    images, labels = _bytes(20)
    full = TensorBatches(images, labels, 4, shuffle=True, resize=32)
    part = subset(full, 10)
    assert len(part.labels) == 10 and torch.equal(part.images, images[:10])
    assert torch.equal(part.labels, labels[:10])
    assert part.batch_size == 4 and part.shuffle and part.resize == 32 and len(part) == 3
    assert not subset(full, 10, shuffle=False).shuffle
    X, _ = next(iter(subset(full, 10, shuffle=False)))
    assert X.shape == (4, 1, 32, 32)
    assert len(subset(full, 100).labels) == 20  # asking for more than there is gives everything


# --- where the files come from ----------------------------------------------------------------------------


def test_root_then_env_then_cache_then_debian(isolated, monkeypatch):
    debian = write_fake_fashion(isolated / "no-debian")
    assert data.find_data_dir() == debian
    cache = write_fake_fashion(data.cache_dir())
    assert data.find_data_dir() == cache
    env = write_fake_fashion(isolated / "env", gz=False)  # uncompressed files work too
    monkeypatch.setenv("FASHION_MNIST_DIR", str(env))
    assert data.find_data_dir() == env
    root = write_fake_fashion(isolated / "root")
    assert data.find_data_dir(root) == root
    train_iter, test_iter = load_data_fashion_mnist(10, root=env)
    assert len(train_iter) == 10 and len(test_iter.dataset) == 32


def test_named_folder_without_files_does_not_fall_back(isolated, monkeypatch):
    write_fake_fashion(isolated / "no-debian")  # would be found, but the user named another folder
    empty = isolated / "empty"
    empty.mkdir()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(empty))
    with pytest.raises(DataError, match="FASHION_MNIST_DIR") as err:
        data.find_data_dir()
    assert "train-images-idx3-ubyte" in str(err.value) and str(empty) in str(err.value)


def fake_torchvision(monkeypatch, fashion_mnist):
    """Stand in for torchvision (importing the real one takes seconds): ``_download`` imports it lazily."""
    module = types.ModuleType("torchvision")
    module.datasets = types.SimpleNamespace(FashionMNIST=fashion_mnist)
    monkeypatch.setitem(sys.modules, "torchvision", module)


def test_no_data_and_no_network_lists_the_three_ways(isolated, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    fake_torchvision(monkeypatch, offline)
    with pytest.raises(DataError) as err:
        load_data_fashion_mnist(256)
    message = str(err.value)
    assert "network is unreachable" in message
    for way in ("apt-get install dataset-fashion-mnist", "FASHION_MNIST_DIR", "download"):
        assert way in message


def test_find_data_dir_without_download_raises_and_does_not_download(isolated, monkeypatch):
    def no_download(*args, **kwargs):
        pytest.fail("find_data_dir(download=False) tried to download")

    fake_torchvision(monkeypatch, no_download)
    with pytest.raises(DataError, match="was not found on this machine") as err:
        data.find_data_dir(download=False)
    message = str(err.value)
    for way in ("make data", "apt-get install dataset-fashion-mnist", "FASHION_MNIST_DIR",
                str(data.cache_dir())):
        assert way in message
    assert not data.cache_dir().exists()  # nothing was created in the cache either


# --- every corruption is caught and named -----------------------------------------------------------------


def _corrupt(fake_dir, stem, raw: bytes, compress=True):
    path = fake_dir / (stem + ".gz")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _idx(dims, payload: bytes, magic=b"\x00\x00\x08"):
    import struct

    return magic + bytes([len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def _expect_error(folder, fragment):
    data._load_folder.cache_clear()
    with pytest.raises(DataError) as err:
        load_data_fashion_mnist(16, root=folder)
    assert fragment in str(err.value)
    return str(err.value)


LABELS = "train-labels-idx1-ubyte"
IMAGES = "train-images-idx3-ubyte"


def test_truncated_gzip(isolated, fake_dir):
    path = fake_dir / (IMAGES + ".gz")
    path.write_bytes(path.read_bytes()[:-40])
    message = _expect_error(fake_dir, "truncated or corrupted")
    assert str(path) in message and "Replace it" in message


def test_corrupted_gzip(isolated, fake_dir):
    path = fake_dir / (LABELS + ".gz")
    raw = bytearray(path.read_bytes())
    raw[-6] ^= 0xFF  # damage the CRC trailer
    path.write_bytes(bytes(raw))
    assert str(path) in _expect_error(fake_dir, "corrupted")


def test_bad_magic_number(isolated, fake_dir):
    _corrupt(fake_dir, LABELS, _idx([96], bytes(96), magic=b"\x00\x00\x0d"))
    _expect_error(fake_dir, "magic number 00000d01")


def test_truncated_payload_and_trailing_bytes(isolated, fake_dir):
    _corrupt(fake_dir, LABELS, _idx([96], bytes(95)))
    _expect_error(fake_dir, "is truncated: 103 bytes where the header [96] implies 104")
    _corrupt(fake_dir, LABELS, _idx([96], bytes(97)))
    _expect_error(fake_dir, "longer than its header says")
    _corrupt(fake_dir, LABELS, b"\x00\x00\x08")
    _expect_error(fake_dir, "too short for an IDX header")
    _corrupt(fake_dir, LABELS, b"\x00\x00\x08\x01\x00")
    _expect_error(fake_dir, "inside its header")


def test_counts_must_agree(isolated, fake_dir):
    _corrupt(fake_dir, LABELS, _idx([95], bytes(95)))
    message = _expect_error(fake_dir, "do not belong together")
    assert "96 images" in message and "95 labels" in message


def test_labels_must_be_classes(isolated, fake_dir):
    _corrupt(fake_dir, LABELS, _idx([96], bytes([3] * 95 + [10])))
    _expect_error(fake_dir, "label 10, outside the classes 0..9")


def test_images_must_be_28_by_28(isolated, fake_dir):
    _corrupt(fake_dir, IMAGES, _idx([96, 27, 28], bytes(96 * 27 * 28)))
    _expect_error(fake_dir, "does not hold 28x28 images")
    _corrupt(fake_dir, IMAGES, _idx([96], bytes(96)))
    _expect_error(fake_dir, "does not hold 28x28 images")


def test_fix_depends_on_where_the_file_lives(isolated):
    debian = write_fake_fashion(isolated / "no-debian")
    (debian / (LABELS + ".gz")).write_bytes(b"garbage")
    with pytest.raises(DataError, match="apt-get install --reinstall dataset-fashion-mnist"):
        load_data_fashion_mnist(16)
    cache = write_fake_fashion(data.cache_dir())
    (cache / (LABELS + ".gz")).write_bytes(b"garbage")
    with pytest.raises(DataError, match="so that the files are downloaded again"):
        load_data_fashion_mnist(16)


def test_read_idx_roundtrip(tmp_path):
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    assert torch.equal(data.read_idx(write_idx(tmp_path / "x.gz", images)), images)
    assert torch.equal(data.read_idx(write_idx(tmp_path / "x", images)), images)
