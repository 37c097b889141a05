"""Adamax, as ``torch.optim.Adamax``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the second moment (Kingma & Ba 2015, section 7).

    update:   t = t + 1;   g = grad + weight_decay * p
              m = b1 m + (1 - b1) g                  (starts at 0)
              u = max(b2 u, |g| + eps)               (starts at 0)
              p = p - lr / (1 - b1^t) * m / u

    state:    step (int), exp_avg (m), exp_inf (u)

    u needs no bias correction: a maximum is not pulled towards its zero start.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive("Adamax", group, "eps")
        check_non_negative("Adamax", group, "weight_decay")
        check_betas("Adamax", group)

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(
                step=0, exp_avg=np.zeros_like(param.data), exp_inf=np.zeros_like(param.data)
            )
        state["step"] += 1
        # The work array holds each intermediate below in turn, under the name of what it holds.
        m, u, work = state["exp_avg"], state["exp_inf"], self.work(param)
        m *= beta1
        weighted_grad = np.multiply(grad, 1 - beta1, out=work)
        m += weighted_grad
        u *= beta2
        bound = np.abs(grad, out=work)
        bound += group["eps"]
        np.maximum(u, bound, out=u)
        direction = np.divide(m, u, out=work)
        self.descend(param, direction, group["lr"] / (1 - beta1 ** state["step"]))
