"""Check analytical gradients against central finite differences, in float64.

This is public: write an op, then ``gradcheck`` it, exactly as glassnet's own tests do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import GradcheckError
from .tensor import Tensor

__all__ = ["gradcheck", "numerical_gradient"]


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + eps e_i) - f(x - eps e_i)) / 2 eps`` for every element of ``x``.

    ``f`` reads ``x`` (which is perturbed in place and restored) and returns a float.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x = x.reshape(-1)
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        f_plus = f()
        flat_x[i] = original - eps
        f_minus = f()
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Compare ``fn``'s backward with central finite differences for every differentiable input.

    The inputs are copied to float64. The inputs checked are the floating-point tensors with
    ``requires_grad=True`` (or every floating-point input when none is marked). The output is
    reduced with a fixed random weighting ``sum(v * fn(*inputs))``, so every element of the
    output contributes to the check. Also checked: each gradient has its input's shape, and a
    zero upstream gradient gives a zero gradient.

    Returns:
        True when every gradient agrees: ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Raises:
        GradcheckError: naming the input, the first disagreeing index and both values.

    >>> import glassnet as gn
    >>> x = gn.Tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
    >>> gn.gradcheck(lambda t: (t * t).sum(), x)
    True
    """
    tensors = [_float64_copy(x) for x in inputs]
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        checked = [i for i, t in enumerate(tensors) if t.dtype.kind == "f"]
        for i in checked:
            tensors[i].requires_grad = True
    if not checked:
        raise GradcheckError("gradcheck: no floating-point input to check.")

    output = fn(*tensors)
    weights = np.random.default_rng(seed).standard_normal(output.shape)
    output.backward(weights, retain_graph=True)
    _check_zero_upstream(output, [tensors[i] for i in checked])
    analytic = {i: tensors[i].grad for i in checked}

    def weighted_output() -> float:
        return float(np.sum(fn(*tensors).data * weights))

    for i in checked:
        numeric = numerical_gradient(weighted_output, tensors[i].data, eps)
        _compare(i, tensors[i], analytic[i], numeric, atol, rtol)
    return True


def _float64_copy(x: Any) -> Any:
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            return x
        return Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor(x.astype(np.float64))
    return x


def _check_zero_upstream(output: Tensor, tensors: list[Tensor]) -> None:
    if output.creator is None:
        raise GradcheckError("gradcheck: the output is not connected to any checked input.")
    saved_grads = [t.grad for t in tensors]
    for t in tensors:
        t.grad = None
    output.backward(np.zeros(output.shape), retain_graph=True)
    for position, t in enumerate(tensors):
        if t.grad is not None and np.any(t.grad != 0):
            raise GradcheckError(
                f"gradcheck: input {position} got a non-zero gradient from a zero upstream gradient."
            )
        t.grad = saved_grads[position]


def _compare(
    index: int,
    tensor: Tensor,
    analytic: np.ndarray | None,
    numeric: np.ndarray,
    atol: float,
    rtol: float,
) -> None:
    if analytic is None:
        if np.all(numeric == 0):
            return
        raise GradcheckError(
            f"gradcheck: input {index} got no gradient, but the numerical one is non-zero."
        )
    if analytic.shape != tensor.shape:
        raise GradcheckError(
            f"gradcheck: input {index} has shape {tensor.shape} but its gradient has shape {analytic.shape}."
        )
    bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        worst = float(np.max(np.abs(analytic - numeric)))
        raise GradcheckError(
            f"gradcheck: input {index} (shape {tensor.shape}) at index {where}: analytical "
            f"gradient {analytic[where]!r}, numerical {numeric[where]!r} "
            f"(largest difference {worst:.3g}; atol={atol}, rtol={rtol})."
        )
