"""Embedding: a table of vectors looked up by integer index."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor
from ..errors import InputError
from ..ops.regularization import embedding
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``num_embeddings`` vectors of size ``embedding_dim``, initialized N(0, 1) as in PyTorch.

    With ``mask_zero=True`` (Keras's), index 0 is padding: ``compute_mask`` gives ``indices != 0``,
    which ``Model`` passes to the layers after it (recurrent layers then skip those steps).
    Indices given as floats (a Model casts its input to float) must be whole numbers.

    Shape:
        Input: integer indices of any shape ``(*)``. Output: ``(*, embedding_dim)``.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        mask_zero: bool = False,
    ) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"Embedding: sizes must be positive, got {num_embeddings} and {embedding_dim}."
            )
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.mask_zero = bool(mask_zero)
        table = random.rng(rng).standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        self.weight = Parameter(table)

    def forward(self, indices: Any) -> Tensor:
        return embedding(self._indices(indices), self.weight)

    def _indices(self, indices: Any) -> np.ndarray:
        values = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if values.dtype.kind == "f":
            whole = values.astype(np.int64)
            if not np.array_equal(whole, values):
                raise InputError(
                    f"{self.display_name}: indices must be whole numbers, got {values.ravel()[:3]}..."
                )
            values = whole
        if values.size and (values.min() < 0 or values.max() >= self.num_embeddings):
            raise InputError(
                f"{self.display_name}: indices must lie in [0, {self.num_embeddings}), got values from "
                f"{values.min()} to {values.max()}."
            )
        return values

    def compute_mask(self, indices: Any, mask: Any = None) -> np.ndarray | None:
        """``indices != 0`` with ``mask_zero=True`` (index 0 is padding), else None."""
        if not self.mask_zero:
            return None
        return np.asarray(indices.data if isinstance(indices, Tensor) else indices) != 0

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "dtype": self.weight.dtype.name,
            "mask_zero": self.mask_zero,
        }

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
