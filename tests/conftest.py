"""Shared fixtures for the unit tests."""

import pytest
from fakes import write_fake_fashion

import d2l_utils.data as data


@pytest.fixture
def fake_dir(tmp_path):
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
