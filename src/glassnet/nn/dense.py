"""Dense: the Keras layer. A :class:`~glassnet.nn.Linear` whose input size is found on the first
call (as ``torch.nn.LazyLinear``), with an optional activation from the registry
(:data:`glassnet.nn.activations.ACTIVATIONS`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random, regularizers
from ..autograd.tensor import Tensor
from . import init as initializers
from .activations import ACTIVATIONS, get_activation
from .linear import Linear, _check_size, _init_name
from .module import Module

__all__ = ["Dense"]


class Dense(Linear):
    """Fully connected layer with Keras's names: ``Dense(units, activation=...)``.

    A lazy :class:`Linear`: the weights are created on the first call, from the input's last axis,
    unless ``input_shape`` (or ``in_features``) is given. The weight has PyTorch's layout
    ``(units, in_features)`` and the same names (``weight``, ``bias``), so a Dense and a Linear of
    the same sizes hold the same arrays and draw the same initial values from the same seed.

    Args:
        units: output features.
        activation: None or ``"linear"``, or a name of
            :data:`glassnet.nn.activations.ACTIVATIONS` (``"relu"``, ``"sigmoid"``,
            ``"softmax"``, ...). ``"relu"`` runs as one fused op with the product.
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
        Module.__init__(self)
        _check_size("Dense", "units", units)
        self.activation = get_activation(activation, "Dense").name
        self._set_options(
            units, use_bias, kernel_initializer, dtype, kernel_regularizer, bias_regularizer
        )
        initializers.get_scheme(self.init)  # fail now, not at the first call, on an unknown name
        self.rng = rng
        self.name = name
        if input_shape is not None:
            in_features = int(input_shape[-1])
        if in_features is not None:
            self.build(in_features)

    @property
    def units(self) -> int:
        """Keras's name for ``out_features``."""
        return self.out_features

    def build(self, in_features: int, rng: random.SeedLike = None) -> None:
        """Create the weights for inputs with ``in_features`` features, from ``rng`` or the
        layer's own ``rng``."""
        super().build(in_features, rng if rng is not None else self.rng)

    def forward(self, x: Tensor) -> Tensor:
        # The common hidden layer runs as one fused op, unless a subclass changed pre_activation.
        if self.activation == "relu" and type(self).pre_activation is Linear.pre_activation:
            return self.linear_relu(x)
        z = self.pre_activation(x)
        activate = ACTIVATIONS[self.activation].function
        return z if activate is None else activate(z)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
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
