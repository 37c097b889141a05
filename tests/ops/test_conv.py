"""glassnet.ops.conv beyond the shared table: PyTorch agreement at rel 1e-10, layouts, no np.add.at."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

from ..oracle import assert_close, from_torch, to_torch
from .cases_conv import CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_conv_values_and_gradients_match_torch_to_1e10(case, torch, rng) -> None:
    for arrays in case.samples(rng, np.float64):
        ours_in = [gn.Tensor(a, requires_grad=True) for a in arrays]
        theirs_in = [to_torch(a, requires_grad=True) for a in arrays]
        ours, theirs = case.fn(*ours_in), case.torch_fn(*theirs_in)
        assert_close(f"{case.name} value", ours.data, from_torch(theirs), atol=1e-12, rtol=1e-10)
        upstream = rng.standard_normal(ours.shape)
        ours.backward(upstream)
        theirs.backward(to_torch(upstream))
        for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
            assert_close(
                f"{case.name} grad {i}", o.grad, from_torch(t.grad), atol=1e-12, rtol=1e-10
            )


def test_columns_are_built_in_reused_memory_and_not_kept(rng) -> None:
    from glassnet.ops.conv import _scratch

    x = gn.Tensor(rng.standard_normal((4, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = gn.Tensor(rng.standard_normal((5, 3, 3, 3)).astype(np.float32), requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    buffer = _scratch.buffers["columns"]
    first = x.grad.copy()
    x.grad = None
    # A second layer in between writes its own columns into the same memory: nothing kept them.
    y = F.conv2d(x, w, padding=1)
    F.conv2d(y, rng.standard_normal((2, 5, 3, 3)).astype(np.float32))
    y.sum().backward()
    assert _scratch.buffers["columns"] is buffer
    np.testing.assert_array_equal(x.grad, first)


def test_conv_backward_uses_no_add_at() -> None:
    import inspect

    from glassnet.ops import conv

    assert "add.at" not in inspect.getsource(conv)


def test_conv2d_float32_stays_float32(rng) -> None:
    x = gn.Tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32), requires_grad=True)
    w = gn.Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, np.zeros(4, np.float32), padding=1)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32


def test_very_large_columns_are_not_kept_between_calls(rng, monkeypatch) -> None:
    from glassnet.ops.conv import _scratch

    monkeypatch.setattr(type(_scratch), "KEEP_AT_MOST", 1000)
    kept = {slot: id(buffer) for slot, buffer in _scratch.buffers.items()}
    x = rng.standard_normal((2, 3, 8, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    expected = F.conv2d(
        x, w, padding=1
    ).data  # columns of 2 * 10 * 8 * 27 floats: more than 1000 bytes
    assert {slot: id(buffer) for slot, buffer in _scratch.buffers.items()} == kept
    np.testing.assert_allclose(expected, F.conv2d(x, w.copy(), padding=1).data)
