"""Lion, as in its paper (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative
from .optimizer import Optimizer, ParamsLike

__all__ = ["Lion"]


class Lion(Optimizer):
    """EvoLved sIgn mOmeNtum: every coordinate moves by exactly lr, in the sign of an interpolation.

    update:   c = b1 m + (1 - b1) g
              p = p - lr (sign(c) + weight_decay p)      (decoupled weight decay, as in AdamW)
              m = b2 m + (1 - b2) g                      (starts at 0)

    state:    step (int), exp_avg (m)

    With b2 > b1 the step looks at the fresh gradient more than the momentum remembers it.
    Since every step has size lr, the paper uses a 3-10x smaller lr than for AdamW and a
    3-10x larger weight_decay. PyTorch has no Lion; this follows the paper's Algorithm 2.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay))
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_non_negative("Lion", group, "weight_decay")
        check_betas("Lion", group)

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.data))
        state["step"] += 1
        m = state["exp_avg"]
        direction = self.work(param)
        weighted_grad = self.work(param, "weighted_grad")
        np.multiply(m, beta1, out=direction)
        direction += np.multiply(grad, 1 - beta1, out=weighted_grad)
        np.sign(direction, out=direction)
        if decay:
            param.data *= 1 - lr * decay  # p - lr wd p, applied before the sign step
        self.descend(param, direction, lr)
        m *= beta2
        m += np.multiply(grad, 1 - beta2, out=weighted_grad)
