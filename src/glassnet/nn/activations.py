"""Activation layers: thin Modules over the ops in :mod:`glassnet.ops.activation`, and the one
registry of activation names (:data:`ACTIVATIONS`).

Each layer accepts the seed blog's optional ``units`` argument (``ReLU(5)``): when given, the
layer checks that its input has that many features, which catches a mis-sized network early.

The registry maps each name a layer accepts as ``activation="..."`` (Keras's strings) to its
layer class, its function, its ONNX operator and its torch module. Dense, the Keras convolution
and recurrent layers, Model, the ONNX exporter, model files and the torch converters all read
it, so a name means the same everywhere, and an unknown one gets the same error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
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
    "ActivationSpec",
    "ACTIVATIONS",
    "get_activation",
    "activation_of",
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


@dataclass(frozen=True)
class ActivationSpec:
    """What glassnet knows about one activation name.

    Attributes:
        name: the string layers take (``Dense(4, activation="relu")``), Keras's name.
        layer: the activation layer class (None for ``"linear"``, the identity).
        function: the op with the layer's default options, Tensor -> Tensor (None for ``"linear"``).
        onnx: the ONNX operator (None where there is no export, or for ``"linear"``).
        torch: the ``torch.nn`` module class name (None for ``"linear"``).
        onnx_attributes: fixed attributes of the ONNX node (LeakyRelu's slope).
        along_axis: the activation works along an axis (softmax): ONNX's ``axis``, torch's ``dim``.
        probabilities: the output is a classifier's probabilities, which a Model may fold into
            its loss as logits (sigmoid and softmax).
    """

    name: str
    layer: type[Activation] | None
    function: Callable[[Tensor], Tensor] | None
    onnx: str | None
    torch: str | None
    onnx_attributes: Mapping[str, float] = field(default_factory=dict)
    along_axis: bool = False
    probabilities: bool = False


def _registry(*specs: ActivationSpec) -> dict[str, ActivationSpec]:
    return {spec.name: spec for spec in specs}


ACTIVATIONS: dict[str, ActivationSpec] = _registry(
    ActivationSpec("linear", None, None, None, None),
    ActivationSpec("relu", ReLU, ops.relu, "Relu", "ReLU"),
    ActivationSpec(
        "leaky_relu",
        LeakyReLU,
        ops.leaky_relu,
        "LeakyRelu",
        "LeakyReLU",
        onnx_attributes={"alpha": 0.01},  # the layer's and the function's default slope
    ),
    ActivationSpec("elu", ELU, ops.elu, "Elu", "ELU"),
    ActivationSpec("selu", SELU, ops.selu, "Selu", "SELU"),
    ActivationSpec("gelu", GELU, ops.gelu, None, "GELU"),
    ActivationSpec("sigmoid", Sigmoid, ops.sigmoid, "Sigmoid", "Sigmoid", probabilities=True),
    ActivationSpec("tanh", Tanh, ops.tanh, "Tanh", "Tanh"),
    ActivationSpec("softplus", Softplus, ops.softplus, None, "Softplus"),
    ActivationSpec(
        "softmax", Softmax, ops.softmax, "Softmax", "Softmax", along_axis=True, probabilities=True
    ),
    ActivationSpec(
        "log_softmax", LogSoftmax, ops.log_softmax, "LogSoftmax", "LogSoftmax", along_axis=True
    ),
)

_BY_LAYER = {spec.layer: spec for spec in ACTIVATIONS.values() if spec.layer is not None}


def get_activation(name: str | None, owner: str = "activation") -> ActivationSpec:
    """The registry entry of ``name`` (None means ``"linear"``).

    Raises InputError (a ValueError) naming ``owner`` (the layer asking) and every known name
    when ``name`` is not one of them.

    >>> get_activation("relu").torch
    'ReLU'
    """
    key = "linear" if name is None else name
    spec = ACTIVATIONS.get(key) if isinstance(key, str) else None
    if spec is None:
        raise InputError(
            f"{owner}: unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}. "
            "For another function, leave activation=None and add its layer after this one."
        )
    return spec


def activation_of(layer: Any) -> ActivationSpec | None:
    """The registry entry of an activation layer (``ReLU()`` -> relu; subclasses too), else None."""
    for cls in type(layer).__mro__:
        spec = _BY_LAYER.get(cls)
        if spec is not None:
            return spec
    return None
