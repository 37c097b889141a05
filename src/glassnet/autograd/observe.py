"""Watching the engine work: op observers, the layer scope, gradient hooks and anomaly detection.

Everything here costs nothing while unused. ``Function.apply`` already hands every op to
``_grad_mode.recording`` when that is set (for :func:`glassnet.autograd.replay.record`); an
:class:`Observation` put in that slot calls its watchers instead (and still feeds a recording).
What must happen during backward is attached to the one op instance that needs it: its
``backward`` is wrapped on the instance, so the engine's walk is unchanged for every other op.
Gradient hooks on leaf tensors (parameters) are the only check in the walk itself: one test of an
empty dict per leaf gradient.

* :func:`observing` calls a function on every op applied inside the block (explain, summary, viz);
* :func:`scope` names the layer the ops belong to (``Module.__call__`` pushes it while hooks or an
  observation ask for it);
* :func:`register_tensor_hook` is ``Tensor.register_hook`` (PyTorch's contract);
* :func:`detect_anomaly` raises :class:`~glassnet.errors.NonFiniteError` at the first op whose output
  or gradient is not finite, naming the op, its layer, its inputs and the user's line.
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import NonFiniteError
from .grad_mode import _grad_mode

# Tensor (tensor.py) and Function (function.py) are built on this module's hooks, so they import
# it; here they are only names in annotations. The hooks wrap gradients in the hooked tensor's class.
Function = Any
Tensor = Any

__all__ = [
    "Observation",
    "observing",
    "scope",
    "current_scope",
    "current_modules",
    "scopes_wanted",
    "RemovableHandle",
    "register_tensor_hook",
    "hooks_registered",
    "detect_anomaly",
    "is_anomaly_enabled",
    "array_stats",
    "format_stats",
    "user_frame",
    "backward_watch",
]

Watcher = Callable[[Function, list, Any], None]
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------- statistics
def array_stats(array: np.ndarray) -> dict[str, float]:
    """Mean, std, min, max of the finite values, the fraction of exact zeros and the NaN/Inf counts.

    Big arrays are summarized, never copied whole into the result.
    """
    array = np.asarray(array)
    if array.dtype.kind not in "biuf" or array.size == 0:
        return {
            "mean": float("nan"),
            "std": float("nan"),
            "min": float("nan"),
            "max": float("nan"),
            "zeros": float("nan"),
            "nan": 0,
            "inf": 0,
        }
    values = array.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    nan = int(np.isnan(values).sum()) if array.dtype.kind == "f" else 0
    inf = int(values.size - finite.sum() - nan)
    kept = values if nan + inf == 0 else values[finite]
    if kept.size == 0:
        mean = std = low = high = float("nan")
    else:
        mean, std, low, high = (
            float(kept.mean()),
            float(kept.std()),
            float(kept.min()),
            float(kept.max()),
        )
    return {
        "mean": mean,
        "std": std,
        "min": low,
        "max": high,
        "zeros": float(np.count_nonzero(values == 0) / values.size),
        "nan": nan,
        "inf": inf,
    }


def format_stats(stats: dict[str, float]) -> str:
    """``mean 0.12 std 1.1 min -3 max 4.2 zeros 0% `` plus NaN/Inf counts when there are any."""
    text = (
        f"mean {stats['mean']:.3g} std {stats['std']:.3g} min {stats['min']:.3g} "
        f"max {stats['max']:.3g} zeros {100 * stats['zeros']:.0f}%"
    )
    if stats["nan"] or stats["inf"]:
        text += f" NaN {stats['nan']} Inf {stats['inf']}"
    return text


# ----------------------------------------------------------------- observation
class Observation:
    """What sits in ``_grad_mode.recording`` while something watches the ops: ``Function.apply``
    calls :meth:`append` with ``(op, input tensors, output tensor)`` after each forward."""

    def __init__(self, inner: list | None) -> None:
        self.watchers: list[Watcher] = []
        self.inner = inner  # a record() list that was (or becomes) active: it still gets every op

    def append(self, item: tuple[Function, list, Any]) -> None:
        fn, tensors, out = item
        for watch in self.watchers:
            watch(fn, tensors, out)
        if self.inner is not None:
            self.inner.append(item)


@contextlib.contextmanager
def observing(watch: Watcher) -> Iterator[None]:
    """Call ``watch(op, inputs, output)`` after every op applied in this block (in this thread).

    Inside it, ``fit`` runs its steps eagerly (the recorded fast path would apply no op), so the
    watcher sees every op of every step.
    """
    current = _grad_mode.recording
    if isinstance(current, Observation):
        observation, installed = current, False
    else:
        observation, installed = Observation(current), True
        _grad_mode.recording = observation
    observation.watchers.append(watch)
    try:
        with _wanting_scopes():
            yield
    finally:
        observation.watchers.remove(watch)
        if installed:
            _grad_mode.recording = observation.inner


# ----------------------------------------------------------------- layer scope
class _Scopes(threading.local):
    stack: list[str]
    wanted = 0  # how many observations and module hooks ask Module.__call__ to push its name

    def __init__(self) -> None:
        self.stack = []


_scopes = _Scopes()
# Called with +1/-1 when scopes become wanted or not; nn.module swaps Module.__call__ on it.
_scope_listeners: list[Callable[[int], None]] = []


@contextlib.contextmanager
def _wanting_scopes() -> Iterator[None]:
    for listener in _scope_listeners:
        listener(+1)
    try:
        yield
    finally:
        for listener in _scope_listeners:
            listener(-1)


def scopes_wanted() -> contextlib.AbstractContextManager[None]:
    """While open, ``Module.__call__`` names its module in :func:`current_scope` (explain, summary)."""
    return _wanting_scopes()


@contextlib.contextmanager
def scope(name: str) -> Iterator[None]:
    """Ops applied inside belong to ``name`` (a layer, or e.g. ``"loss"``), nested in the outer scopes."""
    _scopes.stack.append(name)
    try:
        yield
    finally:
        _scopes.stack.pop()


def current_scope() -> tuple[str, ...]:
    """The names of the layers being called, outermost first (empty outside any)."""
    return tuple(item if isinstance(item, str) else item.display_name for item in _scopes.stack)


def current_modules() -> tuple[Any, ...]:
    """The modules (or scope names) being called, outermost first: what :func:`current_scope` names."""
    return tuple(_scopes.stack)


# ----------------------------------------------------------------- handles and tensor hooks
class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook (also as a
    context manager: the hook is removed when the block ends)."""

    def __init__(self, remove: Callable[[], None]) -> None:
        self._remove: Callable[[], None] | None = remove

    def remove(self) -> None:
        """Unregister the hook; removing twice does nothing."""
        if self._remove is not None:
            remove, self._remove = self._remove, None
            remove()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


