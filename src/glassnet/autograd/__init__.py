"""Reverse-mode automatic differentiation: Tensor, Function, no_grad and gradcheck."""

from .function import Function, enable_grad, is_grad_enabled, no_grad, unbroadcast
from .gradcheck import gradcheck, numerical_gradient
from .tensor import Tensor, as_tensor

__all__ = [
    "Tensor",
    "Function",
    "as_tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "unbroadcast",
    "gradcheck",
    "numerical_gradient",
]
