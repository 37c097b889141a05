"""Linear: the fully connected layer, ``y = x @ W^T + b`` on samples-first input."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random, regularizers
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops.linalg import linear
from . import init as initializers
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "initialize_affine"]


def initialize_affine(
    weight: Parameter, bias: Parameter | None, init: Any, rng: random.SeedLike
) -> None:
    """Draw a weight ``(out, in)`` and bias in place with the scheme or initializer ``init``."""
    generator = random.rng(rng)
    weight_init, bias_init = initializers.get_scheme(init)
    weight.data[...] = weight_init(weight.shape, generator, weight.dtype)
    if bias is not None:
        bias.data[...] = bias_init(bias.shape, generator, bias.dtype, weight.shape[1])


class Linear(Module):
    """Fully connected layer with PyTorch's names and weight layout.

    Args:
        in_features: features per input sample.
        out_features: features per output sample (units).
        bias: learn an additive bias.
        init: a scheme (``"blog_uniform"``, ``"torch"``) or a weight initializer name / callable
            (biases then start at zero); see :mod:`glassnet.nn.init`. The default (None) is
            He-uniform weights and zero biases; a Model also zeroes the weights of its output layer
            before training when that layer uses the default and has fewer than 8 inputs (see
            ``init.DEFAULT_SCHEME`` and ``init.NARROW_WIDTH``).
        dtype: float32 (default) or float64.
        rng: seed or generator for the initial weights (default: the one set by ``glassnet.seed``).
        kernel_regularizer, bias_regularizer: penalties a Model adds to the training loss.

    Shape:
        Input: ``(batch, in_features)`` (extra leading axes allowed).
        Output: ``(batch, out_features)``.

    >>> import glassnet as gn, numpy as np
    >>> layer = gn.nn.Linear(2, 5, rng=0)
    >>> layer(gn.Tensor(np.zeros((3, 2), dtype=np.float32))).shape
    (3, 5)
    """

    traceable = True

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Any = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
    ) -> None:
        super().__init__()
        for arg, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Linear: {arg} must be a positive integer, got {value!r}.")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.use_bias = bias
        self.uses_default_init = init is None
        self.init = initializers.DEFAULT_SCHEME if init is None else init
        self.dtype = np.dtype(dtype)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype=self.dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype=self.dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights (in place) from ``rng``."""
        initialize_affine(self.weight, self.bias, self.init, rng)
        self.freshly_initialized = True

    def zero_output_weights(self) -> None:
        """Zero the weights (the default start of a Model's output layer; see ``init.DEFAULT_SCHEME``)."""
        self.weight.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"{self.display_name}: expected input of shape (batch, {self.in_features}), "
                f"got {x.shape}. Check the previous layer's output size or the data's feature count."
            )
        return linear(x, self.weight, self.bias)

    def regularization_loss(self) -> Tensor | None:
        """The sum of this layer's weight penalties, or None without regularizers."""
        return regularizers.penalty(
            ((self.kernel_regularizer, self.weight), (self.bias_regularizer, self.bias))
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (a callable init cannot be saved by name)."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.use_bias,
            "init": None if self.uses_default_init else _init_name(self.init),
            "dtype": self.dtype.name,
            "kernel_regularizer": regularizers.to_config(self.kernel_regularizer),
            "bias_regularizer": regularizers.to_config(self.bias_regularizer),
        }

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.use_bias}"


def _init_name(init: Any) -> str:
    if not isinstance(init, str):
        raise TypeError(
            f"a layer initialized with the callable {init!r} cannot be saved; use an initializer name."
        )
    return init
