"""Normalization layers: BatchNorm1d and BatchNorm2d (running statistics, train/eval) and LayerNorm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
from ..ops.normalization import batch_norm, layer_norm
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class BatchNorm1d(Module):
    """Batch normalization of features, with PyTorch's arguments and running statistics.

    In ``train()`` mode each batch is normalized with its own mean and variance, and the running
    statistics move towards them by ``momentum``; in ``eval()`` mode the running statistics are used.

    Shape:
        Input: ``(batch, num_features)`` or ``(batch, num_features, length)``. Output: the same.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(
                f"BatchNorm1d: num_features must be a positive integer, got {num_features!r}."
            )
        if eps <= 0:
            raise ValueError(f"BatchNorm1d: eps must be > 0, got {eps}.")
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float))
            or not 0 <= momentum <= 1
        ):
            # PyTorch's momentum=None (a cumulative average of every batch) is not implemented here.
            raise InputError(
                f"{type(self).__name__}: momentum must be a number in [0, 1], got {momentum!r} "
                "(momentum=None, PyTorch's cumulative average, is not supported; use e.g. 0.1)."
            )
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ShapeError(
                f"{self.display_name}: expected input of shape (batch, {self.num_features}) or "
                f"(batch, {self.num_features}, length), got {x.shape}."
            )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.weight is not None,
            "dtype": self.running_mean.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalization of the channels of images (``torch.nn.BatchNorm2d``).

    Each channel is normalized over the batch and all pixels; ``weight``, ``bias``, ``running_mean``
    and ``running_var`` have one entry per channel and move as in :class:`BatchNorm1d`.

    Shape:
        Input: ``(N, num_features, H, W)``. Output: the same.
    """

    def _check_input(self, x: Tensor) -> None:
        if x.ndim == 4 and x.shape[1] == self.num_features:
            return
        hint = ""
        if x.ndim == 4 and x.shape[3] == self.num_features:
            hint = " The channels are on the last axis: give channels-first data, e.g. x.transpose(0, 3, 1, 2)."
        elif x.ndim == 3:
            hint = " Add the batch axis: x[None]."
        elif x.ndim == 2:
            hint = " For (batch, features) data use BatchNorm1d."
        raise ShapeError(
            f"{self.display_name}: expected input of shape (N, {self.num_features}, H, W), "
            f"got {x.shape}.{hint}"
        )


class LayerNorm(Module):
    """Normalize each sample over its last axes (``normalized_shape``), then scale and shift.

    Shape:
        Input: ``(*, *normalized_shape)``. Output: the same.
    """

    traceable = True

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        if not shape or any(size <= 0 for size in shape):
            raise ValueError(
                f"LayerNorm: normalized_shape must hold positive sizes, got {normalized_shape!r}."
            )
        self.normalized_shape = shape
        self.eps = eps
        self.weight = Parameter(np.ones(shape, dtype=dtype)) if elementwise_affine else None
        # bias=False (torch >= 2.1): scale only, as in a Transformer built with bias=False.
        self.bias = Parameter(np.zeros(shape, dtype=dtype)) if elementwise_affine and bias else None

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        """Keras's mask passes through: this layer keeps every step where it is (see ``apply_layers``)."""
        return mask

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[x.ndim - len(self.normalized_shape) :] != self.normalized_shape:
            raise ShapeError(
                f"{self.display_name}: expected input ending in {self.normalized_shape}, got {x.shape}."
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        dtype = self.weight.dtype.name if self.weight is not None else "float32"
        return {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.weight is not None,
            "bias": self.bias is not None,
            "dtype": dtype,
        }

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
