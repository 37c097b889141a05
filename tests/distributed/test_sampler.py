"""Each process's share of the rows: DistributedSampler's padding and striding."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import DataLoader
from glassnet.distributed import ShardedLoader, contiguous_part, shard_rows


@pytest.mark.parametrize("n, processes", [(10, 2), (11, 2), (7, 3), (2, 4), (64, 1)])
def test_the_shares_cover_every_row_and_are_equal_in_size(n: int, processes: int) -> None:
    order = np.random.default_rng(0).permutation(n)
    shares = [shard_rows(order, rank, processes) for rank in range(processes)]
    size = -(-n // processes)
    assert [len(share) for share in shares] == [size] * processes
    together = np.concatenate(shares)
    assert set(together.tolist()) == set(range(n))
    # The padding repeats the first rows of the permutation, as DistributedSampler does.
    padded = np.resize(order, size * processes)
    assert sorted(together.tolist()) == sorted(padded.tolist())


def test_batch_k_of_p_processes_holds_the_rows_of_batch_k_of_one_process_with_p_times_the_batch() -> (
    None
):
    x = np.arange(96.0).reshape(48, 2)
    one = list(DataLoader(x, batch_size=12, seed=3).batch_rows())
    shares = [
        list(
            ShardedLoader(
                x, batch_size=4, shuffle=True, seed=3, rank=rank, world_size=3
            ).batch_rows()
        )
        for rank in range(3)
    ]
    assert len(ShardedLoader(x, 4, True, 3, 0, 3)) == len(one) == 4
    for k, rows in enumerate(one):
        assert sorted(np.concatenate([share[k] for share in shares]).tolist()) == sorted(
            rows.tolist()
        )


def test_a_sharded_loader_counts_its_padded_batches() -> None:
    loader = ShardedLoader(
        np.zeros((11, 1)), batch_size=4, shuffle=False, seed=0, rank=1, world_size=2
    )
    batches = list(loader.batch_rows())
    assert len(loader) == len(batches) == 2
    assert np.concatenate(batches).tolist() == [1, 3, 5, 7, 9, 0]


def test_contiguous_parts_split_the_rows_without_repeats() -> None:
    parts = [contiguous_part(101, rank, 4) for rank in range(4)]
    assert np.concatenate([np.arange(101)[part] for part in parts]).tolist() == list(range(101))
