"""What processes exchange: the initial weights (broadcast) and, at every step, the gradients (one Allreduce).

Data parallelism keeps one copy of the model per process. Rank 0's weights and optimizer state are
broadcast once; afterwards every process computes the gradient of its own batch, the gradients are
averaged across processes, and every process applies the same optimizer step to the same weights,
so the copies stay equal bit for bit without ever sending weights again.

Arrays travel laid end to end in one contiguous buffer (:class:`FlatBuffer`): one MPI call per
step, whatever the number of parameters, through mpi4py's buffer interface (``Allreduce``,
``Bcast``), which sends the NumPy memory as it is. Python objects (an optimizer's state, a
generator's state, metric inputs) go through mpi4py's pickling calls, once per run or per epoch.

Every function here takes what it needs as arguments (a model is anything with ``parameters()``
and ``named_buffers()``), so this package does not import ``glassnet.training``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .world import communicator, rank, world_size

__all__ = [
    "FlatBuffer",
    "GradientAverager",
    "allreduce_gradients",
    "broadcast_parameters",
    "broadcast_buffers",
    "broadcast_optimizer_state",
    "broadcast_generator",
    "broadcast_object",
    "allgather",
    "sum_across_ranks",
    "any_across_ranks",
]


class FlatBuffer:
    """Arrays of any shapes laid end to end in one contiguous 1-D buffer, with a view per array.

    The buffer's dtype holds every array's values (``np.result_type``): for float32 parameters it is
    float32; mixed float32 and float64 travel as float64 and are cast back exactly.
    """

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        self.dtype = np.result_type(*arrays) if arrays else np.dtype(np.float64)
        sizes = [int(np.prod(a.shape, dtype=np.int64)) for a in arrays]
        self.data = np.empty(sum(sizes), dtype=self.dtype)
        offsets = np.cumsum([0] + sizes)
        self.views = [
            self.data[start:stop].reshape(a.shape)
            for a, start, stop in zip(arrays, offsets, offsets[1:])
        ]

    def pack(self, arrays: Iterable[np.ndarray | None], scale: float | None = None) -> None:
        """Copy ``arrays`` (in the order given at construction) into the buffer, each times ``scale``
        when given (in the same pass as the copy); None as zeros."""
        for view, array in zip(self.views, arrays):
            if array is None:
                view.fill(0)
            elif scale is None:
                np.copyto(view, array, casting="unsafe")
            else:
                np.multiply(array, scale, out=view, casting="unsafe")

    def unpack_into(self, arrays: Iterable[np.ndarray]) -> None:
        """Copy the buffer back into ``arrays`` in place (they keep their identity and dtype)."""
        for view, array in zip(self.views, arrays):
            np.copyto(array, view, casting="unsafe")


def _model_arrays(model: Any, buffers: bool) -> list[np.ndarray]:
    """The parameters' arrays of ``model`` (a Module or an iterable of tensors), then its buffers."""
    if hasattr(model, "parameters"):
        arrays = [p.data for p in model.parameters()]
        if buffers and hasattr(model, "named_buffers"):
            arrays += [array for _, array in model.named_buffers()]
        return arrays
    return [p.data for p in model]


def _broadcast_arrays(arrays: list[np.ndarray], root: int) -> None:
    comm = communicator()
    if comm is None or not arrays:
        return
    flat = FlatBuffer(arrays)
    if comm.Get_rank() == root:
        flat.pack(arrays)
    comm.Bcast(flat.data, root=root)
    if comm.Get_rank() != root:
        flat.unpack_into(arrays)


def broadcast_parameters(model: Any, root: int = 0, buffers: bool = True) -> None:
    """Give every process ``root``'s weights: one ``Bcast`` of all parameters (and buffers, such
    as BatchNorm's running statistics), written into the arrays in place.

    Args:
        model: a Module (its ``parameters()`` and ``named_buffers()``) or an iterable of tensors.
        root: the rank whose values everyone takes.
        buffers: also the module's buffers (PyTorch's DDP broadcasts them too).
    """
    _broadcast_arrays(_model_arrays(model, buffers), root)


def broadcast_buffers(model: Any, root: int = 0) -> None:
    """Give every process ``root``'s buffers (BatchNorm's running mean and variance), in place."""
    if hasattr(model, "named_buffers"):
        _broadcast_arrays([array for _, array in model.named_buffers()], root)


