"""Keras's masking rule in SimpleRNN, LSTM, GRU and Bidirectional, against a NumPy transcription of
Keras's backend loop (``keras.backend.rnn``): masked steps carry the states, and output the previous
step's output (0 before the first valid step), or 0 inside Bidirectional (zero_output_for_mask)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _cell(layer, x_t: np.ndarray, states: list[np.ndarray]) -> list[np.ndarray]:
    """One step of ``layer``'s cell in NumPy (PyTorch's gate order, as glassnet stores the weights)."""
    w_ih, w_hh = layer.weight_ih.data, layer.weight_hh.data
    h = states[0]
    if isinstance(layer, gn.GRU):
        gi = x_t @ w_ih.T + layer.bias_ih.data
        gh = h @ w_hh.T + layer.bias_hh.data
        r_i, z_i, n_i = np.split(gi, 3, axis=-1)
        r_h, z_h, n_h = np.split(gh, 3, axis=-1)
        r, z = _sigmoid(r_i + r_h), _sigmoid(z_i + z_h)
        n = np.tanh(n_i + r * n_h)
        return [(1 - z) * n + z * h]
    pre = x_t @ w_ih.T + h @ w_hh.T + layer.bias.data
    if isinstance(layer, gn.LSTM):
        i, f, g, o = np.split(pre, 4, axis=-1)
        c = _sigmoid(f) * states[1] + _sigmoid(i) * np.tanh(g)
        return [_sigmoid(o) * np.tanh(c), c]
    return [np.tanh(pre)]


def _keras_rnn(layer, x, mask, initial, go_backwards, zero_output_for_mask):
    """Keras's backend ``rnn`` loop, step by step: (last_output, outputs in reading order, states)."""
    steps = list(range(x.shape[1]))[::-1] if go_backwards else list(range(x.shape[1]))
    states = [s.copy() for s in initial]
    prev_output = np.zeros_like(initial[0])
    outputs = []
    for t in steps:
        new_states = _cell(layer, x[:, t], states)
        m = mask[:, t, None]
        output = np.where(m, new_states[0], 0.0 if zero_output_for_mask else prev_output)
        states = [np.where(m, new, old) for new, old in zip(new_states, states)]
        outputs.append(output)
        prev_output = output
    return outputs[-1], np.stack(outputs, axis=1), states


CELLS = [gn.SimpleRNN, gn.LSTM, gn.GRU]
# Padding after, padding before (the steps before any valid one), gaps, and a sample with no valid step.
MASK = np.array(
    [
        [1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 0, 1],
        [1, 0, 1, 0, 0, 1],
        [0, 0, 0, 0, 0, 0],
    ],
    dtype=bool,
)


