"""Tensor: a NumPy array, its gradient, and the Function that produced it.

``Tensor.backward`` walks the graph of Functions in reverse topological order, found with an
explicit stack (no recursion, so a chain of 100,000 ops works), and hands each Function the
gradient of its output. Gradients of leaf tensors (those created by the user with
``requires_grad=True``) accumulate in ``.grad`` across calls, as in PyTorch; intermediate
gradients live only during the walk.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any, Union

import numpy as np

from ..errors import DTypeError, GraphError, ShapeError
from .observe import _leaf_hooks, register_tensor_hook, run_leaf_hooks

# A tensor's creator is a glassnet.autograd.function.Function. function.py makes Tensors, so it
# imports this module, not the other way round: here the class is only a name in annotations.
Function = Any

__all__ = ["Tensor", "as_tensor", "as_constant", "TensorLike"]

TensorLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]

DEFAULT_FLOAT = np.float32


def _functional() -> ModuleType:
    # The one sanctioned back-edge of the package: ops import Tensor, so Tensor's operator
    # methods reach the ops lazily, through the module cache, instead of at import time.
    module = sys.modules.get("glassnet.functional")
    if module is None:
        module = importlib.import_module("glassnet.functional")
    return module


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Validate ``data`` and turn it into an ndarray with glassnet's dtype rules."""
    if data is None:
        raise DTypeError("Tensor data: expected numbers or an array of numbers, got None.")
    if isinstance(data, (str, bytes)):
        raise DTypeError(f"Tensor data: expected numbers, got the string {data!r}.")
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise DTypeError(
            f"Tensor data: could not convert {type(data).__name__} to numbers ({exc})."
        ) from exc
    if array.dtype.kind not in "biuf":
        raise DTypeError(
            f"Tensor data: expected numbers (bool, int or float), got an array of dtype "
            f"{array.dtype} ({_describe_kind(array)}). Convert the data to numbers first."
        )
    # Python floats become float32 (glassnet's default); NumPy arrays keep their float dtype.
    if dtype is None and not from_numpy and array.dtype == np.float64:
        array = array.astype(DEFAULT_FLOAT)
    return array


