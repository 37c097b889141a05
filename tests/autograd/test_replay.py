"""record() and Replay: a recorded graph run again on new arrays equals a freshly built one, bit for bit."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd import function as function_module
from glassnet.autograd import replay as replay_module
from glassnet.autograd.replay import NotReplayableError, Replay, record
from glassnet.errors import GraphError

BATCH, FEATURES, HIDDEN, CLASSES = 8, 6, 5, 3


def _params(dtype, seed: int = 0) -> dict[str, gn.Tensor]:
    rng = np.random.default_rng(seed)
    shapes = {
        "w1": (HIDDEN, FEATURES),
        "b1": (HIDDEN,),
        "w2": (CLASSES, HIDDEN),
        "b2": (CLASSES,),
        "square": (FEATURES, FEATURES),
    }
    return {
        name: gn.Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True)
        for name, shape in shapes.items()
    }


def _mlp(x, y, p):
    hidden = F.relu(F.linear(x, p["w1"], p["b1"]))
    return F.cross_entropy(F.linear(hidden, p["w2"], p["b2"]), y)


def _diamond(x, y, p):
    h = F.linear(x, p["w1"], p["b1"])  # feeds both branches
    a, b = F.tanh(h), F.sigmoid(h)
    return F.mse_loss(F.linear(a * b + a, p["w2"], p["b2"]), y)


def _weight_used_twice(x, y, p):
    h = F.tanh(x @ p["square"]) @ p["square"]  # two contributions add up in square.grad
    return F.mse_loss(F.linear(F.linear(h, p["w1"]), p["w2"], p["b2"]), y)


def _input_op_without_grad(x, y, p):
    centred = (x * 2.0) - (x * 2.0).mean(axis=0)  # ops on the batch alone: no graph, still data
    return F.mse_loss(F.linear(F.relu(F.linear(centred, p["w1"], p["b1"])), p["w2"]), y)


def _views(x, y, p):
    swapped = x.reshape(BATCH, 2, 3).transpose(0, 2, 1).reshape(BATCH, FEATURES)
    return F.mse_loss((swapped @ p["w1"].T + p["b1"]) @ p["w2"].T, y)


def _scalar_constants(x, y, p):
    h = (F.linear(x, p["w1"], p["b1"]) * 0.5 + 1.0) ** 2 / 3.0 - 0.25
    return F.mse_loss(F.linear(h, p["w2"]) * 2, y) + 1e-3


GRAPHS = {
    "mlp": _mlp,
    "diamond": _diamond,
    "weight_used_twice": _weight_used_twice,
    "input_op_without_grad": _input_op_without_grad,
    "views": _views,
    "scalar_constants": _scalar_constants,
}


def _batch(rng, dtype, labels: bool) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(BATCH, FEATURES)).astype(dtype)
    y = (
        rng.integers(0, CLASSES, size=BATCH)
        if labels
        else rng.normal(size=(BATCH, CLASSES)).astype(dtype)
    )
    return x, y


def _eager(graph, params, x, y) -> tuple[np.ndarray, dict[str, np.ndarray | None]]:
    for p in params.values():
        p.grad = None
    loss = graph(gn.Tensor(x), gn.Tensor(y), params)
    loss.backward()
    return loss.data, {name: p.grad for name, p in params.items()}


def _replayed(replay, params, x, y) -> tuple[np.ndarray, dict[str, np.ndarray | None]]:
    for p in params.values():
        p.grad = None
    loss = replay.run(x, y)
    replay.backward()
    return loss, {name: p.grad for name, p in params.items()}


def _record(graph, params, x, y) -> tuple[Replay, gn.Tensor, gn.Tensor]:
    inputs = gn.Tensor(x), gn.Tensor(y)
    with record() as ops:
        loss = graph(*inputs, params)
    return Replay(ops, inputs=inputs, loss=loss), loss, inputs[0]


def _assert_same(eager, replayed) -> None:
    (loss_e, grads_e), (loss_r, grads_r) = eager, replayed
    assert loss_r.dtype == loss_e.dtype and np.array_equal(loss_r, loss_e)
    for name, grad in grads_e.items():
        if grad is None:
            assert grads_r[name] is None, name
        else:
            assert grads_r[name].dtype == grad.dtype and np.array_equal(grads_r[name], grad), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(GRAPHS))
def test_replay_equals_a_fresh_graph_bit_for_bit(name, dtype) -> None:
    graph, rng, params = GRAPHS[name], np.random.default_rng(1), _params(dtype)
    labels = name == "mlp"
    replay, recorded_loss, _ = _record(graph, params, *_batch(rng, dtype, labels))
    recorded_loss.backward()  # as fit's first step does: the replay does not need the saved arrays
    losses = []
    for _ in range(3):
        x, y = _batch(rng, dtype, labels)
        eager = _eager(graph, params, x, y)
        _assert_same(eager, _replayed(replay, params, x, y))
        losses.append(float(eager[0]))
    assert len(set(losses)) == 3  # each run really saw new data


def test_recorded_tensors_hold_the_last_runs_values() -> None:
    params, rng = _params(np.float64), np.random.default_rng(2)
    inputs = [gn.Tensor(a) for a in _batch(rng, np.float64, labels=True)]
    with record() as ops:
        hidden = F.relu(F.linear(inputs[0], params["w1"], params["b1"]))
        loss = F.cross_entropy(F.linear(hidden, params["w2"], params["b2"]), inputs[1])
    replay = Replay(ops, inputs=inputs, loss=loss)
    x, y = _batch(rng, np.float64, labels=True)
    replay.run(x, y)
    expected = F.relu(F.linear(gn.Tensor(x), params["w1"], params["b1"])).data
    assert np.array_equal(hidden.data, expected)
    assert np.array_equal(inputs[0].data, x)
    assert np.array_equal(loss.data, _mlp(gn.Tensor(x), gn.Tensor(y), params).data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_updated_in_place_between_runs_are_read_by_the_next(dtype) -> None:
    params, rng = _params(dtype), np.random.default_rng(3)
    replay, _, _ = _record(_diamond, params, *_batch(rng, dtype, labels=False))
    for _ in range(4):
        x, y = _batch(rng, dtype, labels=False)
        eager = _eager(_diamond, params, x, y)
        replayed = _replayed(replay, params, x, y)
        _assert_same(eager, replayed)
        for name, grad in replayed[
            1
        ].items():  # an SGD step, in place: the arrays keep their identity
            if grad is not None:
                params[name].data -= dtype(0.5) * grad


def test_a_batch_sized_constant_made_outside_the_ops_is_refused() -> None:
    params = _params(np.float32)
    x, y = (gn.Tensor(a) for a in _batch(np.random.default_rng(4), np.float32, labels=True))
    with record() as ops:
        doubled = gn.Tensor(x.data * 2)  # data, but frozen at this batch's value if replayed
        loss = F.cross_entropy(F.linear(doubled, params["w1"]), y)
    with pytest.raises(NotReplayableError, match=r"constant of shape \(8, 6\)"):
        Replay(ops, inputs=[x, y], loss=loss)
    assert issubclass(NotReplayableError, GraphError)


def test_a_constant_not_as_long_as_the_batch_is_read_afresh() -> None:
    params, rng = _params(np.float64), np.random.default_rng(5)
    scale = gn.Tensor(np.linspace(0.5, 1.5, FEATURES))

    def graph(x, y, p):
        return _mlp(x * scale, y, p)

    replay, _, _ = _record(graph, params, *_batch(rng, np.float64, labels=True))
    scale.data *= 2  # in place, as a parameter would be
    x, y = _batch(rng, np.float64, labels=True)
    _assert_same(_eager(graph, params, x, y), _replayed(replay, params, x, y))


def test_a_grad_requiring_tensor_computed_before_the_recording_is_refused() -> None:
    params = _params(np.float32)
    x, y = (gn.Tensor(a) for a in _batch(np.random.default_rng(6), np.float32, labels=True))
    scaled = params["w1"] * 2.0  # its value would go stale once w1 is updated
    with record() as ops:
        loss = F.cross_entropy(F.linear(x, scaled), y)
    with pytest.raises(NotReplayableError, match="computed before the recording"):
        Replay(ops, inputs=[x, y], loss=loss)


def test_the_loss_must_be_a_recorded_scalar() -> None:
    params = _params(np.float32)
    x = gn.Tensor(_batch(np.random.default_rng(7), np.float32, labels=True)[0])
    with record() as ops:
        out = F.linear(x, params["w1"])
    with pytest.raises(NotReplayableError, match="scalar"):
        Replay(ops, inputs=[x], loss=out)


def test_record_lists_each_op_with_its_inputs_and_output() -> None:
    w = gn.Tensor([2.0], requires_grad=True)
    with record() as ops:
        y = w * 3.0
        z = y.sum()
    assert [type(fn).__name__ for fn, _, _ in ops] == ["Mul", "Sum"]
    assert ops[0][1][0] is w and ops[0][2] is y and ops[1][1] == [y] and ops[1][2] is z


def test_recordings_do_not_nest() -> None:
    w = gn.Tensor([1.0], requires_grad=True)
    with record() as outer:
        with pytest.raises(GraphError, match="do not nest"):
            with record():
                pass
        w * 2.0  # the refused inner block left the outer one recording
    assert len(outer) == 1
    assert function_module._grad_mode.recording is None


def test_an_error_inside_record_turns_the_hook_off() -> None:
    w = gn.Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="boom"):
        with record() as ops:
            w * 2.0
            raise RuntimeError("boom")
    assert function_module._grad_mode.recording is None
    (w * 3.0).sum()
    assert len(ops) == 1
    with record() as again:  # and a new recording can start
        w * 4.0
    assert len(again) == 1


def test_module_docstring_example_runs() -> None:
    # The suite does not collect doctests (no --doctest-modules in pyproject), so run this one here.
    result = doctest.testmod(replay_module)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- what a replay must refuse


def test_an_index_taken_from_an_input_is_refused() -> None:
    # getitem keeps its index as an option, not an input: replaying would reuse the first batch's.
    w = gn.Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    index = gn.Tensor(np.array([0, 1]))
    with record() as ops:
        loss = w[index].sum()
    with pytest.raises(NotReplayableError, match="option 'index'"):
        Replay(ops, inputs=[index], loss=loss)


@pytest.mark.parametrize("recorded_as", [True, False], ids=["frozen_after", "unfrozen_after"])
def test_a_replay_refuses_to_run_after_a_parameter_changed_requires_grad(recorded_as: bool) -> None:
    # Which inputs need a gradient shaped the recorded graph; the caller must record again.
    params, rng = _params(np.float64), np.random.default_rng(8)
    params["w1"].requires_grad_(recorded_as)
    replay, _, _ = _record(_mlp, params, *_batch(rng, np.float64, labels=True))
    params["w1"].requires_grad_(not recorded_as)
    with pytest.raises(NotReplayableError, match="requires_grad changed"):
        replay.run(*_batch(rng, np.float64, labels=True))


def test_run_checks_its_arrays_against_the_recording() -> None:
    params, rng = _params(np.float64), np.random.default_rng(10)
    replay, _, _ = _record(_mlp, params, *_batch(rng, np.float64, labels=True))
    x, y = _batch(rng, np.float64, labels=True)
    with pytest.raises(GraphError, match="expected arrays"):
        replay.run(x)
    with pytest.raises(GraphError, match="expected arrays"):
        replay.run(x[:4], y[:4])
    with pytest.raises(GraphError, match="expected arrays"):
        replay.run(x.astype(np.float32), y)
    with pytest.raises(GraphError, match="expected arrays"):  # not arrays at all
        replay.run(x.tolist(), y)
    with pytest.raises(GraphError, match="expected arrays"):  # the right shape, but no dtype
        replay.run(type("ShapeOnly", (), {"shape": x.shape})(), y)


def test_every_run_starts_from_the_same_seed_gradient() -> None:
    # The seed d loss / d loss is made once and shared by every backward: it is read-only.
    params, rng = _params(np.float64), np.random.default_rng(11)
    replay, _, _ = _record(_mlp, params, *_batch(rng, np.float64, labels=True))
    for _ in range(3):
        replay.run(*_batch(rng, np.float64, labels=True))
        replay.backward()
        assert replay._seed.tolist() == 1.0 and not replay._seed.flags.writeable


def test_backward_needs_a_run_first() -> None:
    params, rng = _params(np.float64), np.random.default_rng(11)
    replay, _, _ = _record(_mlp, params, *_batch(rng, np.float64, labels=True))
    with pytest.raises(GraphError, match=r"call run\(\) first"):
        replay.backward()
    replay.run(*_batch(rng, np.float64, labels=True))
    replay.backward()
    with pytest.raises(GraphError, match=r"call run\(\) first"):
        replay.backward()
