"""Mean squared error, mean absolute error and R^2 against scikit-learn, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import ShapeError
from glassnet.metrics import mean_absolute_error, mean_squared_error, r2_score

from .data import EXACT

# ============================== regression
REGRESSION = {"mse": mean_squared_error, "mae": mean_absolute_error, "r2": r2_score}
SK_REGRESSION = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "r2": "r2_score"}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("outputs", [None, 1, 3], ids=["flat", "column", "three_outputs"])
@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_equal_sklearn(sk_metrics, which, outputs, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    shape = (n,) if outputs is None else (n, outputs)
    truth = rng.normal(size=shape) * 3 + 1
    pred = truth + rng.normal(size=shape)
    weights = rng.random(n) if seed % 2 else None
    reference = getattr(sk_metrics, SK_REGRESSION[which])
    expected = reference(truth, pred, sample_weight=weights)
    assert REGRESSION[which](truth, pred, sample_weight=weights) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_accept_flat_targets_against_column_predictions(sk_metrics, which, rng):
    truth, pred = rng.normal(size=50), rng.normal(size=(50, 1))
    expected = getattr(sk_metrics, SK_REGRESSION[which])(truth, pred[:, 0])
    assert REGRESSION[which](truth, pred) == pytest.approx(expected, **EXACT)
    assert REGRESSION[which](truth.reshape(-1, 1), pred[:, 0]) == pytest.approx(expected, **EXACT)


def test_r2_score_of_a_constant_target_is_one_if_exact_else_zero_like_sklearn(sk_metrics):
    assert r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == sk_metrics.r2_score([2.0] * 3, [2.0] * 3)
    missed = [2.0, 2.5, 2.0]
    assert r2_score([2.0, 2.0, 2.0], missed) == sk_metrics.r2_score([2.0] * 3, missed)


@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_reject_mismatched_shapes_naming_both(which):
    with pytest.raises(ShapeError, match=r"same shape .* got \(4,\) and \(4, 2\)"):
        REGRESSION[which](np.zeros(4), np.zeros((4, 2)))
