"""Tensor.register_hook, detect_anomaly and the op observation they rest on."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd.observe import array_stats, hooks_registered, observing
from glassnet.autograd.replay import record
from glassnet.errors import NonFiniteError, NonFiniteLossError
from glassnet.nn import hooks


def test_leaf_hook_replaces_the_gradient_before_it_is_accumulated():
    w = gn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    handle = w.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    (w * w).sum().backward()
    assert seen[0].tolist() == [2.0, 4.0]
    assert w.grad.tolist() == [20.0, 40.0]
    handle.remove()
    w.grad = None
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    assert not hooks_registered()


def test_hook_on_an_intermediate_tensor_changes_what_flows_upstream(torch):
    x = gn.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 3.0
    h.register_hook(lambda g: g * 0.5)
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))  # sees the first hook's result
    (h * h).sum().backward()
    tx = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    th = tx * 3.0
    th.register_hook(lambda g: g * 0.5)
    (th * th).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    np.testing.assert_allclose(seen[0], (2 * h.data) * 0.5)


def test_hook_on_a_leaf_used_twice_sees_the_total_once_as_torch(torch):
    w = gn.Tensor(np.array([1.0]), requires_grad=True)
    calls = []
    with w.register_hook(lambda g: calls.append(float(g.data[0]))):
        (w * 2.0 + w * 3.0).sum().backward()
    tw = torch.tensor([1.0], requires_grad=True)
    torch_calls = []
    tw.register_hook(lambda g: torch_calls.append(float(g[0])))
    (tw * 2.0 + tw * 3.0).sum().backward()
    assert calls == torch_calls == [5.0] and w.grad.tolist() == [5.0]


def test_hook_returning_a_wrong_shape_is_refused():
    w = gn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with w.register_hook(lambda g: np.zeros(3)), pytest.raises(ValueError, match="shape"):
        (w * w).sum().backward()


def test_hook_needs_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gn.Tensor([1.0]).register_hook(lambda g: g)


def test_detect_anomaly_names_the_op_and_the_users_line():
    x = gn.Tensor(np.array([1.0, 0.0, 2.0]), requires_grad=True)
    with pytest.raises(NonFiniteError) as info, gn.detect_anomaly():
        (x * 1.0).log()  # the line the error must name
    message = str(info.value)
    assert message.startswith("log produced 0 NaN and 1 Inf")
    assert "test_observe.py" in message and "(x * 1.0).log()" in message
    assert "input 0: (3,) float64" in message and "zeros 33%" in message
    assert isinstance(info.value, FloatingPointError)


def test_detect_anomaly_catches_a_non_finite_gradient_from_finite_values():
    x = gn.Tensor(np.array([4.0, 0.0]), requires_grad=True)
    with gn.detect_anomaly():
        y = (x * 1.0).sqrt().sum()  # sqrt(0) = 0 is finite; its gradient 1 / (2 sqrt 0) is not
        with pytest.raises(NonFiniteError, match=r"sqrt: backward gave 0 NaN and 1 Inf") as info:
            y.backward()
    assert "y = (x * 1.0).sqrt().sum()" in str(info.value)


def test_detect_anomaly_names_the_layer():
    model = gn.Model([gn.Linear(2, 2, rng=0), gn.ReLU()])
    model.layers[0].weight.data[0] = 3e38  # finite, but their sum overflows float32 inside linear_1
    with pytest.raises(NonFiniteError, match="in layer 'linear_1'"), gn.detect_anomaly():
        model(gn.Tensor(np.ones((3, 2), dtype=np.float32)))


def test_non_finite_inputs_are_not_blamed_on_the_op_that_passes_them_on():
    x = gn.Tensor(np.array([np.nan, 1.0]))
    with gn.detect_anomaly():
        y = x * 2.0  # the NaN came in with the data
    assert np.isnan(y.data[0])


def test_everything_is_back_to_normal_after_the_block():
    with gn.detect_anomaly():
        with gn.detect_anomaly():  # nests
            pass
    assert gn.nn.Module.__call__ is hooks.plain_call
    with record() as ops:
        gn.Tensor([1.0], requires_grad=True) * 2.0
    assert len(ops) == 1


def test_a_recording_inside_an_observation_still_gets_every_op():
    seen = []
    with observing(lambda fn, inputs, out: seen.append(fn.name)):
        with record() as ops:
            (gn.Tensor([1.0], requires_grad=True) * 2.0).sum()
    assert seen == ["mul", "sum"] and [fn.name for fn, _, _ in ops] == ["mul", "sum"]


def test_a_forgotten_leaf_takes_its_hooks_with_it():
    w = gn.Tensor([1.0], requires_grad=True)
    w.register_hook(lambda g: g)
    assert hooks_registered()
    del w
    assert not hooks_registered()


def test_array_stats_count_nan_inf_and_zeros():
    stats = array_stats(np.array([0.0, 1.0, np.nan, np.inf, 3.0]))
    assert stats["nan"] == 1 and stats["inf"] == 1 and stats["zeros"] == 0.2
    assert stats["mean"] == pytest.approx(4 / 3) and stats["max"] == 3.0


def test_the_loss_error_is_a_non_finite_error():
    assert issubclass(NonFiniteLossError, NonFiniteError)