class GradientAverager:
    """Averages the gradients of ``params`` across processes with one ``Allreduce`` per call.

    Each call copies every ``.grad`` divided by the number of processes P into one contiguous
    buffer (a missing gradient counts as zeros), sums the buffer across processes in place, and
    hands each parameter a view of its part as its new ``.grad`` (a cast copy when the parameter's
    dtype differs from the buffer's). A parameter without a gradient keeps none. The views are
    overwritten by the next call (after ``zero_grad`` and a new backward): copy a gradient to keep it.

    ``allreduce_seconds`` adds up the time spent in ``Allreduce`` itself (waiting for the slowest
    process included), over ``calls`` calls: ``benchmarks/scaling.py`` reports it.
    """

    def __init__(self, params: Iterable[Any]) -> None:
        self.params = list(params)
        self.flat = FlatBuffer([p.data for p in self.params])
        self.casts = [p.data.dtype != self.flat.dtype for p in self.params]
        self.allreduce_seconds = 0.0
        self.calls = 0

    def holds(self, params: Sequence[Any]) -> bool:
        """Whether this averager was made for exactly these parameters, in this order."""
        return len(params) == len(self.params) and all(a is b for a, b in zip(params, self.params))

    def __call__(self) -> None:
        comm = communicator()
        if comm is None:
            return
        from mpi4py import MPI

        # Scaled while copied, one pass instead of two: sum(g / P) is the mean, exactly so when
        # P is a power of two (otherwise rounded per term instead of once; the same on every process).
        self.flat.pack((p.grad for p in self.params), scale=1.0 / comm.Get_size())
        started = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, self.flat.data, op=MPI.SUM)
        self.allreduce_seconds += time.perf_counter() - started
        self.calls += 1
        for param, view, cast in zip(self.params, self.flat.views, self.casts):
            if param.grad is not None:
                param.grad = view.astype(param.data.dtype) if cast else view


_last_averager: GradientAverager | None = None


def allreduce_gradients(params: Iterable[Any]) -> None:
    """Replace each parameter's ``.grad`` by its mean over all processes: one ``Allreduce`` over one
    contiguous buffer. Call it after ``loss.backward()`` and before ``optimizer.step()``.

    The buffer is kept for the next call with the same parameters. Every process must call it
    with the same parameters in the same order. Nothing happens in a world of one.
    """
    global _last_averager
    if communicator() is None:
        return
    params = list(params)
    if _last_averager is None or not _last_averager.holds(params):
        _last_averager = GradientAverager(params)
    _last_averager()


def broadcast_optimizer_state(optimizer: Any, root: int = 0) -> None:
    """Give every process ``root``'s optimizer state (moments, step counts, hyper-parameters)."""
    comm = communicator()
    if comm is None or not optimizer.param_groups:
        return
    state = comm.bcast(optimizer.state_dict() if rank() == root else None, root=root)
    if rank() != root:
        optimizer.load_state_dict(state)


def broadcast_generator(generator: np.random.Generator, root: int = 0) -> None:
    """Set ``generator`` to ``root``'s state, so that every process draws the same numbers."""
    comm = communicator()
    if comm is not None:
        generator.bit_generator.state = comm.bcast(generator.bit_generator.state, root=root)


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """``root``'s ``obj`` on every process (pickled; for small, rare messages)."""
    comm = communicator()
    return obj if comm is None else comm.bcast(obj, root=root)


def allgather(obj: Any) -> list[Any]:
    """Every process's ``obj``, as a list indexed by rank (pickled; for per-epoch messages)."""
    comm = communicator()
    return [obj] if comm is None else comm.allgather(obj)


def sum_across_ranks(values: Sequence[float]) -> np.ndarray:
    """The element-wise sum over processes of a few float64 numbers (one ``Allreduce``)."""
    local = np.asarray(values, dtype=np.float64)
    comm = communicator()
    if comm is None:
        return local.copy()
    from mpi4py import MPI

    total = np.empty_like(local)
    comm.Allreduce(local, total, op=MPI.SUM)
    return total


def any_across_ranks(flag: bool) -> bool:
    """Whether ``flag`` is true on at least one process."""
    return bool(sum_across_ranks([float(bool(flag))])[0] > 0) if world_size() > 1 else bool(flag)
