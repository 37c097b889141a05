"""Regularization and lookup ops: dropout (inverted, with the mask saved), the L2 weight penalty
and embedding."""

from __future__ import annotations

import numpy as np

from .. import random
from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError, expected_got

__all__ = ["dropout", "dropout2d", "l2_penalty", "embedding"]


class Dropout(Function):
    """Inverted dropout with a given keep mask m (0 or 1 / (1 - p)).

    forward:  y = x * m
    backward: dx = dy * m
    shapes:   x (*), m (*) -> y (*)      (m may broadcast: (N, C, 1, 1) drops whole channels)
    """

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    def forward(self, x: np.ndarray) -> np.ndarray:
        # The mask may broadcast over x ((N, C, 1, 1) for whole channels), never x over the mask:
        # that would give dx the mask's shape instead of x's.
        if self.mask.shape != x.shape and _broadcast_shape(x.shape, self.mask.shape) != x.shape:
            raise ShapeError(
                expected_got(
                    "dropout mask",
                    f"a shape that broadcasts to the input's {x.shape}",
                    self.mask.shape,
                )
            )
        return x * self.mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.mask


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


class L2Penalty(Function):
    """The L2 weight penalty in one op (it is added to the loss for every weight at every step):

    forward:  y = c * sum(w^2)
    backward: dw = 2 * (c * dy) * w
    shapes:   w (*) -> y ()

    Composed of mul, sum and a scalar mul it takes three ops and their three backward passes;
    the values are the same, the gradient bit for bit (doubling is exact).
    """

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def forward(self, w: np.ndarray) -> np.ndarray:
        self.save(w)
        return np.asarray(np.sum(w * w) * w.dtype.type(self.factor))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (w,) = self.saved
        return 2 * (dy * w.dtype.type(self.factor)) * w


class Embedding(Function):
    """Rows of a weight table picked by integer indices.

    forward:  y = W[i]
    backward: dW = zeros_like(W); dW[i] += dy   (np.add.at: repeated indices accumulate)
    shapes:   W (num_embeddings, dim), i (*) int -> y (*, dim)
    """

    def forward(self, weight: np.ndarray, indices: np.ndarray) -> np.ndarray:
        self.save(weight.shape, indices)
        return weight[indices]

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        shape, indices = self.saved
        dweight = np.zeros(shape, dtype=dy.dtype)
        np.add.at(
            dweight, indices.reshape(-1), dy.reshape(indices.size, shape[1])
        )  # -1 fails for dim 0
        return dweight, None


def dropout(
    x: TensorLike, p: float = 0.5, training: bool = True, rng: random.SeedLike = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    The mask comes from ``rng`` (default: the generator set by ``glassnet.seed``), so a seed
    repeats it. See :class:`Dropout`.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p}.")
    if not training or p == 0.0:
        return x if isinstance(x, Tensor) else Tensor(x)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if p == 1.0:
        mask = np.zeros(data.shape, dtype=data.dtype)
    else:
        keep = random.rng(rng).random(data.shape) >= p
        mask = keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))
    return Dropout.apply(x, mask=mask)


def l2_penalty(w: TensorLike, factor: float) -> Tensor:
    """``factor * sum(w ** 2)`` as a 0-d tensor (Keras's L2 regularizer). See :class:`L2Penalty`."""
    return L2Penalty.apply(w, factor=factor)


def dropout2d(
    x: TensorLike, p: float = 0.5, training: bool = True, rng: random.SeedLike = None
) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p``, scaling the rest by ``1 / (1 - p)``.

    As ``torch.nn.functional.dropout2d``: one draw per (sample, channel), so neighbouring pixels,
    which are strongly correlated, are dropped together. Training only; the mask comes from
    ``rng`` (default: the generator set by ``glassnet.seed``). See :class:`Dropout`.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must lie in [0, 1], got {p}.")
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.ndim != 4:
        raise ShapeError(f"dropout2d: expects input of shape (N, C, H, W); got {data.shape}.")
    if not training or p == 0.0:
        return x if isinstance(x, Tensor) else Tensor(x)
    shape = data.shape[:2] + (1, 1)
    if p == 1.0:
        mask = np.zeros(shape, dtype=data.dtype)
    else:
        keep = random.rng(rng).random(shape) >= p
        mask = keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))
    return Dropout.apply(x, mask=mask)


def embedding(indices: TensorLike, weight: TensorLike) -> Tensor:
    """Look up rows of ``weight`` (torch.nn.functional.embedding's argument order). See :class:`Embedding`."""
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    table = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if index.dtype.kind not in "iu":
        raise InputError(f"embedding: indices must be integers, got dtype {index.dtype}.")
    if index.size and (index.min() < 0 or index.max() >= table.shape[0]):
        bad = index[(index < 0) | (index >= table.shape[0])].reshape(-1)[0]
        raise InputError(f"embedding: indices must lie in [0, {table.shape[0]}), found {bad}.")
    return Embedding.apply(weight, index)
