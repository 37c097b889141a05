"""A recorded computation written out as straight-line Python: what a :class:`Replay` runs.

A replay could walk its list of ops in a loop, looking up each op's inputs and routing each
gradient through a dict, but that Python costs as much as a small network's NumPy work. Since the
graph is fixed, the walk can be written out once instead, as the source of three functions:

* ``run(x0, x1, ...)``: checks the new input arrays, then calls each op's ``forward`` in recorded
  order, on local variables, and stores each result in its tensor;
* ``backward(seed)``: calls each op's ``backward`` in the order ``Tensor.backward`` takes (outputs
  before inputs) and adds each input's gradient to its producer's (a local) or to a leaf's
  ``.grad``, in the same order, with the same checks; then frees what each op saved;
* ``release()``: lets go of the intermediate results' arrays.

The source is kept (``Replay.code``), so what a compiled training step runs can be read, and a
traceback through it shows its lines. It names objects only (``op0``, ``leaf1``, ``out2``...);
the one text it takes from outside is each op's name, in a comment, quoted unless it is a plain
identifier, so that no name can add a line of code. The NumPy work is the ops' own, so the
numbers are the same bit for bit as an eager step.

The rare paths (a gradient of another dtype, a second contribution to a leaf's ``.grad``, a
backward returning the wrong number of gradients) call the same helpers as ``Tensor.backward``.
As there, each gradient is let go of once its op's backward has used it, so that memory stays
at a few gradients however long the graph.
"""

from __future__ import annotations

import hashlib
import linecache
import threading
from collections.abc import Callable, Sequence
from types import CodeType
from typing import Any

import numpy as np

from ..errors import GraphError
from .function import Function
from .tensor import _FREED, Routes, Tensor, _accumulate_leaf, _as_gradient, _gradient_tuple

__all__ = ["ReplayCode", "write_replay"]

# Compiled sources, oldest first (see _compiled); the lock is for fits in several threads.
_CODE_CACHE: dict[str, CodeType] = {}
_CODE_CACHE_LOCK = threading.Lock()
CODE_CACHE_SIZE = 64


class ReplayCode:
    """The generated functions (``run``, ``backward``, ``release``) and their ``source``."""

    def __init__(self, source: str, namespace: dict[str, Any]) -> None:
        self.source = source
        exec(_compiled(source), namespace)  # noqa: S102 (our own text only: see the module docstring)
        # Taken out of the namespace, which the functions keep as their globals: left in, they
        # would make a reference cycle, and a dropped replay would wait for the cycle collector
        # to free its tensors.
        self.run: Callable[..., np.ndarray] = namespace.pop("run")
        self.backward: Callable[[np.ndarray], None] = namespace.pop("backward")
        self.release: Callable[[], None] = namespace.pop("release")


def _compiled(source: str) -> CodeType:
    """The code object of a replay's source, compiled once per distinct source.

    ``fit`` records its step again at every epoch and ``train`` at every call: the same graph
    gives the same source, and compiling it takes about a millisecond, which a small model's epoch
    would feel. The last CODE_CACHE_SIZE sources are kept, each registered with linecache (under
    a name made from its digest) so that tracebacks and debuggers show the generated lines; an
    evicted source leaves linecache too.
    """
    with _CODE_CACHE_LOCK:
        code = _CODE_CACHE.pop(source, None)  # popped and put back: the most recent goes last
        if code is None:
            filename = f"<glassnet replay {hashlib.sha1(source.encode()).hexdigest()[:12]}>"
            code = compile(source, filename, "exec")
            linecache.cache[filename] = (
                len(source),
                None,
                source.splitlines(keepends=True),
                filename,
            )
            while len(_CODE_CACHE) >= CODE_CACHE_SIZE:
                oldest = _CODE_CACHE.pop(next(iter(_CODE_CACHE)))
                linecache.cache.pop(oldest.co_filename, None)
        _CODE_CACHE[source] = code
        return code


