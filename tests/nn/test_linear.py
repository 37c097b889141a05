"""Linear: shapes, initial weights, errors naming the layer, and agreement with torch.nn.Linear."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch


def test_output_shape_dtype_and_parameter_shapes() -> None:
    layer = gn.Linear(3, 4, rng=0)
    out = layer(gn.Tensor(np.zeros((5, 3), dtype=np.float32)))
    assert out.shape == (5, 4) and out.dtype == np.float32
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (4,)


def test_float64_layer_computes_in_float64() -> None:
    layer = gn.Linear(2, 2, dtype=np.float64, rng=0)
    assert layer(gn.Tensor(np.ones((1, 2)))).dtype == np.float64


def test_no_bias() -> None:
    layer = gn.Linear(3, 2, bias=False, rng=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(gn.Tensor(np.zeros((1, 3), dtype=np.float32))).data, 0)


def test_same_rng_gives_same_weights_and_seed_function_repeats() -> None:
    np.testing.assert_array_equal(
        gn.Linear(4, 3, rng=7).weight.data, gn.Linear(4, 3, rng=7).weight.data
    )
    gn.seed(3)
    first = gn.Linear(4, 3).weight.data.copy()
    gn.seed(3)
    np.testing.assert_array_equal(first, gn.Linear(4, 3).weight.data)


def test_blog_uniform_scheme_draws_weights_and_biases_in_unit_interval() -> None:
    layer = gn.Linear(50, 40, init="blog_uniform", rng=0)
    for p in (layer.weight.data, layer.bias.data):
        assert p.min() >= 0 and p.max() < 1 and p.std() > 0.2


def test_wrong_feature_count_names_the_layer_and_both_shapes() -> None:
    layer = gn.Linear(2, 5, rng=0)
    layer.name = "linear_1"
    with pytest.raises(
        ShapeError, match=r"linear_1: expected input of shape \(batch, 2\), got \(10, 3\)"
    ):
        layer(gn.Tensor(np.zeros((10, 3), dtype=np.float32)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None])
def test_construction_rejects_bad_sizes(bad) -> None:
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        gn.Linear(bad, 3)


def test_unknown_init_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="valid names: .*he_uniform"):
        gn.Linear(2, 3, init="nope")


def test_matches_torch_linear_values_and_gradients(torch, rng) -> None:
    layer = gn.Linear(3, 4, dtype=np.float64, rng=0)
    twin = torch.nn.Linear(3, 4).double()
    with torch.no_grad():
        twin.weight.copy_(to_torch(layer.weight.data))
        twin.bias.copy_(to_torch(layer.bias.data))
    x = rng.normal(size=(6, 3))
    ours_x, theirs_x = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    upstream = rng.normal(size=(6, 4))
    ours = layer(ours_x)
    theirs = twin(theirs_x)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    assert_close("value", ours.data, from_torch(theirs), 1e-12, 1e-10)
    assert_close("dx", ours_x.grad, from_torch(theirs_x.grad), 1e-12, 1e-10)
    assert_close("dW", layer.weight.grad, from_torch(twin.weight.grad), 1e-12, 1e-10)
    assert_close("db", layer.bias.grad, from_torch(twin.bias.grad), 1e-12, 1e-10)


def test_layer_gradients_pass_gradcheck() -> None:
    layer = gn.Linear(3, 2, dtype=np.float64, rng=0)
    assert gn.gradcheck(
        lambda x, w, b: gn.functional.linear(x, w, b),
        gn.Tensor(np.random.default_rng(0).normal(size=(4, 3))),
        layer.weight,
        layer.bias,
    )
