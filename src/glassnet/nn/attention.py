"""Multi-head attention: PyTorch's ``MultiheadAttention`` and Keras's ``MultiHeadAttention``.

Both project queries, keys and values, split the features into heads, run
:func:`glassnet.functional.scaled_dot_product_attention` on every head at once (heads are an axis,
not a loop), join the heads and project the result. They differ in names, weight layouts and mask
conventions, each following its framework:

- ``MultiheadAttention`` (PyTorch): masks say what to *ignore* (a True in ``key_padding_mask`` or
  a boolean ``attn_mask`` removes that key; float masks are added to the scores).
- ``MultiHeadAttention`` (Keras): ``attention_mask`` says what to *attend* (1/True = attend).

A query that may see no key at all gets weights 0 and output 0 (before the output projection),
as ``torch.nn.functional.scaled_dot_product_attention`` gives; ``torch.nn.MultiheadAttention`` with
``need_weights=True`` gives NaN there instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError
from ..ops.attention import (
    attention_weights,
    causal_mask,
    check_mask_dtype,
    scaled_dot_product_attention,
)
from ..ops.linalg import linear
from ..ops.regularization import dropout
from . import init as initializers
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "MultiHeadAttention"]


def _data(x: TensorLike) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def check_heads(
    layer: str, embed_dim: int, num_heads: int, names: tuple[str, str] = ("embed_dim", "num_heads")
) -> None:
    """Positive integer sizes with ``embed_dim`` a multiple of ``num_heads``, else an error naming ``layer``
    and its arguments ``names`` (the encoder layer calls them d_model and nhead)."""
    dim_name, heads_name = names
    for arg, value in ((dim_name, embed_dim), (heads_name, num_heads)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{layer}: {arg} must be a positive integer, got {value!r}.")
    if embed_dim % num_heads:
        divisors = [h for h in range(1, embed_dim + 1) if embed_dim % h == 0]
        raise ShapeError(
            f"{layer}: {dim_name}={embed_dim} is not divisible by {heads_name}={num_heads} (each head takes "
            f"{dim_name} // {heads_name} features). Use {heads_name} in {divisors}, or a {dim_name} that is a "
            f"multiple of {num_heads}."
        )


def _split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(N, T, H * D) -> (N, H, T, D)."""
    n, t, features = x.shape
    return x.reshape(n, t, num_heads, features // num_heads).transpose(0, 2, 1, 3)


def _join_heads(x: Tensor) -> Tensor:
    """(N, H, T, D) -> (N, T, H * D)."""
    n, heads, t, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, t, heads * d)


