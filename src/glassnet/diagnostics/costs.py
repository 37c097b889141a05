"""What each layer costs: FLOPs of a forward pass per sample, and the bytes it keeps for backward.

Counted from the ops a layer applies (``Function.flops``, overridden by matrix products and any op
that does more than one operation per element), so new layers are counted without a special case.
A layer may define ``flops(input_shape)`` itself (``input_shape`` without the batch axis); that
number is then used instead. Activation bytes are the arrays the layer's ops keep for backward
(``Function.save``), parameters excluded, measured on batches of one and two samples and extended
linearly to ``batch_size`` (eval mode: dropout masks are not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.function import enable_grad
from ..autograd.observe import observing
from ..autograd.tensor import Tensor

__all__ = ["LayerCost", "layer_costs", "format_bytes", "format_count"]


@dataclass
class LayerCost:
    """One layer's figures for ``summary``."""

    name: str
    output_shape: tuple[int, ...]
    parameters: int
    flops: int  # one forward pass, per sample
    activation_bytes: int  # kept for backward, at the batch size asked for


def layer_costs(model: Any, batch_size: int = 32) -> list[LayerCost] | None:
    """The cost of each of ``model.layers``; None while the model's input shape is unknown."""
    sample = model.input_shape
    if sample is None:
        return None
    parameter_ids = {_memory(p.data) for p in model.parameters()}
    per_batch = [_measure(model, sample, batch, parameter_ids) for batch in (1, 2)]
    costs = []
    for layer, one, two in zip(model.layers, *per_batch):
        flops = one["flops"]
        declared = getattr(layer, "flops", None)
        if callable(declared):
            flops = int(declared(one["input_shape"]))
        growth = two["bytes"] - one["bytes"]
        costs.append(
            LayerCost(
                layer.display_name,
                (None, *one["output_shape"]),
                layer.num_parameters(),
                flops,
                one["bytes"] + growth * (batch_size - 1),
            )
        )
    return costs


def _memory(array: np.ndarray) -> tuple[int, int]:
    return (array.__array_interface__["data"][0], array.nbytes)


def _measure(
    model: Any, sample: tuple[int, ...], batch: int, parameter_ids: set
) -> list[dict[str, Any]]:
    """Per layer, at this batch size: FLOPs of its ops, bytes they saved, input and output shapes."""
    results = []
    current: dict[str, Any] = {}

    def watch(fn: Any, tensors: list, out: Tensor) -> None:
        current["flops"] += fn.flops([t.data.shape for t in tensors], out.data.shape)
        if out.creator is fn:
            for value in fn.saved:
                if isinstance(value, np.ndarray) and value.nbytes:
                    key = _memory(value)
                    if key not in parameter_ids and key not in current["seen"]:
                        current["seen"].add(key)
                        current["bytes"] += value.nbytes

    x = Tensor._from_op(np.zeros((batch, *sample), dtype=model.dtype), None)
    with model.mode(training=False), enable_grad(), observing(watch):
        for layer in model.layers:
            current = {"flops": 0, "bytes": 0, "seen": set(), "input_shape": x.shape[1:]}
            x = layer(x)
            current["output_shape"] = x.shape[1:]
            results.append(current)
    for result in results:
        result["flops"] //= batch
    return results


def format_count(value: int) -> str:
    """``1234567`` -> ``"1.23M"``."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return str(value)


def format_bytes(value: int) -> str:
    """``2048`` -> ``"2.0 KiB"``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value} B"
