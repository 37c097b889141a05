"""BatchNorm1d, LayerNorm, Dropout and Embedding layers against torch, with train/eval behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch


def test_batch_norm_running_statistics_and_eval_match_torch(torch, rng) -> None:
    ours = gn.nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(3, momentum=0.2).double()
    for _ in range(4):
        batch = rng.normal(2.0, 3.0, size=(8, 3))
        x_ours, x_theirs = gn.Tensor(batch, requires_grad=True), to_torch(batch, requires_grad=True)
        upstream = rng.normal(size=(8, 3))
        ours(x_ours).backward(upstream)
        theirs(x_theirs).backward(to_torch(upstream))
        assert_close("dx", x_ours.grad, from_torch(x_theirs.grad), 1e-10, 1e-8)
    assert_close("running_mean", ours.running_mean, from_torch(theirs.running_mean), 1e-12, 1e-10)
    assert_close("running_var", ours.running_var, from_torch(theirs.running_var), 1e-12, 1e-10)
    assert_close("dweight", ours.weight.grad, from_torch(theirs.weight.grad), 1e-10, 1e-8)
    ours.eval()
    theirs.eval()
    test = rng.normal(size=(5, 3))
    assert_close(
        "eval output", ours(gn.Tensor(test)).data, from_torch(theirs(to_torch(test))), 1e-12, 1e-10
    )


def test_batch_norm_state_dict_holds_running_statistics() -> None:
    layer = gn.nn.BatchNorm1d(2)
    layer(gn.Tensor(np.array([[0.0, 1.0], [2.0, 5.0]], dtype=np.float32)))
    state = layer.state_dict()
    assert set(state) == {"weight", "bias", "running_mean", "running_var"}
    fresh = gn.nn.BatchNorm1d(2)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.running_mean, layer.running_mean)


def test_layer_norm_matches_torch(torch, rng) -> None:
    ours = gn.nn.LayerNorm(4, dtype=np.float64)
    ours.weight.data[...] = rng.normal(size=4)
    theirs = torch.nn.LayerNorm(4).double()
    with torch.no_grad():
        theirs.weight.copy_(to_torch(ours.weight.data))
    x = rng.normal(size=(3, 4))
    assert_close("value", ours(gn.Tensor(x)).data, from_torch(theirs(to_torch(x))), 1e-12, 1e-10)


def test_dropout_scales_in_training_is_identity_in_eval_and_repeats_with_a_seed() -> None:
    x = gn.Tensor(np.ones((200, 50), dtype=np.float32))
    layer = gn.nn.Dropout(0.3, rng=0)
    out = layer(x).data
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_array_equal(gn.nn.Dropout(0.3, rng=0)(x).data, out)
    assert layer.eval()(x) is x


def test_embedding_looks_up_rows_and_accumulates_repeated_indices() -> None:
    layer = gn.nn.Embedding(5, 3, rng=0)
    out = layer(np.array([[1, 1], [4, 0]]))
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[:, 0], [1, 2, 0, 0, 1])


def test_shape_errors_name_the_layer() -> None:
    with pytest.raises(ShapeError, match=r"expected input of shape \(batch, 3\)"):
        gn.nn.BatchNorm1d(3)(gn.Tensor(np.ones((4, 2))))
    with pytest.raises(ShapeError, match=r"expected input ending in \(4,\)"):
        gn.nn.LayerNorm(4)(gn.Tensor(np.ones((4, 2))))


def test_model_with_batch_norm_and_dropout_fits_and_summarizes() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = (x[:, 0] > 0).astype(float)
    model = gn.Model(
        [
            gn.Dense(8, activation="relu"),
            gn.nn.BatchNorm1d(8),
            gn.nn.Dropout(0.2, rng=0),
            gn.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=gn.optim.SGD(lr=0.1), loss="binary_crossentropy")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=0)
    assert "batchnorm1d_1 (BatchNorm1d)" in model.summary(print_fn=lambda text: None)


def test_predict_and_evaluate_run_in_eval_mode_and_fit_in_training_mode() -> None:
    x = np.ones((50, 4))
    model = gn.Model([gn.nn.Dropout(0.5, rng=0), gn.Dense(1, kernel_initializer="ones", rng=0)])
    np.testing.assert_allclose(model.predict(x), 4.0)  # no dropout at inference
    model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="mse")
    seen = []
    spy = gn.callbacks.LambdaCallback(
        on_batch_begin=lambda batch, logs: seen.append(model.layers[0].training)
    )
    model.eval()
    model.fit(x, np.zeros(50), epochs=1, verbose=0, callbacks=[spy])
    assert seen and all(seen) and not model.layers[0].training
    assert model.evaluate(x, np.full(50, 4.0))["loss"] == 0.0


@pytest.mark.parametrize("cls", [gn.nn.BatchNorm1d, gn.nn.BatchNorm2d])
def test_batch_norm_refuses_pytorchs_cumulative_momentum_at_construction(cls) -> None:
    with pytest.raises(
        gn.errors.InputError, match=r"momentum=None, PyTorch's cumulative average, is not supported"
    ):
        cls(3, momentum=None)
    with pytest.raises(gn.errors.InputError, match="momentum must be a number in"):
        cls(3, momentum=1.5)
