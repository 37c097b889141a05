"""Metrics on plain arrays (no autograd), and streaming metric objects for ``Model.compile``.

Functions, with scikit-learn's definitions (the tests check them against it):
:func:`accuracy_score` (labels against labels), :func:`accuracy` (model outputs against labels),
:func:`precision_score`, :func:`recall_score`, :func:`f1_score`, :func:`confusion_matrix`,
:func:`roc_curve`, :func:`roc_auc_score` (binary, or one-vs-rest for ``(n, C)`` scores),
:func:`log_loss`, :func:`mean_squared_error`, :func:`mean_absolute_error`, :func:`r2_score`.

Metric objects follow Keras's contract: ``reset_state()``, ``update_state(y_true, y_pred,
sample_weight=None)`` once per batch, ``result()`` at the end of the epoch. Each keeps what it needs
to give the exact value over all batches seen (sums, confusion counts, or every score for the
AUC), never an average of per-batch values. :func:`get` turns names such as ``"accuracy"`` or
``"auc"`` into them; the name you pass is the key in the logs and the History.

>>> metric = get("accuracy")
>>> metric.update_state([1, 0], [[0.9], [0.8]])
>>> metric.update_state([0, 0], [[0.1], [0.3]])
>>> metric.result()
0.75
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .errors import InputError, ShapeError

__all__ = [
    "accuracy_score",
    "accuracy",
    "precision_score",
    "recall_score",
    "f1_score",
    "confusion_matrix",
    "roc_curve",
    "roc_auc_score",
    "log_loss",
    "mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "Metric",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "Precision",
    "Recall",
    "F1Score",
    "AUC",
    "LogLoss",
    "BinaryCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "R2Score",
    "METRICS",
    "get",
]

AVERAGES = ("binary", "micro", "macro", "weighted")
_EPS = float(np.finfo(np.float64).eps)


# ----------------------------------------------------------------------------- input checks
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
        raise ShapeError(f"{what}: expected y_pred of shape (n,), (n, 1) or (n, C), got "
                         f"{scores.shape}.")
    return scores


def _check_average(average: str, what: str, allowed: tuple[str, ...] = AVERAGES) -> None:
    if average not in allowed:
        raise ValueError(f"{what}: average must be one of {', '.join(allowed)}; got {average!r}.")


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
        raise ShapeError(f"{what}: expected y_true of shape (n,) or {scores.shape} for y_pred "
                         f"of shape {np.shape(y_pred)}, got {np.shape(y_true)}.")
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
def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None,
                     sample_weight: Any = None) -> np.ndarray:
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
            raise InputError(f"confusion_matrix: labels must be non-empty and distinct, got "
                             f"{classes.tolist()}.")
    true_index, true_known = _positions(classes, truth)
    pred_index, pred_known = _positions(classes, pred)
    kept = true_known & pred_known
    k = classes.size
    cells = true_index[kept] * k + pred_index[kept]
    counts = np.bincount(cells, weights=None if weights is None else weights[kept],
                         minlength=k * k).reshape(k, k)
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


def _scores_from_counts(true_positives: np.ndarray, predicted: np.ndarray, actual: np.ndarray,
                        average: str, positive: int | None,
                        zero_division: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from per-class counts, averaged as scikit-learn.

    precision_c = TP_c / predicted_c, recall_c = TP_c / actual_c,
    F1_c = 2 TP_c / (predicted_c + actual_c); ``zero_division`` where a denominator is 0.
    binary: class ``positive`` only; micro: the counts summed over classes first;
    macro: plain mean over classes; weighted: mean weighted by ``actual_c`` (the support).
    """
    if average == "binary":
        true_positives, predicted, actual = (np.atleast_1d(a[positive])
                                             for a in (true_positives, predicted, actual))
    elif average == "micro":
        true_positives, predicted, actual = (np.atleast_1d(a.sum())
                                             for a in (true_positives, predicted, actual))
    precision = _divide(true_positives, predicted, zero_division)
    recall = _divide(true_positives, actual, zero_division)
    f1 = _divide(2 * true_positives, predicted + actual, zero_division)
    if average == "weighted":
        support = actual.sum()
        if support == 0:
            return (float(zero_division),) * 3
        return tuple(float(np.dot(actual, s) / support) for s in (precision, recall, f1))
    return float(np.mean(precision)), float(np.mean(recall)), float(np.mean(f1))


