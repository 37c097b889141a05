"""Keras's sequence layers for ``Model([...])``: SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed, Masking.

Names: PyTorch's recurrent layers are ``glassnet.nn.RNN``, ``glassnet.nn.LSTM`` and ``glassnet.nn.GRU``
(they return ``(output, state)`` tuples). The Keras layers of this module return one tensor and
are the top-level ``glassnet.LSTM``, ``glassnet.GRU``, ``glassnet.SimpleRNN`` (and all are in
``glassnet.layers``), as ``glassnet.Dense`` is Keras's and ``glassnet.nn.Linear`` PyTorch's.

The weights have PyTorch's layout and gate order (``weight_ih`` ``(G * units, features)``,
``weight_hh`` ``(G * units, units)``; LSTM gates i, f, g, o, which is Keras's i, f, c, o; GRU gates
r, z, n), and they run through the same fused ops (``glassnet.ops.recurrent``). LSTM and SimpleRNN
have one bias, as in Keras; GRU has two (``bias_ih``, ``bias_hh``), Keras's ``reset_after=True``.

Masks, the small convention ``Model.forward`` follows (``glassnet.training.model``): a layer that
makes or passes a mask has ``compute_mask(x, mask)`` returning the ``(N, T)`` boolean mask of its
output (or None); a layer with ``supports_masking = True`` receives the current mask as
``layer(x, mask=mask)``. Any other layer ends the mask. ``Embedding(mask_zero=True)`` and
``Masking`` start one; recurrent layers use it and pass it on when they return sequences.

Keras's rule at a masked step (its backend ``rnn`` with ``zero_output_for_mask=False``, the default
of a plain recurrent layer): the states are carried unchanged, and the output repeats the output of
the previous step in reading order (with ``go_backwards``, the previous step read, i.e. the next one
in time), or is 0 before the first valid step. So a sequence's last output is the output of its last
valid step. ``Bidirectional`` sets ``zero_output_for_mask = return_sequences`` on both of its layers,
so its masked steps output 0 (a layer built with ``zero_output_for_mask=True`` does too). glassnet's
fused ops output 0 at a masked step; the layers here turn that into Keras's rule with
:func:`glassnet.ops.shape.fill_forward` (one gather; its backward one segmented sum).

One difference from Keras, on purpose: with ``go_backwards`` and ``return_sequences``, the mask passed
on is reversed like the outputs (Keras passes the input's mask unreversed, which then marks the wrong
outputs as padding).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor
from ..errors import ShapeError
from ..ops.arithmetic import add, div, mul
from ..ops.recurrent import gru, lstm, rnn
from ..ops.shape import concatenate, fill_forward, getitem, reshape
from . import hooks as module_hooks
from . import init as initializers
from .activations import get_activation
from .module import Module
from .parameter import Parameter
from .recurrent import check_sequence

__all__ = ["GRU", "LSTM", "Bidirectional", "Masking", "SimpleRNN", "TimeDistributed"]

_REVERSE_TIME = (slice(None), slice(None, None, -1))


class _KerasRecurrent(Module):
    """What SimpleRNN, LSTM and GRU share: lazy weights, dropout masks, output selection."""

    gates = 1
    supports_masking = True
    activations: tuple[str, ...] = ("tanh",)

    def __init__(
        self,
        units: int,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        use_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        kernel_initializer: str = "glorot_uniform",
        recurrent_initializer: str = "orthogonal",
        zero_output_for_mask: bool = False,
        input_shape: tuple[int | None, ...] | None = None,
        in_features: int | None = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        kind = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}.")
        get_activation(activation, kind)  # an unknown name gets the registry's error
        if activation not in self.activations:
            raise ValueError(
                f"{kind}: activation {activation!r} is not supported by the fused op; "
                f"use one of {', '.join(map(repr, self.activations))}."
            )
        if self.gates > 1 and recurrent_activation != "sigmoid":
            raise ValueError(
                f"{kind}: recurrent_activation {recurrent_activation!r} is not supported by the "
                "fused op; use 'sigmoid' (Keras's default)."
            )
        for what, p in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{kind}: {what} must lie in [0, 1), got {p}.")
        initializers.get(kernel_initializer)
        initializers.get(recurrent_initializer)
        self.units = int(units)
        self.activation, self.recurrent_activation = activation, recurrent_activation
        self.use_bias, self.return_sequences, self.return_state = (
            bool(use_bias),
            bool(return_sequences),
            bool(return_state),
        )
        self.go_backwards = bool(go_backwards)
        # Keras's: 0 at masked steps instead of the last valid output (Bidirectional sets it).
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.kernel_initializer, self.recurrent_initializer = (
            kernel_initializer,
            recurrent_initializer,
        )
        self.dtype = np.dtype(dtype)
        self.rng = rng
        # One generator for the dropout masks: a seed gives a repeatable sequence of different masks.
        self.dropout_rng = random.rng(rng) if rng is not None else None
        self.name = name
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.in_features: int | None = None
        self.freshly_initialized = False
        if self.input_shape is not None:
            in_features = self.input_shape[-1]
        if in_features is not None:
            self.build(int(in_features))

    @property
    def built(self) -> bool:
        return self.in_features is not None

    def _bias_names(self) -> list[str]:
        return ["bias"] if self.use_bias else []

    def build(self, in_features: int, rng: random.SeedLike = None) -> None:
        """Create the weights for inputs with ``in_features`` features per step."""
        self.in_features = int(in_features)
        width = self.gates * self.units
        self.weight_ih = Parameter(np.zeros((width, self.in_features), dtype=self.dtype))
        self.weight_hh = Parameter(np.zeros((width, self.units), dtype=self.dtype))
        for name in self._bias_names():
            setattr(self, name, Parameter(np.zeros(width, dtype=self.dtype)))
        self.reset_parameters(rng if rng is not None else self.rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Keras's defaults: glorot-uniform kernel, orthogonal recurrent kernel, zero biases (and a
        forget-gate bias of 1 in the LSTM, Keras's ``unit_forget_bias``)."""
        if not self.built:
            return
        generator = random.rng(rng)
        kernel = initializers.get(self.kernel_initializer)
        recurrent = initializers.get(self.recurrent_initializer)
        self.weight_ih.data[...] = kernel(self.weight_ih.shape, generator, dtype=self.dtype)
        # Keras draws one (units, G * units) matrix; its transpose is PyTorch's (G * units, units) layout.
        self.weight_hh.data[...] = recurrent(
            (self.units, self.gates * self.units), generator, dtype=self.dtype
        ).T
        for name in self._bias_names():
            getattr(self, name).data[...] = 0
        self._bias_defaults()
        self.freshly_initialized = True

    def _bias_defaults(self) -> None:
        """Subclasses set non-zero initial biases here."""

    def check_input_rank(self, shape: tuple[int, ...]) -> None:
        """A ShapeError unless ``shape`` is ``(N, T, features)`` (Model checks its data with it first)."""
        check_sequence(self.display_name, (1,) * len(shape) if len(shape) == 3 else shape, None)

    def _check(self, x: Tensor) -> None:
        check_sequence(self.display_name, x.shape, self.in_features)
        if not self.built:
            self.build(x.shape[2])

    def _dropout_masks(self, x: Tensor) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Keras's dropout masks, one per sample, the same at every step: on inputs and on h_{t-1}."""
        if not self.training or (self.dropout == 0 and self.recurrent_dropout == 0):
            return None, None
        # Without an rng of its own the layer draws from self.rng, which fit(seed=...) lends its
        # generator to (as it does for Dropout), so a seeded fit repeats its masks.
        generator = random.rng(
            self.dropout_rng if self.dropout_rng is not None else getattr(self, "rng", None)
        )
        masks = []
        for p, size in ((self.dropout, x.shape[2]), (self.recurrent_dropout, self.units)):
            keep = None
            if p > 0:
                keep = (generator.random((x.shape[0], size)) >= p).astype(
                    self.dtype
                ) / self.dtype.type(1 - p)
            masks.append(keep)
        return masks[0], masks[1]

    def sequence(
        self,
        x: Any,
        mask: Any = None,
        reverse: bool = False,
        initial_state: list[Any] | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """The outputs aligned with the input's steps ``(N, T, units)`` and the final states."""
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self.dtype))
        self._check(x)
        n = x.shape[0]
        if mask is not None:
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
            if mask.shape != x.shape[:2]:
                raise ShapeError(
                    f"{self.display_name}: mask of shape {mask.shape} does not fit the input "
                    f"{tuple(x.shape)}: expected (N, T) = {tuple(x.shape[:2])}."
                )
        input_mask, recurrent_mask = self._dropout_masks(x)
        if input_mask is not None:
            x = mul(x, input_mask[:, np.newaxis, :])
        states = self._initial_states(initial_state, n)
        weights = [self.weight_ih, self.weight_hh] + [getattr(self, b) for b in self._bias_names()]
        out, *finals = self._run(
            x, states, weights, mask=mask, reverse=reverse, recurrent_mask=recurrent_mask
        )
        return out, finals

    def _initial_states(self, initial_state: list[Any] | None, n: int) -> list[Any]:
        count = 2 if self.gates == 4 else 1
        if initial_state is None:
            return [np.zeros((n, self.units), dtype=self.dtype)] * count
        states = (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        )
        states = [s if isinstance(s, Tensor) else np.asarray(s, dtype=self.dtype) for s in states]
        if len(states) != count or any(tuple(s.shape) != (n, self.units) for s in states):
            raise ShapeError(
                f"{self.display_name}: initial_state must be {count} array(s) of shape (N, units) = "
                f"{(n, self.units)}, got {[tuple(s.shape) for s in states]}."
            )
        return states

    def _run(
        self, x: Tensor, states: list[Any], weights: list[Parameter], **options: Any
    ) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def forward(self, x: Any, mask: Any = None, initial_state: list[Any] | None = None) -> Any:
        if mask is not None:
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask, dtype=bool)
        out, finals = self.sequence(x, mask, self.go_backwards, initial_state)
        if self.return_sequences:
            # Keras's go_backwards returns the outputs in the order it visited the steps.
            output = getitem(out, _REVERSE_TIME) if self.go_backwards else out
            if mask is not None and not self.zero_output_for_mask:
                output = fill_forward(output, mask[:, ::-1] if self.go_backwards else mask)
        else:
            output = finals[0]
            if mask is not None:
                # Keras's last output is its last step's output: h_n, or 0 where no step was valid
                # (even with an initial_state, which is then the carried state); with
                # zero_output_for_mask, 0 where the last step read was masked.
                last_read = mask[:, 0] if self.go_backwards else mask[:, -1]
                shown = last_read if self.zero_output_for_mask else mask.any(axis=1)
                if not shown.all():
                    output = mul(output, shown[:, np.newaxis].astype(output.dtype))
        return [output, *finals] if self.return_state else output

    def compute_mask(self, x: Any, mask: Any) -> Any:
        """The output's mask: the input's when returning sequences (Keras's rule), else None."""
        if mask is None or not self.return_sequences:
            return None
        return mask[:, ::-1] if self.go_backwards else mask

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "units": self.units,
            "activation": self.activation,
            "recurrent_activation": self.recurrent_activation,
            "use_bias": self.use_bias,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "kernel_initializer": self.kernel_initializer,
            "recurrent_initializer": self.recurrent_initializer,
            "zero_output_for_mask": self.zero_output_for_mask,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "in_features": self.in_features,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        text = f"units={self.units}, in_features={self.in_features}"
        if self.return_sequences:
            text += ", return_sequences=True"
        return text


