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
  ``fit``'s recorded fast path calls these hooks again on each replayed batch, with new Tensor
  objects holding that batch's input and output (as an eager step gives), so they cost no eager
  steps, unless one replaced an output;
* ``register_full_backward_hook(hook)``: ``hook(module, grad_input, grad_output)`` once per backward,
  when the gradients with respect to the module's tensor inputs are computed; may return a new
  ``grad_input`` tuple. ``grad_input`` has one entry per input, ``grad_output`` one per output
  tensor, None where an input needs no gradient (e.g. the data) or an output got none. A module
  may return a tuple of tensors (``nn.GRU``'s ``(output, h_n)``); nested tuples and lists are
  flattened, on both sides: ``nn.LSTM``'s ``(output, (h_n, c_n))`` gives three entries in
  ``grad_output`` where PyTorch gives ``(d output, None)``.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..autograd.function import Function, _grad_mode, is_grad_enabled
from ..autograd.observe import RemovableHandle, _scope_listeners, _scopes
from ..autograd.tensor import Tensor
from ..errors import GraphError

# module.py imports this file (Module.__call__ is one of the calls below), so Module is only a
# name in annotations here.
Module = Any

__all__ = ["hooked_call", "plain_call", "add_hook", "has_hooks", "RemovableHandle"]

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
    state = anchor = None
    if backward_hooks and is_grad_enabled():
        state = _BackwardHookState(self, backward_hooks, args)
        args, anchor = state.wrap_inputs(args)
    stack = _scopes.stack
    stack.append(self)  # (named when something asks: explain, an anomaly's message)
    try:
        output = self.forward(*args, **kwargs)
    finally:
        stack.pop()
    forward_hooks = own.get("_forward_hooks")
    if forward_hooks:
        taps = _Taps.calls
        if taps is None:
            output, _ = _run_forward_hooks(self, forward_hooks, args, output)
        else:  # fit is recording its step: its replays will call the hooks again
            computed = output
            # The hooks get their own Tensor objects (the replays refill the recorded ones), and
            # ops they apply are theirs, not the step's: they stay out of the recording.
            with _not_recorded():
                output, replaced = _run_forward_hooks(
                    self, forward_hooks, fresh_tensors(args), fresh_tensors(output)
                )
            if not replaced:
                output = computed
            taps.append((self, args, computed, replaced))
    if state is not None:
        output = state.wrap_output(output, anchor)
    return output


def _run_forward_hooks(
    module: Module, hooks: dict, args: tuple[Any, ...], output: Any
) -> tuple[Any, bool]:
    """Call each forward hook in turn (each gets the output the previous one returned); returns
    the final output and whether some hook replaced it."""
    replaced = False
    for hook in list(hooks.values()):
        result = hook(module, args, output)
        if result is not None:
            output, replaced = result, True
    return output, replaced


@contextlib.contextmanager
def _not_recorded() -> Iterator[None]:
    """Ops applied in this block do not join the recording of fit's step (this thread)."""
    recording = _grad_mode.recording
    _grad_mode.recording = None
    try:
        yield
    finally:
        _grad_mode.recording = recording


class _Taps:
    """While fit records a step: each module call whose forward hooks ran, as (module, args, output,
    whether a hook replaced the output). ``CompiledStep`` calls the hooks again on each replay."""

    calls: list[tuple[Any, tuple[Any, ...], Any, bool]] | None = None


_kind_counts = {kind: 0 for kind in HOOK_KINDS}


def replay_blocking_hooks(modules: Iterable[Any] | None = None) -> bool:
    """Whether some module hook cannot be replayed by fit's fast path (a forward pre-hook or a
    backward hook: they change what the ops compute); forward hooks can be (see :class:`_Taps`).

    With ``modules``, only theirs count (a hook on another model does not slow this one down);
    while no such hook exists anywhere, the answer costs no look at them.
    """
    if not (_kind_counts["_forward_pre_hooks"] or _kind_counts["_backward_hooks"]):
        return False
    if modules is None:
        return True
    return any(
        module.__dict__.get("_forward_pre_hooks") or module.__dict__.get("_backward_hooks")
        for module in modules
    )


def hooks_version() -> int:
    """A number that changes whenever a module hook is added or removed (replays record again)."""
    return _Version.value


class _Version:
    value = 0


def fire_forward_hooks(calls: list[tuple[Any, tuple[Any, ...], Any, bool]]) -> None:
    """Run the forward hooks of recorded module calls again, after a replay refilled their tensors.

    Each hook gets new Tensor objects holding this batch's arrays (with the recorded op as their
    ``creator``), as an eager step gives it new tensors at every call: a hook may keep them, and
    each kept tensor holds its own batch's values.
    """
    for module, args, output, _ in calls:
        hooks = module.__dict__.get("_forward_hooks")
        if hooks:
            _run_forward_hooks(module, hooks, fresh_tensors(args), fresh_tensors(output))


def fresh_tensors(value: Any) -> Any:
    """``value`` with each Tensor in it (also inside tuples and lists) replaced by a new Tensor
    object on the same array, with the same ``creator``; parameters (leaves that require grad)
    stay themselves, as an eager step shows them."""
    return _map_leaves(value, _fresh_tensor)


def _fresh_tensor(tensor: Any) -> Any:
    if not isinstance(tensor, Tensor) or (tensor.creator is None and tensor.requires_grad):
        return tensor
    fresh = Tensor._from_op(tensor.data, tensor.creator)
    fresh.name = tensor.name
    return fresh


def has_hooks(module: Module) -> bool:
    """Whether ``module`` itself has a forward pre-hook, forward hook or full backward hook: a layer
    that runs a sublayer's code directly (``Bidirectional``) calls that sublayer as a module then,
    so that its hooks fire."""
    own = module.__dict__
    return any(own.get(kind) for kind in HOOK_KINDS)


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


# ----------------------------------------------------------------- nested inputs and outputs
def _holds_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (tuple, list)) and any(_holds_tensor(item) for item in value)