def _precision_recall_f1(y_true: Any, y_pred: Any, average: str, pos_label: Any,
                         zero_division: float, sample_weight: Any,
                         what: str) -> tuple[float, float, float]:
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
            raise InputError(f"{what}: pos_label={pos_label!r} is not one of the labels "
                             f"{classes.tolist()}.")
        classes = np.union1d(classes, [pos_label])
        positive = int(np.flatnonzero(classes == pos_label)[0])
    counts = confusion_matrix(truth, pred, labels=classes, sample_weight=sample_weight)
    return _scores_from_counts(np.diag(counts), counts.sum(axis=0), counts.sum(axis=1),
                               average, positive, zero_division)


def precision_score(y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1,
                    zero_division: float = 0.0, sample_weight: Any = None) -> float:
    """Precision TP / (TP + FP) of predicted labels, as scikit-learn's ``precision_score``.

    ``average``: "binary" (class ``pos_label`` only), "macro" (mean over the labels present in
    ``y_true`` or ``y_pred``), "weighted" (mean weighted by each class's true count) or "micro".
    A class never predicted scores ``zero_division`` (scikit-learn's value, without a warning).

    >>> precision_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, zero_division,
                                sample_weight, "precision_score")[0]


def recall_score(y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1,
                 zero_division: float = 0.0, sample_weight: Any = None) -> float:
    """Recall TP / (TP + FN) of predicted labels, as scikit-learn's ``recall_score``.

    ``average`` as in :func:`precision_score`; a class absent from ``y_true`` scores
    ``zero_division``.

    >>> recall_score([0, 1, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, zero_division,
                                sample_weight, "recall_score")[1]


def f1_score(y_true: Any, y_pred: Any, *, average: str = "binary", pos_label: Any = 1,
             zero_division: float = 0.0, sample_weight: Any = None) -> float:
    """F1 = 2 PR / (P + R) = 2 TP / (2 TP + FP + FN), as scikit-learn's ``f1_score``.

    ``average`` as in :func:`precision_score`; macro F1 is the mean of per-class F1 values, not
    the F1 of the mean precision and recall.

    >>> f1_score([0, 1, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, zero_division,
                                sample_weight, "f1_score")[2]


# ----------------------------------------------------------------------------- ROC
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


def roc_auc_score(y_true: Any, y_score: Any, *, average: str = "macro",
                  sample_weight: Any = None) -> float:
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


# ----------------------------------------------------------------------------- log loss
def _log_losses(y_true: Any, y_pred: Any, what: str) -> np.ndarray:
    """Per-sample cross-entropy -sum_c y_c log(clip(p_c, eps, 1 - eps)), eps of float64."""
    proba = _finite_scores(y_pred, what)
    if proba.size and (proba.min() < 0 or proba.max() > 1):
        raise InputError(f"{what}: y_pred must be probabilities in [0, 1], got values in "
                         f"[{proba.min():.4g}, {proba.max():.4g}].")
    if proba.ndim == 1 or (proba.ndim == 2 and proba.shape[1] == 1):
        p = proba.reshape(-1)
        truth = _binary_targets(y_true, what)
        _same_length(what, truth, p)
        # 1 - p is clipped after the subtraction, as scikit-learn does.
        return -(truth * np.log(np.clip(p, _EPS, 1 - _EPS))
                 + (1 - truth) * np.log(np.clip(1 - p, _EPS, 1 - _EPS)))
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


# ----------------------------------------------------------------------------- regression
def _regression_inputs(y_true: Any, y_pred: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as float64 (n, k); (n,) and (n, 1) are the same thing."""
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    truth = truth.reshape(-1, 1) if truth.ndim == 1 else truth
    pred = pred.reshape(-1, 1) if pred.ndim == 1 else pred
    if truth.ndim != 2 or truth.shape != pred.shape:
        raise ShapeError(f"{what}: expected y_true and y_pred of the same shape (n,) or (n, k), "
                         f"got {np.shape(y_true)} and {np.shape(y_pred)}.")
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


# ----------------------------------------------------------------------------- streaming metrics
class Metric:
    """A metric accumulated over batches, with Keras's contract.

    ``reset_state()`` at the start of an epoch, ``update_state(y_true, y_pred, sample_weight)``
    after each batch (``y_pred`` is the model's output: probabilities after a Sigmoid or
    Softmax, raw values for regression), ``result()`` for the value over every batch since
    the reset. ``name`` is the key in the logs and the History.

    Subclasses keep sufficient statistics (sums, confusion counts, all scores), so ``result()``
    equals the matching function on the concatenated batches, whatever the batch sizes.
    """

    default_name = "metric"

    def __init__(self, name: str | None = None) -> None:
        self.name: str = name or self.default_name
        self.reset_state()

    def reset_state(self) -> None:
        """Forget every batch seen."""
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch."""
        raise NotImplementedError

    def result(self) -> float:
        """The metric over every batch since the last reset."""
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        """Add one batch and return the running result, as calling a Keras metric does."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _MeanMetric(Metric):
    """A weighted mean of per-sample values, sum_i w_i v_i / sum_i w_i: exact for any batching.

    ``result()`` is 0.0 before any sample, as in Keras.
    """

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._per_sample(y_true, y_pred)
        weights = _sample_weight(sample_weight, values.size, self.name)
        if weights is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            self.total += float(weights @ values)
            self.count += float(weights.sum())

    def result(self) -> float:
        return self.total / self.count if self.count > 0 else 0.0

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        raise NotImplementedError


class MeanMetricWrapper(_MeanMetric):
    """A user's ``fn(y_true, y_pred)`` as a metric, averaged over samples.

    ``fn`` should return one value per sample (shape (n,)), which makes the result exact. A
    scalar return value is taken as the batch's mean and weighted by the batch size.
    """

    def __init__(self, fn: Callable[[Any, Any], Any], name: str | None = None) -> None:
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        values = np.asarray(self.fn(y_true, y_pred), dtype=np.float64)
        if values.ndim == 0:
            return np.full(len(y_true), float(values))
        return values.reshape(len(y_true), -1).mean(axis=1)


class Accuracy(_MeanMetric):
    """Keras's ``"accuracy"``: binary, categorical or sparse, read from each batch's shapes.

    ``y_pred`` (n,) or (n, 1) -> :class:`BinaryAccuracy`; (n, C) with one-hot ``y_true``
    (n, C) -> :class:`CategoricalAccuracy`; (n, C) with integer labels (n,) or (n, 1) ->
    :class:`SparseCategoricalAccuracy`.
    """

    default_name = "accuracy"

    def __init__(self, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = threshold
        super().__init__(name)

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _accuracy_hits(y_true, y_pred, self.threshold, self.name)


class BinaryAccuracy(Accuracy):
    """Fraction of outputs where ``y_pred >= threshold`` equals the 0/1 label.

    Shapes: ``y_true`` (n,) or (n, 1) and ``y_pred`` (n,) or (n, 1); or both (n, k) for k
    independent sigmoid outputs, each sample scoring the fraction of its k outputs right.
    """

    default_name = "binary_accuracy"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _binary_hits(y_true, y_pred, self.threshold, self.name)


class CategoricalAccuracy(_MeanMetric):
    """Fraction of samples where argmax(y_pred) equals argmax of the one-hot ``y_true`` (n, C)."""

    default_name = "categorical_accuracy"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _categorical_hits(y_true, y_pred, self.name)


class SparseCategoricalAccuracy(_MeanMetric):
    """Fraction of samples where argmax(y_pred) (n, C) equals the integer label in [0, C)."""

    default_name = "sparse_categorical_accuracy"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _sparse_hits(y_true, y_pred, self.name)


class LogLoss(_MeanMetric):
    """Cross-entropy of the predicted probabilities, as :func:`log_loss` (clipped at eps).

    ``y_pred`` (n,) or (n, 1) with 0/1 labels, or (n, C) with integer or one-hot labels.
    """

    default_name = "log_loss"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _log_losses(y_true, y_pred, self.name)


class BinaryCrossentropy(LogLoss):
    """Binary cross-entropy of probabilities as a metric: :class:`LogLoss` under Keras's name."""

    default_name = "binary_crossentropy"


class MeanSquaredError(_MeanMetric):
    """Mean of (y - p)^2 over samples and outputs, as :func:`mean_squared_error`."""

    default_name = "mean_squared_error"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        truth, pred = _regression_inputs(y_true, y_pred, self.name)
        return np.mean((truth - pred) ** 2, axis=1)


class MeanAbsoluteError(_MeanMetric):
    """Mean of |y - p| over samples and outputs, as :func:`mean_absolute_error`."""

    default_name = "mean_absolute_error"

    def _per_sample(self, y_true: Any, y_pred: Any) -> np.ndarray:
        truth, pred = _regression_inputs(y_true, y_pred, self.name)
        return np.mean(np.abs(truth - pred), axis=1)


class R2Score(Metric):
    """R^2 over every batch, as :func:`r2_score` on the concatenated data.

    Keeps per output the weight W, the weighted mean and M2 = sum w (y - mean)^2, merged batch by
    batch with Chan's parallel update (no cancellation from sum y^2 - (sum y)^2 / n), and the
    residual sum sum w (y - p)^2.
    """

    default_name = "r2"

    def reset_state(self) -> None:
        self.weight = 0.0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None
        self.residual: np.ndarray | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        truth, pred = _regression_inputs(y_true, y_pred, self.name)
        weights = _sample_weight(sample_weight, len(truth), self.name)
        w = np.ones(len(truth)) if weights is None else weights
        batch_weight = float(w.sum())
        if batch_weight == 0:
            return
        batch_mean = w @ truth / batch_weight
        batch_m2 = w @ (truth - batch_mean) ** 2
        batch_residual = w @ (truth - pred) ** 2
        if self.mean is None:
            self.weight, self.mean = batch_weight, batch_mean
            self.m2, self.residual = batch_m2, batch_residual
            return
        if batch_mean.shape != self.mean.shape:
            raise ShapeError(f"{self.name}: earlier batches had {self.mean.size} outputs, this one "
                             f"has {batch_mean.size}.")
        delta = batch_mean - self.mean
        total = self.weight + batch_weight
        self.mean = self.mean + delta * (batch_weight / total)
        self.m2 = self.m2 + batch_m2 + delta**2 * (self.weight * batch_weight / total)
        self.residual = self.residual + batch_residual
        self.weight = total

    def result(self) -> float:
        if self.mean is None:
            return 0.0
        return _r2_from_sums(self.residual, self.m2)


class _ConfusionMetric(Metric):
    """Confusion counts over all batches; precision, recall or F1 computed from them at the end.

    Predictions: ``y_pred >= threshold`` for one output (labels 0/1), argmax for (n, C).
    ``average=None`` means "binary" (class 1) for one or two outputs and "macro" for more.
    Macro and weighted averages run over the classes seen in the labels or the predictions,
    as scikit-learn's functions on the concatenated data.
    """

    _which = 0  # index into (precision, recall, f1)

    def __init__(self, average: str | None = None, threshold: float = 0.5,
                 zero_division: float = 0.0, name: str | None = None) -> None:
        if average is not None:
            _check_average(average, name or self.default_name)
        self.average = average
        self.threshold = threshold
        self.zero_division = zero_division
        super().__init__(name)

    def reset_state(self) -> None:
        self.counts: np.ndarray | None = None
        self.present: np.ndarray | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        truth, pred, k = self._labels(y_true, y_pred)
        weights = _sample_weight(sample_weight, truth.size, self.name)
        if self.counts is None:
            if self.average == "binary" and k > 2:
                raise ShapeError(
                    f"{self.name}: average='binary' needs one sigmoid output or two softmax "
                    f"outputs, y_pred has {k} columns; use average='macro' or 'weighted'."
                )
            self.counts = np.zeros((k, k))
            self.present = np.zeros(k, dtype=bool)
        elif self.counts.shape[0] != k:
            raise ShapeError(f"{self.name}: earlier batches had {self.counts.shape[0]} classes, "
                             f"this one has {k}.")
        self.counts += np.bincount(truth * k + pred, weights=weights, minlength=k * k).reshape(k, k)
        self.present |= np.bincount(np.r_[truth, pred], minlength=k) > 0

    def _labels(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, int]:
        scores = _output_columns(y_pred, self.name)
        if scores.shape[1] == 1:
            truth = _binary_targets(y_true, self.name).astype(np.int64)
            pred = (scores[:, 0] >= self.threshold).astype(np.int64)
            k = 2
        else:
            k = scores.shape[1]
            truth = _class_indices(y_true, k, self.name)
            pred = np.argmax(scores, axis=1)
        _same_length(self.name, truth, pred)
        return truth, pred, k

    def result(self) -> float:
        if self.counts is None:
            return 0.0
        k = self.counts.shape[0]
        average = self.average or ("binary" if k == 2 else "macro")
        kept = np.ones(k, dtype=bool) if average == "binary" else self.present
        counts = self.counts[np.ix_(kept, kept)]
        scores = _scores_from_counts(np.diag(counts), counts.sum(axis=0), counts.sum(axis=1),
                                     average, 1 if average == "binary" else None,
                                     self.zero_division)
        return scores[self._which]


class Precision(_ConfusionMetric):
    """Precision TP / (TP + FP) over all batches, as :func:`precision_score`."""

    default_name = "precision"
    _which = 0


class Recall(_ConfusionMetric):
    """Recall TP / (TP + FN) over all batches, as :func:`recall_score`."""

    default_name = "recall"
    _which = 1


class F1Score(_ConfusionMetric):
    """F1 = 2 TP / (2 TP + FP + FN) over all batches, as :func:`f1_score`."""

    default_name = "f1"
    _which = 2


class AUC(Metric):
    """Exact ROC AUC over all batches, as :func:`roc_auc_score` on the concatenated data.

    Keeps every score and label (Keras's AUC approximates with 200 thresholds instead).
    ``y_pred`` (n,) or (n, 1): binary, labels 0/1. (n, 2): the binary AUC of column 1.
    (n, C), C >= 3: one-vs-rest, averaged by ``average`` ("macro" or "weighted").
    ``result()`` is NaN while the AUC is undefined (a class missing from the labels seen),
    and 0.0 before any batch.
    """

    default_name = "auc"

    def __init__(self, average: str = "macro", name: str | None = None) -> None:
        _check_average(average, name or self.default_name, ("macro", "weighted"))
        self.average = average
        super().__init__(name)

    def reset_state(self) -> None:
        self.scores: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.weighted = False

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        scores = _output_columns(y_pred, self.name)
        width = scores.shape[1]
        if width == 1:
            labels = _binary_targets(y_true, self.name).astype(np.int64)
        else:
            labels = _class_indices(y_true, width, self.name)
        _same_length(self.name, labels, scores)
        if self.scores and self.scores[0].shape[1] != width:
            raise ShapeError(f"{self.name}: earlier batches had {self.scores[0].shape[1]} "
                             f"columns of y_pred, this one has {width}.")
        weights = _sample_weight(sample_weight, labels.size, self.name)
        self.weighted |= weights is not None
        self.scores.append(scores)
        self.labels.append(labels)
        self.weights.append(np.ones(labels.size) if weights is None else weights)

    def result(self) -> float:
        if not self.scores:
            return 0.0
        scores, labels = np.concatenate(self.scores), np.concatenate(self.labels)
        weights = np.concatenate(self.weights) if self.weighted else None
        n_classes = max(scores.shape[1], 2)
        support = np.bincount(labels, weights=weights, minlength=n_classes)
        if np.any(support == 0):
            return float("nan")
        if n_classes == 2:
            return _auc(labels == 1, scores[:, -1], weights)
        return _one_vs_rest_auc(labels, scores, self.average, weights)


METRICS: dict[str, type[Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1": F1Score,
    "f1_score": F1Score,
    "auc": AUC,
    "log_loss": LogLoss,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": LogLoss,
    "sparse_categorical_crossentropy": LogLoss,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "r2": R2Score,
    "r2_score": R2Score,
}


def get(metric: str | Metric | type[Metric] | Callable[[Any, Any], Any]) -> Metric:
    """A Metric from a name in :data:`METRICS` (case-insensitive), a Metric, a Metric class, or
    a function ``fn(y_true, y_pred)`` of per-sample values. A name becomes the metric's name,
    so ``metrics=["acc"]`` logs ``"acc"``.

    >>> get("auc")
    AUC(name='auc')
    """
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if isinstance(metric, str):
        key = metric.lower()
        if key in METRICS:
            return METRICS[key](name=metric)
        raise ValueError(f"Unknown metric {metric!r}; valid names: {', '.join(sorted(METRICS))}.")
    if callable(metric):
        return MeanMetricWrapper(metric)
    raise TypeError(f"metric: expected a name, a Metric or a callable, got "
                    f"{type(metric).__name__}.")
