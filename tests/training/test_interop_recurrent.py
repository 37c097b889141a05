"""Recurrent layers between torch and glassnet: from_torch on a list of modules, to_torch, state_dict."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import InputError


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_from_torch_recurrent_plus_linear_matches_torch(torch, kind, num_layers, bidirectional):
    torch.manual_seed(0)
    rnn = getattr(torch.nn, kind)(
        3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=True
    )
    directions = 2 if bidirectional else 1
    head = torch.nn.Linear(5 * directions, 2)
    x = np.random.default_rng(0).normal(size=(4, 7, 3)).astype(np.float32)
    _, state = rnn(torch.from_numpy(x))
    h_n = state[0] if kind == "LSTM" else state
    last = torch.cat([h_n[-2], h_n[-1]], dim=-1) if bidirectional else h_n[-1]
    expected = head(last).detach().numpy()
    model = gn.Model.from_torch([rnn, head])
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-5)
    back = model.to_torch()
    np.testing.assert_allclose(
        back(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5
    )


def test_to_torch_keeps_sequences_and_time_distributed(torch):
    model = gn.Model(
        [
            gn.Bidirectional(
                gn.GRU(4, return_sequences=True, input_shape=(6, 2), rng=0), merge_mode="sum"
            ),
            gn.TimeDistributed(gn.Dense(3, rng=0)),
        ]
    )
    x = np.random.default_rng(1).normal(size=(2, 6, 2)).astype(np.float32)
    converted = model.to_torch()
    np.testing.assert_allclose(
        converted(torch.from_numpy(x)).detach().numpy(), model.predict(x), rtol=1e-4, atol=1e-5
    )


def test_to_torch_refuses_what_torch_layers_cannot_do():
    model = gn.Model([gn.LSTM(4, recurrent_dropout=0.2, input_shape=(None, 2))])
    with pytest.raises(ValueError, match="recurrent_dropout"):
        model.to_torch()


def test_pytorch_style_layer_loads_a_torch_state_dict_as_it_is(torch):
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours = gn.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(2).normal(size=(2, 5, 3)).astype(np.float32)
    expected = theirs(torch.from_numpy(x).transpose(0, 1))[0].transpose(0, 1).detach().numpy()
    np.testing.assert_allclose(ours(x)[0].data, expected, rtol=1e-4, atol=1e-5)


def test_embedding_goes_both_ways(torch):
    model = gn.Model([gn.Embedding(6, 3, rng=0), gn.GRU(4, rng=0)])
    tokens = np.array([[1, 2, 5], [0, 3, 4]])
    expected = model.predict(tokens)  # builds the GRU
    back = gn.Model.from_torch(list(model.to_torch().children()))
    np.testing.assert_allclose(back.predict(tokens), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "layers,source,user",
    [
        (
            lambda: [gn.Embedding(6, 3, mask_zero=True), gn.LSTM(4)],
            r"embedding_1 \(Embedding with mask_zero=True\)",
            "lstm_1",
        ),
        (
            lambda: [
                gn.Embedding(6, 3, mask_zero=True),
                gn.Dropout(0.1),
                gn.Bidirectional(gn.GRU(4)),
            ],
            "embedding_1",
            "bidirectional_1",
        ),
        (lambda: [gn.Masking(-1.0), gn.SimpleRNN(4)], "masking_1", "simplernn_1"),
    ],
)
def test_to_torch_refuses_a_mask_torch_would_drop(layers, source, user):
    model = gn.Model(layers())
    tokens = np.array([[1, 2, 0], [3, 0, 0]])
    model.predict(tokens if source != "masking_1" else np.stack([tokens] * 2, axis=-1) - 1.0)
    with pytest.raises(InputError, match=f"{source}.*masks steps for {user}.*passes no mask"):
        model.to_torch()


def test_to_torch_keeps_a_mask_no_layer_uses(torch):
    model = gn.Model([gn.Embedding(6, 3, mask_zero=True, rng=0), gn.Flatten(), gn.Dense(2, rng=0)])
    tokens = np.array([[1, 2, 0], [3, 0, 0]])
    expected = model.predict(tokens)
    converted = model.to_torch()
    np.testing.assert_allclose(
        converted(torch.from_numpy(tokens)).detach().numpy(), expected, rtol=1e-6
    )
