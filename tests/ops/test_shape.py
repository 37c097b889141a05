"""Shape-op edge cases the table cannot express: views, repeated indices, index forms, iteration,
pad_width forms, dtypes, 0-d tensors, and which inputs get gradients."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError


def _grad_of(fn, data: np.ndarray, upstream: np.ndarray | None = None) -> np.ndarray:
    x = gn.Tensor(data, requires_grad=True)
    y = fn(x)
    y.backward(np.ones(y.shape, dtype=y.dtype) if upstream is None else upstream)
    return x.grad


def test_reshape_transpose_broadcast_and_basic_indexing_return_views() -> None:
    x = gn.Tensor(np.arange(24.0).reshape(2, 3, 4))
    views = [
        x.reshape(6, 4),
        x.reshape(-1),
        x.T,
        x.transpose(1, 0, 2),
        F.broadcast_to(x, (5, 2, 3, 4)),
        x[1],
        x[:, 1:, ::2],
        x[::-1],
        x[..., None, 0],
        x.unsqueeze(0),
        x.flatten(1),
        x[:, :1].squeeze(1),
    ]
    for y in views:
        assert np.shares_memory(y.data, x.data), y.shape


def test_transpose_with_negative_axes_sends_the_gradient_back_through_the_inverse() -> None:
    upstream = np.arange(24.0).reshape(4, 2, 3)
    grad = _grad_of(lambda x: F.transpose(x, (-1, 0, -2)), np.zeros((2, 3, 4)), upstream)
    np.testing.assert_array_equal(grad, upstream.transpose(1, 2, 0))


def test_transpose_forms_of_the_tensor_method() -> None:
    x = gn.Tensor(np.zeros((2, 3, 4)))
    assert x.transpose().shape == (4, 3, 2)
    assert x.T.shape == (4, 3, 2)
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(0, 2, 1).shape == (2, 4, 3)
    assert F.transpose(gn.Tensor(1.0)).shape == ()


def test_repeated_indices_accumulate_their_gradients() -> None:
    data = np.zeros(3)
    np.testing.assert_array_equal(_grad_of(lambda x: x[np.array([0, 0, 2, 0])], data), [3, 0, 1])
    np.testing.assert_array_equal(_grad_of(lambda x: x[[[0, 0], [0, 1]]], data), [3, 1, 0])
    grid = _grad_of(lambda x: x[[0, 1, 0], [2, 2, 2]], np.zeros((2, 3)))
    np.testing.assert_array_equal(grid, [[0, 0, 2], [0, 0, 1]])
    # An integer array and a mask in one index: repeats still accumulate.
    mixed = _grad_of(lambda x: x[np.array([1, 1]), np.array([True, False, True])], np.zeros((2, 3)))
    np.testing.assert_array_equal(mixed, [[0, 0, 0], [1, 0, 1]])


def test_repeated_rows_of_a_large_table_accumulate_like_bincount() -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 1000, size=20_000)
    upstream = rng.standard_normal((20_000, 8))
    grad = _grad_of(lambda x: x[rows], np.zeros((1000, 8)), upstream)
    columns = [np.bincount(rows, weights=column, minlength=1000) for column in upstream.T]
    expected = np.stack(columns, axis=1)
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-10)


def test_the_same_slice_used_twice_gets_both_gradients() -> None:
    grad = _grad_of(lambda x: x[0] * 2.0 + x[0] + x[1:].sum(axis=0), np.zeros((3, 2)))
    np.testing.assert_array_equal(grad, [[3, 3], [1, 1], [1, 1]])


def test_tensor_list_tuple_and_empty_list_indices_work_like_numpy() -> None:
    data = np.arange(10.0).reshape(5, 2)
    x = gn.Tensor(data, requires_grad=True)
    assert x[gn.Tensor(np.array([4, 1]))].tolist() == data[[4, 1]].tolist()
    assert x[[0, 0]].tolist() == data[[0, 0]].tolist()
    assert x[[True, False, False, False, True]].tolist() == data[[0, 4]].tolist()
    assert x[(1, 3), 0].tolist() == [2.0, 6.0]
    assert x[gn.Tensor(np.array(3)), gn.Tensor(np.array(1))].item() == 7.0
    empty = x[[]]
    assert empty.shape == (0, 2)
    empty.backward(np.zeros((0, 2)))
    np.testing.assert_array_equal(x.grad, np.zeros((5, 2)))


def test_boolean_mask_from_a_comparison() -> None:
    x = gn.Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    positive = x[x > 0]
    assert positive.tolist() == [2.0, 4.0]
    positive.sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 0, 1])


def test_index_errors_are_index_errors_so_iterating_a_tensor_stops_after_the_last_row() -> None:
    x = gn.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    with pytest.raises(IndexError, match=r"getitem: index 3 does not fit .* shape \(3, 2\)"):
        x[3]
    rows = list(x)  # Python's sequence protocol: x[0], x[1], ... until IndexError
    assert [row.tolist() for row in rows] == [[0, 1], [2, 3], [4, 5]]
    F.stack(rows).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 2)))


def test_no_grad_indexing_builds_no_graph() -> None:
    x = gn.Tensor(np.ones((3, 2)), requires_grad=True)
    with gn.no_grad():
        y = x[np.array([0, 0])]
    assert not y.requires_grad and y.creator is None


@pytest.mark.parametrize("pad_width", [1, (2, 0), ((1, 2), (0, 3)), ((1,), (2,)), ((0, 1),), 0])
def test_pad_matches_numpy_for_every_pad_width_form(pad_width) -> None:
    data = np.arange(6.0).reshape(2, 3)
    x = gn.Tensor(data, requires_grad=True)
    y = F.pad(x, pad_width, value=-1.5)
    expected = np.pad(data, pad_width, mode="constant", constant_values=-1.5)
    np.testing.assert_array_equal(y.data, expected)
    assert not np.shares_memory(y.data, data)
    # Mark every input element in the upstream gradient: it must come back unpadded.
    upstream = np.pad(data + 100.0, pad_width, mode="constant", constant_values=0.0)
    y.backward(upstream)
    np.testing.assert_array_equal(x.grad, data + 100.0)


def test_concatenate_and_stack_send_gradients_to_the_inputs_that_need_them_only() -> None:
    a = gn.Tensor(np.ones((2, 2)), requires_grad=True)
    b = gn.Tensor(np.ones((3, 2)))
    weights = np.arange(10.0).reshape(5, 2)
    (F.concatenate([a, b]) * weights).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0, 1], [2, 3]])
    assert b.grad is None
    c = gn.Tensor(np.zeros(2), requires_grad=True)
    (F.stack([b[0], c, np.ones(2)], axis=1) * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(c.grad, [1, 4])


def test_concatenate_promotes_mixed_dtypes_and_returns_each_gradient_in_its_input_dtype() -> None:
    a = gn.Tensor(np.ones((1, 2), dtype=np.float32), requires_grad=True)
    b = gn.Tensor(np.ones((2, 2), dtype=np.float64), requires_grad=True)
    y = F.concatenate([a, b])
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


SHAPE_OPS = [
    lambda x: x.reshape(4, 6),
    lambda x: x.T,
    lambda x: F.broadcast_to(x, (2, 2, 3, 4)),
    lambda x: x[np.array([0, 0])],
    lambda x: x[x > 0],
    lambda x: x[:, ::-1],
    lambda x: F.concatenate([x, x], axis=1),
    lambda x: F.stack([x, x]),
    lambda x: F.pad(x, 1, value=0.5),
    lambda x: F.squeeze(x[:1]),
    lambda x: x.unsqueeze(1),
    lambda x: x.flatten(1),
]


@pytest.mark.parametrize("op", SHAPE_OPS, ids=range(len(SHAPE_OPS)))
def test_float32_stays_float32_forward_and_backward(op) -> None:
    x = gn.Tensor(
        np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True
    )
    y = op(x)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def test_zero_d_tensors_squeeze_flatten_and_expand_like_torch() -> None:
    x = gn.Tensor(2.0, requires_grad=True)
    assert F.squeeze(x).shape == ()
    assert F.squeeze(x, 0).shape == ()
    assert F.squeeze(x, -1).shape == ()
    assert F.flatten(x).shape == (1,)
    assert F.flatten(x, 0, -1).shape == (1,)
    assert x.unsqueeze(0).shape == (1,)
    assert F.expand_dims(x, (0, 1)).shape == (1, 1)
    with pytest.raises(ShapeError, match="squeeze: axis 1 is out of range"):
        F.squeeze(x, 1)
    F.flatten(x).sum().backward()
    assert x.grad.shape == ()


def test_squeeze_expand_dims_flatten_shapes() -> None:
    x = gn.Tensor(np.ones((2, 1, 3, 1)))
    assert x.flatten().shape == (6,)
    assert x.flatten(1).shape == (2, 3)
    assert x.flatten(-2, -1).shape == (2, 1, 3)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3, 1)
    assert x.squeeze((1, -1)).shape == (2, 3)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3, 1)
    assert x.expand_dims(-1).shape == (2, 1, 3, 1, 1)
    assert F.expand_dims(x, (0, 2)).shape == (1, 2, 1, 1, 3, 1)


def test_shape_arguments_accept_ints_lists_and_numpy_integers() -> None:
    x = gn.Tensor(np.arange(12.0))
    assert F.reshape(x, 12).shape == (12,)
    assert F.reshape(x, [3, np.int64(4)]).shape == (3, 4)
    assert x.reshape((2, 6)).shape == (2, 6)
    assert x.reshape([2, -1]).shape == (2, 6)
    assert F.broadcast_to(gn.Tensor(1.0), 3).shape == (3,)
    assert F.transpose(x.reshape(3, 4), [np.int32(1), 0]).shape == (4, 3)
    assert F.squeeze(x.reshape(1, 12), np.int64(0)).shape == (12,)


def test_broadcast_to_gradient_sums_the_copies() -> None:
    grad = _grad_of(lambda x: F.broadcast_to(x, (2, 3, 4)), np.zeros((3, 1)))
    np.testing.assert_array_equal(grad, np.full((3, 1), 8.0))
