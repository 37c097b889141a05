"""Attention: scaled dot-product attention as one fused op, and its attention weights as another.

Both follow ``torch.nn.functional.scaled_dot_product_attention``'s semantics: a boolean mask says
which keys take part (True = attend), a float mask is added to the scores, leading (batch, head)
axes broadcast, ``is_causal`` lets query i see keys j <= i. A query whose keys are all masked out
gets weights 0 and output 0, with zero gradients, as torch 2.13 returns (not NaN): the softmax of
a row whose scores are all -inf is taken to be 0.
"""

from __future__ import annotations

import math

import numpy as np

from .. import random
from ..autograd.function import Function, unbroadcast
from ..autograd.tensor import Tensor, TensorLike
from ..errors import DTypeError, ShapeError

__all__ = ["attention_weights", "causal_mask", "check_mask_dtype", "scaled_dot_product_attention"]


def _masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable, with all -inf rows giving 0 instead of NaN.

    The row max is subtracted so exp cannot overflow; a row whose max is -inf (every key masked)
    would give -inf - -inf = NaN, so its max is replaced by 0, its exps are all 0, and its sum is
    set to 1 to keep 0 / 0 out.
    """
    row_max = scores.max(axis=-1, keepdims=True)
    row_max = np.where(np.isneginf(row_max), 0.0, row_max).astype(scores.dtype, copy=False)
    e = np.exp(scores - row_max)
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    return e / total


def _softmax_backward(p: np.ndarray, dp: np.ndarray) -> np.ndarray:
    """ds = p * (dp - sum(dp * p)) over the last axis: the softmax's vector-Jacobian product."""
    return p * (dp - (dp * p).sum(axis=-1, keepdims=True))


def _scores(q: np.ndarray, k: np.ndarray, mask: np.ndarray | None, scale: float) -> np.ndarray:
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    return scores if mask is None else scores + mask


