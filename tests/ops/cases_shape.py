"""Op table rows for glassnet.ops.shape."""

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


def _torch_pad(x, pad_width, value=0.0):
    # NumPy: one (before, after) pair per axis, first axis first; torch: flat pairs, last axis first.
    flat = [amount for before_after in reversed(pad_width) for amount in before_after]
    return _tf().pad(x, flat, value=value)


REPEATS = np.array([0, 2, 2, 1, 0])
MASK = np.array([True, False, True, True])

CASES = [
    OpCase("reshape", lambda x: F.reshape(x, (4, 3)), lambda x: x.reshape(4, 3), [((3, 4),), ((2, 6),)]),
    OpCase("reshape-infer", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2), [((3, 4),), ((0, 2),)]),
    OpCase("reshape-scalar", lambda x: F.reshape(x, (1, 1)), lambda x: x.reshape(1, 1), [((),)]),
    OpCase("transpose", F.transpose, lambda x: x.permute(*reversed(range(x.ndim))) if x.ndim else x, [((3, 4),), ((2, 3, 4),), ((),)]),
    OpCase("transpose-axes", lambda x: F.transpose(x, (1, 2, 0)), lambda x: x.permute(1, 2, 0), [((2, 3, 4),)]),
    OpCase(".T", lambda x: x.T, lambda x: x.T, [((3, 4),), ((1, 5),)]),
    OpCase("broadcast_to", lambda x: F.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4),
           [((3, 4),), ((1, 4),), ((3, 1),), ((),)]),
    OpCase("getitem-int", lambda x: x[1], lambda x: x[1], [((3, 4),)]),
    OpCase("getitem-slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [((3, 4),), ((1, 5),)]),
    OpCase("getitem-negative", lambda x: x[-1, -2:], lambda x: x[-1, -2:], [((3, 4),)]),
    OpCase("getitem-reverse", lambda x: x[::-1], lambda x: x.flip(0), [((3, 4),)]),
    OpCase("getitem-repeats", lambda x: x[REPEATS], lambda x: x[_torch().as_tensor(REPEATS)], [((3, 4),)]),
    OpCase("getitem-mask", lambda x: x[MASK], lambda x: x[_torch().as_tensor(MASK)], [((4, 2),)]),
    OpCase("getitem-mixed", lambda x: x[REPEATS[:3], 1:], lambda x: x[_torch().as_tensor(REPEATS[:3]), 1:],
           [((3, 4),)]),
    OpCase("getitem-ellipsis-none", lambda x: x[..., None, 0], lambda x: x[..., None, 0], [((2, 3, 4),)]),
    OpCase("getitem-pairs", lambda x: x[[0, 2, 0], [1, 1, 1]],
           lambda x: x[_torch().as_tensor([0, 2, 0]), _torch().as_tensor([1, 1, 1])], [((3, 4),)]),
    OpCase("concatenate", lambda a, b: F.concatenate([a, b], axis=0), lambda a, b: _torch().cat([a, b], dim=0),
           [((2, 3), (4, 3)), ((0, 3), (1, 3))]),
    OpCase("concatenate-last", lambda a, b, c: F.concatenate([a, b, c], axis=-1),
           lambda a, b, c: _torch().cat([a, b, c], dim=-1), [((2, 1), (2, 3), (2, 2))]),
    OpCase("stack", lambda a, b: F.stack([a, b]), lambda a, b: _torch().stack([a, b]), [((2, 3), (2, 3)), ((), ())]),
    OpCase("stack-axis1", lambda a, b, c: F.stack([a, b, c], axis=1), lambda a, b, c: _torch().stack([a, b, c], dim=1),
           [((2, 3), (2, 3), (2, 3))]),
    OpCase("pad", lambda x: F.pad(x, ((1, 2), (0, 3))), lambda x: _torch_pad(x, ((1, 2), (0, 3))),
           [((2, 3),), ((1, 1),)]),
    OpCase("pad-value", lambda x: F.pad(x, ((0, 0), (1, 1), (2, 0)), value=0.5),
           lambda x: _torch_pad(x, ((0, 0), (1, 1), (2, 0)), value=0.5), [((2, 3, 4),)]),
    OpCase("squeeze", F.squeeze, lambda x: x.squeeze(), [((1, 3, 1),), ((1,),), ((2, 3),)]),
    OpCase("squeeze-axis", lambda x: F.squeeze(x, 0), lambda x: x.squeeze(0), [((1, 3, 1),)]),
    OpCase("expand_dims", lambda x: F.expand_dims(x, 1), lambda x: x.unsqueeze(1), [((3, 4),), ((3,),)]),
    OpCase("expand_dims-negative", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [((3, 4),), ((),)]),
    OpCase("flatten", F.flatten, lambda x: x.flatten(), [((2, 3, 4),), ((),), ((0, 3),)]),
    OpCase("flatten-from1", lambda x: F.flatten(x, 1), lambda x: x.flatten(1), [((2, 3, 4),), ((2, 1, 1),)]),
]

ERROR_CASES = [
    ErrorCase("reshape-size", lambda: F.reshape(gn.Tensor(np.ones((3, 4))), (5,)), ShapeError,
              r"reshape: cannot reshape \(3, 4\) \(12 elements\) into \(5,\)"),
    ErrorCase("squeeze-non-one", lambda: F.squeeze(gn.Tensor(np.ones((2, 3))), 1), ShapeError,
              r"squeeze: axis 1 of shape \(2, 3\) has size 3, not 1"),
    ErrorCase("getitem-out-of-range", lambda: gn.Tensor(np.ones((2, 3)))[np.array([5])], Exception,
              "index 5 is out of bounds"),
    ErrorCase("concatenate-shapes",
              lambda: F.concatenate([gn.Tensor(np.ones((2, 3))), gn.Tensor(np.ones((2, 4)))]),
              ShapeError, r"concatenate: incompatible shapes \(2, 3\) and \(2, 4\)"),
    ErrorCase("broadcast_to-shape", lambda: F.broadcast_to(gn.Tensor(np.ones(3)), (2, 4)), ShapeError,
              r"broadcast_to: incompatible shapes \(3,\)"),
    ErrorCase("flatten-order", lambda: F.flatten(gn.Tensor(np.ones((2, 3))), 1, 0), ShapeError,
              "start_dim 1 comes after end_dim 0"),
]
