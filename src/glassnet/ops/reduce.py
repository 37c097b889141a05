"""Reductions over axes: sum, mean, max, min, var, logsumexp.

Each takes ``axis`` (None for all axes, an int, or a tuple; negative values count from the end)
and ``keepdims``. Backward re-expands the gradient over the reduced axes, which is
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
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions.")
        normalized.append(int(a) % ndim if ndim else 0)
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"{op}: axis {axis} repeats an axis.")
    return tuple(sorted(normalized)) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


class _Reduction(Function):
    """Shared options: the axes reduced (already normalized) and keepdims."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes = axes
        self.keepdims = keepdims

    def expand(self, dy: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``dy`` with the reduced axes back as size 1, ready to broadcast against the input."""
        return dy if self.keepdims else dy.reshape(_kept_shape(shape, self.axes))


class Sum(_Reduction):
    """Sum over axes.

    forward:  y = sum(x, axes)
    backward: dx = broadcast(dy, x.shape)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        return np.sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        return np.broadcast_to(self.expand(dy, shape), shape).copy()


class Mean(_Reduction):
    """Mean over axes.

    forward:  y = sum(x, axes) / n,   n = number of elements reduced
    backward: dx = broadcast(dy, x.shape) / n
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.shape)
        return np.mean(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (shape,) = self.saved
        count = int(np.prod([shape[a] for a in self.axes])) if self.axes else 1
        return np.broadcast_to(self.expand(dy, shape) / builtins.max(count, 1), shape).copy()


class Max(_Reduction):
    """Maximum over axes.

    forward:  y = max(x, axes)
    backward: dx = broadcast(dy) * [x = y] / (number of maxima)   (ties share, as torch.amax)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    pick = staticmethod(np.max)

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = self.pick(x, axis=self.axes, keepdims=True)
        self.save(x, y)
        return y if self.keepdims else y.reshape([s for i, s in enumerate(y.shape) if i not in self.axes])

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x, y = self.saved
        winners = (x == y).astype(dy.dtype)
        winners /= winners.sum(axis=self.axes, keepdims=True)
        return self.expand(dy, x.shape) * winners

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        return ShapeError(f"{self.name}: cannot reduce an empty axis of a tensor of shape {shapes[0]} ({reason}).")


class Min(Max):
    """Minimum over axes.

    forward:  y = min(x, axes)
    backward: dx = broadcast(dy) * [x = y] / (number of minima)   (ties share, as torch.amin)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    pick = staticmethod(np.min)


class Var(_Reduction):
    """Variance over axes with ``ddof`` degrees of freedom removed (NumPy's and Keras's default 0;
    ``torch.var`` defaults to ``correction=1``).

    forward:  y = sum((x - mean(x))^2, axes) / (n - ddof)
    backward: dx = broadcast(dy) * 2 (x - mean(x)) / (n - ddof)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def __init__(self, axes: tuple[int, ...], keepdims: bool, ddof: int) -> None:
        super().__init__(axes, keepdims)
        self.ddof = ddof

    def forward(self, x: np.ndarray) -> np.ndarray:
        centered = x - np.mean(x, axis=self.axes, keepdims=True)
        count = int(np.prod([x.shape[a] for a in self.axes])) if self.axes else 1
        self.save(centered, count - self.ddof)
        return np.sum(centered * centered, axis=self.axes, keepdims=self.keepdims) / (count - self.ddof)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        centered, divisor = self.saved
        return self.expand(dy, centered.shape) * centered * (2.0 / divisor)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over axes, shifted by the maximum so that exp cannot overflow.

    forward:  m = max(x, axes); e = exp(x - m); y = m + log(sum(e, axes))
    backward: dx = broadcast(dy) * e / sum(e, axes)       (the softmax of x over the axes)
    shapes:   x (*) -> y (*) without the reduced axes (size 1 with keepdims)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        shift = np.max(x, axis=self.axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf rows: log(0) = -inf, not nan
        e = np.exp(x - shift)
        total = np.sum(e, axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = shift + np.log(total)
            # Saving the softmax itself: exp(x - y) would lose digits when y is large in float32.
            self.save(e / total)
        return y if self.keepdims else y.reshape([s for i, s in enumerate(y.shape) if i not in self.axes])

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (softmax,) = self.saved
        return self.expand(dy, softmax.shape) * softmax


def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis``. See :class:`Sum`.

    >>> import glassnet as gn
    >>> sum(gn.Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
    [4.0, 6.0]
    """
    return Sum.apply(x, axes=_normalize_axis("sum", axis, np.ndim(_data(x))), keepdims=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``. See :class:`Mean`."""
    return Mean.apply(x, axes=_normalize_axis("mean", axis, np.ndim(_data(x))), keepdims=keepdims)


def max(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis`` (torch.amax). See :class:`Max`."""
    return Max.apply(x, axes=_normalize_axis("max", axis, np.ndim(_data(x))), keepdims=keepdims)


def min(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis`` (torch.amin). See :class:`Min`."""
    return Min.apply(x, axes=_normalize_axis("min", axis, np.ndim(_data(x))), keepdims=keepdims)


def var(x: TensorLike, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` dividing by ``n - ddof`` (default 0, as NumPy). See :class:`Var`."""
    return Var.apply(x, axes=_normalize_axis("var", axis, np.ndim(_data(x))), keepdims=keepdims, ddof=ddof)


def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably. See :class:`LogSumExp`."""
    return LogSumExp.apply(x, axes=_normalize_axis("logsumexp", axis, np.ndim(_data(x))), keepdims=keepdims)


def _data(x: TensorLike) -> Any:
    return x.data if isinstance(x, Tensor) else x
