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

    def _repr_html_(self, max_rows: int = 10) -> str:
        """The epochs as an HTML table (Jupyter shows a History this way); long runs show their first
        and last epochs."""
        import html

        keys = list(self.history)
        epochs = list(range(len(self.epoch)))
        shown = (
            epochs
            if len(epochs) <= max_rows
            else epochs[: max_rows // 2] + [None] + epochs[-(max_rows // 2) :]
        )
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ["epoch", *keys])
        rows = []
        for i in shown:
            if i is None:
                rows.append(f"<tr><td colspan='{len(keys) + 1}'>...</td></tr>")
                continue
            cells = [str(self.epoch[i] + 1)] + [_cell(self.history[k], i) for k in keys]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (
            f"<p><b>History: {len(self.epoch)} epochs</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _cell(values: list[float], index: int) -> str:
    return f"{values[index]:.4g}" if index < len(values) else ""
