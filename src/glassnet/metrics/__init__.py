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

from . import classification, probabilistic, ranking, regression, streaming
from ._checks import AVERAGES  # noqa: F401  (not in __all__, importable from here as before the split)
from .classification import *  # noqa: F401,F403
from .probabilistic import *  # noqa: F401,F403
from .ranking import *  # noqa: F401,F403
from .regression import *  # noqa: F401,F403
from .streaming import *  # noqa: F401,F403

# Each name is declared once, in the __all__ of the module that defines it.
__all__ = [
    *classification.__all__,
    *ranking.__all__,
    *probabilistic.__all__,
    *regression.__all__,
    *streaming.__all__,
]
