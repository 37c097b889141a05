"""Module: the base of every layer. Parameters and sub-modules register themselves on assignment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import ShapeError
from . import hooks
from .parameter import Parameter

__all__ = ["Module"]


class Module:
    """Base class of layers and models, with PyTorch's contract.

    Assigning a :class:`Parameter` or a Module to an attribute registers it; ``named_parameters``
    yields them with dotted names (``layers.0.weight``) in insertion order. Subclasses implement
    ``forward`` and are called like functions. ``register_forward_pre_hook``,
    ``register_forward_hook`` and ``register_full_backward_hook`` follow PyTorch (see
    ``glassnet.nn.hooks``).

    >>> import glassnet as gn
    >>> class Affine(gn.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = gn.nn.Parameter([2.0])
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale']
    """

    training: bool
    name: str | None
    # True when forward only applies glassnet ops to its input and parameters, the same ops for
    # every input of a shape, with no other effect (no random draws, state updates or values
    # computed from the data outside the ops): then fit may record one step and replay it
    # (glassnet.training.compiled_step). Only the class that sets it is trusted, not its
    # subclasses, which may change forward.
    traceable: bool = False

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "name", None)

    def __setattr__(self, name: str, value: Any) -> None:
        own = self.__dict__
        parameters = own.get("_parameters")
        if parameters is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"{type(self).__name__}: cannot assign {name!r} before Module.__init__() ran; "
                    "call super().__init__() first in your __init__."
                )
        else:
            buffers, modules = own["_buffers"], own["_modules"]
            if name in buffers:
                buffers[name] = value
            elif isinstance(value, (Parameter, Module)) or name in parameters or name in modules:
                # Popped first: a reassigned name moves to the end of its registry.
                parameters.pop(name, None)
                modules.pop(name, None)
                if isinstance(value, Parameter):
                    parameters[name] = value
                elif isinstance(value, Module):
                    modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """Keep a non-trainable array (e.g. running statistics) that ``state_dict`` saves."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before register_buffer."
            )
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) of every buffer, as ``named_parameters`` does for parameters."""
        for module_prefix, module in self.named_modules(prefix):
            for name, array in module._buffers.items():
                yield (f"{module_prefix}.{name}" if module_prefix else name), array

    def __delattr__(self, name: str) -> None:
        self._buffers.pop(name, None)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any) -> Tensor:
        """The module's computation; ``module(x)`` calls it."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward().")

    # __call__ is hooks.plain_call, or hooks.hooked_call while some hook or observer needs it
    # (installed below the class): calling a module costs nothing more when no hook is registered.

    def register_forward_pre_hook(self, hook: Any) -> hooks.RemovableHandle:
        """``hook(module, args)`` runs before each ``forward``; it may return new args (a tuple or one
        value). Returns a handle: ``handle.remove()`` unregisters it. As PyTorch's."""
        return hooks.add_hook(self, "_forward_pre_hooks", hook)

    def register_forward_hook(self, hook: Any) -> hooks.RemovableHandle:
        """``hook(module, args, output)`` runs after each ``forward``; it may return a new output.

        >>> import glassnet as gn, numpy as np
        >>> layer = gn.nn.ReLU()
        >>> seen = []
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = layer(gn.Tensor(np.ones((3, 2)))); handle.remove(); seen
        [(3, 2)]
        """
        return hooks.add_hook(self, "_forward_hooks", hook)

    def register_full_backward_hook(self, hook: Any) -> hooks.RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to the
        module's inputs are computed (tuples of Tensors, None for an input that needs no gradient);
        it may return a replacement ``grad_input`` tuple. As PyTorch's."""
        return hooks.add_hook(self, "_backward_hooks", hook)

    @property
    def display_name(self) -> str:
        """The name used in messages: the one a Model gave it, else the class name."""
        return self.name or type(self).__name__

    # ----------------------------------------------------------------- traversal
    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once, in registration order."""
        seen: set[int] = set()
        for module_prefix, module in self.named_modules(prefix) if recurse else [(prefix, self)]:
            for name, param in module._parameters.items():
                if id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, once each, in registration order (those of submodules too, by default)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names ('' for self)."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, depth first."""
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        """The direct submodules, in registration order."""
        yield from self._modules.values()

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics); returns self."""
        return self._set_training(mode)

    def eval(self) -> Module:
        """Evaluation mode; the same as ``train(False)``."""
        return self._set_training(False)

    def _set_training(self, mode: bool) -> Module:
        # Not through train(): Model.train is also the seed blog's training loop.
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for param in self.parameters():
            param.grad = None

    def num_parameters(self) -> int:
        """How many numbers the parameters hold in all."""
        return sum(p.size for p in self.parameters())

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter's and buffer's array, keyed by dotted name."""
        state = {name: param.data.copy() for name, param in self.named_parameters()}
        state.update((name, array.copy()) for name, array in self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters, in place, after checking every name and shape.

        All problems are collected before anything is changed, so a failed load leaves the
        module as it was. ``strict=False`` ignores missing and unexpected names (not shapes).
        """
        params: dict[str, Any] = dict(self.named_parameters())
        params.update((name, Tensor._from_op(array, None)) for name, array in self.named_buffers())
        problems = []
        if strict:
            problems += [
                f"missing {name} (shape {params[name].shape})"
                for name in params
                if name not in state
            ]
            problems += [f"unexpected {name}" for name in state if name not in params]
        arrays = {}
        for name, value in state.items():
            if name not in params:
                continue
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != params[name].shape:
                problems.append(f"{name}: given {array.shape}, model has {params[name].shape}")
            elif array.dtype.kind not in "biuf":
                problems.append(f"{name}: given dtype {array.dtype}, expected numbers")
            else:
                arrays[name] = array
        if problems:
            raise ShapeError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems) + ".")
        for name, array in arrays.items():
            np.copyto(params[name].data, array, casting="unsafe")
        for module in self.modules():
            if getattr(module, "freshly_initialized", False):
                module.freshly_initialized = False

    # ----------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """Constructor arguments shown by ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"


hooks.install(Module)
