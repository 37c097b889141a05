"""Lion, as in its paper (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative
from .optimizer import Optimizer, ParamsLike

__all__ = ["Lion"]


class Lion(Optimizer):
    """EvoLved sign momentum: every coordinate moves by exactly lr (plus decoupled weight decay).

    update:   c = b1 m + (1 - b1) g
              p = p - lr (sign(c) + weight_decay p)
              m = b2 m + (1 - b2) g
    """

    def __init__(self, params: ParamsLike = None, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay))
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_non_negative("Lion", group, "weight_decay")
        check_betas("Lion", group)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.data))
        state["step"] += 1
        m = state["exp_avg"]
        direction = np.sign(beta1 * m + (1 - beta1) * grad)
        if group["weight_decay"]:
            direction += group["weight_decay"] * param.data
        self.descend(param, direction, group["lr"])
        m *= beta2
        m += (1 - beta2) * grad
