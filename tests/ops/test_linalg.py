"""linear and the fused linear_relu: what the op table cannot express (kinks, non-finite gradients,
the op Dense runs)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.ops.linalg import LinearReLU


def _grads(
    fn, x: np.ndarray, w: np.ndarray, b: np.ndarray, upstream: np.ndarray
) -> list[np.ndarray]:
    tensors = [gn.Tensor(a, requires_grad=True) for a in (x, w, b)]
    fn(*tensors).backward(upstream)
    return [t.grad for t in tensors]


def _unfused(x: gn.Tensor, w: gn.Tensor, b: gn.Tensor) -> gn.Tensor:
    return F.relu(F.linear(x, w, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_relu_equals_relu_of_linear_bit_for_bit(dtype) -> None:
    rng = np.random.default_rng(0)
    x, w, b = (rng.normal(size=s).astype(dtype) for s in ((7, 5), (4, 5), (4,)))
    upstream = rng.normal(size=(7, 4)).astype(dtype)
    np.testing.assert_array_equal(
        F.linear_relu(x, w, b).data, _unfused(gn.Tensor(x), gn.Tensor(w), gn.Tensor(b)).data
    )
    for fused, plain in zip(
        _grads(F.linear_relu, x, w, b, upstream), _grads(_unfused, x, w, b, upstream)
    ):
        assert fused.dtype == dtype
        np.testing.assert_array_equal(fused, plain)


def test_linear_relu_gradient_is_zero_at_a_zero_pre_activation_as_torch() -> None:
    x = np.array([[1.0, -1.0]])
    w = np.array([[1.0, 1.0], [2.0, 0.0]])  # pre-activations 0 and 2
    dx, dw, db = _grads(F.linear_relu, x, w, np.zeros(2), np.ones((1, 2)))
    np.testing.assert_array_equal(db, [0.0, 1.0])
    np.testing.assert_array_equal(dx, [[2.0, 0.0]])
    np.testing.assert_array_equal(dw, [[0.0, 0.0], [1.0, -1.0]])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("with_bias", [True, False])
def test_non_finite_upstream_gradient_where_relu_is_off_gives_zero_as_torch(
    bad: float, with_bias: bool
) -> None:
    # A fast multiply by the mask would give 0 * inf = NaN there; torch's threshold_backward gives 0.
    x = np.array([[1.0, 2.0], [-1.0, -2.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = np.zeros(2)
    upstream = np.array([[1.0, 1.0], [bad, bad]])  # the second row is off (pre-activations < 0)
    tensors = [gn.Tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.linear_relu(*tensors) if with_bias else F.linear_relu(*tensors[:2])
    out.backward(upstream)
    np.testing.assert_array_equal(tensors[0].grad, [[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(tensors[1].grad, [[1.0, 2.0], [1.0, 2.0]])
    if with_bias:
        np.testing.assert_array_equal(tensors[2].grad, [1.0, 1.0])


def test_non_finite_upstream_gradient_where_relu_is_on_passes_through() -> None:
    x, w, b = np.array([[1.0]]), np.array([[1.0]]), np.zeros(1)
    dx, dw, db = _grads(F.linear_relu, x, w, b, np.array([[np.inf]]))
    assert dx[0, 0] == np.inf and dw[0, 0] == np.inf and db[0] == np.inf


def test_dense_relu_runs_the_fused_op_with_the_same_gradients_as_dense_then_relu() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    fused = gn.Dense(4, activation="relu", input_shape=(3,), rng=0)
    split = gn.Dense(4, input_shape=(3,), rng=0)
    out = fused(gn.Tensor(x))
    assert isinstance(out.creator, LinearReLU)
    F.relu(split(gn.Tensor(x))).sum().backward()
    out.sum().backward()
    np.testing.assert_array_equal(fused.weight.grad, split.weight.grad)
    np.testing.assert_array_equal(fused.bias.grad, split.bias.grad)


def test_dense_relu_shape_error_names_the_layer_and_both_shapes() -> None:
    layer = gn.Dense(4, activation="relu", input_shape=(3,), name="hidden")
    with pytest.raises(
        gn.errors.ShapeError, match=r"hidden: expected input of shape \(batch, 3\), got \(2, 5\)"
    ):
        layer(gn.Tensor(np.ones((2, 5), dtype=np.float32)))


def test_dense_relu_subclass_with_its_own_pre_activation_is_respected() -> None:
    class Shifted(gn.Dense):
        def pre_activation(self, x):
            return super().pre_activation(x) + 100.0

    out = Shifted(2, activation="relu", input_shape=(3,))(
        gn.Tensor(np.zeros((1, 3), dtype=np.float32))
    )
    np.testing.assert_array_equal(out.data, [[100.0, 100.0]])


@pytest.mark.parametrize("size", [14, 15, 16, 33, 64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_matmuls_raise_no_floating_point_warning(size, dtype) -> None:
    # The reproducers of numpy#24067 (OpenBLAS 0.3.23 in NumPy 1.25.0/1.25.1) and numpy#28687/#29820
    # (Accelerate on macOS): BLAS kernels that leave a floating-point flag set on finite data, which
    # NumPy reports as a RuntimeWarning (an error in this suite). If this fails, the BLAS under NumPy
    # is one of those: see "Floating-point warnings from matmul" in docs/reliability.md.
    eye, zeros = np.eye(size, dtype=dtype), np.zeros((size, size), dtype=dtype)
    for a, b in ((eye, eye), (zeros, zeros.T)):
        left, right = gn.Tensor(a, requires_grad=True), gn.Tensor(b, requires_grad=True)
        out = F.matmul(left, right)
        out.backward(np.ones_like(a))
        np.testing.assert_array_equal(out.data, a @ b)
        assert np.isfinite(left.grad).all() and np.isfinite(right.grad).all()
    x = np.ones((size, size), dtype=dtype)
    np.testing.assert_array_equal(F.linear(x, eye, np.zeros(size, dtype=dtype)).data, x)
