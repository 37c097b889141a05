"""A replay runs Tensor.backward's own walk: the same order and numbers, its rare paths too."""

from __future__ import annotations

import gc
import traceback
import tracemalloc
import weakref

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd.function import Function
from glassnet.autograd.replay import NotReplayableError, Replay, record
from glassnet.errors import GraphError


class Halved(Function):
    """y = x / 2, with a backward that returns what ops rarely do: a bare array (not a tuple), in
    float64 whatever x's dtype (the engine casts it back), as a NumPy scalar for a 0-d input."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x / 2

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return (dy / 2).astype(np.float64)[()]


class PassThrough(Function):
    """y = x, whose backward hands dy itself on: the leaf must get a copy it owns."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy


class ScalarSum(Function):
    """y = sum(x), returned as a NumPy scalar (the engine wraps it in an array)."""

    def forward(self, x: np.ndarray) -> np.float64:
        self.save(x.shape)
        return x.sum()

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        return np.broadcast_to(
            dy, self.saved[0]
        ).copy(), None  # with a trailing None, as torch allows


class Forgetful(Function):
    """a * b, whose backward returns one gradient for its two inputs."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(b)
        return a * b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.saved[0]


def _quirky(x: gn.Tensor, w: gn.Tensor, unused: gn.Tensor) -> gn.Tensor:
    h = Halved.apply(x * w) + PassThrough.apply(w) * 3.0
    side = (unused * 2.0).sum()  # recorded, but no gradient reaches it from the loss
    del side
    return ScalarSum.apply(F.tanh(h) + Halved.apply(w.sum()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_rare_paths_of_backward_equal_the_eager_ones(dtype) -> None:
    rng = np.random.default_rng(0)
    w = gn.Tensor(rng.normal(size=(4, 3)).astype(dtype), requires_grad=True)
    unused = gn.Tensor(rng.normal(size=3).astype(dtype), requires_grad=True)
    x = gn.Tensor(rng.normal(size=(4, 3)).astype(dtype))
    with record() as ops:
        loss = _quirky(x, w, unused)
    replay = Replay(ops, inputs=[x], loss=loss)
    for _ in range(3):
        batch = rng.normal(size=(4, 3)).astype(dtype)
        w.grad = unused.grad = None
        eager = _quirky(gn.Tensor(batch), w, unused)
        eager.backward()
        expected = w.grad
        w.grad = None
        replayed = replay.run(batch)
        replay.backward()
        assert type(replayed) is np.ndarray and np.array_equal(replayed, eager.data)
        assert w.grad.dtype == np.dtype(dtype) and np.array_equal(w.grad, expected)
        assert unused.grad is None


def test_a_leaf_handed_the_seed_itself_owns_a_copy() -> None:
    w = gn.Tensor(np.array(2.0), requires_grad=True)
    with record() as ops:
        loss = PassThrough.apply(w)
    replay = Replay(ops, inputs=[], loss=loss)
    replay.run()
    replay.backward()
    assert w.grad == 1.0 and not np.shares_memory(w.grad, replay._seed)
    w.grad += 1.0  # its own, writable array
    replay.run()
    replay.backward()  # a second backward without zero_grad adds up, as eager
    assert w.grad == 3.0


def test_a_backward_returning_too_few_gradients_fails_in_a_replay_as_eagerly() -> None:
    a = gn.Tensor(np.ones(3), requires_grad=True)
    b = gn.Tensor(np.ones(3), requires_grad=True)
    x = gn.Tensor(np.ones(3))
    with record() as ops:
        loss = Forgetful.apply(x * a, b).sum()
    replay = Replay(ops, inputs=[x], loss=loss)
    replay.run(np.ones(3))
    with pytest.raises(GraphError, match=r"forgetful.backward returned 1 gradients for 2 inputs"):
        replay.backward()


def test_a_traceback_through_a_replay_shows_the_ops_forward() -> None:
    class Failing(Function):
        def forward(self, x: np.ndarray) -> np.ndarray:
            if x.sum() > 100:
                raise RuntimeError("too large")
            return x * 1.0

        def backward(self, dy: np.ndarray) -> np.ndarray:
            return dy

    w = gn.Tensor(np.ones(2), requires_grad=True)
    x = gn.Tensor(np.ones(2))
    with record() as ops:
        loss = Failing.apply(x * w).sum()
    replay = Replay(ops, inputs=[x], loss=loss)
    with pytest.raises(RuntimeError, match="too large") as caught:
        replay.run(np.full(2, 1000.0))
    shown = "".join(traceback.format_exception(caught.value))
    assert 'raise RuntimeError("too large")' in shown and "in forward" in shown


def test_an_array_subclass_of_the_recorded_shape_and_dtype_is_accepted() -> None:
    w = gn.Tensor(np.ones(3), requires_grad=True)
    x = gn.Tensor(np.ones(3))
    with record() as ops:
        loss = (x * w).sum()
    replay = Replay(ops, inputs=[x], loss=loss)

    class Tagged(np.ndarray):
        pass

    assert replay.run(np.arange(3.0).view(Tagged)) == 3.0


def test_backward_lets_go_of_each_gradient_once_used() -> None:
    # Memory during backward stays at a few gradients however deep the graph, as Tensor.backward's.
    depth, n = 30, 50_000  # each intermediate gradient: 400 KB
    w = gn.Tensor(np.full(n, 1.0001), requires_grad=True)
    x = gn.Tensor(np.ones(n))
    with record() as ops:
        h = x * w
        for _ in range(depth):
            h = F.tanh(h) * 1.5
        loss = h.sum()
    replay = Replay(ops, inputs=[x], loss=loss)
    replay.run(np.ones(n))
    tracemalloc.start()
    try:
        replay.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * n * 8  # a handful of 400 KB gradients, not one per op (30 would be 12 MB)


def test_a_dropped_replay_frees_its_tensors_without_the_cycle_collector() -> None:
    w = gn.Tensor(np.ones(3), requires_grad=True)
    x = gn.Tensor(np.ones(3))
    with record() as ops:
        loss = F.tanh(x * w).sum()
    replay = Replay(ops, inputs=[x], loss=loss)
    replay.run(np.ones(3))
    replay.backward()
    alive = weakref.ref(loss)
    gc.disable()
    try:
        del replay, ops, loss
        assert alive() is None
    finally:
        gc.enable()


def test_inputs_computed_by_ops_and_a_loss_from_before_the_recording_are_refused() -> None:
    w = gn.Tensor(np.ones(3), requires_grad=True)
    h = gn.Tensor(np.ones(3)) * w  # computed before the recording
    with record() as ops:
        loss = (h * 2.0).sum()
    with pytest.raises(NotReplayableError, match="an input was computed by ops"):
        Replay(ops, inputs=[h], loss=loss)
    early = (w * 3.0).sum()
    x = gn.Tensor(np.ones(3))
    with record() as ops:
        (x * w).sum()
    with pytest.raises(NotReplayableError, match="the loss must be a recorded scalar"):
        Replay(ops, inputs=[x], loss=early)


class Logged(Function):
    """y = 2x, whose backward notes its name in ``log``: the order in which the walk visits."""

    log: list[str] = []

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * 2

    def backward(self, dy: np.ndarray) -> np.ndarray:
        Logged.log.append(self.label)
        return dy * 2


def _branches(x: gn.Tensor, w: gn.Tensor) -> gn.Tensor:
    h = Logged.apply(x * w, label="stem")
    left = Logged.apply(Logged.apply(h, label="left1"), label="left2")
    right = Logged.apply(h, label="right")
    return (left * right + Logged.apply(w, label="side").sum()).sum()


def test_a_replay_visits_the_ops_in_the_order_of_tensor_backward_without_sorting_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    w = gn.Tensor(rng.normal(size=5), requires_grad=True)
    x = gn.Tensor(rng.normal(size=5))
    with record() as ops:
        loss = _branches(x, w)
    replay = Replay(ops, inputs=[x], loss=loss)
    batch = rng.normal(size=5)
    Logged.log.clear()
    w.grad = None
    _branches(gn.Tensor(batch), w).backward()
    eager_order, eager_grad = list(Logged.log), w.grad
    # The replay walks the order found at the recording: sorting again would fail here.
    from glassnet.autograd import replay as replay_module
    from glassnet.autograd import tensor as tensor_module

    def no_sorting(root: Function) -> list[Function]:
        raise AssertionError("the replay sorted the graph again")

    for module in (tensor_module, replay_module):
        monkeypatch.setattr(module, "_topological_order", no_sorting)
    Logged.log.clear()
    w.grad = None
    replay.run(batch)
    replay.backward()
    assert Logged.log == eager_order and len(eager_order) == 5
    assert np.array_equal(w.grad, eager_grad)
