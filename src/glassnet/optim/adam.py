"""Adam and AdamW, as ``torch.optim.Adam`` / ``torch.optim.AdamW``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ._checks import check_betas, check_non_negative, check_positive
from .optimizer import Optimizer, ParamsLike

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation (Kingma & Ba 2015), with L2 weight decay added to the gradient.

    update:   g = grad + weight_decay * p
              m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   t = t + 1
              v_hat = max(v_hat, v) if amsgrad else v
              p = p - lr / (1 - b1^t) * m / (sqrt(v_hat) / sqrt(1 - b2^t) + eps)
    """

    decoupled = False

    def __init__(self, params: ParamsLike = None, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        check_positive(type(self).__name__, group, "eps")
        check_non_negative(type(self).__name__, group, "weight_decay")
        check_betas(type(self).__name__, group)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if decay and self.decoupled:
            param.data *= 1 - lr * decay
        else:
            grad = self.with_weight_decay(grad, param, group)
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.data), exp_avg_sq=np.zeros_like(param.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step = state["step"]
        denominator = np.sqrt(v) / np.sqrt(1 - beta2**step) + eps
        self.descend(param, m / denominator, lr / (1 - beta1**step))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): the weights shrink directly.

    update:   p = p (1 - lr weight_decay), then the Adam step with g = grad.
    """

    decoupled = True

    def __init__(self, params: ParamsLike = None, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
