"""Initializers: names, shapes, dtypes, the variances they promise, seeding, schemes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.nn import init

SHAPE = (400, 300)  # fan_out, fan_in in PyTorch's layout


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize(
    "name, expected_std",
    [
        ("glorot_uniform", math.sqrt(2 / (300 + 400))),
        ("glorot_normal", math.sqrt(2 / (300 + 400))),
        ("xavier_uniform", math.sqrt(2 / (300 + 400))),
        ("he_uniform", math.sqrt(2 / 300)),
        ("he_normal", math.sqrt(2 / 300)),
        ("kaiming_normal", math.sqrt(2 / 300)),
        ("lecun_uniform", math.sqrt(1 / 300)),
        ("lecun_normal", math.sqrt(1 / 300)),
    ],
)
def test_variance_scaling_initializers_have_their_standard_deviation(name, expected_std) -> None:
    w = init.get(name)(SHAPE, _rng())
    assert w.shape == SHAPE and w.dtype == np.float32
    assert abs(w.mean()) < 0.01 * expected_std * 10
    assert w.std() == pytest.approx(expected_std, rel=0.02)


def test_uniform_initializers_stay_inside_their_limit() -> None:
    w = init.he_uniform(SHAPE, _rng())
    assert np.abs(w).max() <= math.sqrt(6 / 300)


def test_constant_zeros_ones_and_float64() -> None:
    assert np.all(init.zeros((2, 3)) == 0) and np.all(init.ones((2, 3)) == 1)
    assert np.all(init.constant((2,), value=0.1) == np.float32(0.1))
    assert init.with_options("constant", value=2.0)((3,), None).tolist() == [2.0, 2.0, 2.0]
    assert init.he_normal((3, 2), _rng(), dtype=np.float64).dtype == np.float64


def test_orthogonal_gives_orthonormal_rows_or_columns() -> None:
    tall = init.orthogonal((6, 3), _rng(), dtype=np.float64)
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)
    wide = init.orthogonal((3, 6), _rng(), dtype=np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.orthogonal((3,), _rng())


def test_fans_follow_torch_layout_including_convolution_kernels() -> None:
    assert init.fans((5, 2)) == (2, 5)
    assert init.fans((8, 3, 3, 3)) == (27, 72)
    assert init.fans((7,)) == (7, 7)


def test_same_generator_state_repeats_bit_for_bit() -> None:
    np.testing.assert_array_equal(
        init.glorot_uniform(SHAPE, _rng()), init.glorot_uniform(SHAPE, _rng())
    )


def test_schemes_pair_weight_and_bias_initializers() -> None:
    weight_init, bias_init = init.get_scheme("blog_uniform")
    w, b = weight_init((5, 2), _rng()), bias_init((5,), _rng(), np.float32, 2)
    assert w.min() >= 0 and w.max() < 1 and b.min() >= 0 and b.max() < 1
    weight_init, bias_init = init.get_scheme("torch")
    b = bias_init((1000,), _rng(), np.float32, 4)
    assert np.abs(b).max() <= 0.5 and b.std() > 0.25
    _, zero_bias = init.get_scheme("glorot_normal")
    assert np.all(zero_bias((4,), _rng(), np.float32, 3) == 0)


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid names: .*glorot_uniform"):
        init.get("glorot")
    with pytest.raises(ValueError, match="blog_uniform"):
        init.get_scheme("nonsense")
