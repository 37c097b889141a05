"""fit's training step, recorded on the first batch of each shape and replayed on the next ones.

Keras runs ``fit``'s step as a compiled graph unless ``compile(run_eagerly=True)``; this is
glassnet's counterpart. The first batch runs eagerly, as usual, while
:func:`glassnet.autograd.replay.record` lists the ops it applies; later batches of the same
shape run that list again (:class:`~glassnet.autograd.replay.Replay`): the same ops' forward and
backward on the new arrays, so the same numbers bit for bit, without the per-batch Python that
would build the same graph again. On a small MLP that Python is a tenth of the step.

Replaying is only right when every batch applies the same ops, with no effect outside them. So a
model compiles only when each of its modules and its loss is of a class that declares
``traceable = True`` itself (a subclass may change ``forward`` and must declare it again), and
there are no sample or class weights. Layers that draw random masks (Dropout) or update running
statistics outside their ops (BatchNorm1d) do not declare it, so models with them run eagerly.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.replay import NotReplayableError, Replay, record
from ..autograd.tensor import Tensor

__all__ = ["CompiledStep", "traceable"]


def traceable(obj: Any) -> bool:
    """Whether ``obj``'s own class declares ``traceable = True`` (inheriting it is not enough)."""
    return type(obj).__dict__.get("traceable", False) is True


class CompiledStep:
    """One training step of ``model`` on a batch ``(x, y)``: forward, loss, backward, ``update()``.

    Call it as ``loss, output = step(x, y)``. Batches of a shape seen before replay the ops
    recorded on the first one; a step whose ops cannot be replayed safely stays eager.
    """

    def __init__(self, model: Any, forward: Callable[[Tensor], Tensor], loss_fn: Any, optimizer: Any,
                 update: Callable[[], None]) -> None:
        self.model = model
        self.forward = forward
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.update = update  # after backward: the optimizer step (and fit's gradient clipping)
        # One entry per batch shape: the replay and the model's output tensor in it, or None when
        # that step cannot be replayed.
        self.replays: dict[tuple[Any, ...], tuple[Replay, Tensor] | None] = {}

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        key = (x.shape, x.dtype, y.shape, y.dtype)
        model = self.model
        self.optimizer.zero_grad()
        compiled = self.replays.get(key, False)
        if compiled:
            replay, output = compiled
            try:
                loss = replay.run(x, y)
            except NotReplayableError:  # a parameter was frozen or unfrozen: record this shape again
                compiled = False
            else:
                replay.backward()
                self.update()
                return float(loss), output.data
        inputs = (Tensor._from_op(x, None), Tensor._from_op(y, None))
        if compiled is False:  # the first batch of this shape: record it
            with record() as ops:
                output, loss_tensor = model._forward_loss(self.forward, self.loss_fn, *inputs)
            self.replays[key] = self._replay(ops, inputs, output, loss_tensor)
        else:
            output, loss_tensor = model._forward_loss(self.forward, self.loss_fn, *inputs)
        loss_tensor.backward()
        self.update()
        return float(loss_tensor.data), output.data

    @staticmethod
    def _replay(ops: list[Any], inputs: tuple[Tensor, Tensor], output: Tensor,
                loss: Tensor) -> tuple[Replay, Tensor] | None:
        if not any(out is output for _, _, out in ops) and output is not inputs[0]:
            return None  # the model's output does not come from the recorded ops
        try:
            return Replay(ops, inputs, loss), output
        except NotReplayableError:
            return None
