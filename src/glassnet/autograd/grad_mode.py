"""Grad mode: whether ops record a graph (:func:`no_grad`, :func:`enable_grad`), and the list a
recording (:func:`glassnet.autograd.replay.record`) or an observer appends every op to.

The lowest part of autograd: it imports nothing of glassnet, so Tensor, Function and the
observers (observe.py) can all read it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]


class _GradMode(threading.local):
    enabled = True
    # While autograd.replay.record() runs: the list that every apply appends (op, inputs, output) to.
    recording: list[tuple[Any, list[Any], Any]] | None = None  # (Function, Tensors, Tensor)


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside a :func:`no_grad` block."""
    return _grad_mode.enabled


@contextlib.contextmanager
def _grad_mode_set(enabled: bool) -> Iterator[None]:
    previous = _grad_mode.enabled
    _grad_mode.enabled = enabled
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager in which ops build no graph (inference, optimizer updates).

    >>> import glassnet as gn
    >>> w = gn.Tensor([1.0, 2.0], requires_grad=True)
    >>> with gn.no_grad():
    ...     y = (w * 2).sum()
    >>> y.requires_grad
    False
    """
    return _grad_mode_set(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager that turns graph building back on inside a :func:`no_grad` block."""
    return _grad_mode_set(True)
