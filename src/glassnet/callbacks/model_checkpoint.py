"""ModelCheckpoint: save the weights after an epoch, every time or when the monitored value improves."""

from __future__ import annotations

import os
import warnings
from typing import Any

from .. import distributed
from ..io.weights import save_state_dict
from .base import Callback, Logs
from .monitor import Improvement, resolve_mode

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Write the model's weights (``.npz``) or its whole training state (``.gnet``) at the end of epochs.

    A ``.gnet`` checkpoint holds the weights, the optimizer state, the epoch, the History so far and
    the random generator's state: ``fit(..., resume_from=path)`` continues from it exactly.

    Args:
        filepath: may hold Keras-style fields filled from the epoch (1-based) and the logs,
            e.g. ``"ckpt/epoch{epoch:03d}-{val_loss:.3f}.npz"``.
        monitor: the log value compared when ``save_best_only``.
        save_best_only: write only when ``monitor`` improves (then one fixed path is typical).
        mode: ``"auto"``, ``"min"`` or ``"max"``.

    The write goes to a temporary file in the same folder, then replaces ``filepath``: an
    interrupted training leaves the previous checkpoint whole. Load it with ``model.load_weights``.
    In a distributed fit only rank 0 writes (every process holds the same weights).
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        verbose: int = 0,
    ) -> None:
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = resolve_mode("ModelCheckpoint", monitor, mode)
        self.verbose = verbose
        self.tracker = Improvement(self.mode)
        self.saved: list[str] = []

    def on_epoch_complete(self, epoch: int, logs: Logs | None = None) -> None:
        # After every callback's on_epoch_end: schedules have stepped and the History holds this epoch.
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                warnings.warn(
                    f"ModelCheckpoint: '{self.monitor}' is not in the logs; nothing saved.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return
            if not self.tracker.is_better(value):
                return
            self.tracker.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if not distributed.is_main():  # in a distributed fit rank 0 writes, the others keep count
            return
        if path.endswith(".gnet"):
            self.model.save_checkpoint(path, epoch)
        else:
            save_state_dict(path, self.model.state_dict())
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved weights to {path}")

    def state_dict(self) -> dict[str, Any]:
        return {"best": float(self.tracker.best)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.tracker.best = state["best"]
