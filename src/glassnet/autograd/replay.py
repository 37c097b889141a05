"""Run a recorded computation again on new arrays, without building its graph again.

A training step of a fixed model applies the same ops in the same order to every batch: only the
batch's arrays and the parameters' values change. :func:`record` lists the ops that a piece of
code applies; :class:`Replay` runs that list again on new input arrays: a loop calls each op's own
``forward`` in recorded order, and :meth:`Replay.backward` hands the ops to the walk of
``Tensor.backward`` itself (``tensor._backpropagate``), in the order that ``Tensor.backward``
found once, at the recording. The NumPy work is the same, so the numbers are the same bit for bit.
What is skipped is the Python around it that would build the same graph again: module calls,
input checks, new Tensor and Function objects and the sorting of the backward walk. ``Model.fit``
replays its step this way (see ``glassnet.training.compiled_step``).

Until 2026-12 a replay wrote its walk out as generated straight-line Python, a second engine.
``benchmarks/replay_engines.py`` ran both on fit's workloads, paired in one process: the walk took
about 1-3% more time on the founding network's epoch and on the digits MLP, and the same on the
784-256-128-10 MLP (see ``benchmarks/README.md``), too little for a second engine to mirror the
first.

>>> import glassnet as gn, numpy as np
>>> w = gn.Tensor(np.array([2.0]), requires_grad=True)
>>> x = gn.Tensor(np.array([3.0]))
>>> with record() as ops:
...     loss = (w * x).sum()
>>> replay = Replay(ops, inputs=[x], loss=loss)
>>> float(replay.run(np.array([5.0])))
10.0
>>> replay.backward(); w.grad.tolist()
[5.0]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import GraphError
from .function import Function, _grad_mode
from .observe import Observation
from .tensor import Tensor, _backpropagate, _routes, _topological_order

__all__ = ["record", "is_recording", "Replay", "NotReplayableError"]

Record = tuple[Function, list[Tensor], Tensor]

# What Function.apply and backward set on an op; every other attribute is an option of the op.
_ENGINE_ATTRIBUTES = frozenset({"inputs", "needs_grad", "saved", "freed"})
# What a released intermediate holds between runs: nothing, and any use of it fails loudly.
_RELEASED = np.empty(0)
_RELEASED.flags.writeable = False


class NotReplayableError(GraphError):
    """The recorded ops cannot be replayed safely (the caller then runs them as usual)."""


def is_recording() -> bool:
    """True inside a :func:`record` block, or while something observes the ops (this thread)."""
    return _grad_mode.recording is not None


@contextlib.contextmanager
def record() -> Iterator[list[Record]]:
    """Collect ``(op, input tensors, output tensor)`` for every op applied inside the block."""
    current = _grad_mode.recording
    if isinstance(current, Observation) and current.inner is None:
        # Something watches the ops (explain, detect_anomaly, summary): it passes them on to us.
        records: list[Record] = []
        current.inner = records
        try:
            yield records
        finally:
            current.inner = None
        return
    if current is not None:
        raise GraphError("record: already recording (recordings do not nest).")
    records = []
    _grad_mode.recording = records
    try:
        yield records
    finally:
        _grad_mode.recording = None


class Replay:
    """Recorded ops, runnable again on new arrays for ``inputs``.

    Args:
        records: what :func:`record` collected.
        inputs: the leaf tensors that stand for new data on each run (a batch's features and targets),
            in the order :meth:`run` takes their arrays.
        loss: the recorded scalar that :meth:`backward` differentiates.
        keep: recorded tensors whose value is still wanted after :meth:`backward` (a model's
            output); the inputs and the other results let go of their arrays then, as an eager
            graph would.

    Every other tensor the ops read must be a parameter (read afresh on each run, so in-place
    updates are seen) or a constant, which keeps its recorded value. What cannot be known is
    whether a constant was made from the data outside the ops (then replaying would reuse the first
    batch's). A heuristic catches the usual cases and raises :class:`NotReplayableError`: a
    constant or an op option (an index, a mask) as long as the batch, e.g. ``Tensor(x.data * 2)``.
    A statistic of the batch of another shape (``Tensor(x.data.mean(0))``) is not caught: code
    that makes one must not be replayed (a layer must not declare ``traceable``). Tensors computed
    by ops before the recording are refused too.
    """

    def __init__(
        self,
        records: Sequence[Record],
        inputs: Sequence[Tensor],
        loss: Tensor,
        keep: Sequence[Tensor] = (),
    ) -> None:
        self.inputs = list(inputs)
        self.loss = loss
        self.ops = [(fn, list(args), out) for fn, args, out in records]
        if any(t.creator is not None for t in self.inputs):
            raise NotReplayableError(
                "Replay: an input was computed by ops (inputs are leaves that stand for data)."
            )
        known = self._check_sources()
        if loss.creator is None or loss.data.size != 1 or id(loss) not in known:
            raise NotReplayableError(
                "Replay: the loss must be a recorded scalar that requires grad."
            )
        if any(id(t) not in known for t in keep):
            raise NotReplayableError(
                "Replay: a tensor to keep is neither an input nor a recorded result."
            )
        # The order Tensor.backward would take, so that gradients add up in the same order, with
        # where each Function's input gradients go (the graph does not change between runs).
        self._steps = [(fn, _routes(fn)) for fn in reversed(_topological_order(loss.creator))]
        # Which leaves need gradients shaped the graph (needs_grad, the backward order): a leaf
        # frozen or unfrozen since the recording makes the replay refuse to run.
        inputs_seen = {id(t) for t in self.inputs}
        self.leaves = list(
            {
                id(t): t
                for _, args, _ in self.ops
                for t in args
                if t.creator is None and id(t) not in inputs_seen
            }.values()
        )
        self._leaf_flags = [t.requires_grad for t in self.leaves]
        self._input_specs = [(t.shape, t.dtype) for t in self.inputs]
        # Each op's forward, bound once, with the tensors it reads and the one it fills.
        self._forwards = [(fn.forward, tuple(args), out, fn) for fn, args, out in self.ops]
        # d loss / d loss, made once; read-only, since every backward receives this same array.
        self._seed = loss._seed_gradient(None)
        kept = {id(loss)} | {id(t) for t in keep}
        self._released = [
            t for t in self.inputs + [out for _, _, out in self.ops] if id(t) not in kept
        ]
        self._ran = False

    def _check_sources(self) -> set[int]:
        """Refuse what a replay could get wrong; returns the ids of the inputs and recorded results."""
        known = {id(t) for t in self.inputs}
        batch = {t.shape[0] for t in self.inputs if t.ndim}
        for fn, args, out in self.ops:
            for name, option in vars(fn).items():
                if name not in _ENGINE_ATTRIBUTES and _holds_batch_array(option, batch):
                    raise NotReplayableError(
                        f"Replay: {fn.name} has an option {name!r} holding an array as long as the batch: "
                        "it may have been made from the data (an index or a mask)."
                    )
            for tensor in args:
                if id(tensor) in known or (tensor.creator is None and tensor.requires_grad):
                    continue  # an input, an earlier op's output, or a parameter
                if tensor.creator is not None:
                    raise NotReplayableError(
                        f"Replay: {fn.name} reads a tensor computed before the recording."
                    )
                if tensor.ndim and tensor.shape[0] in batch:
                    raise NotReplayableError(
                        f"Replay: {fn.name} reads a constant of shape {tensor.shape}, as long as the batch: "
                        "it may have been made from the data outside the ops."
                    )
            known.add(id(out))
        return known

    def run(self, *arrays: np.ndarray) -> np.ndarray:
        """Run the ops' forward passes on new input arrays (same shapes and dtypes as recorded).

        Returns the loss's array; every recorded tensor now holds this run's value.

        Raises:
            NotReplayableError: a leaf's ``requires_grad`` changed since the recording (a
                parameter frozen or unfrozen), so its graph would differ: record again.
            GraphError: arrays of another number, shape or dtype than the recorded inputs.
        """
        specs = self._input_specs
        if len(arrays) != len(specs):
            _check_inputs(specs, *arrays)
        for array, (shape, dtype) in zip(arrays, specs):
            # The usual case in one test; _check_inputs settles the rest (an ndarray subclass, an
            # equal dtype that is another object), and raises.
            if type(array) is not np.ndarray or array.shape != shape or array.dtype is not dtype:
                _check_inputs(specs, *arrays)
                break
        if [t.requires_grad for t in self.leaves] != self._leaf_flags:
            raise NotReplayableError(
                "Replay: a parameter's requires_grad changed since the recording."
            )
        for tensor, array in zip(self.inputs, arrays):
            tensor.data = array
        for forward, args, out, fn in self._forwards:
            y = forward(*[t.data for t in args])
            out.data = y if type(y) is np.ndarray else np.asarray(y)
            fn.freed = False  # it saved this run's arrays for backward
        self._ran = True
        return self.loss.data

    def backward(self) -> None:
        """Accumulate the loss's gradient into the parameters' ``.grad``, as ``loss.backward()``,
        then let go of the intermediate results (all but the loss and ``keep``)."""
        if not self._ran:
            raise GraphError("Replay.backward: call run() first (each run allows one backward).")
        self._ran = False
        _backpropagate(self._steps, {self.loss.creator: self._seed})
        self.release()

    def release(self) -> None:
        """Let go of the inputs' and intermediate results' arrays (all but the loss and ``keep``)
        until the next run, as an eager graph would be freed; backward does it, and so may a
        caller of ``loss.backward()``."""
        for tensor in self._released:
            tensor.data = _RELEASED


def _check_inputs(specs: list[tuple[tuple[int, ...], np.dtype]], *arrays: Any) -> None:
    """Raise unless ``arrays`` fit the recorded (shape, dtype) ``specs``."""
    if len(arrays) != len(specs) or not all(map(_fits, arrays, specs)):
        raise GraphError(
            f"Replay.run: expected arrays of (shape, dtype) {specs}, got "
            f"{[(getattr(a, 'shape', None), getattr(a, 'dtype', None)) for a in arrays]}."
        )


def _fits(array: Any, spec: tuple[tuple[int, ...], np.dtype]) -> bool:
    """Whether ``array`` has the recorded (shape, dtype); NumPy's built-in dtypes are singletons,
    so ``is`` settles the usual case without the cost of a dtype comparison."""
    shape, dtype = spec
    if getattr(array, "shape", None) != shape:
        return False
    found = getattr(array, "dtype", None)
    # isinstance first: NumPy reads None as float64, so np.dtype("float64") == None is True.
    return found is dtype or (isinstance(found, np.dtype) and found == dtype)


def _holds_batch_array(value: Any, batch: set[int]) -> bool:
    """Whether an op's option is (or holds, in a tuple or list) an array whose first axis is a batch length."""
    if isinstance(value, (tuple, list)):
        return any(_holds_batch_array(item, batch) for item in value)
    if isinstance(value, Tensor):
        value = value.data
    return isinstance(value, np.ndarray) and value.ndim > 0 and value.shape[0] in batch
