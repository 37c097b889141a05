"""Parameter: a trainable Tensor owned by a Module."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that a :class:`~glassnet.nn.Module` registers and an optimizer updates.

    Assigning a Parameter to a module attribute registers it under that name.

    >>> import numpy as np
    >>> p = Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> p.requires_grad, p.shape
    (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)
        if self.data.dtype.kind != "f":
            raise TypeError(
                f"Parameter: expected floating-point data, got dtype {self.data.dtype}."
            )
        # A parameter owns its buffer: optimizers update it in place.
        if not self.data.flags.writeable or not self.data.flags.c_contiguous:
            self.data = np.ascontiguousarray(self.data).copy()

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
