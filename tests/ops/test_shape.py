"""Shape-op edge cases: views, repeated indices, tensor indices, round trips."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F


def test_reshape_transpose_and_basic_indexing_return_views() -> None:
    x = gn.Tensor(np.arange(12.0).reshape(3, 4))
    for y in (x.reshape(4, 3), x.T, x[1:, ::2], F.broadcast_to(x, (2, 3, 4))):
        assert np.shares_memory(y.data, x.data)


def test_repeated_indices_accumulate_their_gradients() -> None:
    x = gn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 0.0, 1.0])


def test_tensor_index_and_list_index_work_like_arrays() -> None:
    x = gn.Tensor(np.arange(5.0), requires_grad=True)
    picked = x[gn.Tensor(np.array([4, 1]))]
    assert picked.tolist() == [4.0, 1.0]
    assert x[[0, 0]].tolist() == [0.0, 0.0]
    picked.sum().backward()
    np.testing.assert_allclose(x.grad, [0, 1, 0, 0, 1])


def test_boolean_mask_from_a_comparison() -> None:
    x = gn.Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    positive = x[x > 0]
    assert positive.tolist() == [2.0, 4.0]
    positive.sum().backward()
    np.testing.assert_allclose(x.grad, [0, 1, 0, 1])


def test_concatenate_then_split_round_trip_gradients() -> None:
    a = gn.Tensor(np.ones((2, 2)), requires_grad=True)
    b = gn.Tensor(np.ones((3, 2)), requires_grad=True)
    joined = F.concatenate([a, b])
    (joined * gn.Tensor(np.arange(10.0).reshape(5, 2))).sum().backward()
    np.testing.assert_allclose(a.grad, [[0, 1], [2, 3]])
    np.testing.assert_allclose(b.grad, [[4, 5], [6, 7], [8, 9]])


def test_flatten_squeeze_expand_dims_shapes() -> None:
    x = gn.Tensor(np.ones((2, 1, 3, 1)))
    assert x.flatten().shape == (6,)
    assert x.flatten(1).shape == (2, 3)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3, 1)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3, 1)
    assert x.transpose(3, 2, 1, 0).shape == (1, 3, 1, 2)
