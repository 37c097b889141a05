"""broadcast_parameters and allreduce_gradients by hand on two processes; FlatBuffer alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.distributed import FlatBuffer, allreduce_gradients, broadcast_parameters

from .mpirun import run_workers


def test_broadcast_gives_rank_0s_weights_and_allreduce_averages_the_gradients(
    tmp_path: Path,
) -> None:
    result = run_workers(tmp_path, "collectives")
    assert result.returncode == 0, result.stdout + result.stderr
    got = [json.loads((tmp_path / f"collectives_rank{rank}.json").read_text()) for rank in (0, 1)]
    rank0_layers = list(gn.nn.Linear(3, 2, rng=0).parameters()) + list(
        gn.nn.Linear(2, 2, dtype=np.float64, rng=10).parameters()
    )
    for rank in (0, 1):
        for weights, param in zip(got[rank]["weights"], rank0_layers):
            np.testing.assert_array_equal(np.array(weights, dtype=param.dtype), param.data)
        # (1 + 2) / 2 on every element; a missing gradient stays missing; each keeps its dtype.
        assert [None if g is None else set(np.ravel(g)) for g in got[rank]["grads"]] == [
            {1.5}
        ] * 3 + [None]
        assert got[rank]["grad_dtypes"] == ["float32", "float32", "float64", None]


def test_alone_the_collectives_change_nothing() -> None:
    layer = gn.nn.Linear(2, 2, rng=0)
    before = layer.weight.data.copy()
    layer.weight.grad = np.ones((2, 2), dtype=np.float32)
    broadcast_parameters(layer)
    allreduce_gradients(layer.parameters())
    np.testing.assert_array_equal(layer.weight.data, before)
    np.testing.assert_array_equal(layer.weight.grad, np.ones((2, 2)))


def test_a_flat_buffer_lays_arrays_end_to_end_and_casts_back_exactly() -> None:
    arrays = [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array([0.1, 0.2]),
        np.zeros((0, 4), np.float32),
    ]
    flat = FlatBuffer(arrays)
    assert flat.dtype == np.float64 and flat.data.shape == (8,)
    assert all(view.base is flat.data for view in flat.views)
    flat.pack([arrays[0], None, arrays[2]])
    np.testing.assert_array_equal(flat.data, [0, 1, 2, 3, 4, 5, 0, 0])
    targets = [np.empty_like(a) for a in arrays]
    flat.unpack_into(targets)
    np.testing.assert_array_equal(targets[0], arrays[0])
    assert targets[0].dtype == np.float32
    flat.pack(arrays, scale=0.5)
    np.testing.assert_array_equal(flat.data, [0, 0.5, 1, 1.5, 2, 2.5, 0.05, 0.1])
