"""Element-wise math edge cases: subgradients at kinks and ties, where with masks, dtypes."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F


def test_maximum_and_minimum_split_ties_half_and_half_as_torch() -> None:
    a = gn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = gn.Tensor([1.0, 5.0, 0.0], requires_grad=True)
    F.maximum(a, b).backward(np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 1.0, 0.0])
    a.zero_grad(), b.zero_grad()
    F.minimum(a, b).backward(np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(a.grad, [0.5, 1.0, 0.0])


def test_abs_and_clip_subgradients_follow_torch() -> None:
    x = gn.Tensor([0.0, -1.0, 1.0], requires_grad=True)
    F.abs(x).backward(np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [0.0, -1.0, 1.0])
    x.zero_grad()
    F.clip(x, -1.0, 0.5).backward(np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 0.0])  # bounds inclusive


def test_where_takes_bool_tensor_masks_and_routes_gradients() -> None:
    x = gn.Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = F.where(x > 0, x, x * 0.1)
    np.testing.assert_allclose(y.data, [-0.1, 2.0, -0.3], rtol=1e-6)
    y.backward(np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [0.1, 1.0, 0.1], rtol=1e-6)


def test_unary_ops_keep_float32() -> None:
    x = gn.Tensor(np.full(3, 0.5, dtype=np.float32), requires_grad=True)
    for op in (F.exp, F.log, F.sqrt, F.abs, lambda t: F.clip(t, 0.0, 1.0)):
        y = op(x)
        y.backward(np.ones(3, dtype=np.float32))
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        x.zero_grad()
