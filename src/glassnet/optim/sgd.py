"""Stochastic gradient descent with momentum, as ``torch.optim.SGD``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from .optimizer import Optimizer, ParamsLike

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    The default ``lr=1e-3`` is PyTorch's; ``compile(optimizer="sgd")`` keeps Keras's 0.01.

    update:   g = grad + weight_decay * p
              b = momentum * b + (1 - dampening) * g      (b = g on the first step)
              g = g + momentum * b  if nesterov  else  b   (when momentum > 0)
              p = p - lr * g

    >>> import glassnet as gn
    >>> w = gn.Tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(float(w.data[0]), 6)
    0.8
    """

    def __init__(
        self,
        params: ParamsLike = None,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )
        self.validate(self.defaults)

    def validate(self, group: dict[str, Any]) -> None:
        super().validate(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD: momentum must be >= 0, got {group['momentum']}.")
        if group["weight_decay"] < 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {group['weight_decay']}.")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening.")

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        # Plain descent (no momentum, no weight decay) keeps no state: its groups take one short
        # loop here instead of the generic per-parameter calls, which show in small models' steps.
        plain = (
            bool(self.param_groups) and type(self) is SGD
        )  # a subclass may change update or descend
        for group in self.param_groups:
            if group["momentum"] or group["weight_decay"]:
                plain = False
        if not plain:
            super().step()
            return
        for group in self.param_groups:
            lr = group["lr"]
            for param in group["params"]:
                if param.grad is not None:
                    self.descend(param, param.grad, lr)

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, momentum = group["lr"], group["momentum"]
        if group["weight_decay"]:
            grad = self.with_weight_decay(grad, param, group)
        if momentum:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                velocity = state["momentum_buffer"] = grad.copy()
            else:
                velocity *= momentum
                velocity += (1 - group["dampening"]) * grad
            grad = grad + momentum * velocity if group["nesterov"] else velocity
        self.descend(param, grad, lr)
