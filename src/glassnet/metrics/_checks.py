"""Input checks shared by the metric functions and the streaming metrics.

Shapes (a trailing axis of size 1 is dropped), 0/1 and class-index labels, finite scores, sample
weights and their weighted mean, and the ``average`` argument. Each check takes ``what``, the name
of the caller, and puts it in its message: ShapeError for shapes, InputError for values,
ValueError for an unknown ``average``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, ShapeError

__all__ = [
    "AVERAGES",
    "_column",
    "_same_length",
    "_sample_weight",
    "_weighted_mean",
    "_finite_scores",
    "_binary_targets",
    "_class_indices",
    "_output_columns",
    "_check_average",
]

AVERAGES = ("binary", "micro", "macro", "weighted")


def _column(values: Any, what: str) -> np.ndarray:
    """``values`` as shape (n,): a trailing axis of size 1 is dropped, any other shape refused."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ShapeError(f"{what}: expected shape (n,) or (n, 1), got {array.shape}.")
    return array


def _same_length(what: str, truth: np.ndarray, pred: np.ndarray, noun: str = "predictions") -> None:
    if len(truth) != len(pred):
        raise ShapeError(f"{what}: {len(truth)} labels but {len(pred)} {noun}.")


def _sample_weight(sample_weight: Any, n: int, what: str) -> np.ndarray | None:
    """Weights of shape (n,) as float64, or None; negative or non-finite weights are refused."""
    if sample_weight is None:
        return None
    weights = _column(sample_weight, "sample_weight").astype(np.float64)
    if weights.size != n:
        raise ShapeError(f"{what}: {n} samples but {weights.size} sample weights.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise InputError(f"{what}: sample weights must be finite and >= 0.")
    return weights


def _weighted_mean(values: np.ndarray, weights: np.ndarray | None, what: str) -> float:
    """sum_i w_i v_i / sum_i w_i (the plain mean without weights); refuses empty inputs."""
    if values.size == 0:
        raise InputError(f"{what}: got no samples.")
    if weights is None:
        return float(np.mean(values))
    total = weights.sum()
    if total <= 0:
        raise InputError(f"{what}: the sample weights sum to zero.")
    return float(np.dot(weights, values) / total)


def _finite_scores(values: Any, what: str) -> np.ndarray:
    scores = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(scores)):
        raise InputError(f"{what}: y_pred contains NaN or infinite values.")
    return scores


def _binary_targets(y_true: Any, what: str) -> np.ndarray:
    """Labels (n,) or (n, 1) that must be 0 or 1 (bool, int or float), as float64 0./1."""
    truth = _column(y_true, f"{what} y_true")
    values = truth.astype(np.float64)
    bad = (values != 0) & (values != 1)
    if np.any(bad):
        shown = np.unique(truth[bad])[:5].tolist()
        raise InputError(
            f"{what}: binary labels must be 0 or 1, got {shown}. For several classes give "
            "y_pred one column per class (a Softmax output)."
        )
    return values


def _class_indices(y_true: Any, n_classes: int, what: str) -> np.ndarray:
    """Class indices (n,) in [0, n_classes) from integer labels (n,)/(n, 1) or one-hot (n, C).

    One-hot rows are read through their argmax, as Keras does.
    """
    array = np.asarray(y_true)
    if array.ndim == 2 and array.shape[1] == n_classes and n_classes > 1:
        return np.argmax(array, axis=1)
    if array.ndim == 2 and array.shape[1] != 1:
        raise ShapeError(
            f"{what}: expected labels of shape (n,) or one-hot (n, {n_classes}) for "
            f"{n_classes} classes, got {array.shape}."
        )
    labels = _column(array, f"{what} y_true")
    if labels.dtype.kind not in "biuf":
        raise InputError(f"{what}: class labels must be integers 0..{n_classes - 1}.")
    values = labels.astype(np.float64)
    outside = (values != np.round(values)) | (values < 0) | (values >= n_classes)
    if np.any(outside):
        shown = np.unique(labels[outside])[:5].tolist()
        raise InputError(
            f"{what}: class labels must be integers in [0, {n_classes}) for y_pred's "
            f"{n_classes} columns, got {shown}."
        )
    return values.astype(np.int64)


def _output_columns(y_pred: Any, what: str) -> np.ndarray:
    """Model outputs as (n, k) float64: (n,) becomes (n, 1)."""
    scores = _finite_scores(y_pred, what)
    if scores.ndim == 1:
        scores = scores.reshape(-1, 1)
    if scores.ndim != 2 or scores.shape[1] == 0:
        raise ShapeError(
            f"{what}: expected y_pred of shape (n,), (n, 1) or (n, C), got {scores.shape}."
        )
    return scores


def _check_average(average: str, what: str, allowed: tuple[str, ...] = AVERAGES) -> None:
    if average not in allowed:
        raise ValueError(f"{what}: average must be one of {', '.join(allowed)}; got {average!r}.")