def _flatten(value: Any) -> list[Any]:
    """The entries a backward hook sees for one argument or output: the tensors inside (nested)
    tuples and lists, in order; anything else (a tensor, None, a list of ints) is one entry."""
    if isinstance(value, (tuple, list)) and _holds_tensor(value):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _map_leaves(value: Any, change: Callable[[Any], Any]) -> Any:
    """``value`` rebuilt with ``change(leaf)`` for each of :func:`_flatten`'s entries, in order
    (tuples stay tuples, named tuples named, lists lists)."""
    if not (isinstance(value, (tuple, list)) and _holds_tensor(value)):
        return change(value)
    items = [_map_leaves(item, change) for item in value]
    if isinstance(value, list):
        return items
    return type(value)(*items) if hasattr(value, "_fields") else tuple(items)


# ----------------------------------------------------------------- full backward hooks
# The gradient each hook op sends its anchor: a zero that only orders the backward walk.
_ANCHOR_GRADIENT = np.zeros((), dtype=np.float32)
_ANCHOR_GRADIENT.flags.writeable = False


class _BackwardHookState:
    """One call of a module with full backward hooks.

    Identity ops around its inputs (:class:`_BackwardHookInput`) and outputs
    (:class:`_BackwardHookOutput`) catch ``grad_input`` and ``grad_output``. Each also reads one
    ``anchor`` tensor, made by :class:`_BackwardHookGate` from the inputs that need a gradient
    (or from a placeholder leaf when none does). The anchor's op is thus the producer of all of
    them, so the backward walk reaches it after every one of them that gets a gradient: its
    backward runs the hooks once, with every gradient known, and hands the inputs' producers the
    (possibly replaced) ``grad_input``.
    """

    def __init__(self, module: Module, hooks: dict, args: tuple[Any, ...]) -> None:
        self.module = module
        self.hooks = list(hooks.values())
        leaves = [leaf for arg in args for leaf in _flatten(arg)]
        self.needing = [
            i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor) and leaf.requires_grad
        ]
        self.inputs = [leaves[i] for i in self.needing]
        self.grad_input: list[np.ndarray | None] = [None] * len(leaves)
        self.grad_output: list[np.ndarray | None] = []

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], Tensor]:
        """The arguments with identity ops around the tensors that need a gradient, and the anchor
        (not kept here: the anchor's op keeps this state, which must not keep it in turn)."""
        if self.inputs:
            anchor = _BackwardHookGate.apply(*self.inputs, state=self)
        else:
            placeholder = Tensor._from_op(_ANCHOR_GRADIENT, None)
            placeholder.requires_grad = True
            anchor = _BackwardHookGate.apply(placeholder, state=self)
        positions = iter(range(len(self.grad_input)))

        def wrap(leaf: Any) -> Any:
            position = next(positions)
            if position not in self.needing:
                return leaf
            return _BackwardHookInput.apply(leaf, anchor, state=self, position=position)

        return tuple(_map_leaves(arg, wrap) for arg in args), anchor

    def wrap_output(self, output: Any, anchor: Tensor) -> Any:
        """The output with an identity op around each tensor in it that requires grad."""
        self.grad_output = [None] * len(_flatten(output))
        positions = iter(range(len(self.grad_output)))

        def wrap(leaf: Any) -> Any:
            position = next(positions)
            if not (isinstance(leaf, Tensor) and leaf.requires_grad):
                return leaf
            return _BackwardHookOutput.apply(leaf, anchor, state=self, position=position)

        return _map_leaves(output, wrap)

    def fire(self) -> tuple[np.ndarray | None, ...]:
        """Run the hooks; the gradients for ``self.inputs`` (None for those that get none)."""
        grad_input = tuple(_as_tensor(g) for g in self.grad_input)
        grad_output = tuple(_as_tensor(g) for g in self.grad_output)
        # Ready for another backward through the same graph (retain_graph=True).
        self.grad_input = [None] * len(self.grad_input)
        self.grad_output = [None] * len(self.grad_output)
        name = self.module.display_name
        for hook in self.hooks:
            result = hook(self.module, grad_input, grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if not self.needing and any(g is not None for g in result):
                raise GraphError(
                    f"{name}: a full backward hook returned gradients, but no input of this call "
                    "needs one; return None."
                )
            if len(result) != len(grad_input):
                raise GraphError(
                    f"{name}: a full backward hook returned {len(result)} gradients for "
                    f"{len(grad_input)} inputs: return one per entry of grad_input (None to drop one)."
                )
            grad_input = result
        return tuple(_as_array(grad_input[i]) for i in self.needing)


def _as_tensor(gradient: np.ndarray | None) -> Tensor | None:
    return None if gradient is None else Tensor._from_op(gradient, None)


def _as_array(gradient: Any) -> np.ndarray | None:
    if gradient is None:
        return None
    return gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)


