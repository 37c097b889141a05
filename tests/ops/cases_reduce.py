"""Op table rows for glassnet.ops.reduce."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


def _dims(x, axis):
    return tuple(range(x.ndim)) if axis is None else axis


def _distinct(rng: np.random.Generator, shapes, dtype) -> list[np.ndarray]:
    """Values at least 0.05 apart, so max/min have a unique winner (ties are tested separately)."""
    shape = shapes[0]
    size = int(np.prod(shape, dtype=int))
    values = rng.permutation(size) * 0.05 - 0.025 * size
    return [values.reshape(shape).astype(dtype)]


AXES = [None, 0, 1, -1, (0, 2), (-3, -1)]
SHAPE = ((2, 3, 4),)


def _reduction_rows(name, ours, theirs, sampler=None, shapes_extra=()):
    rows = []
    for axis in AXES:
        for keepdims in (False, True):
            rows.append(OpCase(
                f"{name}-axis={axis}-keepdims={keepdims}",
                lambda x, axis=axis, keepdims=keepdims: ours(x, axis=axis, keepdims=keepdims),
                lambda x, axis=axis, keepdims=keepdims: theirs(x, _dims(x, axis), keepdims),
                [SHAPE], sampler=sampler))
    rows.append(OpCase(f"{name}-scalar-and-size1", lambda x: ours(x), lambda x: theirs(x, _dims(x, None), False),
                       [((),), ((1, 1),), ((5, 1),)], sampler=sampler))
    rows.extend(shapes_extra)
    return rows


CASES = [
    *_reduction_rows("sum", F.sum, lambda x, d, k: _torch().sum(x, dim=d, keepdim=k) if d != () else x,
                     shapes_extra=[OpCase("sum-empty", lambda x: F.sum(x, axis=0),
                                          lambda x: _torch().sum(x, dim=0), [((0, 3),)])]),
    *_reduction_rows("mean", F.mean, lambda x, d, k: _torch().mean(x, dim=d, keepdim=k) if d != () else x),
    *_reduction_rows("max", F.max, lambda x, d, k: _torch().amax(x, dim=d, keepdim=k) if d != () else x,
                     sampler=_distinct),
    *_reduction_rows("min", F.min, lambda x, d, k: _torch().amin(x, dim=d, keepdim=k) if d != () else x,
                     sampler=_distinct),
    OpCase("var", F.var, lambda x: _torch().var(x, correction=0), [((3, 4),), ((5,),)]),
    OpCase("var-axis-ddof1", lambda x: F.var(x, axis=1, ddof=1, keepdims=True),
           lambda x: _torch().var(x, dim=1, correction=1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpCase("logsumexp", F.logsumexp, lambda x: _torch().logsumexp(x.reshape(-1), dim=0),
           [((3, 4),), ((),), ((1,),)]),
    OpCase("logsumexp-axis", lambda x: F.logsumexp(x, axis=-1, keepdims=True),
           lambda x: _torch().logsumexp(x, dim=-1, keepdim=True), [((3, 4),), ((2, 3, 1),)]),
    OpCase("logsumexp-tuple", lambda x: F.logsumexp(x, axis=(0, 2)),
           lambda x: _torch().logsumexp(x, dim=(0, 2)), [SHAPE]),
]

ERROR_CASES = [
    ErrorCase("max-empty", lambda: F.max(gn.Tensor(np.ones((0, 3))), axis=0), ShapeError,
              r"max: cannot reduce an empty axis of a tensor of shape \(0, 3\)"),
    ErrorCase("sum-axis-range", lambda: F.sum(gn.Tensor(np.ones((2, 3))), axis=2), ShapeError,
              "sum: axis 2 is out of range for a tensor with 2 dimensions"),
    ErrorCase("mean-axis-repeat", lambda: F.mean(gn.Tensor(np.ones((2, 3))), axis=(1, -1)), ShapeError,
              "repeats an axis"),
]
