"""Weight penalties for ``kernel_regularizer=`` / ``bias_regularizer=`` (Keras's names and formulas).

A layer's penalties are added to the training loss, so they show in ``history.history["loss"]``
as in Keras. Strings name them too: ``"l1"``, ``"l2"``, ``"l1_l2"`` (with Keras's default 0.01).

>>> import glassnet as gn, numpy as np
>>> round(L2(0.1)(gn.Tensor(np.array([1.0, -2.0]))).item(), 6)
0.5
"""

from __future__ import annotations

from typing import Any

from .autograd.tensor import Tensor
from .ops.math import abs as absolute
from .ops.reduce import sum as total
from .ops.regularization import l2_penalty

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get", "penalty", "to_config"]


class Regularizer:
    """A penalty ``R(w)`` added to the loss; subclasses implement ``__call__``."""

    # As Module.traceable: __call__ applies the same glassnet ops to the weight on every call and
    # nothing else, so fit may replay it. Declared by each built-in class itself.
    traceable = False

    def __call__(self, weight: Tensor) -> Tensor:
        raise NotImplementedError


class L1L2(Regularizer):
    """R(w) = l1 * sum(|w|) + l2 * sum(w^2)."""

    traceable = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        if l1 < 0 or l2 < 0:
            raise ValueError(f"L1L2: l1 and l2 must be >= 0, got {l1} and {l2}.")
        self.l1 = l1
        self.l2 = l2

    def __call__(self, weight: Tensor) -> Tensor:
        penalty = None
        if self.l1:
            penalty = total(absolute(weight)) * self.l1
        if self.l2:
            squares = l2_penalty(weight, self.l2)  # one op: it runs for every weight at every step
            penalty = squares if penalty is None else penalty + squares
        return penalty if penalty is not None else total(weight * 0.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(L1L2):
    """R(w) = l1 * sum(|w|)."""

    traceable = True

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)


class L2(L1L2):
    """R(w) = l2 * sum(w^2)."""

    traceable = True

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)


def get(regularizer: Any) -> Regularizer | None:
    """None, a Regularizer, or a name: ``"l1"``, ``"l2"``, ``"l1_l2"``."""
    if regularizer is None or isinstance(regularizer, Regularizer):
        return regularizer
    names = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01)}
    if isinstance(regularizer, str) and regularizer in names:
        return names[regularizer]()
    if isinstance(regularizer, dict) and set(regularizer) <= {"l1", "l2"}:
        return L1L2(**regularizer)
    raise ValueError(
        f"Unknown regularizer {regularizer!r}; valid: {', '.join(names)} or a Regularizer."
    )


def penalty(pairs: Any) -> Tensor | None:
    """The sum of ``regularizer(param)`` over ``(regularizer, param)`` pairs, skipping Nones."""
    loss = None
    for regularizer, param in pairs:
        if regularizer is None or param is None:
            continue
        term = regularizer(param)
        loss = term if loss is None else loss + term
    return loss


def to_config(regularizer: Regularizer | None) -> dict[str, float] | None:
    """JSON form of a regularizer: ``{"l1": ..., "l2": ...}`` (what :func:`get` reads back)."""
    if regularizer is None:
        return None
    if not isinstance(regularizer, L1L2):
        raise TypeError(f"the regularizer {regularizer!r} cannot be saved; use L1, L2 or L1L2.")
    return {"l1": regularizer.l1, "l2": regularizer.l2}
