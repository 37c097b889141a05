"""Ranking metrics: the ROC curve and the exact ROC AUC (Mann-Whitney U, ties counted as half).

Binary labels, or one-vs-rest for ``(n, C)`` scores; the AUC helpers are shared with the
streaming :class:`~glassnet.metrics.AUC`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, ShapeError
from ._checks import (
    _check_average,
    _class_indices,
    _column,
    _finite_scores,
    _same_length,
    _sample_weight,
)

__all__ = ["roc_curve", "roc_auc_score"]


def _binary_inputs(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = _column(y_true, "y_true")
    score = _column(y_score, "y_score").astype(np.float64)
    if truth.shape != score.shape:
        raise ShapeError(
            f"expected y_true and y_score of shape (n,), got {np.shape(y_true)} "
            f"and {np.shape(y_score)}."
        )
    if not np.all(np.isfinite(score)):
        raise InputError(
            "y_score contains NaN or infinite values; a ROC curve needs finite scores."
        )
    classes = np.unique(truth)
    if len(classes) != 2 or not np.all(np.isin(classes, [0, 1])):
        raise InputError(
            f"ROC needs binary labels 0 and 1 with both present, got classes {classes.tolist()}."
        )
    return truth.astype(bool), score


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


def _rank_auc(truth: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney U / (P N), tied scores sharing their average rank."""
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


def _weighted_auc(truth: np.ndarray, score: np.ndarray, weights: np.ndarray) -> float:
    """sum over (positive i, negative j) of w_i w_j ([s_i > s_j] + [s_i = s_j] / 2) / (W+ W-)."""
    order = np.argsort(score, kind="mergesort")
    sorted_scores, truth, weights = score[order], truth[order], weights[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    positive = np.add.reduceat(weights * truth, starts)
    negative = np.add.reduceat(weights * ~truth, starts)
    negative_below = np.cumsum(negative) - negative
    total = positive.sum() * negative.sum()
    if total == 0:
        raise InputError("roc_auc_score: the sample weights of one class sum to zero.")
    return float(np.dot(positive, negative_below + 0.5 * negative) / total)


def _auc(truth: np.ndarray, score: np.ndarray, weights: np.ndarray | None) -> float:
    return _rank_auc(truth, score) if weights is None else _weighted_auc(truth, score, weights)


def roc_auc_score(
    y_true: Any, y_score: Any, *, average: str = "macro", sample_weight: Any = None
) -> float:
    """Area under the ROC curve, exact, with tied scores counted as half (Mann-Whitney U).

    AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N), where tied scores share their
    average rank. Equal to ``sklearn.metrics.roc_auc_score`` for binary labels.

    With ``y_score`` of shape (n, C), C >= 3 (e.g. Softmax probabilities) and integer labels
    (n,) or one-hot (n, C): one-vs-rest, the AUC of column c for "class c against the rest",
    averaged over classes ("macro") or weighted by each class's count ("weighted"), as
    scikit-learn's ``multi_class="ovr"``. Every class must occur in ``y_true``.

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    _check_average(average, "roc_auc_score", ("macro", "weighted"))
    scores = np.asarray(y_score)
    if scores.ndim == 2 and scores.shape[1] >= 3:
        return _one_vs_rest_auc(y_true, scores, average, sample_weight)
    if scores.ndim == 2 and scores.shape[1] == 2:
        raise ShapeError(
            f"y_score: expected shape (n,) or (n, 1), got {scores.shape}. With two classes pass "
            "the positive class's column, y_score[:, 1]; one-vs-rest needs 3 or more columns."
        )
    truth, score = _binary_inputs(y_true, y_score)
    return _auc(truth, score, _sample_weight(sample_weight, truth.size, "roc_auc_score"))


def _one_vs_rest_auc(y_true: Any, scores: np.ndarray, average: str, sample_weight: Any) -> float:
    n_classes = scores.shape[1]
    labels = _class_indices(y_true, n_classes, "roc_auc_score")
    scores = _finite_scores(scores, "roc_auc_score")
    _same_length("roc_auc_score", labels, scores, "rows of scores")
    weights = _sample_weight(sample_weight, labels.size, "roc_auc_score")
    counts = np.bincount(labels, minlength=n_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise InputError(
            f"roc_auc_score: one-vs-rest AUC needs every one of the {n_classes} classes in "
            f"y_true; classes {missing.tolist()} do not occur."
        )
    if np.count_nonzero(counts) < 2:
        raise InputError("roc_auc_score: one-vs-rest AUC needs at least two classes in y_true.")
    aucs = np.array([_auc(labels == c, scores[:, c], weights) for c in range(n_classes)])
    if average == "macro":
        return float(np.mean(aucs))
    prevalence = np.bincount(labels, weights=weights, minlength=n_classes)
    return float(np.dot(prevalence, aucs) / prevalence.sum())
