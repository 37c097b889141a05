"""Hooks on recurrent layers: full backward hooks on modules with tuple outputs (the layers and
cells), compared with what PyTorch's hooks get for the same module and inputs; and hooks on the
inner layers of Keras's Bidirectional."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GraphError
from glassnet.nn import hooks


@pytest.fixture(autouse=True)
def _hooks_removed(monkeypatch):
    """Remove every hook a test registers when it ends: a module kept alive a while (by an
    exception's traceback) would otherwise keep its hooks, and fit would step aside elsewhere."""
    handles = []
    add_hook = hooks.add_hook

    def tracked(*args, **kwargs):
        handles.append(add_hook(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(hooks, "add_hook", tracked)
    yield
    for handle in handles:
        handle.remove()


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


# ----------------------------------------------------------------- Bidirectional's inner layers
def _bidirectional(return_sequences: bool, return_state: bool, merge_mode="concat"):
    return gn.Bidirectional(
        gn.LSTM(
            4,
            return_sequences=return_sequences,
            return_state=return_state,
            dtype=np.float64,
            rng=0,
        ),
        merge_mode=merge_mode,
    )


def _flat(result) -> list[gn.Tensor]:
    return result if isinstance(result, list) else [result]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_forward_hooks_on_bidirectional_inner_layers_fire_and_see_what_each_layer_returns(
    rng, return_sequences, return_state, masked
):
    layer = _bidirectional(return_sequences, return_state)
    x = gn.Tensor(rng.normal(size=(2, 5, 3)))
    options = {"mask": np.arange(5) < np.array([[5], [3]])} if masked else {}
    before = [t.data.copy() for t in _flat(layer(x, **options))]
    seen = {"pre": [], "forward": []}
    handles = []
    for inner in (layer.forward_layer, layer.backward_layer):
        handles.append(inner.register_forward_pre_hook(lambda m, args: seen["pre"].append(m)))
        handles.append(
            inner.register_forward_hook(lambda m, args, out: seen["forward"].append((m, args, out)))
        )
    after = [t.data for t in _flat(layer(x, **options))]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)  # the same bits with hooks as without
    inner_layers = [layer.forward_layer, layer.backward_layer]
    assert seen["pre"] == inner_layers
    assert [m for m, _, _ in seen["forward"]] == inner_layers
    for handle in handles:
        handle.remove()
    for inner, (_, args, out) in zip(inner_layers, seen["forward"]):
        assert args[0] is x
        # What the layer returns on its own (Keras's backward layer: the steps in its reading order).
        for got, alone in zip(_flat(out), _flat(inner(x, **options)), strict=True):
            np.testing.assert_array_equal(got.data, alone.data)
    if return_sequences and not return_state:
        backward_out = seen["forward"][1][2].data
        np.testing.assert_array_equal(backward_out[:, ::-1], after[0][..., 4:])


def test_backward_hook_on_bidirectional_backward_layer_gets_its_own_gradients(rng):
    layer = _bidirectional(return_sequences=True, return_state=False)
    x = rng.normal(size=(2, 5, 3))
    weights = rng.normal(size=(2, 5, 8))
    plain_x = gn.Tensor(x, requires_grad=True)
    (layer(plain_x) * weights).sum().backward()
    plain = [p.grad.copy() for p in layer.parameters()] + [plain_x.grad]
    layer.zero_grad()
    calls = []
    layer.backward_layer.register_full_backward_hook(_recorder(calls, _ours))
    hooked_x = gn.Tensor(x, requires_grad=True)
    (layer(hooked_x) * weights).sum().backward()
    hooked = [p.grad for p in layer.parameters()] + [hooked_x.grad]
    for a, b in zip(plain, hooked, strict=True):
        np.testing.assert_array_equal(a, b)
    [((grad_input,), (grad_output,))] = calls
    # The layer's own output is in its reading order: its gradient is the merged one's, flipped.
    np.testing.assert_array_equal(grad_output, weights[:, ::-1, 4:])
    # grad_input: what the backward layer alone sends its input for that grad_output.
    alone = gn.LSTM(4, return_sequences=True, go_backwards=True, dtype=np.float64)
    alone.build(3)
    alone.load_state_dict(layer.backward_layer.state_dict())
    alone_x = gn.Tensor(x, requires_grad=True)
    (alone(alone_x) * weights[:, ::-1, 4:]).sum().backward()
    np.testing.assert_allclose(grad_input, alone_x.grad, rtol=1e-12)


def test_a_hooked_call_leaves_no_reference_cycle_to_its_module(rng):
    """Without the cycle collector, a module with a backward hook and the graph of its call go
    away with their last reference (a cycle would keep the hook, and fit's steps eager, until
    a collection)."""
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        layer = gn.nn.GRU(3, 4, rng=0)
        layer.register_full_backward_hook(lambda m, gi, go: None)
        out, h_n = layer(gn.Tensor(rng.normal(size=(2, 5, 3)).astype(np.float32)))
        (out.sum() + h_n.sum()).backward()
        gone = weakref.ref(layer)
        del layer, out, h_n
        assert gone() is None and not hooks.replay_blocking_hooks()
    finally:
        gc.enable()
