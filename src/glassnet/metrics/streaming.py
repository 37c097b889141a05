"""Streaming metric objects for ``Model.compile``, with Keras's contract, and :func:`get`.

Each built-in metric keeps sufficient statistics over batches (sums, confusion counts, or every
score for the AUC) and reuses the helpers of the matching function, so its result equals that
function on the concatenated batches. :func:`get` resolves the names in :data:`METRICS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ShapeError
from ._checks import (
    _binary_targets,
    _check_average,
    _class_indices,
    _output_columns,
    _same_length,
    _sample_weight,
)
from .classification import (
    _accuracy_hits,
    _binary_hits,
    _categorical_hits,
    _scores_from_counts,
    _sparse_hits,
)
from .probabilistic import _log_losses
from .ranking import _auc, _one_vs_rest_auc
from .regression import _r2_from_sums, _regression_inputs

__all__ = [
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

    def merge_state(self, other: Metric) -> None:
        """Add the batches that ``other`` (a metric of the same class and settings) has seen, as if
        this metric had seen them after its own.

        A distributed ``fit`` or ``evaluate`` merges the metric of every process, in rank order,
        at the end of each epoch. A subclass that does not define it is given every process's
        targets and outputs instead (all of the epoch's predictions travel).
        """
        raise NotImplementedError

    def state_sums(self) -> np.ndarray | None:
        """The whole state as float64 numbers that add up across processes (totals and counts),
        or None when it is not such sums. A distributed ``fit`` adds them up with one ``Allreduce``."""
        return None

    def load_state_sums(self, sums: np.ndarray) -> None:
        """Take the state from numbers of the layout :meth:`state_sums` gives."""
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

    def merge_state(self, other: Metric) -> None:
        self.total += other.total
        self.count += other.count

    def state_sums(self) -> np.ndarray:
        return np.array([self.total, self.count], dtype=np.float64)

    def load_state_sums(self, sums: np.ndarray) -> None:
        self.total, self.count = float(sums[0]), float(sums[1])

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
        self._add(
            batch_weight,
            batch_mean,
            w @ (truth - batch_mean) ** 2,
            w @ (truth - pred) ** 2,
            "this batch",
        )

    def merge_state(self, other: Metric) -> None:
        if other.mean is not None:
            self._add(other.weight, other.mean, other.m2, other.residual, "the state merged in")

    def _add(
        self,
        batch_weight: float,
        batch_mean: np.ndarray,
        batch_m2: np.ndarray,
        batch_residual: np.ndarray,
        what: str,
    ) -> None:
        """Merge the statistics of more rows (a batch, or what another process saw) into the state."""
        if self.mean is None:
            self.weight, self.mean = batch_weight, batch_mean
            self.m2, self.residual = batch_m2, batch_residual
            return
        if batch_mean.shape != self.mean.shape:
            raise ShapeError(
                f"{self.name}: earlier batches had {self.mean.size} outputs, {what} "
                f"has {batch_mean.size}."
            )
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

    def __init__(
        self,
        average: str | None = None,
        threshold: float = 0.5,
        zero_division: float = 0.0,
        name: str | None = None,
    ) -> None:
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
            raise ShapeError(
                f"{self.name}: earlier batches had {self.counts.shape[0]} classes, "
                f"this one has {k}."
            )
        self.counts += np.bincount(truth * k + pred, weights=weights, minlength=k * k).reshape(k, k)
        self.present |= np.bincount(np.r_[truth, pred], minlength=k) > 0

    def merge_state(self, other: Metric) -> None:
        if other.counts is None:
            return
        if self.counts is None:
            self.counts, self.present = other.counts.copy(), other.present.copy()
            return
        if self.counts.shape != other.counts.shape:
            raise ShapeError(
                f"{self.name}: this metric has {self.counts.shape[0]} classes, the one "
                f"merged in has {other.counts.shape[0]}."
            )
        self.counts += other.counts
        self.present |= other.present

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
        scores = _scores_from_counts(
            np.diag(counts),
            counts.sum(axis=0),
            counts.sum(axis=1),
            average,
            1 if average == "binary" else None,
            self.zero_division,
        )
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
            raise ShapeError(
                f"{self.name}: earlier batches had {self.scores[0].shape[1]} "
                f"columns of y_pred, this one has {width}."
            )
        weights = _sample_weight(sample_weight, labels.size, self.name)
        self.weighted |= weights is not None
        self.scores.append(scores)
        self.labels.append(labels)
        self.weights.append(np.ones(labels.size) if weights is None else weights)

    def merge_state(self, other: Metric) -> None:
        if self.scores and other.scores and self.scores[0].shape[1] != other.scores[0].shape[1]:
            raise ShapeError(
                f"{self.name}: this metric has {self.scores[0].shape[1]} columns of y_pred, "
                f"the one merged in has {other.scores[0].shape[1]}."
            )
        self.scores += other.scores
        self.labels += other.labels
        self.weights += other.weights
        self.weighted |= other.weighted

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
    raise TypeError(
        f"metric: expected a name, a Metric or a callable, got {type(metric).__name__}."
    )
