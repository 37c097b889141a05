"""Sequential: layers applied one after the other."""

from __future__ import annotations

from collections.abc import Iterator

from ..autograd.tensor import Tensor
from .module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Applies its modules in order; they are registered as ``"0"``, ``"1"``, ...

    >>> import glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 5, rng=0), gn.nn.ReLU(), gn.nn.Linear(5, 1, rng=0))
    >>> [name for name, _ in net.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    traceable = True

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: expected a Module, got {type(module).__name__}.")
        setattr(self, str(len(self._modules)), module)
        return self

    def forward(self, x: Tensor) -> Tensor:
        """Each module in turn, the output of one the input of the next."""
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
