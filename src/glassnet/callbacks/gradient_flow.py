"""GradientFlow: per layer and epoch, the gradient norm, the weight norm and the update/weight ratio."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..diagnostics.health import EXPLODING_RATIO, VANISHING_RATIO, norm, parameter_layers
from .base import Callback, Logs

__all__ = ["GradientFlow", "DiagnosticWarning"]


class DiagnosticWarning(UserWarning):
    """A training diagnostic flagged a layer (vanishing or exploding updates, dead units)."""


class GradientFlow(Callback):
    """Record how each layer learns, into ``History``, every ``every`` epochs.

    Per layer that owns parameters (``linear_1``...), over the epoch's batches:

    * ``grad_norm/<layer>``: the gradient's L2 norm (root mean square over the batches);
    * ``weight_norm/<layer>``: the weights' L2 norm at the end of the epoch;
    * ``update_ratio/<layer>``: ``||step|| / ||weights||`` per optimizer step, averaged: around 1e-3
      is healthy; below 1e-5 the layer barely learns (vanishing), above 1e-1 each step rewrites a
      tenth of it (exploding). Either, for ``patience`` recorded epochs in a row without moving back
      toward the band, gives a one-line :class:`DiagnosticWarning` naming the layer (once per layer
      and kind).

    ``glassnet.plotting.plot_gradient_flow(history)`` draws them. Cost: a few NumPy reductions per
    parameter and batch (and a copy of the weights at each epoch's start).
    """

    def __init__(self, every: int = 1, warn: bool = True, patience: int = 5) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientFlow: every must be a positive integer, got {every!r}.")
        self.every = every
        self.warn = warn
        self.patience = patience
        self.recent: dict[str, list[float]] = {}
        self.warned: set[tuple[str, str]] = set()
        self.active = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.layers = parameter_layers(self.model)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self.active = epoch % self.every == 0
        if not self.active:
            return
        self.layers = parameter_layers(self.model)  # (a callback may have frozen or added layers)
        self.previous = [[p.data.copy() for p in params] for _, params in self.layers]
        self.differences = [[np.empty_like(p.data) for p in params] for _, params in self.layers]
        self.grad_squares = [0.0] * len(self.layers)
        self.ratios = [0.0] * len(self.layers)
        self.ratio_counts = [0] * len(self.layers)
        self.batches = 0

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self.active:
            return
        self.batches += 1
        for i, (_, params) in enumerate(self.layers):
            grad_square = update_square = weight_square = 0.0
            for param, previous, difference in zip(params, self.previous[i], self.differences[i]):
                if param.grad is not None:
                    grad = param.grad.reshape(-1)
                    grad_square += float(np.dot(grad, grad))
                np.subtract(param.data, previous, out=difference)
                step, before = difference.reshape(-1), previous.reshape(-1)
                update_square += float(np.dot(step, step))
                weight_square += float(np.dot(before, before))
                np.copyto(previous, param.data)
            self.grad_squares[i] += grad_square
            if (
                weight_square > 0
            ):  # (a step from all-zero weights has no ratio: the zero output layer's first)
                self.ratios[i] += (update_square / weight_square) ** 0.5
                self.ratio_counts[i] += 1

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is None:
            return
        if not self.active or not self.batches:  # NaN keeps History's lists one value per epoch
            for name, _ in self.layers:
                for key in ("grad_norm", "weight_norm", "update_ratio"):
                    logs[f"{key}/{name}"] = float("nan")
            return
        for i, (name, params) in enumerate(self.layers):
            ratio = self.ratios[i] / self.ratio_counts[i] if self.ratio_counts[i] else float("nan")
            logs[f"grad_norm/{name}"] = (self.grad_squares[i] / self.batches) ** 0.5
            logs[f"weight_norm/{name}"] = norm([p.data for p in params])
            logs[f"update_ratio/{name}"] = ratio
            self._flag(epoch, name, ratio)

    def _flag(self, epoch: int, name: str, ratio: float) -> None:
        recent = self.recent.setdefault(name, [])
        recent.append(ratio)
        del recent[: -self.patience]
        if not self.warn or len(recent) < self.patience:
            return
        # A lasting state that is not recovering: glassnet's zero output layer, for one, starts out of
        # the band by design (its first steps are large relative to its tiny weights, and the layers
        # below wait for its gradient), but moves into it epoch after epoch.
        first, last = recent[0], recent[-1]
        if all(r < VANISHING_RATIO for r in recent) and not last > first:
            kind, detail = "vanishing", f"< {VANISHING_RATIO:g}: its weights barely change"
        elif all(r > EXPLODING_RATIO for r in recent) and not last < first:
            kind, detail = (
                "exploding",
                f"> {EXPLODING_RATIO:g}: each step rewrites a large part of its weights",
            )
        else:
            return
        if (name, kind) not in self.warned:
            self.warned.add((name, kind))
            warnings.warn(
                f"GradientFlow: epoch {epoch + 1}, layer {name}: update/weight ratio {ratio:.2g} {detail} "
                f"({kind}, for {self.patience} epochs).",
                DiagnosticWarning,
                stacklevel=_user_stacklevel(),
            )

    def state_dict(self) -> dict[str, Any]:
        return {"warned": [list(pair) for pair in sorted(self.warned)]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.warned = {tuple(pair) for pair in state.get("warned", [])}


def _user_stacklevel() -> int:
    """The stacklevel of the innermost caller outside glassnet (the user's ``fit`` line), so the
    warning points there rather than into glassnet's code."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
