"""Loss kernels beyond the table: exact limits at +-1e4, p = 0 and 1, the composed formulas as a
second oracle, dtypes, empty batches, and constant targets."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.ops import losses

from ..oracle import from_torch, to_torch

F32 = np.float32


def _value_and_grad(
    loss: Callable[..., gn.Tensor], x: np.ndarray, *args: Any, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The loss and d(sum of the loss)/dx."""
    xt = gn.Tensor(x, requires_grad=True)
    out = loss(xt, *args, **options)
    out.backward(np.ones(out.shape, dtype=out.dtype))
    return out.data, xt.grad


# ----------------------------------------------------------------- stability at the extremes
def test_bce_with_logits_at_plus_minus_1e4_float32_equals_the_limits() -> None:
    z = np.array([1e4, -1e4, 1e4, -1e4, 1e4, -1e4], dtype=F32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.3], dtype=F32)
    loss, grad = _value_and_grad(F.binary_cross_entropy_with_logits, z, t, reduction="none")
    # Limits: l -> max(z, 0) - z t, dl/dz -> [z > 0] - t.
    np.testing.assert_array_equal(loss, np.array([0, 0, 1e4, 1e4, 7e3, 3e3], dtype=F32))
    np.testing.assert_allclose(grad, [0, 0, 1, -1, 0.7, -0.3], rtol=1e-6)
    assert loss.dtype == F32 and grad.dtype == F32


def test_bce_with_logits_pos_weight_at_the_extremes_equals_the_limits() -> None:
    z = np.array([-1e4, 1e4, -1e4], dtype=F32)
    t = np.array([1.0, 0.0, 0.0], dtype=F32)
    loss, grad = _value_and_grad(
        F.binary_cross_entropy_with_logits,
        z,
        t,
        reduction="none",
        pos_weight=np.array(3.0, dtype=F32),
    )
    # A missed positive costs w |z|; negatives are unweighted.
    np.testing.assert_array_equal(loss, np.array([3e4, 1e4, 0], dtype=F32))
    np.testing.assert_array_equal(grad, np.array([-3, 1, 0], dtype=F32))


def test_bce_with_logits_mean_at_the_extremes_is_finite_in_float32() -> None:
    z = np.array([[1e4], [-1e4], [3e38], [-3e38]], dtype=F32)
    t = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=F32)
    loss, grad = _value_and_grad(F.binary_cross_entropy_with_logits, z, t)
    assert loss == pytest.approx(5e3)
    np.testing.assert_allclose(grad.ravel(), [0.25, -0.25, 0, 0])


def test_cross_entropy_at_plus_minus_1e4_float32_equals_the_limits() -> None:
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [0.0, 0.0, 1e4]], dtype=F32)
    labels = np.array([1, 0, 2])
    loss, grad = _value_and_grad(F.cross_entropy, z, labels, reduction="none")
    # Limits: l -> max(z) - z_label, dl/dz -> onehot(argmax) - onehot(label).
    np.testing.assert_array_equal(loss, np.array([2e4, 0, 0], dtype=F32))
    np.testing.assert_array_equal(grad, np.array([[1, -1, 0], [0, 0, 0], [0, 0, 0]], dtype=F32))
    assert loss.dtype == F32 and grad.dtype == F32


def test_cross_entropy_with_probability_targets_at_1e4_equals_the_limits() -> None:
    z = np.array([[1e4, -1e4]], dtype=F32)
    target = np.array([[0.25, 0.75]], dtype=F32)
    loss, grad = _value_and_grad(F.cross_entropy, z, target)
    assert loss == pytest.approx(0.75 * 2e4)
    np.testing.assert_allclose(grad, [[0.75, -0.75]])


# ----------------------------------------------------------------- BCE on probabilities
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_at_exactly_zero_and_one_is_clamped_at_100_without_warnings(dtype) -> None:
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    loss, grad = _value_and_grad(F.binary_cross_entropy, p, t, reduction="none")
    np.testing.assert_array_equal(np.abs(loss), [0.0, 0.0, 100.0, 100.0])
    # torch's gradient: (p - t) / max(p (1 - p), 1e-12).
    np.testing.assert_allclose(grad, [0.0, 0.0, -1e12, 1e12], rtol=1e-6)
    assert loss.dtype == dtype and grad.dtype == dtype


