"""erf and erfc, written in NumPy for the exact GELU, against math.erf and math.erfc."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.ops._special import erf, erfc

GRID = np.linspace(-10, 10, 20001)
# Around the switch from the series to the continued fraction, at |x| = 2.
SWITCH = np.array([1.9999999999999998, 2.0, 2.0000000000000004, 1.99, 2.01])


def _math(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(v) for v in x.ravel()]).reshape(x.shape)


def test_erf_matches_math_erf_on_a_dense_grid() -> None:
    np.testing.assert_allclose(erf(GRID), _math(math.erf, GRID), rtol=2e-15, atol=0)


def test_erf_matches_math_erf_on_a_random_sample() -> None:
    x = np.random.default_rng(0).normal(scale=2.0, size=20000)
    np.testing.assert_allclose(erf(x), _math(math.erf, x), rtol=2e-15, atol=0)


def test_erf_near_zero_at_the_series_switch_and_in_the_tails() -> None:
    x = np.concatenate([[1e-300, 5e-324, -1e-8, 1e-3], SWITCH, -SWITCH, [5.9, 6.0, -6.0, 27.0]])
    np.testing.assert_allclose(erf(x), _math(math.erf, x), rtol=2e-15, atol=0)


def test_erf_is_odd_exactly() -> None:
    np.testing.assert_array_equal(erf(-GRID), -erf(GRID))


def test_erf_is_plus_minus_one_from_six_on() -> None:
    x = np.array([6.0, 7.5, 40.0, 1e10, 1e300, np.finfo(np.float64).max])
    np.testing.assert_array_equal(erf(x), np.ones_like(x))
    np.testing.assert_array_equal(erf(-x), -np.ones_like(x))


def test_erf_limits_signed_zero_and_nan() -> None:
    out = erf(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert out[0] == 1.0 and out[1] == -1.0 and np.isnan(out[2])
    assert out[3] == 0.0 and not np.signbit(out[3])
    assert out[4] == 0.0 and np.signbit(out[4])


def test_erfc_matches_math_erfc_relatively_in_both_tails() -> None:
    tails = GRID[np.abs(GRID) >= 2]
    np.testing.assert_allclose(erfc(tails), _math(math.erfc, tails), rtol=2e-15, atol=0)
    far = np.array([10.0, 20.0, 26.0, 27.0])
    np.testing.assert_allclose(erfc(far), _math(math.erfc, far), rtol=2e-15, atol=0)


def test_erfc_is_one_minus_erf_to_rounding_in_the_middle() -> None:
    middle = GRID[np.abs(GRID) < 2]
    np.testing.assert_allclose(erfc(middle), _math(math.erfc, middle), rtol=2e-13, atol=1e-16)
    np.testing.assert_allclose(erfc(SWITCH), _math(math.erfc, SWITCH), rtol=2e-13)


def test_erfc_limits_underflow_and_nan() -> None:
    out = erfc(np.array([np.inf, -np.inf, np.nan, 0.0, 30.0, 1e300, -1e300]))
    assert out[0] == 0.0 and out[1] == 2.0 and np.isnan(out[2]) and out[3] == 1.0
    assert out[4] == 0.0 and out[5] == 0.0 and out[6] == 2.0


def test_erf_and_erfc_add_up_to_one() -> None:
    np.testing.assert_allclose(erf(GRID) + erfc(GRID), 1.0, rtol=0, atol=4e-16)


@pytest.mark.parametrize("fn", [erf, erfc], ids=["erf", "erfc"])
def test_float_dtypes_are_kept_and_integers_become_float64(fn) -> None:
    for dtype in (np.float16, np.float32, np.float64):
        x = np.linspace(-3, 3, 13, dtype=dtype)
        out = fn(x)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, fn(x.astype(np.float64)).astype(dtype), rtol=0, atol=0)
    assert fn(np.array([0, 1, -3])).dtype == np.float64


def test_float32_input_is_rounded_once_from_float64() -> None:
    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    expected = _math(math.erf, x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(erf(x), expected)


@pytest.mark.parametrize("fn", [erf, erfc], ids=["erf", "erfc"])
def test_shapes_are_kept_including_scalars_and_empty_arrays(fn) -> None:
    assert fn(np.array(0.5)).shape == ()
    assert fn(0.5).shape == ()
    assert fn(np.zeros((0, 3))).shape == (0, 3)
    x = GRID[:24].reshape(2, 3, 4)
    np.testing.assert_array_equal(fn(x), fn(x.ravel()).reshape(2, 3, 4))


@pytest.mark.parametrize("fn", [erf, erfc], ids=["erf", "erfc"])
def test_input_array_is_not_modified(fn) -> None:
    x = GRID.copy()
    fn(x)
    np.testing.assert_array_equal(x, GRID)
