"""Element-wise arithmetic with NumPy broadcasting: add, sub, mul, div, neg, pow.

Every binary op hands its gradients to ``unbroadcast``, the one place where broadcasting is
undone, so a bias of shape ``(units,)`` added to ``(batch, units)`` gets a ``(units,)`` gradient.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..autograd.tensor import Tensor, TensorLike

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "astype"]


class Add(Function):
    """Element-wise sum with broadcasting.

    forward:  z = a + b
    backward: da = unbroadcast(dz, a.shape); db = unbroadcast(dz, b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a.shape, b.shape)
        return a + b

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a_shape, b_shape = self.saved
        return unbroadcast(dz, a_shape), unbroadcast(dz, b_shape)


class Sub(Function):
    """Element-wise difference with broadcasting.

    forward:  z = a - b
    backward: da = unbroadcast(dz, a.shape); db = -unbroadcast(dz, b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a.shape, b.shape)
        return a - b

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        a_shape, b_shape = self.saved
        db = -unbroadcast(dz, b_shape) if self.needs_grad[1] else None
        return unbroadcast(dz, a_shape), db


class Mul(Function):
    """Element-wise product with broadcasting.

    forward:  z = a * b
    backward: da = unbroadcast(dz * b, a.shape); db = unbroadcast(dz * a, b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return a * b

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = self.saved
        da = unbroadcast(dz * b, a.shape) if self.needs_grad[0] else None
        db = unbroadcast(dz * a, b.shape) if self.needs_grad[1] else None
        return da, db


class Div(Function):
    """Element-wise quotient with broadcasting.

    forward:  z = a / b
    backward: da = unbroadcast(dz / b, a.shape); db = unbroadcast(-dz * z / b, b.shape)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        z = a / b
        self.save(a.shape, b, z)
        return z

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a_shape, b, z = self.saved
        da = unbroadcast(dz / b, a_shape) if self.needs_grad[0] else None
        db = unbroadcast(-dz * z / b, b.shape) if self.needs_grad[1] else None
        return da, db


class Neg(Function):
    """Negation.

    forward:  y = -x
    backward: dx = -dy
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return -dy


class PowScalar(Function):
    """A tensor raised to a constant power.

    forward:  y = x ** p
    backward: dx = dy * p * x ** (p - 1)
    shapes:   x (*) -> y (*)
    """

    name = "pow"

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return x**self.exponent

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        p = self.exponent
        return dy * p * x ** (p - 1)


class Pow(Function):
    """A tensor raised to a tensor power, element-wise with broadcasting.

    forward:  z = a ** b
    backward: da = unbroadcast(dz * b * a ** (b - 1), a.shape)
              db = unbroadcast(dz * z * log(a), b.shape)     (defined for a > 0)
    shapes:   a (*A), b (*B) -> z broadcast(A, B)
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        z = a**b
        self.save(a, b, z)
        return z

    def backward(self, dz: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, z = self.saved
        da = unbroadcast(dz * b * a ** (b - 1), a.shape) if self.needs_grad[0] else None
        db = unbroadcast(dz * z * np.log(a), b.shape) if self.needs_grad[1] else None
        return da, db


class AsType(Function):
    """Conversion between float dtypes.

    forward:  y = x as dtype
    backward: dx = dy as x.dtype
    shapes:   x (*) -> y (*)
    """

    name = "astype"

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x.dtype)
        return x.astype(self.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (dtype,) = self.saved
        return dy.astype(dtype, copy=False)


def add(a: TensorLike, b: TensorLike) -> Tensor:
    """``a + b`` with broadcasting. See :class:`Add`."""
    return Add.apply(a, b)


def sub(a: TensorLike, b: TensorLike) -> Tensor:
    """``a - b`` with broadcasting. See :class:`Sub`."""
    return Sub.apply(a, b)


def mul(a: TensorLike, b: TensorLike) -> Tensor:
    """``a * b`` with broadcasting. See :class:`Mul`."""
    return Mul.apply(a, b)


def div(a: TensorLike, b: TensorLike) -> Tensor:
    """``a / b`` with broadcasting. See :class:`Div`."""
    return Div.apply(a, b)


def neg(x: TensorLike) -> Tensor:
    """``-x``. See :class:`Neg`."""
    return Neg.apply(x)


def pow(a: TensorLike, b: TensorLike) -> Tensor:  # noqa: A001 - mirrors torch.pow
    """``a ** b``: a constant exponent uses :class:`PowScalar`, a tensor one :class:`Pow`.

    >>> import glassnet as gn
    >>> (gn.Tensor([2.0, 3.0]) ** 2).tolist()
    [4.0, 9.0]
    """
    if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, Tensor):
        return PowScalar.apply(a, exponent=b)
    return Pow.apply(a, b)


def astype(x: TensorLike, dtype: np.dtype | type) -> Tensor:
    """Convert ``x`` to ``dtype``; the gradient flows back in ``x``'s dtype. See :class:`AsType`."""
    return AsType.apply(x, dtype=dtype)
