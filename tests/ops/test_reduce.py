"""Reduction edge cases: ties, stability, empty axes, axis forms, keepdims shapes, float32."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from ..oracle import from_torch, to_torch

REDUCTIONS = [F.sum, F.mean, F.max, F.min, F.var, F.logsumexp]
IDS = ["sum", "mean", "max", "min", "var", "logsumexp"]


@pytest.mark.parametrize("name, torch_name", [("max", "amax"), ("min", "amin")])
def test_tied_extrema_share_the_gradient_evenly_like_torch_amax_amin(
    name: str, torch_name: str, torch
) -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [3.0, 1.0, 1.0]], dtype=np.float32)
    for axis in (1, 0, None):
        x, tx = gn.Tensor(data, requires_grad=True), to_torch(data, requires_grad=True)
        dims = tuple(range(2)) if axis is None else axis
        getattr(F, name)(x, axis=axis).sum().backward()
        getattr(torch, torch_name)(tx, dim=dims).sum().backward()
        np.testing.assert_allclose(x.grad, from_torch(tx.grad), rtol=1e-6, err_msg=f"axis {axis}")


def test_max_ties_along_an_axis_get_a_third_each() -> None:
    x = gn.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    F.max(x, axis=1).backward(np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_is_finite_at_plus_minus_1e4_and_its_gradient_is_the_softmax(dtype) -> None:
    data = np.array([[1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    x = gn.Tensor(data, requires_grad=True)
    y = F.logsumexp(x, axis=1)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, [1e4 + np.log(2), -1e4 + np.log(3)], rtol=1e-6)
    y.backward(np.ones(2, dtype=dtype))
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_logsumexp_gradient_equals_softmax_over_the_reduced_axes() -> None:
    data = np.random.default_rng(0).normal(size=(2, 3, 4))
    x = gn.Tensor(data, requires_grad=True)
    F.logsumexp(x, axis=(0, 2)).backward(np.ones(3))
    e = np.exp(data - data.max(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(x.grad, e / e.sum(axis=(0, 2), keepdims=True), rtol=1e-12)


def test_logsumexp_of_minus_infinity_and_of_nothing_is_minus_infinity(torch) -> None:
    assert F.logsumexp(gn.Tensor(np.full((1, 3), -np.inf)), axis=1).data[0] == -np.inf
    empty = F.logsumexp(gn.Tensor(np.ones((0, 2))), axis=0)
    assert empty.tolist() == [-np.inf, -np.inf]
    assert from_torch(torch.logsumexp(torch.ones(0, 2), dim=0)).tolist() == empty.tolist()


def test_sum_of_an_empty_axis_is_zero_like_numpy() -> None:
    x = gn.Tensor(np.ones((0, 3)), requires_grad=True)
    y = F.sum(x, axis=0)
    assert y.tolist() == [0.0, 0.0, 0.0]
    y.backward(np.ones(3))
    assert x.grad.shape == (0, 3)
    assert F.sum(gn.Tensor(np.ones(0))).item() == 0.0


def test_mean_of_an_empty_axis_is_nan_like_torch() -> None:
    assert np.isnan(F.mean(gn.Tensor(np.ones((0, 3))), axis=0).data).all()


@pytest.mark.parametrize("op", [F.max, F.min], ids=["max", "min"])
def test_max_and_min_of_an_empty_axis_raise_shape_error_naming_op_and_shape(op) -> None:
    x = gn.Tensor(np.ones((2, 0, 3)))
    with pytest.raises(ShapeError, match=rf"{op.__name__}: .*shape \(2, 0, 3\).*axis 1"):
        op(x, axis=(0, 1))
    with pytest.raises(ShapeError, match=r"\(2, 0, 3\)"):
        op(x)
    assert op(x, axis=2).shape == (2, 0)  # a non-empty axis of an empty tensor is fine


@pytest.mark.parametrize("op", REDUCTIONS, ids=IDS)
def test_out_of_range_axis_raises_shape_error_naming_op_axis_and_ndim(op) -> None:
    x = gn.Tensor(np.ones((2, 3)))
    for axis in (2, -3, (0, 5)):
        bad = axis[1] if isinstance(axis, tuple) else axis
        with pytest.raises(ShapeError, match=rf"{op.__name__}: axis {bad} .*2 dimensions"):
            op(x, axis=axis)


@pytest.mark.parametrize("op", REDUCTIONS, ids=IDS)
def test_axis_forms_and_keepdims_give_numpy_shapes(op) -> None:
    data = np.random.default_rng(1).normal(size=(2, 3, 4))
    x = gn.Tensor(data)
    for axis in (None, 0, -1, (0, 2), (-1, 0), [1, 2], np.int64(1), ()):
        for keepdims in (False, True):
            np_axis = tuple(axis) if isinstance(axis, list) else axis  # NumPy takes no lists
            expected = np.sum(data, axis=np_axis, keepdims=keepdims).shape
            assert op(x, axis=axis, keepdims=keepdims).shape == expected, (axis, keepdims)


@pytest.mark.parametrize("op", REDUCTIONS, ids=IDS)
def test_reductions_of_a_0d_tensor_accept_axis_0_and_minus_1_like_torch(op) -> None:
    x = gn.Tensor(np.array(2.0), requires_grad=True)
    for axis in (None, 0, -1, ()):
        y = op(x, axis=axis)
        assert y.shape == ()
        y.backward()
    assert x.grad.shape == ()


def test_empty_axis_tuple_reduces_nothing_like_numpy() -> None:
    data = np.arange(6.0).reshape(2, 3)
    x = gn.Tensor(data)
    for op in (F.sum, F.mean, F.max, F.min, F.logsumexp):
        np.testing.assert_allclose(op(x, axis=()).data, data, err_msg=op.__name__)
    assert F.var(x, axis=()).tolist() == np.var(data, axis=()).tolist()


@pytest.mark.parametrize("op", REDUCTIONS, ids=IDS)
def test_float32_stays_float32_in_values_and_gradients(op) -> None:
    data = np.random.default_rng(2).normal(size=(3, 4)).astype(np.float32)
    x = gn.Tensor(data, requires_grad=True)
    y = op(x, axis=1, keepdims=True)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_tensor_methods_reach_the_reductions_with_keywords() -> None:
    x = gn.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum().item() == 10 and x.mean(axis=0).tolist() == [2.0, 3.0]
    assert x.max(axis=1, keepdims=True).tolist() == [[2.0], [4.0]] and x.min().item() == 1.0
    assert x.var().item() == 1.25 and x.var(ddof=1).item() == pytest.approx(5 / 3)
    assert x.logsumexp(axis=0).shape == (2,)


def test_var_defaults_to_ddof_0_unlike_torch_var(torch) -> None:
    data = np.random.default_rng(0).normal(size=(4, 5))
    ours = F.var(gn.Tensor(data), axis=0).data
    np.testing.assert_allclose(ours, data.var(axis=0))
    np.testing.assert_allclose(ours, from_torch(torch.var(to_torch(data), dim=0, correction=0)))
    assert not np.allclose(ours, from_torch(torch.var(to_torch(data), dim=0)))  # correction=1
    ddof1 = F.var(gn.Tensor(data), axis=0, ddof=1).data
    np.testing.assert_allclose(ddof1, from_torch(torch.var(to_torch(data), dim=0)))


def test_var_is_accurate_for_a_large_offset_in_float32() -> None:
    data = (1e4 + np.array([0.0, 1.0, 2.0, 3.0])).astype(np.float32)
    assert F.var(gn.Tensor(data)).item() == pytest.approx(1.25, rel=1e-6)