def test_bce_at_zero_and_one_matches_torch(torch) -> None:
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-16])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    loss, grad = _value_and_grad(F.binary_cross_entropy, p, t, reduction="none")
    pt = to_torch(p, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy(pt, to_torch(t), reduction="none")
    theirs.sum().backward()
    np.testing.assert_allclose(np.abs(loss), np.abs(from_torch(theirs)), rtol=1e-12)
    # torch's floor 1e-12 is a C float, 4e-9 larger relatively than ours: same to 1e-8.
    np.testing.assert_allclose(grad, from_torch(pt.grad), rtol=1e-8)


# ----------------------------------------------------------------- the composed formulas
def _composed_cases(rng: np.random.Generator) -> list[tuple[str, Callable, Callable, list]]:
    """(name, fused call, composed call from other glassnet ops, arrays) on moderate inputs."""
    z = rng.normal(size=(6, 2))
    t = (rng.random((6, 2)) > 0.5).astype(float)
    soft = rng.random((6, 2))
    p = rng.uniform(0.05, 0.95, (6, 2))
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, 5)
    one_hot = np.eye(4)[labels]
    smoothed = 0.8 * one_hot + 0.2 / 4
    x, y = rng.normal(size=(7,)), rng.normal(size=(7,))

    def naive_bce(q: gn.Tensor, target: np.ndarray) -> gn.Tensor:
        return -(target * F.log(q) + (1 - target) * F.log(1 - q)).mean()

    def naive_huber(a: gn.Tensor) -> gn.Tensor:
        d = a - y
        return F.where(np.abs(d.data) <= 0.5, 0.5 * d * d, 0.5 * (F.abs(d) - 0.25)).sum()

    return [
        (
            "bce_with_logits",
            lambda a: F.binary_cross_entropy_with_logits(a, t),
            lambda a: naive_bce(F.sigmoid(a), t),
            [z],
        ),
        (
            "bce_with_logits-soft",
            lambda a: F.binary_cross_entropy_with_logits(a, soft),
            lambda a: naive_bce(F.sigmoid(a), soft),
            [z],
        ),
        (
            "bce_with_logits-pos_weight",
            lambda a: F.binary_cross_entropy_with_logits(a, soft, pos_weight=np.array([2.0, 0.5])),
            lambda a: (
                -(
                    np.array([2.0, 0.5]) * soft * F.log(F.sigmoid(a))
                    + (1 - soft) * F.log(1 - F.sigmoid(a))
                ).mean()
            ),
            [z],
        ),
        (
            "bce",
            lambda a: F.binary_cross_entropy(a, t, reduction="sum"),
            lambda a: naive_bce(a, t) * a.size,
            [p],
        ),
        (
            "cross_entropy-classes",
            lambda a: F.cross_entropy(a, labels),
            lambda a: -(one_hot * F.log_softmax(a, axis=1)).sum(axis=1).mean(),
            [logits],
        ),
        (
            "cross_entropy-smoothing",
            lambda a: F.cross_entropy(a, labels, label_smoothing=0.2),
            lambda a: -(smoothed * F.log_softmax(a, axis=1)).sum(axis=1).mean(),
            [logits],
        ),
        (
            "cross_entropy-probabilities",
            lambda a: F.cross_entropy(a, smoothed, reduction="none"),
            lambda a: -(smoothed * F.log(F.softmax(a, axis=1))).sum(axis=1),
            [logits],
        ),
        ("mse", lambda a: F.mse_loss(a, y), lambda a: ((a - y) ** 2).mean(), [x]),
        ("l1", lambda a: F.l1_loss(a, y, reduction="sum"), lambda a: F.abs(a - y).sum(), [x]),
        ("huber", lambda a: F.huber_loss(a, y, reduction="sum", delta=0.5), naive_huber, [x]),
    ]


@pytest.mark.parametrize("index", range(10))
def test_fused_loss_equals_the_composed_formula_in_value_and_gradient(index: int) -> None:
    name, fused, composed, (x,) = _composed_cases(np.random.default_rng(7))[index]
    ours, ours_grad = _value_and_grad(fused, x)
    naive, naive_grad = _value_and_grad(composed, x)
    np.testing.assert_allclose(ours, naive, rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours_grad, naive_grad, rtol=1e-9, atol=1e-12, err_msg=name)


def test_fused_bce_with_logits_equals_plain_numpy_formula(rng) -> None:
    z = rng.normal(size=(50, 1))
    t = (rng.random((50, 1)) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    naive = np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))
    assert F.binary_cross_entropy_with_logits(gn.Tensor(z), t).item() == pytest.approx(naive)


def test_cross_entropy_label_smoothing_of_unnormalised_targets_matches_torch(torch) -> None:
    z = np.random.default_rng(3).normal(size=(3, 4))
    target = 2.0 * np.eye(4)[[0, 2, 3]]
    loss, grad = _value_and_grad(F.cross_entropy, z, target, label_smoothing=0.3)
    zt = to_torch(z, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(zt, to_torch(target), label_smoothing=0.3)
    theirs.backward()
    np.testing.assert_allclose(loss, from_torch(theirs), rtol=1e-12)
    np.testing.assert_allclose(grad, from_torch(zt.grad), rtol=1e-10)


# ----------------------------------------------------------------- kinks, as torch
def test_l1_gradient_is_zero_where_prediction_equals_target() -> None:
    _, grad = _value_and_grad(
        F.l1_loss, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0]), reduction="sum"
    )
    np.testing.assert_array_equal(grad, [0.0, 1.0, -1.0])


