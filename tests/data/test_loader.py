"""DataLoader: batch sizes, seeded shuffling, views without shuffling, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import DataLoader


def test_batches_cover_every_sample_once_per_epoch() -> None:
    x, y = np.arange(23).reshape(23, 1), np.arange(23)
    loader = DataLoader(x, y, batch_size=5, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == 5 and [len(b) for _, b in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([b for _, b in batches])
    assert sorted(seen.tolist()) == list(range(23)) and seen.tolist() != list(range(23))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)


def test_drop_last_and_no_shuffle_gives_ordered_views() -> None:
    x = np.arange(10.0)
    loader = DataLoader(x, batch_size=4, shuffle=False, drop_last=True)
    batches = list(loader)
    assert len(loader) == 2 and [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert np.shares_memory(batches[0], x)


def test_same_seed_repeats_the_sequence_of_epochs() -> None:
    def two_epochs(seed):
        loader = DataLoader(np.arange(20), batch_size=20, seed=seed)
        return [next(iter(loader)).tolist() for _ in range(2)]

    first = two_epochs(3)
    assert first == two_epochs(3) and first[0] != first[1]


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size must be a positive integer"),
    (dict(batch_size=2.5), "batch_size must be a positive integer"),
    (dict(y=np.arange(3)), "x has 5 samples but y has 3"),
])
def test_bad_arguments_are_clear(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(np.arange(5), **kwargs)
