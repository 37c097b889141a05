"""Shape ops: reshape, transpose, broadcast_to, getitem, concatenate, stack, pad, squeeze,
expand_dims, flatten.

None of them changes a value, so each backward only moves the gradient back into the input's
layout. Forward passes return NumPy views where NumPy does (reshape, transpose, basic indexing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError

__all__ = ["reshape", "transpose", "broadcast_to", "getitem", "concatenate", "stack", "pad", "squeeze",
           "expand_dims", "flatten"]


class Reshape(Function):
    """Same values, new shape (one axis may be -1).

    forward:  y = reshape(x, shape)
    backward: dx = reshape(dy, x.shape)
    shapes:   x (*A) -> y (*B), prod(A) = prod(B)
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        return x.reshape(self.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        return dy.reshape(shape)

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        size = int(np.prod(shapes[0]))
        return ShapeError(f"reshape: cannot reshape {shapes[0]} ({size} elements) into {self.shape}.")


class Transpose(Function):
    """Permute axes (reverse them when axes is None).

    forward:  y = transpose(x, axes)
    backward: dx = transpose(dy, inverse(axes))
    shapes:   x (d0, ..., dk) -> y (d[axes[0]], ..., d[axes[k]])
    """

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        axes = self.axes if self.axes is not None else tuple(range(x.ndim))[::-1]
        self.save(axes)
        return np.transpose(x, axes)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (axes,) = self.saved
        return np.transpose(dy, np.argsort(axes))


class BroadcastTo(Function):
    """Repeat along new leading axes and size-1 axes.

    forward:  y = broadcast_to(x, shape)
    backward: dx = unbroadcast(dy, x.shape)
    shapes:   x (*A) -> y (*shape)
    """

    name = "broadcast_to"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        return np.broadcast_to(x, self.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        return unbroadcast(dy, shape)


class GetItem(Function):
    """Indexing with NumPy's rules: ints, slices, None, Ellipsis, integer arrays, boolean masks.

    forward:  y = x[index]
    backward: dx = zeros(x.shape); dx[index] += dy   (np.add.at for array indices, so repeated
              indices accumulate)
    shapes:   x (*) -> y (shape of x[index])
    """

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape, x.dtype)
        return x[self.index]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        shape, dtype = self.saved
        dx = np.zeros(shape, dtype=dy.dtype)
        if _is_advanced(self.index):
            np.add.at(dx, self.index, dy)
        else:
            dx[self.index] = dy
        return dx

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        return ShapeError(f"getitem: index {self.index!r} does not fit a tensor of shape {shapes[0]} ({reason}).")


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(part, (np.ndarray, list)) for part in parts)


class Concatenate(Function):
    """Join tensors along an existing axis.

    forward:  y = concatenate([x1, ..., xk], axis)
    backward: dxi = the slice of dy that xi filled
    shapes:   xi (*, ni, *) -> y (*, sum(ni), *)
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        y = np.concatenate(xs, axis=self.axis)
        axis = self.axis % y.ndim
        self.save(axis, np.cumsum([x.shape[axis] for x in xs])[:-1])
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, ...]:
        axis, boundaries = self.saved
        return tuple(np.split(dy, boundaries, axis=axis))


class Stack(Function):
    """Join same-shaped tensors along a new axis.

    forward:  y = stack([x1, ..., xk], axis)
    backward: dxi = take(dy, i, axis)
    shapes:   xi (*S) -> y (*S with k inserted at axis)
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        y = np.stack(xs, axis=self.axis)
        self.save(self.axis % y.ndim, len(xs))
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, ...]:
        axis, count = self.saved
        return tuple(np.take(dy, i, axis=axis) for i in range(count))


class Pad(Function):
    """Pad with a constant, NumPy's ``pad_width`` convention ((before, after) per axis).

    forward:  y = pad(x, pad_width, constant value)
    backward: dx = dy[before_0 : before_0 + n_0, ...]
    shapes:   x (n_0, ...) -> y (before_0 + n_0 + after_0, ...)
    """

    def __init__(self, pad_width: Any, value: float) -> None:
        self.pad_width = pad_width
        self.value = value

    def forward(self, x: np.ndarray) -> np.ndarray:
        widths = np.broadcast_to(np.asarray(self.pad_width, dtype=int), (x.ndim, 2))
        self.save(tuple(slice(before, before + size) for (before, _), size in zip(widths, x.shape)))
        return np.pad(x, widths, mode="constant", constant_values=self.value)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (inside,) = self.saved
        return dy[inside]


def reshape(x: TensorLike, shape: Sequence[int]) -> Tensor:
    """The same values in a new shape. See :class:`Reshape`."""
    return Reshape.apply(x, shape=tuple(shape))


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes; reverse them by default (``.T``). See :class:`Transpose`."""
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def broadcast_to(x: TensorLike, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape``. See :class:`BroadcastTo`."""
    return BroadcastTo.apply(x, shape=tuple(shape))


def getitem(x: TensorLike, index: Any) -> Tensor:
    """``x[index]``; Tensor indices are used by value. See :class:`GetItem`."""
    return GetItem.apply(x, index=_plain_index(index))


def _plain_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(part.data if isinstance(part, Tensor) else part for part in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def concatenate(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join along an existing axis. See :class:`Concatenate`."""
    if len(tensors) == 0:
        raise ValueError("concatenate: expected at least one tensor.")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join along a new axis. See :class:`Stack`."""
    if len(tensors) == 0:
        raise ValueError("stack: expected at least one tensor.")
    return Stack.apply(*tensors, axis=axis)


def pad(x: TensorLike, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with ``value``; ``pad_width`` as in ``np.pad``. See :class:`Pad`."""
    return Pad.apply(x, pad_width=pad_width, value=value)


def squeeze(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 axes (all, or those named). Built on :func:`reshape`."""
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    ndim = len(shape)
    if axis is None:
        axes = {i for i, size in enumerate(shape) if size == 1}
    else:
        axes = {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
        wrong = [a for a in axes if shape[a] != 1]
        if wrong:
            raise ShapeError(f"squeeze: axis {wrong[0]} of shape {shape} has size {shape[wrong[0]]}, not 1.")
    return reshape(x, [size for i, size in enumerate(shape) if i not in axes])


def expand_dims(x: TensorLike, axis: int) -> Tensor:
    """Insert a size-1 axis at ``axis`` (``unsqueeze``). Built on :func:`reshape`."""
    shape = list(np.shape(x.data if isinstance(x, Tensor) else x))
    position = axis if axis >= 0 else len(shape) + 1 + axis
    if not 0 <= position <= len(shape):
        raise ShapeError(f"expand_dims: axis {axis} is out of range for a tensor with {len(shape)} dimensions.")
    shape.insert(position, 1)
    return reshape(x, shape)


def flatten(x: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (torch.flatten). Built on :func:`reshape`."""
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    if not shape:
        return reshape(x, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {shape}.")
    merged = int(np.prod(shape[start:end + 1]))
    return reshape(x, (*shape[:start], merged, *shape[end + 1:]))