def write_replay(
    inputs: Sequence[Tensor],
    ops: Sequence[tuple[Function, Sequence[Tensor], Tensor]],
    leaves: Sequence[Tensor],
    backward_steps: Sequence[tuple[Function, Routes]],
    loss: Tensor,
    released: Sequence[Tensor],
    released_array: np.ndarray,
    check_inputs: Callable[..., None],
    leaves_changed: Callable[[], None],
) -> ReplayCode:
    """Write the straight-line functions of a replay (see the module docstring).

    Args:
        inputs: the tensors whose arrays ``run`` takes, in order.
        ops: the recorded ``(op, input tensors, output tensor)``, in order.
        leaves: every other tensor the ops read (parameters and constants), read afresh on each run.
        backward_steps: each op that backward visits, in that order, with its gradient routes.
        loss: the recorded scalar that ``run`` returns.
        released: the tensors whose arrays ``release`` drops.
        released_array: what a released tensor holds.
        check_inputs: called with run's arrays when one of them is not an ndarray of the
            recorded shape and (singleton) dtype: raises if they do not fit after all.
        leaves_changed: called (and expected to raise) when a leaf's ``requires_grad`` differs
            from the recording's.
    """
    namespace: dict[str, Any] = {
        "ndarray": np.ndarray,
        "asarray": np.asarray,
        "GraphError": GraphError,
        "as_gradient": _as_gradient,
        "gradient_tuple": _gradient_tuple,
        "accumulate_leaf": _accumulate_leaf,
        "FREED": _FREED,
        "RELEASED": released_array,
        "check_inputs": check_inputs,
        "leaves_changed": leaves_changed,
    }
    names: dict[int, str] = {}  # id(tensor) -> its name in the namespace
    arrays: dict[int, str] = {}  # id(tensor) -> the local holding its array in run

    def bind(prefix: str, index: int, obj: Any) -> str:
        name = f"{prefix}{index}"
        namespace[name] = obj
        return name

    for index, tensor in enumerate(inputs):
        names[id(tensor)] = bind("input", index, tensor)
        arrays[id(tensor)] = f"x{index}"
    for index, tensor in enumerate(leaves):
        names[id(tensor)] = bind("leaf", index, tensor)
    op_index = {}
    for index, (fn, _, out) in enumerate(ops):
        bind("op", index, fn)
        names[id(out)] = bind("out", index, out)
        arrays[id(out)] = f"y{index}"
        op_index[fn] = index

    lines = _run_source(inputs, ops, leaves, names, arrays, namespace)
    lines.append(f"    return {arrays[id(loss)]}")
    lines += _backward_source(backward_steps, names, op_index, loss)
    lines += [
        "",
        "def release():",
        '    """Drop the intermediate results\' arrays until the next run."""',
    ]
    lines += [f"    {names[id(t)]}.data = RELEASED" for t in released] or ["    pass"]
    return ReplayCode("\n".join(lines) + "\n", namespace)


