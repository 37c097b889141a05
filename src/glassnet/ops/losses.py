"""Fused loss kernels: each loss and its gradient in one place, in a numerically stable form.

All are called ``loss(input, target, reduction=...)`` (prediction first, as PyTorch and the seed
blog). ``reduction`` is ``"mean"`` (over every element), ``"sum"`` or ``"none"`` (per element, or
per sample for cross_entropy). The target never receives a gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError

__all__ = [
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "cross_entropy",
    "mse_loss",
    "l1_loss",
    "huber_loss",
]

REDUCTIONS = ("mean", "sum", "none")


class _ElementwiseLoss(Function):
    """Shared reduction of per-element losses and the matching scaling of their gradient."""

    def __init__(self, reduction: str, **options: Any) -> None:
        self.reduction = reduction
        for name, value in options.items():
            setattr(self, name, value)

    def reduce(self, losses: np.ndarray) -> np.ndarray:
        if self.reduction == "none":
            return losses
        total = np.sum(losses, dtype=losses.dtype)
        if self.reduction == "sum":
            return total
        return total / losses.size if losses.size else np.asarray(np.nan, dtype=losses.dtype)

    def upstream(self, dy: np.ndarray, size: int) -> np.ndarray | float:
        """The gradient of the reduced loss with respect to each element's loss."""
        if self.reduction == "none":
            return dy
        if self.reduction == "sum":
            return dy
        return dy / max(size, 1)


