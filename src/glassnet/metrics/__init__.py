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

from ._checks import AVERAGES  # not in __all__, importable from here as before the split
from .classification import (
    accuracy,
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)
from .probabilistic import log_loss
from .ranking import roc_auc_score, roc_curve
from .regression import mean_absolute_error, mean_squared_error, r2_score
from .streaming import (
    AUC,
    METRICS,
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    F1Score,
    LogLoss,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
    Precision,
    R2Score,
    Recall,
    SparseCategoricalAccuracy,
    get,
)

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
