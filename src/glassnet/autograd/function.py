"""The Function base class: all graph bookkeeping lives here so that ops stay tiny.

An op subclasses :class:`Function` and writes two methods on raw NumPy arrays:

* ``forward(*arrays) -> array``: computes the output and ``save()``-s what backward needs;
* ``backward(dy) -> grads``: gets the gradient of the loss with respect to the output and
  returns one gradient per input (``None`` for inputs that need none), each with its input's shape.

``Op.apply(*inputs, **options)`` builds the op with ``Op(**options)``, runs ``forward`` on the
inputs' arrays and, when some input requires a gradient and grad mode is on, links the output
``Tensor`` to the op so that ``Tensor.backward`` can find it.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..errors import GlassnetError, ShapeError

# (no_grad, enable_grad and is_grad_enabled live in grad_mode.py; imported here by their old path too.)
from .grad_mode import _grad_mode, enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor, as_constant

__all__ = ["Function", "no_grad", "enable_grad", "is_grad_enabled", "unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along its size-1 axes, so the
    gradient of that input is the sum of the copies' gradients over exactly those axes.

    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


_requires_grad = operator.attrgetter("requires_grad")


class Function:
    """Base class of every differentiable op; see the module docstring for the contract.

    Attributes set by :meth:`apply` when a graph is recorded:
        inputs: the input tensors, in call order.
        needs_grad: for each input, whether backward must compute its gradient.
        saved: what ``forward`` passed to :meth:`save`.
    """

    inputs: tuple[Tensor, ...] = ()
    needs_grad: tuple[bool, ...] = ()
    saved: tuple[Any, ...] = ()
    freed: bool = False

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        """The op's output from its inputs' arrays; ``save()`` what backward will need."""
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> Any:
        """One gradient per input (or None), each of its input's shape, from the output's ``dy``.

        ``dy`` may be read-only and shared with other ops (a replay hands every backward the same
        seed array): read it, never write into it. A returned gradient may be ``dy`` itself.
        """
        raise NotImplementedError

    def save(self, *values: Any) -> None:
        """Keep what backward needs (arrays or numbers); freed after backward."""
        self.saved = values

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """Floating-point operations of this op's forward on inputs of these shapes (``summary``).

        The default counts one per element of the largest input or output (element-wise ops,
        reductions); ops that do more per element (matrix products, convolutions) override it.
        """
        return max([int(np.prod(shape)) for shape in input_shapes] + [int(np.prod(output_shape))])

    @property
    def name(self) -> str:
        """The op's name as users call it: ``MatMul`` -> ``matmul``."""
        return type(self).__name__.lower()

    def shape_error(self, shapes: list[tuple[int, ...]], reason: str) -> ShapeError:
        """The error raised when NumPy rejects the inputs' shapes; ops may say more."""
        listed = " and ".join(str(s) for s in shapes)
        return ShapeError(f"{self.name}: incompatible shapes {listed} ({reason})")

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run the op on tensors (or arrays and numbers, treated as constants)."""
        # The hot path of every model: plain loops and no imports here (each costs microseconds per op).
        fn = cls(**options) if options else cls()
        tensors, arrays = [], []
        for x in inputs:
            tensor = x if isinstance(x, Tensor) else as_constant(x, inputs)
            tensors.append(tensor)
            arrays.append(tensor.data)
        try:
            out = fn.forward(*arrays)
        except ValueError as exc:
            if isinstance(
                exc, GlassnetError
            ):  # already says what is wrong (ShapeError, InputError...)
                raise
            raise fn.shape_error([a.shape for a in arrays], str(exc)) from exc
        creator = None
        if _grad_mode.enabled:
            needs_grad = tuple(map(_requires_grad, tensors))
            if True in needs_grad:
                fn.inputs = tuple(tensors)
                fn.needs_grad = needs_grad
                creator = fn
        result = Tensor._from_op(out, creator)
        if _grad_mode.recording is not None:
            _grad_mode.recording.append((fn, tensors, result))
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
