"""Element-wise math edge cases: subgradients at kinks and ties, where with masks, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

from ..oracle import from_torch, to_torch

ONES3 = np.ones(3, dtype=np.float32)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_split_tied_gradients_half_and_half_like_torch(
    name: str, torch
) -> None:
    a_data = np.array([1.0, 2.0, 3.0, -0.5], dtype=np.float32)
    b_data = np.array([1.0, 5.0, 0.0, -0.5], dtype=np.float32)
    a, b = gn.Tensor(a_data, requires_grad=True), gn.Tensor(b_data, requires_grad=True)
    ta, tb = to_torch(a_data, requires_grad=True), to_torch(b_data, requires_grad=True)
    getattr(F, name)(a, b).backward(np.ones(4, dtype=np.float32))
    getattr(torch, name)(ta, tb).backward(torch.ones(4))
    np.testing.assert_array_equal(a.grad, from_torch(ta.grad))
    np.testing.assert_array_equal(b.grad, from_torch(tb.grad))
    assert a.grad[0] == b.grad[0] == 0.5 and a.grad[3] == b.grad[3] == 0.5


def test_maximum_ties_under_broadcasting_sum_the_halves() -> None:
    a = gn.Tensor(np.zeros((3, 2)), requires_grad=True)
    b = gn.Tensor(np.array(0.0), requires_grad=True)
    F.maximum(a, b).backward(np.ones((3, 2)))
    np.testing.assert_array_equal(a.grad, np.full((3, 2), 0.5))
    assert b.grad.shape == () and b.grad == 3.0


def test_maximum_computes_only_the_gradients_needed() -> None:
    a = gn.Tensor([1.0, 4.0], requires_grad=True)
    constant = gn.Tensor([2.0, 3.0])
    F.maximum(a, constant).backward(np.ones(2, dtype=np.float32))
    np.testing.assert_array_equal(a.grad, [0.0, 1.0])
    assert constant.grad is None


def test_abs_has_zero_gradient_at_zero_like_torch() -> None:
    x = gn.Tensor([0.0, -1.0, 1.0], requires_grad=True)
    F.abs(x).backward(ONES3)
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 1.0])
    assert abs(x).tolist() == [0.0, 1.0, 1.0]


def test_clip_passes_the_gradient_at_its_bounds_inclusive_like_torch_clamp(torch) -> None:
    data = np.array([-1.0, 0.5, 1.0, 0.0], dtype=np.float32)
    for low, high in [(-1.0, 0.5), (None, 0.5), (-1.0, None)]:
        x, tx = gn.Tensor(data, requires_grad=True), to_torch(data, requires_grad=True)
        F.clip(x, low, high).backward(np.ones(4, dtype=np.float32))
        torch.clamp(tx, low, high).backward(torch.ones(4))
        np.testing.assert_array_equal(x.grad, from_torch(tx.grad), err_msg=f"bounds {low}, {high}")


def test_clip_with_one_bound_leaves_the_other_side_open() -> None:
    x = gn.Tensor([-5.0, 0.0, 5.0])
    assert F.clip(x, low=-1.0).tolist() == [-1.0, 0.0, 5.0]
    assert F.clip(x, high=1.0).tolist() == [-5.0, 0.0, 1.0]
    assert x.clip(-1.0, 1.0).tolist() == [-1.0, 0.0, 1.0]


def test_where_takes_a_bool_tensor_and_masks_the_gradients() -> None:
    x = gn.Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = F.where(x > 0, x, x * 0.1)
    np.testing.assert_allclose(y.data, [-0.1, 2.0, -0.3], rtol=1e-6)
    y.backward(ONES3)
    np.testing.assert_allclose(x.grad, [0.1, 1.0, 0.1], rtol=1e-6)


def test_where_broadcasts_and_unbroadcasts_both_branches() -> None:
    condition = np.array([[True], [False]])
    a = gn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = gn.Tensor(0.0, requires_grad=True)
    y = F.where(condition, a, b)
    assert y.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    y.backward(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0])
    assert b.grad.shape == () and b.grad == 3.0


@pytest.mark.parametrize(
    "op",
    [
        F.exp,
        F.log,
        F.sqrt,
        F.abs,
        lambda t: F.clip(t, 0.0, 1.0),
        lambda t: F.clip(t, np.float64(0.1), np.float64(0.9)),
        lambda t: F.maximum(t, 0.7),
        lambda t: F.minimum(t, 0.7),
        lambda t: F.where(t > 0.6, t, 0.0),
    ],
    ids=["exp", "log", "sqrt", "abs", "clip", "clip-float64-bounds", "maximum", "minimum", "where"],
)
def test_float32_stays_float32_in_values_and_gradients(op) -> None:
    x = gn.Tensor(np.array([0.25, 0.5, 0.75], dtype=np.float32), requires_grad=True)
    y = op(x)
    y.backward(ONES3)
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_exp_and_log_invert_each_other_in_float64() -> None:
    x = gn.Tensor(np.linspace(-5.0, 5.0, 11), requires_grad=True)
    y = F.log(F.exp(x))
    y.backward(np.ones(11))
    np.testing.assert_allclose(y.data, x.data, atol=1e-12)
    np.testing.assert_allclose(x.grad, 1.0, rtol=1e-12)
