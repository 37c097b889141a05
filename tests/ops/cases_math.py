"""Op table rows for glassnet.ops.math."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


UNARY = [((3, 4),), ((),), ((1, 5),), ((0, 3),)]
BINARY = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((1,), (5,)),
    ((0, 3), (3,)),
]


def _apart(rng: np.random.Generator, shapes, dtype) -> list[np.ndarray]:
    """Two operands on interleaved grids (multiples of 0.2, and those plus 0.1): 0.1 apart at least.

    Ties are a kink of maximum/minimum; test_math.py checks them on purpose.
    """
    a = rng.integers(-10, 10, size=shapes[0]) * 0.2
    b = rng.integers(-10, 10, size=shapes[1]) * 0.2 + 0.1
    return [np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)]


def _where_inputs(rng: np.random.Generator, shapes, dtype) -> list[np.ndarray]:
    condition = rng.random(shapes[0]) > 0.5
    a = rng.normal(size=shapes[1]).astype(dtype)
    b = rng.normal(size=shapes[2]).astype(dtype)
    return [condition, a, b]


CASES = [
    OpCase("exp", F.exp, lambda x: _torch().exp(x), UNARY),
    OpCase("log", F.log, lambda x: _torch().log(x), UNARY, low=0.2, high=3.0),
    OpCase("sqrt", F.sqrt, lambda x: _torch().sqrt(x), UNARY, low=0.2, high=3.0),
    OpCase("abs", F.abs, lambda x: _torch().abs(x), UNARY, avoid=(0.0,)),
    OpCase(
        "clip",
        lambda x: F.clip(x, -0.5, 0.8),
        lambda x: _torch().clamp(x, -0.5, 0.8),
        UNARY,
        avoid=(-0.5, 0.8),
    ),
    OpCase(
        "clip-low-only",
        lambda x: F.clip(x, low=0.1),
        lambda x: _torch().clamp(x, min=0.1),
        UNARY,
        avoid=(0.1,),
    ),
    OpCase(
        "clip-high-only",
        lambda x: F.clip(x, high=0.1),
        lambda x: _torch().clamp(x, max=0.1),
        UNARY,
        avoid=(0.1,),
    ),
    OpCase("maximum", F.maximum, lambda a, b: _torch().maximum(a, b), BINARY, sampler=_apart),
    OpCase("minimum", F.minimum, lambda a, b: _torch().minimum(a, b), BINARY, sampler=_apart),
    # A Python number as the other operand (0.05 is never on the sampler's grids).
    OpCase(
        "maximum-scalar",
        lambda x: F.maximum(x, 0.05),
        lambda x: _torch().clamp(x, min=0.05),
        [((3, 4),), ((),)],
        avoid=(0.05,),
    ),
    OpCase(
        "where",
        F.where,
        lambda c, a, b: _torch().where(c, a, b),
        [
            ((3, 4), (3, 4), (3, 4)),
            ((3, 4), (4,), ()),
            ((2, 1), (1, 3), (2, 3)),
            ((), (2,), (2,)),
            ((0, 3), (3,), (1,)),
        ],
        sampler=_where_inputs,
        grad_inputs=(1, 2),
    ),
]

ERROR_CASES = [
    ErrorCase(
        "clip-no-bounds",
        lambda: F.clip(gn.Tensor([1.0])),
        ValueError,
        "clip: give at least one of low and high",
    ),
    ErrorCase(
        "maximum-broadcast",
        lambda: F.maximum(gn.Tensor(np.ones(3)), gn.Tensor(np.ones(4))),
        ValueError,
        r"maximum: incompatible shapes \(3,\) and \(4,\)",
    ),
    ErrorCase(
        "where-broadcast",
        lambda: F.where(np.ones((2, 3), dtype=bool), gn.Tensor(np.ones(4)), 0.0),
        ValueError,
        r"where: incompatible shapes \(2, 3\) and \(4,\)",
    ),
]
