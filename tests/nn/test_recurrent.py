"""nn.RNN / nn.LSTM / nn.GRU and their cells against PyTorch: outputs, final states and every gradient."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import InputError, ShapeError

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def _pair(torch, kind: str, **options):
    """The same layer in torch and glassnet (float64), glassnet loaded with torch's weights."""
    if kind.startswith("rnn"):
        nonlinearity = kind[4:]
        theirs = torch.nn.RNN(nonlinearity=nonlinearity, **options).double()
        ours = gn.nn.RNN(nonlinearity=nonlinearity, dtype=np.float64, **options)
    else:
        theirs = getattr(torch.nn, kind.upper())(**options).double()
        ours = getattr(gn.nn, kind.upper())(dtype=np.float64, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _close(ours, theirs, what: str, rtol: float = 1e-9) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    scale = max(np.abs(theirs).max(), 1e-12)
    err = np.abs(np.asarray(ours) - theirs).max() / scale
    assert err <= rtol, f"{what}: max relative error {err:.2e}"


# (num_layers, bidirectional, with_lengths): the default run covers each setting of each factor for
# every layer type; the slow run adds the rest of the product.
CONFIGS = [(1, False, False), (2, True, True), (1, True, False), (2, False, True)]
MORE_CONFIGS = [(1, False, True), (2, False, False), (1, True, True), (2, True, False)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "num_layers,bidirectional,with_lengths",
    CONFIGS + [pytest.param(*c, marks=pytest.mark.slow) for c in MORE_CONFIGS],
)
def test_layer_matches_torch_values_and_every_gradient(
    torch, kind, num_layers, bidirectional, with_lengths
):
    rng = np.random.default_rng(0)
    n, steps, features, hidden = 4, 50, 3, 5
    theirs, ours = _pair(
        torch,
        kind,
        input_size=features,
        hidden_size=hidden,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=True,
    )
    directions = 2 if bidirectional else 1
    x = rng.normal(size=(n, steps, features))
    states = [
        rng.normal(size=(num_layers * directions, n, hidden))
        for _ in range(2 if kind == "lstm" else 1)
    ]
    lengths = np.array([50, 17, 1, 33]) if with_lengths else None
    w_out = rng.normal(size=(n, steps, directions * hidden))
    w_states = [rng.normal(size=s.shape) for s in states]

    tx = torch.tensor(x, requires_grad=True)
    tstates = [torch.tensor(s, requires_grad=True) for s in states]
    hx = tuple(tstates) if kind == "lstm" else tstates[0]
    if with_lengths:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        tout, tfinal = theirs(packed, hx)
        tout, _ = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first=True, total_length=steps)
    else:
        tout, tfinal = theirs(tx, hx)
    tfinal = list(tfinal) if kind == "lstm" else [tfinal]
    tloss = (tout * torch.tensor(w_out)).sum() + sum(
        (f * torch.tensor(w)).sum() for f, w in zip(tfinal, w_states)
    )
    tloss.backward()

    gx = gn.Tensor(x, requires_grad=True)
    gstates = [gn.Tensor(s, requires_grad=True) for s in states]
    out, final = ours(gx, tuple(gstates) if kind == "lstm" else gstates[0], lengths=lengths)
    final = list(final) if kind == "lstm" else [final]
    loss = (out * w_out).sum()
    for f, w in zip(final, w_states):
        loss = loss + (f * w).sum()
    loss.backward()

    _close(out.data, tout, "output")
    for k, (f, tf) in enumerate(zip(final, tfinal)):
        _close(f.data, tf, f"final state {k}")
    _close(gx.grad, tx.grad, "dx")
    for k, (s, ts) in enumerate(zip(gstates, tstates)):
        _close(s.grad, ts.grad, f"d initial state {k}")
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        _close(param.grad, theirs_params[name].grad, f"d{name}")


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_batch_first_false_and_default_states(torch, kind):
    rng = np.random.default_rng(1)
    theirs, ours = _pair(torch, kind, input_size=2, hidden_size=3, batch_first=False)
    x = rng.normal(size=(6, 4, 2))  # (T, N, features)
    tout, _ = theirs(torch.tensor(x))
    out, _ = ours(x)
    _close(out.data, tout, "output")


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_cells_match_torch(torch, kind):
    rng = np.random.default_rng(2)
    name = {"rnn_tanh": "RNNCell", "rnn_relu": "RNNCell", "lstm": "LSTMCell", "gru": "GRUCell"}[
        kind
    ]
    options = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    theirs = getattr(torch.nn, name)(3, 4, **options).double()
    ours = getattr(gn.nn, name)(3, 4, dtype=np.float64, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.normal(size=(5, 3))
    states = [rng.normal(size=(5, 4)) for _ in range(2 if kind == "lstm" else 1)]
    tx = torch.tensor(x, requires_grad=True)
    tstates = [torch.tensor(s, requires_grad=True) for s in states]
    gx = gn.Tensor(x, requires_grad=True)
    gstates = [gn.Tensor(s, requires_grad=True) for s in states]
    if kind == "lstm":
        th, tc = theirs(tx, tuple(tstates))
        h, c = ours(gx, tuple(gstates))
        (th.sum() + (tc * 2).sum()).backward()
        (h.sum() + (c * 2).sum()).backward()
        _close(c.data, tc, "c'")
    else:
        th = theirs(tx, tstates[0])
        h = ours(gx, gstates[0])
        th.sum().backward()
        h.sum().backward()
    _close(h.data, th, "h'")
    _close(gx.grad, tx.grad, "dx")
    for s, ts in zip(gstates, tstates):
        _close(s.grad, ts.grad, "dstate")
    theirs_params = dict(theirs.named_parameters())
    for pname, param in ours.named_parameters():
        _close(param.grad, theirs_params[pname].grad, pname)


def test_parameter_names_shapes_and_init_follow_torch(torch):
    theirs = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True)
    ours = gn.nn.LSTM(3, 8, num_layers=2, bidirectional=True, rng=0)
    assert {k: tuple(v.shape) for k, v in theirs.state_dict().items()} == {
        k: v.shape for k, v in ours.state_dict().items()
    }
    bound = 1 / np.sqrt(8)
    values = np.concatenate([p.data.ravel() for p in ours.parameters()])
    assert (
        values.dtype == np.float32
        and -bound <= values.min() < -0.9 * bound
        and 0.9 * bound < values.max() <= bound
    )


