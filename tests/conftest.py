"""Shared fixtures for the unit tests."""

from pathlib import Path

import matplotlib

# Figures are drawn off-screen in this process only. (Not through MPLBACKEND: the environment is
# inherited by the kernels nbval starts in the same pytest run, where figures must reach the notebook.)
matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

import d2l_utils.data as data  # noqa: E402

from fakes import write_fake_fashion  # noqa: E402
from nbtools import chromium  # noqa: E402

# The tests train on a few dozen tiny images: one thread is faster than several there, and far faster
# on a machine whose cores are busy with other work (threads spin waiting for each other). No test
# depends on the thread count; the bit-for-bit comparisons compare runs made with the same setting.
torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Where no Chromium exists, the browser tests are skipped, saying so once."""
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser and not Path(chromium()).exists():
        reason = f"no Chromium at {chromium()}: browser tests skipped (`make chromium`, or CHROMIUM=path)"
        print(f"\n{len(browser)} {reason}")
        for item in browser:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def fake_dir(tmp_path):
    """Four small IDX files (96 training and 32 test images) whose bright bar tells the class."""
    return write_fake_fashion(tmp_path / "fake")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No environment variable, an empty cache and no Debian folder: only what a test provides."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")
    data._load_folder.cache_clear()
    yield tmp_path
    data._load_folder.cache_clear()


@pytest.fixture
def fake_iters(isolated, fake_dir):
    """``(train_iter, test_iter)`` over the fake data, in batches of 16 (6 and 2 batches)."""
    return data.load_data_fashion_mnist(16, root=fake_dir)
