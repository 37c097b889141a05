"""Activations: relu, leaky_relu, elu, selu, gelu, sigmoid, tanh, softplus, softmax, log_softmax.

Exponentials are only ever taken of non-positive numbers (``exp(-|x|)``, ``expm1(min(x, 0))``,
``x - max``), so every activation is finite and exact at +-1e4 in float32, without overflow
warnings. Where an activation has a kink (relu, leaky_relu, elu and selu at 0) the gradient is
PyTorch's, and so is the gradient passed through a NaN input.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError
from ._special import erfc

__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
]

# torch.nn.functional.selu's constants (Klambauer et al. 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

GELU_APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_KAPPA = 0.044715
# Beyond these |x| the clipped terms are exactly 0 (exp(-800) underflows in float64, and
# tanh(u(10)) = tanh(43.6) rounds to 1), so clipping changes no finite result; it only keeps
# x^2 and x^3 from overflowing for huge inputs.
_GELU_PDF_CLIP = 40.0
_GELU_TANH_CLIP = 10.0
# Integers as wide as each float: relu's backward works on the bits of the gradient.
_SAME_WIDTH_INT = {size: np.dtype(f"i{size}") for size in (1, 2, 4, 8)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) from e = exp(-|z|) <= 1, so no exponential can overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


class ReLU(Function):
    """Rectified linear unit.

    forward:  y = max(x, 0)
    backward: dx = where(y != 0, dy, +0)   (0 at x = 0, dy passed through a NaN, as torch)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0)
        self.save(relu_mask(y))
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (mask,) = self.saved
        # relu_backward(dy, mask), by the bitwise kernel: the same bits, several times faster.
        return relu_backward_kernel(dy, mask)


def relu_mask(y: np.ndarray) -> np.ndarray:
    """Where relu's gradient passes, from its output ``y = max(x, 0)``, as booleans.

    torch's threshold_backward passes dy where not y <= 0. Since y is >= 0 or NaN, that is
    where y != 0: x > 0, and NaN inputs (NaN != 0).
    """
    return y != 0


def relu_backward(dy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """relu's gradient in plain NumPy: ``dy`` where ``mask`` (from :func:`relu_mask`), else +0.

    A product ``dy * mask`` would not do: an inf or NaN ``dy`` where the unit is off would give
    NaN (with a warning) instead of torch's 0, and a negative ``dy`` -0.0 instead of +0.0.
    """
    return np.where(mask, dy, dy.dtype.type(0))


def relu_backward_kernel(dy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """:func:`relu_backward` bit for bit, as a new array, 3-9x faster than its ``np.where``.

    dy's bits, read as integers of the same width, are multiplied by the mask (1 or 0): kept
    bits stay exact and the rest become all-zero bits, which is +0.0. An integer product is one
    pass of the simplest loop NumPy has, where ``np.where`` picks element by element.
    """
    bits = dy.view(_SAME_WIDTH_INT[dy.dtype.itemsize])
    return np.multiply(bits, mask).view(dy.dtype)


class LeakyReLU(Function):
    """Leaky rectified linear unit.

    forward:  y = x if x > 0 else slope * x
    backward: dx = dy if x > 0 else slope * dy      (slope at x = 0, as torch)
    shapes:   x (*) -> y (*)
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float) -> None:
        # A Python float: a NumPy float64 option would upcast float32 inputs.
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return np.where(x > 0, x, x * self.negative_slope)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        # The x > 0 test is torch's: the negative side's slope at x = 0.
        return np.where(x > 0, dy, dy * self.negative_slope)


class ELU(Function):
    """Exponential linear unit (and, with ``scale``, SELU).

    forward:  y = scale * x if x > 0 else scale * alpha * (exp(x) - 1)
    backward: dx = dy * scale if x > 0 else dy * scale * alpha * exp(x)   (alpha side at 0: torch)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, alpha: float, scale: float = 1.0) -> None:
        # Python floats: a NumPy float64 option would upcast float32 inputs.
        self.alpha = float(alpha)
        self.scale = float(scale)

    def forward(self, x: np.ndarray) -> np.ndarray:
        # Save x rather than y: the slope y + alpha would cancel to noise for very negative x.
        self.save(x)
        # min(x, 0): the exponential of the discarded positive side is never computed.
        negative = (self.alpha * self.scale) * np.expm1(np.minimum(x, 0))
        return np.where(x <= 0, negative, x * self.scale)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        # The x <= 0 test is torch's: at x = 0 the slope is scale * alpha, not scale.
        negative = (self.alpha * self.scale) * np.exp(np.minimum(x, 0))
        return dy * np.where(x <= 0, negative, self.scale)


class SELU(ELU):
    """Scaled exponential linear unit: ELU with torch's self-normalising constants.

    forward:  y = scale * x if x > 0 else scale * alpha * (exp(x) - 1)
              alpha = 1.6732632423543772, scale = 1.0507009873554805
    backward: dx = dy * scale if x > 0 else dy * scale * alpha * exp(x)   (alpha side at 0: torch)
    shapes:   x (*) -> y (*)
    """

    def __init__(self) -> None:
        super().__init__(alpha=SELU_ALPHA, scale=SELU_SCALE)


class GELU(Function):
    """Gaussian error linear unit, exact or with torch's tanh approximation.

    forward:  y = x * Phi(x),  Phi(x) = erfc(-x / sqrt 2) / 2
              tanh: y = x/2 * (1 + t),  t = tanh(u),  u = sqrt(2/pi) (x + 0.044715 x^3)
    backward: dx = dy * (Phi(x) + x * exp(-x^2/2) / sqrt(2 pi))
              tanh: dx = dy * ((1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
    shapes:   x (*) -> y (*)
    """

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in GELU_APPROXIMATIONS:
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            xc = np.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
            t = np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_KAPPA * xc**3))
            self.save(xc, t)
            return 0.5 * x * (1 + t)
        # erfc keeps Phi's relative accuracy in the left tail, where 1 + erf would cancel.
        cdf = 0.5 * erfc(x * -_INV_SQRT_2)
        self.save(x, cdf)
        return x * cdf

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            xc, t = self.saved
            du = _SQRT_2_OVER_PI * (1 + (3 * _GELU_KAPPA) * xc * xc)
            return dy * (0.5 * (1 + t) + 0.5 * xc * (1 - t * t) * du)
        x, cdf = self.saved
        xc = np.clip(x, -_GELU_PDF_CLIP, _GELU_PDF_CLIP)
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)
        return dy * (cdf + xc * pdf)


