"""Fused loss kernels: each loss and its gradient in one place, in a numerically stable form.

All are called ``loss(input, target, reduction=...)``, prediction first (as PyTorch and the seed
blog). ``reduction`` is ``"mean"`` (over every element; over the samples for cross_entropy),
``"sum"`` or ``"none"`` (one loss per element, or per sample for cross_entropy). The target is a
constant: it never receives a gradient.

Unlike PyTorch, the element-wise losses refuse an input and a target of different shapes instead
of broadcasting them: a ``(n, 1)`` prediction against ``(n,)`` labels would silently become an
``(n, n)`` loss, the classic bug of hand-written training loops.

The kernels of the training step call the ufuncs' own reduce (``np.add.reduce(x, axis)``) rather
than ``x.sum(axis)``: the same numbers, without the Python wrapper the array methods add to every
call.
"""

from __future__ import annotations

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

# torch clamps each log of binary_cross_entropy here, so p = 0 or 1 costs 100, never infinity.
LOG_FLOOR = -100.0
# torch's floor on p (1 - p) in binary_cross_entropy's gradient.
BCE_GRAD_EPS = 1e-12


class _Loss(Function):
    """What every loss shares: applying the reduction, and scaling the gradient to match it."""

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def reduce(self, losses: np.ndarray) -> np.ndarray:
        """Reduce per-element (or per-sample) losses; the mean of nothing is NaN, as torch."""
        if self.reduction == "none":
            return losses
        total = np.add.reduce(losses, axis=None)  # a float array's sum keeps its dtype
        if self.reduction == "sum":
            return total
        if losses.size == 0:
            return np.asarray(np.nan, dtype=losses.dtype)
        return total / losses.size

    def upstream(self, dy: np.ndarray, count: int) -> np.ndarray:
        """dL/dl for each of the ``count`` reduced losses l: dy itself, or dy / count for a mean."""
        if self.reduction == "mean":
            return dy / max(count, 1)
        return dy


def _labels_out_of_range(labels: np.ndarray, classes: int) -> bool:
    """Whether some integer label lies outside ``[0, classes)``, in plain NumPy."""
    return bool(labels.size) and bool(labels.min() < 0 or labels.max() >= classes)


def _labels_out_of_range_kernel(labels: np.ndarray, classes: int) -> bool:
    """:func:`_labels_out_of_range` for a non-empty array, in one reduction when it can (half
    the passes over the labels, checked on every batch).

    Read as unsigned integers of the same width, negative labels become at least 2**(bits - 1),
    so the largest one alone settles both ends, as long as ``classes`` is not above that (int8
    labels for 200 classes are checked both ways instead).
    """
    if labels.dtype.kind == "i":
        unsigned, negatives_from = _UNSIGNED.get(labels.dtype) or _unsigned_twin(labels.dtype)
        if classes > negatives_from:
            return bool(labels.min() < 0 or labels.max() >= classes)
        labels = labels.view(unsigned)
    return bool(np.maximum.reduce(labels, axis=None) >= classes)


def _unsigned_twin(dtype: np.dtype) -> tuple[np.dtype, int]:
    """The unsigned dtype of the same width and byte order ('>i8' -> '>u8'), and the smallest
    value a negative number reads as in it (2**(bits - 1))."""
    return np.dtype(dtype.str.replace("i", "u")), 2 ** (8 * dtype.itemsize - 1)


# The native signed integer dtypes' twins, made once: building a dtype costs more than the
# reduction over a batch of labels.
_UNSIGNED = {np.dtype(f"i{size}"): _unsigned_twin(np.dtype(f"i{size}")) for size in (1, 2, 4, 8)}


