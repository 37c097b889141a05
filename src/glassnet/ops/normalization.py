"""Normalization ops, fused: layer_norm and batch_norm, each with its hand-written backward."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError

__all__ = ["layer_norm", "batch_norm"]


def _normalized_backward(
    dxhat: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray:
    """dx of xhat = (x - mean) * inv_std over ``axes``, given dL/dxhat.

    dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over the axes.
    """
    mean_d = np.mean(dxhat, axis=axes, keepdims=True)
    mean_dx = np.mean(dxhat * xhat, axis=axes, keepdims=True)
    return inv_std * (dxhat - mean_d - xhat * mean_dx)


def _with_affine_grads(
    dx: np.ndarray | None,
    dy: np.ndarray,
    xhat: np.ndarray,
    axes: tuple[int, ...],
    needs_grad: tuple[bool, ...],
) -> tuple[np.ndarray | None, ...]:
    """(dx, dweight, dbias) for y = xhat * weight + bias, summing over ``axes``; only the inputs given."""
    grads: list[np.ndarray | None] = [dx]
    if len(needs_grad) > 1:
        grads.append(np.sum(dy * xhat, axis=axes) if needs_grad[1] else None)
    if len(needs_grad) > 2:
        grads.append(np.sum(dy, axis=axes) if needs_grad[2] else None)
    return tuple(grads)


class LayerNorm(Function):
    """Normalize each sample over its last axes, then scale and shift.

    forward:  xhat = (x - mean(x)) / sqrt(var(x) + eps)   (over the normalized axes)
              y = xhat * weight + bias
    backward: dxhat = dy * weight
              dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
              dweight = sum(dy * xhat) over the leading axes; dbias = sum(dy) over the leading axes
    shapes:   x (*, *S), weight (*S), bias (*S) -> y (*, *S)
    """

    name = "layer_norm"

    def __init__(self, ndim: int, eps: float) -> None:
        self.ndim = ndim
        self.eps = eps

    def forward(
        self, x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None
    ) -> np.ndarray:
        axes = tuple(range(x.ndim - self.ndim, x.ndim))
        centered = x - np.mean(x, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(np.mean(centered * centered, axis=axes, keepdims=True) + self.eps)
        xhat = centered * inv_std
        self.save(xhat, inv_std, weight, axes)
        y = xhat if weight is None else xhat * weight
        return y if bias is None else y + bias

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xhat, inv_std, weight, axes = self.saved
        leading = tuple(range(dy.ndim - self.ndim))
        dxhat = dy if weight is None else dy * weight
        dx = _normalized_backward(dxhat, xhat, inv_std, axes) if self.needs_grad[0] else None
        return _with_affine_grads(dx, dy, xhat, leading, self.needs_grad)


class BatchNorm(Function):
    """Batch normalization of features (axis 1) over the batch (and any trailing axes).

    forward:  training: xhat = (x - mean_B(x)) / sqrt(var_B(x) + eps); eval: running statistics
              y = xhat * weight + bias
    backward: training: dx = inv_std * (dxhat - mean_B(dxhat) - xhat * mean_B(dxhat * xhat))
              eval:     dx = dxhat * inv_std       (the statistics are constants)
              dweight = sum_B(dy * xhat); dbias = sum_B(dy);   dxhat = dy * weight
    shapes:   x (N, C) or (N, C, L), weight (C,), bias (C,) -> y like x
    """

    name = "batch_norm"

    def __init__(self, mean: np.ndarray, var: np.ndarray, eps: float, training: bool) -> None:
        self.mean = mean
        self.var = var
        self.eps = eps
        self.training = training

    def forward(
        self, x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None
    ) -> np.ndarray:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        # Statistics in the input's dtype, so that float64 running statistics keep float32 float32.
        inv_std = (1.0 / np.sqrt(self.var.reshape(shape) + self.eps)).astype(x.dtype, copy=False)
        xhat = (x - self.mean.reshape(shape).astype(x.dtype, copy=False)) * inv_std
        self.save(xhat, inv_std, weight, shape)
        y = xhat if weight is None else xhat * weight.reshape(shape)
        return y if bias is None else y + bias.reshape(shape)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xhat, inv_std, weight, shape = self.saved
        axes = (0,) + tuple(range(2, dy.ndim))
        dxhat = dy if weight is None else dy * weight.reshape(shape)
        dx = None
        if self.needs_grad[0]:
            dx = (
                _normalized_backward(dxhat, xhat, inv_std, axes)
                if self.training
                else dxhat * inv_std
            )
        return _with_affine_grads(dx, dy, xhat, axes, self.needs_grad)


def layer_norm(
    x: TensorLike,
    normalized_shape: int | Sequence[int],
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` axes (torch.nn.functional.layer_norm).

    See :class:`LayerNorm`.
    """
    ndim = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    inputs = [x] + ([weight] if weight is not None else []) + ([bias] if bias is not None else [])
    if weight is None and bias is not None:
        raise ValueError(
            "layer_norm: a bias without a weight is not supported; pass both or neither."
        )
    return LayerNorm.apply(*inputs, ndim=ndim, eps=eps)


def batch_norm(
    x: TensorLike,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization as ``torch.nn.functional.batch_norm``. See :class:`BatchNorm`.

    In training mode the batch statistics normalize the input, and ``running_mean`` and
    ``running_var`` (arrays, updated in place) move towards them by ``momentum``, the variance
    with Bessel's correction, as PyTorch does. In eval mode the running statistics are used.
    """
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if training:
        axes = (0,) + tuple(range(2, data.ndim))
        count = math.prod(
            data.shape[a] for a in axes
        )  # not size // features: there may be 0 features
        if count < 2:
            raise InputError(
                f"batch_norm: training needs more than one value per feature, got input {data.shape}."
            )
        mean = np.mean(data, axis=axes)
        var = np.var(data, axis=axes)
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (count / (count - 1))
    else:
        mean, var = running_mean, running_var
    if weight is None and bias is not None:
        raise ValueError(
            "batch_norm: a bias without a weight is not supported; pass both or neither."
        )
    inputs = [x] + ([weight] if weight is not None else []) + ([bias] if bias is not None else [])
    return BatchNorm.apply(*inputs, mean=mean, var=var, eps=eps, training=training)