def _attend(
    layer: Module,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: TensorLike | None,
    p: float,
    need_weights: bool,
    rng: Any,
) -> tuple[Tensor, Tensor | None]:
    """The heads' attention: the fused op, or (when the weights are wanted) weights, dropout, product.

    Both give the same output; the second keeps the weights (after dropout, as torch returns them).
    """
    p = p if layer.training else 0.0
    if not need_weights:
        return scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, rng=rng), None
    weights = attention_weights(q, k, mask)
    if p > 0.0:
        weights = dropout(weights, p, training=True, rng=rng)
    return weights @ v, weights


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's arguments, parameter names, layout and initialization.

    ``attn_output = out_proj(concat_h softmax(q_h k_h^T / sqrt(d) + mask) v_h)`` with
    ``q = query @ W_q^T + b_q`` (and so on), ``d = embed_dim // num_heads``. The projection weights
    are ``in_proj_weight`` ``(3 E, E)`` (rows: q, k, v) and ``in_proj_bias`` ``(3 E,)``, or
    ``q_proj_weight``, ``k_proj_weight`` ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)`` when
    ``kdim`` or ``vdim`` differ from ``embed_dim``; ``out_proj`` is a :class:`Linear`. So a
    ``torch.nn.MultiheadAttention``'s ``state_dict()`` loads with ``load_state_dict``.

    Args:
        embed_dim: features of the queries (and the output); a multiple of ``num_heads``.
        num_heads: parallel heads, each on ``embed_dim // num_heads`` features.
        dropout: probability of dropping an attention weight while training.
        bias: learn the projections' biases.
        kdim, vdim: features of the keys and values (default ``embed_dim``).
        batch_first: inputs ``(N, L, E)`` (default, glassnet is samples-first); False: ``(L, N, E)``.
        dtype, rng: float dtype of the weights; seed or generator of the initial weights and of
            the dropout masks (default: the generator set by ``glassnet.seed``).

    Call: ``attn_output, attn_weights = mha(query, key, value, key_padding_mask=None,
    need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False)``.

    - ``key_padding_mask`` ``(N, S)``: True (or a float added to the scores) for keys to ignore.
    - ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``: True where a query must not look, or
      floats added to the scores. ``is_causal=True`` without ``attn_mask`` masks future keys.
    - Both masks must be boolean or floating; integer masks raise a
      :class:`~glassnet.errors.DTypeError`, as torch refuses them (``mask.astype(bool)`` fixes it).
    - ``attn_weights``: ``(N, L, S)`` averaged over heads, ``(N, num_heads, L, S)`` with
      ``average_attn_weights=False``, None with ``need_weights=False``.

    Shape:
        Input: query ``(N, L, E)``, key ``(N, S, kdim)``, value ``(N, S, vdim)`` (unbatched
        ``(L, E)`` too). Output: ``(N, L, E)``.

    >>> import glassnet as gn, numpy as np
    >>> mha = gn.nn.MultiheadAttention(8, num_heads=2, rng=0)
    >>> x = np.ones((3, 5, 8), dtype=np.float32)
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = True,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
    ) -> None:
        super().__init__()
        check_heads("MultiheadAttention", embed_dim, num_heads)
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must lie in [0, 1], got {dropout}.")
        self.embed_dim = int(embed_dim)
        self.num_heads = int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self.dropout = float(dropout)
        self.use_bias = bias
        self.batch_first = batch_first
        self.dtype = np.dtype(dtype)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * e, e), dtype=self.dtype))
        else:
            self.q_proj_weight = Parameter(np.zeros((e, e), dtype=self.dtype))
            self.k_proj_weight = Parameter(np.zeros((e, self.kdim), dtype=self.dtype))
            self.v_proj_weight = Parameter(np.zeros((e, self.vdim), dtype=self.dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * e, dtype=self.dtype)) if bias else None
        self.out_proj = Linear(e, e, bias=bias, init="torch", dtype=self.dtype, rng=0)
        self.rng = random.rng(rng) if rng is not None else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """torch's initialization: Xavier-uniform projections, zero biases, out_proj as a Linear's weight."""
        generator = random.rng(rng)
        for param in self._projection_weights():
            param.data[...] = initializers.glorot_uniform(param.shape, generator, self.dtype)
        self.out_proj.reset_parameters(generator)
        if self.in_proj_bias is not None:
            self.in_proj_bias.data[...] = 0
            self.out_proj.bias.data[...] = 0
        self.freshly_initialized = True

    @property
    def traceable(self) -> bool:  # type: ignore[override]
        """Without dropout the forward applies the same ops to any batch (masks are arguments, not
        drawn); with dropout it draws masks while training, so fit runs it eagerly."""
        return self.dropout == 0.0

    def _projection_weights(self) -> list[Parameter]:
        if self._qkv_same_embed_dim:
            return [self.in_proj_weight]
        return [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]

    def forward(
        self,
        query: TensorLike,
        key: TensorLike,
        value: TensorLike,
        key_padding_mask: TensorLike | None = None,
        need_weights: bool = True,
        attn_mask: TensorLike | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        query, key, value = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (x.expand_dims(0) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _data(key_padding_mask)[None]
        elif not self.batch_first:
            query, key, value = (x.transpose(1, 0, 2) for x in (query, key, value))
        self._check_inputs(query, key, value)
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        if is_causal and attn_mask is None:
            attn_mask = ~causal_mask(
                length, source
            )  # torch's convention here: True = do not attend
        mask = self._merged_mask(attn_mask, key_padding_mask, n, length, source)
        q, k, v = self._project(query, key, value)
        heads, weights = _attend(self, q, k, v, mask, self.dropout, need_weights, self.rng)
        out = self.out_proj(_join_heads(heads))
        if unbatched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(1, 0, 2)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(axis=1)
            if unbatched:
                weights = weights.squeeze(0)
        return out, weights

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v, each split into heads ``(N, H, T, head_dim)``."""
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one product, then split
                qkv = linear(query, w, b)
                q, k, v = qkv[..., :e], qkv[..., e : 2 * e], qkv[..., 2 * e :]
            else:
                q, k, v = (
                    linear(query, w[:e], bq),
                    linear(key, w[e : 2 * e], bk),
                    linear(value, w[2 * e :], bv),
                )
        else:
            q = linear(query, self.q_proj_weight, bq)
            k = linear(key, self.k_proj_weight, bk)
            v = linear(value, self.v_proj_weight, bv)
        return tuple(_split_heads(x, self.num_heads) for x in (q, k, v))

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        name = self.display_name
        got = f"query {query.shape}, key {key.shape}, value {value.shape}"
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if not query.ndim == key.ndim == value.ndim == 3:
            raise ShapeError(
                f"{name}: expected query, key and value of 3 axes {layout} (or 2 without a batch), "
                f"got {got}."
            )
        for what, x, size, arg in (
            ("query", query, self.embed_dim, "embed_dim"),
            ("key", key, self.kdim, "kdim"),
            ("value", value, self.vdim, "vdim"),
        ):
            if x.shape[-1] != size:
                raise ShapeError(
                    f"{name}: {what} has {x.shape[-1]} features, the layer was built for {arg}={size}; "
                    f"got {got}. Pass {arg}={x.shape[-1]} or project the {what} first."
                )
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ShapeError(
                f"{name}: key and value need the same batch and length, and query the same batch "
                f"(batch_first={self.batch_first}); got {got}."
            )

    def _merged_mask(
        self,
        attn_mask: TensorLike | None,
        key_padding_mask: TensorLike | None,
        n: int,
        length: int,
        source: int,
    ) -> TensorLike | None:
        """One additive mask broadcastable to (N, H, L, S) from torch's two "ignore" masks."""
        name = self.display_name
        merged: TensorLike | None = None
        if attn_mask is not None:
            shape = _data(attn_mask).shape
            if shape == (length, source):
                merged = _ignore_to_additive(attn_mask, self.dtype, name, "attn_mask")
            elif shape == (n * self.num_heads, length, source):
                merged = _ignore_to_additive(attn_mask, self.dtype, name, "attn_mask").reshape(
                    n, self.num_heads, length, source
                )
            else:
                raise ShapeError(
                    f"{name}: attn_mask must have shape (L, S) = ({length}, {source}) or (N * num_heads, "
                    f"L, S) = ({n * self.num_heads}, {length}, {source}), got {shape}."
                )
        if key_padding_mask is not None:
            shape = _data(key_padding_mask).shape
            if shape != (n, source):
                hint = (
                    " It looks transposed: pass key_padding_mask.T." if shape == (source, n) else ""
                )
                raise ShapeError(
                    f"{name}: key_padding_mask must have shape (N, S) = ({n}, {source}), got "
                    f"{shape}.{hint}"
                )
            padding = _ignore_to_additive(
                key_padding_mask, self.dtype, name, "key_padding_mask"
            ).reshape(n, 1, 1, source)
            merged = padding if merged is None else merged + padding
        return merged

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        return {
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.use_bias,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "batch_first": self.batch_first,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


def _ignore_to_additive(mask: TensorLike, dtype: np.dtype, where: str, argument: str) -> TensorLike:
    """torch's "ignore" masks: booleans (True = ignore) as -inf / 0; floats (added) as they are;
    integers a DTypeError naming ``where`` and ``argument`` (torch refuses them too)."""
    array = check_mask_dtype(mask, where, argument, true_means="ignore")
    if array.dtype == np.bool_:
        return Tensor(np.where(array, dtype.type(-np.inf), dtype.type(0)))
    return mask if isinstance(mask, Tensor) else Tensor(array.astype(dtype, copy=False))


def _keras_glorot_uniform(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """Keras's GlorotUniform on an einsum kernel: fan_in = shape[-2] * prod(shape[:-2]),
    fan_out = shape[-1] * prod(shape[:-2])."""
    receptive = math.prod(shape[:-2])
    limit = math.sqrt(6.0 / ((shape[-2] + shape[-1]) * receptive))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


class MultiHeadAttention(Module):
    """Multi-head attention with Keras's arguments: ``MultiHeadAttention(num_heads, key_dim)``.

    Called as ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; ``key`` defaults to ``value``; ``training`` (default:
    the layer's mode) turns dropout on or off. glassnet also lets ``value`` default
    to ``query``, so ``layer(x)`` is self-attention and the layer can sit in a ``Model([...])``.
    ``attention_mask`` ``(B, T, S)`` (or anything broadcastable to it, such as ``(B, 1, S)``, or
    ``(T, S)``) holds 1/True where a query may attend; as in Keras it is cast to bool, so integer
    0/1 masks work. A query with no key to attend gets weights 0 (and an output of only the output
    bias), where Keras's masked softmax adds a large negative number to the masked scores and so
    spreads such a row's weights uniformly over all keys.

    The weights follow Keras's einsum layout: ``query_kernel`` ``(query_features, num_heads,
    key_dim)``, ``query_bias`` ``(num_heads, key_dim)``, likewise ``key_*`` and ``value_*``
    (``value_dim``), ``output_kernel`` ``(num_heads, value_dim, output_shape)``, ``output_bias``.
    They are created on the first call from the inputs' last axes (as Keras's ``build``), or at
    once when ``query_features`` (and ``key_features``/``value_features`` when they differ) are given.

    Args:
        num_heads: attention heads.
        key_dim: features per head of queries and keys.
        value_dim: features per head of values (default ``key_dim``).
        dropout: probability of dropping an attention weight while training.
        use_bias: learn biases.
        output_shape: output features (default: the query's).
        query_features, key_features, value_features: input sizes, to build at once.

    Shape:
        Input: query ``(B, T, query_features)``, value ``(B, S, value_features)``, key
        ``(B, S, key_features)``. Output: ``(B, T, output_shape)``; scores ``(B, num_heads, T, S)``.

    >>> import glassnet as gn, numpy as np
    >>> layer = gn.nn.MultiHeadAttention(num_heads=2, key_dim=4, rng=0)
    >>> out, scores = layer(np.ones((3, 5, 6)), np.ones((3, 7, 6)), return_attention_scores=True)
    >>> out.shape, scores.shape
    ((3, 5, 6), (3, 2, 5, 7))
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | None = None,
        query_features: int | None = None,
        key_features: int | None = None,
        value_features: int | None = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        for arg, size in (
            ("num_heads", num_heads),
            ("key_dim", key_dim),
            ("value_dim", value_dim or key_dim),
        ):
            if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size <= 0:
                raise ValueError(
                    f"MultiHeadAttention: {arg} must be a positive integer, got {size!r}."
                )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must lie in [0, 1], got {dropout}.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.output_shape = None if output_shape is None else int(output_shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.rng = random.rng(rng) if rng is not None else None
        self.query_features: int | None = None
        self.key_features: int | None = None
        self.value_features: int | None = None
        self.freshly_initialized = False
        if query_features is not None:
            value_features = value_features or query_features
            self.build(query_features, value_features, key_features or value_features)

    @property
    def built(self) -> bool:
        return self.query_features is not None

    @property
    def traceable(self) -> bool:  # type: ignore[override]
        """Without dropout the forward applies the same ops to any batch; with dropout it draws masks."""
        return self.dropout == 0.0

    def build(
        self,
        query_features: int,
        value_features: int,
        key_features: int | None = None,
        rng: random.SeedLike = None,
    ) -> None:
        """Create the weights for inputs with these feature counts (the last axes)."""
        self.query_features, self.value_features = int(query_features), int(value_features)
        self.key_features = int(key_features) if key_features is not None else self.value_features
        out = self.output_shape or self.query_features
        heads, kd, vd = self.num_heads, self.key_dim, self.value_dim
        shapes = {
            "query": ((self.query_features, heads, kd), (heads, kd)),
            "key": ((self.key_features, heads, kd), (heads, kd)),
            "value": ((self.value_features, heads, vd), (heads, vd)),
            "output": ((heads, vd, out), (out,)),
        }
        for part, (kernel, bias) in shapes.items():
            setattr(self, f"{part}_kernel", Parameter(np.zeros(kernel, dtype=self.dtype)))
            setattr(
                self,
                f"{part}_bias",
                Parameter(np.zeros(bias, dtype=self.dtype)) if self.use_bias else None,
            )
        self.reset_parameters(rng if rng is not None else self.rng)

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Keras's defaults: Glorot-uniform kernels (its einsum fans), zero biases."""
        if not self.built:
            return
        generator = random.rng(rng)
        for part in ("query", "key", "value", "output"):
            kernel = getattr(self, f"{part}_kernel")
            kernel.data[...] = _keras_glorot_uniform(kernel.shape, generator, self.dtype)
            bias = getattr(self, f"{part}_bias")
            if bias is not None:
                bias.data[...] = 0
        self.freshly_initialized = True

    def forward(
        self,
        query: TensorLike,
        value: TensorLike | None = None,
        key: TensorLike | None = None,
        attention_mask: TensorLike | None = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        query = query if isinstance(query, Tensor) else Tensor(query)
        value = query if value is None else value if isinstance(value, Tensor) else Tensor(value)
        key = value if key is None else key if isinstance(key, Tensor) else Tensor(key)
        self._check_inputs(query, value, key)
        mask = self._attend_mask(
            attention_mask, use_causal_mask, query.shape[0], query.shape[1], value.shape[1]
        )
        q = _split_heads(self._einsum_in(query, "query"), self.num_heads)
        k = _split_heads(self._einsum_in(key, "key"), self.num_heads)
        v = _split_heads(self._einsum_in(value, "value"), self.num_heads)
        p = self.dropout if (self.training if training is None else training) else 0.0
        if return_attention_scores:
            scores = attention_weights(q, k, mask)
            dropped = dropout(scores, p, training=True, rng=self.rng) if p > 0 else scores
            heads = dropped @ v
        else:
            heads = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, rng=self.rng)
        out = _join_heads(heads) @ self.output_kernel.reshape(-1, self.output_kernel.shape[-1])
        if self.output_bias is not None:
            out = out + self.output_bias
        return (out, scores) if return_attention_scores else out

    def _einsum_in(self, x: Tensor, part: str) -> Tensor:
        """x ``(B, T, F)`` times the kernel ``(F, H, D)`` plus the bias ``(H, D)``: ``(B, T, H * D)``."""
        kernel = getattr(self, f"{part}_kernel")
        y = x @ kernel.reshape(kernel.shape[0], -1)
        bias = getattr(self, f"{part}_bias")
        return y if bias is None else y + bias.reshape(-1)

    def _check_inputs(self, query: Tensor, value: Tensor, key: Tensor) -> None:
        name = self.display_name
        got = f"query {query.shape}, value {value.shape}, key {key.shape}"
        if not query.ndim == value.ndim == key.ndim == 3:
            raise ShapeError(
                f"{name}: expected query (B, T, features), value and key (B, S, features), got {got}. "
                "Add a features axis with x[..., None] for one feature per step."
            )
        if key.shape[:2] != value.shape[:2] or query.shape[0] != value.shape[0]:
            raise ShapeError(
                f"{name}: value and key need the same batch and length, and query the same batch; "
                f"got {got}."
            )
        if not self.built:
            self.build(query.shape[-1], value.shape[-1], key.shape[-1])
            return
        for what, x, size in (
            ("query", query, self.query_features),
            ("value", value, self.value_features),
            ("key", key, self.key_features),
        ):
            if x.shape[-1] != size:
                raise ShapeError(
                    f"{name}: {what} has {x.shape[-1]} features, the layer was built for {size}; "
                    f"got {got}. Use a new layer for inputs of other sizes."
                )

    def _attend_mask(
        self, attention_mask: TensorLike | None, causal: bool, batch: int, length: int, source: int
    ) -> np.ndarray | None:
        """A boolean (attend = True) mask broadcastable to (B, H, T, S), or None.

        Like Keras, any dtype is cast to bool (nonzero = attend), and a mask of 3 axes broadcastable
        to ``(B, T, S)`` (e.g. ``(B, 1, S)`` for padded keys) or of 2 axes broadcastable to ``(T, S)``
        is accepted.
        """
        mask = None
        if attention_mask is not None:
            array = _data(attention_mask).astype(bool)
            full = (batch, length, source) if array.ndim == 3 else (length, source)
            try:
                if array.ndim not in (2, 3) or np.broadcast_shapes(array.shape, full) != full:
                    raise ValueError
            except ValueError:
                raise ShapeError(
                    f"{self.display_name}: attention_mask must be broadcastable to (B, T, S) = ({batch}, "
                    f"{length}, {source}) (e.g. (B, 1, S)) or to (T, S) = ({length}, {source}), got "
                    f"{array.shape}."
                ) from None
            mask = array[:, None] if array.ndim == 3 else array
        if causal:
            lower = causal_mask(length, source)
            mask = lower if mask is None else mask & lower
        return mask

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (with the input sizes once built)."""
        return {
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape,
            "query_features": self.query_features,
            "key_features": self.key_features,
            "value_features": self.value_features,
            "dtype": self.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"num_heads={self.num_heads}, key_dim={self.key_dim}, value_dim={self.value_dim}"
