"""Activation layers: thin Modules over the ops in :mod:`glassnet.ops.activation`.

Each accepts the seed blog's optional ``units`` argument (``ReLU(5)``): when given, the layer
checks that its input has that many features, which catches a mis-sized network early.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops import activation as ops
from .module import Module

__all__ = [
    "ReLU",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "Activation",
]


class Activation(Module):
    """Base of the element-wise activation layers.

    The first argument is always the blog's optional ``units``; options such as
    ``negative_slope`` are passed by name: ``LeakyReLU(negative_slope=0.2)``.

    Shape:
        Input: ``(batch, *)``, with ``*`` ending in ``units`` when ``units`` is given.
        Output: the input's shape.
    """

    traceable = True

    def compute_mask(self, x: Any, mask: Any = None) -> Any:
        """Keras's mask passes through: this layer keeps every step where it is (see ``apply_layers``)."""
        return mask

    def __init__(self, units: int | None = None) -> None:
        super().__init__()
        if units is not None and (
            not isinstance(units, int) or isinstance(units, bool) or units <= 0
        ):
            hint = ""
            if isinstance(units, float) and len(self.options()) > 0:
                hint = (
                    f" The first argument is the blog's units; pass {self.options()[0]}= by name."
                )
            raise ValueError(
                f"{type(self).__name__}: units must be a positive integer or None, got {units!r}.{hint}"
            )
        self.units = units

    def forward(self, x: Tensor) -> Tensor:
        """:meth:`activate`, after checking the input has ``units`` features when they were given."""
        if self.units is not None and (x.ndim == 0 or x.shape[-1] != self.units):
            raise ShapeError(
                f"{self.display_name}: expected input of shape (batch, {self.units}), got {x.shape}."
            )
        return self.activate(x)

    def activate(self, x: Tensor) -> Tensor:
        """The activation function itself; :meth:`forward` checks the input's width first."""
        raise NotImplementedError

    @classmethod
    def options(cls) -> list[str]:
        """The layer's keyword options besides ``units`` (e.g. ``negative_slope``)."""
        import inspect

        return [
            name
            for name in inspect.signature(cls.__init__).parameters
            if name not in ("self", "units")
        ]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values: ``units`` and the layer's options."""
        return {"units": self.units, **{name: getattr(self, name) for name in self.options()}}

    def extra_repr(self) -> str:
        return "" if self.units is None else f"units={self.units}"


class ReLU(Activation):
    """max(x, 0)."""

    activation_kind = "relu"  # what diagnostics track (glassnet.diagnostics.health)
    traceable = True

    def activate(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class LeakyReLU(Activation):
    """x for x > 0, negative_slope * x otherwise."""

    traceable = True

    def __init__(self, units: int | None = None, negative_slope: float = 0.01) -> None:
        super().__init__(units)
        self.negative_slope = negative_slope

    def activate(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(x, negative_slope=self.negative_slope)


class ELU(Activation):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    traceable = True

    def __init__(self, units: int | None = None, alpha: float = 1.0) -> None:
        super().__init__(units)
        self.alpha = alpha

    def activate(self, x: Tensor) -> Tensor:
        return ops.elu(x, alpha=self.alpha)


class SELU(Activation):
    """Scaled ELU with the self-normalising constants."""

    traceable = True

    def activate(self, x: Tensor) -> Tensor:
        return ops.selu(x)


class GELU(Activation):
    """x * Phi(x); ``approximate="tanh"`` for the tanh approximation."""

    traceable = True

    def __init__(self, units: int | None = None, approximate: str = "none") -> None:
        super().__init__(units)
        self.approximate = approximate

    def activate(self, x: Tensor) -> Tensor:
        return ops.gelu(x, approximate=self.approximate)


class Sigmoid(Activation):
    """1 / (1 + exp(-x)), computed without overflow."""

    activation_kind = "sigmoid"  # what diagnostics track (glassnet.diagnostics.health)
    traceable = True

    def activate(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Activation):
    """tanh(x)."""

    activation_kind = "tanh"  # what diagnostics track (glassnet.diagnostics.health)
    traceable = True

    def activate(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class Softplus(Activation):
    """log(1 + exp(beta x)) / beta, linear above ``threshold``."""

    traceable = True

    def __init__(
        self, units: int | None = None, beta: float = 1.0, threshold: float = 20.0
    ) -> None:
        super().__init__(units)
        self.beta = beta
        self.threshold = threshold

    def activate(self, x: Tensor) -> Tensor:
        return ops.softplus(x, beta=self.beta, threshold=self.threshold)


class Softmax(Activation):
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default)."""

    traceable = True

    def __init__(self, units: int | None = None, axis: int = -1) -> None:
        super().__init__(units)
        self.axis = axis

    def activate(self, x: Tensor) -> Tensor:
        return ops.softmax(x, axis=self.axis)


class LogSoftmax(Activation):
    """log(softmax(x)) along ``axis``, computed stably."""

    traceable = True

    def __init__(self, units: int | None = None, axis: int = -1) -> None:
        super().__init__(units)
        self.axis = axis

    def activate(self, x: Tensor) -> Tensor:
        return ops.log_softmax(x, axis=self.axis)
