"""RMSprop, as ``torch.optim.RMSprop``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of it (Hinton, lecture 6e).

    update:   g = grad + weight_decay * p
              s = alpha s + (1 - alpha) g^2                      (starts at 0)
              r = sqrt(s) + eps
              centered:  a = alpha a + (1 - alpha) g;   r = sqrt(s - a^2) + eps
              momentum > 0:  b = momentum b + g / r;   p = p - lr b
              otherwise:     p = p - lr g / r

    state:    step (int), square_avg, grad_avg (centered), momentum_buffer (momentum > 0)

    ``centered`` divides by an estimate of the gradient's standard deviation instead of its
    root mean square.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive("RMSprop", group, "eps")
        check_non_negative("RMSprop", group, "momentum", "weight_decay", "alpha")

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param.data))
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param.data)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param.data)
        state["step"] += 1
        # The work array holds each intermediate below in turn, under the name of what it holds.
        square_avg, work = state["square_avg"], self.work(param)
        square_avg *= alpha
        grad_squared = np.square(grad, out=work)
        square_avg += np.multiply(grad_squared, 1 - alpha, out=grad_squared)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            weighted_grad = np.multiply(grad, 1 - alpha, out=work)
            grad_avg += weighted_grad
            mean_squared = np.square(grad_avg, out=work)
            root = np.subtract(square_avg, mean_squared, out=mean_squared)
            np.sqrt(root, out=root)
        else:
            root = np.sqrt(square_avg, out=work)
        root += group["eps"]
        direction = np.divide(grad, root, out=root)
        if momentum > 0:
            velocity = state["momentum_buffer"]
            velocity *= momentum
            velocity += direction
            direction = velocity
        self.descend(param, direction, group["lr"])
