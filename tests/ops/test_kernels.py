"""Every named kernel in glassnet.ops against the plain NumPy form it stands for.

Each op's docstring states its math, and the op's plain form (a function beside the kernel, or
the expression in the kernel's docstring) computes exactly that; the kernel is the faster form the
op runs. A row below says which inputs to try and whether the kernel must give the same bits
(where the op relies on them: relu's gradient, linear_relu against relu of linear), the same
values (a zero may change sign) or the same values to rounding (where BLAS may sum in another
order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from glassnet.ops import activation, linalg, losses

SHAPES = [(1, 1), (3, 4), (5000, 2), (64, 37), (0, 3)]


@dataclass(frozen=True)
class KernelCase:
    name: str
    kernel: Callable[..., Any]
    plain: Callable[..., Any]
    make: Callable[[np.random.Generator, tuple[int, int], np.dtype], tuple[Any, ...]]
    match: str  # "bits", "values" (exactly equal, +0 == -0) or "close" (to rounding)


def _relu_inputs(rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype) -> tuple:
    y = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    if dy.size:
        # Non-finite and negative upstream values where the unit is off must still give +0.
        dy.flat[:: max(1, dy.size // 5)] = np.inf
        dy.flat[1 :: max(1, dy.size // 7)] = np.nan
        y.flat[2 :: max(1, y.size // 3)] = np.nan  # a NaN input passes dy, as torch
    return dy, activation.relu_mask(y)


def _linear_inputs(rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype) -> tuple:
    n, features = shape
    x = rng.standard_normal((n, features)).astype(dtype)
    weight = rng.standard_normal((7, features)).astype(dtype)
    return x, weight, rng.standard_normal(7).astype(dtype)


def _linear_backward_inputs(
    rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype
) -> tuple:
    x, weight, _ = _linear_inputs(rng, shape, dtype)
    dy = rng.standard_normal((shape[0], 7)).astype(dtype)
    return dy, x, weight, (True, True, True)


def _pre_activation(rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype) -> tuple:
    y = rng.standard_normal(shape).astype(dtype)
    if y.size:
        y.flat[0] = 0.0
        y.flat[-1] = np.nan
    return (y,)


def _cross_entropy_inputs(
    rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype
) -> tuple:
    n, classes = shape
    z = (rng.standard_normal((n, classes)) * 30).astype(dtype)
    shifted = z - z.max(axis=1, keepdims=True, initial=-np.inf)
    log_total = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = rng.integers(0, classes, size=n)
    return shifted, log_total, np.arange(n), labels


def _plain_picked_class_losses(shifted, log_total, rows, labels) -> np.ndarray:
    onehot = np.zeros_like(shifted)
    onehot[rows, labels] = 1
    return losses.cross_entropy_losses(shifted - log_total, onehot)


def _labels_inputs(rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype) -> tuple:
    n, classes = max(shape[0], 1), shape[1]  # the op checks labels only when there are some
    low = -2 if n % 2 else 0  # some draws hold negative labels, some only labels up to classes
    return rng.integers(low, classes + 1, size=n).astype(np.int8 if n < 10 else np.int64), classes


CASES = [
    KernelCase(
        "relu_backward",
        activation.relu_backward_kernel,
        activation.relu_backward,
        _relu_inputs,
        match="bits",
    ),
    KernelCase(
        "linear_forward",
        linalg.linear_forward_kernel,
        linalg.linear_forward,
        _linear_inputs,
        match="close",
    ),
    KernelCase(
        "linear_backward",
        linalg.linear_backward_kernel,
        linalg.linear_backward,
        _linear_backward_inputs,
        match="close",
    ),
    KernelCase(
        "linear_relu",
        lambda y: linalg.linear_relu_kernel(y.copy()),
        lambda y: np.maximum(y, 0),
        _pre_activation,
        match="bits",
    ),
    KernelCase(
        "picked_class_losses",
        losses._picked_class_losses_kernel,
        _plain_picked_class_losses,
        _cross_entropy_inputs,
        match="values",
    ),
    KernelCase(
        "labels_out_of_range",
        losses._labels_out_of_range_kernel,
        losses._labels_out_of_range,
        _labels_inputs,
        match="bits",
    ),
]


def _assert_same(got: Any, want: Any, match: str, name: str) -> None:
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), name
        for g, w in zip(got, want, strict=True):
            _assert_same(g, w, match, name)
        return
    if not isinstance(want, np.ndarray):
        assert got == want, name
        return
    assert got.shape == want.shape and got.dtype == want.dtype, name
    if match == "bits":
        assert got.tobytes() == want.tobytes(), f"{name}: the bits differ"
    elif match == "values":
        np.testing.assert_array_equal(got, want, err_msg=name)
    else:
        tolerance = 1e-5 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_kernel_equals_its_plain_form(case: KernelCase, shape: tuple[int, int], dtype) -> None:
    rng = np.random.default_rng(sum(shape))
    inputs = case.make(rng, shape, np.dtype(dtype))
    with np.errstate(invalid="ignore"):  # NaN rows in the inputs above
        _assert_same(case.kernel(*inputs), case.plain(*inputs), case.match, case.name)


def test_linear_backward_kernel_leaves_out_what_is_not_needed() -> None:
    rng = np.random.default_rng(0)
    dy, x, weight, _ = _linear_backward_inputs(rng, (4, 3), np.dtype(np.float64))
    for needs in [(True, False), (False, True, False), (False, False, True)]:
        got = linalg.linear_backward_kernel(dy, x, weight, needs)
        want = linalg.linear_backward(dy, x, weight, needs)
        assert [g is None for g in got] == [not n for n in needs]
        _assert_same(got, want, "close", str(needs))


def test_labels_kernel_checks_both_ends_when_classes_exceed_the_signed_range() -> None:
    # For 300 classes, -1 read as unsigned (255) would pass as a valid class: both ends are checked.
    assert losses._labels_out_of_range_kernel(np.array([0, -1], dtype=np.int8), 300)
    assert not losses._labels_out_of_range_kernel(np.array([0, 127], dtype=np.int8), 300)


def test_relu_backward_kernel_writes_a_new_array_and_keeps_dy() -> None:
    dy = np.array([[-1.0, 2.0]], dtype=np.float32)
    kept = dy.copy()
    out = activation.relu_backward_kernel(dy, np.array([[False, True]]))
    assert out is not dy and not np.shares_memory(out, dy)
    assert dy.tobytes() == kept.tobytes()
    assert np.signbit(out[0, 0]) == np.False_  # +0, not -0
