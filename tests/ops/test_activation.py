"""Activation edge cases the op table cannot express: extremes, kinks, non-finite inputs, dtypes.

pytest turns warnings into errors, so every test here also checks that no overflow or invalid-value
warning is raised.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.ops.activation import GELU, SELU_ALPHA, SELU_SCALE

EXTREMES = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4], dtype=np.float32)

ELEMENTWISE = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "gelu-tanh": lambda x: F.gelu(x, approximate="tanh"),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softplus": F.softplus,
    "softplus-beta": lambda x: F.softplus(x, beta=3.0, threshold=5.0),
}
ALONG_AXIS = {"softmax": F.softmax, "log_softmax": F.log_softmax}
ALL = {**ELEMENTWISE, **ALONG_AXIS}


def _value_and_grad(fn, x: np.ndarray, upstream: np.ndarray | None = None):
    t = gn.Tensor(x, requires_grad=True)
    y = fn(t)
    y.backward(np.ones(y.shape, dtype=y.dtype) if upstream is None else upstream)
    return y.data, t.grad


@pytest.mark.parametrize("name", list(ALL))
def test_finite_values_and_gradients_at_extremes_in_float32(name: str) -> None:
    y, grad = _value_and_grad(ALL[name], EXTREMES.reshape(1, -1))
    assert y.dtype == np.float32 and grad.dtype == np.float32
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_values_stay_finite_up_to_the_float32_limit(name: str) -> None:
    # 3e38 * selu's scale is still below float32's maximum of 3.4e38.
    x = np.array([-3e38, -1e20, -1e10, 1e10, 1e20, 3e38], dtype=np.float32)
    y, grad = _value_and_grad(ELEMENTWISE[name], x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


def test_exact_limits_at_plus_minus_1e4() -> None:
    x = np.array([-1e4, 1e4], dtype=np.float32)
    expected = {
        "relu": ([0.0, 1e4], [0.0, 1.0]),
        "elu": ([-1.0, 1e4], [0.0, 1.0]),
        "selu": ([-SELU_ALPHA * SELU_SCALE, SELU_SCALE * 1e4], [0.0, SELU_SCALE]),
        "gelu": ([0.0, 1e4], [0.0, 1.0]),
        "gelu-tanh": ([0.0, 1e4], [0.0, 1.0]),
        "sigmoid": ([0.0, 1.0], [0.0, 0.0]),
        "tanh": ([-1.0, 1.0], [0.0, 0.0]),
        "softplus": ([0.0, 1e4], [0.0, 1.0]),
    }
    for name, (value, slope) in expected.items():
        y, grad = _value_and_grad(ELEMENTWISE[name], x)
        np.testing.assert_allclose(y, np.array(value, dtype=np.float32), rtol=1e-7, err_msg=name)
        np.testing.assert_allclose(grad, np.array(slope, dtype=np.float32), rtol=1e-7, err_msg=name)


def test_sigmoid_is_exact_at_the_limits() -> None:
    y = F.sigmoid(gn.Tensor(EXTREMES))
    assert y.data[0] == 0.0 and y.data[-1] == 1.0 and y.data[3] == 0.5


def test_sigmoid_left_tail_keeps_relative_accuracy() -> None:
    # 1 - 1/(1 + exp(-x)) would round to 0 here; exp(x)/(1 + exp(x)) does not.
    x = np.array([-40.0, -100.0, -700.0])
    expected = np.exp(x) / (1 + np.exp(x))
    np.testing.assert_allclose(F.sigmoid(gn.Tensor(x)).data, expected, rtol=1e-15)


def test_softmax_of_huge_logits_is_one_hot_and_log_softmax_is_finite() -> None:
    x = gn.Tensor([[1e4, 0.0, -1e4]])
    np.testing.assert_array_equal(F.softmax(x).data, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x).data, [[0.0, -1e4, -2e4]])


def test_softmax_across_the_whole_float32_range_has_no_overflow_warning() -> None:
    x = np.array([[-3e38, 0.0, 3e38]], dtype=np.float32)
    np.testing.assert_array_equal(F.softmax(gn.Tensor(x)).data, [[0.0, 0.0, 1.0]])
    assert F.log_softmax(gn.Tensor(x)).data[0, 2] == 0.0


def test_softplus_is_linear_above_threshold_and_matches_log1p_exp_below() -> None:
    x = np.array([-30.0, -1.0, 0.0, 5.0, 19.9, 20.0, 20.1, 25.0])
    y, grad = _value_and_grad(F.softplus, x)
    smooth = np.log1p(np.exp(x))
    np.testing.assert_allclose(y, np.where(x > 20, x, smooth), rtol=1e-15)
    np.testing.assert_allclose(grad, np.where(x > 20, 1.0, 1 / (1 + np.exp(-x))), rtol=1e-15)
    assert grad[-1] == 1.0 and grad[-2] == 1.0 and grad[-3] < 1.0  # at 20 itself: still smooth


def test_softplus_threshold_applies_to_beta_times_x() -> None:
    x = np.array([1.0, 1.6, -4.0])
    y, grad = _value_and_grad(lambda t: F.softplus(t, beta=2.0, threshold=3.0), x)
    np.testing.assert_allclose(y, [np.log1p(np.exp(2.0)) / 2, 1.6, np.log1p(np.exp(-8.0)) / 2])
    np.testing.assert_allclose(grad, [1 / (1 + np.exp(-2.0)), 1.0, 1 / (1 + np.exp(8.0))])


def test_softplus_with_an_overflowing_beta_x_returns_x_like_torch() -> None:
    x = np.array([-3e38, 3e38], dtype=np.float32)
    y, grad = _value_and_grad(lambda t: F.softplus(t, beta=4.0), x)
    np.testing.assert_array_equal(y, [0.0, x[1]])
    np.testing.assert_array_equal(grad, [0.0, 1.0])


@pytest.mark.parametrize(
    "fn, expected",
    [
        (F.relu, 0.0),
        (lambda x: F.leaky_relu(x, negative_slope=0.2), 0.2),
        (lambda x: F.elu(x, alpha=0.5), 0.5),
        (F.selu, SELU_ALPHA * SELU_SCALE),
    ],
    ids=["relu", "leaky_relu", "elu", "selu"],
)
def test_gradient_at_the_kink_is_torchs(fn, expected: float) -> None:
    # torch: relu' = 0, leaky_relu' = slope, elu' = alpha (times scale for selu) at x = 0.
    y, grad = _value_and_grad(fn, np.array([0.0]))
    assert y[0] == 0.0
    assert grad[0] == pytest.approx(expected, rel=1e-15)


def test_nan_inputs_give_nan_values_and_torchs_gradients() -> None:
    x = np.array([np.nan])
    expected_grads = {"relu": 1.0, "leaky_relu": 0.01, "elu": 1.0, "selu": SELU_SCALE}
    for name, expected in expected_grads.items():
        y, grad = _value_and_grad(ELEMENTWISE[name], x)
        assert np.isnan(y[0]), name
        assert grad[0] == pytest.approx(expected), name
    for name in ("gelu", "gelu-tanh", "sigmoid", "tanh", "softplus"):
        y, grad = _value_and_grad(ELEMENTWISE[name], x)
        assert np.isnan(y[0]) and np.isnan(grad[0]), name


def test_selu_is_scaled_elu_with_torchs_constants() -> None:
    assert SELU_ALPHA == 1.6732632423543772 and SELU_SCALE == 1.0507009873554805
    x = gn.Tensor(np.linspace(-5, 5, 41))
    expected = SELU_SCALE * F.elu(x, alpha=SELU_ALPHA).data
    np.testing.assert_allclose(F.selu(x).data, expected, rtol=1e-15)


def test_elu_gradient_keeps_relative_accuracy_for_very_negative_inputs() -> None:
    # From the output, alpha * exp(x) = y + alpha would cancel to rounding noise here.
    x = np.array([-30.0, -50.0])
    _, grad = _value_and_grad(F.elu, x)
    np.testing.assert_allclose(grad, np.exp(x), rtol=1e-14)


def test_gelu_matches_its_definition_with_math_erfc() -> None:
    x = np.linspace(-6, 6, 241)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    pdf = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    y, grad = _value_and_grad(F.gelu, x)
    # Relative 1e-12: for -2.8 < x < 0, erfc = 1 - erf keeps 1e-16 absolute, not relative, digits.
    np.testing.assert_allclose(y, x * cdf, rtol=1e-12)
    np.testing.assert_allclose(grad, cdf + x * pdf, rtol=1e-12, atol=1e-16)


def test_gelu_equals_torchs_composed_form_where_it_does_not_cancel() -> None:
    x = np.linspace(-2, 6, 161)
    expected = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(gn.Tensor(x)).data, expected, rtol=1e-13)


def test_gelu_left_tail_keeps_relative_accuracy() -> None:
    # 1 + erf(x / sqrt 2) is exactly 0 from x = -8.3 on; the erfc form keeps the digits.
    x = np.array([-6.0, -10.0, -20.0])
    expected = x * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    y = F.gelu(gn.Tensor(x)).data
    assert np.all(y < 0)
    np.testing.assert_allclose(y, expected, rtol=1e-14)


def test_gelu_tanh_form_saturates_exactly() -> None:
    x = np.array([-1e30, -50.0, 50.0, 1e30])
    y, grad = _value_and_grad(lambda t: F.gelu(t, approximate="tanh"), x)
    np.testing.assert_array_equal(y, [-0.0, -0.0, 50.0, 1e30])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0, 1.0])


def test_gelu_rejects_unknown_approximation_also_when_built_directly() -> None:
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        GELU(approximate="erf")
    with pytest.raises(ValueError, match="got None"):
        F.gelu(gn.Tensor([1.0]), approximate=None)


def test_relu_gradient_at_zero_is_zero_as_torch() -> None:
    _, grad = _value_and_grad(F.relu, np.array([-0.0, 0.0], dtype=np.float32))
    np.testing.assert_array_equal(grad, [0.0, 0.0])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_relu_blocks_a_non_finite_upstream_gradient_where_it_is_off_as_torch(bad: float) -> None:
    # torch's threshold_backward: exactly 0 where x <= 0 whatever dy is (not 0 * inf = NaN).
    x = gn.Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    F.relu(x).backward(np.array([bad, bad, 3.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 3.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_gradient_zeros_are_positive_zeros_as_torch(dtype) -> None:
    # The mask is applied to dy's bits, so an off unit gives +0.0 even where dy < 0 (a multiply by
    # 0 would give -0.0) and whatever dy holds there; on units keep dy's exact bits (NaN, -0.0).
    x = gn.Tensor(np.array([-1.0, 0.0, np.nan, 2.0, 3.0], dtype=dtype), requires_grad=True)
    F.relu(x).backward(np.array([-5.0, -np.inf, -2.0, -0.0, np.nan], dtype=dtype))
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, -2.0, -0.0, np.nan])
    np.testing.assert_array_equal(np.signbit(x.grad), [False, False, True, True, False])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax"])
def test_sigmoid_tanh_and_softmax_save_their_output(name: str) -> None:
    y = ALL[name](gn.Tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True))
    (saved,) = y.creator.saved
    assert np.shares_memory(saved, y.data)


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("option", [np.float64(0.5), np.float32(0.5)], ids=["float64", "float32"])
def test_float32_stays_float32_with_numpy_scalar_options(name: str, option) -> None:
    with_options = {
        "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=option),
        "elu": lambda x: F.elu(x, alpha=option),
        "softplus": lambda x: F.softplus(x, beta=option, threshold=option * 10),
    }
    fn = with_options.get(name, ALL[name])
    y, grad = _value_and_grad(fn, np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4))
    assert y.dtype == np.float32 and grad.dtype == np.float32


def test_float64_stays_float64() -> None:
    for name, fn in ALL.items():
        y, grad = _value_and_grad(fn, np.linspace(-3, 3, 12).reshape(3, 4))
        assert y.dtype == np.float64 and grad.dtype == np.float64, name


@pytest.mark.parametrize("name", list(ALL))
def test_zero_upstream_gradient_gives_zero_gradient(name: str) -> None:
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    _, grad = _value_and_grad(ALL[name], x, upstream=np.zeros((3, 4)))
    np.testing.assert_array_equal(grad, np.zeros((3, 4)))


def test_softmax_rows_sum_to_one_along_the_chosen_axis() -> None:
    x = gn.Tensor(np.random.default_rng(0).normal(size=(2, 3, 4)))
    for axis in (0, 1, 2, -1, -2, -3):
        np.testing.assert_allclose(F.softmax(x, axis=axis).data.sum(axis=axis), 1.0)


def test_softmax_and_log_softmax_agree_with_composed_forms() -> None:
    x = np.random.default_rng(1).normal(size=(3, 4, 5)) * 3
    for axis in (0, 1, 2):
        e = np.exp(x)
        expected = e / e.sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(F.softmax(gn.Tensor(x), axis=axis).data, expected, rtol=1e-13)
        np.testing.assert_allclose(
            F.log_softmax(gn.Tensor(x), axis=axis).data, np.log(expected), rtol=1e-13, atol=1e-14
        )


def test_log_softmax_gradient_is_dy_minus_softmax_times_sum_of_dy() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    dy = rng.normal(size=(3, 4))
    for axis in (0, 1):
        _, grad = _value_and_grad(lambda t, axis=axis: F.log_softmax(t, axis=axis), x, upstream=dy)
        softmax = F.softmax(gn.Tensor(x), axis=axis).data
        expected = dy - softmax * dy.sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(grad, expected, rtol=1e-12)


@pytest.mark.parametrize("name, value", [("softmax", 1.0), ("log_softmax", 0.0)])
def test_softmax_of_a_scalar_is_one_value_along_axis_0_as_torch(name: str, value: float) -> None:
    for axis in (0, -1):
        y, grad = _value_and_grad(lambda t, axis=axis: ALL[name](t, axis=axis), np.array(3.0))
        assert y.shape == () and grad.shape == ()
        assert y == value and grad == 0.0


@pytest.mark.parametrize("name", list(ALONG_AXIS))
def test_empty_axis_gives_an_empty_result_and_gradient(name: str) -> None:
    for shape, axis in [((3, 0), -1), ((0, 3), 0), ((2, 0, 4), 1), ((0, 3), -1)]:
        y, grad = _value_and_grad(lambda t, axis=axis: ALL[name](t, axis=axis), np.ones(shape))
        assert y.shape == shape and grad.shape == shape


def test_non_finite_slices_give_nan_there_only_as_torch() -> None:
    # Rows: all -inf, one +inf, a NaN (all NaN, as torch); one -inf among finite values; finite.
    x = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [np.nan, 0.0], [0.0, -np.inf], [1.0, 2.0]])
    softmax = F.softmax(gn.Tensor(x)).data
    log_softmax = F.log_softmax(gn.Tensor(x)).data
    assert np.isnan(softmax[:3]).all() and np.isnan(log_softmax[:3]).all()
    np.testing.assert_array_equal(softmax[3], [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax[3], [0.0, -np.inf])
    np.testing.assert_allclose(softmax[4], [1 / (1 + math.e), 1 / (1 + 1 / math.e)])


def test_softmax_ties_share_probability_equally() -> None:
    y = F.softmax(gn.Tensor([[5.0, 5.0, 5.0, 5.0]])).data
    np.testing.assert_array_equal(y, [[0.25, 0.25, 0.25, 0.25]])


def test_softmax_accepts_lists_and_numpy_integer_axes() -> None:
    np.testing.assert_allclose(F.softmax([[0.0, 0.0]], axis=np.int64(1)).data, [[0.5, 0.5]])
    np.testing.assert_allclose(
        F.log_softmax(np.zeros((2, 2)), axis=np.int32(0)).data, np.full((2, 2), -math.log(2))
    )


def test_tensor_methods_call_the_functional_ops() -> None:
    x = gn.Tensor(np.random.default_rng(3).normal(size=(2, 3)))
    np.testing.assert_array_equal(x.relu().data, F.relu(x).data)
    np.testing.assert_array_equal(x.sigmoid().data, F.sigmoid(x).data)
    np.testing.assert_array_equal(x.tanh().data, F.tanh(x).data)
    np.testing.assert_array_equal(x.softmax(axis=0).data, F.softmax(x, axis=0).data)
    np.testing.assert_array_equal(x.log_softmax().data, F.log_softmax(x, axis=-1).data)
