"""THE op table: every differentiable op of glassnet, its sample shapes, domain and torch twin.

Each family of ops keeps its rows in ``cases_<family>.py`` (mirroring ``glassnet/ops/<family>.py``);
this module gathers them. Adding an op means adding one :class:`OpCase` row: the parametrised
tests then check it against finite differences (``test_gradients.py``) and against PyTorch
(``test_against_torch.py``), in float32 and float64. Bad inputs go in the same files as
:class:`ErrorCase` rows with the message they must produce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, tuple[Shape, ...], np.dtype], list[np.ndarray]]


@dataclass(frozen=True)
class OpCase:
    """One op under test.

    Attributes:
        name: test id; ``"<op>"`` or ``"<op>-<variant>"``.
        fn: the glassnet call, on Tensors.
        torch_fn: the same computation on torch tensors (``None`` only when torch has no twin).
        shapes: one tuple of input shapes per sample; include a scalar ``()``, a broadcast pair,
            a size-1 axis and, where meaningful, an empty axis.
        low, high: the interval inputs are drawn from (per input when given as tuples).
        avoid: points where the op has a kink; samples closer than ``margin`` are moved away.
        sampler: custom input maker ``(rng, shapes, dtype) -> arrays`` (integer targets, masks...).
        grad_inputs: indices of the inputs to differentiate (default: every float input).
        gradcheck_atol, gradcheck_rtol: tolerances of the finite-difference check.
    """

    name: str
    fn: Callable[..., Any]
    torch_fn: Callable[..., Any] | None
    shapes: Sequence[tuple[Shape, ...]]
    low: float | tuple[float, ...] = -2.0
    high: float | tuple[float, ...] = 2.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.05
    sampler: Sampler | None = None
    grad_inputs: tuple[int, ...] | None = None
    gradcheck_atol: float = 1e-5
    gradcheck_rtol: float = 1e-3

    def samples(self, rng: np.random.Generator, dtype: Any) -> Iterator[list[np.ndarray]]:
        """Yield one list of input arrays per entry of ``shapes``."""
        dtype = np.dtype(dtype)
        for shapes in self.shapes:
            if self.sampler is not None:
                yield self.sampler(rng, shapes, dtype)
                continue
            yield [self._uniform(rng, shape, i).astype(dtype) for i, shape in enumerate(shapes)]

    def differentiable(self, arrays: list[np.ndarray]) -> list[bool]:
        if self.grad_inputs is not None:
            return [i in self.grad_inputs for i in range(len(arrays))]
        return [a.dtype.kind == "f" for a in arrays]

    def _uniform(self, rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
        low = self.low[index] if isinstance(self.low, tuple) else self.low
        high = self.high[index] if isinstance(self.high, tuple) else self.high
        values = rng.uniform(low, high, size=shape)
        for kink in self.avoid:
            near = np.abs(values - kink) < self.margin
            # Push samples off the kink, to the side they were on, so differences stay one-sided.
            values[near] = kink + np.where(values[near] >= kink, 1, -1) * (
                self.margin + rng.uniform(0, 0.1, near.sum())
            )
        return values


@dataclass(frozen=True)
class ErrorCase:
    """A bad call and the error it must raise: its type and a regex its message must match."""

    name: str
    call: Callable[[], Any]
    error: type[BaseException]
    match: str
    tags: tuple[str, ...] = field(default_factory=tuple)


def _gather() -> tuple[list[OpCase], list[ErrorCase]]:
    from . import (
        cases_activation,
        cases_arithmetic,
        cases_conv,
        cases_losses,
        cases_math,
        cases_normalization,
        cases_pooling,
        cases_reduce,
        cases_shape,
    )

    families = [
        cases_arithmetic,
        cases_math,
        cases_reduce,
        cases_shape,
        cases_activation,
        cases_losses,
        cases_normalization,
        cases_conv,
        cases_pooling,
    ]
    cases = [case for family in families for case in getattr(family, "CASES", [])]
    errors = [case for family in families for case in getattr(family, "ERROR_CASES", [])]
    return cases, errors


CASES, ERROR_CASES = _gather()
