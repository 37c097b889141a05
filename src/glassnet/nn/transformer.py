"""Transformer encoders with PyTorch's names, and the sinusoidal positional encoding."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError
from ..ops.attention import check_mask_dtype
from .activations import ACTIVATIONS
from .attention import MultiheadAttention, check_heads
from .containers import Sequential
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from .regularization import Dropout

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "PositionalEncoding"]

# The activations the feed-forward block accepts by name, with the registry's functions.
_ACTIVATIONS = {name: ACTIVATIONS[name].function for name in ("relu", "gelu")}


def _positive_int(layer: str, arg: str, value: Any) -> int:
    """``value`` as an int if it is a positive integer (Python or NumPy, as torch accepts), else a ValueError."""
    if (
        not isinstance(value, (int, np.integer))
        or isinstance(value, (bool, np.bool_))
        or value <= 0
    ):
        raise ValueError(f"{layer}: {arg} must be a positive integer, got {value!r}.")
    return int(value)


def _own_stream(generator: np.random.Generator, index: int) -> np.random.Generator:
    """A generator independent of ``generator`` and of the other indices: its state jumped ``index + 1``
    times (2^127 draws each for PCG64), or a spawned child where the bit generator cannot jump."""
    bit_generator = generator.bit_generator
    if hasattr(bit_generator, "jumped"):
        return np.random.Generator(bit_generator.jumped(index + 1))
    return generator.spawn(1)[0]


def _check_masks(layer: str, masks: dict[str, TensorLike | None]) -> None:
    """Boolean (True = ignore) or floating masks only, as torch: an integer 0/1 mask is a DTypeError."""
    for argument, mask in masks.items():
        if mask is not None:
            check_mask_dtype(mask, layer, argument, true_means="ignore")


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm,
    as ``torch.nn.TransformerEncoderLayer`` (same submodule names, so torch's state_dict loads).

    ``norm_first=False`` (post-norm, "Attention is all you need")::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    ``norm_first=True`` (pre-norm) normalizes the input of each block instead.

    Args:
        d_model: features per position; a multiple of ``nhead``.
        nhead: attention heads.
        dim_feedforward: width of the feed-forward block.
        dropout: dropout after attention weights, in and after the feed-forward block.
        activation: ``"relu"``, ``"gelu"`` or a function of a Tensor (e.g. ``glassnet.functional.gelu``);
            only the named ones can be saved in a model file.
        layer_norm_eps, norm_first, bias: as torch.
        batch_first: ``(N, T, d_model)`` input (default); False: ``(T, N, d_model)``.
        dtype, rng: dtype of the weights; seed or generator of their initial values (torch's
            initialization: Xavier-uniform attention projections, ``Linear``'s default elsewhere).
            Given, ``rng`` also draws the dropout masks; without it they come from the generator
            set by ``glassnet.seed``, or from ``Model.fit``'s when fit has a seed.

    Call: ``layer(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``; the masks are
    :class:`MultiheadAttention`'s ``attn_mask`` and ``key_padding_mask`` (True = ignore), boolean or
    floating (integer masks raise a DTypeError, as in torch).

    Shape:
        Input: ``(N, T, d_model)`` (``(T, N, d_model)`` with ``batch_first=False``), or ``(T, d_model)``
        unbatched with ``src_key_padding_mask`` ``(T,)``. Output: the same.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = True,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        super().__init__()
        if not (
            activation in _ACTIVATIONS if isinstance(activation, str) else callable(activation)
        ):
            raise ValueError(
                f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a function of a Tensor, "
                f"got {activation!r}."
            )
        d_model = _positive_int("TransformerEncoderLayer", "d_model", d_model)
        nhead = _positive_int("TransformerEncoderLayer", "nhead", nhead)
        dim_feedforward = _positive_int(
            "TransformerEncoderLayer", "dim_feedforward", dim_feedforward
        )
        check_heads("TransformerEncoderLayer", d_model, nhead, ("d_model", "nhead"))
        # rng seeds the initial weights; the dropout masks draw from it only when it was given. Without
        # it they draw from glassnet's default generator, or from fit's when fit has a seed.
        generator = random.rng(rng)
        dropout_rng = generator if rng is not None else None
        self.d_model, self.nhead, self.dim_feedforward = d_model, nhead, dim_feedforward
        self.dropout_p, self.activation, self.layer_norm_eps = (
            float(dropout),
            activation,
            layer_norm_eps,
        )
        self.batch_first, self.norm_first, self.bias = batch_first, norm_first, bias
        self.dtype = np.dtype(dtype)
        # random.rng(None) is the default generator, so the weights are those drawn from `generator`.
        self.self_attn = MultiheadAttention(
            d_model,
            nhead,
            dropout=dropout,
            bias=bias,
            batch_first=True,
            dtype=dtype,
            rng=dropout_rng,
        )
        self.linear1 = Linear(
            d_model, dim_feedforward, bias=bias, init="torch", dtype=dtype, rng=generator
        )
        self.dropout = Dropout(dropout, rng=dropout_rng)
        self.linear2 = Linear(
            dim_feedforward, d_model, bias=bias, init="torch", dtype=dtype, rng=generator
        )
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=dropout_rng)
        self.dropout2 = Dropout(dropout, rng=dropout_rng)
        self.name = self.name  # names the submodules, for error messages
        # Model.fit(seed=...) re-draws weights only while this is True; loading or training clears it.
        self.freshly_initialized = True

    @property
    def traceable(self) -> bool:  # type: ignore[override]
        """Without dropout and with a named activation, forward applies the same ops to any batch (fit
        also asks each submodule); with dropout it draws masks, and a user's function may do anything."""
        return self.dropout_p == 0.0 and self._named_activation() is not None

    @property
    def name(self) -> str | None:
        """The layer's name; setting it names the attention ``<name>.self_attn`` for its error messages."""
        return self.__dict__.get("_name")

    @name.setter
    def name(self, value: str | None) -> None:
        self.__dict__["_name"] = value
        attention = self._modules.get("self_attn")
        if attention is not None:
            attention.name = f"{value or type(self).__name__}.self_attn"

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights in place: attention, then both Linears; norms to 1 and 0."""
        generator = random.rng(rng)
        self.self_attn.reset_parameters(generator)
        self.linear1.reset_parameters(generator)
        self.linear2.reset_parameters(generator)
        for norm in (self.norm1, self.norm2):
            norm.weight.data[...] = 1
            if norm.bias is not None:
                norm.bias.data[...] = 0
        self.freshly_initialized = True

    def forward(
        self,
        src: TensorLike,
        src_mask: TensorLike | None = None,
        src_key_padding_mask: TensorLike | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src if isinstance(src, Tensor) else Tensor(src)
        _check_masks(
            self.display_name, {"src_mask": src_mask, "src_key_padding_mask": src_key_padding_mask}
        )
        unbatched = x.ndim == 2  # (T, d_model), as torch accepts
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
            raise ShapeError(
                f"{self.display_name}: expected input {layout} or (T, d_model) with d_model={self.d_model}, "
                f"got {x.shape}. Project the features to {self.d_model} first (Linear or Embedding)."
            )
        if unbatched:
            x = x.expand_dims(0)
            if src_key_padding_mask is not None:
                src_key_padding_mask = src_key_padding_mask[None]
        elif not self.batch_first:
            x = x.transpose(1, 0, 2)
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._feed_forward_block(self.norm2(x))
        else:
            x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._feed_forward_block(x))
        if unbatched:
            return x.squeeze(0)
        return x if self.batch_first else x.transpose(1, 0, 2)

    def _attention_block(
        self, x: Tensor, mask: TensorLike | None, padding: TensorLike | None, is_causal: bool
    ) -> Tensor:
        out, _ = self.self_attn(
            x,
            x,
            x,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=is_causal,
        )
        return self.dropout1(out)

    def _feed_forward_block(self, x: Tensor) -> Tensor:
        activation = (
            _ACTIVATIONS[self.activation] if isinstance(self.activation, str) else self.activation
        )
        hidden = self.dropout(activation(self.linear1(x)))
        return self.dropout2(self.linear2(hidden))

    def _named_activation(self) -> str | None:
        """'relu' or 'gelu' when the activation is one of them (by name or as glassnet's function), else None."""
        if isinstance(self.activation, str):
            return self.activation
        return next(
            (name for name, function in _ACTIVATIONS.items() if self.activation is function), None
        )

    def _activation_name(self) -> str:
        """The activation as a name a config can hold: 'relu', 'gelu', or a TypeError for other functions."""
        name = self._named_activation()
        if name is not None:
            return name
        raise TypeError(
            f"{self.display_name}: the activation {self.activation!r} cannot be written to a model file "
            f"(only 'relu' and 'gelu' can). Save the weights with state_dict(), or use 'relu' or 'gelu'."
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout_p,
            "activation": self._activation_name(),
            "layer_norm_eps": self.layer_norm_eps,
            "batch_first": self.batch_first,
            "norm_first": self.norm_first,
            "bias": self.bias,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward={self.dim_feedforward}, "
            f"norm_first={self.norm_first}"
        )


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` (so they start with equal weights, as in
    torch), applied in turn, then ``norm`` if given. Parameters are named ``layers.0....``. A layer
    made with its own ``rng`` gives each copy an independent dropout stream (jumped from it), so the
    layers do not repeat each other's masks.

    ``enable_nested_tensor`` is accepted so torch code runs unchanged; it has no effect (torch's nested
    tensors are a speed path for padded batches, with the same results).

    ``encoder_layer`` and ``norm`` may also be given as configs (what a model file stores):
    ``{"d_model": 32, "nhead": 4, ...}`` and ``{"normalized_shape": [32], ...}``.

    Call: ``encoder(src, mask=None, src_key_padding_mask=None, is_causal=False)``.

    Shape:
        Input: ``(N, T, d_model)``. Output: the same.
    """

    # Its forward applies its layers and norm to any batch alike; fit asks each of them too (a layer
    # with dropout is not traceable, so neither is a model holding it).
    traceable = True

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer | Mapping[str, Any],
        num_layers: int,
        norm: LayerNorm | Mapping[str, Any] | None = None,
        enable_nested_tensor: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(encoder_layer, Mapping):
            encoder_layer = TransformerEncoderLayer(**encoder_layer)
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise TypeError(
                f"TransformerEncoder: expected a TransformerEncoderLayer, got {type(encoder_layer).__name__}."
            )
        num_layers = _positive_int("TransformerEncoder", "num_layers", num_layers)
        if isinstance(norm, Mapping):
            norm = LayerNorm(**norm)
        self.num_layers = num_layers
        layers = [copy.deepcopy(encoder_layer) for _ in range(num_layers)]
        for index, layer in enumerate(layers):
            # A copied generator would repeat the same dropout masks in every layer: give each its own stream.
            streams: dict[int, np.random.Generator] = {}
            for module in layer.modules():
                generator = getattr(module, "rng", None)
                if isinstance(generator, np.random.Generator):
                    module.rng = streams.setdefault(id(generator), _own_stream(generator, index))
        self.layers = Sequential(*layers)
        self.norm = norm
        self.name = self.name  # names the layers, for error messages
        self.freshly_initialized = True  # see TransformerEncoderLayer

    @property
    def name(self) -> str | None:
        """The encoder's name; setting it names its layers ``<name>.layers.<i>`` for their error messages."""
        return self.__dict__.get("_name")

    @name.setter
    def name(self, value: str | None) -> None:
        self.__dict__["_name"] = value
        layers = self._modules.get("layers")
        for index, layer in enumerate(layers if layers is not None else []):
            layer.name = f"{value or type(self).__name__}.layers.{index}"

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights for every layer (each its own, unlike the copies torch starts with)."""
        generator = random.rng(rng)
        for layer in self.layers:
            layer.reset_parameters(generator)
        self.freshly_initialized = True

    def forward(
        self,
        src: TensorLike,
        mask: TensorLike | None = None,
        src_key_padding_mask: TensorLike | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        _check_masks(
            self.display_name, {"mask": mask, "src_key_padding_mask": src_key_padding_mask}
        )
        x = src
        for layer in self.layers:
            x = layer(
                x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal
            )
        return x if self.norm is None else self.norm(x)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (the layer and the norm as their configs)."""
        return {
            "encoder_layer": self.layers[0].get_config(),
            "num_layers": self.num_layers,
            "norm": None if self.norm is None else self.norm.get_config(),
        }

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}"


def sinusoidal_table(max_len: int, d_model: int, dtype: Any = np.float32) -> np.ndarray:
    """``PE[t, 2i] = sin(t / 10000^(2i / d))``, ``PE[t, 2i + 1] = cos(t / 10000^(2i / d))``: ``(max_len, d)``."""
    position = np.arange(max_len)[:, None]
    frequency = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency[: d_model // 2])
    return table.astype(dtype)


class PositionalEncoding(Module):
    """Adds the sinusoidal position code of Vaswani et al. (2017) to a sequence of vectors.

    ``y[n, t] = x[n, t] + PE[t]`` with :func:`sinusoidal_table`. The table is a constant (it is
    not trained and not saved: it is rebuilt from ``d_model`` and ``max_len``). Add a ``Dropout``
    after it for the dropout the PyTorch tutorial's version applies.

    Shape:
        Input: ``(N, T, d_model)`` with ``T <= max_len`` (``(T, N, d_model)`` with ``batch_first=False``).
        Output: the same.

    >>> import glassnet as gn, numpy as np
    >>> PositionalEncoding(4)(np.zeros((1, 2, 4))).data[0, 1].round(3).tolist()
    [0.841, 0.54, 0.01, 1.0]
    """

    traceable = True

    def __init__(
        self, d_model: int, max_len: int = 5000, batch_first: bool = True, dtype: Any = np.float32
    ) -> None:
        super().__init__()
        d_model = _positive_int("PositionalEncoding", "d_model", d_model)
        max_len = _positive_int("PositionalEncoding", "max_len", max_len)
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dtype = np.dtype(dtype)
        self.pe = sinusoidal_table(max_len, d_model, self.dtype)

    def forward(self, x: TensorLike) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        axis = 1 if self.batch_first else 0
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[axis] > self.max_len:
            layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
            raise ShapeError(
                f"{self.display_name}: expected input {layout} with d_model={self.d_model} and "
                f"T <= max_len={self.max_len}, got {x.shape}."
            )
        table = self.pe[: x.shape[axis]].astype(x.dtype, copy=False)
        return x + (table if self.batch_first else table[:, None])

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {
            "d_model": self.d_model,
            "max_len": self.max_len,
            "batch_first": self.batch_first,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
