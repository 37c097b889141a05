"""Dropout layers: inverted dropout (of elements, or of whole channels) in train() mode, the identity in eval()."""

from __future__ import annotations

from typing import Any

from .. import random
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops.regularization import dropout, dropout2d
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


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

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        """Keras's mask passes through: this layer keeps every step where it is (see ``apply_layers``)."""
        return mask

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, training=self.training, rng=self.rng)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` while training (``torch.nn.Dropout2d``).

    One draw per sample and channel, scaled by 1/(1-p) where kept; seeded as :class:`Dropout`.
    In ``eval()`` mode the layer passes its input through.

    Shape:
        Input: ``(N, C, H, W)``. Output: the same.
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4:
            raise ShapeError(
                f"{self.display_name}: expected input of shape (N, C, H, W), got {x.shape}. "
                "For other shapes use Dropout."
            )
        return dropout2d(x, self.p, training=self.training, rng=self.rng)
