"""DataLoader: batch sizes, seeded shuffling, views without shuffling, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import DataLoader
from glassnet.data.loader import _take_rows


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


@pytest.mark.parametrize(
    "shuffle, drop_last", [(True, False), (True, True), (False, False), (False, True)]
)
def test_batch_rows_are_the_rows_iteration_takes(shuffle: bool, drop_last: bool) -> None:
    # fit takes features, targets and weights by batch_rows(): the same batches as iterating.
    x, y = np.arange(46.0).reshape(23, 2), np.arange(23)
    by_rows = DataLoader(x, y, batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=3)
    by_iteration = DataLoader(x, y, batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=3)
    for _ in range(2):  # two epochs: one permutation drawn per pass in both
        pairs = [(_take_rows(x, rows), _take_rows(y, rows)) for rows in by_rows.batch_rows()]
        expected = list(by_iteration)
        assert len(pairs) == len(expected) == len(by_rows)
        for (xb, yb), (xe, ye) in zip(pairs, expected):
            np.testing.assert_array_equal(xb, xe)
            np.testing.assert_array_equal(yb, ye)


def test_take_rows_gives_a_view_for_a_slice_and_a_copy_for_indices() -> None:
    x = np.arange(12.0).reshape(6, 2)
    assert np.shares_memory(_take_rows(x, slice(1, 3)), x)
    taken = _take_rows(x, np.array([4, 0]))
    assert not np.shares_memory(taken, x) and taken.tolist() == [[8.0, 9.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size must be a positive integer"),
        (dict(batch_size=2.5), "batch_size must be a positive integer"),
        (dict(y=np.arange(3)), "x has 5 samples but y has 3"),
    ],
)
def test_bad_arguments_are_clear(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(np.arange(5), **kwargs)
