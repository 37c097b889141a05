"""The single seeding point: one seed becomes the NumPy Generator every random consumer gets.

glassnet never touches NumPy's global random state. Initializers, dropout and shuffling take a
``numpy.random.Generator``; :func:`seed` sets the default one that is used when none is passed,
and :func:`rng` turns whatever the user gave (None, an int, a Generator) into a Generator.

>>> import glassnet
>>> glassnet.seed(0)
>>> a = glassnet.random.default_rng().normal()
>>> glassnet.seed(0)
>>> a == glassnet.random.default_rng().normal()
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["seed", "default_rng", "rng", "SeedLike"]

SeedLike = int | np.random.Generator | None

_default = np.random.default_rng()


def seed(value: int) -> None:
    """Reset the default generator so that everything random after this call repeats."""
    global _default
    _default = np.random.default_rng(value)


def default_rng() -> np.random.Generator:
    """The generator used when a caller passes no seed or generator of its own."""
    return _default


def rng(seed_or_generator: SeedLike = None) -> np.random.Generator:
    """Turn ``None`` (the default generator), an int (a fresh seeded one) or a Generator into one."""
    if seed_or_generator is None:
        return _default
    if isinstance(seed_or_generator, np.random.Generator):
        return seed_or_generator
    if isinstance(seed_or_generator, (int, np.integer)) and not isinstance(seed_or_generator, bool):
        return np.random.default_rng(int(seed_or_generator))
    raise TypeError(
        f"seed: expected None, an int or a numpy.random.Generator, "
        f"got {type(seed_or_generator).__name__}"
    )
