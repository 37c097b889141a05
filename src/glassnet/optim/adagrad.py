"""Adagrad, as ``torch.optim.Adagrad``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-coordinate step sizes from the running sum of squared gradients (Duchi et al. 2011).

    update:   t = t + 1;   g = grad + weight_decay * p
              lr_t = lr / (1 + (t - 1) lr_decay)
              s = s + g^2                     (s starts at initial_accumulator_value)
              p = p - lr_t g / (sqrt(s) + eps)

    state:    step (int), sum

    Coordinates with large past gradients take small steps; the steps only ever shrink.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive("Adagrad", group, "eps")
        check_non_negative(
            "Adagrad", group, "lr_decay", "weight_decay", "initial_accumulator_value"
        )

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(step=0, sum=np.full_like(param.data, group["initial_accumulator_value"]))
        state["step"] += 1
        # The work array holds each intermediate below in turn, under the name of what it holds.
        total, work = state["sum"], self.work(param)
        total += np.square(grad, out=work)
        root = np.sqrt(total, out=work)
        root += group["eps"]
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        direction = np.divide(grad, root, out=root)
        self.descend(param, direction, lr)
