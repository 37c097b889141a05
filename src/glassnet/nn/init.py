"""Weight initializers, looked up by name, each taking the run's random generator.

Every initializer has the signature ``init(shape, rng, dtype=np.float32) -> ndarray``. Fans follow
PyTorch's weight layout ``(out_features, in_features, *kernel)``: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)``; a 1-D shape (a bias) has ``fan_in = fan_out = shape[0]``.

>>> import numpy as np
>>> w = get("he_uniform")((5, 2), np.random.default_rng(0))
>>> w.shape, w.dtype
((5, 2), dtype('float32'))

Schemes (:data:`SCHEMES`) pair a weight initializer with a bias initializer; a layer's ``init=``
takes either a scheme name or a weight initializer name (biases then start at zero).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

__all__ = [
    "Initializer",
    "fans",
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "get",
    "get_scheme",
    "INITIALIZERS",
    "SCHEMES",
    "DEFAULT_SCHEME",
]

Shape = tuple[int, ...]
Initializer = Callable[..., np.ndarray]


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` in PyTorch's layout."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def zeros(
    shape: Shape, rng: np.random.Generator | None = None, dtype: Any = np.float32
) -> np.ndarray:
    """All zeros."""
    return np.zeros(shape, dtype=dtype)


def ones(
    shape: Shape, rng: np.random.Generator | None = None, dtype: Any = np.float32
) -> np.ndarray:
    """All ones."""
    return np.ones(shape, dtype=dtype)


def constant(
    shape: Shape,
    rng: np.random.Generator | None = None,
    dtype: Any = np.float32,
    value: float = 0.0,
) -> np.ndarray:
    """Every entry equal to ``value``; use ``partial(constant, value=0.1)``."""
    return np.full(shape, value, dtype=dtype)


def uniform(
    shape: Shape,
    rng: np.random.Generator,
    dtype: Any = np.float32,
    low: float = -0.05,
    high: float = 0.05,
) -> np.ndarray:
    """U(low, high); Keras's RandomUniform defaults."""
    return rng.uniform(low, high, size=shape).astype(dtype)


def normal(
    shape: Shape,
    rng: np.random.Generator,
    dtype: Any = np.float32,
    mean: float = 0.0,
    std: float = 0.05,
) -> np.ndarray:
    """N(mean, std^2); Keras's RandomNormal defaults."""
    return rng.normal(mean, std, size=shape).astype(dtype)


def glorot_uniform(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010; Keras's default)."""
    fan_in, fan_out = fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_normal(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape).astype(dtype)


def he_uniform(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / fan_in): keeps ReLU activations' variance (He et al. 2015)."""
    fan_in, _ = fans(shape)
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def he_normal(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """N(0, 2 / fan_in)."""
    fan_in, _ = fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape).astype(dtype)


def lecun_uniform(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """U(-a, a) with a = sqrt(3 / fan_in) (variance 1 / fan_in; for SELU)."""
    fan_in, _ = fans(shape)
    limit = math.sqrt(3.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def lecun_normal(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """N(0, 1 / fan_in)."""
    fan_in, _ = fans(shape)
    return rng.normal(0.0, math.sqrt(1.0 / fan_in), size=shape).astype(dtype)


def orthogonal(
    shape: Shape, rng: np.random.Generator, dtype: Any = np.float32, gain: float = 1.0
) -> np.ndarray:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al. 2014)."""
    if len(shape) < 2:
        raise ValueError(f"orthogonal: expected a shape with at least 2 axes, got {shape}.")
    rows, cols = shape[0], math.prod(shape[1:])
    flat = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).reshape(shape).astype(dtype)


def _blog_uniform(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    # The seed blog post's np.random.rand: U[0, 1) for weights and biases alike.
    return rng.random(size=shape).astype(dtype)


def _torch_bias(
    shape: Shape, rng: np.random.Generator, dtype: Any = np.float32, fan_in: int = 1
) -> np.ndarray:
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _torch_weight(shape: Shape, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    # kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    fan_in, _ = fans(shape)
    return _torch_bias(shape, rng, dtype, fan_in=fan_in)


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "constant": constant,
    "uniform": uniform,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "kaiming_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "orthogonal": orthogonal,
}

BiasInitializer = Callable[[Shape, np.random.Generator, Any, int], np.ndarray]

# A scheme: (weight initializer, bias initializer taking fan_in as its 4th argument).
SCHEMES: dict[str, tuple[Initializer, BiasInitializer]] = {
    "blog_uniform": (
        _blog_uniform,
        lambda shape, rng, dtype, fan_in: _blog_uniform(shape, rng, dtype),
    ),
    "torch": (
        _torch_weight,
        lambda shape, rng, dtype, fan_in: _torch_bias(shape, rng, dtype, fan_in),
    ),
}

# glassnet's default, found by the founding-example study (benchmarks/founding_study.py):
# He-uniform weights and zero biases for every Linear and Dense layer, and a Model zeroes the
# weights of a narrow output layer (fed by fewer than NARROW_WIDTH units) before its first training
# step. With random output weights, the hidden units whose output weight has the "wrong" sign are
# pushed towards zero in the first steps, and in a narrow layer (the blog's 2-unit one) they can
# all die: the network then predicts a constant. A zero output layer passes no gradient back until
# its weights have grown in the direction of the hidden features that already help, so no unit is
# pushed to death by chance. On the 2-5-2-1 circles network: ROC AUC 0.999 on average over 10
# seeds (min 0.998), against 0.949 (min 0.5) for He weights everywhere.
DEFAULT_SCHEME = "he_uniform"

# The risk of that die-off falls fast with the width k of the layer feeding the output (every unit
# must draw the wrong sign: about 2^-k), while on wide layers a random output start generalizes
# better. Measured by benchmarks/output_init_study.py (figures in benchmarks/README.md):
# - circles 2-5-k-1, He everywhere, 10 seeds: k = 2 min AUC 0.500 (a dead network), k = 4 min 0.998;
# - digits 64-128-10, Adam, 20 seeds: test accuracy 0.9772 with He everywhere, 0.9715 with a zero
#   output layer.
# So only an output layer fed by fewer than NARROW_WIDTH units (2^-8 < 0.4%) starts at zero.
NARROW_WIDTH = 8


def get(name_or_fn: str | Initializer) -> Initializer:
    """The initializer called ``name`` (see :data:`INITIALIZERS`), or ``name_or_fn`` if callable."""
    if callable(name_or_fn):
        return name_or_fn
    try:
        return INITIALIZERS[name_or_fn]
    except KeyError:
        valid = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"Unknown initializer {name_or_fn!r}; valid names: {valid}.") from None


def get_scheme(name_or_fn: str | Initializer) -> tuple[Initializer, BiasInitializer]:
    """(weight init, bias init) for a layer's ``init=``: a scheme, or a weight init with zero biases."""
    if isinstance(name_or_fn, str) and name_or_fn in SCHEMES:
        return SCHEMES[name_or_fn]
    if isinstance(name_or_fn, str) and name_or_fn not in INITIALIZERS:
        valid = ", ".join(sorted([*INITIALIZERS, *SCHEMES]))
        raise ValueError(f"Unknown init {name_or_fn!r}; valid names: {valid}.")
    weight_init = get(name_or_fn)
    return weight_init, lambda shape, rng, dtype, fan_in: zeros(shape, rng, dtype)


def with_options(name: str, **options: Any) -> Initializer:
    """An initializer with options bound, e.g. ``with_options("constant", value=0.1)``."""
    return partial(get(name), **options)
