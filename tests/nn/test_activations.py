"""Activation layers: the blog's optional units, the contract every layer follows, torch twins."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch

LAYERS = [
    (gn.ReLU, lambda torch: torch.nn.ReLU()),
    (gn.LeakyReLU, lambda torch: torch.nn.LeakyReLU()),
    (gn.ELU, lambda torch: torch.nn.ELU()),
    (gn.SELU, lambda torch: torch.nn.SELU()),
    (gn.GELU, lambda torch: torch.nn.GELU()),
    (gn.Sigmoid, lambda torch: torch.nn.Sigmoid()),
    (gn.Tanh, lambda torch: torch.nn.Tanh()),
    (gn.Softplus, lambda torch: torch.nn.Softplus()),
    (gn.Softmax, lambda torch: torch.nn.Softmax(dim=-1)),
    (gn.LogSoftmax, lambda torch: torch.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("layer_class, twin", LAYERS, ids=lambda v: getattr(v, "__name__", ""))
def test_layer_matches_torch_and_keeps_shape_and_dtype(layer_class, twin, torch, rng) -> None:
    x = rng.uniform(-3, 3, size=(6, 4)).astype(np.float32)
    x[np.abs(x) < 0.05] = 0.5  # away from kinks
    ours_x, theirs_x = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    ours, theirs = layer_class(4)(ours_x), twin(torch)(theirs_x)
    assert ours.shape == x.shape and ours.dtype == np.float32
    upstream = rng.normal(size=x.shape).astype(np.float32)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    assert_close("value", ours.data, from_torch(theirs), 1e-5, 1e-4)
    assert_close("grad", ours_x.grad, from_torch(theirs_x.grad), 1e-5, 1e-4)


@pytest.mark.parametrize("layer_class", [cls for cls, _ in LAYERS], ids=lambda c: c.__name__)
def test_units_mismatch_names_the_layer_and_shapes(layer_class) -> None:
    layer = layer_class(5)
    layer.name = "act_1"
    with pytest.raises(
        ShapeError, match=r"act_1: expected input of shape \(batch, 5\), got \(3, 2\)"
    ):
        layer(gn.Tensor(np.zeros((3, 2), dtype=np.float32)))


@pytest.mark.parametrize("bad", [0, -2, 1.5])
def test_units_must_be_positive_integers(bad) -> None:
    with pytest.raises(ValueError, match="units must be a positive integer"):
        gn.ReLU(bad)


def test_units_are_optional_and_layers_have_no_parameters() -> None:
    layer = gn.ReLU()
    assert layer(gn.Tensor(np.ones((2, 7), dtype=np.float32))).shape == (2, 7)
    assert list(layer.parameters()) == []


# ----------------------------------------------------------------- the activation registry
SPECS = [spec for spec in gn.nn.activations.ACTIVATIONS.values() if spec.layer is not None]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_registry_function_layer_and_torch_module_agree(spec, torch, rng) -> None:
    x = rng.uniform(-3, 3, size=(5, 4)).astype(np.float32)
    by_function = spec.function(gn.Tensor(x)).data
    np.testing.assert_array_equal(by_function, spec.layer()(gn.Tensor(x)).data)
    module = getattr(torch.nn, spec.torch)
    twin = module(dim=-1) if spec.along_axis else module()
    assert_close(spec.name, by_function, from_torch(twin(to_torch(x))), 1e-5, 1e-4)
    assert gn.nn.activations.activation_of(spec.layer()) is spec


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_registry_layer_is_public_and_loadable_by_name(spec) -> None:
    from glassnet.io.serialization import LAYERS, _register_builtins

    _register_builtins()
    name = spec.layer.__name__
    assert getattr(gn, name) is spec.layer and getattr(gn.nn, name) is spec.layer
    assert LAYERS[name] is spec.layer


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_dense_with_a_registry_name_equals_dense_then_the_layer(spec, rng) -> None:
    dense = gn.Dense(4, activation=spec.name, input_shape=(3,), rng=0)
    plain = gn.Dense(4, input_shape=(3,), rng=0)
    x = gn.Tensor(rng.normal(size=(6, 3)).astype(np.float32))
    np.testing.assert_allclose(dense(x).data, spec.layer()(plain(x)).data, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.Dense(2, activation="swish"),
        lambda: gn.Conv2D(2, 3, activation="swish"),
        lambda: gn.SimpleRNN(2, activation="swish"),
        lambda: gn.nn.activations.get_activation("swish", "Dense"),
    ],
    ids=["Dense", "Conv2D", "SimpleRNN", "get_activation"],
)
def test_an_unknown_name_gets_one_error_listing_the_known_ones(make) -> None:
    known = ", ".join(gn.nn.activations.ACTIVATIONS)
    with pytest.raises(gn.errors.InputError, match=f"unknown activation 'swish'; valid: {known}"):
        make()


def test_activation_of_finds_subclasses_and_nothing_for_other_layers() -> None:
    class MySigmoid(gn.Sigmoid):
        pass

    assert gn.nn.activations.activation_of(MySigmoid()).name == "sigmoid"
    assert gn.nn.activations.activation_of(gn.Dense(2)) is None


def test_a_name_that_is_not_a_string_gets_the_same_error() -> None:
    with pytest.raises(gn.errors.InputError, match=r"Dense: unknown activation \['relu'\]; valid"):
        gn.Dense(2, activation=["relu"])
