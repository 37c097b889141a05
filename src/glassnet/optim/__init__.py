"""Optimizers: one update rule per file, written as in-place NumPy updates."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