class SimpleRNN(_KerasRecurrent):
    """Keras's SimpleRNN: ``h_t = activation(x_t W_ih^T + h_{t-1} W_hh^T + b)`` (tanh or relu).

    Shape:
        Input: ``(N, T, features)``. Output: ``(N, T, units)`` with ``return_sequences=True``, else
        ``(N, units)``; with ``return_state=True`` a list ``[output, h_n]``.
    """

    activations = ("tanh", "relu")

    def _run(
        self, x: Tensor, states: list[Any], weights: list[Parameter], **options: Any
    ) -> tuple[Tensor, ...]:
        return rnn(x, states[0], *weights, nonlinearity=self.activation, **options)


class LSTM(_KerasRecurrent):
    """Keras's LSTM (``unit_forget_bias``: the forget gate's bias starts at 1).

    Shape:
        Input: ``(N, T, features)``. Output: ``(N, T, units)`` with ``return_sequences=True``, else
        ``(N, units)``; with ``return_state=True`` a list ``[output, h_n, c_n]``.

    >>> import glassnet as gn, numpy as np
    >>> layer = gn.LSTM(8, return_sequences=True, rng=0)
    >>> layer(np.ones((2, 5, 3), dtype=np.float32)).shape, layer.weight_ih.shape
    ((2, 5, 8), (32, 3))
    """

    gates = 4
    registry_name = "keras.LSTM"  # model files: glassnet.nn.LSTM (PyTorch's) is "LSTM"

    def _bias_defaults(self) -> None:
        if self.use_bias:
            self.bias.data[self.units : 2 * self.units] = 1.0

    def _run(
        self, x: Tensor, states: list[Any], weights: list[Parameter], **options: Any
    ) -> tuple[Tensor, ...]:
        return lstm(x, states[0], states[1], *weights, **options)


