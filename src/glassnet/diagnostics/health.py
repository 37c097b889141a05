"""Activation and gradient health: which layers count as activations, dead units, saturation, norms.

The one per-layer fact needed is which outputs are activations and of what kind. The protocol:

* a layer's ``activation_kind`` attribute (``"relu"``, ``"sigmoid"``, ``"tanh"``), as the activation
  layers (ReLU, Sigmoid, Tanh) declare it;
* else a string ``activation`` attribute of a layer without sub-layers (``Dense(..., activation="relu")``,
  and any new layer that takes Keras's ``activation=`` argument; a block of layers, such as a
  Transformer encoder layer, names an inner activation there, not its output's);
* a unit is one output element of a sample (a feature of a dense layer; a channel at one position
  of a convolution, in either layout), dead when it is zero for every sample. A layer may group its
  units along one axis with a ``unit_axis`` attribute (e.g. ``unit_axis = -1``: a channel is dead
  when it is zero at every position of every sample).

Saturated outputs: sigmoid below 0.01 or above 0.99, tanh beyond +-0.99 (their gradient is then
below 1% of its peak).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "activation_kind",
    "activation_layers",
    "parameter_layers",
    "UnitTally",
    "SATURATION",
    "VANISHING_RATIO",
    "EXPLODING_RATIO",
    "norm",
]

SATURATION = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
TRACKED = ("relu", "sigmoid", "tanh")
VANISHING_RATIO = 1e-5  # update / weight per step below this: the layer barely learns
EXPLODING_RATIO = 1e-1  # above this: each step rewrites a tenth of the weights


def activation_kind(module: Any) -> str | None:
    """``"relu"``, ``"sigmoid"`` or ``"tanh"`` when ``module``'s output is such an activation (see the
    module docstring for the protocol), else None."""
    kind = getattr(module, "activation_kind", None)
    if kind is None and not getattr(module, "_modules", None):
        kind = getattr(module, "activation", None)
    return kind if isinstance(kind, str) and kind in TRACKED else None


def _layer_name(prefix: str, module: Any) -> str:
    return module.name or prefix or type(module).__name__


def activation_layers(model: Any) -> Iterator[tuple[str, Any, str]]:
    """(name, module, kind) of every module in ``model`` whose output is a tracked activation."""
    for prefix, module in model.named_modules():
        kind = activation_kind(module)
        if kind is not None and module is not model:
            yield _layer_name(prefix, module), module, kind


def parameter_layers(model: Any) -> list[tuple[str, list[Any]]]:
    """(name, trainable parameters) of every module that owns parameters itself, in order."""
    layers = []
    for prefix, module in model.named_modules():
        own = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if own:
            layers.append((_layer_name(prefix, module), own))
    return layers


class UnitTally:
    """Counts, over batches, which units were ever non-zero and how many outputs saturated."""

    def __init__(self, kind: str, unit_axis: int | None = None) -> None:
        self.kind = kind
        self.unit_axis = unit_axis
        self.reset()

    def reset(self) -> None:
        self.alive: np.ndarray | None = None
        self.saturated = 0
        self.count = 0
        self.samples = 0

    def add(self, output: np.ndarray) -> None:
        if output.ndim == 0:
            return
        self.samples += output.shape[0] if output.ndim > 1 else 1
        if self.kind == "relu":
            if self.unit_axis is None or output.ndim < 2:
                active = (output > 0).any(axis=0) if output.ndim > 1 else output > 0
            else:
                axis = self.unit_axis % output.ndim
                active = (output > 0).any(axis=tuple(i for i in range(output.ndim) if i != axis))
            self.alive = (
                active
                if self.alive is None or self.alive.shape != active.shape
                else self.alive | active
            )
        else:
            low, high = SATURATION[self.kind]
            self.saturated += int(np.count_nonzero((output < low) | (output > high)))
            self.count += output.size

    @property
    def units(self) -> int:
        return 0 if self.alive is None else int(self.alive.size)

    @property
    def dead(self) -> int:
        return 0 if self.alive is None else int(self.alive.size - np.count_nonzero(self.alive))

    @property
    def dead_fraction(self) -> float:
        return float("nan") if self.alive is None else self.dead / max(self.units, 1)

    @property
    def saturated_fraction(self) -> float:
        return self.saturated / self.count if self.count else float("nan")

    def value(self) -> float:
        """The figure for History: the dead fraction (ReLU) or the saturated fraction (sigmoid, tanh)."""
        return self.dead_fraction if self.kind == "relu" else self.saturated_fraction


def norm(arrays: list[np.ndarray]) -> float:
    """The joint L2 norm of several arrays (in float64)."""
    total = 0.0
    for array in arrays:
        flat = array.reshape(-1)
        total += float(np.dot(flat, flat))
    return total**0.5
