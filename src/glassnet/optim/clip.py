"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``.

Both work in place on ``p.grad`` (keeping its dtype) between ``backward()`` and
``optimizer.step()``; parameters whose ``grad`` is None are skipped.

    >>> import numpy as np, glassnet as gn
    >>> p = gn.Parameter(np.zeros(2))
    >>> p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_([p], max_norm=1.0)
    5.0
    >>> np.round(p.grad, 4)
    array([0.6, 0.8])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together, in place, so that their joint norm is at most ``max_norm``.

    total = || (||g_1||_p, ..., ||g_k||_p) ||_p   (= the p-norm of all gradients concatenated;
                                                   p = inf takes the largest |g|)
    g_i  <- g_i * min(1, max_norm / (total + 1e-6))

    Norms are accumulated in float64 (PyTorch uses the gradients' dtype), so a float32 total can
    differ from torch's in the 7th digit; the gradients keep their dtype. As in PyTorch, a NaN
    total turns every gradient into NaN and an infinite one zeroes the finite entries, unless
    ``error_if_nonfinite`` raises first.

    Args:
        parameters: a tensor or an iterable of tensors (a generator is fine).
        max_norm: the largest allowed total norm (>= 0).
        norm_type: p > 0, or ``float("inf")``.
        error_if_nonfinite: raise ``FloatingPointError`` when the total is NaN or infinite.

    Returns:
        The total norm before clipping, as a float (0.0 when no parameter has a gradient).
    """
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type}.")
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}.")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    total = _p_norm(np.array([_p_norm(g, norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise FloatingPointError(
            f"clip_grad_norm_: the total norm of the gradients is {total} (norm_type={norm_type}); "
            "find where the loss or gradients overflow, or pass error_if_nonfinite=False to clip anyway."
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    if (
        not coefficient >= 1.0
    ):  # also true for NaN, which then spreads to every gradient as in torch
        with np.errstate(
            invalid="ignore"
        ):  # inf * 0 -> NaN is the documented outcome, not a surprise
            for g in grads:
                g *= coefficient
    return total


def _p_norm(values: np.ndarray, p: float) -> float:
    """(sum |v|^p)^(1/p) in float64; max |v| for p = inf; 0 for no values."""
    if values.size == 0:
        return 0.0
    magnitudes = np.abs(values, dtype=np.float64)
    if p == math.inf:
        return float(magnitudes.max())
    if p == 1.0:
        return float(magnitudes.sum())
    if p == 2.0:
        flat = magnitudes.ravel()
        return math.sqrt(float(flat @ flat))
    return float(np.sum(magnitudes**p) ** (1.0 / p))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element, in place, into ``[-clip_value, clip_value]`` (NaN stays NaN).

    g <- min(max(g, -clip_value), clip_value)
    """
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}.")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def _grads(parameters: Iterable[Tensor] | Tensor) -> list[np.ndarray]:
    """The gradients to clip in place, skipping parameters without one."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if p.grad is not None and not isinstance(p.grad, np.ndarray):
            p.grad = np.array(p.grad)  # a NumPy scalar cannot be changed in place; a 0-d array can
    return [p.grad for p in params if p.grad is not None]
