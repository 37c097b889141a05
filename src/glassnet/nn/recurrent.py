"""Recurrent layers with PyTorch's names and contract: RNN, LSTM, GRU and their one-step cells.

Each layer and direction runs as one fused op over the whole sequence (``glassnet.ops.recurrent``);
the weights have PyTorch's names, shapes, gate order and initialization, so ``load_state_dict``
takes a ``torch.nn.LSTM``'s ``state_dict()`` as it is. The one difference: glassnet is
samples-first, so ``batch_first=True`` is the default. ``forward(x, hx=None, lengths=None)``:
``lengths`` (one int per sample) stops each sample at its length, as a packed sequence does in
PyTorch, without packing anything.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
from ..ops.recurrent import gru, lengths_mask, lstm, rnn
from ..ops.regularization import dropout
from ..ops.shape import getitem, stack, transpose
from .module import Module
from .parameter import Parameter

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "check_lengths",
    "check_sequence",
]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def check_sequence(
    layer: str, shape: tuple[int, ...], input_size: int | None, batch_first: bool = True
) -> None:
    """A ShapeError naming the layer unless ``shape`` is 3-D with ``input_size`` features last."""
    shape = tuple(shape)
    layout = "(N, T, features)" if batch_first else "(T, N, features)"
    if len(shape) != 3:
        hint = (
            ": add a features axis, x[..., None]"
            if len(shape) == 2
            else ": pass one sequence per sample, features last"
        )
        raise ShapeError(f"{layer} expects {layout}; got {shape}{hint}.")
    if input_size is not None and shape[2] != input_size:
        raise ShapeError(
            f"{layer}: expected {input_size} features per step (input_size), got {shape[2]} "
            f"in input of shape {shape}. Check the data or the layer's input_size."
        )
    if 0 in shape[:2]:
        raise ShapeError(f"{layer}: the input {shape} has no samples or no time steps.")


def check_lengths(layer: str, lengths: Any, n: int, steps: int) -> np.ndarray:
    """``lengths`` as an int array of shape ``(n,)`` with 1 <= length <= steps, else an InputError."""
    values = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if (
        values.shape != (n,)
        or values.dtype.kind not in "iu"
        and not (values.dtype.kind == "f" and np.all(values == np.round(values)))
    ):
        raise InputError(
            f"{layer}: lengths must hold one integer per sample, shape ({n},); got "
            f"shape {values.shape}, dtype {values.dtype}."
        )
    values = values.astype(np.int64)
    bad = np.flatnonzero((values < 1) | (values > steps))
    if bad.size:
        raise InputError(
            f"{layer}: lengths must lie in [1, {steps}] (the input's time steps); sample {bad[0]} "
            f"has length {values[bad[0]]}. Pad the input to the longest sequence, and drop empty ones."
        )
    return values


class _RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks and the loop over layers and directions."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        super().__init__()
        kind = type(self).__name__
        for what, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{kind}: {what} must be a positive integer, got {value!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{kind}: dropout must lie in [0, 1), got {dropout}.")
        self.input_size, self.hidden_size, self.num_layers = (
            int(input_size),
            int(hidden_size),
            int(num_layers),
        )
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        self.dtype = np.dtype(dtype)
        self.rng = random.rng(rng) if rng is not None else None
        width = GATES[self.mode] * self.hidden_size
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                setattr(
                    self,
                    f"weight_ih{suffix}",
                    Parameter(np.zeros((width, inputs), dtype=self.dtype)),
                )
                setattr(
                    self,
                    f"weight_hh{suffix}",
                    Parameter(np.zeros((width, self.hidden_size), dtype=self.dtype)),
                )
                if self.bias:
                    setattr(self, f"bias_ih{suffix}", Parameter(np.zeros(width, dtype=self.dtype)))
                    setattr(self, f"bias_hh{suffix}", Parameter(np.zeros(width, dtype=self.dtype)))
        self.reset_parameters(self.rng)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """PyTorch's initialization: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        generator = random.rng(rng)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            param.data[...] = generator.uniform(-bound, bound, size=param.shape)

    def _weights(self, suffix: str) -> list[Parameter]:
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, name + suffix) for name in names]

    def _initial_states(self, hx: Any, n: int) -> list[Tensor]:
        """The initial states as (num_layers * num_directions, N, H) tensors (zeros by default)."""
        count = 2 if self.mode == "LSTM" else 1
        shape = (self.num_layers * self.num_directions, n, self.hidden_size)
        if hx is None:
            return [Tensor._from_op(np.zeros(shape, dtype=self.dtype), None) for _ in range(count)]
        states = list(hx) if count == 2 else [hx]
        if count == 2 and len(states) != 2:
            raise InputError(
                f"{type(self).__name__}: hx must be a pair (h0, c0), got {len(states)} items."
            )
        tensors = [
            s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=self.dtype)) for s in states
        ]
        for name, state in zip(("h0", "c0"), tensors):
            if state.shape != shape:
                raise ShapeError(
                    f"{type(self).__name__}: {name} must have shape (num_layers * num_directions, "
                    f"N, hidden_size) = {shape}, got {tuple(state.shape)}."
                )
        return tensors

    def forward(self, x: Any, hx: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        """``(output, h_n)`` (``(output, (h_n, c_n))`` for the LSTM), as PyTorch's.

        Args:
            x: ``(N, T, input_size)`` (``(T, N, input_size)`` with ``batch_first=False``).
            hx: initial state(s) ``(num_layers * num_directions, N, hidden_size)``, zeros by default.
            lengths: one int per sample in [1, T]: outputs past a sample's length are 0 and its final
                state is the one at its last valid step (PyTorch's packed sequences).
        """
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self.dtype))
        kind = type(self).__name__
        check_sequence(kind, x.shape, self.input_size, self.batch_first)
        if not self.batch_first:
            x = transpose(x, (1, 0, 2))
        n, steps = x.shape[0], x.shape[1]
        mask = (
            None if lengths is None else lengths_mask(check_lengths(kind, lengths, n, steps), steps)
        )
        states = self._initial_states(hx, n)
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = dropout(x, self.dropout, rng=self.rng)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self.num_directions + direction
                initial = [getitem(state, index) for state in states]
                out, *last = self._run(x, initial, self._weights(suffix), mask, direction == 1)
                outputs.append(out)
                for k, state in enumerate(last):
                    finals[k].append(state)
            x = outputs[0] if len(outputs) == 1 else _concat_features(outputs)
        output = x if self.batch_first else transpose(x, (1, 0, 2))
        final = [stack(states_k, axis=0) for states_k in finals]
        return output, (tuple(final) if self.mode == "LSTM" else final[0])

    def _run(
        self, x: Tensor, initial: list[Tensor], weights: list[Parameter], mask: Any, reverse: bool
    ) -> tuple[Tensor, ...]:
        if self.mode == "LSTM":
            return lstm(x, initial[0], initial[1], *weights, mask=mask, reverse=reverse)
        if self.mode == "GRU":
            return gru(x, initial[0], *weights, mask=mask, reverse=reverse)
        return rnn(
            x, initial[0], *weights, nonlinearity=self.nonlinearity, mask=mask, reverse=reverse
        )

    @property
    def nonlinearity(self) -> str:
        return "relu" if self.mode == "RNN_RELU" else "tanh"

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.batch_first:
            text += ", batch_first=False"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _concat_features(parts: list[Tensor]) -> Tensor:
    from ..ops.shape import concatenate

    return concatenate(parts, axis=-1)