class BCEWithLogits(_Loss):
    """Binary cross-entropy on logits z with targets t in [0, 1]; pos_weight w weights positives.

    forward:  l = max(z, 0) - z t + log1p(exp(-|z|)); L = reduce(l)
              with pos_weight w: l = (1 - t) z + (1 + (w - 1) t) (log1p(exp(-|z|)) + max(-z, 0))
    backward: dz = dL * (sigmoid(z) - t)
              with pos_weight: dz = dL * ((1 + (w - 1) t) sigmoid(z) - w t)
    shapes:   z (*), t (*), w broadcast to (*) -> L () or (*) with reduction="none"
    """

    name = "binary_cross_entropy_with_logits"

    def forward(
        self, z: np.ndarray, t: np.ndarray, pos_weight: np.ndarray | None = None
    ) -> np.ndarray:
        t = t.astype(z.dtype, copy=False)
        # exp of a non-positive number: in (0, 1], so it never overflows, and backward reuses it.
        e = np.exp(-np.abs(z))
        w = None if pos_weight is None else pos_weight.astype(z.dtype, copy=False)
        if w is None:
            losses = np.maximum(z, 0) - z * t + np.log1p(e)
        else:
            softplus_of_minus_z = np.log1p(e) + np.maximum(-z, 0)
            losses = (1 - t) * z + (1 + (w - 1) * t) * softplus_of_minus_z
        self.save(z, t, w, e)
        return self.reduce(losses)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, None, None]:
        z, t, w, e = self.saved
        if not self.needs_grad[0]:
            return None, None, None
        # sigmoid(z) from e = exp(-|z|): 1 / (1 + e) for z >= 0, e / (1 + e) below.
        inverse = 1 / (1 + e)
        sigmoid = np.where(z >= 0, inverse, e * inverse)
        if w is None:
            dz = sigmoid - t
        else:
            dz = (1 + (w - 1) * t) * sigmoid - w * t
        # pos_weight is a constant, as in torch (which refuses to differentiate it).
        return dz * self.upstream(dy, z.size), None, None


class BCE(_Loss):
    """Binary cross-entropy on probabilities p in [0, 1], each log clamped at -100 (as torch),
    so that p = 0 or 1 costs at most 100 and never log(0).

    forward:  l = -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)); L = reduce(l)
    backward: dp = dL * (p - t) / max(p (1 - p), 1e-12)
    shapes:   p (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "binary_cross_entropy"

    def forward(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        # Value checks live in forward, not in the functional wrapper: a replayed step
        # (glassnet.autograd.replay) runs only forward, and must check every batch too.
        if p.size:
            low, high = p.min(), p.max()
            if low < 0 or high > 1:
                raise InputError(
                    f"{self.name}: input must hold probabilities in [0, 1], found {low if low < 0 else high}. "
                    "For logits (no sigmoid applied), use binary_cross_entropy_with_logits."
                )
        t = t.astype(p.dtype, copy=False)
        # log(0) = -inf is expected at p = 0 or 1 and clamped right away: silence its warning.
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_not_p = np.maximum(np.log1p(-p), LOG_FLOOR)
        self.save(p, t)
        return self.reduce(-(t * log_p + (1 - t) * log_not_p))

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, None]:
        p, t = self.saved
        if not self.needs_grad[0]:
            return None, None
        dp = (p - t) / np.maximum(p * (1 - p), BCE_GRAD_EPS)
        return dp * self.upstream(dy, p.size), None


class CrossEntropy(_Loss):
    """Softmax cross-entropy on logits z (n, C) with class indices (n,) or class probabilities
    (n, C); label smoothing e mixes the target with the uniform distribution, as torch.

    forward:  log q = z - logsumexp(z) (per row); q_t = (1 - e) onehot(t) + e / C
              l_i = -sum_c q_t[i, c] log q[i, c]; L = reduce(l)   (the mean is over the n samples)
    backward: dz = dL * (softmax(z) sum_c q_t[:, c] - q_t)   (rows of a proper q_t sum to 1)
    shapes:   z (n, C), t (n,) int or (n, C) float -> L () or (n,) with reduction="none"
    """

    name = "cross_entropy"

    def __init__(self, reduction: str, label_smoothing: float) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        classes = z.shape[1]
        # In forward, not in the wrapper, so that a replayed step checks every batch's labels.
        if t.ndim == 1 and t.size and _labels_out_of_range_kernel(t, classes):
            bad = t[(t < 0) | (t >= classes)][0]
            raise InputError(
                f"{self.name}: class labels must lie in [0, {classes}) for {classes} "
                f"classes, found label {bad}."
            )
        shifted = z - np.maximum.reduce(
            z, axis=1, keepdims=True
        )  # largest logit 0: exp never overflows
        exp = np.exp(shifted)
        total = np.add.reduce(exp, axis=1, keepdims=True)  # >= 1, so its log is finite
        log_total = np.log(total)
        e = self.label_smoothing
        rows = np.arange(len(t)) if t.ndim == 1 else None  # with t: each row's own class
        if t.ndim == 1 and not e:
            # = cross_entropy_losses(shifted - log_total, onehot(t)), reading one entry per row.
            losses = _picked_class_losses_kernel(shifted, log_total, rows, t)
        else:
            log_q = shifted - log_total
            if t.ndim == 1:
                losses = (e - 1) * log_q[rows, t] - (e / classes) * log_q.sum(axis=1)
            else:
                target = t.astype(z.dtype, copy=False)
                if e:
                    target = (1 - e) * target + e / classes
                losses = cross_entropy_losses(log_q, target)
        self.save(exp, total, t, rows)
        return self.reduce(losses)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, None]:
        exp, total, t, rows = self.saved
        if not self.needs_grad[0]:
            return None, None
        e = self.label_smoothing
        classes = exp.shape[1]
        dz = exp / total  # softmax(z); a fresh array, so it is updated in place below
        if t.ndim == 1:
            dz[rows, t] -= 1 - e
            if e:
                dz -= e / classes
        else:
            target = t.astype(dz.dtype, copy=False)
            if e:
                target = (1 - e) * target + e / classes
            # Unnormalised probability targets: the softmax term carries each row's total weight.
            dz *= target.sum(axis=1, keepdims=True)
            dz -= target
        scale = self.upstream(dy, exp.shape[0])
        dz *= scale[:, np.newaxis] if self.reduction == "none" else scale
        return dz, None


def cross_entropy_losses(log_q: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy in plain NumPy: ``-sum_c target[i, c] * log_q[i, c]``."""
    return -(target * log_q).sum(axis=1)


