"""Metrics on predicted probabilities: the log loss (cross-entropy), as scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from ._checks import (
    _binary_targets,
    _class_indices,
    _finite_scores,
    _output_columns,
    _same_length,
    _sample_weight,
    _weighted_mean,
)

__all__ = ["log_loss"]

_EPS = float(np.finfo(np.float64).eps)


def _log_losses(y_true: Any, y_pred: Any, what: str) -> np.ndarray:
    """Per-sample cross-entropy -sum_c y_c log(clip(p_c, eps, 1 - eps)), eps of float64."""
    proba = _finite_scores(y_pred, what)
    if proba.size and (proba.min() < 0 or proba.max() > 1):
        raise InputError(
            f"{what}: y_pred must be probabilities in [0, 1], got values in "
            f"[{proba.min():.4g}, {proba.max():.4g}]."
        )
    if proba.ndim == 1 or (proba.ndim == 2 and proba.shape[1] == 1):
        p = proba.reshape(-1)
        truth = _binary_targets(y_true, what)
        _same_length(what, truth, p)
        # 1 - p is clipped after the subtraction, as scikit-learn does.
        return -(
            truth * np.log(np.clip(p, _EPS, 1 - _EPS))
            + (1 - truth) * np.log(np.clip(1 - p, _EPS, 1 - _EPS))
        )
    proba = _output_columns(proba, what)
    logs = np.log(np.clip(proba, _EPS, 1 - _EPS))
    targets = np.asarray(y_true)
    if targets.ndim == 2 and targets.shape == proba.shape:
        targets = targets.astype(np.float64)
        if not np.all((targets >= 0) & (targets <= 1)):
            raise InputError(f"{what}: one-hot y_true must hold values in [0, 1].")
        return -np.sum(targets * logs, axis=1)
    labels = _class_indices(targets, proba.shape[1], what)
    _same_length(what, labels, proba)
    return -logs[np.arange(labels.size), labels]


def log_loss(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Mean cross-entropy of predicted probabilities, as scikit-learn's ``log_loss``.

    loss = -sum_i w_i log p_i(y_i) / sum_i w_i, probabilities clipped to [eps, 1 - eps] with
    eps = 2.2e-16 (machine epsilon of float64).

    - ``y_pred`` (n,) or (n, 1): probability of class 1; labels 0/1 (soft targets in [0, 1]
      give -[y log p + (1 - y) log(1 - p)]).
    - ``y_pred`` (n, C): column c is class c; integer labels (n,) or one-hot (n, C).

    >>> round(log_loss([1, 0], [0.9, 0.2]), 6)
    0.164252
    """
    losses = _log_losses(y_true, y_pred, "log_loss")
    weights = _sample_weight(sample_weight, losses.size, "log_loss")
    return _weighted_mean(losses, weights, "log_loss")
