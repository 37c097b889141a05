"""Adam and AdamW, as ``torch.optim.Adam`` / ``torch.optim.AdamW``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation (Kingma & Ba 2015), with L2 weight decay added to the gradient.

    update:   t = t + 1;   g = grad + weight_decay * p
              m = b1 m + (1 - b1) g                 (first moment, starts at 0)
              v = b2 v + (1 - b2) g^2               (second moment, starts at 0)
              v_max = max(v_max, v)  if amsgrad     (and v_max takes v's place below)
              p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    state:    step (int), exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only)

    >>> import glassnet as gn
    >>> w = gn.Tensor([1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(float(w.data[0]), 6)   # the first step moves every coordinate by about lr
    0.9
    """

    decoupled = False  # AdamW: shrink the weights directly instead of adding to the gradient

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad),
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        name = type(self).__name__
        check_positive(name, group, "eps")
        check_non_negative(name, group, "weight_decay")
        check_betas(name, group)

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if not self.decoupled:
            grad = self.with_weight_decay(grad, param, group)
        elif group["weight_decay"]:
            param.data *= 1 - lr * group["weight_decay"]
        if not state:
            state.update(
                step=0, exp_avg=np.zeros_like(param.data), exp_avg_sq=np.zeros_like(param.data)
            )
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        # One work array holds each intermediate below in turn, under the name of what it holds.
        work = self.work(param)
        m *= beta1
        weighted_grad = np.multiply(grad, 1 - beta1, out=work)
        m += weighted_grad
        v *= beta2
        grad_squared = np.square(grad, out=work)
        v += np.multiply(grad_squared, 1 - beta2, out=grad_squared)
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denominator = np.sqrt(v, out=work)
        denominator /= math.sqrt(1 - beta2**step)
        denominator += eps
        direction = np.divide(m, denominator, out=denominator)
        self.descend(param, direction, lr / (1 - beta1**step))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): the weights shrink directly.

    update:   p = p (1 - lr weight_decay), then the Adam step with g = grad (no decay term).

    The default weight_decay is 1e-2, as in torch.optim.AdamW.
    """

    decoupled = True

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
