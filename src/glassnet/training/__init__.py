"""The Keras-like training surface: Model and its input checks."""

from .model import Model

__all__ = ["Model"]
