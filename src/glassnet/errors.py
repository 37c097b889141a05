"""Public exceptions of glassnet.

Every error subclasses the built-in a user would already catch, so ``except ValueError``
keeps working around glassnet code. Messages say what was expected, what came, and,
where one is likely, the fix.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GlassnetError",
    "ShapeError",
    "InputError",
    "DTypeError",
    "GradcheckError",
    "GraphError",
    "NonFiniteError",
    "NonFiniteLossError",
    "ModelFileError",
    "NotCompiledError",
    "expected_got",
]


class GlassnetError(Exception):
    """Base class of every glassnet error; catch it to catch them all."""


class ShapeError(GlassnetError, ValueError):
    """Shapes that do not fit together: names the op or layer and both shapes."""


class InputError(GlassnetError, ValueError):
    """Data given to a model, layer or loss that it cannot use (empty, NaN, wrong labels…)."""


class DTypeError(GlassnetError, TypeError):
    """Data of a type glassnet cannot compute with (strings, objects, None)."""


class GradcheckError(GlassnetError, AssertionError):
    """An analytical gradient that disagrees with central finite differences."""


class GraphError(GlassnetError, RuntimeError):
    """Misuse of the autograd graph, e.g. a second backward through a freed graph."""


class NonFiniteError(GlassnetError, FloatingPointError):
    """A NaN or Inf appeared (``detect_anomaly``, ``fit(check_numerics=True)``): names the op, its
    layer, its inputs and the line of code that created it."""


class NonFiniteLossError(NonFiniteError):
    """A loss became NaN or infinite during training."""


class NotCompiledError(GlassnetError, RuntimeError):
    """``fit``/``evaluate`` called before ``compile``."""


class ModelFileError(GlassnetError, ValueError):
    """A model or weights file that is damaged, hostile or of another format."""


def expected_got(what: str, expected: Any, got: Any, hint: str = "") -> str:
    """Format the house error message: ``"<what>: expected <expected>, got <got>. <hint>"``.

    >>> expected_got("dense_1 input", "(batch, 2)", (5, 3))
    'dense_1 input: expected (batch, 2), got (5, 3).'
    """
    message = f"{what}: expected {expected}, got {got}."
    if hint:
        message += f" {hint}"
    return message
