"""EarlyStopping: stop when a monitored value stops improving."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .base import Callback, Logs
from .monitor import Improvement, resolve_mode

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training once ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: a key of the epoch logs, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracy/auc/precision/recall/f1/r2, else min).
        baseline: stop if the value does not beat this within ``patience`` epochs.
        restore_best_weights: at the end, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before watching at all (warm-up).

    Attributes:
        stopped_epoch: the epoch at which training stopped (0 if it did not).
        best_epoch: the epoch with the best value.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}.")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = resolve_mode("EarlyStopping", monitor, mode)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.tracker = Improvement(self.mode, self.min_delta)
        if self.baseline is not None:
            self.tracker.best = self.baseline
        self.best_weights: dict[str, np.ndarray] | None = None

    @property
    def best(self) -> float:
        return self.tracker.best

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping: '{self.monitor}' is not in the logs (available: {', '.join(logs or {})}); "
                "pass validation data for val_ metrics.",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.tracker.is_better(value):
            self.tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch:
            self.model.load_state_dict(self.best_weights)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, mode={self.mode!r})"
        )

    def state_dict(self) -> dict[str, Any]:
        return {"wait": self.wait, "best_epoch": self.best_epoch, "best": float(self.tracker.best)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait, self.best_epoch, self.tracker.best = (
            state["wait"],
            state["best_epoch"],
            state["best"],
        )
