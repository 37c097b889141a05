"""Metrics on plain arrays (no autograd): accuracy, ROC curve and exact ROC AUC."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError, ShapeError

__all__ = ["accuracy_score", "roc_curve", "roc_auc_score"]


def _column(values: Any, what: str) -> np.ndarray:
    """``values`` as shape (n,): a trailing axis of size 1 is dropped, any other shape refused."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise ShapeError(f"{what}: expected shape (n,) or (n, 1), got {array.shape}.")
    return array


def _binary_inputs(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = _column(y_true, "y_true")
    score = _column(y_score, "y_score").astype(np.float64)
    if truth.shape != score.shape:
        raise ShapeError(f"expected y_true and y_score of shape (n,), got {np.shape(y_true)} and {np.shape(y_score)}.")
    if not np.all(np.isfinite(score)):
        raise InputError("y_score contains NaN or infinite values; a ROC curve needs finite scores.")
    classes = np.unique(truth)
    if len(classes) != 2 or not np.all(np.isin(classes, [0, 1])):
        raise InputError(
            f"ROC needs binary labels 0 and 1 with both present, got classes {classes.tolist()}."
        )
    return truth.astype(bool), score


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Fraction of predictions equal to the labels (shapes (n,) or (n, 1))."""
    truth = _column(y_true, "y_true")
    pred = _column(y_pred, "y_pred")
    if truth.shape != pred.shape:
        raise ShapeError(f"accuracy_score: {truth.size} labels but {pred.size} predictions.")
    return float(np.mean(truth == pred))


def roc_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct score threshold, highest first.

    Returns ``(fpr, tpr, thresholds)``; the first point is (0, 0) at threshold +inf, as in
    scikit-learn with ``drop_intermediate=False``.
    """
    truth, score = _binary_inputs(y_true, y_score)
    order = np.argsort(-score, kind="mergesort")
    score, truth = score[order], truth[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    true_positives = np.cumsum(truth)[last_of_each_value]
    false_positives = last_of_each_value + 1 - true_positives
    tpr = np.r_[0.0, true_positives / true_positives[-1]]
    fpr = np.r_[0.0, false_positives / false_positives[-1]]
    thresholds = np.r_[np.inf, score[last_of_each_value]]
    return fpr, tpr, thresholds


def roc_auc_score(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve, exact, with tied scores counted as half (Mann-Whitney U).

    AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N), where tied scores share their
    average rank. Equal to ``sklearn.metrics.roc_auc_score`` for binary labels.

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    truth, score = _binary_inputs(y_true, y_score)
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    # Average rank (1-based) of each run of equal scores.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], score.size]
    run_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(score.size)
    ranks[order] = np.repeat(run_rank, ends - starts)
    positives = int(truth.sum())
    negatives = truth.size - positives
    u = ranks[truth].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))
