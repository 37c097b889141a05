"""Keras's sequence layers: same numbers as PyTorch's layers, masks, wrappers, Model integration."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError


def _torch_twin(torch, layer, bidirectional=False):
    """A torch layer (float64) holding a Keras layer's weights (one bias -> bias_ih, zero bias_hh)."""
    kind = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[type(layer).__name__]
    options = {"nonlinearity": layer.activation} if kind == "RNN" else {}
    theirs = getattr(torch.nn, kind)(
        layer.in_features, layer.units, batch_first=True, **options
    ).double()
    with torch.no_grad():
        theirs.weight_ih_l0.copy_(torch.tensor(layer.weight_ih.data))
        theirs.weight_hh_l0.copy_(torch.tensor(layer.weight_hh.data))
        if kind == "GRU":
            theirs.bias_ih_l0.copy_(torch.tensor(layer.bias_ih.data))
            theirs.bias_hh_l0.copy_(torch.tensor(layer.bias_hh.data))
        else:
            theirs.bias_ih_l0.copy_(torch.tensor(layer.bias.data))
            theirs.bias_hh_l0.zero_()
    return theirs


@pytest.mark.parametrize("cls", [gn.SimpleRNN, gn.LSTM, gn.GRU])
def test_keras_layers_match_torch_and_return_what_keras_returns(torch, cls):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 2))
    layer = cls(4, return_sequences=True, return_state=True, dtype=np.float64, rng=0)
    output, *states = layer(x)
    theirs = _torch_twin(torch, layer)
    tout, tfinal = theirs(torch.tensor(x))
    tstates = list(tfinal) if cls is gn.LSTM else [tfinal]
    np.testing.assert_allclose(output.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert len(states) == len(tstates)
    for state, tstate in zip(states, tstates):
        np.testing.assert_allclose(state.data, tstate[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    last = cls(4, dtype=np.float64)
    last.build(2)
    last.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(last(x).data, output.data[:, -1], rtol=1e-12)


def test_keras_init_defaults():
    layer = gn.LSTM(3, input_shape=(None, 5), rng=0)
    assert layer.weight_ih.shape == (12, 5) and layer.weight_hh.shape == (12, 3)
    np.testing.assert_array_equal(layer.bias.data, [0] * 3 + [1] * 3 + [0] * 6)  # unit_forget_bias
    w = layer.weight_hh.data.T.astype(np.float64)  # Keras's (units, 4 units), orthogonal rows
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)


def test_go_backwards_returns_steps_in_reading_order():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3))
    forward = gn.GRU(4, return_sequences=True, dtype=np.float64, rng=0)
    backward = gn.GRU(4, return_sequences=True, go_backwards=True, dtype=np.float64, rng=0)
    on_reversed = forward(x[:, ::-1].copy()).data
    np.testing.assert_allclose(backward(x).data, on_reversed, rtol=1e-12)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_like_keras_and_matches_torch(torch, merge_mode):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6, 2))
    layer = gn.Bidirectional(
        gn.LSTM(4, return_sequences=True, dtype=np.float64, rng=0), merge_mode=merge_mode
    )
    out = layer(x)
    theirs = torch.nn.LSTM(2, 4, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for suffix, inner in (("", layer.forward_layer), ("_reverse", layer.backward_layer)):
            getattr(theirs, f"weight_ih_l0{suffix}").copy_(torch.tensor(inner.weight_ih.data))
            getattr(theirs, f"weight_hh_l0{suffix}").copy_(torch.tensor(inner.weight_hh.data))
            getattr(theirs, f"bias_ih_l0{suffix}").copy_(torch.tensor(inner.bias.data))
            getattr(theirs, f"bias_hh_l0{suffix}").zero_()
    tout = theirs(torch.tensor(x))[0].detach().numpy()
    fw, bw = tout[..., :4], tout[..., 4:]
    expected = {
        "concat": tout,
        "sum": fw + bw,
        "mul": fw * bw,
        "ave": (fw + bw) / 2,
        None: [fw, bw],
    }[merge_mode]
    if merge_mode is None:
        for got, want in zip(out, expected):
            np.testing.assert_allclose(got.data, want, rtol=1e-10)
    else:
        np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gn.LSTM(5, rng=0),
        lambda: gn.Bidirectional(gn.GRU(5, rng=0)),
        lambda: gn.SimpleRNN(5, rng=0),
    ],
)
def test_embedding_mask_zero_makes_padding_invisible(make):
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 20, size=(4, 9))
    lengths = np.array([9, 3, 6, 1])
    padded = np.where(np.arange(9) < lengths[:, None], tokens, 0)
    model = gn.Model([gn.Embedding(20, 3, mask_zero=True, rng=0), make(), gn.Dense(2, rng=0)])
    predicted = model.predict(padded)
    for i, length in enumerate(lengths):
        alone = model.predict(padded[i : i + 1, :length])
        np.testing.assert_allclose(predicted[i], alone[0], rtol=1e-5, atol=1e-6)


