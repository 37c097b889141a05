"""Op table rows for glassnet.ops.shape.

Index arrays and masks are module constants captured by the lambdas; the torch twins get them
through ``torch.as_tensor`` (integer arrays) or ``torch.from_numpy`` (boolean masks). torch has
no negative slice step, so ``x[::-2]`` is twinned with ``x.flip(0)[::2]``.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from .cases import ErrorCase, OpCase


def _torch():
    import torch

    return torch


def _long(index) -> object:
    return _torch().as_tensor(np.asarray(index))


def _mask(mask: np.ndarray) -> object:
    return _torch().from_numpy(mask)


def _torch_pad(x, pad_width, value=0.0):
    """torch.nn.functional.pad with NumPy's pad_width: torch wants flat pairs, last axis first."""
    widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    flat = [int(amount) for pair in widths[::-1] for amount in pair]
    return _torch().nn.functional.pad(x, flat, value=value)


def _fill_valid(shape) -> np.ndarray:
    """A (N, T) mask with leading invalid steps, gaps, a fully valid and a fully invalid row."""
    n, t = shape[:2]
    rows = [
        np.arange(t) % 3 != 1,
        np.arange(t) >= 2,
        np.ones(t, dtype=bool),
        np.zeros(t, dtype=bool),
    ]
    return np.array([rows[i % len(rows)] for i in range(n)], dtype=bool).reshape(n, t)


def _fill_source(shape):
    """fill_forward's rule written as the index of plain advanced indexing (the torch twin)."""
    valid = _fill_valid(shape)
    n, t = valid.shape
    source = np.tile(np.arange(t), (n, 1))
    for row in range(n):
        for step in range(1, t):
            if not valid[row, step] and (valid[row, : step + 1].any()):
                source[row, step] = source[row, step - 1]
    return _long(np.arange(n)[:, None]), _long(source)


def _reverse(x):
    return x.permute(tuple(reversed(range(x.ndim))))


def _ones(*shape):
    return np.ones(shape)


REPEATS = np.array([0, 2, 2, 1, 0])
GRID = np.array([[0, 0], [2, 0]])
MASK = np.array([True, False, True, True])
MASK_2D = np.array(
    [[True, False, False, True], [False, False, True, False], [True, True, True, False]]
)
NONE_OF_4 = np.zeros(4, dtype=bool)
ROWS_OF_3 = np.array([True, False, True])
TENSOR_INDEX = gn.Tensor(np.array([2, 0, 2]))