# id(leaf tensor) -> (weak reference, hooks). The engine checks it (only when not empty) for every
# gradient that reaches a leaf; non-leaf tensors carry their hooks on the op that produced them.
_leaf_hooks: dict[int, tuple[Any, list[Callable]]] = {}
_hook_count = [0]  # hooks on leaf tensors (fit's recorded fast path steps aside while > 0)


def hooks_registered() -> bool:
    """Whether some leaf tensor (a parameter) has a gradient hook (then ``fit`` does not replay)."""
    return _hook_count[0] > 0


def _count_hook(change: int) -> None:
    _hook_count[0] += change


def register_tensor_hook(tensor: Tensor, hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """``hook(grad)`` runs each time the gradient of ``tensor`` is computed; it may return a
    replacement (a Tensor or an array of the same shape) or None. On a leaf it runs before the
    gradient is added to ``.grad``, as PyTorch does."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "register_hook: cannot register a hook on a tensor that does not require grad."
        )
    leaf = tensor.creator is None
    if leaf:
        key = id(tensor)
        if key not in _leaf_hooks:
            _leaf_hooks[key] = (weakref.ref(tensor, lambda _ref, key=key: _forget_leaf(key)), [])
        hooks = _leaf_hooks[key][1]
        _count_hook(+1)  # (a hook on an op's output lives and dies with its graph: not counted)
    else:
        wrapper = _backward_wrapper(tensor.creator)
        wrapper.tensor_class = _tensor_class(tensor)
        hooks = wrapper.pre
    hooks.append(hook)

    def remove() -> None:
        if hook in hooks:
            hooks.remove(hook)
            if leaf:
                _count_hook(-1)
        if leaf and not hooks:
            _leaf_hooks.pop(id(tensor), None)

    return RemovableHandle(remove)


def _forget_leaf(key: int) -> None:
    entry = _leaf_hooks.pop(key, None)
    if entry is not None:
        _count_hook(-len(entry[1]))


def _tensor_class(tensor: Tensor) -> type:
    """The Tensor class, found from a tensor or a Parameter: the class that defines ``_from_op``
    (hooks see a plain Tensor holding the gradient, as in PyTorch)."""
    return next(cls for cls in type(tensor).__mro__ if "_from_op" in vars(cls))


def _run_hooks(hooks: list[Callable], grad: np.ndarray, tensor_class: type) -> np.ndarray:
    """Apply gradient hooks in order, each on ``grad`` as a ``tensor_class`` (Tensor); each sees
    the previous one's result."""
    for hook in list(hooks):
        result = hook(tensor_class._from_op(grad, None))
        if result is not None:
            replaced = (
                result.data
                if isinstance(result, tensor_class)
                else np.asarray(result, dtype=grad.dtype)
            )
            if replaced.shape != grad.shape:
                raise ValueError(
                    f"gradient hook returned shape {replaced.shape}, expected {grad.shape}."
                )
            grad = replaced
    return grad


def run_leaf_hooks(tensor: Tensor, grad: np.ndarray) -> np.ndarray:
    """The engine's call for a gradient reaching a leaf while some leaf has hooks."""
    entry = _leaf_hooks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return grad
    return _run_hooks(entry[1], grad, _tensor_class(tensor))


class _BackwardWrapper:
    """Replaces one op's ``backward`` on the instance: gradient hooks on its output run on ``dy``
    first (``pre``), then the op's own backward, then the watchers see ``(op, dy, grads)``."""

    def __init__(self, fn: Function) -> None:
        self.fn_ref = weakref.ref(
            fn
        )  # no cycle: the op holds its wrapper, the wrapper does not hold the op
        self.pre: list[Callable] = []
        self.tensor_class: Any = None  # the class of the op's output (Tensor), for pre hooks
        self.post: list[Callable[[Function, np.ndarray, Any], None]] = []

    def __call__(self, dy: np.ndarray) -> Any:
        fn = self.fn_ref()
        if self.pre:
            dy = _run_hooks(self.pre, dy, self.tensor_class)
        grads = type(fn).backward(fn, dy)
        for watch in list(self.post):
            watch(fn, dy, grads)
        return grads


def _backward_wrapper(fn: Function) -> _BackwardWrapper:
    wrapper = fn.__dict__.get("backward")
    if not isinstance(wrapper, _BackwardWrapper):
        wrapper = _BackwardWrapper(fn)
        fn.backward = wrapper  # type: ignore[method-assign]
    return wrapper


def backward_watch(
    fn: Function, watch: Callable[[Function, np.ndarray, Any], None]
) -> Callable[[], None]:
    """Call ``watch(op, dy, grads)`` after ``fn``'s backward; returns a function that stops it."""
    post = _backward_wrapper(fn).post
    post.append(watch)
    return lambda: watch in post and post.remove(watch)


# ----------------------------------------------------------------- anomaly detection
def user_frame(stack: traceback.StackSummary | None = None) -> traceback.FrameSummary | None:
    """The innermost frame outside glassnet's own source: the line of user code that did it."""
    frames = stack if stack is not None else traceback.extract_stack()
    for frame in reversed(frames):
        inside = os.path.abspath(frame.filename).startswith(_PACKAGE_DIR + os.sep)
        if not inside and os.path.basename(frame.filename) != "contextlib.py":
            return frame
    return None


class _Anomaly(threading.local):
    depth = 0


_anomaly = _Anomaly()


def is_anomaly_enabled() -> bool:
    """True inside :func:`detect_anomaly` (in this thread)."""
    return _anomaly.depth > 0


def _not_finite(array: Any) -> bool:
    return (
        isinstance(array, np.ndarray) and array.dtype.kind == "f" and not np.isfinite(array).all()
    )


def _describe_inputs(tensors: list) -> str:
    lines = []
    for i, tensor in enumerate(tensors):
        data = tensor.data
        lines.append(f"    input {i}: {data.shape} {data.dtype}: {format_stats(array_stats(data))}")
    return "\n".join(lines)


def _where(modules: tuple[Any, ...]) -> str:
    """`` in layer 'linear_2'``; an unnamed sub-layer with the named ones around it
    (``'transformerencoderlayer_1 > LayerNorm'``)."""
    if not modules:
        return ""
    names = [item if isinstance(item, str) else item.display_name for item in modules]
    named = [i for i, item in enumerate(modules) if isinstance(item, str) or item.name]
    start = named[-1] if named else 0
    return f" in layer {' > '.join(names[start:])!r}"


def _created_at(stack: traceback.StackSummary) -> str:
    frame = user_frame(stack)
    if frame is None:
        return ""
    return f"\n  created at {frame.filename}:{frame.lineno}, in {frame.name}\n      {(frame.line or '').strip()}"


def _anomaly_watch(fn: Function, tensors: list, out: Any) -> None:
    names = current_modules()
    # Only the frames: the source lines are read if an error is raised.
    stack = traceback.StackSummary.extract(traceback.walk_stack(None), lookup_lines=False)
    stack.reverse()
    data = out.data
    if _not_finite(data):
        if any(_not_finite(t.data) for t in tensors):
            return  # the op got non-finite inputs (data, or a parameter) and passed them on
        stats = array_stats(data)
        raise NonFiniteError(
            f"{fn.name}{_where(names)} produced {stats['nan']} NaN and {stats['inf']} Inf values in its "
            f"output of shape {data.shape}, from finite inputs:\n{_describe_inputs(tensors)}"
            f"{_created_at(stack)}"
        )
    if out.creator is fn:
        fn._anomaly_origin = (names, stack)  # type: ignore[attr-defined]
        backward_watch(fn, _check_gradients)


def _check_gradients(fn: Function, dy: np.ndarray, grads: Any) -> None:
    if _not_finite(dy):
        return  # reported where it first appeared
    grads = grads if isinstance(grads, tuple) else (grads,)
    for index, grad in enumerate(grads):
        if grad is not None and _not_finite(np.asarray(grad)):
            names, stack = getattr(fn, "_anomaly_origin", ((), traceback.StackSummary()))
            stats = array_stats(np.asarray(grad))
            raise NonFiniteError(
                f"{fn.name}{_where(names)}: backward gave {stats['nan']} NaN and {stats['inf']} Inf values in the "
                f"gradient of input {index} (shape {np.shape(grad)}) from a finite upstream gradient "
                f"({format_stats(array_stats(dy))}); the op's inputs:\n{_describe_inputs(list(fn.inputs))}"
                f"{_created_at(stack)}"
            )


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`~glassnet.errors.NonFiniteError` at the first op whose output or gradient holds
    a NaN or an Inf, as PyTorch's ``torch.autograd.detect_anomaly``.

    The error names the op, the layer it belongs to, its inputs' statistics and the line of your
    code that created it (each op's call stack is kept from its forward). It slows every op down:
    use it to find a problem, not to train.

    >>> import glassnet as gn, numpy as np
    >>> x = gn.Tensor(np.array([1.0, 0.0]), requires_grad=True)
    >>> with gn.detect_anomaly():
    ...     y = x.log()          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.NonFiniteError: log produced 0 NaN and 1 Inf values ...
    """
    if _anomaly.depth:  # nested: the outer block already checks every op
        yield
        return
    _anomaly.depth += 1
    try:
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            observing(_anomaly_watch),
        ):
            yield
    finally:
        _anomaly.depth -= 1
