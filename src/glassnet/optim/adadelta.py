"""Adadelta, as ``torch.optim.Adadelta``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Steps scaled by the ratio of the running RMS of past steps to that of gradients (Zeiler 2012).

    update:   g = grad + weight_decay * p
              s = rho s + (1 - rho) g^2                   (starts at 0)
              d = sqrt(u + eps) / sqrt(s + eps) * g
              u = rho u + (1 - rho) d^2                   (starts at 0)
              p = p - lr d

    state:    step (int), square_avg (s), acc_delta (u)

    The ratio has the units of the parameter, so lr = 1.0 (the default) is the paper's method.
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value {group['rho']}: must lie in [0, 1].")
        check_positive("Adadelta", group, "eps")
        check_non_negative("Adadelta", group, "weight_decay")

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        rho, eps = group["rho"], group["eps"]
        grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(
                step=0, square_avg=np.zeros_like(param.data), acc_delta=np.zeros_like(param.data)
            )
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        # The work array holds each intermediate below in turn, under the name of what it holds.
        work, delta = self.work(param), self.work(param, "delta")
        square_avg *= rho
        grad_squared = np.square(grad, out=work)
        square_avg += np.multiply(grad_squared, 1 - rho, out=grad_squared)
        np.sqrt(np.add(acc_delta, eps, out=delta), out=delta)
        rms_grad = np.add(square_avg, eps, out=work)
        np.sqrt(rms_grad, out=rms_grad)
        delta /= rms_grad
        delta *= grad
        acc_delta *= rho
        delta_squared = np.square(delta, out=work)
        acc_delta += np.multiply(delta_squared, 1 - rho, out=delta_squared)
        self.descend(param, delta, group["lr"])
