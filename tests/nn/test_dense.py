"""Dense: lazy build, activations, errors, same arrays as Linear."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError


def test_builds_from_the_first_input_and_then_checks_it() -> None:
    layer = gn.Dense(3, activation="relu", rng=0)
    assert not layer.built and list(layer.parameters()) == []
    out = layer(gn.Tensor(np.ones((2, 4), dtype=np.float32)))
    assert out.shape == (2, 3) and layer.weight.shape == (3, 4) and np.all(out.data >= 0)
    layer.name = "dense_1"
    with pytest.raises(
        ShapeError, match=r"dense_1: expected input of shape \(batch, 4\), got \(2, 5\)"
    ):
        layer(gn.Tensor(np.ones((2, 5), dtype=np.float32)))


def test_input_shape_builds_at_once_and_equals_linear_with_the_same_weights() -> None:
    dense = gn.Dense(2, input_shape=(3,), rng=0)
    linear = gn.Linear(3, 2, rng=1)
    linear.load_state_dict(dense.state_dict())
    x = gn.Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    np.testing.assert_array_equal(dense(x).data, linear(x).data)


@pytest.mark.parametrize(
    "activation, reference",
    [
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        ("softmax", lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
        (None, lambda z: z),
    ],
)
def test_activation_is_applied_to_the_pre_activation(activation, reference) -> None:
    layer = gn.Dense(3, activation=activation, input_shape=(2,), dtype=np.float64, rng=0)
    x = gn.Tensor(np.random.default_rng(1).normal(size=(5, 2)))
    np.testing.assert_allclose(layer(x).data, reference(layer.pre_activation(x).data), rtol=1e-12)


def test_bad_construction_arguments() -> None:
    with pytest.raises(ValueError, match="units must be a positive integer"):
        gn.Dense(0)
    with pytest.raises(ValueError, match="unknown activation 'swishy'; valid: linear, relu"):
        gn.Dense(2, activation="swishy")
    with pytest.raises(ValueError, match="valid names"):
        gn.Dense(2, kernel_initializer="nope")


def test_input_layer_builds_following_dense_layers_and_checks_samples() -> None:
    model = gn.Model([gn.Input((4,)), gn.Dense(8, activation="relu"), gn.Dense(2)])
    assert model.layers[1].built and model.layers[2].weight.shape == (2, 8)
    assert "(None, 8)" in model.summary(print_fn=lambda text: None)
    with pytest.raises(ShapeError, match=r"expected input of shape \(n_samples, 4\)"):
        model.predict(np.ones((3, 5)))
    with pytest.raises(ValueError, match="shape must hold positive integers"):
        gn.Input((0,))


def test_dense_is_a_lazy_linear_with_linears_names_and_draws() -> None:
    dense = gn.Dense(5, rng=3)
    assert isinstance(dense, gn.nn.Linear) and not dense.built and dense.in_features is None
    dense(gn.Tensor(np.ones((2, 4), dtype=np.float32)))
    linear = gn.nn.Linear(4, 5, rng=3)
    assert list(dense.state_dict()) == list(linear.state_dict()) == ["weight", "bias"]
    for name, array in linear.state_dict().items():
        assert dense.state_dict()[name].tobytes() == array.tobytes(), name
    assert (dense.units, dense.out_features, dense.in_features) == (5, 5, 4)


def test_dense_relu_runs_linears_fused_op_and_other_activations_do_not() -> None:
    from glassnet.ops.linalg import LinearReLU

    x = gn.Tensor(np.ones((2, 3), dtype=np.float32))
    assert type(gn.Dense(4, activation="relu", rng=0)(x).creator) is LinearReLU
    assert type(gn.Dense(4, activation="tanh", rng=0)(x).creator) is not LinearReLU


def test_dense_reset_parameters_before_build_does_nothing_and_build_uses_its_rng() -> None:
    dense = gn.Dense(2, rng=7)
    dense.reset_parameters(0)
    dense.zero_output_weights()
    assert not dense.built and not dense.freshly_initialized
    dense.build(3)
    assert dense.freshly_initialized
    np.testing.assert_array_equal(dense.weight.data, gn.nn.Linear(3, 2, rng=7).weight.data)
