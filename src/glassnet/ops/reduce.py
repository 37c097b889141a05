"""Reductions over axes: sum, mean, max, min, var, logsumexp.

Each takes ``axis`` (None for all axes, an int, or a tuple; negative values count from the end)
and ``keepdims``. As in NumPy, ``axis=()`` reduces nothing (``torch.sum(x, dim=())`` instead
reduces every axis). Backward re-expands the gradient over the reduced axes, which is
broadcasting, so every backward starts from ``dy`` reshaped with those axes kept as size 1.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError

__all__ = ["sum", "mean", "max", "min", "var", "logsumexp"]

Axis = int | tuple[int, ...] | None


def _normalize_axis(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes; ShapeError when out of range or repeated."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    # A 0-d tensor accepts axis 0 and -1 (and reduces nothing), as torch does.
    bound = builtins.max(ndim, 1)
    normalized = []
    for a in axes:
        if not -bound <= a < bound:
            raise ShapeError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                f"(valid: {-bound} to {bound - 1})."
            )
        normalized.append(int(a) % bound)
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"{op}: axis {axis} repeats an axis (tensor with {ndim} dimensions).")
    return tuple(sorted(normalized)) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many elements each output element is reduced from."""
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


class _Reduction(Function):
    """Shared options: the axes reduced (already normalized) and keepdims."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes = axes
        self.keepdims = keepdims

    def drop(self, y: np.ndarray) -> np.ndarray:
        """A result computed with keepdims=True, without the reduced axes unless keepdims."""
        return y if self.keepdims else np.squeeze(y, axis=self.axes)

    def expand(self, dy: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``dy`` with the reduced axes back as size 1, ready to broadcast against the input."""
        return dy if self.keepdims else dy.reshape(_kept_shape(shape, self.axes))


class Sum(_Reduction):
    """Sum over axes; an empty axis sums to 0.

    forward:  y = sum(x, axes)
    backward: dx = broadcast(dy, x.shape)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        # A copy, not the read-only broadcast view: leaf gradients accumulate in place.
        return np.broadcast_to(self.expand(dy, shape), shape).copy()


class Mean(_Reduction):
    """Mean over axes; an empty axis gives NaN, as torch.mean.

    forward:  y = sum(x, axes) / n,   n = number of elements reduced
    backward: dx = broadcast(dy, x.shape) / n
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        with np.errstate(invalid="ignore"):  # 0 / 0 for an empty axis: NaN without a warning
            return np.sum(x, axis=self.axes, keepdims=self.keepdims) / _count(x.shape, self.axes)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        # With an empty axis dx has no elements; max(n, 1) only avoids dividing dy by 0.
        count = builtins.max(_count(shape, self.axes), 1)
        return np.broadcast_to(self.expand(dy, shape) / count, shape).copy()


class Max(_Reduction):
    """Maximum over axes.

    forward:  y = max(x, axes)
    backward: dx = broadcast(dy) * [x = y] / (number of maxima in the slice)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    pick = staticmethod(np.max)

    def forward(self, x: np.ndarray) -> np.ndarray:
        empty = [a for a in self.axes if x.shape[a] == 0]
        if empty:
            raise ShapeError(
                f"{self.name}: cannot reduce an empty axis of a tensor of shape {x.shape} "
                f"(axis {empty[0]} has size 0 and the {self.name} of no values is undefined)."
            )
        y = self.pick(x, axis=self.axes, keepdims=True)
        self.save(x, y)
        return self.drop(y)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x, y = self.saved
        # Tied extrema share the gradient evenly, as torch.amax/amin (torch.max(dim) picks one).
        winners = (x == y).astype(dy.dtype)
        with np.errstate(invalid="ignore"):  # a NaN slice has no winner: NaN gradient, as torch
            winners /= winners.sum(axis=self.axes, keepdims=True)
        return self.expand(dy, x.shape) * winners


class Min(Max):
    """Minimum over axes.

    forward:  y = min(x, axes)
    backward: dx = broadcast(dy) * [x = y] / (number of minima in the slice)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    pick = staticmethod(np.min)


