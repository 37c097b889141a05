"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together, in place, so that their joint norm is at most ``max_norm``.

    total = || (||g_1||, ..., ||g_k||) ||  (the ``norm_type`` norm; ``inf`` takes the largest |g|)
    g_i = g_i * min(1, max_norm / (total + 1e-6))

    Returns:
        The total norm before clipping.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    if np.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [np.sum(np.abs(g.astype(np.float64)) ** norm_type) ** (1.0 / norm_type) for g in grads]
        total = float(np.sum(np.asarray(norms) ** norm_type) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise FloatingPointError(
            f"clip_grad_norm_: the total norm of the gradients is {total}; pass error_if_nonfinite=False to "
            "clip anyway."
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    if coefficient < 1.0:
        for g in grads:
            g *= coefficient
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element, in place, into ``[-clip_value, clip_value]``."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}.")
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def _as_list(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)
