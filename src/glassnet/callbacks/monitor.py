"""The comparison EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: is a value better?"""

from __future__ import annotations

import numpy as np

__all__ = ["resolve_mode", "Improvement"]

HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "r2")


def resolve_mode(owner: str, monitor: str, mode: str) -> str:
    """``"min"`` or ``"max"``; ``"auto"`` is max for accuracy-like names, else min."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}.")
    if mode == "auto":
        return "max" if any(word in monitor for word in HIGHER_IS_BETTER) else "min"
    return mode


class Improvement:
    """Tracks the best value seen and says whether a new one beats it by more than ``min_delta``."""

    def __init__(self, mode: str, min_delta: float = 0.0) -> None:
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.best = np.inf if mode == "min" else -np.inf

    def is_better(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``, in the mode's direction."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta
