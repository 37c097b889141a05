"""Special functions NumPy does not have: erf and erfc, for the exact GELU.

Both are computed in float64, element-wise over the whole array (the loops below run over the
terms of a series, never over elements). erf agrees with ``math.erf`` to a few units in the last
place on the whole real line, erfc with ``math.erfc`` likewise for |x| >= 2 (see the end for
|x| < 2; tests/ops/test_special.py checks both). Two formulas cover the real line:

* |x| < 2, the Maclaurin series in the form whose terms all share the sign of x::

      erf(x) = 2/sqrt(pi) * exp(-x^2) * x * sum_{k>=0} c_k y^k,  y = 2x^2,
      c_k = 1 / (1 * 3 * 5 * ... * (2k+1))

  All terms are positive, so nothing cancels. The first 32 are summed by Horner's rule
  (two in-place passes over the array per term); at |x| = 2 the last is 4e-18 of the sum.

* |x| >= 2, Laplace's continued fraction for the complementary function (a = |x|)::

      erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + (2/2)/(a + (3/2)/(a + ...))))

  evaluated bottom-up from 60 levels (converged to 1 ulp at a = 2, faster beyond), with
  erf(x) = sign(x) * (1 - erfc(a)) and erfc(-a) = 2 - erfc(a). erf(x) rounds to +-1 from
  |x| = 6 on, and erfc underflows to 0 beyond a = 27.3.

exp(-a^2) is taken as exp(-m^2) * exp(-(2 m f + f^2)) with m = a rounded to a multiple of
1/128 and f = a - m: m^2 is exact, so the rounding of a^2 (relative error a^2 * 1e-16, 7e-14
at a = 27) never reaches erfc's tail. Below |x| = 2, erfc = 1 - erf is accurate to 1e-16
absolute (about 2e-13 relative near x = 2, where erfc is 5e-3).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["erf", "erfc"]

_SWITCH = 2.0
_SERIES_TERMS = 32
# c_k = 1 / (1 * 3 * ... * (2k+1)), highest first for Horner's rule.
_SERIES_COEFFICIENTS = tuple(
    reversed([1.0 / math.prod(range(1, 2 * k + 2, 2)) for k in range(_SERIES_TERMS)])
)
_FRACTION_LEVELS = 60
# erfc(30) is about 1e-393: 0 in float64. Clipping there keeps a^2 finite for huge or infinite a.
_FRACTION_CLIP = 30.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, element-wise.

    Float inputs keep their dtype (computed in float64 and rounded once); others give float64.
    erf(+-inf) = +-1, erf(nan) = nan.

    >>> erf(np.array([0.0, -6.0, np.inf, np.nan])).tolist()
    [0.0, -1.0, 1.0, nan]
    >>> erf(np.float32(0.5)).dtype
    dtype('float32')
    """
    x, out_dtype = _as_float64(x)
    a = np.abs(x)
    out = np.full_like(x, np.nan)
    near = a < _SWITCH
    out[near] = _erf_series(x[near])
    far = a >= _SWITCH  # NaN is in neither set and stays NaN
    out[far] = np.copysign(1.0 - _erfc_fraction(a[far]), x[far])
    return out.astype(out_dtype, copy=False)


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function ``1 - erf(x)``, accurate in the right tail.

    Float inputs keep their dtype; erfc(inf) = 0, erfc(-inf) = 2, erfc(nan) = nan.

    >>> erfc(np.array([0.0, 10.0, -np.inf])).tolist()
    [1.0, 2.088487583762545e-45, 2.0]
    """
    x, out_dtype = _as_float64(x)
    a = np.abs(x)
    out = np.full_like(x, np.nan)
    near = a < _SWITCH
    out[near] = 1.0 - _erf_series(x[near])
    right = x >= _SWITCH
    out[right] = _erfc_fraction(x[right])
    left = x <= -_SWITCH
    out[left] = 2.0 - _erfc_fraction(a[left])
    return out.astype(out_dtype, copy=False)


def _as_float64(x: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """``x`` as a float64 array (a copy) and the dtype the result should have."""
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return x.astype(np.float64), out_dtype


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf for |x| < 2 by the all-positive series of the module docstring."""
    x2 = x * x
    y = 2.0 * x2
    total = np.full_like(x, _SERIES_COEFFICIENTS[0])
    for c in _SERIES_COEFFICIENTS[1:]:
        total *= y
        total += c
    return _TWO_OVER_SQRT_PI * np.exp(-x2) * x * total


def _erfc_fraction(a: np.ndarray) -> np.ndarray:
    """erfc for a >= 2 (including +inf) by Laplace's continued fraction, bottom-up."""
    a = np.minimum(a, _FRACTION_CLIP)
    tail = a.copy()
    for k in range(_FRACTION_LEVELS, 0, -1):
        tail = a + (k / 2.0) / tail
    return _exp_minus_square(a) * _ONE_OVER_SQRT_PI / tail


def _exp_minus_square(a: np.ndarray) -> np.ndarray:
    """exp(-a^2) without the rounding error of a^2 (see the module docstring)."""
    m = np.round(a * 128.0) / 128.0
    f = a - m
    return np.exp(-(m * m)) * np.exp(-(2.0 * m * f + f * f))
