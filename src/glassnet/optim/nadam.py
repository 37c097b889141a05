"""NAdam, as ``torch.optim.NAdam``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule (Dozat 2016).

    update:   g = grad + weight_decay * p;   t = t + 1
              mu_t = b1 (1 - 0.5 * 0.96^(t psi));   mu_{t+1} likewise;   P = P * mu_t   (psi = momentum_decay)
              m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   r = sqrt(v / (1 - b2^t)) + eps
              p = p - lr (1 - mu_t) / (1 - P) * g / r - lr mu_{t+1} / (1 - P mu_{t+1}) * m / r
    """

    def __init__(self, params: ParamsLike = None, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay))
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive("NAdam", group, "eps")
        check_non_negative("NAdam", group, "weight_decay", "momentum_decay")
        check_betas("NAdam", group)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["momentum_decay"]
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(step=0, mu_product=1.0, exp_avg=np.zeros_like(param.data),
                         exp_avg_sq=np.zeros_like(param.data))
        state["step"] += 1
        step = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        state["mu_product"] *= mu
        product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        root = np.sqrt(v / (1 - beta2**step)) + group["eps"]
        # Scaled before dividing, in PyTorch's order, so that rounding matches it to the last bits.
        self.descend(param, grad * (lr * (1.0 - mu) / (1.0 - product)) / root, 1.0)
        self.descend(param, m * (lr * mu_next / (1.0 - product * mu_next)) / root, 1.0)
