"""Regression metrics: mean squared error, mean absolute error and R^2, as scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, ShapeError
from ._checks import _sample_weight, _weighted_mean

__all__ = ["mean_squared_error", "mean_absolute_error", "r2_score"]


def _regression_inputs(y_true: Any, y_pred: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as float64 (n, k); (n,) and (n, 1) are the same thing."""
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    truth = truth.reshape(-1, 1) if truth.ndim == 1 else truth
    pred = pred.reshape(-1, 1) if pred.ndim == 1 else pred
    if truth.ndim != 2 or truth.shape != pred.shape:
        raise ShapeError(
            f"{what}: expected y_true and y_pred of the same shape (n,) or (n, k), "
            f"got {np.shape(y_true)} and {np.shape(y_pred)}."
        )
    if truth.shape[0] == 0:
        raise InputError(f"{what}: got no samples.")
    if not (np.all(np.isfinite(truth)) and np.all(np.isfinite(pred))):
        raise InputError(f"{what}: y_true or y_pred contains NaN or infinite values.")
    return truth, pred


def mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """MSE = sum_i w_i mean_k (y_ik - p_ik)^2 / sum_i w_i (uniform average over outputs k).

    >>> mean_squared_error([1.0, 2.0], [1.5, 2.0])
    0.125
    """
    truth, pred = _regression_inputs(y_true, y_pred, "mean_squared_error")
    weights = _sample_weight(sample_weight, len(truth), "mean_squared_error")
    return _weighted_mean(np.mean((truth - pred) ** 2, axis=1), weights, "mean_squared_error")


def mean_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """MAE = sum_i w_i mean_k |y_ik - p_ik| / sum_i w_i (uniform average over outputs k).

    >>> mean_absolute_error([1.0, 2.0], [1.5, 2.0])
    0.25
    """
    truth, pred = _regression_inputs(y_true, y_pred, "mean_absolute_error")
    weights = _sample_weight(sample_weight, len(truth), "mean_absolute_error")
    return _weighted_mean(np.mean(np.abs(truth - pred), axis=1), weights, "mean_absolute_error")


def _r2_from_sums(residual: np.ndarray, total: np.ndarray) -> float:
    """mean_k (1 - residual_k / total_k); a constant target scores 1 if fitted exactly, else 0."""
    safe = np.where(total == 0, 1.0, total)
    scores = np.where(total == 0, np.where(residual == 0, 1.0, 0.0), 1.0 - residual / safe)
    return float(np.mean(scores))


def r2_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot, averaged over outputs.

    SS_res = sum_i w_i (y_i - p_i)^2, SS_tot = sum_i w_i (y_i - ybar)^2 with ybar the weighted
    mean of y. As scikit-learn (``force_finite=True``), a constant target (SS_tot = 0) scores 1.0
    when predicted exactly and 0.0 otherwise; a single sample is such a constant target.

    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    truth, pred = _regression_inputs(y_true, y_pred, "r2_score")
    weights = _sample_weight(sample_weight, len(truth), "r2_score")
    w = np.ones(len(truth)) if weights is None else weights
    if w.sum() <= 0:
        raise InputError("r2_score: the sample weights sum to zero.")
    mean = w @ truth / w.sum()
    residual = w @ (truth - pred) ** 2
    total = w @ (truth - mean) ** 2
    return _r2_from_sums(residual, total)