CASES = [
    # reshape: views of contiguous inputs, -1 inferred, 0-d in and out, empty, after a transpose.
    OpCase(
        "reshape",
        lambda x: F.reshape(x, (4, 3)),
        lambda x: x.reshape(4, 3),
        [((3, 4),), ((2, 6),), ((12,),), ((1, 12),)],
    ),
    OpCase(
        "reshape-infer",
        lambda x: F.reshape(x, (-1, 2)),
        lambda x: x.reshape(-1, 2),
        [((3, 4),), ((0, 2),), ((1, 2),)],
    ),
    OpCase(
        "reshape-method",
        lambda x: x.reshape(2, -1),
        lambda x: x.reshape(2, -1),
        [((2, 3, 1),), ((2, 0),)],
    ),
    OpCase(
        "reshape-from-scalar", lambda x: F.reshape(x, (1, 1)), lambda x: x.reshape(1, 1), [((),)]
    ),
    OpCase(
        "reshape-to-scalar",
        lambda x: F.reshape(x, ()),
        lambda x: x.reshape(()),
        [((1, 1),), ((1,),)],
    ),
    OpCase(
        "reshape-after-transpose",
        lambda x: F.reshape(x.T, (-1,)),
        lambda x: x.t().reshape(-1),
        [((2, 3),)],
    ),
    # transpose: reversal by default, explicit and negative axes, 0-d, empty.
    OpCase(
        "transpose", F.transpose, _reverse, [((3, 4),), ((2, 3, 4),), ((),), ((1, 5),), ((0, 3),)]
    ),
    OpCase(
        "transpose-axes",
        lambda x: F.transpose(x, (1, 2, 0)),
        lambda x: x.permute(1, 2, 0),
        [((2, 3, 4),), ((1, 3, 1),)],
    ),
    OpCase(
        "transpose-negative-axes",
        lambda x: F.transpose(x, (-1, 0, -2)),
        lambda x: x.permute(-1, 0, -2),
        [((2, 3, 4),)],
    ),
    OpCase(
        "transpose-method",
        lambda x: x.transpose(0, 2, 1),
        lambda x: x.permute(0, 2, 1),
        [((2, 3, 4),)],
    ),
    OpCase(".T", lambda x: x.T, _reverse, [((3, 4),), ((1, 5),), ((4,),), ((2, 3, 4),)]),
    # broadcast_to: new leading axes, size-1 axes, from 0-d, to an empty axis, to the same shape.
    OpCase(
        "broadcast_to",
        lambda x: F.broadcast_to(x, (2, 3, 4)),
        lambda x: x.expand(2, 3, 4),
        [((3, 4),), ((1, 4),), ((3, 1),), ((),), ((4,),), ((2, 3, 4),)],
    ),
    OpCase(
        "broadcast_to-empty",
        lambda x: F.broadcast_to(x, (0, 4)),
        lambda x: x.expand(0, 4),
        [((1, 4),), ((4,),)],
    ),
    # getitem: one row per kind of index.
    OpCase("getitem-int", lambda x: x[1], lambda x: x[1], [((3, 4),), ((2,),), ((2, 1),)]),
    OpCase("getitem-slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [((3, 4),), ((1, 5),)]),
    OpCase("getitem-empty-slice", lambda x: x[2:2], lambda x: x[2:2], [((3, 4),)]),
    OpCase("getitem-negative-index", lambda x: x[-1, -2:], lambda x: x[-1, -2:], [((3, 4),)]),
    OpCase(
        "getitem-negative-step",
        lambda x: x[::-2, 1:],
        lambda x: x.flip(0)[::2, 1:],
        [((3, 4),), ((4, 2),), ((1, 3),)],
    ),
    OpCase(
        "getitem-repeats", lambda x: x[REPEATS], lambda x: x[_long(REPEATS)], [((3, 4),), ((3,),)]
    ),
    OpCase("getitem-repeats-2d-index", lambda x: x[GRID], lambda x: x[_long(GRID)], [((3, 2),)]),
    OpCase("getitem-list", lambda x: x[[1, 1, 0]], lambda x: x[_long([1, 1, 0])], [((2, 3),)]),
    OpCase(
        "getitem-pairs",
        lambda x: x[[0, 2, 0], [1, 1, 1]],
        lambda x: x[_long([0, 2, 0]), _long([1, 1, 1])],
        [((3, 4),)],
    ),
    OpCase(
        "fill_forward",
        lambda x: F.fill_forward(x, _fill_valid(x.shape)),
        lambda x: x[_fill_source(x.shape)],
        [((4, 6, 3),), ((4, 6),), ((1, 1, 2),), ((0, 6, 2),), ((3, 0),)],
    ),
    OpCase(
        "getitem-tensor-index",
        lambda x: x[TENSOR_INDEX],
        lambda x: x[_long([2, 0, 2])],
        [((3, 4),)],
    ),
    OpCase("getitem-mask", lambda x: x[MASK], lambda x: x[_mask(MASK)], [((4, 2),), ((4,),)]),
    OpCase("getitem-mask-2d", lambda x: x[MASK_2D], lambda x: x[_mask(MASK_2D)], [((3, 4),)]),
    OpCase("getitem-mask-none", lambda x: x[NONE_OF_4], lambda x: x[_mask(NONE_OF_4)], [((4, 3),)]),
    OpCase(
        "getitem-mask-from-values",
        lambda x: x[x > 0],
        lambda x: x[x > 0],
        [((3, 4),)],
        avoid=(0.0,),
    ),
    OpCase(
        "getitem-mixed",
        lambda x: x[REPEATS[:3], 1:],
        lambda x: x[_long(REPEATS[:3]), 1:],
        [((3, 4),)],
    ),
    OpCase(
        "getitem-mixed-mask",
        lambda x: x[ROWS_OF_3, ::-1][:, 1],
        lambda x: x[_mask(ROWS_OF_3)].flip(1)[:, 1],
        [((3, 4),)],
    ),
    OpCase(
        "getitem-ellipsis-none",
        lambda x: x[..., None, 0],
        lambda x: x[..., None, 0],
        [((2, 3, 4),), ((3, 1),)],
    ),
    OpCase("getitem-scalar-none", lambda x: x[None], lambda x: x[None], [((),), ((2,),)]),
    OpCase("getitem-chained", lambda x: x[1:][0, ::-1], lambda x: x[1:][0].flip(0), [((3, 4),)]),
    # concatenate and stack: many inputs, empty axes, negative axes, a constant among tensors.
    OpCase(
        "concatenate",
        lambda a, b: F.concatenate([a, b], axis=0),
        lambda a, b: _torch().cat([a, b], dim=0),
        [((2, 3), (4, 3)), ((0, 3), (1, 3)), ((1, 3), (1, 3)), ((2, 0), (3, 0))],
    ),
    OpCase(
        "concatenate-last",
        lambda a, b, c: F.concatenate([a, b, c], axis=-1),
        lambda a, b, c: _torch().cat([a, b, c], dim=-1),
        [((2, 1), (2, 3), (2, 2)), ((2,), (3,), (1,))],
    ),
    OpCase(
        "concatenate-single",
        lambda a: F.concatenate([a], axis=1),
        lambda a: _torch().cat([a], dim=1),
        [((2, 3),)],
    ),
    OpCase(
        "concatenate-constant",
        lambda a: F.concatenate([a, _ones(1, 3)]),
        lambda a: _torch().cat([a, _torch().ones(1, 3, dtype=_torch().float64)]),
        [((2, 3),)],
    ),
    OpCase(
        "stack",
        lambda a, b: F.stack([a, b]),
        lambda a, b: _torch().stack([a, b]),
        [((2, 3), (2, 3)), ((), ()), ((0, 3), (0, 3)), ((1,), (1,))],
    ),
    OpCase(
        "stack-axis1",
        lambda a, b, c: F.stack([a, b, c], axis=1),
        lambda a, b, c: _torch().stack([a, b, c], dim=1),
        [((2, 3), (2, 3), (2, 3))],
    ),
    OpCase(
        "stack-negative-axis",
        lambda a, b: F.stack((a, b), axis=-1),
        lambda a, b: _torch().stack((a, b), dim=-1),
        [((2, 3), (2, 3)), ((), ())],
    ),
    # pad: every pad_width form, a fill value, an empty axis.
    OpCase(
        "pad",
        lambda x: F.pad(x, ((1, 2), (0, 3))),
        lambda x: _torch_pad(x, ((1, 2), (0, 3))),
        [((2, 3),), ((1, 1),), ((0, 3),)],
    ),
    OpCase(
        "pad-value",
        lambda x: F.pad(x, ((0, 0), (1, 1), (2, 0)), value=0.5),
        lambda x: _torch_pad(x, ((0, 0), (1, 1), (2, 0)), value=0.5),
        [((2, 3, 4),)],
    ),
    OpCase("pad-int", lambda x: F.pad(x, 1), lambda x: _torch_pad(x, 1), [((2, 3),), ((3,),)]),
    OpCase(
        "pad-one-pair",
        lambda x: F.pad(x, (2, 0), value=-1.0),
        lambda x: _torch_pad(x, (2, 0), -1.0),
        [((2, 3),), ((1, 2, 1),)],
    ),
    # squeeze, expand_dims, flatten (reshapes with a computed shape).
    OpCase(
        "squeeze",
        F.squeeze,
        lambda x: x.squeeze(),
        [((1, 3, 1),), ((1,),), ((2, 3),), ((),), ((0, 1),)],
    ),
    OpCase(
        "squeeze-axis", lambda x: F.squeeze(x, 0), lambda x: x.squeeze(0), [((1, 3, 1),), ((),)]
    ),
    OpCase(
        "squeeze-axes", lambda x: x.squeeze((0, -1)), lambda x: x.squeeze((0, -1)), [((1, 3, 1),)]
    ),
    OpCase(
        "expand_dims", lambda x: F.expand_dims(x, 1), lambda x: x.unsqueeze(1), [((3, 4),), ((3,),)]
    ),
    OpCase(
        "expand_dims-negative",
        lambda x: x.unsqueeze(-1),
        lambda x: x.unsqueeze(-1),
        [((3, 4),), ((),), ((0,),)],
    ),
    OpCase(
        "expand_dims-axes",
        lambda x: F.expand_dims(x, (0, -1)),
        lambda x: x.unsqueeze(0).unsqueeze(-1),
        [((3, 4),), ((),)],
    ),
    OpCase("flatten", F.flatten, lambda x: x.flatten(), [((2, 3, 4),), ((),), ((0, 3),), ((5,),)]),
    OpCase(
        "flatten-from1",
        lambda x: x.flatten(1),
        lambda x: x.flatten(1),
        [((2, 3, 4),), ((2, 1, 1),)],
    ),
    OpCase(
        "flatten-middle",
        lambda x: F.flatten(x, 1, -2),
        lambda x: x.flatten(1, -2),
        [((2, 3, 4, 5),), ((2, 3, 4),)],
    ),
]


def _t(*shape: int) -> gn.Tensor:
    return gn.Tensor(np.ones(shape))


ERROR_CASES = [
    ErrorCase(
        "reshape-size",
        lambda: F.reshape(_t(3, 4), (5,)),
        ShapeError,
        r"reshape: cannot reshape \(3, 4\) \(12 elements\) into \(5,\)",
    ),
    ErrorCase(
        "reshape-infer-size",
        lambda: _t(3, 4).reshape(-1, 5),
        ShapeError,
        r"reshape: cannot reshape \(3, 4\) \(12 elements\) into \(-1, 5\): "
        r"12 is not a multiple of 5",
    ),
    ErrorCase(
        "reshape-two-unknowns",
        lambda: F.reshape(_t(3, 4), (-1, -1)),
        ShapeError,
        r"reshape: .*into \(-1, -1\): .*at most one -1",
    ),
    ErrorCase(
        "reshape-negative-size",
        lambda: F.reshape(_t(3, 4), (-2, 6)),
        ShapeError,
        r"reshape: .*into \(-2, 6\): sizes must be >= 0",
    ),
    ErrorCase(
        "reshape-float-size",
        lambda: F.reshape(_t(3, 4), (2.0, 6)),
        TypeError,
        r"reshape: expected an int or a sequence of ints, got \(2.0, 6\)",
    ),
    ErrorCase(
        "transpose-repeated-axis",
        lambda: F.transpose(_t(3, 4), (0, 0)),
        ShapeError,
        r"transpose: axes \(0, 0\) are not a permutation of the axes of a tensor of "
        r"shape \(3, 4\)",
    ),
    ErrorCase(
        "transpose-axis-out-of-range",
        lambda: _t(3, 4).transpose(0, 2),
        ShapeError,
        r"transpose: axes \(0, 2\) are not a permutation",
    ),
    ErrorCase(
        "transpose-too-few-axes",
        lambda: F.transpose(_t(2, 3, 4), (1, 0)),
        ShapeError,
        r"transpose: axes \(1, 0\) .*shape \(2, 3, 4\)",
    ),
    ErrorCase(
        "broadcast_to-shape",
        lambda: F.broadcast_to(_t(3), (2, 4)),
        ShapeError,
        r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 4\)",
    ),
    ErrorCase(
        "broadcast_to-fewer-axes",
        lambda: F.broadcast_to(_t(2, 3), (3,)),
        ShapeError,
        r"broadcast_to: cannot broadcast shape \(2, 3\) to \(3,\)",
    ),
    ErrorCase(
        "getitem-out-of-range",
        lambda: _t(2, 3)[np.array([5])],
        IndexError,
        r"getitem: index <int64 array of shape \(1,\)> does not fit a tensor of "
        r"shape \(2, 3\) \(index 5 is out of bounds",
    ),
    ErrorCase(
        "getitem-too-many-indices",
        lambda: _t(2, 3)[0, 0, 0],
        IndexError,
        r"getitem: index \(0, 0, 0\) does not fit a tensor of shape \(2, 3\) "
        r"\(too many indices",
    ),
    ErrorCase(
        "getitem-mask-shape",
        lambda: _t(2, 3)[MASK],
        IndexError,
        r"getitem: index <bool array of shape \(4,\)> does not fit a tensor of "
        r"shape \(2, 3\)",
    ),
    ErrorCase(
        "getitem-float-index",
        lambda: _t(2, 3)[gn.Tensor([0.0, 1.0])],
        IndexError,
        r"getitem: index <float32 array of shape \(2,\)>.*integer \(or boolean\)",
    ),
    ErrorCase(
        "concatenate-shapes",
        lambda: F.concatenate([_t(2, 3), _t(2, 4)]),
        ShapeError,
        r"concatenate: incompatible shapes \(2, 3\) and \(2, 4\) \(tensors 0 and 1\): "
        r"joining along axis 0",
    ),
    ErrorCase(
        "concatenate-ndim",
        lambda: F.concatenate([_t(2, 3), _t(3)]),
        ShapeError,
        r"concatenate: the tensors must have the same number of dimensions, "
        r"got shapes \(2, 3\), \(3,\)",
    ),
    ErrorCase(
        "concatenate-axis",
        lambda: F.concatenate([_t(2, 3), _t(2, 3)], axis=2),
        ShapeError,
        r"concatenate: axis 2 is out of range for tensors with 2 dimensions "
        r"\(valid: -2 to 1\)",
    ),
    ErrorCase(
        "concatenate-scalars",
        lambda: F.concatenate([_t(), _t()]),
        ShapeError,
        r"concatenate: cannot join 0-d tensors.*use stack",
    ),
    ErrorCase(
        "concatenate-empty",
        lambda: F.concatenate([]),
        InputError,
        r"concatenate: expected at least one tensor",
    ),
    ErrorCase(
        "concatenate-one-tensor",
        lambda: F.concatenate(_t(2, 3)),
        TypeError,
        r"concatenate: expected a list or tuple of tensors, got one Tensor",
    ),
    ErrorCase(
        "stack-shapes",
        lambda: F.stack([_t(2, 3), _t(2, 3), _t(3, 2)]),
        ShapeError,
        r"stack: all tensors must have the same shape, got \(2, 3\) \(tensor 0\) "
        r"and \(3, 2\) \(tensor 2\)",
    ),
    ErrorCase(
        "stack-axis",
        lambda: F.stack([_t(2, 3), _t(2, 3)], axis=3),
        ShapeError,
        r"stack: axis 3 is out of range .*shape \(2, 3\) "
        r"\(the result has 3 dimensions; valid: -3 to 2\)",
    ),
    ErrorCase(
        "stack-empty", lambda: F.stack([]), InputError, r"stack: expected at least one tensor"
    ),
    ErrorCase(
        "pad-negative",
        lambda: F.pad(_t(2, 3), ((0, 1), (-1, 0))),
        ShapeError,
        r"pad: pad_width .* has a negative width",
    ),
    ErrorCase(
        "pad-too-many-pairs",
        lambda: F.pad(_t(2, 3), ((1, 2), (3, 4), (5, 6))),
        ShapeError,
        r"pad: pad_width .* does not fit a tensor of shape \(2, 3\): .* or 2 pairs",
    ),
    ErrorCase(
        "pad-ragged",
        lambda: F.pad(_t(2, 3), ((1, 2), (3,))),
        ShapeError,
        r"pad: pad_width \(\(1, 2\), \(3,\)\) does not fit",
    ),
    ErrorCase(
        "pad-float-width",
        lambda: F.pad(_t(2, 3), 1.5),
        TypeError,
        r"pad: pad_width must hold integers, got 1.5",
    ),
    ErrorCase(
        "squeeze-non-one",
        lambda: F.squeeze(_t(2, 3), 1),
        ShapeError,
        r"squeeze: axis 1 of shape \(2, 3\) has size 3, not 1",
    ),
    ErrorCase(
        "squeeze-negative-non-one",
        lambda: _t(1, 3).squeeze(-1),
        ShapeError,
        r"squeeze: axis -1 of shape \(1, 3\) has size 3, not 1",
    ),
    ErrorCase(
        "squeeze-out-of-range",
        lambda: F.squeeze(_t(1, 3), 2),
        ShapeError,
        r"squeeze: axis 2 is out of range for a tensor of shape \(1, 3\) \(valid: -2 to 1\)",
    ),
    ErrorCase(
        "expand_dims-out-of-range",
        lambda: F.expand_dims(_t(3, 4), 3),
        ShapeError,
        r"expand_dims: axis 3 is out of range for the 3-d result of expanding shape \(3, 4\) "
        r"\(valid: -3 to 2\)",
    ),
    ErrorCase(
        "expand_dims-repeated",
        lambda: F.expand_dims(_t(3), (0, -3)),
        ShapeError,
        r"expand_dims: axes \(0, -3\) name the same axis twice",
    ),
    ErrorCase(
        "fill_forward-misfit",
        lambda: F.fill_forward(_t(2, 3, 4), np.ones((3, 2), dtype=bool)),
        ShapeError,
        r"fill_forward: valid of shape \(3, 2\) does not fit x \(2, 3, 4\)",
    ),
    ErrorCase(
        "fill_forward-not-boolean",
        lambda: F.fill_forward(_t(2, 3), np.ones((2, 3))),
        TypeError,
        r"fill_forward: valid must be a boolean mask, got dtype float64",
    ),
    ErrorCase(
        "flatten-order",
        lambda: F.flatten(_t(2, 3), 1, 0),
        ShapeError,
        r"flatten: start_dim 1 comes after end_dim 0 for a tensor of shape \(2, 3\)",
    ),
    ErrorCase(
        "flatten-out-of-range",
        lambda: _t(2, 3).flatten(2),
        ShapeError,
        r"flatten: axis 2 is out of range for a tensor of shape \(2, 3\)",
    ),
]
