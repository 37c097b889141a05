"""Loss objects, called as ``loss(y_pred, y_true)`` (the seed blog's and PyTorch's order).

Each is a thin object over a fused, numerically stable kernel in :mod:`glassnet.ops.losses`.
Strings name them too (``"binary_crossentropy"``, ``"mse"``...): see :func:`get`.

>>> import glassnet as gn, numpy as np
>>> loss = BinaryCrossEntropy()
>>> round(loss(gn.Tensor([[0.9], [0.2]]), np.array([1, 0])).item(), 4)
0.1643
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd.tensor import Tensor, TensorLike
from .ops import losses as kernels

__all__ = [
    "Loss",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Huber",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "SparseCategoricalCrossEntropy",
    "get",
    "LOSSES",
]


class Loss:
    """Base class: turns ``y_true`` into a tensor that fits ``y_pred``, then calls :meth:`compute`.

    Labels given as ``(n,)`` for predictions of shape ``(n, 1)`` are reshaped to ``(n, 1)`` (and
    ``(n, T)`` for ``(n, T, 1)``);
    any other mismatch is an error from the kernel naming both shapes.

    Args:
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    """

    name = "loss"
    integer_targets = False
    # As Module.traceable: compute applies the same glassnet ops to any batch of a shape, and
    # nothing else, so fit may replay it. Declared by each built-in loss class itself.
    traceable = False

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = reduction

    def __call__(self, y_pred: Tensor, y_true: TensorLike) -> Tensor:
        return self.compute(y_pred, self.prepare_target(y_pred, y_true))

    def prepare_target(self, y_pred: Tensor, y_true: TensorLike) -> Tensor:
        """``y_true`` as a constant tensor of ``y_pred``'s dtype (int64 class indices for sparse losses)."""
        target = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
        if self.integer_targets:
            target = target.astype(np.int64, copy=False)
        else:
            target = target.astype(y_pred.dtype, copy=False)
            if y_pred.shape[-1:] == (1,) and target.shape == y_pred.shape[:-1]:
                target = target[..., np.newaxis]  # (n,) for (n, 1); (n, T) for (n, T, 1)
        return Tensor._from_op(target, None)

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        """The loss of ``y_pred`` against a prepared ``y_true``, reduced as ``self.reduction`` says."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2)."""

    traceable = True
    name = "mse"

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        return kernels.mse_loss(y_pred, y_true, reduction=self.reduction)


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|)."""

    traceable = True
    name = "mae"

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        return kernels.l1_loss(y_pred, y_true, reduction=self.reduction)


class Huber(Loss):
    """Quadratic within ``delta`` of the target, linear beyond (robust regression)."""

    traceable = True
    name = "huber"

    def __init__(self, delta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.delta = delta

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        return kernels.huber_loss(y_pred, y_true, reduction=self.reduction, delta=self.delta)


class BinaryCrossEntropy(Loss):
    """-[t log p + (1 - t) log(1 - p)] for labels t in [0, 1].

    Args:
        from_logits: ``y_pred`` holds logits (no Sigmoid layer); the stable fused form is used.
            With probabilities, logs are clamped at -100 so log(0) never happens, and a Model
            whose last layer is Sigmoid uses the logits form automatically.
    """

    traceable = True
    name = "binary_crossentropy"

    def __init__(self, from_logits: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.from_logits = from_logits

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        if self.from_logits:
            return kernels.binary_cross_entropy_with_logits(
                y_pred, y_true, reduction=self.reduction
            )
        return kernels.binary_cross_entropy(y_pred, y_true, reduction=self.reduction)

    def on_logits(self) -> BinaryCrossEntropy:
        """The same loss on logits: what a Model trains through when its last layer is a Sigmoid."""
        return BinaryCrossEntropy(from_logits=True, reduction=self.reduction)


class CategoricalCrossEntropy(Loss):
    """-sum(t log softmax(z)) for one-hot or probability targets of shape (n, classes).

    Predictions with more axes, ``(n, T, ..., classes)``, count every position as a sample (the
    mean runs over all of them), as Keras does for a model with an output per step.

    Args:
        from_logits: ``y_pred`` holds logits; otherwise probabilities (e.g. after Softmax).
    """

    traceable = True
    name = "categorical_crossentropy"

    def __init__(self, from_logits: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.from_logits = from_logits

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        logits = y_pred if self.from_logits else _log_probabilities(y_pred)
        if logits.ndim <= 2:
            return kernels.cross_entropy(logits, y_true, reduction=self.reduction)
        # An output per step (n, T, ..., classes): every position is one more sample, as in Keras.
        classes = logits.shape[-1]
        flat_target = y_true.reshape(-1) if self.integer_targets else y_true.reshape(-1, classes)
        loss = kernels.cross_entropy(
            logits.reshape(-1, classes), flat_target, reduction=self.reduction
        )
        return loss.reshape(logits.shape[:-1]) if self.reduction == "none" else loss

    def on_logits(self) -> CategoricalCrossEntropy:
        """The same loss on logits: what a Model trains through when its last layer is a Softmax."""
        return type(self)(from_logits=True, reduction=self.reduction)


class SparseCategoricalCrossEntropy(CategoricalCrossEntropy):
    """Categorical cross-entropy with integer class labels of shape (n,), or (n, T, ...) for
    predictions (n, T, ..., classes) with one output per step."""

    traceable = True
    name = "sparse_categorical_crossentropy"
    integer_targets = True

    def prepare_target(self, y_pred: Tensor, y_true: TensorLike) -> Tensor:
        target = super().prepare_target(y_pred, y_true)
        if target.ndim == 2 and target.shape[1] == 1:
            target = Tensor._from_op(target.data.reshape(-1), None)
        return target


def _log_probabilities(probabilities: Tensor) -> Tensor:
    # log p is a valid logit vector: softmax(log p) = p. Clip so that log(0) is finite.
    from .ops.math import clip, log

    return log(clip(probabilities, 1e-12, None))


LOSSES: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "categorical_cross_entropy": CategoricalCrossEntropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossEntropy,
    "sparse_categorical_cross_entropy": SparseCategoricalCrossEntropy,
}


def get(loss: str | Loss | Any) -> Loss:
    """A Loss object from a name (see :data:`LOSSES`), a Loss, or a Loss class."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str):
        key = loss.lower()
        if key in LOSSES:
            return LOSSES[key]()
        valid = ", ".join(sorted(LOSSES))
        raise ValueError(f"Unknown loss {loss!r}; valid names: {valid}.")
    if callable(loss):
        return _CallableLoss(loss)
    raise TypeError(f"loss: expected a name, a Loss or a callable, got {type(loss).__name__}.")


class _CallableLoss(Loss):
    """Wraps a user's ``fn(y_pred, y_true) -> Tensor``."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn
        self.name = getattr(fn, "__name__", "loss")

    def compute(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        return self.fn(y_pred, y_true)
