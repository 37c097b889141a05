"""Pooling and resize ops beyond the op table: float64 at rel 1e-10 against torch, ties, fast paths."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.ops.pooling import AvgPool, MaxPool, pool_geometry

from ..oracle import assert_close, from_torch, to_torch
from .cases_pooling import CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float64_values_and_gradients_match_torch_to_1e_10(case, torch, rng) -> None:
    for (x,) in case.samples(rng, np.float64):
        ours_in, theirs_in = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
        ours, theirs = case.fn(ours_in), case.torch_fn(theirs_in)
        assert_close(
            f"{case.name}{x.shape} value", ours.data, from_torch(theirs), atol=1e-13, rtol=1e-10
        )
        upstream = rng.standard_normal(ours.shape)
        ours.backward(upstream)
        theirs.backward(to_torch(upstream))
        assert_close(
            f"{case.name}{x.shape} grad",
            ours_in.grad,
            from_torch(theirs_in.grad),
            atol=1e-13,
            rtol=1e-10,
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 1, "padding": 1},
        {"kernel_size": 3, "stride": 2, "ceil_mode": True},
        {"kernel_size": (2, 3)},
    ],
    ids=["2x2", "3x3-overlap-pad", "ceil", "rect"],
)
def test_max_pool_ties_route_the_gradient_to_the_first_maximum_as_torch(kwargs, torch, rng) -> None:
    # Small integers: most windows hold their maximum more than once.
    x = rng.integers(0, 3, size=(2, 3, 7, 8)).astype(np.float64)
    ours_in, theirs_in = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    ours, theirs = (
        F.max_pool2d(ours_in, **kwargs),
        torch.nn.functional.max_pool2d(theirs_in, **kwargs),
    )
    upstream = rng.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    np.testing.assert_array_equal(ours.data, from_torch(theirs))
    # Overlapping windows add their gradients in another order than torch: equal to rounding.
    assert_close("tied grad", ours_in.grad, from_torch(theirs_in.grad), atol=1e-13, rtol=1e-12)


def test_max_pool_sends_each_window_gradient_to_one_element_only() -> None:
    x = gn.Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(
        x.grad[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    )


@pytest.mark.parametrize("op", [MaxPool, AvgPool])
def test_tiling_fast_path_equals_the_general_path(op, rng) -> None:
    x = rng.standard_normal((3, 4, 6, 8)).astype(np.float32)
    tiled = pool_geometry("test", x.shape, 2, 2)
    assert tiled.tiles
    general = tiled._replace(tiles=False)
    extra = {}
    upstream = rng.standard_normal((3, 4, 3, 4)).astype(np.float32)
    results = []
    for geometry in (tiled, general):
        t = gn.Tensor(x, requires_grad=True)
        y = op.apply(t, geometry=geometry, **extra)
        y.backward(upstream)
        results.append((y.data, t.grad))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("tiles", [True, False])
def test_max_pool_keeps_a_channels_outermost_layout_and_its_values(tiles, rng) -> None:
    """A convolution's output is (N, C, H, W) over (C, N, H, W) memory: pooling keeps that order
    (no transposing copy) and gives the same values and gradients as on a C-ordered copy."""
    base = rng.standard_normal((4, 3, 6, 8))
    base[:, :, :2] = 0.0  # ties: the first of equal maxima gets the gradient
    layouts = [np.ascontiguousarray(base), np.ascontiguousarray(base.transpose(1, 0, 2, 3))]
    layouts[1] = layouts[1].transpose(1, 0, 2, 3)
    upstream = rng.standard_normal((3, 4, 4, 5)).transpose(1, 0, 2, 3)
    results = []
    for x in layouts:
        t = gn.Tensor(x, requires_grad=True)
        y = F.max_pool2d(t, 2) if tiles else F.max_pool2d(t, 2, 2, 1)
        y.backward(upstream[:, :, : y.shape[2], : y.shape[3]])
        results.append((y.data, t.grad))
    out, grad = results[1]
    if tiles:
        assert out.transpose(1, 0, 2, 3).flags.c_contiguous
        assert grad.transpose(1, 0, 2, 3).flags.c_contiguous
    np.testing.assert_array_equal(out, results[0][0])
    np.testing.assert_array_equal(grad, results[0][1])


def test_pooling_and_resize_backward_never_use_np_add_at(monkeypatch, rng) -> None:
    add = np.add

    class AddWithoutAt:
        def __call__(self, *args, **kwargs):
            return add(*args, **kwargs)

        def __getattr__(self, name):
            if name == "at":
                raise AssertionError("np.add.at on the hot path")
            return getattr(add, name)

    monkeypatch.setattr(np, "add", AddWithoutAt())
    x = gn.Tensor(rng.standard_normal((2, 2, 7, 7)), requires_grad=True)
    for y in (
        F.max_pool2d(x, 3, 2, 1),
        F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        F.adaptive_avg_pool2d(x, 3),
        F.interpolate(x, scale_factor=1.5),
        F.interpolate(x, size=(4, 9), mode="bilinear"),
    ):
        y.sum().backward()


def test_max_pool_propagates_nan_like_torch(torch) -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 1] = np.nan
    ours = F.max_pool2d(gn.Tensor(x), 2).data
    np.testing.assert_array_equal(ours, from_torch(torch.nn.functional.max_pool2d(to_torch(x), 2)))


def test_avg_pool_divisor_override_matches_torch(torch, rng) -> None:
    x = rng.standard_normal((2, 2, 5, 5))
    ours = F.avg_pool2d(gn.Tensor(x), 3, 2, 1, divisor_override=4).data
    theirs = torch.nn.functional.avg_pool2d(to_torch(x), 3, 2, 1, divisor_override=4)
    assert_close("divisor_override", ours, from_torch(theirs), 1e-13, 1e-10)


def test_float32_stays_float32() -> None:
    x = gn.Tensor(np.ones((1, 2, 4, 4), dtype=np.float32))
    for y in (
        F.max_pool2d(x, 2),
        F.avg_pool2d(x, 3, 1, 1),
        F.adaptive_avg_pool2d(x, 3),
        F.interpolate(x, scale_factor=2, mode="bilinear"),
        F.interpolate(x, size=3),
    ):
        assert y.dtype == np.float32


def test_average_pooling_refuses_integer_input_with_the_fix() -> None:
    with pytest.raises(
        gn.errors.DTypeError, match=r"avg_pool: expected a float input, got dtype int64"
    ):
        gn.nn.AvgPool2d(2)(gn.Tensor(np.ones((1, 1, 4, 4), dtype=np.int64)))