def test_dropout_between_layers_only_in_training():
    layer = gn.nn.GRU(2, 4, num_layers=2, dropout=0.5, rng=0)
    x = np.ones((3, 5, 2), dtype=np.float32)
    a, b = layer(x)[0].data, layer(x)[0].data
    assert not np.array_equal(a, b)
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].data, layer(x)[0].data)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda m: m(np.ones((32, 10), np.float32)),
            ShapeError,
            r"LSTM expects \(N, T, features\); got \(32, 10\): add a features axis, x\[\.\.\., None\]",
        ),
        (lambda m: m(np.ones((2, 5, 4), np.float32)), ShapeError, "expected 3 features per step"),
        (
            lambda m: m(np.ones((2, 5, 3), np.float32), lengths=[5, 6]),
            InputError,
            r"lengths must lie in \[1, 5\]",
        ),
        (
            lambda m: m(np.ones((2, 5, 3), np.float32), lengths=[0, 2]),
            InputError,
            "sample 0 has length 0",
        ),
        (
            lambda m: m(np.ones((2, 5, 3), np.float32), lengths=[1, 2, 3]),
            InputError,
            r"shape \(2,\)",
        ),
        (
            lambda m: m(np.ones((2, 5, 3), np.float32), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4)))),
            ShapeError,
            r"c0 must have shape .* \(1, 2, 4\), got \(1, 3, 4\)",
        ),
    ],
)
def test_bad_input_raises_clearly_and_changes_no_weight(call, error, message):
    layer = gn.nn.LSTM(3, 4, rng=0)
    before = layer.state_dict()
    with pytest.raises(error, match=message):
        call(layer)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
