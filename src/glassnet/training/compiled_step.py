"""fit's training step, recorded on the first batch of each shape and replayed on the next ones.

Keras runs ``fit``'s step as a compiled graph unless ``compile(run_eagerly=True)``; this is
glassnet's counterpart. The first batch runs eagerly, as usual, while
:func:`glassnet.autograd.replay.record` lists the ops it applies; later batches of the same
shape run that list again (:class:`~glassnet.autograd.replay.Replay`: each op's forward in a
loop, then ``Tensor.backward``'s own walk): the same ops' forward and backward on the new arrays,
so the same numbers bit for bit, without the per-batch Python that would build the same graph
again. On a small MLP that Python is a tenth of the step.

Replaying is only right when every batch applies the same ops, with no effect outside them. So a
model compiles only when each of its modules, its loss and its layers' regularizers is of a class
that declares ``traceable = True`` itself (a subclass may change ``forward`` and must declare it
again), and there are no sample or class weights. Layers that draw random masks (Dropout) or
update running statistics outside their ops (BatchNorm1d) do not declare it, so models with them
run eagerly. A class may declare it as a property instead, true only for instances that draw
nothing (Dropout and the attention layers with a dropout of 0).
Forward hooks (``Module.register_forward_hook``) are called again after each replayed forward, on
new Tensor objects holding the module's input and output of that batch, as an eager step gives
them (a hook may keep them; ops it applies are not recorded). While a hook that changes what
the ops compute is registered (a forward pre-hook or backward hook on one of the model's modules,
``Tensor.register_hook`` on a parameter, a forward hook that returned a new output) or something
observes the ops (``detect_anomaly``, ``fit(check_numerics=True)``), steps run eagerly; the
numbers are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..autograd.observe import hooks_registered
from ..autograd.replay import NotReplayableError, Replay, is_recording, record
from ..autograd.tensor import Tensor
from ..nn import hooks as module_hooks

# Batch shapes whose replays one step keeps: fit needs two (full batches and the last one).
MAX_REPLAYS = 8

__all__ = ["CompiledStep", "compilable", "traceable"]


def traceable(obj: Any) -> bool:
    """Whether ``obj``'s own class declares ``traceable = True`` (inheriting it is not enough).

    The class may instead define ``traceable`` as a property, in its own body too, to decide per
    instance from the instance's current settings (Dropout: only with ``p == 0``, when it draws no
    mask); the property is read on every call, so a setting changed later counts.
    """
    declared = type(obj).__dict__.get("traceable", False)
    if isinstance(declared, property):
        return declared.__get__(obj) is True
    return declared is True


def compilable(model: Any, loss_fn: Any) -> bool:
    """Whether ``model``'s training step with ``loss_fn`` may be recorded and replayed: every
    module, the loss and every regularizer in use are traceable, and ``run_eagerly`` is off."""
    if getattr(model, "run_eagerly", False) or not traceable(loss_fn):
        return False
    for module in model.modules():
        if not traceable(module):
            return False
        for name in ("kernel_regularizer", "bias_regularizer"):
            regularizer = getattr(module, name, None)
            if regularizer is not None and not traceable(regularizer):
                return False
    return True


class CompiledStep:
    """One training step of ``model`` on a batch ``(x, y)``: forward, loss, backward, ``update()``.

    Call it as ``loss, output = step(x, y)``. Batches of a shape seen before replay the ops
    recorded on the first one; a step whose ops cannot be replayed safely stays eager. Attributes
    of the layers, the loss and the regularizers (an ``L2``'s factor, an activation's slope) are
    read when a shape is recorded, as Keras reads them when it traces its step; ``fit`` makes a new
    CompiledStep at each epoch when a callback may change them (any but glassnet's own, which
    change only what a step reads on every batch), so changes made between epochs take effect.
    """

    def __init__(
        self,
        model: Any,
        forward: Callable[[Tensor], Tensor],
        loss_fn: Any,
        optimizer: Any,
        update: Callable[[], None],
    ) -> None:
        self.model = model
        self.forward = forward
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.update = update  # after backward: the optimizer step (and fit's gradient clipping)
        # Per batch (shape, dtype) key: the replay, the model's output tensor in it, the module calls
        # whose forward hooks run again after each replay, and the hooks' version when recorded.
        self.replays: dict[tuple[Any, ...], tuple[Replay, Tensor, list[Any], int]] = {}
        self.eager_keys: set[tuple[Any, ...]] = set()  # steps that cannot be replayed

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        key = (x.shape, x.dtype, y.shape, y.dtype)
        self.optimizer.zero_grad()
        compiled = self.replays.get(key)
        # A tensor hook, a forward pre-hook or backward hook, or an observer (detect_anomaly, explain)
        # must see or change every op: the replay applies none through Function.apply, so it steps
        # aside (the numbers are the same). Forward hooks are called again after each replayed forward.
        stepping_aside = (
            hooks_registered()
            or is_recording()
            or module_hooks.replay_blocking_hooks(self._modules())
        )
        if compiled is not None and not stepping_aside:
            replay, output, taps, version = compiled
            if version != module_hooks.hooks_version():  # hooks added or removed: record again
                del self.replays[key]
            else:
                try:
                    loss = replay.run(x, y)
                except (
                    NotReplayableError
                ):  # a parameter was frozen or unfrozen: record this shape again
                    del self.replays[key]
                else:
                    if taps:
                        module_hooks.fire_forward_hooks(taps)
                    replay.backward()
                    self.update()
                    return float(loss), output.data
        inputs = (Tensor._from_op(x, None), Tensor._from_op(y, None))
        if key in self.eager_keys or stepping_aside:
            output, loss_tensor = self.model._forward_loss(self.forward, self.loss_fn, *inputs)
        else:  # the first batch of this shape: record it (and the module calls whose forward hooks ran)
            taps: list[Any] = []
            module_hooks._Taps.calls = taps
            try:
                with record() as ops:
                    output, loss_tensor = self.model._forward_loss(
                        self.forward, self.loss_fn, *inputs
                    )
            finally:
                module_hooks._Taps.calls = None
            self._remember(key, ops, inputs, output, loss_tensor, taps)
        loss_tensor.backward()
        if key in self.replays:
            self.replays[key][0].release()  # the recorded intermediates, until the first replay
        self.update()
        return float(loss_tensor.data), output.data

    def _modules(self) -> Iterator[Any]:
        """The modules whose hooks this step runs: the model's and the loss's (when a Module)."""
        yield from self.model.modules()
        if hasattr(self.loss_fn, "modules"):
            yield from self.loss_fn.modules()

    def _remember(
        self,
        key: tuple[Any, ...],
        ops: list[Any],
        inputs: tuple[Tensor, Tensor],
        output: Tensor,
        loss: Tensor,
        taps: list[Any],
    ) -> None:
        """Keep the replay of a recorded step, or remember that this key runs eagerly.

        At most ``MAX_REPLAYS`` shapes are kept (the oldest recorded goes first): a caller whose
        batch shape changes at every step would otherwise keep one replay's buffers per shape.
        """
        if any(
            replaced for *_, replaced in taps
        ):  # a hook changed an output: only eager steps can do that
            self.eager_keys.add(key)
            return
        # (The tensors forward hooks see are their own objects, which keep this batch's arrays.)
        try:
            replay = Replay(ops, inputs, loss, keep=[output])
        except NotReplayableError:
            if len(self.eager_keys) >= MAX_REPLAYS:
                self.eager_keys.pop()
            self.eager_keys.add(key)
        else:
            self.replays[key] = (replay, output, taps, module_hooks.hooks_version())
        while len(self.replays) > MAX_REPLAYS:
            oldest = next(iter(self.replays))
            self.replays.pop(oldest)[0].release()
