"""Shared fixtures: a seeded generator, and torch as an oracle that skips cleanly when absent."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def torch():
    """The PyTorch module on 2 threads, or a clean skip when it is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch
