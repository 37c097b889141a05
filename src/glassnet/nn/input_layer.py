"""Input: declares the shape of a sample, as Keras's ``Input(shape)``, so a Model can check data early."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from ..errors import ShapeError
from .module import Module

__all__ = ["Input"]


class Input(Module):
    """The first layer of a model: checks that every sample has ``shape`` and passes it on.

    With it, ``summary()`` shows output shapes before any data was seen, and a Dense after it
    is built at once.

    Shape:
        Input: ``(batch, *shape)``. Output: the same.

    >>> import glassnet as gn
    >>> model = gn.Model([gn.Input((4,)), gn.Dense(2)])
    >>> model.in_features
    4
    """

    traceable = True

    def __init__(self, shape: Sequence[int] | int) -> None:
        super().__init__()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not shape or any(not isinstance(size, int) or size <= 0 for size in shape):
            raise ValueError(f"Input: shape must hold positive integers, got {shape!r}.")
        self.shape = shape
        self.in_features = shape[-1]

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.shape:
            raise ShapeError(
                f"{self.display_name}: expected samples of shape {self.shape}, got input {x.shape}."
            )
        return x

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"shape": list(self.shape)}

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
