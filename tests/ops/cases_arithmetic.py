"""Op table rows for glassnet.ops.arithmetic and glassnet.ops.linalg."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from .cases import ErrorCase, OpCase

BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((1,), (5,)),
    ((0, 3), (3,)),
]

CASES = [
    OpCase("add", F.add, lambda a, b: a + b, BINARY_SHAPES),
    OpCase("sub", F.sub, lambda a, b: a - b, BINARY_SHAPES),
    OpCase("mul", F.mul, lambda a, b: a * b, BINARY_SHAPES),
    OpCase("div", F.div, lambda a, b: a / b, BINARY_SHAPES, low=(-2.0, 0.5), high=(2.0, 2.0)),
    OpCase("neg", F.neg, lambda x: -x, [((3, 4),), ((),), ((0,),)]),
    OpCase("pow-scalar", lambda x: x**3, lambda x: x**3, [((3, 4),), ((),)]),
    OpCase("pow-fractional", lambda x: x**0.5, lambda x: x**0.5, [((3, 4),), ((),)], low=0.5),
    OpCase(
        "pow-tensor", F.pow, lambda a, b: a**b, BINARY_SHAPES[:5], low=(0.5, -2.0), high=(2.0, 2.0)
    ),
    OpCase("rsub-scalar", lambda x: 1.0 - x, lambda x: 1.0 - x, [((3, 2),)]),
    OpCase("rdiv-scalar", lambda x: 2.0 / x, lambda x: 2.0 / x, [((3, 2),)], low=0.5),
    OpCase(
        "astype", lambda x: F.astype(x, np.float64) * 2.0, lambda x: x.double() * 2.0, [((3, 2),)]
    ),
    OpCase(
        "matmul",
        F.matmul,
        lambda a, b: a @ b,
        [
            ((3, 4), (4, 5)),
            ((4,), (4,)),
            ((4,), (4, 2)),
            ((3, 4), (4,)),
            ((2, 3, 4), (4, 5)),
            ((2, 1, 3, 4), (5, 4, 2)),
            ((1, 4), (4, 1)),
            ((0, 4), (4, 3)),
        ],
    ),
    OpCase(
        "linear",
        F.linear,
        lambda x, w, b: __import__("torch").nn.functional.linear(x, w, b),
        [
            ((5, 3), (4, 3), (4,)),
            ((1, 3), (1, 3), (1,)),
            ((2, 5, 3), (4, 3), (4,)),
            ((0, 3), (2, 3), (2,)),
        ],
    ),
    OpCase(
        "linear_relu",
        F.linear_relu,
        lambda x, w, b: __import__("torch").relu(__import__("torch").nn.functional.linear(x, w, b)),
        [
            ((5, 3), (4, 3), (4,)),
            ((1, 3), (1, 3), (1,)),
            ((2, 5, 3), (4, 3), (4,)),
            ((0, 3), (2, 3), (2,)),
        ],
    ),
    OpCase(
        "linear_relu-nobias",
        F.linear_relu,
        lambda x, w: __import__("torch").relu(__import__("torch").nn.functional.linear(x, w)),
        [((5, 3), (4, 3))],
    ),
    OpCase(
        "linear-nobias",
        F.linear,
        lambda x, w: __import__("torch").nn.functional.linear(x, w),
        [((5, 3), (4, 3))],
    ),
]

ERROR_CASES = [
    ErrorCase(
        "add-broadcast",
        lambda: gn.Tensor(np.ones((3, 4))) + gn.Tensor(np.ones(5)),
        ShapeError,
        r"add: .*\(3, 4\).*\(5,\)",
    ),
    ErrorCase(
        "mul-broadcast",
        lambda: F.mul(np.ones((2, 3)), gn.Tensor(np.ones((3, 2)))),
        ShapeError,
        r"mul: .*\(2, 3\).*\(3, 2\)",
    ),
    ErrorCase(
        "matmul-inner",
        lambda: gn.Tensor(np.ones((3, 4))) @ gn.Tensor(np.ones((5, 2))),
        ShapeError,
        r"matmul: \(3, 4\) @ \(5, 2\).*inner dimensions differ \(4 vs 5\)",
    ),
    ErrorCase(
        "matmul-scalar",
        lambda: F.matmul(gn.Tensor(2.0), gn.Tensor(np.ones(3))),
        ShapeError,
        r"matmul: .*at least one axis",
    ),
    ErrorCase(
        "linear_relu-features",
        lambda: F.linear_relu(gn.Tensor(np.ones((5, 3))), gn.Tensor(np.ones((4, 2)))),
        ShapeError,
        r"linear_relu: input of shape \(5, 3\).*\(4, 2\)",
    ),
    ErrorCase(
        "linear-features",
        lambda: F.linear(gn.Tensor(np.ones((5, 3))), gn.Tensor(np.ones((4, 2)))),
        ShapeError,
        r"linear: input of shape \(5, 3\).*\(4, 2\).*expected input \(batch, 2\)",
    ),
]
