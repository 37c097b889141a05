"""Full backward hooks on modules with tuple outputs (the recurrent layers and cells), compared
with what PyTorch's hooks get for the same module and inputs."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GraphError


def _twin(torch, layer: gn.nn.Module, kind: str):
    """The torch module of ``kind`` with ``layer``'s weights (the names are PyTorch's)."""
    twin = getattr(torch.nn, kind)(layer.input_size, layer.hidden_size).double()
    if hasattr(layer, "batch_first"):
        twin = getattr(torch.nn, kind)(layer.input_size, layer.hidden_size, batch_first=True)
        twin = twin.double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    return twin


def _recorder(calls: list, numpy) -> object:
    def hook(module, grad_input, grad_output):
        calls.append(
            (
                tuple(None if g is None else numpy(g).copy() for g in grad_input),
                tuple(None if g is None else numpy(g).copy() for g in grad_output),
            )
        )

    return hook


def _ours(g):
    return g.data


def _theirs(g):
    return g.detach().numpy()


def _same(ours: tuple, theirs: tuple) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["GRU", "RNN"])
@pytest.mark.parametrize("used", ["both", "output", "h_n"])
@pytest.mark.parametrize("with_h0", [False, True])
def test_hook_on_a_layer_returning_output_and_h_n_gets_torchs_gradients(
    torch, rng, kind, used, with_h0
):
    layer = getattr(gn.nn, kind)(3, 4, dtype=np.float64, rng=0)
    twin = _twin(torch, layer, kind)
    x = rng.normal(size=(2, 5, 3))
    h0 = rng.normal(size=(1, 2, 4))
    w_out, w_h = rng.normal(size=(2, 5, 4)), rng.normal(size=(1, 2, 4))
    ours, theirs = [], []
    layer.register_full_backward_hook(_recorder(ours, _ours))
    twin.register_full_backward_hook(_recorder(theirs, _theirs))

    xs = gn.Tensor(x, requires_grad=True)
    args = (xs, gn.Tensor(h0, requires_grad=True)) if with_h0 else (xs,)
    out, h_n = layer(*args)
    loss = {"both": (out * w_out).sum() + (h_n * w_h).sum(), "output": (out * w_out).sum()}
    loss.get(used, (h_n * w_h).sum()).backward()

    tx = torch.from_numpy(x).requires_grad_()
    targs = (tx, torch.from_numpy(h0).requires_grad_()) if with_h0 else (tx,)
    tout, th_n = twin(*targs)
    tloss = {
        "both": (tout * torch.from_numpy(w_out)).sum() + (th_n * torch.from_numpy(w_h)).sum(),
        "output": (tout * torch.from_numpy(w_out)).sum(),
    }
    tloss.get(used, (th_n * torch.from_numpy(w_h)).sum()).backward()

    assert len(ours) == len(theirs) == 1  # once per backward
    _same(ours[0][0], theirs[0][0])  # grad_input: one per tensor input
    _same(ours[0][1], theirs[0][1])  # grad_output: one per output, None where none came
    for a, b in zip(args, targs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10)


def test_lstm_nested_state_is_flattened_into_grad_output(torch, rng):
    layer = gn.nn.LSTM(3, 4, dtype=np.float64, rng=0)
    twin = _twin(torch, layer, "LSTM")
    x = rng.normal(size=(2, 5, 3))
    w_out, w_h, w_c = (rng.normal(size=s) for s in [(2, 5, 4), (1, 2, 4), (1, 2, 4)])
    ours, theirs = [], []
    layer.register_full_backward_hook(_recorder(ours, _ours))
    twin.register_full_backward_hook(_recorder(theirs, _theirs))

    xs = gn.Tensor(x, requires_grad=True)
    out, (h_n, c_n) = layer(xs)
    ((out * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()).backward()
    tx = torch.from_numpy(x).requires_grad_()
    tout, (th_n, tc_n) = twin(tx)
    for t in (th_n, tc_n):
        t.retain_grad()
    weights = [torch.from_numpy(w) for w in (w_out, w_h, w_c)]
    sum(t.mul(w).sum() for t, w in zip((tout, th_n, tc_n), weights)).backward()

    (grad_input, grad_output), (their_input, their_output) = ours[0], theirs[0]
    _same(grad_input, their_input)
    # PyTorch gives (d output, None): it does not look inside the nested (h_n, c_n); glassnet does.
    assert their_output[1] is None and len(grad_output) == 3
    _same(grad_output, (their_output[0], th_n.grad.numpy(), tc_n.grad.numpy()))
    np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-10)


def test_lstm_hook_fires_when_only_the_final_state_is_used(rng):
    layer = gn.nn.LSTM(3, 4, dtype=np.float64, rng=0)
    calls = []
    layer.register_full_backward_hook(_recorder(calls, _ours))
    xs = gn.Tensor(rng.normal(size=(2, 5, 3)), requires_grad=True)
    _, (h_n, _) = layer(xs)
    h_n.sum().backward()  # (PyTorch's hook does not fire here: h_n is inside a nested tuple)
    [(grad_input, grad_output)] = calls
    assert grad_output[0] is None and grad_output[2] is None
    np.testing.assert_array_equal(grad_output[1], np.ones((1, 2, 4)))
    np.testing.assert_array_equal(grad_input[0], xs.grad)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("input_grad", [True, False])
def test_cell_hooks_get_torchs_gradients(torch, rng, kind, input_grad):
    cell = getattr(gn.nn, kind)(3, 4, dtype=np.float64, rng=0)
    twin = _twin(torch, cell, kind)
    x = rng.normal(size=(2, 3))
    ours, theirs = [], []
    cell.register_full_backward_hook(_recorder(ours, _ours))
    twin.register_full_backward_hook(_recorder(theirs, _theirs))
    w = rng.normal(size=(2, 4))
    result = cell(gn.Tensor(x, requires_grad=input_grad))
    tresult = twin(torch.from_numpy(x).requires_grad_(input_grad))
    if kind == "LSTMCell":  # (h, c): the loss reads h only, so grad_output is (d h, None)
        result, tresult = result[0], tresult[0]
    (result * w).sum().backward()
    (tresult * torch.from_numpy(w)).sum().backward()
    assert len(ours) == len(theirs) == 1
    _same(ours[0][0], theirs[0][0])
    _same(ours[0][1], theirs[0][1])


def test_lstm_cell_state_argument_is_flattened_into_grad_input(torch, rng):
    cell = gn.nn.LSTMCell(3, 4, dtype=np.float64, rng=0)
    twin = _twin(torch, cell, "LSTMCell")
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    ours, theirs = [], []
    cell.register_full_backward_hook(_recorder(ours, _ours))
    twin.register_full_backward_hook(_recorder(theirs, _theirs))
    h_in = gn.Tensor(h, requires_grad=True)
    h1, c1 = cell(gn.Tensor(x, requires_grad=True), (h_in, gn.Tensor(c)))
    (h1.sum() + (c1 * 2.0).sum()).backward()
    th = torch.from_numpy(h).requires_grad_()
    th1, tc1 = twin(torch.from_numpy(x).requires_grad_(), (th, torch.from_numpy(c)))
    (th1.sum() + (tc1 * 2.0).sum()).backward()
    # PyTorch: (d x, None) for the arguments (x, (h, c)); glassnet: (d x, d h, None for c).
    (grad_input, grad_output), (their_input, their_output) = ours[0], theirs[0]
    assert their_input[1] is None
    _same(grad_input, (their_input[0], th.grad.numpy(), None))
    _same(grad_output, their_output)
    np.testing.assert_allclose(h_in.grad, th.grad.numpy(), rtol=1e-10)


def test_hook_may_replace_each_grad_input_of_a_tuple_returning_layer(torch, rng):
    layer = gn.nn.GRU(3, 4, dtype=np.float64, rng=0)
    twin = _twin(torch, layer, "GRU")
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(1, 2, 4))
    for module in (layer, twin):
        module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2.0, gi[1] * -3.0))
    # The inputs come from ops, so the replaced gradients travel on to the leaves.
    xs, hs = gn.Tensor(x, requires_grad=True), gn.Tensor(h0, requires_grad=True)
    out, h_n = layer(xs * 1.5, hs * 0.5)
    (out.sum() + h_n.sum()).backward()
    tx, th = torch.from_numpy(x).requires_grad_(), torch.from_numpy(h0).requires_grad_()
    tout, th_n = twin(tx * 1.5, th * 0.5)
    (tout.sum() + th_n.sum()).backward()
    np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(hs.grad, th.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.weight_hh_l0.grad, twin.weight_hh_l0.grad.numpy(), rtol=1e-10)


def test_hook_fires_once_per_backward_through_a_retained_graph(rng):
    layer = gn.nn.GRU(3, 4, dtype=np.float64, rng=0)
    calls = []
    layer.register_full_backward_hook(_recorder(calls, _ours))
    out, h_n = layer(gn.Tensor(rng.normal(size=(2, 5, 3)), requires_grad=True))
    loss = out.sum() + (h_n * 2.0).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert len(calls) == 2
    for grad_input, grad_output in calls:
        _same(grad_output, calls[0][1])
        _same(grad_input, calls[0][0])


def test_hook_returning_the_wrong_number_of_gradients_says_so(rng):
    layer = gn.nn.GRU(3, 4, dtype=np.float64, rng=0)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    out, _ = layer(gn.Tensor(rng.normal(size=(2, 5, 3)), requires_grad=True))
    with pytest.raises(GraphError, match="returned 2 gradients for 1 inputs"):
        out.sum().backward()


def test_hook_returning_gradients_when_no_input_needs_one_says_so(rng):
    layer = gn.nn.GRU(3, 4, dtype=np.float64, rng=0)
    layer.register_full_backward_hook(lambda m, gi, go: (go[0],))
    out, _ = layer(gn.Tensor(rng.normal(size=(2, 5, 3))))
    with pytest.raises(GraphError, match="no input of this call needs one"):
        out.sum().backward()


def test_no_hook_runs_under_no_grad(rng):
    layer = gn.nn.LSTM(3, 4, rng=0)
    calls = []
    layer.register_full_backward_hook(_recorder(calls, _ours))
    with gn.no_grad():
        out, (h_n, c_n) = layer(gn.Tensor(rng.normal(size=(2, 5, 3)).astype(np.float32)))
    assert not out.requires_grad and not h_n.requires_grad and calls == []