class Var(_Reduction):
    """Variance over axes, dividing by n - ddof.

    ddof defaults to 0 (NumPy, Keras); torch.var defaults to correction=1, the same as ddof=1.

    forward:  y = sum((x - mean(x, axes))^2, axes) / (n - ddof)
    backward: dx = broadcast(dy) * 2 (x - mean(x, axes)) / (n - ddof)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def __init__(self, axes: tuple[int, ...], keepdims: bool, ddof: int) -> None:
        super().__init__(axes, keepdims)
        self.ddof = ddof

    def forward(self, x: np.ndarray) -> np.ndarray:
        # n <= ddof (an empty slice, or one value with ddof=1) gives NaN or inf without a warning,
        # as torch.var: the mean of nothing and the division by zero are the documented outcome.
        count = _count(x.shape, self.axes)
        divisor = x.dtype.type(builtins.max(count - self.ddof, 0))
        with np.errstate(invalid="ignore", divide="ignore"):
            # Two passes (centre, then square): the one-pass E[x^2] - E[x]^2 cancels badly in float32.
            # The sum divided by the count is np.mean's own computation, without its empty-slice warning.
            centered = x - np.sum(x, axis=self.axes, keepdims=True) / count
            self.save(centered, divisor)
            return np.sum(centered * centered, axis=self.axes, keepdims=self.keepdims) / divisor

    def backward(self, dy: np.ndarray) -> np.ndarray:
        centered, divisor = self.saved
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.expand(dy, centered.shape) * centered * (centered.dtype.type(2.0) / divisor)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over axes, shifted by the maximum so that exp cannot overflow.

    forward:  m = max(x, axes); e = exp(x - m); y = m + log(sum(e, axes))
    backward: dx = broadcast(dy) * e / sum(e, axes)       (the softmax of x over the axes)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        if builtins.any(x.shape[a] == 0 for a in self.axes):
            # The sum of no exponentials is 0, so y = -inf, as torch.logsumexp.
            shift = np.zeros(_kept_shape(x.shape, self.axes), dtype=x.dtype)
        else:
            shift = np.max(x, axis=self.axes, keepdims=True)
            # An all -inf (or +inf) slice would give inf - inf = NaN; any finite shift works there.
            shift = np.where(np.isfinite(shift), shift, 0.0)
        e = np.exp(x - shift)
        total = np.sum(e, axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = shift + np.log(total)
            # Save the softmax itself: exp(x - y) would lose digits when y is large in float32.
            self.save(e / total)
        return self.drop(y)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (softmax,) = self.saved
        return self.expand(dy, softmax.shape) * softmax


def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None); an empty axis sums to 0. See :class:`Sum`.

    >>> import glassnet as gn
    >>> sum(gn.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
    [4.0, 6.0]
    """
    axes = _normalize_axis("sum", axis, np.ndim(_data(x)))
    return Sum.apply(x, axes=axes, keepdims=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None). See :class:`Mean`.

    >>> import glassnet as gn
    >>> mean(gn.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1, keepdims=True).tolist()
    [[1.5], [3.5]]
    """
    axes = _normalize_axis("mean", axis, np.ndim(_data(x)))
    return Mean.apply(x, axes=axes, keepdims=keepdims)


def max(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``, like ``torch.amax``: tied maxima share the gradient evenly.

    Raises ShapeError when a reduced axis is empty. See :class:`Max`.
    """
    axes = _normalize_axis("max", axis, np.ndim(_data(x)))
    return Max.apply(x, axes=axes, keepdims=keepdims)


def min(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``, like ``torch.amin``: tied minima share the gradient evenly.

    Raises ShapeError when a reduced axis is empty. See :class:`Min`.
    """
    axes = _normalize_axis("min", axis, np.ndim(_data(x)))
    return Min.apply(x, axes=axes, keepdims=keepdims)


def var(x: TensorLike, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis``, dividing by ``n - ddof``. See :class:`Var`.

    ``ddof=0`` is NumPy's and Keras's default (the population variance). ``torch.var``
    defaults to ``correction=1``; ``var(x, ddof=d)`` equals ``torch.var(x, correction=d)``.

    >>> import glassnet as gn
    >>> var(gn.Tensor([1.0, 2.0, 3.0, 4.0])).item()
    1.25
    """
    axes = _normalize_axis("var", axis, np.ndim(_data(x)))
    return Var.apply(x, axes=axes, keepdims=keepdims, ddof=ddof)


def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, finite even for inputs of +-1e4 in float32.

    Its gradient is the softmax of ``x`` over ``axis``. See :class:`LogSumExp`.

    >>> import glassnet as gn
    >>> round(logsumexp(gn.Tensor([1e4, 1e4])).item(), 2)
    10000.69
    """
    axes = _normalize_axis("logsumexp", axis, np.ndim(_data(x)))
    return LogSumExp.apply(x, axes=axes, keepdims=keepdims)


def _data(x: TensorLike) -> Any:
    return x.data if isinstance(x, Tensor) else x
