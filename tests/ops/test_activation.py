"""Activation edge cases: stability at +-1e4 in float32, exact limits, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

EXTREMES = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4], dtype=np.float32)


@pytest.mark.parametrize("op", [F.relu, F.leaky_relu, F.elu, F.selu, F.gelu, F.sigmoid, F.tanh, F.softplus,
                                lambda x: F.gelu(x, approximate="tanh"), F.softmax, F.log_softmax],
                         ids=["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus",
                              "gelu-tanh", "softmax", "log_softmax"])
def test_finite_values_and_gradients_at_extremes_in_float32(op) -> None:
    x = gn.Tensor(EXTREMES.reshape(1, -1), requires_grad=True)
    y = op(x)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_sigmoid_is_exact_at_the_limits() -> None:
    y = F.sigmoid(gn.Tensor(EXTREMES))
    assert y.data[0] == 0.0 and y.data[-1] == 1.0 and y.data[3] == 0.5


def test_softmax_of_huge_logits_is_one_hot_and_log_softmax_is_finite() -> None:
    x = gn.Tensor([[1e4, 0.0, -1e4]])
    np.testing.assert_array_equal(F.softmax(x).data, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x).data, [[0.0, -1e4, -2e4]])


def test_softplus_is_linear_above_threshold_and_matches_log1p_exp_below() -> None:
    x = np.array([-30.0, -1.0, 0.0, 5.0, 25.0])
    np.testing.assert_allclose(F.softplus(gn.Tensor(x)).data, np.where(x > 20, x, np.log1p(np.exp(x))))


def test_relu_gradient_at_zero_is_zero_as_torch() -> None:
    x = gn.Tensor([0.0], requires_grad=True)
    F.relu(x).backward(np.ones(1, dtype=np.float32))
    assert x.grad[0] == 0.0


def test_softmax_rows_sum_to_one_along_the_chosen_axis() -> None:
    x = gn.Tensor(np.random.default_rng(0).normal(size=(2, 3, 4)))
    for axis in (0, 1, 2, -1):
        np.testing.assert_allclose(F.softmax(x, axis=axis).data.sum(axis=axis), 1.0)
