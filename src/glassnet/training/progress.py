"""What fit prints: a tqdm bar per epoch (verbose=1), one line per epoch (2), or nothing (0); and
what ``Model.train`` (the blog's loop, run by fit) keeps and prints: :class:`BlogLoss`."""

from __future__ import annotations

import sys
import time
from typing import Any

from ..callbacks.base import Callback, Logs
from .validation import check_finite_loss

__all__ = ["resolve_verbose", "ProgressBar", "EpochLine", "BlogLoss"]

_hinted = False


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython() if hasattr(shell, "get_ipython") else None
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def resolve_verbose(verbose: int | str) -> int:
    """``"auto"``: a bar on a terminal or in a notebook, one line per epoch elsewhere (CI, logs, pipes).

    A bar needs tqdm (the ``progress`` extra); without it, 1 falls back to 2 with a one-time hint.
    """
    global _hinted
    if verbose == "auto":
        verbose = 1 if (sys.stdout.isatty() or _in_notebook()) else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}.")
    if verbose == 1:
        try:
            import tqdm  # noqa: F401
        except ImportError:
            if not _hinted:
                print(
                    'glassnet: progress bars need tqdm (pip install "glassnet[progress]"); printing lines.'
                )
                _hinted = True
            return 2
    return int(verbose)


def _format(logs: Logs) -> str:
    # Per-layer diagnostics ("grad_norm/linear_1"...) go to History and plots, not the epoch line.
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items() if "/" not in key)


class BlogLoss(Callback):
    """``Model.train``'s epoch end, as in the seed blog: stop on a NaN/Inf loss (naming the
    epoch), append the loss to ``losses`` (the model's ``loss`` list), and with ``verbose`` print
    ``Epoch: N. Loss: L`` every 50 epochs."""

    def __init__(self, losses: list[float], verbose: bool) -> None:
        super().__init__()
        self.losses = losses
        self.verbose = verbose

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        loss = (logs or {})["loss"]
        check_finite_loss(loss, epoch)
        self.losses.append(loss)
        if self.verbose and epoch % 50 == 0:
            print(f"Epoch: {epoch}. Loss: {loss}")


class EpochLine(Callback):
    """verbose=2: ``Epoch 3/10 - 0.4s - loss: 0.1234 - val_loss: 0.1500``."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        elapsed = time.perf_counter() - self.started
        print(
            f"Epoch {epoch + 1}/{self.epochs} - {elapsed:.2f}s - {_format(logs or {})}", flush=True
        )


class ProgressBar(Callback):
    """verbose=1: a tqdm bar over an epoch's batches, loss and metrics as its postfix."""

    def __init__(self, epochs: int, steps: int) -> None:
        self.epochs = epochs
        self.steps = steps
        self.bar: Any = None

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=self.steps, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="batch", leave=True
        )

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.bar.update(1)
        if logs:
            self.bar.set_postfix(
                {key: f"{value:.4f}" for key, value in logs.items()}, refresh=False
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs:
            self.bar.set_postfix(
                {key: f"{value:.4f}" for key, value in logs.items() if "/" not in key}
            )
        self.bar.close()
