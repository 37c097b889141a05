"""Shape ops: reshape, transpose, broadcast_to, getitem, concatenate, stack, pad, fill_forward, and
the derived squeeze, expand_dims and flatten.

None of them changes a value, so every backward only moves the gradient back into the input's
layout. Forward passes return NumPy views wherever NumPy can (reshape of a contiguous array,
transpose, broadcast_to, basic indexing), so reshaping or slicing a large tensor copies nothing.
squeeze, expand_dims and flatten are reshapes with a computed shape: they need no backward.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError

__all__ = [
    "reshape",
    "transpose",
    "broadcast_to",
    "getitem",
    "concatenate",
    "stack",
    "pad",
    "fill_forward",
    "squeeze",
    "expand_dims",
    "flatten",
]

ShapeLike = int | Sequence[int]


class Reshape(Function):
    """Same values in a new shape; one size may be -1, inferred from the others.

    forward:  y = reshape(x, shape)
    backward: dx = reshape(dy, x.shape)
    shapes:   x (*A) -> y (*B), prod(A) = prod(B)
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        # NumPy takes any negative size as "infer" (-2 included); torch and glassnet accept only -1.
        if any(size < -1 for size in self.shape) or self.shape.count(-1) > 1:
            raise self.shape_error([x.shape], "bad sizes")
        self.save(x.shape)
        return x.reshape(self.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        return dy.reshape(shape)

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        size = math.prod(shapes[0])
        head = f"reshape: cannot reshape {shapes[0]} ({size} elements) into {self.shape}"
        if any(s < -1 for s in self.shape) or self.shape.count(-1) > 1:
            return ShapeError(f"{head}: sizes must be >= 0, with at most one -1 to infer a size.")
        known = math.prod(s for s in self.shape if s != -1)
        if -1 not in self.shape:
            return ShapeError(f"{head} ({known} elements).")
        if known == 0:
            return ShapeError(f"{head}: -1 cannot be inferred when the other sizes multiply to 0.")
        return ShapeError(
            f"{head}: {size} is not a multiple of {known}, the product of the other sizes."
        )


class Transpose(Function):
    """Permute the axes; reverse them when ``axes`` is None (NumPy's ``.T``).

    forward:  y = transpose(x, axes)
    backward: dx = transpose(dy, inverse(axes)),   inverse(axes)[axes[i]] = i
    shapes:   x (d_0, ..., d_k) -> y (d_axes[0], ..., d_axes[k])
    """

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        axes = tuple(reversed(range(x.ndim))) if self.axes is None else self._permutation(x.shape)
        # The inverse permutation, normalized: argsort of raw axes such as (-1, 0) would be wrong.
        self.save(tuple(sorted(range(x.ndim), key=axes.__getitem__)))
        return x.transpose(axes)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (inverse,) = self.saved
        return dy.transpose(inverse)

    def _permutation(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        ndim = len(shape)
        axes = self.axes or ()
        normalized = [a % ndim for a in axes if -ndim <= a < ndim]
        if len(axes) != ndim or sorted(normalized) != list(range(ndim)):
            valid = f"each of 0..{ndim - 1} (or -{ndim}..-1) once" if ndim else "no axes"
            raise ShapeError(
                f"transpose: axes {self.axes} are not a permutation of the axes of a "
                f"tensor of shape {shape}: expected {valid}."
            )
        return tuple(normalized)


class BroadcastTo(Function):
    """Repeat along new leading axes and along size-1 axes (a read-only view, no copy).

    forward:  y = broadcast_to(x, shape)
    backward: dx = unbroadcast(dy, x.shape)   (sum over the repeated axes)
    shapes:   x (*A) -> y (*shape), A aligned right with shape, each size equal or 1
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

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        return ShapeError(
            f"broadcast_to: cannot broadcast shape {shapes[0]} to {self.shape}: aligned from the "
            "last axis, each size must equal the target's or be 1, and the target needs at least "
            "as many axes."
        )


class GetItem(Function):
    """Indexing with NumPy's rules: ints, slices, None, Ellipsis, integer arrays, boolean masks.

    forward:  y = x[index]
    backward: dx = zeros(x.shape); dx[index] = dy, or np.add.at(dx, index, dy) when integer
              arrays may repeat an element (repeats accumulate)
    shapes:   x (*) -> y (shape of x[index])
    """

    def __init__(self, index: Any) -> None:
        self.index = index
        # Only integer arrays can pick an element twice; slices, ints and boolean masks pick each
        # element at most once, so plain assignment (much faster than np.add.at) is exact for them.
        self.scatter = _has_integer_array(index)

    def forward(self, x: np.ndarray) -> np.ndarray:
        try:
            y = x[self.index]
        except IndexError as exc:
            raise IndexError(
                f"getitem: index {_describe(self.index)} does not fit a tensor of "
                f"shape {x.shape} ({exc})."
            ) from exc
        self.save(x.shape)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        dx = np.zeros(shape, dtype=dy.dtype)
        if self.scatter:
            np.add.at(dx, self.index, dy)
        else:
            dx[self.index] = dy
        return dx


def _has_integer_array(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" and p.ndim > 0 for p in parts)


def _describe(index: Any) -> str:
    """A short description of an index for messages: arrays by dtype and shape, not by value."""
    if isinstance(index, tuple):
        inner = ", ".join(_describe(part) for part in index)
        return f"({inner},)" if len(index) == 1 else f"({inner})"
    if isinstance(index, np.ndarray) and index.ndim > 0:
        return f"<{index.dtype} array of shape {index.shape}>"
    return repr(index)


class Concatenate(Function):
    """Join tensors along an existing axis.

    forward:  y = concatenate([x_1, ..., x_k], axis)
    backward: dx_i = the slice of dy along axis that x_i filled
    shapes:   x_i (*, n_i, *) -> y (*, n_1 + ... + n_k, *), the other sizes equal
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        y = np.concatenate(xs, axis=self.axis)
        axis = self.axis % y.ndim
        self.save(axis, list(itertools.accumulate(x.shape[axis] for x in xs[:-1])))
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        axis, boundaries = self.saved
        parts = np.split(dy, boundaries, axis=axis)
        return tuple(part if needed else None for part, needed in zip(parts, self.needs_grad))

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        ndims = {len(shape) for shape in shapes}
        if 0 in ndims:
            return ShapeError(
                f"concatenate: cannot join 0-d tensors (shapes {_listed(shapes)}) "
                "along an axis they do not have; use stack to make a new axis."
            )
        if len(ndims) > 1:
            return ShapeError(
                "concatenate: the tensors must have the same number of dimensions, "
                f"got shapes {_listed(shapes)}."
            )
        ndim = ndims.pop()
        if not -ndim <= self.axis < ndim:
            return ShapeError(
                f"concatenate: axis {self.axis} is out of range for tensors with "
                f"{ndim} dimensions (valid: {-ndim} to {ndim - 1})."
            )
        axis = self.axis % ndim
        first = shapes[0]
        odd = next(
            (
                (i, s)
                for i, s in enumerate(shapes)
                if s[:axis] + s[axis + 1 :] != first[:axis] + first[axis + 1 :]
            ),
            None,
        )
        if odd is None:
            return super().shape_error(shapes, reason)
        return ShapeError(
            f"concatenate: incompatible shapes {first} and {odd[1]} (tensors 0 and {odd[0]}): "
            f"joining along axis {self.axis}, every other axis must have the same size."
        )


class Stack(Function):
    """Join same-shaped tensors along a new axis.

    forward:  y = stack([x_1, ..., x_k], axis)
    backward: dx_i = dy indexed at i along axis
    shapes:   x_i (*S) -> y (*S with k inserted at axis)
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        y = np.stack(xs, axis=self.axis)
        self.save(self.axis % y.ndim)
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        (axis,) = self.saved
        # Views of dy, one per input: moving the stacked axis first makes each a plain dy[i].
        rows = np.moveaxis(dy, axis, 0)
        return tuple(rows[i] if needed else None for i, needed in enumerate(self.needs_grad))

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        first = shapes[0]
        odd = next(((i, s) for i, s in enumerate(shapes) if s != first), None)
        if odd is not None:
            return ShapeError(
                f"stack: all tensors must have the same shape, got {first} "
                f"(tensor 0) and {odd[1]} (tensor {odd[0]})."
            )
        ndim = len(first) + 1
        return ShapeError(
            f"stack: axis {self.axis} is out of range for stacking tensors of shape "
            f"{first} (the result has {ndim} dimensions; "
            f"valid: {-ndim} to {ndim - 1})."
        )


def _listed(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join(str(shape) for shape in shapes)


class Pad(Function):
    """Pad with a constant, with NumPy's ``pad_width``: an int, one (before, after) pair for every
    axis, or one pair per axis.

    forward:  y = full(padded shape, value); y[b_0 : b_0 + n_0, ...] = x
    backward: dx = dy[b_0 : b_0 + n_0, ...]
    shapes:   x (n_0, ..., n_k) -> y (b_0 + n_0 + a_0, ..., b_k + n_k + a_k)
    """

    def __init__(self, pad_width: Any, value: float) -> None:
        self.pad_width = pad_width
        self.value = value

    def forward(self, x: np.ndarray) -> np.ndarray:
        widths = _pad_widths(self.pad_width, x.shape)
        inside = tuple(slice(before, before + size) for (before, _), size in zip(widths, x.shape))
        # np.full plus one slice assignment: several times faster than np.pad for constant mode.
        y = np.full(
            [before + size + after for (before, after), size in zip(widths, x.shape)],
            self.value,
            dtype=x.dtype,
        )
        y[inside] = x
        self.save(inside)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (inside,) = self.saved
        return dy[inside]


class FillForward(Function):
    """Carry the last valid step forward along axis 1 (Keras's output at a masked RNN step).

    forward:  y[n, t] = x[n, s(n, t)] with s(n, t) = max{u <= t : valid[n, u]}, or t itself when no
              step up to t is valid (those steps keep their value)
    backward: dx[n, u] = sum of dy[n, t] over the steps t with s(n, t) = u: each valid step (and
              each step before the first valid one) starts a run of steps that copy it, so dx is
              one segmented sum over the flattened (N * T) rows (np.add.reduceat), no scatter
    shapes:   x (N, T, *), valid (N, T) bool -> y (N, T, *)
    """

    def __init__(self, valid: np.ndarray) -> None:
        self.valid = valid

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim < 2 or x.shape[:2] != self.valid.shape:
            raise ShapeError(
                f"fill_forward: valid of shape {self.valid.shape} does not fit x {x.shape}: "
                "expected valid (N, T) for x (N, T, ...)."
            )
        n, steps = self.valid.shape
        step = np.arange(steps)
        last = np.maximum.accumulate(np.where(self.valid, step, -1), axis=1)
        source = np.where(last >= 0, last, step)
        # A run starts at a valid step or at a step with no valid step before it (it copies itself).
        starts = np.flatnonzero((self.valid | (last < 0)).ravel())
        self.save(x.shape, starts)
        return x[np.arange(n)[:, np.newaxis], source]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        shape, starts = self.saved
        rows = dy.reshape(shape[0] * shape[1], math.prod(shape[2:]))
        dx = np.zeros_like(rows)
        if starts.size:
            dx[starts] = np.add.reduceat(rows, starts, axis=0)
        return dx.reshape(shape)


def _pad_widths(pad_width: Any, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """``pad_width`` as one (before, after) pair of ints per axis, as np.pad reads it."""
    misfit = ShapeError(
        f"pad: pad_width {pad_width!r} does not fit a tensor of shape {shape}: give an int, one "
        f"(before, after) pair, or {len(shape)} pairs (one per axis, first axis first)."
    )
    try:
        widths = np.asarray(pad_width)
    except ValueError:  # ragged, e.g. ((1, 2), (3,))
        raise misfit from None
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold integers, got {pad_width!r}.")
    try:
        widths = np.broadcast_to(widths, (len(shape), 2))
    except ValueError:
        raise misfit from None
    if (widths < 0).any():
        raise ShapeError(
            f"pad: pad_width {pad_width!r} has a negative width; widths must be >= 0 "
            "(slice the tensor to crop it)."
        )
    return [(int(before), int(after)) for before, after in widths]


# ------------------------------------------------------------------------- public functions
def reshape(x: TensorLike, shape: ShapeLike) -> Tensor:
    """The same values in a new shape; one size may be -1. See :class:`Reshape`.

    >>> import glassnet as gn, numpy as np
    >>> reshape(gn.Tensor(np.arange(6.0)), (2, -1)).shape
    (2, 3)
    """
    return Reshape.apply(x, shape=_as_shape("reshape", shape))


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes; reverse them by default (``x.T``). See :class:`Transpose`.

    >>> import glassnet as gn, numpy as np
    >>> transpose(gn.Tensor(np.ones((2, 3, 4))), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return Transpose.apply(x, axes=None if axes is None else _as_shape("transpose", axes))


def broadcast_to(x: TensorLike, shape: ShapeLike) -> Tensor:
    """Broadcast to ``shape`` as a read-only view; the gradient sums the copies.

    See :class:`BroadcastTo`.
    """
    return BroadcastTo.apply(x, shape=_as_shape("broadcast_to", shape))


def getitem(x: TensorLike, index: Any) -> Tensor:
    """``x[index]`` with NumPy's indexing rules; a Tensor in the index is used by value.

    Basic indexing (ints, slices, None, Ellipsis) returns a view. Integer arrays may repeat an
    element: its gradient is the sum over the repeats. See :class:`GetItem`.

    >>> import glassnet as gn
    >>> x = gn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad.tolist()
    [2.0, 0.0, 1.0]
    """
    return GetItem.apply(x, index=_plain_index(index))


def _plain_index(index: Any) -> Any:
    """``index`` with Tensors replaced by their arrays, and lists made arrays (so that their
    kind, integer or boolean, shows)."""
    if isinstance(index, tuple):
        return tuple(_plain_part(part, nested=True) for part in index)
    return _plain_part(index, nested=False)


def _plain_part(part: Any, nested: bool) -> Any:
    if isinstance(part, Tensor):
        return part.data
    # Inside a tuple NumPy reads a tuple as an array of indices, as it reads a list anywhere.
    if isinstance(part, list) or (nested and isinstance(part, tuple)):
        if len(part) == 0:
            return np.empty(0, dtype=np.intp)  # np.asarray([]) would be float, not a valid index
        return np.asarray([p.data if isinstance(p, Tensor) else p for p in part])
    return part


def concatenate(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``). See :class:`Concatenate`.

    >>> import glassnet as gn, numpy as np
    >>> concatenate([gn.Tensor(np.ones((2, 3))), gn.Tensor(np.zeros((1, 3)))]).shape
    (3, 3)
    """
    return Concatenate.apply(*_tensor_list("concatenate", tensors), axis=operator.index(axis))


def stack(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis. See :class:`Stack`.

    >>> import glassnet as gn, numpy as np
    >>> stack([gn.Tensor(np.ones(3)), gn.Tensor(np.zeros(3))], axis=1).shape
    (3, 2)
    """
    return Stack.apply(*_tensor_list("stack", tensors), axis=operator.index(axis))


def _tensor_list(op: str, tensors: Sequence[TensorLike]) -> list[TensorLike]:
    if isinstance(tensors, (Tensor, np.ndarray)):
        # Iterating a tensor would silently split it into rows, each through its own getitem.
        raise TypeError(
            f"{op}: expected a list or tuple of tensors, got one "
            f"{type(tensors).__name__}; wrap it in a list."
        )
    tensors = list(tensors)
    if not tensors:
        raise InputError(f"{op}: expected at least one tensor, got an empty sequence.")
    return tensors


def pad(x: TensorLike, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with the constant ``value``; ``pad_width`` as in ``np.pad``. See :class:`Pad`.

    ``pad_width`` is an int (every side of every axis), one ``(before, after)`` pair (every axis)
    or one pair per axis, first axis first. ``torch.nn.functional.pad`` lists the pairs the other
    way round, last axis first and flattened: ``((1, 2), (3, 4))`` here is ``(3, 4, 1, 2)`` there.

    >>> import glassnet as gn, numpy as np
    >>> pad(gn.Tensor(np.ones((2, 3))), ((1, 0), (0, 2))).shape
    (3, 5)
    """
    return Pad.apply(x, pad_width=pad_width, value=value)


def fill_forward(x: TensorLike, valid: Any) -> Tensor:
    """Each step of ``x`` ``(N, T, ...)`` where ``valid`` ``(N, T)`` is False takes the value of the
    last valid step before it; steps before the first valid one keep theirs. See :class:`FillForward`.

    >>> import glassnet as gn, numpy as np
    >>> x = gn.Tensor([[1.0, 2.0, 3.0, 4.0]])
    >>> fill_forward(x, [[False, True, False, True]]).data.tolist()
    [[1.0, 2.0, 2.0, 4.0]]
    """
    valid = np.asarray(valid.data if isinstance(valid, Tensor) else valid)
    if valid.dtype != bool:
        raise TypeError(f"fill_forward: valid must be a boolean mask, got dtype {valid.dtype}.")
    return FillForward.apply(x, valid=valid)


def squeeze(x: TensorLike, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 axes: all of them, or those named (which must have size 1).

    Unlike ``torch.squeeze``, naming an axis whose size is not 1 is an error rather than a
    no-op, as in NumPy. Built on :func:`reshape`, so it returns a view.

    >>> import glassnet as gn, numpy as np
    >>> squeeze(gn.Tensor(np.ones((1, 3, 1))), -1).shape
    (1, 3)
    """
    shape = _shape_of(x)
    if axis is None:
        drop = {i for i, size in enumerate(shape) if size == 1}
    else:
        given = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        where = f"a tensor of shape {shape}"
        drop = set(_normalize_axes("squeeze", given, len(shape), where=where))
        for a in given:
            if shape and shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} of shape {shape} has size {shape[a]}, not 1.")
    return reshape(x, tuple(size for i, size in enumerate(shape) if i not in drop))


def expand_dims(x: TensorLike, axis: int | Sequence[int]) -> Tensor:
    """Insert size-1 axes so that they sit at ``axis`` in the result (``unsqueeze``).

    ``axis`` counts in the result, as in NumPy and torch: for a ``(3, 4)`` tensor, -1 appends.
    Built on :func:`reshape`, so it returns a view.

    >>> import glassnet as gn, numpy as np
    >>> expand_dims(gn.Tensor(np.ones((3, 4))), -1).shape
    (3, 4, 1)
    """
    shape = _shape_of(x)
    given = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = len(shape) + len(given)
    where = f"the {ndim}-d result of expanding shape {shape}"
    new = set(_normalize_axes("expand_dims", given, ndim, where=where))
    sizes = iter(shape)
    return reshape(x, tuple(1 if i in new else next(sizes) for i in range(ndim)))


def flatten(x: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim..end_dim`` (both included) into one, as ``torch.flatten``.

    A 0-d tensor becomes shape ``(1,)``. Built on :func:`reshape`.

    >>> import glassnet as gn, numpy as np
    >>> flatten(gn.Tensor(np.ones((2, 3, 4))), 1).shape
    (2, 12)
    """
    shape = _shape_of(x)
    where = f"a tensor of shape {shape}"
    start, end = _normalize_axes(
        "flatten", (start_dim, end_dim), len(shape), where=where, unique=False
    )
    if not shape:
        return reshape(x, (1,))
    if start > end:
        raise ShapeError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
            f"tensor of shape {shape}."
        )
    return reshape(x, (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :]))


# ------------------------------------------------------------------------- argument helpers
def _shape_of(x: TensorLike) -> tuple[int, ...]:
    return np.shape(x.data if isinstance(x, Tensor) else x)


def _as_shape(op: str, shape: ShapeLike) -> tuple[int, ...]:
    """A shape or axes argument as a tuple of Python ints (an int means a 1-tuple)."""
    try:
        if isinstance(shape, (int, np.integer)):
            return (operator.index(shape),)
        return tuple(operator.index(size) for size in shape)
    except TypeError:
        raise TypeError(f"{op}: expected an int or a sequence of ints, got {shape!r}.") from None


def _normalize_axes(
    op: str, axes: tuple[int, ...], ndim: int, where: str, unique: bool = True
) -> tuple[int, ...]:
    """Axes in ``0..ndim-1``; ShapeError naming ``where`` when one is out of range (or repeated,
    when ``unique``).

    ndim 0 accepts axis 0 and -1, as torch does for squeeze and flatten of a 0-d tensor; the
    axes are then normalized to (0, ..., 0) with nothing to index.
    """
    bound = max(ndim, 1)
    normalized = []
    for a in axes:
        a = operator.index(a)
        if not -bound <= a < bound:
            raise ShapeError(
                f"{op}: axis {a} is out of range for {where} (valid: {-bound} to {bound - 1})."
            )
        normalized.append(a % bound)
    if unique and len(set(normalized)) != len(normalized):
        raise ShapeError(f"{op}: axes {axes} name the same axis twice, for {where}.")
    return tuple(normalized)
