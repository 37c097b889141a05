"""TerminateOnNaN: stop as soon as a batch loss is NaN or infinite (on by default in fit)."""

from __future__ import annotations

import math

from ..errors import NonFiniteLossError
from .base import Callback, Logs

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training on a NaN/Inf batch loss, naming the epoch and the batch.

    Args:
        raise_error: raise :class:`~glassnet.errors.NonFiniteLossError` (the default, so that a
            script cannot go on with corrupted weights); False only stops training, as Keras does.
    """

    def __init__(self, raise_error: bool = True) -> None:
        self.raise_error = raise_error
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        message = (
            f"The loss became {loss} at epoch {self.epoch}, batch {batch}. Training stopped so the "
            "weights are not corrupted further. Try a smaller learning rate, scaled inputs, or check "
            "the data for extreme values."
        )
        if self.raise_error:
            raise NonFiniteLossError(message)
        print(message)
        self.model.stop_training = True