class RNN(_RNNBase):
    """Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), as ``torch.nn.RNN``.

    Shape:
        Input: ``(N, T, input_size)``; ``hx`` ``(num_layers * D, N, hidden_size)`` (D = 2 if bidirectional).
        Output: ``(output (N, T, D * hidden_size), h_n (num_layers * D, N, hidden_size))``.

    >>> import glassnet as gn, numpy as np
    >>> rnn = gn.nn.RNN(3, 8, num_layers=2, rng=0)
    >>> output, h_n = rnn(np.ones((4, 5, 3), dtype=np.float32))
    >>> output.shape, h_n.shape
    ((4, 5, 8), (2, 4, 8))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype,
            rng,
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {**super().get_config(), "nonlinearity": self.nonlinearity}


class LSTM(_RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM`` (gates i, f, g, o; no ``proj_size``).

    Shape:
        Input: ``(N, T, input_size)``; ``hx`` = ``(h0, c0)``, each ``(num_layers * D, N, hidden_size)``.
        Output: ``(output (N, T, D * hidden_size), (h_n, c_n))``.

    >>> import glassnet as gn, numpy as np
    >>> lstm = gn.nn.LSTM(3, 8, bidirectional=True, rng=0)
    >>> output, (h_n, c_n) = lstm(np.ones((4, 5, 3), dtype=np.float32), lengths=[5, 2, 3, 1])
    >>> output.shape, h_n.shape, float(abs(output.data[1, 2:]).max())
    ((4, 5, 16), (2, 4, 8), 0.0)
    """

    mode = "LSTM"


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU`` (gates r, z, n; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``).

    Shape:
        Input: ``(N, T, input_size)``; ``hx`` ``(num_layers * D, N, hidden_size)``.
        Output: ``(output (N, T, D * hidden_size), h_n)``.
    """

    mode = "GRU"


class _CellBase(Module):
    """One time step of a recurrent layer: the sequence op on a sequence of length 1."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(
                f"{type(self).__name__}: sizes must be positive, got {input_size}, {hidden_size}."
            )
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        self.dtype = np.dtype(dtype)
        width = GATES[self.mode] * self.hidden_size
        self.weight_ih = Parameter(np.zeros((width, self.input_size), dtype=self.dtype))
        self.weight_hh = Parameter(np.zeros((width, self.hidden_size), dtype=self.dtype))
        if self.bias:
            self.bias_ih = Parameter(np.zeros(width, dtype=self.dtype))
            self.bias_hh = Parameter(np.zeros(width, dtype=self.dtype))
        self.reset_parameters(rng)

    reset_parameters = _RNNBase.reset_parameters

    def _step(self, x: Any, hx: Any) -> tuple[Tensor, list[Tensor]]:
        kind = type(self).__name__
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self.dtype))
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ShapeError(
                f"{kind} expects (N, {self.input_size}) (one step per sample); got {tuple(x.shape)}."
            )
        count = 2 if self.mode == "LSTM" else 1
        n = x.shape[0]
        if hx is None:
            states = [
                Tensor._from_op(np.zeros((n, self.hidden_size), dtype=self.dtype), None)
            ] * count
        else:
            states = list(hx) if count == 2 else [hx]
            states = [
                s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=self.dtype))
                for s in states
            ]
            for state in states:
                if state.shape != (n, self.hidden_size):
                    raise ShapeError(
                        f"{kind}: the state must have shape (N, hidden_size) = "
                        f"{(n, self.hidden_size)}, got {tuple(state.shape)}."
                    )
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        weights = [getattr(self, name) for name in names]
        sequence = getitem(x, (slice(None), None))
        if self.mode == "LSTM":
            _, h, c = lstm(sequence, states[0], states[1], *weights)
            return h, [h, c]
        if self.mode == "GRU":
            _, h = gru(sequence, states[0], *weights)
        else:
            _, h = rnn(
                sequence,
                states[0],
                *weights,
                nonlinearity="relu" if self.mode == "RNN_RELU" else "tanh",
            )
        return h, [h]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "bias": self.bias,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_CellBase):
    """One Elman RNN step, as ``torch.nn.RNNCell``: ``h' = cell(x, h)``, x ``(N, input_size)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}."
            )
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, dtype, rng)

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        return self._step(x, hx)[0]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {
            **super().get_config(),
            "nonlinearity": "relu" if self.mode == "RNN_RELU" else "tanh",
        }


class LSTMCell(_CellBase):
    """One LSTM step, as ``torch.nn.LSTMCell``: ``(h', c') = cell(x, (h, c))``."""

    mode = "LSTM"

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        h, c = self._step(x, hx)[1]
        return h, c


class GRUCell(_CellBase):
    """One GRU step, as ``torch.nn.GRUCell``: ``h' = cell(x, h)``."""

    mode = "GRU"

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        return self._step(x, hx)[0]
