"""Op table rows for glassnet.ops.activation."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


def _tf():
    import torch.nn.functional

    return torch.nn.functional


# Element-wise: a matrix, a scalar, a size-1 axis, an empty batch, three axes.
UNARY = [((3, 4),), ((),), ((1, 5),), ((0, 3),), ((2, 3, 4),)]
# Along the last axis: a plain matrix, a size-1 leading axis, a size-1 softmax axis, an empty
# softmax axis, an empty batch, a vector and a scalar (torch treats it as one value along dim 0).
LAST_AXIS = [((3, 4),), ((1, 5),), ((4, 1),), ((3, 0),), ((0, 3),), ((5,),), ((),)]
# Along axis 0: the same shapes, where (1, 5) now has the size-1 axis and (0, 3) the empty one.
FIRST_AXIS = [((3, 4),), ((1, 5),), ((4, 1),), ((0, 3),), ((5,),), ((),)]
MIDDLE_AXIS = [((2, 3, 4),), ((2, 1, 4),), ((2, 0, 4),)]

CASES = [
    # Kinks at 0 (relu, leaky_relu, elu, selu): test_activation.py checks their subgradients.
    OpCase("relu", F.relu, lambda x: _torch().relu(x), UNARY, avoid=(0.0,)),
    OpCase("leaky_relu", F.leaky_relu, lambda x: _tf().leaky_relu(x), UNARY, avoid=(0.0,)),
    OpCase(
        "leaky_relu-slope",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: _tf().leaky_relu(x, 0.2),
        UNARY,
        avoid=(0.0,),
    ),
    OpCase(
        "leaky_relu-steep",
        lambda x: F.leaky_relu(x, negative_slope=1.5),
        lambda x: _tf().leaky_relu(x, negative_slope=1.5),
        UNARY[:2],
        avoid=(0.0,),
    ),
    OpCase("elu", F.elu, lambda x: _tf().elu(x), UNARY, low=-6.0, high=3.0, avoid=(0.0,)),
    OpCase(
        "elu-alpha",
        lambda x: F.elu(x, alpha=0.5),
        lambda x: _tf().elu(x, alpha=0.5),
        UNARY,
        avoid=(0.0,),
    ),
    OpCase("selu", F.selu, lambda x: _tf().selu(x), UNARY, low=-6.0, high=3.0, avoid=(0.0,)),
    OpCase("gelu", F.gelu, lambda x: _tf().gelu(x), UNARY, low=-4.0, high=4.0),
    # Out to the tails, where Phi is tiny (left) or 1 (right) and the erfc branch takes over.
    OpCase("gelu-wide", F.gelu, lambda x: _tf().gelu(x), UNARY[:2], low=-12.0, high=12.0),
    OpCase(
        "gelu-tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: _tf().gelu(x, approximate="tanh"),
        UNARY,
        low=-4.0,
        high=4.0,
    ),
    OpCase(
        "gelu-tanh-wide",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: _tf().gelu(x, approximate="tanh"),
        UNARY[:2],
        low=-12.0,
        high=12.0,
    ),
    OpCase("sigmoid", F.sigmoid, lambda x: _torch().sigmoid(x), UNARY, low=-6.0, high=6.0),
    OpCase(
        "sigmoid-wide", F.sigmoid, lambda x: _torch().sigmoid(x), UNARY[:2], low=-30.0, high=30.0
    ),
    OpCase("tanh", F.tanh, lambda x: _torch().tanh(x), UNARY, low=-4.0, high=4.0),
    OpCase("softplus", F.softplus, lambda x: _tf().softplus(x), UNARY, low=-5.0, high=5.0),
    # Both sides of the default threshold 20 (linear above it); avoid the switch itself.
    OpCase(
        "softplus-threshold",
        F.softplus,
        lambda x: _tf().softplus(x),
        UNARY[:2],
        low=-30.0,
        high=30.0,
        avoid=(20.0,),
    ),
    OpCase(
        "softplus-beta-threshold",
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: _tf().softplus(x, beta=2.0, threshold=3.0),
        UNARY,
        low=-3.0,
        high=3.0,
        avoid=(1.5,),
    ),
    OpCase(
        "softplus-small-beta",
        lambda x: F.softplus(x, beta=0.5),
        lambda x: _tf().softplus(x, beta=0.5),
        UNARY[:2],
        low=-6.0,
        high=6.0,
    ),
    OpCase("softmax", F.softmax, lambda x: _torch().softmax(x, dim=-1), LAST_AXIS),
    OpCase(
        "softmax-axis0",
        lambda x: F.softmax(x, axis=0),
        lambda x: _torch().softmax(x, dim=0),
        FIRST_AXIS,
    ),
    OpCase(
        "softmax-middle",
        lambda x: F.softmax(x, axis=1),
        lambda x: _torch().softmax(x, dim=1),
        MIDDLE_AXIS,
    ),
    OpCase(
        "softmax-negative-middle",
        lambda x: F.softmax(x, axis=-2),
        lambda x: _torch().softmax(x, dim=-2),
        MIDDLE_AXIS,
    ),
    OpCase(
        "softmax-wide",
        F.softmax,
        lambda x: _torch().softmax(x, dim=-1),
        LAST_AXIS[:2],
        low=-30.0,
        high=30.0,
    ),
    OpCase("log_softmax", F.log_softmax, lambda x: _torch().log_softmax(x, dim=-1), LAST_AXIS),
    OpCase(
        "log_softmax-axis0",
        lambda x: F.log_softmax(x, axis=0),
        lambda x: _torch().log_softmax(x, dim=0),
        FIRST_AXIS,
    ),
    OpCase(
        "log_softmax-middle",
        lambda x: F.log_softmax(x, axis=1),
        lambda x: _torch().log_softmax(x, dim=1),
        MIDDLE_AXIS,
    ),
    OpCase(
        "log_softmax-negative-middle",
        lambda x: F.log_softmax(x, axis=-2),
        lambda x: _torch().log_softmax(x, dim=-2),
        MIDDLE_AXIS,
    ),
    OpCase(
        "log_softmax-wide",
        F.log_softmax,
        lambda x: _torch().log_softmax(x, dim=-1),
        LAST_AXIS[:2],
        low=-30.0,
        high=30.0,
    ),
    # The Tensor methods route to the same ops.
    OpCase("tensor.relu", lambda x: x.relu(), lambda x: x.relu(), UNARY[:2], avoid=(0.0,)),
    OpCase("tensor.sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid(), UNARY[:2]),
    OpCase("tensor.tanh", lambda x: x.tanh(), lambda x: x.tanh(), UNARY[:2]),
    OpCase(
        "tensor.softmax", lambda x: x.softmax(axis=0), lambda x: x.softmax(dim=0), MIDDLE_AXIS[:1]
    ),
    OpCase(
        "tensor.log_softmax",
        lambda x: x.log_softmax(axis=1),
        lambda x: x.log_softmax(dim=1),
        MIDDLE_AXIS[:1],
    ),
]


def _matrix() -> gn.Tensor:
    return gn.Tensor(np.ones((2, 3), dtype=np.float32))


ERROR_CASES = [
    ErrorCase(
        "gelu-approximate",
        lambda: F.gelu(gn.Tensor([1.0]), approximate="fast"),
        ValueError,
        r"gelu: approximate must be 'none' or 'tanh', got 'fast'",
    ),
    ErrorCase(
        "gelu-approximate-case",
        lambda: F.gelu(gn.Tensor([1.0]), approximate="Tanh"),
        ValueError,
        r"approximate must be 'none' or 'tanh', got 'Tanh'",
    ),
    ErrorCase(
        "softmax-axis-range",
        lambda: F.softmax(_matrix(), axis=2),
        ShapeError,
        r"softmax: axis 2 is out of range for a tensor with 2 dimensions \(valid: -2 to 1\)",
    ),
    ErrorCase(
        "softmax-axis-range-negative",
        lambda: _matrix().softmax(axis=-3),
        ShapeError,
        r"softmax: axis -3 is out of range",
    ),
    ErrorCase(
        "softmax-axis-range-scalar",
        lambda: F.softmax(gn.Tensor(1.0), axis=1),
        ShapeError,
        r"softmax: axis 1 is out of range for a tensor with 0 dimensions \(valid: -1 to 0\)",
    ),
    ErrorCase(
        "softmax-axis-not-int",
        lambda: F.softmax(_matrix(), axis=None),
        TypeError,
        r"softmax: axis must be an int, got None",
    ),
    ErrorCase(
        "log_softmax-axis-range",
        lambda: F.log_softmax(_matrix(), axis=2),
        ShapeError,
        r"log_softmax: axis 2 is out of range for a tensor with 2 dimensions",
    ),
    ErrorCase(
        "log_softmax-axis-not-int",
        lambda: _matrix().log_softmax(axis=1.0),
        TypeError,
        r"log_softmax: axis must be an int, got 1.0",
    ),
]
