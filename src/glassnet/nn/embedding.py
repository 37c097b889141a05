"""Embedding: a table of vectors looked up by integer index."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor
from ..ops.regularization import embedding
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``num_embeddings`` vectors of size ``embedding_dim``, initialized N(0, 1) as in PyTorch.

    Shape:
        Input: integer indices of any shape ``(*)``. Output: ``(*, embedding_dim)``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = np.float32,
                 rng: random.SeedLike = None) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding: sizes must be positive, got {num_embeddings} and {embedding_dim}.")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        table = random.rng(rng).standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        self.weight = Parameter(table)

    def forward(self, indices: Any) -> Tensor:
        return embedding(indices, self.weight)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "dtype": self.weight.dtype.name}

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
