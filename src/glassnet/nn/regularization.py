"""Dropout layer: inverted dropout in train() mode, the identity in eval() mode."""

from __future__ import annotations

from typing import Any

from .. import random
from ..autograd.tensor import Tensor
from ..ops.regularization import dropout
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each input element with probability ``p`` while training, scaling the rest by 1/(1-p).

    The masks come from ``rng`` (default: the generator set by ``glassnet.seed``), so a seeded
    run repeats them. In ``eval()`` mode the layer passes its input through.

    Shape:
        Input: any. Output: the same.
    """

    def __init__(self, p: float = 0.5, rng: random.SeedLike = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p}.")
        self.p = p
        self.rng = random.rng(rng) if rng is not None else None

    @property
    def traceable(self) -> bool:  # type: ignore[override]
        """With ``p == 0`` no mask is drawn: forward passes its input on, the same for any batch."""
        return self.p == 0.0

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, training=self.training, rng=self.rng)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