class BCEWithLogits(_ElementwiseLoss):
    """Binary cross-entropy on logits z with targets t in [0, 1] (optionally pos_weight w).

    forward:  l = (1 - t) z + (1 + (w - 1) t) (log1p(exp(-|z|)) + max(-z, 0)); L = reduce(l)
              (w = 1: l = max(z, 0) - z t + log1p(exp(-|z|)))
    backward: dz = dL * ((1 + (w - 1) t) sigmoid(z) - w t)     (w = 1: dL * (sigmoid(z) - t))
    shapes:   z (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "binary_cross_entropy_with_logits"

    def forward(self, z: np.ndarray, t: np.ndarray, pos_weight: np.ndarray | None = None) -> np.ndarray:
        t = t.astype(z.dtype, copy=False)
        e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
        softplus_neg = np.log1p(e) + np.maximum(-z, 0)  # log(1 + exp(-z)), stable
        if pos_weight is None:
            losses = (1 - t) * z + softplus_neg
        else:
            losses = (1 - t) * z + (1 + (pos_weight - 1) * t) * softplus_neg
        self.save(z, t, pos_weight, e)
        return self.reduce(losses)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None, None]:
        z, t, pos_weight, e = self.saved
        inverse = 1 / (1 + e)
        sig = np.where(z >= 0, inverse, e * inverse)
        if pos_weight is None:
            dz = sig - t
        else:
            dz = (1 + (pos_weight - 1) * t) * sig - pos_weight * t
        return dz * self.upstream(dy, z.size), None, None


class BCE(_ElementwiseLoss):
    """Binary cross-entropy on probabilities p, each log clamped at -100 (as torch) so that
    p = 0 or 1 never gives log(0).

    forward:  l = -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)); L = reduce(l)
    backward: dp = dL * (p - t) / max(p (1 - p), 1e-12)
    shapes:   p (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "binary_cross_entropy"

    def forward(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        t = t.astype(p.dtype, copy=False)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_not_p = np.maximum(np.log1p(-p), -100)
        self.save(p, t)
        return self.reduce(-(t * log_p + (1 - t) * log_not_p))

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        p, t = self.saved
        dp = (p - t) / np.maximum(p * (1 - p), 1e-12)
        return dp * self.upstream(dy, p.size), None


class CrossEntropy(_ElementwiseLoss):
    """Softmax cross-entropy on logits z (n, C) with class indices (n,) or probabilities (n, C);
    label smoothing e mixes the target with the uniform distribution.

    forward:  log q = z - logsumexp(z); q_t = (1 - e) onehot(t) + e / C; l_i = -sum_c q_tc log q_c
              L = reduce(l)   (mean over the n samples)
    backward: dz = dL * (softmax(z) sum_c q_tc - q_t)     (each row of a proper q_t sums to 1)
    shapes:   z (n, C), t (n,) int or (n, C) float -> L () or (n,) with reduction="none"
    """

    name = "cross_entropy"

    def forward(self, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        shifted = z - np.max(z, axis=1, keepdims=True)
        log_q = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        smoothing = self.label_smoothing
        if t.ndim == 1:
            # Class indices: pick each row's log-probability instead of building a one-hot matrix.
            losses = -log_q[np.arange(len(t)), t]
            if smoothing:
                losses = (1 - smoothing) * losses - (smoothing / z.shape[1]) * np.sum(log_q, axis=1)
        else:
            target = t.astype(z.dtype, copy=False)
            if smoothing:
                target = target * (1 - smoothing) + smoothing / z.shape[1]
            losses = -np.sum(target * log_q, axis=1)
        self.save(log_q, t)
        return self.reduce(losses)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        log_q, t = self.saved
        smoothing = self.label_smoothing
        dz = np.exp(log_q)
        if t.ndim == 1:
            dz[np.arange(len(t)), t] -= 1 - smoothing
            if smoothing:
                dz -= smoothing / dz.shape[1]
        else:
            target = t.astype(dz.dtype, copy=False)
            if smoothing:
                target = target * (1 - smoothing) + smoothing / dz.shape[1]
            # Row sums of the target may differ from 1 for unnormalised probability targets.
            dz *= np.sum(target, axis=1, keepdims=True)
            dz -= target
        scale = self.upstream(dy, log_q.shape[0])
        if self.reduction == "none":
            scale = scale[:, None]
        dz *= scale
        return dz, None


class MSE(_ElementwiseLoss):
    """Mean squared error.

    forward:  l = (x - t)^2; L = reduce(l)
    backward: dx = dL * 2 (x - t)
    shapes:   x (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "mse_loss"

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        diff = x - t.astype(x.dtype, copy=False)
        self.save(diff)
        return self.reduce(diff * diff)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        (diff,) = self.saved
        return (2 * diff) * self.upstream(dy, diff.size), None


class L1(_ElementwiseLoss):
    """Mean absolute error.

    forward:  l = |x - t|; L = reduce(l)
    backward: dx = dL * sign(x - t)       (0 where x = t, as torch)
    shapes:   x (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "l1_loss"

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        diff = x - t.astype(x.dtype, copy=False)
        self.save(diff)
        return self.reduce(np.abs(diff))

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        (diff,) = self.saved
        return np.sign(diff) * self.upstream(dy, diff.size), None


class Huber(_ElementwiseLoss):
    """Huber loss: quadratic within delta of the target, linear beyond (torch.nn.functional.huber_loss).

    forward:  l = (x - t)^2 / 2 if |x - t| <= delta else delta (|x - t| - delta / 2); L = reduce(l)
    backward: dx = dL * clip(x - t, -delta, delta)
    shapes:   x (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "huber_loss"

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        diff = x - t.astype(x.dtype, copy=False)
        size = np.abs(diff)
        self.save(diff)
        losses = np.where(size <= self.delta, 0.5 * diff * diff, self.delta * (size - 0.5 * self.delta))
        return self.reduce(losses.astype(x.dtype, copy=False))

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        (diff,) = self.saved
        return np.clip(diff, -self.delta, self.delta) * self.upstream(dy, diff.size), None


# ----------------------------------------------------------------- checks and wrappers
def _data(x: TensorLike) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_reduction(loss: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}.")


def _check_same_shape(loss: str, prediction: TensorLike, target: TensorLike) -> None:
    p_shape, t_shape = np.shape(_data(prediction)), np.shape(_data(target))
    if p_shape != t_shape:
        hint = ""
        if len(p_shape) == 2 and p_shape[1] == 1 and t_shape == (p_shape[0],):
            hint = f" Reshape the target to ({p_shape[0]}, 1)."
        raise ShapeError(
            f"{loss}: input and target must have the same shape, got input {p_shape} and target {t_shape}; "
            f"glassnet does not broadcast them (a (n, 1) prediction against (n,) labels would become "
            f"(n, n)).{hint}"
        )


def binary_cross_entropy_with_logits(input: TensorLike, target: TensorLike, reduction: str = "mean",
                                     pos_weight: TensorLike | None = None) -> Tensor:
    """Binary cross-entropy on logits, finite for any logit. See :class:`BCEWithLogits`.

    >>> import glassnet as gn
    >>> round(binary_cross_entropy_with_logits(gn.Tensor([0.0]), gn.Tensor([1.0])).item(), 4)
    0.6931
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        return BCEWithLogits.apply(input, target, reduction=reduction)
    return BCEWithLogits.apply(input, target, pos_weight, reduction=reduction)


def binary_cross_entropy(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities, logs clamped at -100. See :class:`BCE`."""
    _check_reduction("binary_cross_entropy", reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    return BCE.apply(input, target, reduction=reduction)


def cross_entropy(input: TensorLike, target: TensorLike, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy on logits (n, C), with class indices (n,) or probabilities (n, C).

    See :class:`CrossEntropy`.
    """
    _check_reduction("cross_entropy", reduction)
    logits, labels = _data(input), _data(target)
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: expected logits of shape (n_samples, n_classes), got {logits.shape}.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}.")
    n, classes = logits.shape
    if labels.dtype.kind in "iub":
        if labels.shape != (n,):
            raise ShapeError(
                f"cross_entropy: class-index targets must have shape ({n},) for logits {logits.shape}, got {labels.shape}."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            bad = labels[(labels < 0) | (labels >= classes)][0]
            raise InputError(
                f"cross_entropy: class labels must lie in [0, {classes}) for {classes} classes, found label {bad}."
            )
    elif labels.shape != logits.shape:
        raise ShapeError(
            f"cross_entropy: probability targets must have the logits' shape {logits.shape}, got {labels.shape}."
        )
    return CrossEntropy.apply(input, target, reduction=reduction, label_smoothing=label_smoothing)


def mse_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean squared error. See :class:`MSE`."""
    _check_reduction("mse_loss", reduction)
    _check_same_shape("mse_loss", input, target)
    return MSE.apply(input, target, reduction=reduction)


def l1_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean absolute error. See :class:`L1`."""
    _check_reduction("l1_loss", reduction)
    _check_same_shape("l1_loss", input, target)
    return L1.apply(input, target, reduction=reduction)


def huber_loss(input: TensorLike, target: TensorLike, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss with threshold ``delta``. See :class:`Huber`."""
    _check_reduction("huber_loss", reduction)
    _check_same_shape("huber_loss", input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    return Huber.apply(input, target, reduction=reduction, delta=delta)