class Sigmoid(Function):
    """Logistic sigmoid, exact for large |x|.

    forward:  y = 1 / (1 + e) if x >= 0 else e / (1 + e),  e = exp(-|x|)
    backward: dx = dy * y * (1 - y)
    shapes:   x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = _sigmoid(x)
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

    forward:  y = (max(z, 0) + log1p(exp(-|z|))) / beta,  z = beta * x   (= log(1 + exp(z)) / beta)
              y = x where z > threshold
    backward: dx = dy * sigmoid(z);  dx = dy where z > threshold
    shapes:   x (*) -> y (*)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        # Python floats: a NumPy float64 option would upcast float32 inputs.
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x: np.ndarray) -> np.ndarray:
        # beta x may overflow to +-inf for huge x; both branches then give torch's finite answer.
        with np.errstate(over="ignore"):
            z = x * self.beta
        self.save(z)
        smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / self.beta
        return np.where(z > self.threshold, x, smooth)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (z,) = self.saved
        return dy * np.where(z > self.threshold, 1, _sigmoid(z))


def _working_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    # A 0-d input is one value along axis 0 (or -1), as torch.softmax treats it.
    return shape or (1,)


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x minus its maximum along ``axis``, so that exp cannot overflow.

    An empty or all -inf slice is shifted by 0 instead (-inf - -inf would be NaN); its softmax
    is then 0/0 = NaN, as in torch. A slice holding +inf becomes NaN (inf - inf), as in torch.
    """
    shift = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(shift == -np.inf, 0.0, shift)
    # Differences beyond the float range round to -inf, whose exp is the exact 0.
    with np.errstate(over="ignore", invalid="ignore"):
        return x - shift