def _data(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(*MASK.shape, 3))


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_steps_repeat_the_previous_output_as_keras(cls, go_backwards):
    x = _data()
    layer = cls(
        4,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        dtype=np.float64,
        rng=0,
    )
    output, *states = layer(x, mask=MASK)
    count = 2 if cls is gn.LSTM else 1
    initial = [np.zeros((4, 4))] * count
    _, expected, expected_states = _keras_rnn(layer, x, MASK, initial, go_backwards, False)
    np.testing.assert_allclose(output.data, expected, rtol=1e-12, atol=1e-14)
    for state, want in zip(states, expected_states):
        np.testing.assert_allclose(state.data, want, rtol=1e-12, atol=1e-14)
    # Spot checks of the rule itself, in reading order: sample 1 reads [0, 0, 1, 1, 0, 1] forwards.
    if not go_backwards:
        out = output.data
        np.testing.assert_array_equal(out[1, :2], 0.0)
        np.testing.assert_array_equal(out[1, 4], out[1, 3])
        np.testing.assert_array_equal(out[0, 5], out[0, 3])
        np.testing.assert_array_equal(out[3], 0.0)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_last_output_with_a_mask_is_keras_last_output(cls, go_backwards):
    x = _data(1)
    count = 2 if cls is gn.LSTM else 1
    initial = [np.random.default_rng(2).normal(size=(4, 4)) for _ in range(count)]
    layer = cls(4, return_state=True, go_backwards=go_backwards, dtype=np.float64, rng=1)
    output, *states = layer(x, mask=MASK, initial_state=initial)
    last, _, expected_states = _keras_rnn(layer, x, MASK, initial, go_backwards, False)
    # The sample with no valid step: output 0 (Keras's prev_output starts at 0), state = initial.
    np.testing.assert_array_equal(output.data[3], 0.0)
    np.testing.assert_allclose(states[0].data[3], initial[0][3])
    np.testing.assert_allclose(output.data, last, rtol=1e-12, atol=1e-14)
    for state, want in zip(states, expected_states):
        np.testing.assert_allclose(state.data, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_zeroes_masked_steps_as_keras(cls, return_sequences):
    x = _data(3)
    layer = gn.Bidirectional(
        cls(3, return_sequences=return_sequences, dtype=np.float64, rng=0), merge_mode=None
    )
    forward, backward = layer(x, mask=MASK)
    count = 2 if cls is gn.LSTM else 1
    initial = [np.zeros((4, 3))] * count
    # Keras: zero_output_for_mask = return_sequences on both layers; the backward outputs are
    # flipped back to the input's time order.
    fw_last, fw_seq, _ = _keras_rnn(layer.forward_layer, x, MASK, initial, False, return_sequences)
    bw_last, bw_seq, _ = _keras_rnn(layer.backward_layer, x, MASK, initial, True, return_sequences)
    if return_sequences:
        np.testing.assert_allclose(forward.data, fw_seq, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(backward.data, bw_seq[:, ::-1], rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(forward.data[~MASK], 0.0)
    else:
        np.testing.assert_allclose(forward.data, fw_last, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(backward.data, bw_last, rtol=1e-12, atol=1e-14)


def test_embedding_mask_in_a_model_gives_keras_outputs():
    tokens = np.array([[0, 0, 3, 5, 0, 2], [4, 1, 0, 0, 0, 0]])
    embedding = gn.Embedding(6, 3, mask_zero=True, dtype=np.float64, rng=0)
    lstm = gn.LSTM(4, return_sequences=True, dtype=np.float64, rng=0)
    model = gn.Model([embedding, lstm])
    got = model.predict(tokens)
    x = embedding.weight.data[tokens]
    _, expected, _ = _keras_rnn(lstm, x, tokens != 0, [np.zeros((2, 4))] * 2, False, False)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_gradients_with_a_mask_match_finite_differences(cls, return_sequences):
    x = gn.Tensor(_data(4), requires_grad=True)
    layer = cls(
        3, return_sequences=return_sequences, go_backwards=cls is gn.GRU, dtype=np.float64, rng=0
    )
    assert gn.gradcheck(lambda x: layer(x, mask=MASK), x)


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_zero_output_for_mask_gives_zeros_as_keras(cls, go_backwards, return_sequences):
    x = _data(5)
    layer = cls(
        3,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        zero_output_for_mask=True,
        dtype=np.float64,
        rng=0,
    )
    got = layer(x, mask=MASK).data
    count = 2 if cls is gn.LSTM else 1
    initial = [np.zeros((4, 3))] * count
    last, expected, _ = _keras_rnn(layer, x, MASK, initial, go_backwards, True)
    if return_sequences:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    else:  # Keras's last output is the last step's: 0 where the last step read is masked
        np.testing.assert_allclose(got, last, rtol=1e-12, atol=1e-14)
    assert cls(**layer.get_config()).zero_output_for_mask


def test_bidirectional_sets_zero_output_for_mask_on_both_layers():
    wrapped = gn.Bidirectional(gn.GRU(3, return_sequences=True))
    assert wrapped.forward_layer.zero_output_for_mask
    assert wrapped.backward_layer.zero_output_for_mask
    last = gn.Bidirectional(gn.GRU(3))
    assert not last.forward_layer.zero_output_for_mask
    assert not last.backward_layer.zero_output_for_mask