def _describe_kind(array: np.ndarray) -> str:
    kinds = {
        "U": "strings",
        "S": "bytes",
        "O": "Python objects",
        "c": "complex numbers",
        "M": "dates",
        "m": "time deltas",
    }
    return kinds.get(array.dtype.kind, "not numbers")


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: numbers, nested lists or a NumPy array. Python floats become float32;
            NumPy arrays keep their dtype (so float64 stays float64); integers stay integers.
        requires_grad: record operations so that ``backward`` fills ``.grad``.
        dtype: convert to this dtype first (e.g. ``np.float64``).

    >>> import glassnet as gn
    >>> x = gn.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "grad", "requires_grad", "creator", "name", "__weakref__")
    # Make NumPy hand mixed expressions (ndarray + Tensor) to Tensor's reflected operators.
    __array_ufunc__ = None

    def __init__(
        self,
        data: TensorLike,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = _to_array(data, dtype)
        if requires_grad and array.dtype.kind != "f":
            raise DTypeError(
                f"Tensor: only floating-point tensors can require gradients, got dtype "
                f"{array.dtype}. Pass dtype=np.float32 (or float data) to differentiate it."
            )
        self.data: np.ndarray = array
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self.creator: Function | None = None
        self.name = name

    @classmethod
    def _from_op(cls, data: Any, creator: Function | None) -> Tensor:
        """Wrap an op's output without validation (ops are trusted hot paths)."""
        tensor = object.__new__(cls)
        tensor.data = data if type(data) is np.ndarray else np.asarray(data)
        tensor.grad = None
        tensor.requires_grad = creator is not None
        tensor.creator = creator
        tensor.name = None
        return tensor

    # ----------------------------------------------------------------- array-like view
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made; only leaves keep ``.grad`` after backward."""
        return self.creator is None

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows along the first axis (each one a differentiable ``getitem``), as PyTorch."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: expected a tensor with one element, got shape {self.shape}.")
        return self.data.item()

    def tolist(self) -> Any:
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A tensor sharing this one's data but outside the graph."""
        return Tensor._from_op(self.data, None)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None, as PyTorch does by default)."""
        self.grad = None

    def astype(self, dtype: Any) -> Tensor:
        """Convert to ``dtype``; differentiable between float dtypes."""
        return _functional().astype(self, dtype)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"The truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all() on .data."
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = []
        if self.data.dtype != DEFAULT_FLOAT:
            extras.append(f"dtype={self.data.dtype}")
        if self.creator is not None:
            extras.append(f"grad_fn={type(self.creator).__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad_: only float tensors can require gradients, got {self.dtype}."
            )
        if self.creator is not None and not requires_grad:
            raise GraphError("requires_grad_: an op's output always requires grad; use .detach().")
        self.requires_grad = requires_grad
        return self

    def backward(self, grad: TensorLike | None = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        Args:
            grad: the gradient flowing into this tensor; may be omitted for a one-element
                tensor (a loss), where it is 1.
            retain_graph: keep the saved arrays so that backward can run through this graph again.
        """
        if not self.requires_grad:
            raise GraphError(
                "backward: this tensor does not require grad (no input had requires_grad=True, "
                "or it was computed under no_grad())."
            )
        seed = self._seed_gradient(grad)
        if self.creator is None:
            _accumulate_leaf(self, run_leaf_hooks(self, seed) if _leaf_hooks else seed, seed)
            return
        steps = ((fn, _routes(fn)) for fn in reversed(_topological_order(self.creator)))
        _backpropagate(steps, {self.creator: seed}, retain_graph)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` each time this tensor's gradient is computed, as PyTorch.

        ``grad`` is a Tensor; the hook may return a replacement gradient (same shape) or None. On a
        leaf (a parameter) it runs before the gradient is added to ``.grad``. Returns a handle
        whose ``remove()`` unregisters the hook. While a hook is registered on a leaf, ``fit`` runs
        its steps eagerly (its recorded fast path would skip the hook); results are the same.

        >>> import glassnet as gn
        >>> w = gn.Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = w.register_hook(lambda g: g * 10)
        >>> (w * w).sum().backward(); w.grad.tolist()
        [20.0, 40.0]
        >>> handle.remove()
        """
        return register_tensor_hook(self, hook)

    def _seed_gradient(self, grad: TensorLike | None) -> np.ndarray:
        if grad is None:
            if self.data.size != 1:
                raise GraphError(
                    f"backward: grad can be omitted only for a one-element tensor (a loss), "
                    f"got shape {self.shape}. Reduce it (e.g. .sum()) or pass grad= of that shape."
                )
            seed = np.array(1, dtype=self.data.dtype).reshape(
                self.data.shape
            )  # np.ones_like costs 2 µs
            seed.flags.writeable = False  # as a replay's shared seed: no backward may write into dy
            return seed
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=self.data.dtype)
        if seed.shape != self.shape:
            raise ShapeError(
                f"backward: grad must have the tensor's shape {self.shape}, got {seed.shape}."
            )
        return seed.astype(self.data.dtype, copy=False)

    # ----------------------------------------------------------------- operators
    def __add__(self, other: TensorLike) -> Tensor:
        return _functional().add(self, other)

    def __radd__(self, other: TensorLike) -> Tensor:
        return _functional().add(other, self)

    def __sub__(self, other: TensorLike) -> Tensor:
        return _functional().sub(self, other)

    def __rsub__(self, other: TensorLike) -> Tensor:
        return _functional().sub(other, self)

    def __mul__(self, other: TensorLike) -> Tensor:
        return _functional().mul(self, other)

    def __rmul__(self, other: TensorLike) -> Tensor:
        return _functional().mul(other, self)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return _functional().div(self, other)

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        return _functional().div(other, self)

    def __neg__(self) -> Tensor:
        return _functional().neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: TensorLike) -> Tensor:
        return _functional().pow(self, exponent)

    def __rpow__(self, base: TensorLike) -> Tensor:
        return _functional().pow(base, self)

    def __matmul__(self, other: TensorLike) -> Tensor:
        return _functional().matmul(self, other)

    def __rmatmul__(self, other: TensorLike) -> Tensor:
        return _functional().matmul(other, self)

    def __abs__(self) -> Tensor:
        return _functional().abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _functional().getitem(self, index)

    # Comparisons give bool tensors outside the graph, as in PyTorch.
    def _compare(self, other: TensorLike, compare: Any) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(compare(self.data, other_data), None)

    def __lt__(self, other: TensorLike) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: TensorLike) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: TensorLike) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: TensorLike) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- methods
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``glassnet.functional.sum`` of this tensor."""
        return _functional().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``glassnet.functional.mean`` of this tensor."""
        return _functional().mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``glassnet.functional.max`` of this tensor."""
        return _functional().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``glassnet.functional.min`` of this tensor."""
        return _functional().min(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """``glassnet.functional.var`` of this tensor."""
        return _functional().var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``glassnet.functional.logsumexp`` of this tensor."""
        return _functional().logsumexp(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """``glassnet.functional.reshape`` of this tensor; ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _functional().reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        """``glassnet.functional.transpose`` of this tensor; no axes reverses them all, as NumPy."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _functional().transpose(self, axes or None)

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), as NumPy's ``.T``."""
        return _functional().transpose(self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """``glassnet.functional.flatten`` of this tensor."""
        return _functional().flatten(self, start_dim, end_dim)

    def squeeze(self, axis: Any = None) -> Tensor:
        """``glassnet.functional.squeeze`` of this tensor."""
        return _functional().squeeze(self, axis)

    def expand_dims(self, axis: int | Sequence[int]) -> Tensor:
        """``glassnet.functional.expand_dims`` of this tensor."""
        return _functional().expand_dims(self, axis)

    unsqueeze = expand_dims

    def exp(self) -> Tensor:
        """``glassnet.functional.exp`` of this tensor."""
        return _functional().exp(self)

    def log(self) -> Tensor:
        """``glassnet.functional.log`` of this tensor."""
        return _functional().log(self)

    def sqrt(self) -> Tensor:
        """``glassnet.functional.sqrt`` of this tensor."""
        return _functional().sqrt(self)

    def abs(self) -> Tensor:
        """``glassnet.functional.abs`` of this tensor."""
        return _functional().abs(self)

    def clip(self, low: float | None = None, high: float | None = None) -> Tensor:
        """``glassnet.functional.clip`` of this tensor."""
        return _functional().clip(self, low, high)

    def relu(self) -> Tensor:
        """``glassnet.functional.relu`` of this tensor."""
        return _functional().relu(self)

    def sigmoid(self) -> Tensor:
        """``glassnet.functional.sigmoid`` of this tensor."""
        return _functional().sigmoid(self)

    def tanh(self) -> Tensor:
        """``glassnet.functional.tanh`` of this tensor."""
        return _functional().tanh(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """``glassnet.functional.softmax`` of this tensor."""
        return _functional().softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``glassnet.functional.log_softmax`` of this tensor."""
        return _functional().log_softmax(self, axis=axis)


def as_tensor(data: TensorLike, dtype: Any = None) -> Tensor:
    """Return ``data`` if it is already a Tensor (of ``dtype``, when given), else wrap it."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor(data, dtype=dtype)


def as_constant(value: Any, inputs: tuple[Any, ...]) -> Tensor:
    """Wrap a non-Tensor op input as a constant; Python numbers take the tensors' float dtype.

    ``x * 2.0`` must stay float32 when ``x`` is float32, so a bare number adopts the dtype of
    the first floating-point tensor among the op's inputs.
    """
    if isinstance(value, np.ndarray):
        return Tensor._from_op(value, None)
    if isinstance(value, (bool, int, float)):
        dtype = next(
            (x.data.dtype for x in inputs if isinstance(x, Tensor) and x.data.dtype.kind == "f"),
            None,
        )
        if dtype is None and isinstance(value, float):
            dtype = DEFAULT_FLOAT
        return Tensor._from_op(np.asarray(value, dtype=dtype), None)
    return Tensor(value)


def _topological_order(root: Function) -> list[Function]:
    """Functions reachable from ``root`` through inputs that need grad, inputs first.

    Iterative depth-first post-order: each Function is appended after every Function that
    produced one of its inputs, so the reversed list visits outputs before inputs.
    """
    # A chain (each Function with at most one producer that needs a gradient, as in a Sequential
    # model) is its own order; the general walk below handles every other graph.
    chain = [root]
    while True:
        producers = [
            t.creator
            for t, needed in zip(chain[-1].inputs, chain[-1].needs_grad)
            if needed and t.creator is not None
        ]
        if len(producers) != 1:
            break
        chain.append(producers[0])
    if not producers:
        chain.reverse()
        return chain

    order: list[Function] = []
    visited: set[Function] = set()
    # Each entry is a Function and whether its producers are already on the stack. A Function is
    # marked visited when first popped, not when pushed: marking on push would let a Function be
    # ordered before a later-found consumer of its output.
    stack: list[tuple[Function, bool]] = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for tensor, needed in zip(fn.inputs, fn.needs_grad):
            creator = tensor.creator
            if needed and creator is not None and creator not in visited:
                stack.append((creator, False))
    return order


# The error of a backward through ops that an earlier backward freed (formatted with the op's name).
_FREED = (
    "backward: the graph through {} was freed by an earlier backward. "
    "Pass retain_graph=True to the first backward to go through it twice."
)

# Where the gradients of one Function's inputs go: for each input that needs one, its position,
# the tensor, and the Function that produced it (None for a leaf, which keeps it in .grad).
Routes = tuple[tuple[int, Tensor, Function | None], ...]


def _routes(fn: Function) -> Routes:
    """The :data:`Routes` of ``fn``'s inputs, as the graph stands now."""
    return tuple(
        (index, tensor, tensor.creator)
        for index, (tensor, needed) in enumerate(zip(fn.inputs, fn.needs_grad))
        if needed
    )


def _backpropagate(
    steps: Iterable[tuple[Function, Routes]],
    grads: dict[Any, Any],
    retain_graph: bool = False,
) -> None:
    """The backward walk: run each Function's backward in ``steps`` (outputs before inputs, each
    with its routes), starting from the gradients in ``grads``, and route each input's gradient
    to its producer's (summed in ``grads``) or to a leaf's ``.grad``; without ``retain_graph``,
    free what each one saved.

    ``Tensor.backward`` sorts the graph and finds the routes as it goes; a replay
    (``autograd.replay``) passes the steps it found once, at the recording. Both come here.
    """
    for fn, routes in steps:
        dy = grads.pop(fn, None)
        if dy is None:
            continue  # no gradient reached this Function's output
        if fn.freed:
            raise GraphError(_FREED.format(fn.name))
        dxs = fn.backward(dy)
        if type(dxs) is not tuple or len(dxs) != len(fn.inputs):
            dxs = _gradient_tuple(fn, dxs)
        for index, tensor, producer in routes:
            dx = dxs[index]
            if dx is None:
                continue
            dtype = tensor.data.dtype
            if type(dx) is not np.ndarray or dx.dtype is not dtype:
                dx = _as_gradient(dx, dtype)
            if producer is not None:
                previous = grads.get(producer)
                # Out of place: dx may alias dy, which other inputs may also have received.
                grads[producer] = dx if previous is None else previous + dx
            elif _leaf_hooks and id(tensor) in _leaf_hooks:  # (an empty dict costs one test)
                _hold_for_hooks(grads, tensor, dx)
            elif tensor.grad is None and dx.base is None and dx is not dy:
                tensor.grad = dx  # the common case of _accumulate_leaf without the call: fresh
            else:
                _accumulate_leaf(tensor, dx, dy)
        if not retain_graph:
            fn.saved = ()
            fn.freed = True
    if _leaf_hooks:
        _release_held(grads)


def _hold_for_hooks(grads: dict[Any, Any], tensor: Tensor, dx: np.ndarray) -> None:
    """Sum the gradients of a leaf with hooks until the walk ends: its hooks see the total once,
    as PyTorch's do, before it is added to ``.grad``."""
    key = ("leaf", id(tensor))
    held = grads.get(key)
    grads[key] = (tensor, dx if held is None else held[1] + dx)


def _release_held(grads: dict[Any, Any]) -> None:
    for key in [k for k in grads if type(k) is tuple]:
        tensor, dx = grads.pop(key)
        total = run_leaf_hooks(tensor, dx)
        _accumulate_leaf(tensor, total, dx if total is dx else total)


def _gradient_tuple(fn: Function, dxs: Any) -> tuple[Any, ...]:
    """What ``fn.backward`` returned, as a tuple of at least one gradient per input of ``fn``.

    Raises:
        GraphError: fewer gradients than inputs, or extra ones that are not None.
    """
    if type(dxs) is not tuple:
        dxs = (dxs,)
    expected = len(fn.inputs)
    # As torch: one gradient per input; trailing Nones (for optional inputs not given) are allowed.
    if len(dxs) != expected and (
        len(dxs) < expected or any(dx is not None for dx in dxs[expected:])
    ):
        raise GraphError(
            f"{fn.name}.backward returned {len(dxs)} gradients for {expected} inputs: "
            "return one per input, None for those that need none."
        )
    return dxs


def _as_gradient(dx: Any, dtype: np.dtype) -> np.ndarray:
    """A backward's gradient as an array of its input's dtype (a NumPy scalar, an equal dtype object)."""
    dx = np.asarray(dx)
    return dx if dx.dtype == dtype else dx.astype(dtype)


def _accumulate_leaf(tensor: Tensor, dx: np.ndarray, dy: np.ndarray) -> None:
    if tensor.grad is None:
        # A backward may hand dy (or a view of it) straight through; the leaf must own its grad.
        # A fresh array (no base, not dy itself: the usual case) needs no memory-overlap test.
        fresh = dx.base is None and dx is not dy
        tensor.grad = dx if fresh or not np.may_share_memory(dx, dy) else dx.copy()
    else:
        tensor.grad += dx