class _BackwardHookGate(Function):
    """The anchor of one hooked module call: every hook op around the module reads its output.

    forward:  anchor = 0 (a scalar; the inputs are only read in backward's routing)
    backward: the module's backward hooks run (all of grad_input and grad_output are known now:
              every op that reads the anchor ran before it); dx_i = grad_input_i, as they left it
    """

    def __init__(self, state: _BackwardHookState) -> None:
        self.state = state

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return _ANCHOR_GRADIENT

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grads = self.state.fire()
        if not self.state.needing:
            return (None,)  # the placeholder leaf
        return tuple(
            None if g is None else g.astype(x.dtype, copy=False)
            for g, x in zip(grads, self.state.inputs)
        )


class _BackwardHookInput(Function):
    """Identity on a module's input that keeps its gradient as an entry of ``grad_input``.

    forward:  y = x
    backward: the gradient is kept; it reaches x through the anchor's op (after the hooks)
    """

    def __init__(self, state: _BackwardHookState, position: int) -> None:
        self.state = state
        self.position = position

    def forward(self, x: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> tuple[None, np.ndarray]:
        self.state.grad_input[self.position] = dy
        return None, _ANCHOR_GRADIENT


class _BackwardHookOutput(Function):
    """Identity on one of a module's output tensors that keeps its gradient for ``grad_output``.

    forward:  y = x
    backward: dx = dy (kept as an entry of grad_output)
    """

    def __init__(self, state: _BackwardHookState, position: int) -> None:
        self.state = state
        self.position = position

    def forward(self, x: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.state.grad_output[self.position] = dy
        return dy, _ANCHOR_GRADIENT