class Softmax(Function):
    """Softmax along one axis, shifted by the maximum so that exp cannot overflow.

    forward:  y = exp(x - max(x)) / sum(exp(x - max(x)))
    backward: dx = y * (dy - sum(dy * y))        (sums along the axis)
    shapes:   x (*) -> y (*)
    """

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        x1 = x.reshape(_working_shape(x.shape))
        e = np.exp(_shifted(x1, self.axis))
        with np.errstate(invalid="ignore"):  # 0/0 for an all -inf slice: NaN, as torch
            y = e / np.sum(e, axis=self.axis, keepdims=True)
        self.save(y)
        return y.reshape(x.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        dy1 = dy.reshape(y.shape)
        dx = y * (dy1 - np.sum(dy1 * y, axis=self.axis, keepdims=True))
        return dx.reshape(dy.shape)


class LogSoftmax(Function):
    """Log of the softmax along one axis: x minus its log-sum-exp, computed with the max shift.

    forward:  y = x - max(x) - log(sum(exp(x - max(x))))
    backward: dx = dy - softmax(x) * sum(dy),  softmax(x) = exp(y)      (sums along the axis)
    shapes:   x (*) -> y (*)
    """

    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        shifted = _shifted(x.reshape(_working_shape(x.shape)), self.axis)
        total = np.sum(np.exp(shifted), axis=self.axis, keepdims=True)
        # log(0) for an empty or all -inf slice; the latter gives -inf - -inf = NaN, as torch.
        with np.errstate(divide="ignore", invalid="ignore"):
            y = shifted - np.log(total)
        self.save(y)
        return y.reshape(x.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (y,) = self.saved
        dy1 = dy.reshape(y.shape)
        dx = dy1 - np.exp(y) * np.sum(dy1, axis=self.axis, keepdims=True)
        return dx.reshape(dy.shape)


def _softmax_axis(op: str, x: TensorLike, axis: Any) -> int:
    """``axis`` as a non-negative int; 0-d inputs accept 0 and -1, as torch."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: axis must be an int, got {axis!r}.") from None
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    bound = max(ndim, 1)
    if not -bound <= axis < bound:
        raise ShapeError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions "
            f"(valid: {-bound} to {bound - 1})."
        )
    return axis % bound


def relu(x: TensorLike) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0, as torch. See :class:`ReLU`.

    >>> import glassnet as gn
    >>> relu(gn.Tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return ReLU.apply(x)


def leaky_relu(x: TensorLike, negative_slope: float = 0.01) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise. See :class:`LeakyReLU`.

    >>> import glassnet as gn
    >>> leaky_relu(gn.Tensor([-2.0, 3.0]), negative_slope=0.25).tolist()
    [-0.5, 3.0]
    """
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """``x`` for positive inputs, ``alpha * (exp(x) - 1)`` otherwise. See :class:`ELU`.

    >>> import glassnet as gn
    >>> elu(gn.Tensor([-1e4, 0.0, 2.0]), alpha=0.5).tolist()
    [-0.5, 0.0, 2.0]
    """
    return ELU.apply(x, alpha=alpha)


def selu(x: TensorLike) -> Tensor:
    """Scaled ELU, ``scale * elu(x, alpha)`` with torch's constants. See :class:`SELU`."""
    return SELU.apply(x)


def gelu(x: TensorLike, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF; ``approximate="tanh"`` for the tanh form.

    Raises ValueError for any other ``approximate``. See :class:`GELU`.

    >>> import glassnet as gn
    >>> gelu(gn.Tensor([-1e4, 0.0, 1e4])).tolist()
    [-0.0, 0.0, 10000.0]
    """
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
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``, as torch.

    See :class:`Softplus`.

    >>> import glassnet as gn
    >>> softplus(gn.Tensor([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.6931471824645996, 10000.0]
    """
    return Softplus.apply(x, beta=beta, threshold=threshold)


def softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: ``exp(x)`` normalised to sum to 1. See :class:`Softmax`.

    Raises ShapeError when ``axis`` is out of range.

    >>> import glassnet as gn
    >>> softmax(gn.Tensor([[1e4, 0.0], [0.0, 0.0]]), axis=-1).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    return Softmax.apply(x, axis=_softmax_axis("softmax", x, axis))


def log_softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """Log-probabilities along ``axis``, ``x - logsumexp(x)``. See :class:`LogSoftmax`.

    Raises ShapeError when ``axis`` is out of range.

    >>> import glassnet as gn
    >>> log_softmax(gn.Tensor([1e4, 0.0])).tolist()
    [0.0, -10000.0]
    """
    return LogSoftmax.apply(x, axis=_softmax_axis("log_softmax", x, axis))
