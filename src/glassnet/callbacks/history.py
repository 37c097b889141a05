"""History: what fit returns, the per-epoch logs as lists."""

from __future__ import annotations

from typing import Any

from .base import Callback, Logs

__all__ = ["History"]


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]``, ``["val_accuracy"]``...

    Attributes:
        history: metric name -> list of per-epoch values.
        epoch: the epoch numbers recorded.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def to_dict(self) -> dict[str, list[float]]:
        """A copy of :attr:`history` (name -> one value per epoch)."""
        return {key: list(values) for key, values in self.history.items()}

    def plot(self, metrics: Any = None) -> Any:
        """Training and validation curves side by side; see ``glassnet.plotting.plot_history``."""
        from ..plotting import plot_history

        return plot_history(self, metrics=metrics)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
