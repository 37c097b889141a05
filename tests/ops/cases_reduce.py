"""Op table rows for glassnet.ops.reduce.

The torch twins receive ``dims``: the reduced axes as a tuple. ``axis=()`` (and any axis of a
0-d tensor) reduces nothing in glassnet, as in NumPy, while ``torch.sum(x, dim=())`` reduces
every axis, so the twins return ``x`` itself for an empty tuple.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


def _dims(x, axis) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(x.ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def _distinct(rng: np.random.Generator, shapes, dtype) -> list[np.ndarray]:
    """Values at least 0.05 apart, so max/min have one winner (test_reduce.py checks ties)."""
    shape = shapes[0]
    size = int(np.prod(shape, dtype=int))
    values = rng.permutation(size) * 0.05 - 0.025 * size
    return [values.reshape(shape).astype(dtype)]


AXES = [None, 0, 1, -1, (0, 2), (-3, -1), (0, 1, 2), ()]
SHAPE = ((2, 3, 4),)
# (shapes, axis): a 0-d tensor, size-1 axes, and a non-empty axis of an empty tensor.
EDGES = [
    ([((),)], None),
    ([((),)], 0),
    ([((1, 1),), ((5, 1),)], None),
    ([((5, 1),)], -1),
    ([((1,),)], 0),
    ([((0, 3),)], 1),
]


def _reduction_rows(name, ours, theirs, sampler=None, edges=EDGES) -> list[OpCase]:
    """Rows for every axis form with and without keepdims, then the edge shapes."""
    rows = []
    for axis in AXES:
        for keepdims in (False, True):
            rows.append(
                OpCase(
                    f"{name}-axis={axis}-keepdims={keepdims}",
                    lambda x, axis=axis, keepdims=keepdims: ours(x, axis=axis, keepdims=keepdims),
                    lambda x, axis=axis, keepdims=keepdims: theirs(x, _dims(x, axis), keepdims),
                    [SHAPE],
                    sampler=sampler,
                )
            )
    for shapes, axis in edges:
        rows.append(
            OpCase(
                f"{name}-edge-{shapes[0][0]}-axis={axis}",
                lambda x, axis=axis: ours(x, axis=axis),
                lambda x, axis=axis: theirs(x, _dims(x, axis), False),
                shapes,
                sampler=sampler,
            )
        )
    return rows


def _twin(torch_name: str, nothing=lambda x: x, **extra):
    """``torch.<torch_name>(x, dim=dims, keepdim=keepdims)``, or ``nothing(x)`` for dims ()."""

    def twin(x, dims, keepdims):
        if dims == ():
            return nothing(x)
        return getattr(_torch(), torch_name)(x, dim=dims, keepdim=keepdims, **extra)

    return twin


CASES = [
    *_reduction_rows("sum", F.sum, _twin("sum")),
    OpCase(
        "sum-empty-axis",
        lambda x: F.sum(x, axis=0),
        lambda x: _torch().sum(x, dim=0),
        [((0, 3),), ((0,),)],
    ),
    *_reduction_rows("mean", F.mean, _twin("mean")),
    OpCase(
        "mean-empty-axis",
        lambda x: F.mean(x, axis=0),
        lambda x: _torch().mean(x, dim=0),
        [((0, 3),)],
    ),
    *_reduction_rows("max", F.max, _twin("amax"), sampler=_distinct),
    *_reduction_rows("min", F.min, _twin("amin"), sampler=_distinct),
    # Not the (0, 3) edge: torch.var warns "degrees of freedom <= 0" for any empty input.
    *_reduction_rows(
        "var", F.var, _twin("var", nothing=lambda x: x * 0.0, correction=0), edges=EDGES[:-1]
    ),
    OpCase(
        "var-ddof1",
        lambda x: F.var(x, axis=1, ddof=1, keepdims=True),
        lambda x: _torch().var(x, dim=1, correction=1, keepdim=True),
        [((3, 4),), ((2, 3, 4),)],
    ),
    OpCase("var-ddof1-all", lambda x: F.var(x, ddof=1), lambda x: _torch().var(x), [((3, 4),)]),
    *_reduction_rows("logsumexp", F.logsumexp, _twin("logsumexp")),
    # torch.logsumexp needs a dim: over everything, flatten first.
    OpCase(
        "logsumexp-flat",
        F.logsumexp,
        lambda x: _torch().logsumexp(x.flatten(), dim=0),
        [((3, 4),), ((1,),), ((2, 1, 3),)],
    ),
    OpCase(
        "logsumexp-wide",
        lambda x: F.logsumexp(x, axis=-1),
        lambda x: _torch().logsumexp(x, dim=-1),
        [((3, 4),)],
        low=-30.0,
        high=30.0,
    ),
]

ERROR_CASES = [
    ErrorCase(
        "max-empty",
        lambda: F.max(gn.Tensor(np.ones((0, 3))), axis=0),
        ShapeError,
        r"max: cannot reduce an empty axis of a tensor of shape \(0, 3\)",
    ),
    ErrorCase(
        "min-empty-all",
        lambda: gn.Tensor(np.ones((2, 0))).min(),
        ShapeError,
        r"min: cannot reduce an empty axis of a tensor of shape \(2, 0\) \(axis 1",
    ),
    ErrorCase(
        "sum-axis-range",
        lambda: F.sum(gn.Tensor(np.ones((2, 3))), axis=2),
        ShapeError,
        "sum: axis 2 is out of range for a tensor with 2 dimensions",
    ),
    ErrorCase(
        "var-axis-range-negative",
        lambda: F.var(gn.Tensor(np.ones((2, 3))), axis=(0, -3)),
        ShapeError,
        "var: axis -3 is out of range for a tensor with 2 dimensions",
    ),
    ErrorCase(
        "logsumexp-axis-range-scalar",
        lambda: F.logsumexp(gn.Tensor(1.0), axis=1),
        ShapeError,
        "logsumexp: axis 1 is out of range for a tensor with 0 dimensions",
    ),
    ErrorCase(
        "mean-axis-repeat",
        lambda: F.mean(gn.Tensor(np.ones((2, 3))), axis=(1, -1)),
        ShapeError,
        r"mean: axis \(1, -1\) repeats an axis",
    ),
]