def test_huber_gradient_at_exactly_delta_is_delta() -> None:
    _, grad = _value_and_grad(
        F.huber_loss, np.array([0.5, -0.5, 0.0]), np.zeros(3), reduction="sum", delta=0.5
    )
    np.testing.assert_array_equal(grad, [0.5, -0.5, 0.0])


# ----------------------------------------------------------------- dtypes and reductions
ELEMENTWISE = [
    F.binary_cross_entropy_with_logits,
    F.binary_cross_entropy,
    F.mse_loss,
    F.l1_loss,
    F.huber_loss,
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_float32_stays_float32_with_a_float64_target(loss, reduction: str) -> None:
    x = np.array([[0.3], [0.6], [0.9]], dtype=F32)
    t = np.array([[0.0], [1.0], [1.0]])  # float64 must not upcast the loss or its gradient
    out, grad = _value_and_grad(loss, x, t, reduction=reduction)
    assert out.dtype == F32 and grad.dtype == F32


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_float32_stays_float32(reduction: str) -> None:
    z = np.zeros((2, 3), dtype=F32)
    for target in (np.array([0, 2]), np.eye(3)[[0, 2]], np.array([0, 2], dtype=np.uint8)):
        out, grad = _value_and_grad(
            F.cross_entropy, z, target, reduction=reduction, label_smoothing=0.1
        )
        assert out.dtype == F32 and grad.dtype == F32


def test_pos_weight_in_float64_keeps_float32() -> None:
    z = np.zeros((2, 3), dtype=F32)
    out, grad = _value_and_grad(
        F.binary_cross_entropy_with_logits, z, np.ones((2, 3)), pos_weight=np.array([1.0, 2.0, 3.0])
    )
    assert out.dtype == F32 and grad.dtype == F32


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_reductions_agree_with_each_other(loss, rng) -> None:
    x, t = rng.uniform(0.1, 0.9, (4, 3)), rng.random((4, 3))
    none = loss(gn.Tensor(x), t, reduction="none").data
    assert none.shape == (4, 3)
    assert loss(gn.Tensor(x), t, reduction="sum").item() == pytest.approx(none.sum())
    assert loss(gn.Tensor(x), t).item() == pytest.approx(none.mean())


def test_cross_entropy_without_reduction_gives_one_loss_per_sample() -> None:
    out = F.cross_entropy(gn.Tensor(np.zeros((4, 3))), np.array([0, 1, 2, 0]), reduction="none")
    np.testing.assert_allclose(out.data, np.full(4, np.log(3)))


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_empty_batch_sums_to_zero_and_averages_to_nan(loss) -> None:
    x = gn.Tensor(np.zeros((0, 1)), requires_grad=True)
    total = loss(x, np.zeros((0, 1)), reduction="sum")
    total.backward()
    assert total.item() == 0.0 and x.grad.shape == (0, 1)
    assert np.isnan(loss(x, np.zeros((0, 1))).item())  # as torch; and no warning


def test_cross_entropy_of_empty_batch() -> None:
    z = gn.Tensor(np.zeros((0, 3)), requires_grad=True)
    total = F.cross_entropy(z, np.zeros(0, dtype=np.int64), reduction="sum")
    total.backward()
    assert total.item() == 0.0 and z.grad.shape == (0, 3)
    assert np.isnan(F.cross_entropy(z, np.zeros(0, dtype=np.int64)).item())


# ----------------------------------------------------------------- the target is a constant
@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_target_never_receives_a_gradient(loss) -> None:
    x = gn.Tensor(np.full(3, 0.4), requires_grad=True)
    t = gn.Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    loss(x, t).backward()
    assert t.grad is None and x.grad is not None


def test_cross_entropy_probability_target_never_receives_a_gradient() -> None:
    z = gn.Tensor(np.zeros((2, 3)), requires_grad=True)
    target = gn.Tensor(np.eye(3)[[0, 1]], requires_grad=True)
    F.cross_entropy(z, target).backward()
    assert target.grad is None and z.grad is not None


def test_cross_entropy_accepts_integer_tensor_labels() -> None:
    z = gn.Tensor(np.zeros((2, 3)))
    assert F.cross_entropy(z, gn.Tensor([0, 2])).item() == pytest.approx(np.log(3))


# ----------------------------------------------------------------- documentation form
@pytest.mark.parametrize(
    "op",
    [losses.BCEWithLogits, losses.BCE, losses.CrossEntropy, losses.MSE, losses.L1, losses.Huber],
    ids=lambda c: c.__name__,
)
def test_every_loss_documents_forward_backward_and_shapes(op) -> None:
    for field in ("forward", "backward", "shapes"):
        assert re.search(rf"^\s+{field}: +\S", op.__doc__, re.MULTILINE), f"{op.__name__}: {field}"
