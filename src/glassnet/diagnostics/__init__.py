"""Seeing inside a network: explain a pass, diagnose a model, count FLOPs, draw the graph.

* :func:`explain` / ``Model.explain`` -> :class:`Trace` (every op with formula, layer, statistics);
* ``Model.diagnose`` -> :class:`Diagnosis` (dead units, saturation, gradient ratios, advice);
* ``Model.summary(batch_size=...)`` uses :func:`layer_costs` (FLOPs, activation bytes).
"""

from .diagnose import Diagnosis, LayerReport
from .trace import InputRecord, OpRecord, Trace, explain, op_formulas, tracing

__all__ = [
    "Trace",
    "OpRecord",
    "InputRecord",
    "explain",
    "tracing",
    "op_formulas",
    "Diagnosis",
    "LayerReport",
]
