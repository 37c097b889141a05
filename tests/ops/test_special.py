"""erf, written in NumPy for the exact GELU, against math.erf."""

from __future__ import annotations

import math

import numpy as np

from glassnet.ops._special import erf


def test_erf_matches_math_erf_on_a_dense_grid() -> None:
    x = np.linspace(-10, 10, 20001)
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=2e-15, atol=1e-16)


def test_erf_near_zero_and_at_the_series_switch() -> None:
    x = np.array([0.0, 1e-300, -1e-8, 2.9999999, 3.0, 3.0000001, -3.0])
    np.testing.assert_allclose(erf(x), [math.erf(v) for v in x], rtol=2e-15, atol=1e-300)


def test_erf_limits_nan_and_dtype() -> None:
    out = erf(np.array([np.inf, -np.inf, np.nan, 40.0]))
    assert out[0] == 1.0 and out[1] == -1.0 and np.isnan(out[2]) and out[3] == 1.0
    assert erf(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert erf(np.array(0.5)).shape == ()
