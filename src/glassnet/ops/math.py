"""Element-wise math: exp, log, sqrt, abs, clip, maximum, minimum, where."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..autograd.tensor import Tensor, TensorLike

__all__ = ["exp", "log", "sqrt", "abs", "clip", "maximum", "minimum", "where"]


class Exp(Function):
    """Exponential.

    forward:  y = exp(x)
    backward: dx = dy * y
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.exp(x)
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy * y


class Log(Function):
    """Natural logarithm.

    forward:  y = log(x)
    backward: dx = dy / x
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.log(x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        return dy / x


class Sqrt(Function):
    """Square root.

    forward:  y = sqrt(x)
    backward: dx = dy / (2 y)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.sqrt(x)
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy / (2 * y)


class Abs(Function):
    """Absolute value.

    forward:  y = |x|
    backward: dx = dy * sign(x)      (0 at x = 0, as torch)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.abs(x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        return dy * np.sign(x)


class Clip(Function):
    """Clamp into [low, high]; either bound may be None.

    forward:  y = min(max(x, low), high)
    backward: dx = dy * (low <= x <= high)      (bounds inclusive, as torch.clamp)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.clip(x, self.low, self.high)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        inside = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return dy * inside


class Maximum(Function):
    """Element-wise maximum with broadcasting.

    forward:  z = max(a, b)
    backward: da = unbroadcast(dz * ([a > b] + [a = b] / 2), a.shape); db likewise
              (ties share the gradient equally, as torch.maximum)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return np.maximum(a, b)

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.saved
        return _split_by_winner(dz, a, b, a > b)


class Minimum(Function):
    """Element-wise minimum with broadcasting.

    forward:  z = min(a, b)
    backward: da = unbroadcast(dz * ([a < b] + [a = b] / 2), a.shape); db likewise
              (ties share the gradient equally, as torch.minimum)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return np.minimum(a, b)

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.saved
        return _split_by_winner(dz, a, b, a < b)


def _split_by_winner(dz: np.ndarray, a: np.ndarray, b: np.ndarray,
                     a_wins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    share_a = a_wins + 0.5 * (a == b)
    share_a = share_a.astype(dz.dtype, copy=False)
    return unbroadcast(dz * share_a, a.shape), unbroadcast(dz * (1 - share_a), b.shape)


class Where(Function):
    """Pick from a where the condition holds, else from b (broadcasting all three).

    forward:  z = a if condition else b
    backward: da = unbroadcast(dz * condition, a.shape); db = unbroadcast(dz * !condition, b.shape)
    shapes:   condition (*C), a (*A), b (*B) -> z broadcast(C, A, B)
    """

    def forward(self, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(condition, a.shape, b.shape)
        return np.where(condition, a, b)

    def backward(self, dz: np.ndarray) -> tuple[None, np.ndarray, np.ndarray]:
        condition, a_shape, b_shape = self.saved
        zero = np.zeros((), dtype=dz.dtype)
        da = unbroadcast(np.where(condition, dz, zero), a_shape) if self.needs_grad[1] else None
        db = unbroadcast(np.where(condition, zero, dz), b_shape) if self.needs_grad[2] else None
        return None, da, db


def exp(x: TensorLike) -> Tensor:
    """``e ** x``. See :class:`Exp`."""
    return Exp.apply(x)


def log(x: TensorLike) -> Tensor:
    """Natural logarithm. See :class:`Log`."""
    return Log.apply(x)


def sqrt(x: TensorLike) -> Tensor:
    """Square root. See :class:`Sqrt`."""
    return Sqrt.apply(x)


def abs(x: TensorLike) -> Tensor:  # noqa: A001 - mirrors torch.abs
    """``|x|``. See :class:`Abs`."""
    return Abs.apply(x)


def clip(x: TensorLike, low: float | None = None, high: float | None = None) -> Tensor:
    """Clamp ``x`` into ``[low, high]`` (torch.clamp). See :class:`Clip`.

    >>> import glassnet as gn
    >>> clip(gn.Tensor([-2.0, 0.5, 3.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high.")
    return Clip.apply(x, low=low, high=high)


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """Element-wise maximum. See :class:`Maximum`."""
    return Maximum.apply(a, b)


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """Element-wise minimum. See :class:`Minimum`."""
    return Minimum.apply(a, b)


def where(condition: Any, a: TensorLike, b: TensorLike) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; the condition gets no gradient. See :class:`Where`.

    >>> import glassnet as gn
    >>> x = gn.Tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """
    mask = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    return Where.apply(mask.astype(bool, copy=False), a, b)
