"""Which rows each process trains on: PyTorch's ``DistributedSampler``, over glassnet's seeded permutation.

Every process draws the same permutation of all ``n`` rows each epoch (their generators are in
the same state), pads it by repeating its first rows up to a multiple of the number of processes
``p``, and takes every ``p``-th row starting at its rank. So each process gets ``ceil(n / p)`` rows,
the same number everywhere; when ``p`` does not divide ``n``, ``p - n % p`` rows are seen twice in
that epoch (as with ``DistributedSampler(drop_last=False)``, PyTorch's default).

Taking every ``p``-th row means that batch ``k`` of all processes together holds exactly rows
``k*p*b ... (k+1)*p*b - 1`` of the permutation, the batch ``k`` of one process with ``p`` times the
batch size: the same training, split.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import random
from ..data.loader import DataLoader

__all__ = ["shard_rows", "contiguous_part", "ShardedLoader"]


def shard_rows(order: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    """This process's rows of ``order``: padded cyclically to a multiple of ``world_size``, then
    every ``world_size``-th entry from ``rank``.

    >>> shard_rows(np.arange(5), 0, 2).tolist(), shard_rows(np.arange(5), 1, 2).tolist()
    ([0, 2, 4], [1, 3, 0])
    """
    total = -(-len(order) // world_size) * world_size
    padded = order if total == len(order) else np.resize(order, total)
    return padded[rank::world_size]


def contiguous_part(n: int, rank: int, world_size: int) -> slice:
    """Rows ``rank * n // p`` to ``(rank + 1) * n // p``: a split of ``n`` rows without repeats
    (for evaluation, where every row must count once).

    >>> [contiguous_part(5, r, 2) for r in range(2)]
    [slice(0, 2, None), slice(2, 5, None)]
    """
    return slice(rank * n // world_size, (rank + 1) * n // world_size)


class ShardedLoader(DataLoader):
    """A :class:`~glassnet.data.DataLoader` over this process's share of each epoch's permutation.

    ``batch_size`` is the batch of this process; the processes together take ``world_size`` times
    as many rows per step. Every process must be given the same rows ``x`` and a generator in
    the same state.
    """

    def __init__(
        self,
        x: Any,
        batch_size: int,
        shuffle: bool,
        seed: random.SeedLike,
        rank: int,
        world_size: int,
    ) -> None:
        super().__init__(x, batch_size=batch_size, shuffle=shuffle, seed=seed)
        self.rank = rank
        self.world_size = world_size

    def __len__(self) -> int:
        rows = -(-len(self.x) // self.world_size)
        return -(-rows // self.batch_size)

    def batch_rows(self) -> Iterator[np.ndarray]:
        """This process's rows of each batch: one permutation draw per pass, as DataLoader does."""
        n = len(self.x)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        rows = shard_rows(order, self.rank, self.world_size)
        for start in range(0, len(rows), self.batch_size):
            yield rows[start : start + self.batch_size]
