"""ActivationHealth: per activation layer and epoch, the dead ReLU units and the saturated outputs."""

from __future__ import annotations

from typing import Any

from ..diagnostics.health import UnitTally, activation_layers
from .base import Callback, Logs

__all__ = ["ActivationHealth"]


class ActivationHealth(Callback):
    """Record, for each activation layer, into ``History`` at every epoch:

    * ``dead_fraction/<layer>`` for ReLU layers (and ``Dense(..., activation="relu")``): the fraction
      of units that were zero for every sample of the epoch (a dead unit passes no gradient, so it
      stays dead);
    * ``saturated/<layer>`` for sigmoid and tanh: the fraction of outputs within 1% of their limits
      (where their gradient is nearly zero).

    Which layers count, and along which axis their units lie, follows the protocol in
    ``glassnet.diagnostics.health``. It watches each layer's output with a forward hook, so ``fit``
    runs its steps eagerly while it is on (the same numbers). ``plot_activation_health(history)``
    draws the figures. A final Sigmoid or Softmax that ``fit`` trains fused into its loss is seen only
    when metrics make ``fit`` apply it to the logits.
    """

    def __init__(self) -> None:
        self.tallies: dict[str, UnitTally] = {}
        self.handles: list[Any] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._remove_hooks()
        self.tallies = {}
        for name, module, kind in activation_layers(self.model):
            tally = UnitTally(kind, getattr(module, "unit_axis", None))
            self.tallies[name] = tally
            self.handles.append(module.register_forward_hook(self._hook(tally)))

    @staticmethod
    def _hook(tally: UnitTally) -> Any:
        def record(module: Any, args: Any, output: Any) -> None:
            if module.training:  # training batches only (not fit's dry runs or validation)
                tally.add(output.data)

        return record

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for tally in self.tallies.values():
            tally.reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is None:
            return
        for name, tally in self.tallies.items():
            if tally.samples:
                key = "dead_fraction" if tally.kind == "relu" else "saturated"
                logs[f"{key}/{name}"] = tally.value()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._remove_hooks()

    def _remove_hooks(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []
