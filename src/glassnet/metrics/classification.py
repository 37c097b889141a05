"""Classification metrics with scikit-learn's definitions.

Accuracy of labels (:func:`accuracy_score`) and of model outputs (:func:`accuracy`), the
:func:`confusion_matrix`, and :func:`precision_score`, :func:`recall_score`, :func:`f1_score`
computed from confusion counts. The per-sample hits and the counts-to-scores step are shared with
the streaming metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, ShapeError
from ._checks import (
    _binary_targets,
    _check_average,
    _class_indices,
    _column,
    _output_columns,
    _same_length,
    _sample_weight,
    _weighted_mean,
)

__all__ = [
    "accuracy_score",
    "accuracy",
    "precision_score",
    "recall_score",
    "f1_score",
    "confusion_matrix",
]


# ----------------------------------------------------------------------------- accuracy
def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Fraction of predictions equal to the labels (shapes (n,) or (n, 1))."""
    truth = _column(y_true, "y_true")
    pred = _column(y_pred, "y_pred")
    if truth.shape != pred.shape:
        raise ShapeError(f"accuracy_score: {truth.size} labels but {pred.size} predictions.")
    return float(np.mean(truth == pred))


def _binary_hits(y_true: Any, y_pred: Any, threshold: float, what: str) -> np.ndarray:
    """Per sample, the fraction of outputs where (y_pred >= threshold) equals the 0/1 label."""
    scores = _output_columns(y_pred, what)
    truth = np.asarray(y_true)
    truth = truth.reshape(len(truth), -1) if truth.ndim >= 1 else truth
    if truth.ndim != 2 or truth.shape != scores.shape:
        raise ShapeError(
            f"{what}: expected y_true of shape (n,) or {scores.shape} for y_pred "
            f"of shape {np.shape(y_pred)}, got {np.shape(y_true)}."
        )
    labels = _binary_targets(truth.reshape(-1), what).reshape(truth.shape)
    return np.mean((scores >= threshold) == (labels == 1), axis=1)


def _categorical_hits(y_true: Any, y_pred: Any, what: str) -> np.ndarray:
    """Per sample, 1.0 where argmax(y_pred) equals argmax of the one-hot y_true."""
    scores = _output_columns(y_pred, what)
    truth = np.asarray(y_true)
    if truth.shape != scores.shape:
        raise ShapeError(
            f"{what}: expected one-hot y_true of shape {scores.shape}, got {truth.shape}. "
            "For integer labels use 'sparse_categorical_accuracy'."
        )
    return (np.argmax(scores, axis=1) == np.argmax(truth, axis=1)).astype(np.float64)


def _sparse_hits(y_true: Any, y_pred: Any, what: str) -> np.ndarray:
    """Per sample, 1.0 where argmax(y_pred) equals the integer label."""
    scores = _output_columns(y_pred, what)
    truth = np.asarray(y_true)
    if truth.ndim == 2 and truth.shape[1] != 1:
        raise ShapeError(
            f"{what}: expected integer labels of shape (n,) or (n, 1), got {truth.shape}. "
            "For one-hot labels use 'categorical_accuracy'."
        )
    labels = _class_indices(truth, scores.shape[1], what)
    _same_length(what, labels, scores)
    return (np.argmax(scores, axis=1) == labels).astype(np.float64)


def _accuracy_hits(y_true: Any, y_pred: Any, threshold: float, what: str) -> np.ndarray:
    """Keras's "accuracy" read from the shapes: binary, categorical (one-hot) or sparse."""
    width = 1 if np.ndim(y_pred) < 2 else np.shape(y_pred)[1]
    if np.ndim(y_pred) <= 2 and width == 1:
        return _binary_hits(y_true, y_pred, threshold, what)
    if np.ndim(y_true) == 2 and np.shape(y_true)[1] == width:
        return _categorical_hits(y_true, y_pred, what)
    return _sparse_hits(y_true, y_pred, what)


def accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5, sample_weight: Any = None) -> float:
    """Accuracy of model outputs, the task read from the shapes as Keras's ``"accuracy"``.

    - ``y_pred`` (n,) or (n, 1), probabilities of class 1: the prediction is
      ``y_pred >= threshold`` (as ``Model.predict_classes``), labels are 0/1.
    - ``y_pred`` (n, C) and one-hot ``y_true`` (n, C): ``argmax(y_pred) == argmax(y_true)``.
    - ``y_pred`` (n, C) and integer labels (n,) or (n, 1): ``argmax(y_pred) == y_true``.

    accuracy = sum_i w_i [prediction_i == y_i] / sum_i w_i (w_i = 1 without sample weights).

    >>> accuracy([1, 0, 1], [[0.8], [0.4], [0.3]])
    0.6666666666666666
    >>> accuracy([2, 0], [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    0.5
    """
    hits = _accuracy_hits(y_true, y_pred, threshold, "accuracy")
    weights = _sample_weight(sample_weight, hits.size, "accuracy")
    return _weighted_mean(hits, weights, "accuracy")


