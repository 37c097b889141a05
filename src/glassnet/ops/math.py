"""Element-wise math: exp, log, sqrt, abs, clip, maximum, minimum, where.

Where an op has a kink (abs at 0, clip at its bounds, maximum and minimum at ties) the gradient
is the one PyTorch gives, so that a model trained here and there follows the same path.
"""

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
    backward: dx = dy * sign(x)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.abs(x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        # sign(0) = 0: the subgradient at the kink is 0, as torch.abs gives.
        return dy * np.sign(x)


class Clip(Function):
    """Clamp into [low, high]; either bound may be None (no bound on that side).

    forward:  y = min(max(x, low), high)
    backward: dx = dy * [low <= x <= high]
    shapes:   x (*) -> y (*)
    """

    def __init__(self, low: float | None, high: float | None) -> None:
        # Plain Python floats: an np.float64 bound would turn a float32 tensor into float64.
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.clip(x, self.low, self.high)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        # Bounds inclusive: x exactly at a bound passes its gradient, as torch.clamp does.
        inside = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return np.where(inside, dy, 0.0)


class Maximum(Function):
    """Element-wise maximum with broadcasting.

    forward:  z = max(a, b)
    backward: da = unbroadcast(dz * ([a > b] + [a = b] / 2), a.shape)
              db = unbroadcast(dz * ([b > a] + [a = b] / 2), b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return np.maximum(a, b)

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.saved
        tie = a == b
        da = unbroadcast(_share(dz, tie, a < b), a.shape) if self.needs_grad[0] else None
        db = unbroadcast(_share(dz, tie, a > b), b.shape) if self.needs_grad[1] else None
        return da, db


class Minimum(Function):
    """Element-wise minimum with broadcasting.

    forward:  z = min(a, b)
    backward: da = unbroadcast(dz * ([a < b] + [a = b] / 2), a.shape)
              db = unbroadcast(dz * ([b < a] + [a = b] / 2), b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return np.minimum(a, b)

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.saved
        tie = a == b
        da = unbroadcast(_share(dz, tie, a > b), a.shape) if self.needs_grad[0] else None
        db = unbroadcast(_share(dz, tie, a < b), b.shape) if self.needs_grad[1] else None
        return da, db


def _share(dz: np.ndarray, tie: np.ndarray, loses: np.ndarray) -> np.ndarray:
    """One operand's part of ``dz``: none where it lost, half at a tie, all where it won."""
    # Ties split dz half and half, exactly torch's formula for maximum/minimum (NaNs included).
    return np.where(loses, 0.0, np.where(tie, dz * 0.5, dz))


class Where(Function):
    """Pick from a where the condition holds, else from b (broadcasting all three).

    forward:  z = a if condition else b
    backward: da = unbroadcast(dz * [condition], a.shape)
              db = unbroadcast(dz * [not condition], b.shape)
    shapes:   condition (*C), a (*A), b (*B) -> z broadcast(C, A, B)
    """

    def forward(self, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(condition, a.shape, b.shape)
        return np.where(condition, a, b)

    def backward(self, dz: np.ndarray) -> tuple[None, np.ndarray | None, np.ndarray | None]:
        condition, a_shape, b_shape = self.saved
        da = unbroadcast(np.where(condition, dz, 0.0), a_shape) if self.needs_grad[1] else None
        db = unbroadcast(np.where(condition, 0.0, dz), b_shape) if self.needs_grad[2] else None
        return None, da, db


def exp(x: TensorLike) -> Tensor:
    """``e ** x``. See :class:`Exp`."""
    return Exp.apply(x)


def log(x: TensorLike) -> Tensor:
    """Natural logarithm (``-inf`` at 0, NaN below). See :class:`Log`."""
    return Log.apply(x)


def sqrt(x: TensorLike) -> Tensor:
    """Square root; the gradient is infinite at 0. See :class:`Sqrt`."""
    return Sqrt.apply(x)


def abs(x: TensorLike) -> Tensor:  # noqa: A001 - mirrors torch.abs
    """``|x|``, with gradient 0 at 0 as torch.abs. See :class:`Abs`."""
    return Abs.apply(x)


def clip(x: TensorLike, low: float | None = None, high: float | None = None) -> Tensor:
    """Clamp ``x`` into ``[low, high]``, like ``torch.clamp``; ``None`` leaves that side open.

    The gradient passes where ``low <= x <= high`` (bounds included). See :class:`Clip`.

    >>> import glassnet as gn
    >>> clip(gn.Tensor([-2.0, 0.5, 3.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    >>> clip(gn.Tensor([-2.0, 0.5]), low=0.0).tolist()
    [0.0, 0.5]
    """
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high (both were None).")
    return Clip.apply(x, low=low, high=high)


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """Element-wise maximum with broadcasting; at ties each operand gets half the gradient.

    >>> import glassnet as gn
    >>> maximum(gn.Tensor([1.0, 5.0]), 2.0).tolist()
    [2.0, 5.0]

    See :class:`Maximum`.
    """
    return Maximum.apply(a, b)


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """Element-wise minimum with broadcasting; at ties each operand gets half the gradient.

    See :class:`Minimum`.
    """
    return Minimum.apply(a, b)


def where(condition: Any, a: TensorLike, b: TensorLike) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``, all three broadcast together.

    ``condition`` is a bool array or a bool Tensor (e.g. ``x > 0``); it gets no gradient.
    See :class:`Where`.

    >>> import glassnet as gn
    >>> x = gn.Tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """
    mask = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    return Where.apply(mask.astype(bool, copy=False), a, b)