def _run_source(
    inputs: Sequence[Tensor],
    ops: Sequence[tuple[Function, Sequence[Tensor], Tensor]],
    leaves: Sequence[Tensor],
    names: dict[int, str],
    arrays: dict[int, str],
    namespace: dict[str, Any],
) -> list[str]:
    """The lines of ``run``; binds in ``namespace`` the recorded shapes, dtypes and flags it checks."""
    arguments = ", ".join(f"x{i}" for i in range(len(inputs)))
    lines = [
        f"def run({arguments}):",
        '    """The recorded ops\' forward passes on new input arrays; returns the loss\'s array."""',
    ]
    # The common case of the checks in one condition; check_inputs settles the rest, and raises.
    fast = [
        f"type(x{i}) is not ndarray or x{i}.shape != SHAPE{i} or x{i}.dtype is not DTYPE{i}"
        for i in range(len(inputs))
    ]
    for i, tensor in enumerate(inputs):
        namespace[f"SHAPE{i}"], namespace[f"DTYPE{i}"] = tensor.shape, tensor.dtype
    if fast:
        lines += [f"    if {' or '.join(fast)}:", f"        check_inputs({arguments})"]
    if leaves:
        namespace["LEAF_FLAGS"] = tuple(leaf.requires_grad for leaf in leaves)
        flags = ", ".join(f"{names[id(t)]}.requires_grad" for t in leaves)
        lines += [f"    if ({flags},) != LEAF_FLAGS:", "        leaves_changed()"]
    lines += [f"    {names[id(t)]}.data = x{i}" for i, t in enumerate(inputs)]
    for index, (fn, args, _) in enumerate(ops):
        reads = ", ".join(arrays.get(id(t), f"{names[id(t)]}.data") for t in args)
        lines += [
            f"    # {_label(fn)}",
            f"    y{index} = op{index}.forward({reads})",
            f"    if type(y{index}) is not ndarray:",
            f"        y{index} = asarray(y{index})",
            f"    out{index}.data = y{index}",
            f"    op{index}.freed = False  # it saved this run's arrays for backward",
        ]
    return lines


def _backward_source(
    backward_steps: Sequence[tuple[Function, Routes]],
    names: dict[int, str],
    op_index: dict[Function, int],
    loss: Tensor,
) -> list[str]:
    """The lines of ``backward``: the steps of ``tensor._backpropagate``, one block per op."""
    first = op_index[loss.creator]
    pending = [f"g{op_index[fn]}" for fn, _ in backward_steps if fn is not loss.creator]
    lines = [
        "",
        "def backward(seed):",
        '    """Each op\'s backward, outputs first; gi is the gradient of opi\'s output."""',
    ]
    for start in range(0, len(pending), 8):  # none has reached these ops' outputs yet
        lines.append(f"    {' = '.join(pending[start : start + 8])} = None")
    lines.append(f"    g{first} = seed")
    for fn, routes in backward_steps:
        index = op_index[fn]
        body = [
            f"# {_label(fn)}",
            f"if op{index}.freed:",
            f"    raise GraphError(FREED.format(op{index}.name))",
            f"dxs = op{index}.backward(g{index})",
            f"if type(dxs) is not tuple or len(dxs) != {len(fn.inputs)}:",
            f"    dxs = gradient_tuple(op{index}, dxs)",
        ]
        for position, tensor, producer in routes:
            target = names[id(tensor)]
            body += [
                f"dx = dxs[{position}]",
                "if dx is not None:",
                f"    if type(dx) is not ndarray or dx.dtype is not {target}.data.dtype:",
                f"        dx = as_gradient(dx, {target}.data.dtype)",
            ]
            if producer is not None:
                g = f"g{op_index[producer]}"
                body.append(
                    f"    {g} = dx if {g} is None else {g} + dx  # out of place: dx may alias g{index}"
                )
            else:
                body += [
                    f"    if {target}.grad is None and dx.base is None and dx is not g{index}:",
                    f"        {target}.grad = dx",
                    "    else:",
                    f"        accumulate_leaf({target}, dx, g{index})",
                ]
        body += [
            f"op{index}.saved = ()",
            f"op{index}.freed = True",
            f"g{index} = dxs = dx = None  # used: let go of it, as Tensor.backward does",
        ]
        if fn is loss.creator:
            lines += [f"    {line}" for line in body]
        else:  # an op that no gradient reached is skipped, as Tensor.backward skips it
            lines += [f"    if g{index} is not None:"] + [f"        {line}" for line in body]
    return lines


def _label(fn: Function) -> str:
    """An op's name for a comment of the source: as is when it is an identifier, else quoted
    (a name holding a newline must not end the comment)."""
    name = str(fn.name)
    return name if name.isidentifier() else repr(name)
