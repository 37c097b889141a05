"""The fused recurrent ops: finite differences in float64 for every option, and edge cases.

Values and gradients against PyTorch (float64, 50 steps, 1 and 2 layers, bidirectional, lengths)
are in tests/nn/test_recurrent.py, through the layers that call these ops.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops.recurrent import gru, lengths_mask, lstm, rnn

N, T, I, H = 3, 4, 2, 3  # noqa: E741 (PyTorch's names: batch, time, input, hidden)
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _call(kind: str, mask=None, reverse=False, recurrent_mask=None):
    """A function of (x, h0, [c0,] w_ih, w_hh, *biases) returning a weighted sum of all outputs."""

    def fn(x, h0, *rest):
        options = {"mask": mask, "reverse": reverse, "recurrent_mask": recurrent_mask}
        if kind == "lstm":
            out, h, c = lstm(x, h0, *rest, **options)
            return out.sum() + (h * 2.0).sum() + (c * 3.0).sum()
        if kind == "gru":
            out, h = gru(x, h0, *rest, **options)
        else:
            out, h = rnn(x, h0, *rest, nonlinearity=kind[4:], **options)
        return out + (h * 2.0)[:, None, :]

    return fn


def _inputs(kind: str, rng: np.random.Generator, n_biases: int = 2) -> list[gn.Tensor]:
    g = GATES[kind]
    arrays = [rng.normal(size=(N, T, I)), rng.normal(size=(N, H))]
    if kind == "lstm":
        arrays.append(rng.normal(size=(N, H)))
    arrays += [rng.normal(size=(g * H, I)) * 0.5, rng.normal(size=(g * H, H)) * 0.5]
    arrays += [rng.normal(size=g * H) * 0.3 for _ in range(n_biases)]
    return [gn.Tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize(
    "variant", ["plain", "reverse", "mask", "mask-reverse", "recurrent-mask", "one-bias", "no-bias"]
)
def test_gradients_match_finite_differences(kind, variant, rng):
    mask = lengths_mask([4, 1, 2], T) if "mask" in variant and variant != "recurrent-mask" else None
    if variant == "mask":
        mask = mask.copy()
        mask[0, 1] = False  # a gap inside a sequence: Keras-style masking, state carried over it
    recurrent_mask = rng.uniform(0.5, 1.5, size=(N, H)) if variant == "recurrent-mask" else None
    n_biases = {"one-bias": 1, "no-bias": 0}.get(variant, 2)
    fn = _call(kind, mask, "reverse" in variant, recurrent_mask)
    assert gn.gradcheck(fn, *_inputs(kind, rng, n_biases), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", list(GATES))
def test_masked_steps_output_zero_and_keep_the_last_valid_state(kind, rng):
    inputs = [t.data for t in _inputs(kind, rng)]
    lengths = np.array([4, 1, 2])
    fn = {"lstm": lstm, "gru": gru}.get(kind, rnn)
    extra = {} if kind in ("lstm", "gru") else {"nonlinearity": kind[4:]}
    full = fn(*inputs, **extra)
    masked = fn(*inputs, mask=lengths_mask(lengths, T), **extra)
    n_states = 2 if kind == "lstm" else 1
    x, initial, weights = inputs[0], inputs[1 : 1 + n_states], inputs[1 + n_states :]
    for sample, length in enumerate(lengths):
        alone = [s[sample : sample + 1] for s in initial]
        truncated = fn(x[sample : sample + 1, :length], *alone, *weights, **extra)
        np.testing.assert_allclose(
            masked[0].data[sample, :length], truncated[0].data[0], rtol=1e-12
        )
        assert not masked[0].data[sample, length:].any()
        for state, expected in zip(masked[1:], truncated[1:]):
            np.testing.assert_allclose(state.data[sample], expected.data[0], rtol=1e-12)
    np.testing.assert_array_equal(masked[0].data[0], full[0].data[0])


def test_float32_stays_float32_and_saturated_gates_stay_finite(rng):
    x = rng.normal(size=(2, 3, 2)).astype(np.float32) * 1e4
    h0 = np.zeros((2, 3), np.float32)
    w_ih = rng.normal(size=(12, 2)).astype(np.float32)
    w_hh = rng.normal(size=(12, 3)).astype(np.float32)
    out, _, c = lstm(gn.Tensor(x, requires_grad=True), h0, h0, w_ih, w_hh)
    assert out.dtype == np.float32 and np.isfinite(out.data).all() and np.isfinite(c.data).all()


def test_wrong_weight_shape_names_the_op():
    with pytest.raises(gn.errors.ShapeError, match="lstmsequence: expected x"):
        lstm(
            np.ones((2, 3, 2)),
            np.zeros((2, 3)),
            np.zeros((2, 3)),
            np.ones((12, 5)),
            np.ones((12, 3)),
        )


def test_sigmoid_and_tanh_helpers_equal_the_plain_formulas(rng):
    """The in-place forms the kernels use (sign folded into the weights, tanh through exp) give
    the textbook values, saturated ends included, in float64 and float32."""
    from glassnet.ops.recurrent import _sigmoid_, _sigmoid_of_negated_, _tanh

    for dtype, tol in ((np.float64, 1e-15), (np.float32, 1e-6)):
        z = np.concatenate([rng.normal(size=200) * 5, [-1e4, -100.0, 0.0, 100.0, 1e4]])
        z = z.astype(dtype)
        expected_sigmoid = 0.5 * (1.0 + np.tanh(0.5 * z.astype(np.float64)))
        with np.errstate(over="ignore"):
            negated = -z
            _sigmoid_of_negated_(negated)
            plain = z.copy()
            _sigmoid_(plain)
            out = np.empty_like(z)
            _tanh(z, out)
        for got in (negated, plain):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, expected_sigmoid, rtol=0, atol=tol)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, np.tanh(z.astype(np.float64)), rtol=0, atol=4 * tol)


@pytest.mark.parametrize("masked", [False, True])
def test_lstm_last_state_only_with_constant_initial_states(masked, rng):
    """The path a Keras LSTM without return_sequences takes: dy is 0 for every output, h0 and c0
    need no gradient (the backward skips the last product with W_hh): the weight gradients still
    match finite differences, and h0/c0 get none."""
    x, h0, c0, *weights = _inputs("lstm", rng)
    h0, c0 = h0.detach(), c0.detach()
    mask = lengths_mask([4, 1, 3], T) if masked else None

    def fn(x, *weights):
        _, h_n, _ = lstm(x, h0, c0, *weights, mask=mask)
        return h_n

    assert gn.gradcheck(fn, x, *weights, atol=1e-6, rtol=1e-5)
    _, h_n, _ = lstm(x, h0, c0, *weights, mask=mask)
    h_n.sum().backward()
    assert h0.grad is None and c0.grad is None
