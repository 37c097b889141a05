"""Linear: the fully connected layer, ``y = x @ W^T + b`` on samples-first input."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random, regularizers
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops.linalg import linear, linear_relu
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

    Keras's :class:`~glassnet.nn.Dense` is this layer built lazily (``in_features`` found on the
    first call, as ``torch.nn.LazyLinear``), with an activation.

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
            _check_size("Linear", arg, value)
        self._set_options(out_features, bias, init, dtype, kernel_regularizer, bias_regularizer)
        self.build(in_features, rng)

    def _set_options(
        self,
        out_features: int,
        bias: bool,
        init: str | Any,
        dtype: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
    ) -> None:
        """Everything but the weights, which :meth:`build` makes once ``in_features`` is known."""
        self.out_features = int(out_features)
        self.use_bias = bias
        self.uses_default_init = init is None
        self.init = initializers.DEFAULT_SCHEME if init is None else init
        self.dtype = np.dtype(dtype)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.in_features: int | None = None
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self.freshly_initialized = False

    @property
    def built(self) -> bool:
        """Whether the weights exist (a lazy layer makes them on its first call)."""
        return self.weight is not None

    def build(self, in_features: int, rng: random.SeedLike = None) -> None:
        """Create the weights for inputs with ``in_features`` features and draw them from ``rng``."""
        self.in_features = int(in_features)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype=self.dtype))
        self.bias = (
            Parameter(np.zeros(self.out_features, dtype=self.dtype)) if self.use_bias else None
        )
        self.reset_parameters(rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights (in place) from ``rng`` (nothing to do before the layer is built)."""
        if not self.built:
            return
        initialize_affine(self.weight, self.bias, self.init, rng)
        self.freshly_initialized = True

    def zero_output_weights(self) -> None:
        """Zero the weights (the default start of a Model's output layer; see ``init.DEFAULT_SCHEME``)."""
        if self.built:
            self.weight.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return linear(x, self.weight, self.bias)

    def pre_activation(self, x: Tensor) -> Tensor:
        """``x @ W^T + b`` (for Dense: the output before the activation, a classifier's logits)."""
        self._check_input(x)
        return linear(x, self.weight, self.bias)

    def linear_relu(self, x: Tensor) -> Tensor:
        """``relu(x @ W^T + b)`` as one fused op (:func:`glassnet.functional.linear_relu`)."""
        self._check_input(x)
        return linear_relu(x, self.weight, self.bias)

    def _check_input(self, x: Tensor) -> None:
        """Build on the first call when lazy; afterwards name the layer and both shapes on a mismatch."""
        if self.weight is not None and x.shape[-1:] == (self.in_features,):
            return  # the usual case, once per batch: one comparison
        if not self.built:
            if x.ndim == 0:
                raise ShapeError(
                    f"{self.display_name}: expected input of shape (batch, features), got a scalar."
                )
            self.build(x.shape[-1])
        elif x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"{self.display_name}: expected input of shape (batch, {self.in_features}), "
                f"got {x.shape}. Check the previous layer's output size or the data's feature count."
            )

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


def _check_size(layer: str, arg: str, value: Any) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: {arg} must be a positive integer, got {value!r}.")


def _init_name(init: Any) -> str:
    if not isinstance(init, str):
        raise TypeError(
            f"a layer initialized with the callable {init!r} cannot be saved; use an initializer name."
        )
    return init
