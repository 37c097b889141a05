"""Callback: hooks that ``Model.fit`` calls, with Keras's names and ``logs`` dicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Callback", "CallbackList"]

Logs = dict[str, float]


class Callback:
    """Base class: override the hooks you need. ``self.model`` is the model being trained.

    Hooks, in the order ``fit`` calls them: ``on_train_begin``, then per epoch
    ``on_epoch_begin``, per batch ``on_train_batch_begin``/``on_train_batch_end`` (Keras's
    ``on_batch_*`` aliases work too), ``on_epoch_end`` (logs hold ``loss``, metrics and their
    ``val_`` twins), and finally ``on_train_end``. Set ``self.model.stop_training = True`` to stop
    after the current epoch.
    """

    model: Any = None

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training: the model this callback watches."""
        self.model = model

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Once, before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Once, after the last epoch (also when training stopped early)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before each epoch (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After each epoch: ``logs`` holds the loss, the metrics and their ``val_`` twins."""

    def on_epoch_complete(self, epoch: int, logs: Logs | None = None) -> None:
        """After every callback's ``on_epoch_end``: the epoch's state is final (checkpoints write here)."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must carry over when training resumes from a checkpoint (JSON values)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s values (called after ``on_train_begin`` of a resumed fit)."""
        self.__dict__.update(state)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before each training batch; calls Keras's older name, :meth:`on_batch_begin`."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After each training batch (``logs["loss"]`` is its loss); calls :meth:`on_batch_end`."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras's older name for :meth:`on_train_batch_begin`; override either."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras's older name for :meth:`on_train_batch_end`; override either."""


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks: Iterable[Callback], model: Any) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks: expected glassnet.callbacks.Callback instances, got {type(callback).__name__}."
                )
            callback.set_model(model)
        self._find_batch_hooks()

    def _find_batch_hooks(self) -> None:
        # Per-batch hooks run thousands of times per fit: call only the callbacks that define them
        # (as Keras does), so that the default callbacks cost nothing per batch. Looked up again
        # after on_train_begin, where a callback may still set a hook on itself.
        self._batch_begin = [
            c
            for c in self.callbacks
            if _overrides(c, "on_train_batch_begin") or _overrides(c, "on_batch_begin")
        ]
        self._batch_end = [
            c
            for c in self.callbacks
            if _overrides(c, "on_train_batch_end") or _overrides(c, "on_batch_end")
        ]
        # The same for the per-epoch hooks: a short fit (the blog's train, thousands of one-batch
        # epochs) would otherwise spend a tenth of its time calling empty methods.
        self._epoch_hooks = {
            hook: [c for c in self.callbacks if _overrides(c, hook)]
            for hook in ("on_epoch_begin", "on_epoch_end", "on_epoch_complete")
        }

    def batch_hooks(self) -> tuple[bool, bool]:
        """Whether some callback does something in ``on_train_batch_begin`` and in ``on_train_batch_end``
        (a loop over thousands of batches may skip the calls that would do nothing)."""
        return bool(self._batch_begin), bool(self._batch_end)

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call("on_train_begin", logs)
        self._find_batch_hooks()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for callback in self._epoch_hooks["on_epoch_begin"]:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for callback in self._epoch_hooks["on_epoch_end"]:
            callback.on_epoch_end(epoch, logs)
        for callback in self._epoch_hooks["on_epoch_complete"]:
            callback.on_epoch_complete(epoch, logs)

    def _stateful(self) -> list[Callback]:
        return [c for c in self.callbacks if type(c).state_dict is not Callback.state_dict]

    def state_dict(self) -> list[list[Any]]:
        """``[class name, state]`` of every callback that has state to carry over, in order."""
        return [[type(c).__name__, c.state_dict()] for c in self._stateful()]

    def load_state_dict(self, states: list[list[Any]]) -> None:
        """Give each stateful callback its saved state; they must be the ones that were saved."""
        stateful = self._stateful()
        if [name for name, _ in states] != [type(c).__name__ for c in stateful]:
            raise ValueError(
                "resume: the callbacks differ from the checkpoint's "
                f"({[name for name, _ in states]} saved, {[type(c).__name__ for c in stateful]} given); "
                "pass the same callbacks as the interrupted run."
            )
        for callback, (_, state) in zip(stateful, states):
            if state:
                callback.load_state_dict(state)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        for callback in self._batch_begin:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        for callback in self._batch_end:
            callback.on_train_batch_end(batch, logs)


def _overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (a subclass method or an instance attribute)."""
    return getattr(getattr(callback, hook), "__func__", None) is not getattr(Callback, hook)