def _picked_class_losses_kernel(
    shifted: np.ndarray, log_total: np.ndarray, rows: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """:func:`cross_entropy_losses` of ``log_q = shifted - log_total`` against one-hot rows of
    ``labels`` (``rows`` is ``arange(n)``), the same values on finite logits (a zero loss is +0
    where the plain form gives -0): ``log_total - shifted[i, labels[i]]``.

    A one-hot target keeps one term per row, so only each row's own log-probability is needed:
    no (n, C) log q, one-hot or product is made.
    """
    return log_total[:, 0] - shifted[rows, labels]


class MSE(_Loss):
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


class L1(_Loss):
    """Mean absolute error.

    forward:  l = |x - t|; L = reduce(l)
    backward: dx = dL * sign(x - t)
    shapes:   x (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "l1_loss"

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        diff = x - t.astype(x.dtype, copy=False)
        self.save(diff)
        return self.reduce(np.abs(diff))

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        (diff,) = self.saved
        # sign(0) = 0: no gradient where the prediction is exact, as torch.
        return np.sign(diff) * self.upstream(dy, diff.size), None


class Huber(_Loss):
    """Huber loss: quadratic within delta of the target, linear beyond (torch's huber_loss).

    forward:  l = (x - t)^2 / 2 if |x - t| <= delta else delta (|x - t| - delta / 2); L = reduce(l)
    backward: dx = dL * clip(x - t, -delta, delta)
    shapes:   x (*), t (*) -> L () or (*) with reduction="none"
    """

    name = "huber_loss"

    def __init__(self, reduction: str, delta: float) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        diff = x - t.astype(x.dtype, copy=False)
        size = np.abs(diff)
        self.save(diff)
        delta = self.delta
        losses = np.where(size <= delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
        return self.reduce(losses)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        (diff,) = self.saved
        # At |x - t| = delta both pieces have slope delta: clip is exact there, as torch.
        return np.clip(diff, -self.delta, self.delta) * self.upstream(dy, diff.size), None


# ----------------------------------------------------------------- checks and wrappers
def _data(x: TensorLike) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_reduction(loss: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        valid = ", ".join(REDUCTIONS)
        raise ValueError(f"{loss}: reduction must be one of {valid}; got {reduction!r}.")


def _check_same_shape(loss: str, input: TensorLike, target: TensorLike) -> None:
    x_shape, t_shape = np.shape(_data(input)), np.shape(_data(target))
    if x_shape == t_shape:
        return
    message = (
        f"{loss}: input {x_shape} and target {t_shape} differ in shape; glassnet does not "
        f"broadcast a loss's operands (a (n, 1) prediction against (n,) labels would silently "
        f"become (n, n))."
    )
    if int(np.prod(x_shape)) == int(np.prod(t_shape)):
        message += f" Same number of values: reshape the target to {x_shape}."
    raise ShapeError(message)


def binary_cross_entropy_with_logits(
    input: TensorLike,
    target: TensorLike,
    reduction: str = "mean",
    pos_weight: TensorLike | None = None,
) -> Tensor:
    """Binary cross-entropy on logits (no sigmoid applied), finite for any logit.

    Args:
        input: logits z, any shape.
        target: labels in {0, 1}, or soft labels in [0, 1], of the same shape.
        reduction: "mean", "sum" or "none".
        pos_weight: weight of the positive term, broadcast against the last axes of ``input``
            (one weight per class, as torch); a constant.

    See :class:`BCEWithLogits`.

    >>> import glassnet as gn
    >>> round(binary_cross_entropy_with_logits(gn.Tensor([0.0]), gn.Tensor([1.0])).item(), 4)
    0.6931
    """
    loss = "binary_cross_entropy_with_logits"
    _check_reduction(loss, reduction)
    _check_same_shape(loss, input, target)
    if pos_weight is None:
        return BCEWithLogits.apply(input, target, reduction=reduction)
    x_shape, w_shape = np.shape(_data(input)), np.shape(_data(pos_weight))
    try:
        fits = np.broadcast_shapes(x_shape, w_shape) == x_shape
    except ValueError:
        fits = False
    if not fits:
        classes = x_shape[-1] if x_shape else 1
        raise ShapeError(
            f"{loss}: pos_weight of shape {w_shape} does not broadcast to the input's "
            f"shape {x_shape}; give one weight per class, of shape ({classes},)."
        )
    return BCEWithLogits.apply(input, target, pos_weight, reduction=reduction)


def binary_cross_entropy(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities in [0, 1], each log clamped at -100 (as torch).

    Prefer :func:`binary_cross_entropy_with_logits` on the logits before the sigmoid: it is
    exact where the probabilities round to 0 or 1. See :class:`BCE`.

    >>> import glassnet as gn
    >>> p, t = gn.Tensor([0.0, 1.0]), gn.Tensor([1.0, 0.0])
    >>> binary_cross_entropy(p, t, reduction="none").tolist()
    [100.0, 100.0]
    """
    loss = "binary_cross_entropy"
    _check_reduction(loss, reduction)
    _check_same_shape(loss, input, target)
    return BCE.apply(input, target, reduction=reduction)


def cross_entropy(
    input: TensorLike, target: TensorLike, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy on logits (n, C), with class indices (n,) or probabilities (n, C).

    The log-softmax is computed inside, stably: pass raw logits, not softmax outputs.

    Args:
        input: logits of shape (n_samples, n_classes).
        target: integer class indices in [0, C) of shape (n,), or float class probabilities
            (e.g. one-hot rows) of shape (n, C).
        reduction: "mean" (over the samples), "sum" or "none" (one loss per sample).
        label_smoothing: in [0, 1]; the target becomes (1 - e) target + e / C, as torch.

    See :class:`CrossEntropy`.

    >>> import glassnet as gn, numpy as np
    >>> round(cross_entropy(gn.Tensor(np.zeros((2, 4))), np.array([0, 3])).item(), 4)
    1.3863
    """
    loss = "cross_entropy"
    _check_reduction(loss, reduction)
    logits, labels = _data(input), _data(target)
    if logits.ndim != 2:
        raise ShapeError(
            f"{loss}: expected logits of shape (n_samples, n_classes), got {logits.shape}."
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{loss}: label_smoothing must lie in [0, 1], got {label_smoothing}.")
    n, classes = logits.shape
    if labels.dtype.kind in "iu":
        if labels.shape != (n,):
            raise ShapeError(
                f"{loss}: class-index targets must have shape ({n},) for logits "
                f"{logits.shape}, got {labels.shape}."
            )
    elif labels.shape != logits.shape:
        hint = ""
        if labels.shape == (n,):
            hint = " Class indices must be integers: pass target.astype(int)."
        raise ShapeError(
            f"{loss}: probability targets must have the logits' shape "
            f"{logits.shape}, got {labels.shape}.{hint}"
        )
    return CrossEntropy.apply(input, target, reduction=reduction, label_smoothing=label_smoothing)


def mse_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Squared error (x - t)^2, reduced. See :class:`MSE`.

    >>> import glassnet as gn
    >>> mse_loss(gn.Tensor([1.0, 3.0]), gn.Tensor([0.0, 0.0])).item()
    5.0
    """
    _check_reduction("mse_loss", reduction)
    _check_same_shape("mse_loss", input, target)
    return MSE.apply(input, target, reduction=reduction)


def l1_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Absolute error |x - t|, reduced; gradient sign(x - t), 0 where x = t. See :class:`L1`."""
    _check_reduction("l1_loss", reduction)
    _check_same_shape("l1_loss", input, target)
    return L1.apply(input, target, reduction=reduction)


def huber_loss(
    input: TensorLike, target: TensorLike, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Huber loss: squared error within ``delta`` (> 0) of the target, linear beyond.

    See :class:`Huber`.

    >>> import glassnet as gn
    >>> huber_loss(gn.Tensor([0.5, 3.0]), gn.Tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    _check_reduction("huber_loss", reduction)
    _check_same_shape("huber_loss", input, target)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    return Huber.apply(input, target, reduction=reduction, delta=float(delta))
