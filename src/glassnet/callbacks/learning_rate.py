"""Learning-rate callbacks: LearningRateScheduler and ReduceLROnPlateau (Keras semantics)."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from .base import Callback, Logs
from .monitor import Improvement, resolve_mode

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


class LearningRateScheduler(Callback):
    """Set the learning rate from a schedule, before each epoch (or after each batch).

    Args:
        schedule: ``fn(epoch, lr) -> new lr`` as in Keras, or a schedule object with ``step()``
            (e.g. from ``glassnet.optim.schedules``), stepped once per epoch or per batch.
            Metric-driven schedules need the metric: use the ``ReduceLROnPlateau`` callback.
        per: ``"epoch"`` or ``"batch"`` (schedule objects only).
    """

    def __init__(
        self, schedule: Callable[[int, float], float] | Any, per: str = "epoch", verbose: int = 0
    ) -> None:
        if per not in ("epoch", "batch"):
            raise ValueError(f"LearningRateScheduler: per must be 'epoch' or 'batch', got {per!r}.")
        self.schedule = schedule
        self.per = per
        self.verbose = verbose
        self.steps_object = hasattr(schedule, "step")
        if self.steps_object and "metric" in inspect.signature(schedule.step).parameters:
            raise TypeError(
                "LearningRateScheduler: this schedule needs a metric each step; use "
                "glassnet.callbacks.ReduceLROnPlateau(monitor=...) instead."
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.steps_object:
            return
        lr = float(self.schedule(epoch, self.model.optimizer.lr))
        if lr < 0:
            raise ValueError(
                f"LearningRateScheduler: the schedule gave a negative learning rate {lr} at epoch {epoch}."
            )
        self.model.optimizer.lr = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:.6g}")

    def state_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule.state_dict()} if self.steps_object else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.schedule.load_state_dict(state["schedule"])

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.steps_object and self.per == "batch":
            self.schedule.step()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["lr"] = self.model.optimizer.lr
        if self.steps_object and self.per == "epoch":
            self.schedule.step()


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        verbose: int = 0,
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = resolve_mode("ReduceLROnPlateau", monitor, mode)
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.verbose = verbose

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.tracker = Improvement(self.mode, self.min_delta)
        self.wait = 0
        self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"ReduceLROnPlateau: '{self.monitor}' is not in the logs.",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self.tracker.is_better(value):
            self.tracker.best = value
            self.wait = 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)
        logs["lr"] = self.model.optimizer.lr

    def state_dict(self) -> dict[str, Any]:
        return {
            "wait": self.wait,
            "cooldown_left": self.cooldown_left,
            "best": float(self.tracker.best),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait, self.cooldown_left, self.tracker.best = (
            state["wait"],
            state["cooldown_left"],
            state["best"],
        )

    def _reduce(self, epoch: int) -> None:
        old = self.model.optimizer.lr
        new = max(old * self.factor, self.min_lr)
        if new < old:
            self.model.optimizer.lr = new
            if self.verbose:
                print(
                    f"Epoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate to {new:.6g}."
                )
        self.cooldown_left = self.cooldown
        self.wait = 0