def _score_gradients(
    fn: Function,
    ds: np.ndarray,
    q: np.ndarray,
    k: np.ndarray,
    mask_shape: tuple[int, ...] | None,
    scale: float,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """dq, dk and dmask from the gradient of the (scaled, masked) scores ``ds``; q and k are the
    op's first two inputs and the mask its last."""
    dq = dk = dmask = None
    if fn.needs_grad[0]:
        dq = unbroadcast(np.matmul(ds, k) * scale, q.shape)
    if fn.needs_grad[1]:
        dk = unbroadcast(np.matmul(np.swapaxes(ds, -1, -2), q) * scale, k.shape)
    if mask_shape is not None and fn.needs_grad[-1]:
        dmask = unbroadcast(ds, mask_shape)
    return dq, dk, dmask


class ScaledDotProductAttention(Function):
    """softmax(q k^T * scale + mask) (dropped out) @ v in one op.

    forward:  s = q @ k^T * scale + mask             (mask: 0 / -inf from booleans, or any float)
              p = softmax(s) over keys              (a row of -inf gives p = 0)
              a = p * m                             (m: dropout keep mask, 0 or 1 / (1 - dropout_p))
              y = a @ v
    backward: dv = a^T @ dy;  da = dy @ v^T;  dp = da * m
              ds = p * (dp - sum_keys(dp * p))
              dq = ds @ k * scale;  dk = ds^T @ q * scale;  dmask = ds
              (each summed over the axes its input was broadcast along)
    shapes:   q (*, L, E), k (*, S, E), v (*, S, Ev), mask broadcastable to (*, L, S) -> y (*, L, Ev)
    """

    name = "scaled_dot_product_attention"

    def __init__(self, scale: float, keep: np.ndarray | None = None) -> None:
        self.scale = float(scale)
        self.keep = keep

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """Per query and key: 2 E for the score, about 5 for the masked softmax, 2 Ev for p @ v."""
        keys, e, ev = input_shapes[1][-2], input_shapes[0][-1], input_shapes[2][-1]
        return int(np.prod(output_shape[:-1])) * int(keys) * (2 * int(e) + 2 * int(ev) + 5)

    def forward(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None
    ) -> np.ndarray:
        p = _masked_softmax(_scores(q, k, mask, self.scale))
        a = p if self.keep is None else p * self.keep
        self.save(q, k, v, p, a, None if mask is None else mask.shape)
        return np.matmul(a, v)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        q, k, v, p, a, mask_shape = self.saved
        dv = (
            unbroadcast(np.matmul(np.swapaxes(a, -1, -2), dy), v.shape)
            if self.needs_grad[2]
            else None
        )
        dp = np.matmul(dy, np.swapaxes(v, -1, -2))
        if self.keep is not None:
            dp = dp * self.keep
        dq, dk, dmask = _score_gradients(
            self, _softmax_backward(p, dp), q, k, mask_shape, self.scale
        )
        return (dq, dk, dv) if mask_shape is None else (dq, dk, dv, dmask)


class AttentionWeights(Function):
    """The attention weights alone: softmax(q k^T * scale + mask) (what need_weights returns).

    forward:  p = softmax(q @ k^T * scale + mask) over keys   (a row of -inf gives p = 0)
    backward: ds = p * (dp - sum_keys(dp * p));  dq = ds @ k * scale;  dk = ds^T @ q * scale;  dmask = ds
    shapes:   q (*, L, E), k (*, S, E), mask broadcastable to (*, L, S) -> p (*, L, S)
    """

    name = "attention_weights"

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """Per query and key: 2 E for the score and about 5 for the masked softmax."""
        return int(np.prod(output_shape)) * (2 * int(input_shapes[0][-1]) + 5)

    def forward(self, q: np.ndarray, k: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        p = _masked_softmax(_scores(q, k, mask, self.scale))
        self.save(q, k, p, None if mask is None else mask.shape)
        return p

    def backward(self, dp: np.ndarray) -> tuple[np.ndarray | None, ...]:
        q, k, p, mask_shape = self.saved
        dq, dk, dmask = _score_gradients(
            self, _softmax_backward(p, dp), q, k, mask_shape, self.scale
        )
        return (dq, dk) if mask_shape is None else (dq, dk, dmask)


def causal_mask(target_length: int, source_length: int) -> np.ndarray:
    """Boolean ``(L, S)`` mask, True where query i may see key j: j <= i (torch's ``is_causal``)."""
    return np.tril(np.ones((target_length, source_length), dtype=bool))


def _data(x: TensorLike) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def check_mask_dtype(
    mask: TensorLike, where: str, argument: str, true_means: str = "attend"
) -> np.ndarray:
    """``mask`` as an array if it holds booleans or floats, else a DTypeError naming ``where`` and ``argument``.

    Integer masks are refused, as torch refuses them: a 0/1 integer mask would otherwise be added to
    the scores as floats, giving the keys marked 1 *more* weight instead of masking them out.
    ``true_means`` says what True means for this argument ("attend" or "ignore"), for the message.
    """
    array = _data(mask)
    if array.dtype != np.bool_ and not np.issubdtype(array.dtype, np.floating):
        raise DTypeError(
            f"{where}: {argument} must be boolean (True = {true_means} that key) or floating (added to "
            f"the scores), got dtype {array.dtype}. An integer 0/1 mask would be added to the scores; "
            f"pass {argument}.astype(bool) for a boolean mask."
        )
    return array


def additive_mask(
    mask: TensorLike, dtype: np.dtype, where: str = "scaled_dot_product_attention"
) -> TensorLike:
    """A boolean mask (True = attend) as 0 / -inf of ``dtype``; a float mask as it is; others a DTypeError."""
    array = check_mask_dtype(mask, where, "attn_mask")
    if array.dtype == np.bool_:
        return np.where(array, dtype.type(0), dtype.type(-np.inf))
    # A constant float mask takes q's dtype, so a float64 mask does not upcast float32 attention.
    return mask if isinstance(mask, Tensor) else array.astype(dtype, copy=False)


def _check_shapes(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None
) -> tuple[int, ...]:
    """The broadcast leading axes of q, k, v (and the mask), or a ShapeError naming them all."""
    what = f"q {q.shape}, k {k.shape}, v {v.shape}"
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ShapeError(
            f"scaled_dot_product_attention: expected q (*, L, E), k (*, S, E), v (*, S, Ev); "
            f"got {what}."
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(
            f"scaled_dot_product_attention: q and k must share E and k and v must share S; "
            f"got {what}."
        )
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        if mask is not None:
            np.broadcast_shapes(mask.shape, (*lead, q.shape[-2], k.shape[-2]))
    except ValueError:
        got = what if mask is None else f"{what}, attn_mask {mask.shape}"
        raise ShapeError(
            f"scaled_dot_product_attention: leading axes do not broadcast, or attn_mask does not "
            f"broadcast to (*, L, S) = (*, {q.shape[-2]}, {k.shape[-2]}); got {got}."
        ) from None
    return lead


def scaled_dot_product_attention(
    q: TensorLike,
    k: TensorLike,
    v: TensorLike,
    attn_mask: TensorLike | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    rng: random.SeedLike = None,
) -> Tensor:
    """``softmax(q @ k^T * scale + mask) @ v``, as ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        q, k, v: ``(*, L, E)``, ``(*, S, E)``, ``(*, S, Ev)``; the leading axes (batch, heads)
            broadcast.
        attn_mask: broadcastable to ``(*, L, S)``: booleans (True = the key takes part) or floats
            added to the scores (``-inf`` masks out; a float mask may require a gradient). Integer
            masks raise a :class:`~glassnet.errors.DTypeError` (as in torch): use ``mask.astype(bool)``.
        dropout_p: probability of zeroing each attention weight (the rest scaled by
            ``1 / (1 - dropout_p)``), as torch applies it whenever it is > 0; the mask comes from
            ``rng`` (default: the generator set by ``glassnet.seed``).
        is_causal: query i sees keys j <= i (a lower-triangular ``(L, S)`` mask); not with ``attn_mask``.
        scale: defaults to ``1 / sqrt(E)``.

    A query whose keys are all masked out gets output 0 (torch 2.13 does the same). See
    :class:`ScaledDotProductAttention` for the gradient.

    >>> import glassnet as gn, numpy as np
    >>> q = np.ones((2, 4, 8)); kv = np.ones((2, 6, 8))
    >>> gn.functional.scaled_dot_product_attention(q, kv, kv, is_causal=True).shape
    (2, 4, 8)
    """
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p must lie in [0, 1], got {dropout_p}."
        )
    if is_causal and attn_mask is not None:
        raise ValueError(
            "scaled_dot_product_attention: give either attn_mask or is_causal=True, not both "
            "(fold the causal mask into attn_mask with glassnet.functional.causal_mask)."
        )
    qd, kd, vd = _data(q), _data(k), _data(v)
    mask = causal_mask(qd.shape[-2], kd.shape[-2]) if is_causal else attn_mask
    lead = _check_shapes(qd, kd, vd, None if mask is None else _data(mask))
    scale = 1.0 / math.sqrt(qd.shape[-1]) if scale is None else scale
    keep = None
    if dropout_p > 0.0:
        weights_shape = (*lead, qd.shape[-2], kd.shape[-2])
        if dropout_p == 1.0:
            keep = np.zeros(weights_shape, dtype=qd.dtype)
        else:
            kept = random.rng(rng).random(weights_shape) >= dropout_p
            keep = kept.astype(qd.dtype) * qd.dtype.type(1.0 / (1.0 - dropout_p))
    if mask is None:
        return ScaledDotProductAttention.apply(q, k, v, scale=scale, keep=keep)
    return ScaledDotProductAttention.apply(
        q, k, v, additive_mask(mask, qd.dtype), scale=scale, keep=keep
    )


def attention_weights(
    q: TensorLike,
    k: TensorLike,
    attn_mask: TensorLike | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(q @ k^T * scale + mask)``: the weights ``scaled_dot_product_attention`` applies to v.

    Same arguments and mask semantics as :func:`scaled_dot_product_attention`; returns ``(*, L, S)``.
    See :class:`AttentionWeights` for the gradient.
    """
    if is_causal and attn_mask is not None:
        raise ValueError("attention_weights: give either attn_mask or is_causal=True, not both.")
    qd, kd = _data(q), _data(k)
    mask = causal_mask(qd.shape[-2], kd.shape[-2]) if is_causal else attn_mask
    _check_shapes(qd, kd, kd, None if mask is None else _data(mask))
    scale = 1.0 / math.sqrt(qd.shape[-1]) if scale is None else scale
    if mask is None:
        return AttentionWeights.apply(q, k, scale=scale)
    return AttentionWeights.apply(
        q, k, additive_mask(mask, qd.dtype, "attention_weights"), scale=scale
    )
