"""Weight penalties: formulas, gradients against torch, and their place in the training loss."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import regularizers


def test_penalty_formulas_and_names() -> None:
    w = gn.Tensor(np.array([[1.0, -2.0], [0.5, 0.0]]))
    assert regularizers.L1(0.1)(w).item() == pytest.approx(0.35)
    assert regularizers.L2(0.1)(w).item() == pytest.approx(0.525)
    assert regularizers.L1L2(0.1, 0.1)(w).item() == pytest.approx(0.875)
    assert isinstance(regularizers.get("l2"), regularizers.L2) and regularizers.get(None) is None
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        regularizers.get("l3")


def test_l2_penalty_gradient_is_weight_decay_on_the_weights() -> None:
    w = gn.Tensor(np.array([1.0, -3.0]), requires_grad=True)
    regularizers.L2(0.5)(w).backward()
    np.testing.assert_allclose(w.grad, [1.0, -3.0])
    assert gn.gradcheck(
        lambda t: regularizers.L1L2(0.2, 0.3)(t), gn.Tensor(np.array([0.7, -1.1, 2.0]))
    )


def test_penalty_shows_in_the_training_loss_as_in_keras() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    plain = gn.Model([gn.Dense(1, input_shape=(3,), kernel_initializer="ones")])
    penalized = gn.Model(
        [
            gn.Dense(
                1,
                input_shape=(3,),
                kernel_initializer="ones",
                kernel_regularizer=regularizers.L2(0.1),
            )
        ]
    )
    for model in (plain, penalized):
        model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="mse")
    gap = (
        penalized.fit(x, y, epochs=1, batch_size=None, verbose=0).history["loss"][0]
        - plain.fit(x, y, epochs=1, batch_size=None, verbose=0).history["loss"][0]
    )
    assert gap == pytest.approx(0.1 * 3, rel=1e-5)
    assert penalized.evaluate(x, y)["loss"] - plain.evaluate(x, y)["loss"] == pytest.approx(
        0.3, rel=1e-5
    )


def test_linear_layers_take_regularizers_too() -> None:
    layer = gn.Linear(2, 2, kernel_regularizer="l1", bias_regularizer="l2", init="ones")
    assert layer.regularization_loss().item() == pytest.approx(0.01 * 4)
    assert gn.Linear(2, 2).regularization_loss() is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fused_l2_penalty_equals_the_composed_ops_bit_for_bit(dtype) -> None:
    from glassnet.ops.reduce import sum as total

    w = np.random.default_rng(0).normal(size=(100, 30)).astype(dtype)
    fused, composed = (
        gn.Tensor(w.copy(), requires_grad=True),
        gn.Tensor(w.copy(), requires_grad=True),
    )
    value = regularizers.L2(0.0137)(fused)
    reference = total(composed * composed) * 0.0137
    (value * 3.0).backward()
    (reference * 3.0).backward()
    assert value.data.dtype == dtype and value.data == reference.data
    assert fused.grad.dtype == dtype and np.array_equal(fused.grad, composed.grad)
