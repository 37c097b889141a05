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


def test_conv_output_is_the_product_seen_channels_first_and_its_gradient_is_read_in_place(
    rng, monkeypatch
) -> None:
    from glassnet.ops import conv

    x = gn.Tensor(rng.standard_normal((3, 2, 6, 5)), requires_grad=True)
    w = gn.Tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    # (N, O, H, W) over memory laid out (O, N, H, W): no copy of the product was made.
    assert y.shape == (3, 4, 6, 5) and y.data.transpose(1, 0, 2, 3).flags.c_contiguous
    expected = from_torch_free_reference(x.data, w.data)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)
    # A gradient in that layout (what ReLU and max pooling pass back) is read without a copy.
    copies = []
    real = np.ascontiguousarray
    monkeypatch.setattr(
        conv.np,
        "ascontiguousarray",
        lambda a, *args, **kwargs: (
            copies.append(not a.flags.c_contiguous) or real(a, *args, **kwargs)
        ),
    )
    upstream = np.ascontiguousarray(rng.standard_normal((4, 3, 6, 5))).transpose(1, 0, 2, 3)
    kept = upstream.copy()
    y.backward(upstream)
    assert copies and not any(copies)  # called, and on an array that needed no copy
    np.testing.assert_array_equal(upstream, kept)  # backward never writes into dy


def from_torch_free_reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The plain sum over kernel taps of a stride-1, padding-1 convolution (an independent oracle)."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, wd = x.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i : i + h, j : j + wd], w[:, :, i, j])
    return out


def test_fused_conv_relu_backward_leaves_dy_alone(rng) -> None:
    x = gn.Tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = gn.Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d_relu(x, w, padding=1)
    upstream = np.ascontiguousarray(rng.standard_normal((4, 2, 5, 5))).transpose(1, 0, 2, 3)
    kept = upstream.copy()
    y.backward(upstream)
    np.testing.assert_array_equal(upstream, kept)
    x2 = gn.Tensor(x.data, requires_grad=True)
    F.relu(F.conv2d(x2, w.data, padding=1)).backward(kept)
    np.testing.assert_array_equal(x.grad, x2.grad)


@pytest.mark.parametrize("groups", [1, 2])
def test_columns_in_sample_blocks_give_the_one_block_values_and_gradients(
    groups, rng, monkeypatch
) -> None:
    from glassnet.ops import conv

    x = rng.standard_normal((7, 4, 6, 5))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6)
    upstream = rng.standard_normal((7, 6, 3, 5))
    results = []
    per_sample = 4 * 3 * 2 * 3 * 5 * 8  # columns of one sample: C kh kw Ho Wo float64s
    # One block for the batch, then blocks of 2 samples (the last one of 1): 4 blocks.
    for budget in (2**40, 2 * per_sample):
        monkeypatch.setattr(conv, "COLUMN_BYTES", budget)
        ins = [gn.Tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv2d(*ins, stride=(2, 1), padding=((1, 0), (0, 1)), groups=groups)
        y.backward(upstream)
        results.append([y.data] + [t.grad for t in ins])
    grid = conv._Grid(x.shape, (3, 2), (2, 1), ((1, 0), (0, 1)), (1, 1))
    assert len(list(grid.blocks(8))) == 4  # with the budget of 2 samples still set
    for one, blocked in zip(*results):
        np.testing.assert_allclose(blocked, one, rtol=1e-13, atol=1e-13)
