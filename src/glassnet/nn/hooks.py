"""Module hooks with PyTorch's contract, and the module call that runs them.

``Module.__call__`` is the hot path of every model, so it has two versions: the plain one
(``forward`` and nothing else) and :func:`hooked_call`, which runs the hooks and names the module
in :func:`glassnet.autograd.observe.current_scope` (so that ops know their layer). The class
attribute is swapped to the hooked version while some module has a hook or something observes the
ops (``explain``, ``detect_anomaly``, ``summary``), and back when none is left: without hooks a
call costs exactly what it did before hooks existed.

Hooks (each ``register_*`` returns a handle with ``remove()``):

* ``register_forward_pre_hook(hook)``: ``hook(module, args)`` before ``forward``; may return new args
  (a tuple, or one value);
* ``register_forward_hook(hook)``: ``hook(module, args, output)`` after ``forward``; may return a new output.
  ``fit``'s recorded fast path calls these hooks again on each replayed batch (with the module's
  input and output of that batch), so they cost no eager steps, unless one replaced an output;
* ``register_full_backward_hook(hook)``: ``hook(module, grad_input, grad_output)`` once the gradients
  with respect to the module's tensor inputs are computed; may return a new ``grad_input`` tuple.
  ``grad_input`` holds None for inputs that need no gradient (e.g. the data).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.observe import RemovableHandle, _scope_listeners, _scopes
from ..autograd.tensor import Tensor
from ..errors import GraphError

# module.py imports this file (Module.__call__ is one of the calls below), so Module is only a
# name in annotations here.
Module = Any

__all__ = ["hooked_call", "plain_call", "add_hook", "RemovableHandle"]

HOOK_KINDS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks")


def plain_call(self: Module, *args: Any, **kwargs: Any) -> Any:
    """``Module.__call__`` while no hook is registered anywhere: just ``forward``."""
    return self.forward(*args, **kwargs)


def hooked_call(self: Module, *args: Any, **kwargs: Any) -> Any:
    """``Module.__call__`` while hooks exist: pre-hooks, forward (in the module's scope), hooks."""
    own = self.__dict__
    for hook in list(own.get("_forward_pre_hooks", {}).values()):
        result = hook(self, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    backward_hooks = own.get("_backward_hooks")
    state = None
    if backward_hooks:
        state = _BackwardHookState(self, backward_hooks, args)
        args = state.wrap_inputs(args)
    stack = _scopes.stack
    stack.append(self)  # (named when something asks: explain, an anomaly's message)
    try:
        output = self.forward(*args, **kwargs)
    finally:
        stack.pop()
    forward_hooks = own.get("_forward_hooks")
    if forward_hooks:
        replaced = False
        computed = output
        for hook in list(forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output, replaced = result, True
        if (
            _Taps.calls is not None
        ):  # fit is recording its step: its replays will call the hooks again
            _Taps.calls.append((self, args, computed, replaced))
    if state is not None and isinstance(output, Tensor):
        output = state.wrap_output(output)
    return output


class _Taps:
    """While fit records a step: each module call whose forward hooks ran, as (module, args, output,
    whether a hook replaced the output). ``CompiledStep`` calls the hooks again on each replay."""

    calls: list[tuple[Any, tuple[Any, ...], Any, bool]] | None = None


_kind_counts = {kind: 0 for kind in HOOK_KINDS}


def replay_blocking_hooks() -> bool:
    """Whether some module hook cannot be replayed by fit's fast path (a forward pre-hook or a
    backward hook: they change what the ops compute); forward hooks can be (see :class:`_Taps`)."""
    return bool(_kind_counts["_forward_pre_hooks"] or _kind_counts["_backward_hooks"])


def hooks_version() -> int:
    """A number that changes whenever a module hook is added or removed (replays record again)."""
    return _Version.value


class _Version:
    value = 0


def fire_forward_hooks(calls: list[tuple[Any, tuple[Any, ...], Any, bool]]) -> None:
    """Run the forward hooks of recorded module calls again, on the tensors a replay just refilled.

    The replay refills the same Tensor objects at every batch: a hook that keeps the tensors it is
    given (not a copy of their ``.data``, whose arrays are new at every batch) sees the last
    batch's values in all of them. Keep ``out.data`` or ``out.detach()``, or compile with
    ``run_eagerly=True``.
    """
    for module, args, output, _ in calls:
        for hook in list(module.__dict__.get("_forward_hooks", {}).values()):
            hook(module, args, output)


class _Users:
    """How many reasons (hooks, observations) there are to run :func:`hooked_call`."""

    count = 0
    module_class: Any = None


def _use(change: int) -> None:
    before = _Users.count
    _Users.count += change
    if (before == 0) != (_Users.count == 0):
        _Users.module_class.__call__ = hooked_call if _Users.count else plain_call


def install(module_class: Any) -> None:
    """Called once by ``nn.module``: the class whose ``__call__`` is swapped."""
    _Users.module_class = module_class
    module_class.__call__ = plain_call
    _scope_listeners.append(_use)


def add_hook(module: Module, kind: str, hook: Callable[..., Any]) -> RemovableHandle:
    """Register ``hook`` in ``module``'s hooks of ``kind`` (one of :data:`HOOK_KINDS`)."""
    if not callable(hook):
        raise TypeError(
            f"{module.display_name}: a hook must be callable, got {type(hook).__name__}."
        )
    hooks = module.__dict__.get(kind)
    if hooks is None:
        hooks = {}
        object.__setattr__(module, kind, hooks)
        # A module that goes away takes its hooks with it (they no longer make calls take the hooked path).
        weakref.finalize(module, _forget, kind, hooks)
    key = object()
    hooks[key] = hook
    _use(+1)
    _kind_counts[kind] += 1
    _Version.value += 1

    def remove() -> None:
        if hooks.pop(key, None) is not None:
            _use(-1)
            _kind_counts[kind] -= 1
            _Version.value += 1

    return RemovableHandle(remove)


def _forget(kind: str, hooks: dict) -> None:
    if hooks:
        _use(-len(hooks))
        _kind_counts[kind] -= len(hooks)
        _Version.value += 1
        hooks.clear()


class _BackwardHookState:
    """One call of a module with full backward hooks: identity ops around its inputs and output
    catch ``grad_output`` and ``grad_input``, then the hooks run once."""

    def __init__(self, module: Module, hooks: dict, args: tuple[Any, ...]) -> None:
        self.module = module
        self.hooks = list(hooks.values())
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.grad_output: tuple[Any, ...] | None = None
        needing = [i for i in self.positions if args[i].requires_grad]
        if len(needing) > 1:
            raise GraphError(
                f"{module.display_name}: register_full_backward_hook supports modules whose forward takes one "
                f"tensor that requires grad; this call has {len(needing)}. Use Tensor.register_hook on each input."
            )
        self.needing = needing

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.needing:
            return args
        wrapped = list(args)
        index = self.needing[0]
        wrapped[index] = _BackwardHookInput.apply(args[index], state=self)
        return tuple(wrapped)

    def wrap_output(self, output: Tensor) -> Tensor:
        if not output.requires_grad:
            return output
        return _BackwardHookOutput.apply(output, state=self)

    def fire(self, grad_input: np.ndarray | None) -> np.ndarray | None:
        grads = tuple(
            Tensor._from_op(grad_input, None)
            if i in self.needing and grad_input is not None
            else None
            for i in self.positions
        )
        grad_output = tuple(Tensor._from_op(g, None) for g in self.grad_output or ())
        for hook in self.hooks:
            result = hook(self.module, grads, grad_output)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if not self.needing:
            return None
        chosen = grads[self.positions.index(self.needing[0])]
        return (
            None
            if chosen is None
            else (chosen.data if isinstance(chosen, Tensor) else np.asarray(chosen))
        )


class _BackwardHookOutput(Function):
    """Identity on a module's output that keeps ``grad_output`` for the module's backward hooks.

    forward:  y = x
    backward: dx = dy (and, when no input of the module needs a gradient, the hooks run here)
    """

    def __init__(self, state: _BackwardHookState) -> None:
        self.state = state

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.state.grad_output = (dy,)
        if not self.state.needing:
            self.state.fire(None)
        return dy


class _BackwardHookInput(Function):
    """Identity on a module's input whose gradient is ``grad_input`` of the module's backward hooks.

    forward:  y = x
    backward: dx = hooks(dy) (a hook may replace it)
    """

    def __init__(self, state: _BackwardHookState) -> None:
        self.state = state

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        replaced = self.state.fire(dy)
        return dy if replaced is None else replaced.astype(dy.dtype, copy=False)