def test_masking_layer_skips_steps_that_equal_the_mask_value():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    x[0, 2] = -1.0  # a gap in the middle: Keras carries the state over it
    model = gn.Model([gn.Masking(-1.0), gn.LSTM(4, rng=0)])
    without_gap = np.delete(x[:1], 2, axis=1)
    np.testing.assert_allclose(model.predict(x)[0], model.predict(without_gap)[0], rtol=1e-5)


def test_time_distributed_applies_the_layer_at_every_step():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 2)).astype(np.float32)
    dense = gn.Dense(5, rng=0)
    out = gn.TimeDistributed(dense)(x)
    assert out.shape == (3, 4, 5)
    np.testing.assert_allclose(out.data[:, 2], dense(x[:, 2]).data, rtol=1e-6)


def test_dropout_and_recurrent_dropout_only_while_training():
    layer = gn.LSTM(4, dropout=0.3, recurrent_dropout=0.3, return_sequences=True, rng=0)
    x = np.ones((2, 5, 3), np.float32)
    assert not np.array_equal(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


def test_model_with_recurrent_layers_fits_saves_loads_and_summarizes(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 10, 2)).astype(np.float32)
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    model = gn.Model(
        [
            gn.Bidirectional(gn.GRU(8, return_sequences=True, input_shape=(10, 2))),
            gn.LSTM(8, dropout=0.1, recurrent_dropout=0.1),
            gn.Dense(1),
        ]
    )
    text = model.summary(print_fn=lambda s: None)
    assert "(None, 10, 16)" in text and "(None, 8)" in text
    model.compile(optimizer="adam", loss="mse", clipnorm=1.0)
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "seq.gnet")
    loaded = gn.load_model(tmp_path / "seq.gnet")
    assert isinstance(loaded.layers[1], gn.LSTM)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert np.isfinite(model.evaluate(x, y, verbose=0)["loss"])


def test_unsupported_activation_is_refused():
    with pytest.raises(ValueError, match="activation 'relu' is not supported by the fused op"):
        gn.LSTM(4, activation="relu")
    with pytest.raises(ValueError, match="recurrent_activation 'hard_sigmoid'"):
        gn.GRU(4, recurrent_activation="hard_sigmoid")
    with pytest.raises(ValueError, match="reset_after=False"):
        gn.GRU(4, reset_after=False)


