"""Loss kernels: stability at the extremes, the naive formula as a second oracle, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F


def test_bce_with_logits_is_finite_and_exact_at_extreme_logits_float32() -> None:
    z = gn.Tensor(np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=np.float32), requires_grad=True)
    t = gn.Tensor(np.array([[1.0], [0.0], [0.0], [1.0]], dtype=np.float32))
    loss = F.binary_cross_entropy_with_logits(z, t, reduction="none")
    np.testing.assert_allclose(loss.data.ravel(), [0.0, 0.0, 1e4, 1e4])
    loss.backward(np.ones((4, 1), dtype=np.float32))
    np.testing.assert_allclose(z.grad.ravel(), [0.0, 0.0, 1.0, -1.0])
    assert loss.dtype == np.float32 and z.grad.dtype == np.float32


def test_bce_on_probabilities_at_exactly_zero_and_one() -> None:
    p = gn.Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = gn.Tensor(np.array([0.0, 1.0, 1.0, 0.0]))
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 100.0, 100.0])
    loss.backward(np.ones(4))
    assert np.all(np.isfinite(p.grad))


def test_cross_entropy_is_finite_for_huge_logits() -> None:
    z = gn.Tensor(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(z, np.array([1]))
    loss.backward()
    assert loss.item() == pytest.approx(2e4) and np.all(np.isfinite(z.grad))


def _naive_bce(z: np.ndarray, t: np.ndarray) -> float:
    p = 1 / (1 + np.exp(-z))
    return float(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p)))


def _naive_cross_entropy(z: np.ndarray, labels: np.ndarray) -> float:
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def test_fused_losses_equal_the_naive_formulas_on_moderate_inputs(rng) -> None:
    z = rng.normal(size=(50, 1))
    t = (rng.random((50, 1)) > 0.5).astype(float)
    assert F.binary_cross_entropy_with_logits(gn.Tensor(z), gn.Tensor(t)).item() == pytest.approx(_naive_bce(z, t))
    logits = rng.normal(size=(20, 4))
    labels = rng.integers(0, 4, 20)
    assert F.cross_entropy(gn.Tensor(logits), labels).item() == pytest.approx(_naive_cross_entropy(logits, labels))


def test_composed_and_fused_bce_gradients_agree(rng) -> None:
    z = rng.normal(size=(8, 1))
    t = (rng.random((8, 1)) > 0.5).astype(float)
    fused_z = gn.Tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(fused_z, gn.Tensor(t)).backward()
    composed_z = gn.Tensor(z, requires_grad=True)
    F.binary_cross_entropy(F.sigmoid(composed_z), gn.Tensor(t)).backward()
    np.testing.assert_allclose(fused_z.grad, composed_z.grad, rtol=1e-9)


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy_with_logits])
def test_float32_stays_float32(loss) -> None:
    x = gn.Tensor(np.full((3, 1), 0.3, dtype=np.float32), requires_grad=True)
    t = gn.Tensor(np.array([[0.0], [1.0], [1.0]]))  # float64 target must not upcast the loss
    out = loss(x, t)
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_mean_of_empty_batch_is_nan_and_sum_is_zero() -> None:
    x = gn.Tensor(np.zeros((0, 1)))
    assert F.mse_loss(x, x, reduction="sum").item() == 0.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.mse_loss(x, x).item())