# ----------------------------------------------------------------------------- confusion counts
def confusion_matrix(
    y_true: Any, y_pred: Any, labels: Any = None, sample_weight: Any = None
) -> np.ndarray:
    """Counts C[i, j] of samples with true label ``labels[i]`` predicted as ``labels[j]``.

    ``labels`` defaults to the sorted union of the labels in ``y_true`` and ``y_pred``; samples
    whose true or predicted label is not in ``labels`` are not counted (as scikit-learn). The
    result is int64, or float64 with sample weights.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    truth = _column(y_true, "confusion_matrix y_true")
    pred = _column(y_pred, "confusion_matrix y_pred")
    _same_length("confusion_matrix", truth, pred)
    weights = _sample_weight(sample_weight, truth.size, "confusion_matrix")
    if labels is None:
        classes = np.unique(np.concatenate([truth, pred]))
    else:
        classes = _column(labels, "confusion_matrix labels")
        if classes.size == 0 or np.unique(classes).size != classes.size:
            raise InputError(
                f"confusion_matrix: labels must be non-empty and distinct, got {classes.tolist()}."
            )
    true_index, true_known = _positions(classes, truth)
    pred_index, pred_known = _positions(classes, pred)
    kept = true_known & pred_known
    k = classes.size
    cells = true_index[kept] * k + pred_index[kept]
    counts = np.bincount(
        cells, weights=None if weights is None else weights[kept], minlength=k * k
    ).reshape(k, k)
    return counts.astype(np.int64 if weights is None else np.float64)


def _positions(classes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each value in ``classes`` (any order), and whether it is there at all."""
    order = np.argsort(classes, kind="stable")
    ordered = classes[order]
    found = np.clip(np.searchsorted(ordered, values), 0, ordered.size - 1)
    return order[found], ordered[found] == values


def _divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """numerator / denominator, ``zero_division`` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, zero_division, numerator / safe)


def _scores_from_counts(
    true_positives: np.ndarray,
    predicted: np.ndarray,
    actual: np.ndarray,
    average: str,
    positive: int | None,
    zero_division: float,
) -> tuple[float, float, float]:
    """Precision, recall and F1 from per-class counts, averaged as scikit-learn.

    precision_c = TP_c / predicted_c, recall_c = TP_c / actual_c,
    F1_c = 2 TP_c / (predicted_c + actual_c); ``zero_division`` where a denominator is 0.
    binary: class ``positive`` only; micro: the counts summed over classes first;
    macro: plain mean over classes; weighted: mean weighted by ``actual_c`` (the support).
    """
    if average == "binary":
        true_positives, predicted, actual = (
            np.atleast_1d(a[positive]) for a in (true_positives, predicted, actual)
        )
    elif average == "micro":
        true_positives, predicted, actual = (
            np.atleast_1d(a.sum()) for a in (true_positives, predicted, actual)
        )
    precision = _divide(true_positives, predicted, zero_division)
    recall = _divide(true_positives, actual, zero_division)
    f1 = _divide(2 * true_positives, predicted + actual, zero_division)
    if average == "weighted":
        support = actual.sum()
        if support == 0:
            return (float(zero_division),) * 3
        return tuple(float(np.dot(actual, s) / support) for s in (precision, recall, f1))
    return float(np.mean(precision)), float(np.mean(recall)), float(np.mean(f1))


def _precision_recall_f1(
    y_true: Any,
    y_pred: Any,
    average: str,
    pos_label: Any,
    zero_division: float,
    sample_weight: Any,
    what: str,
) -> tuple[float, float, float]:
    _check_average(average, what)
    truth = _column(y_true, f"{what} y_true")
    pred = _column(y_pred, f"{what} y_pred")
    _same_length(what, truth, pred)
    if truth.size == 0:
        raise InputError(f"{what}: got no samples.")
    classes = np.unique(np.concatenate([truth, pred]))
    positive = None
    if average == "binary":
        if classes.size > 2:
            raise InputError(
                f"{what}: average='binary' needs two classes, got {classes.tolist()}; "
                "use average='macro', 'weighted' or 'micro' for more."
            )
        if classes.size == 2 and pos_label not in classes:
            raise InputError(
                f"{what}: pos_label={pos_label!r} is not one of the labels {classes.tolist()}."
            )
        classes = np.union1d(classes, [pos_label])
        positive = int(np.flatnonzero(classes == pos_label)[0])
    counts = confusion_matrix(truth, pred, labels=classes, sample_weight=sample_weight)
    return _scores_from_counts(
        np.diag(counts), counts.sum(axis=0), counts.sum(axis=1), average, positive, zero_division
    )


def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str = "binary",
    pos_label: Any = 1,
    zero_division: float = 0.0,
    sample_weight: Any = None,
) -> float:
    """Precision TP / (TP + FP) of predicted labels, as scikit-learn's ``precision_score``.

    ``average``: "binary" (class ``pos_label`` only), "macro" (mean over the labels present in
    ``y_true`` or ``y_pred``), "weighted" (mean weighted by each class's true count) or "micro".
    A class never predicted scores ``zero_division`` (scikit-learn's value, without a warning).

    >>> precision_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _precision_recall_f1(
        y_true, y_pred, average, pos_label, zero_division, sample_weight, "precision_score"
    )[0]


def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str = "binary",
    pos_label: Any = 1,
    zero_division: float = 0.0,
    sample_weight: Any = None,
) -> float:
    """Recall TP / (TP + FN) of predicted labels, as scikit-learn's ``recall_score``.

    ``average`` as in :func:`precision_score`; a class absent from ``y_true`` scores
    ``zero_division``.

    >>> recall_score([0, 1, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    return _precision_recall_f1(
        y_true, y_pred, average, pos_label, zero_division, sample_weight, "recall_score"
    )[1]


def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: str = "binary",
    pos_label: Any = 1,
    zero_division: float = 0.0,
    sample_weight: Any = None,
) -> float:
    """F1 = 2 PR / (P + R) = 2 TP / (2 TP + FP + FN), as scikit-learn's ``f1_score``.

    ``average`` as in :func:`precision_score`; macro F1 is the mean of per-class F1 values, not
    the F1 of the mean precision and recall.

    >>> f1_score([0, 1, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    return _precision_recall_f1(
        y_true, y_pred, average, pos_label, zero_division, sample_weight, "f1_score"
    )[2]
