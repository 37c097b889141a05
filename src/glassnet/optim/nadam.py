"""NAdam, as ``torch.optim.NAdam``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a warming-up momentum schedule (Dozat 2016).

    update:   t = t + 1;   g = grad + weight_decay * p
              mu_t = b1 (1 - 0.5 * 0.96^(t psi))        (psi = momentum_decay; mu_{t+1} likewise)
              P = P mu_t                                  (product of the mu's, starts at 1)
              m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2        (both start at 0)
              r = sqrt(v / (1 - b2^t)) + eps
              p = p - lr (1 - mu_t) / (1 - P) * g / r
                    - lr mu_{t+1} / (1 - P mu_{t+1}) * m / r

    state:    step (int), mu_product (float), exp_avg, exp_avg_sq

    The second line is the Nesterov look-ahead: this step's gradient, plus the momentum that the
    next step will apply.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
            ),
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive("NAdam", group, "eps")
        check_non_negative("NAdam", group, "weight_decay", "momentum_decay")
        check_betas("NAdam", group)

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(
                step=0,
                mu_product=1.0,
                exp_avg=np.zeros_like(param.data),
                exp_avg_sq=np.zeros_like(param.data),
            )
        state["step"] += 1
        step = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"] *= mu
        product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # The work array holds each intermediate below in turn, under the name of what it holds.
        work, root = self.work(param), self.work(param, "root")
        m *= beta1
        weighted_grad = np.multiply(grad, 1 - beta1, out=work)
        m += weighted_grad
        v *= beta2
        grad_squared = np.square(grad, out=work)
        v += np.multiply(grad_squared, 1 - beta2, out=grad_squared)
        np.sqrt(np.divide(v, 1 - beta2**step, out=root), out=root)
        root += group["eps"]
        grad_direction = np.divide(grad, root, out=work)
        self.descend(param, grad_direction, lr * (1.0 - mu) / (1.0 - product))
        momentum_direction = np.divide(m, root, out=work)
        self.descend(param, momentum_direction, lr * mu_next / (1.0 - product * mu_next))