def test_bad_input_in_a_model_names_the_layer_and_changes_no_weight():
    model = gn.Model([gn.LSTM(4, input_shape=(None, 3), rng=0), gn.Dense(1, rng=0)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.state_dict()
    with pytest.raises(
        ShapeError, match=r"lstm_1 expects \(N, T, features\); got \(8, 10\): add a features axis"
    ):
        model.fit(np.ones((8, 10)), np.ones((8, 1)), epochs=1, verbose=0)
    with pytest.raises(ShapeError, match="expected input of shape"):
        model.fit(np.ones((8, 10, 2)), np.ones((8, 1)), epochs=1, verbose=0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_wrappers_masks_and_embedding_survive_a_model_file(tmp_path):
    tokens = np.random.default_rng(7).integers(1, 9, size=(5, 6))
    tokens[:, 4:] = 0
    model = gn.Model(
        [
            gn.Embedding(9, 4, mask_zero=True, rng=0),
            gn.Bidirectional(gn.SimpleRNN(3, return_sequences=True, rng=0), merge_mode="ave"),
            gn.TimeDistributed(gn.Dense(2, rng=0)),
            gn.GRU(3, go_backwards=True, rng=0),
        ]
    )
    expected = model.predict(tokens)
    model.save(tmp_path / "wrapped.gnet")
    loaded = gn.load_model(tmp_path / "wrapped.gnet")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.layers[0].mask_zero and loaded.layers[1].merge_mode == "ave"
    np.testing.assert_array_equal(loaded.predict(tokens), expected)


def test_names_keras_layers_at_the_top_and_pytorch_layers_in_nn():
    from glassnet.nn import keras_recurrent

    assert (
        gn.LSTM is gn.layers.LSTM is keras_recurrent.LSTM
        and gn.GRU is gn.layers.GRU is keras_recurrent.GRU
    )
    assert (
        gn.nn.LSTM.__module__ == "glassnet.nn.recurrent"
        and gn.nn.GRU.__module__ == "glassnet.nn.recurrent"
    )
    for name in ("SimpleRNN", "Bidirectional", "TimeDistributed", "Masking", "Embedding"):
        assert getattr(gn, name) is getattr(gn.nn, name) is getattr(gn.layers, name)
    output, (h_n, c_n) = gn.nn.LSTM(2, 3)(np.ones((1, 4, 2), np.float32))  # PyTorch's contract
    assert (output.shape, h_n.shape, c_n.shape) == ((1, 4, 3), (1, 1, 3), (1, 1, 3))
    assert gn.LSTM(3)(np.ones((1, 4, 2), np.float32)).shape == (1, 3)  # Keras's contract


def test_summary_shows_a_free_sequence_length_as_none():
    model = gn.Model(
        [
            gn.Bidirectional(gn.LSTM(8, return_sequences=True, input_shape=(None, 3))),
            gn.TimeDistributed(gn.Dense(1)),
            gn.GRU(4),
            gn.Dense(1),
        ]
    )
    text = model.summary(print_fn=lambda s: None)
    assert "(None, None, 16)" in text and "(None, None, 1)" in text and "(None, 4)" in text
    assert "(None, 1) " in text  # the head's one unit is not the free axis


def test_dropout_and_activations_between_embedding_and_lstm_pass_the_mask_on():
    idx = np.array([[3, 5, 2, 0, 0], [1, 2, 3, 4, 5]])
    emb, lstm = gn.Embedding(6, 4, mask_zero=True, rng=0), gn.LSTM(3, rng=1)
    from glassnet.training.model import apply_layers

    plain = apply_layers([emb, lstm], gn.Tensor(idx)).data
    dropout, tanh = gn.Dropout(0.3), gn.Tanh()
    dropout.eval()
    with_layers = apply_layers([emb, dropout, tanh, lstm], gn.Tensor(idx)).data
    expected = apply_layers([emb, tanh, lstm], gn.Tensor(idx)).data
    np.testing.assert_allclose(with_layers, expected, atol=1e-6)
    assert not np.allclose(plain, with_layers)  # tanh changes the values, the mask still applies


def test_a_seeded_fit_repeats_recurrent_dropout_masks():
    x = np.random.default_rng(0).normal(size=(16, 6, 3)).astype(np.float32)

    def trained():
        model = gn.Model([gn.LSTM(4, dropout=0.3, recurrent_dropout=0.3), gn.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model.fit(x, x[:, -1, :1], epochs=3, batch_size=4, seed=0, verbose=0).history["loss"]

    assert trained() == trained()


def test_initial_state_may_be_given_as_lists():
    layer = gn.LSTM(5, rng=0)
    out = layer(np.ones((1, 4, 2), np.float32), initial_state=[[[0.0] * 5], [[0.0] * 5]])
    np.testing.assert_array_equal(out.data, layer(np.ones((1, 4, 2), np.float32)).data)
