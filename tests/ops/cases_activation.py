"""Op table rows for glassnet.ops.activation."""

from __future__ import annotations

import glassnet as gn
import glassnet.functional as F

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


def _tf():
    import torch.nn.functional

    return torch.nn.functional


UNARY = [((3, 4),), ((),), ((1, 5),), ((0, 3),)]
AXIS_SHAPES = [((3, 4),), ((1, 5),), ((4, 1),)]

CASES = [
    OpCase("relu", F.relu, lambda x: _torch().relu(x), UNARY, avoid=(0.0,)),
    OpCase("leaky_relu", F.leaky_relu, lambda x: _tf().leaky_relu(x), UNARY, avoid=(0.0,)),
    OpCase("leaky_relu-slope", lambda x: F.leaky_relu(x, 0.2), lambda x: _tf().leaky_relu(x, 0.2), UNARY[:2],
           avoid=(0.0,)),
    OpCase("elu", F.elu, lambda x: _tf().elu(x), UNARY, avoid=(0.0,)),
    OpCase("elu-alpha", lambda x: F.elu(x, alpha=0.5), lambda x: _tf().elu(x, alpha=0.5), UNARY[:2],
           avoid=(0.0,)),
    OpCase("selu", F.selu, lambda x: _tf().selu(x), UNARY, avoid=(0.0,)),
    OpCase("gelu", F.gelu, lambda x: _tf().gelu(x), UNARY, low=-4.0, high=4.0),
    OpCase("gelu-tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: _tf().gelu(x, approximate="tanh"),
           UNARY, low=-4.0, high=4.0),
    OpCase("sigmoid", F.sigmoid, lambda x: _torch().sigmoid(x), UNARY, low=-6.0, high=6.0),
    OpCase("tanh", F.tanh, lambda x: _torch().tanh(x), UNARY),
    OpCase("softplus", F.softplus, lambda x: _tf().softplus(x), UNARY, low=-5.0, high=5.0),
    OpCase("softplus-beta-threshold", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
           lambda x: _tf().softplus(x, beta=2.0, threshold=3.0), UNARY[:2], low=-3.0, high=3.0,
           avoid=(1.5,)),
    OpCase("softmax", F.softmax, lambda x: _torch().softmax(x, dim=-1), AXIS_SHAPES),
    OpCase("softmax-axis0", lambda x: F.softmax(x, axis=0), lambda x: _torch().softmax(x, dim=0), AXIS_SHAPES),
    OpCase("softmax-middle", lambda x: F.softmax(x, axis=1), lambda x: _torch().softmax(x, dim=1),
           [((2, 3, 4),)]),
    OpCase("log_softmax", F.log_softmax, lambda x: _torch().log_softmax(x, dim=-1), AXIS_SHAPES),
    OpCase("log_softmax-axis0", lambda x: F.log_softmax(x, axis=0), lambda x: _torch().log_softmax(x, dim=0),
           AXIS_SHAPES),
    OpCase("log_softmax-middle", lambda x: F.log_softmax(x, axis=1), lambda x: _torch().log_softmax(x, dim=1),
           [((2, 3, 4),)]),
]

ERROR_CASES = [
    ErrorCase("gelu-approximate", lambda: F.gelu(gn.Tensor([1.0]), approximate="fast"), ValueError,
              "approximate must be 'none' or 'tanh'"),
]