class GRU(_KerasRecurrent):
    """Keras's GRU with ``reset_after=True`` (its default), which is PyTorch's GRU:
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; biases ``bias_ih`` and ``bias_hh``.

    Shape:
        Input: ``(N, T, features)``. Output: ``(N, T, units)`` or ``(N, units)``; with
        ``return_state=True`` a list ``[output, h_n]``.
    """

    gates = 3
    registry_name = "keras.GRU"

    def __init__(self, units: int, *args: Any, reset_after: bool = True, **kwargs: Any) -> None:
        if not reset_after:
            raise ValueError(
                "GRU: reset_after=False (the original GRU) is not supported; glassnet's GRU is "
                "Keras's reset_after=True, PyTorch's formula."
            )
        super().__init__(units, *args, **kwargs)

    def _bias_names(self) -> list[str]:
        return ["bias_ih", "bias_hh"] if self.use_bias else []

    def _run(
        self, x: Tensor, states: list[Any], weights: list[Parameter], **options: Any
    ) -> tuple[Tensor, ...]:
        return gru(x, states[0], *weights, **options)


class Bidirectional(Module):
    """Keras's Bidirectional: a recurrent layer run forwards and a copy run backwards, merged.

    Args:
        layer: a SimpleRNN, LSTM or GRU; its copy (same config, ``go_backwards`` flipped, its own
            weights) reads the sequence from the end.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or None for a list of both.

    Shape:
        Input: ``(N, T, features)``. Output: ``(N, T, 2 * units)`` (concat) or ``(N, T, units)``;
        without ``return_sequences``, ``(N, 2 * units)`` from both final states.

    With a mask, masked steps output 0 in both directions (Keras sets ``zero_output_for_mask`` to
    ``return_sequences`` on the wrapped layers), while the states are carried over them.
    """

    supports_masking = True
    MERGE_MODES = ("concat", "sum", "mul", "ave", None)

    def __init__(
        self, layer: _KerasRecurrent, merge_mode: str | None = "concat", name: str | None = None
    ) -> None:
        super().__init__()
        if not isinstance(layer, _KerasRecurrent):
            raise TypeError(
                f"Bidirectional: expected a SimpleRNN, LSTM or GRU layer, got {type(layer).__name__}."
            )
        if merge_mode not in self.MERGE_MODES:
            raise ValueError(
                f"Bidirectional: merge_mode must be one of {self.MERGE_MODES}, got {merge_mode!r}."
            )
        self.merge_mode = merge_mode
        self.name = name
        self.forward_layer = layer
        config = {**layer.get_config(), "go_backwards": not layer.go_backwards}
        # Its own draw: an int seed given to the layer would otherwise give both directions the same weights.
        seed = layer.rng
        backward_rng = (
            np.random.default_rng([int(seed), 1]) if isinstance(seed, (int, np.integer)) else seed
        )
        self.backward_layer = type(layer)(**config, rng=backward_rng)
        # As Keras's Bidirectional: masked steps output 0 when the directions return sequences.
        for inner in (self.forward_layer, self.backward_layer):
            inner.zero_output_for_mask = inner.return_sequences
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.dtype = layer.dtype
        self.input_shape = layer.input_shape
        self.freshly_initialized = True

    @property
    def built(self) -> bool:
        return self.forward_layer.built

    @property
    def in_features(self) -> int | None:
        return self.forward_layer.in_features

    def check_input_rank(self, shape: tuple[int, ...]) -> None:
        """A ShapeError unless ``shape`` is ``(N, T, features)``."""
        check_sequence(self.display_name, (1,) * len(shape) if len(shape) == 3 else shape, None)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """New initial weights for both directions."""
        generator = random.rng(rng)
        self.forward_layer.reset_parameters(generator)
        self.backward_layer.reset_parameters(generator)

    def forward(self, x: Any, mask: Any = None) -> Any:
        results = [
            self._run_layer(layer, x, mask) for layer in (self.forward_layer, self.backward_layer)
        ]
        if self.return_sequences:
            outputs = [out for out, _ in results]
        else:
            outputs = [finals[0] for _, finals in results]
        merged = self._merge(outputs)
        if self.return_state:
            return [merged, *results[0][1], *results[1][1]]
        return merged

    @staticmethod
    def _run_layer(layer: _KerasRecurrent, x: Any, mask: Any) -> tuple[Tensor, list[Tensor]]:
        """One direction's outputs, aligned with the input's steps, and its final states.

        A layer with hooks (``bidirectional.forward_layer.register_forward_hook(...)``) is called
        as a module, so that they fire and see what the layer returns on its own, as in Keras (the
        backward layer's sequence in the order it read it, flipped back here). Otherwise its
        sequence is run directly, which spares the two flips; the numbers are the same.
        """
        if not module_hooks.has_hooks(layer):
            return layer.sequence(x, mask, reverse=layer.go_backwards)
        result = layer(x) if mask is None else layer(x, mask=mask)
        output, *states = result if layer.return_state else [result]
        if layer.return_sequences and layer.go_backwards:
            output = getitem(output, _REVERSE_TIME)
        # Without return_state the layer returns h_n alone when not returning sequences, and the
        # final states are then only read for that h_n.
        return output, states if layer.return_state else [output]

    def _merge(self, outputs: list[Tensor]) -> Any:
        first, second = outputs
        if self.merge_mode == "concat":
            return concatenate([first, second], axis=-1)
        if self.merge_mode == "sum":
            return add(first, second)
        if self.merge_mode == "mul":
            return mul(first, second)
        if self.merge_mode == "ave":
            return div(add(first, second), 2.0)
        return [first, second]

    def compute_mask(self, x: Any, mask: Any) -> Any:
        """The input's mask when returning sequences, else None."""
        return mask if self.return_sequences else None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values: the wrapped layer as ``{"class", "name", "config"}``
        (a model file builds it first; see ``glassnet.io.serialization.build_layer``)."""
        inner = self.forward_layer
        return {"layer": _entry(inner), "merge_mode": self.merge_mode}

    def extra_repr(self) -> str:
        return f"merge_mode={self.merge_mode!r}"


class TimeDistributed(Module):
    """Apply ``layer`` to every time step: ``(N, T, ...)`` is run as ``(N * T, ...)`` and reshaped back.

    Shape:
        Input: ``(N, T, *in)``. Output: ``(N, T, *out)`` where ``layer`` maps ``(M, *in)`` to ``(M, *out)``.
    """

    supports_masking = True

    def __init__(self, layer: Module, name: str | None = None) -> None:
        super().__init__()
        if not isinstance(layer, Module):
            raise TypeError(f"TimeDistributed: expected a layer, got {type(layer).__name__}.")
        self.layer = layer
        self.name = name

    @property
    def built(self) -> bool:
        return getattr(self.layer, "built", True)

    @property
    def dtype(self) -> Any:
        return getattr(self.layer, "dtype", None)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Re-initialize the wrapped layer."""
        reset = getattr(self.layer, "reset_parameters", None)
        if reset is not None:
            reset(rng)

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        if x.ndim < 3:
            raise ShapeError(
                f"{self.display_name} expects (N, T, ...) with a time axis; got {tuple(x.shape)}."
            )
        n, steps = x.shape[0], x.shape[1]
        y = self.layer(reshape(x, (n * steps, *x.shape[2:])))
        return reshape(y, (n, steps, *y.shape[1:]))

    def compute_mask(self, x: Any, mask: Any) -> Any:
        """Time steps keep their mask."""
        return mask

    def get_config(self) -> dict[str, Any]:
        """The wrapped layer as ``{"class", "name", "config"}``, built first when loading."""
        return {"layer": _entry(self.layer)}


def _entry(layer: Module) -> dict[str, Any]:
    """A wrapped layer as a model file's nested entry (see ``glassnet.io.serialization.layer_config``)."""
    return {
        "class": type(layer).__dict__.get("registry_name", type(layer).__name__),
        "name": layer.name,
        "config": layer.get_config(),
    }


class Masking(Module):
    """Keras's Masking: steps whose features all equal ``mask_value`` are masked for the layers after it
    (and set to 0, as Keras does).

    Shape:
        Input: ``(N, T, features)``. Output: the same.
    """

    def __init__(self, mask_value: float = 0.0, name: str | None = None) -> None:
        super().__init__()
        self.mask_value = float(mask_value)
        self.name = name

    def compute_mask(self, x: Any, mask: Any = None) -> np.ndarray:
        """True at the steps with some feature different from ``mask_value``."""
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        return np.any(data != self.mask_value, axis=-1)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        if x.ndim != 3:
            raise ShapeError(f"{self.display_name} expects (N, T, features); got {tuple(x.shape)}.")
        keep = self.compute_mask(x)[:, :, np.newaxis].astype(x.dtype)
        return mul(x, keep)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {"mask_value": self.mask_value}

    def extra_repr(self) -> str:
        return f"mask_value={self.mask_value}"
