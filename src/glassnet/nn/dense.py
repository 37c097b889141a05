"""Dense: the Keras layer. A Linear layer whose input size is found on the first call, with an
optional activation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import random, regularizers
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops import activation as activation_ops
from ..ops.linalg import linear, linear_relu
from . import init as initializers
from .linear import initialize_affine
from .module import Module
from .parameter import Parameter

__all__ = ["Dense", "ACTIVATIONS"]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor] | None] = {
    "linear": None,
    "relu": activation_ops.relu,
    "leaky_relu": activation_ops.leaky_relu,
    "elu": activation_ops.elu,
    "selu": activation_ops.selu,
    "gelu": activation_ops.gelu,
    "sigmoid": activation_ops.sigmoid,
    "tanh": activation_ops.tanh,
    "softplus": activation_ops.softplus,
    "softmax": activation_ops.softmax,
    "log_softmax": activation_ops.log_softmax,
}


class Dense(Module):
    """Fully connected layer with Keras's names: ``Dense(units, activation=...)``.

    The weights are created on the first call, from the input's last axis, unless
    ``input_shape`` (or ``in_features``) is given. Internally the weight has PyTorch's layout
    ``(units, in_features)``, so a Dense and a Linear of the same sizes hold the same arrays.

    Args:
        units: output features.
        activation: None or ``"linear"``, or one of :data:`ACTIVATIONS` (``"relu"``, ``"sigmoid"``,
            ``"softmax"``, ...).
        kernel_initializer: as ``Linear``'s ``init``; None is glassnet's default (see
            ``glassnet.nn.init.DEFAULT_SCHEME``).
        use_bias: learn an additive bias.
        input_shape: ``(in_features,)`` to build at once, as in Keras.
        kernel_regularizer, bias_regularizer: penalties added to the training loss
            (``"l2"``, ``glassnet.regularizers.L2(1e-4)``...).

    Shape:
        Input: ``(batch, in_features)``. Output: ``(batch, units)``.

    >>> import glassnet as gn, numpy as np
    >>> layer = Dense(3, activation="relu")
    >>> layer(gn.Tensor(np.ones((2, 4), dtype=np.float32))).shape, layer.weight.shape
    ((2, 3), (3, 4))
    """

    traceable = True

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        kernel_initializer: str | Any = None,
        use_bias: bool = True,
        input_shape: tuple[int, ...] | None = None,
        in_features: int | None = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        name: str | None = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
    ) -> None:
        super().__init__()
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}.")
        key = "linear" if activation is None else activation
        if key not in ACTIVATIONS:
            raise ValueError(
                f"Dense: unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}."
            )
        self.units = int(units)
        self.activation = key
        self.use_bias = use_bias
        self.uses_default_init = kernel_initializer is None
        self.init = (
            initializers.DEFAULT_SCHEME if kernel_initializer is None else kernel_initializer
        )
        initializers.get_scheme(self.init)  # fail now, not at the first call, on an unknown name
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self.name = name
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.in_features: int | None = None
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self.freshly_initialized = False
        if input_shape is not None:
            in_features = int(input_shape[-1])
        if in_features is not None:
            self.build(in_features)

    @property
    def built(self) -> bool:
        return self.weight is not None

    def build(self, in_features: int, rng: random.SeedLike = None) -> None:
        """Create the weights for inputs with ``in_features`` features."""
        self.in_features = int(in_features)
        self.weight = Parameter(np.zeros((self.units, self.in_features), dtype=self.dtype))
        self.bias = Parameter(np.zeros(self.units, dtype=self.dtype)) if self.use_bias else None
        self.reset_parameters(rng if rng is not None else self.rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights in place (nothing to do before the layer is built)."""
        if not self.built:
            return
        initialize_affine(self.weight, self.bias, self.init, rng)
        self.freshly_initialized = True

    def zero_output_weights(self) -> None:
        """Zero the weights (the default start of a Model's output layer)."""
        if self.built:
            self.weight.data[...] = 0

    def pre_activation(self, x: Tensor) -> Tensor:
        """``x @ W^T + b``: the output before the activation (the logits of a classifier)."""
        self._check_input(x)
        return linear(x, self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        # The common hidden layer runs as one fused op, unless a subclass changed pre_activation.
        if self.activation == "relu" and type(self).pre_activation is Dense.pre_activation:
            self._check_input(x)
            return linear_relu(x, self.weight, self.bias)
        z = self.pre_activation(x)
        activate = ACTIVATIONS[self.activation]
        return z if activate is None else activate(z)

    def _check_input(self, x: Tensor) -> None:
        """Build on the first call; afterwards, name the layer and both shapes on a mismatch."""
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
                f"{self.display_name}: expected input of shape (batch, {self.in_features}), got {x.shape}. "
                "Check the previous layer's output size or the data's feature count."
            )

    def regularization_loss(self) -> Tensor | None:
        """The sum of this layer's weight penalties, or None without regularizers."""
        return regularizers.penalty(
            ((self.kernel_regularizer, self.weight), (self.bias_regularizer, self.bias))
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        from .linear import _init_name

        return {
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": None if self.uses_default_init else _init_name(self.init),
            "in_features": self.in_features,
            "dtype": self.dtype.name,
            "kernel_regularizer": regularizers.to_config(self.kernel_regularizer),
            "bias_regularizer": regularizers.to_config(self.bias_regularizer),
        }

    def extra_repr(self) -> str:
        return f"units={self.units}, activation={self.activation!r}, in_features={self.in_features}"
