"""Reduction edge cases: ties, stability, keepdims shapes, float32."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F


def test_max_ties_share_the_gradient_evenly_as_torch_amax() -> None:
    x = gn.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    F.max(x, axis=1).backward(np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_min_ties_share_the_gradient_over_all_axes() -> None:
    x = gn.Tensor([[1.0, 3.0], [1.0, 2.0]], requires_grad=True)
    F.min(x).backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0], [0.5, 0]])


def test_logsumexp_is_stable_at_1e4_in_float32() -> None:
    x = gn.Tensor(np.array([[1e4, 1e4], [-1e4, -1e4]], dtype=np.float32), requires_grad=True)
    y = F.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.data, [1e4 + np.log(2), -1e4 + np.log(2)], rtol=1e-6)
    y.backward(np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(x.grad, 0.5)
    assert y.dtype == np.float32


def test_logsumexp_of_all_minus_infinity_is_minus_infinity() -> None:
    y = F.logsumexp(gn.Tensor(np.full((1, 3), -np.inf)), axis=1)
    assert y.data[0] == -np.inf


def test_keepdims_keeps_reduced_axes_as_size_one() -> None:
    x = gn.Tensor(np.ones((2, 3, 4)))
    for op in (F.sum, F.mean, F.max, F.min, F.var, F.logsumexp):
        assert op(x, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
        assert op(x, axis=-2).shape == (2, 4)


def test_tensor_methods_reach_the_reductions() -> None:
    x = gn.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum().item() == 10 and x.mean(axis=0).tolist() == [2.0, 3.0]
    assert x.max(axis=1).tolist() == [2.0, 4.0] and x.min().item() == 1.0
    assert x.var().item() == 1.25


def test_var_with_ddof_one_matches_numpy() -> None:
    data = np.random.default_rng(0).normal(size=(4, 5))
    np.testing.assert_allclose(F.var(gn.Tensor(data), axis=0, ddof=1).data, data.var(axis=0, ddof=1))
