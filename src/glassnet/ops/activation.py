"""Activations: relu, leaky_relu, elu, selu, gelu, sigmoid, tanh, softplus, softmax, log_softmax.

Exponentials are only ever taken of non-positive numbers (``exp(-|x|)``, ``x - max``), so every
activation is finite and exact at +-1e4 in float32, without overflow warnings.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ._special import erf

__all__ = ["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class ReLU(Function):
    """Rectified linear unit.

    forward:  y = max(x, 0)
    backward: dx = dy * [x > 0]      (0 at x = 0, as torch)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0)
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy * (y > 0)


class LeakyReLU(Function):
    """Leaky rectified linear unit.

    forward:  y = x if x > 0 else slope * x
    backward: dx = dy * (1 if x > 0 else slope)      (slope at x = 0, as torch)
    shapes:   x (*) -> y (*)
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.where(x > 0, x, x * self.negative_slope)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        return np.where(x > 0, dy, dy * self.negative_slope)


def _expm1_of_negative_part(x: np.ndarray) -> np.ndarray:
    # exp(min(x, 0)) - 1: never exponentiates a large positive number.
    return np.expm1(np.minimum(x, 0))


class ELU(Function):
    """Exponential linear unit.

    forward:  y = x if x > 0 else alpha * (exp(x) - 1)
    backward: dx = dy * (1 if x > 0 else alpha * exp(x))
    shapes:   x (*) -> y (*)
    """

    def __init__(self, alpha: float, scale: float = 1.0) -> None:
        self.alpha = alpha
        self.scale = scale

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        negative = (self.alpha * self.scale) * _expm1_of_negative_part(x)
        return np.where(x > 0, x * self.scale, negative).astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        slope = np.where(x > 0, self.scale, (self.alpha * self.scale) * np.exp(np.minimum(x, 0)))
        return (dy * slope).astype(dy.dtype, copy=False)


class GELU(Function):
    """Gaussian error linear unit, exact or with the tanh approximation.

    forward:  y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2
              tanh: y = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
    backward: dx = dy * (Phi(x) + x * exp(-x^2/2) / sqrt(2 pi))
              tanh: dx = dy * (1/2 (1 + t) + x/2 (1 - t^2) du/dx),  t = tanh(u)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, approximate: str) -> None:
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
            self.save(x, t)
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        self.save(x, cdf)
        return x * cdf

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x, saved = self.saved
        if self.approximate == "tanh":
            t = saved
            du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return dy * (saved + x * pdf)


class Sigmoid(Function):
    """Logistic sigmoid, exact for large |x|.

    forward:  y = 1 / (1 + exp(-x)) = exp(x) / (1 + exp(x)), using e = exp(-|x|) on either side
    backward: dx = dy * y * (1 - y)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy * y * (1 - y)


class Tanh(Function):
    """Hyperbolic tangent.

    forward:  y = tanh(x)
    backward: dx = dy * (1 - y^2)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy * (1 - y * y)


class Softplus(Function):
    """Smooth ReLU, linear where beta * x exceeds the threshold (as torch).

    forward:  y = log(1 + exp(beta x)) / beta = (max(z, 0) + log1p(exp(-|z|))) / beta,  z = beta x
              y = x where z > threshold
    backward: dx = dy * sigmoid(z)   (1 where z > threshold)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, beta: float, threshold: float) -> None:
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = x * self.beta
        self.save(x, z)
        smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / self.beta
        return np.where(z > self.threshold, x, smooth).astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x, z = self.saved
        e = np.exp(-np.abs(z))
        slope = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return dy * np.where(z > self.threshold, 1, slope).astype(dy.dtype, copy=False)


class Softmax(Function):
    """Softmax along one axis, shifted by the maximum so that exp cannot overflow.

    forward:  y = exp(x - max(x)) / sum(exp(x - max(x)))
    backward: dx = y * (dy - sum(dy * y))       (sums along the axis)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - np.max(x, axis=self.axis, keepdims=True))
        y = e / np.sum(e, axis=self.axis, keepdims=True)
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return y * (dy - np.sum(dy * y, axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """Log of the softmax along one axis, computed as x minus its log-sum-exp.

    forward:  y = x - max(x) - log(sum(exp(x - max(x))))
    backward: dx = dy - exp(y) * sum(dy)        (sums along the axis)
    shapes:   x (*) -> y (*)
    """

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        shifted = x - np.max(x, axis=self.axis, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))
        self.save(y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        return dy - np.exp(y) * np.sum(dy, axis=self.axis, keepdims=True)


def relu(x: TensorLike) -> Tensor:
    """``max(x, 0)``. See :class:`ReLU`."""
    return ReLU.apply(x)


def leaky_relu(x: TensorLike, negative_slope: float = 0.01) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise. See :class:`LeakyReLU`."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit. See :class:`ELU`."""
    return ELU.apply(x, alpha=alpha)


def selu(x: TensorLike) -> Tensor:
    """Scaled ELU, ``scale * elu(x, alpha)`` with the self-normalising constants. See :class:`ELU`."""
    return ELU.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE)


def gelu(x: TensorLike, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit; ``approximate="tanh"`` for the tanh form. See :class:`GELU`."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
    return GELU.apply(x, approximate=approximate)


def sigmoid(x: TensorLike) -> Tensor:
    """``1 / (1 + exp(-x))``, exact and finite for any input. See :class:`Sigmoid`.

    >>> import glassnet as gn
    >>> sigmoid(gn.Tensor([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    return Sigmoid.apply(x)


def tanh(x: TensorLike) -> Tensor:
    """Hyperbolic tangent. See :class:`Tanh`."""
    return Tanh.apply(x)


def softplus(x: TensorLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``. See :class:`Softplus`."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``. See :class:`Softmax`."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """Log-probabilities along ``axis``, stable. See :class:`LogSoftmax`."""
    return LogSoftmax.apply(x, axis=axis)
