"""Loss objects: names, the (y_pred, y_true) order, label shapes, and agreement with torch."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import losses
from glassnet.errors import ShapeError

from .oracle import assert_close, from_torch, to_torch


@pytest.mark.parametrize(
    "name, cls",
    [
        ("binary_crossentropy", losses.BinaryCrossEntropy),
        ("bce", losses.BinaryCrossEntropy),
        ("mse", losses.MeanSquaredError),
        ("mean_squared_error", losses.MeanSquaredError),
        ("mae", losses.MeanAbsoluteError),
        ("huber", losses.Huber),
        ("categorical_crossentropy", losses.CategoricalCrossEntropy),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossEntropy),
    ],
)
def test_names_give_loss_objects(name, cls) -> None:
    assert type(losses.get(name)) is cls


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid names: .*binary_crossentropy"):
        losses.get("crossentropy_of_doom")


def test_labels_of_shape_n_fit_predictions_of_shape_n_1() -> None:
    pred = gn.Tensor([[0.9], [0.2], [0.6]])
    a = losses.BinaryCrossEntropy()(pred, np.array([1, 0, 1]))
    b = losses.BinaryCrossEntropy()(pred, np.array([[1], [0], [1]]))
    assert a.item() == pytest.approx(b.item())


def test_element_wise_losses_refuse_silent_broadcasting() -> None:
    with pytest.raises(ShapeError):
        losses.MeanSquaredError()(gn.Tensor(np.zeros((4, 2))), np.zeros(4))


def _torch_pairs(torch):
    F = torch.nn.functional
    return [
        (losses.MeanSquaredError(), lambda p, t: F.mse_loss(p, t), "regression"),
        (losses.MeanAbsoluteError(), lambda p, t: F.l1_loss(p, t), "regression"),
        (losses.Huber(delta=0.5), lambda p, t: F.huber_loss(p, t, delta=0.5), "regression"),
        (losses.BinaryCrossEntropy(), lambda p, t: F.binary_cross_entropy(p, t), "probabilities"),
        (
            losses.BinaryCrossEntropy(from_logits=True),
            lambda p, t: F.binary_cross_entropy_with_logits(p, t),
            "logits",
        ),
    ]


def test_loss_objects_match_torch(torch, rng) -> None:
    for loss, twin, kind in _torch_pairs(torch):
        if kind == "probabilities":
            pred = rng.uniform(0.05, 0.95, (8, 1))
        else:
            pred = rng.normal(size=(8, 1))
        target = (
            (rng.random((8, 1)) > 0.5).astype(np.float64)
            if kind != "regression"
            else rng.normal(size=(8, 1))
        )
        ours_p, theirs_p = gn.Tensor(pred, requires_grad=True), to_torch(pred, requires_grad=True)
        ours, theirs = loss(ours_p, target), twin(theirs_p, to_torch(target))
        ours.backward()
        theirs.backward()
        assert_close(f"{loss} value", ours.data, from_torch(theirs), 1e-12, 1e-9)
        assert_close(f"{loss} grad", ours_p.grad, from_torch(theirs_p.grad), 1e-12, 1e-9)


def test_categorical_losses_on_probabilities_and_logits_match_torch(torch, rng) -> None:
    logits = rng.normal(size=(5, 3))
    labels = rng.integers(0, 3, 5)
    one_hot = np.eye(3)[labels]
    expected = torch.nn.functional.cross_entropy(to_torch(logits), to_torch(labels)).item()
    probabilities = gn.functional.softmax(gn.Tensor(logits), axis=-1)
    assert losses.SparseCategoricalCrossEntropy()(probabilities, labels).item() == pytest.approx(
        expected
    )
    assert losses.CategoricalCrossEntropy()(probabilities, one_hot).item() == pytest.approx(
        expected
    )
    assert losses.CategoricalCrossEntropy(from_logits=True)(
        gn.Tensor(logits), one_hot
    ).item() == pytest.approx(expected)
    assert losses.SparseCategoricalCrossEntropy(from_logits=True)(
        gn.Tensor(logits), labels.reshape(-1, 1)
    ).item() == pytest.approx(expected)


def test_bce_on_probabilities_never_takes_log_of_zero() -> None:
    value = losses.BinaryCrossEntropy()(gn.Tensor([[0.0], [1.0]]), np.array([1.0, 0.0]))
    assert np.isfinite(value.item()) and value.item() == pytest.approx(100.0)


def test_callable_losses_are_wrapped() -> None:
    loss = losses.get(lambda p, t: ((p - t) * (p - t)).mean())
    assert loss(gn.Tensor([[1.0]]), np.array([[0.0]])).item() == 1.0
