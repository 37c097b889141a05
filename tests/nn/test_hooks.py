"""Module hooks with PyTorch's contract: forward pre-hooks, forward hooks, full backward hooks."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import hooks


def _pair(torch, rng):
    layer = gn.nn.Linear(3, 2, dtype=np.float64, rng=0)
    twin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data))
        twin.bias.copy_(torch.from_numpy(layer.bias.data))
    x = rng.normal(size=(4, 3))
    return layer, twin, x


def test_module_call_costs_nothing_without_hooks():
    assert gn.nn.Module.__call__ is hooks.plain_call
    layer = gn.nn.ReLU()
    handle = layer.register_forward_hook(lambda m, a, o: None)
    version = hooks.hooks_version()
    assert gn.nn.Module.__call__ is hooks.hooked_call and not hooks.replay_blocking_hooks()
    handle.remove()
    handle.remove()  # twice does nothing
    assert gn.nn.Module.__call__ is hooks.plain_call and hooks.hooks_version() != version
    layer.register_forward_pre_hook(lambda m, a: None)
    assert hooks.replay_blocking_hooks()
    del layer  # a module that goes away takes its hooks with it
    assert gn.nn.Module.__call__ is hooks.plain_call and not hooks.replay_blocking_hooks()


def test_forward_pre_hook_and_forward_hook_may_replace_args_and_output(torch, rng):
    layer, twin, x = _pair(torch, rng)
    for module in (layer, twin):
        module.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        module.register_forward_hook(lambda m, args, out: out + 1)
    ours = layer(gn.Tensor(x)).data
    theirs = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_forward_hook_sees_module_args_and_output():
    layer = gn.nn.ReLU()
    seen = []
    with layer.register_forward_hook(
        lambda m, args, out: seen.append((m, args[0].shape, out.shape))
    ):
        layer(gn.Tensor(np.ones((3, 2))))
    layer(gn.Tensor(np.ones((3, 2))))  # removed at the end of the with block
    assert seen == [(layer, (3, 2), (3, 2))]


def test_full_backward_hook_gets_torchs_grad_input_and_grad_output(torch, rng):
    layer, twin, x = _pair(torch, rng)
    ours, theirs = [], []
    layer.register_full_backward_hook(
        lambda m, gi, go: ours.append((gi[0].data.copy(), go[0].data.copy()))
    )
    twin.register_full_backward_hook(
        lambda m, gi, go: theirs.append((gi[0].numpy().copy(), go[0].numpy().copy()))
    )
    xt = gn.Tensor(x, requires_grad=True)
    (layer(xt) ** 2).sum().backward()
    tx = torch.from_numpy(x).requires_grad_()
    (twin(tx) ** 2).sum().backward()
    np.testing.assert_allclose(ours[0][0], theirs[0][0], rtol=1e-12)
    np.testing.assert_allclose(ours[0][1], theirs[0][1], rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-12)


def test_full_backward_hook_may_replace_grad_input(torch, rng):
    layer, twin, x = _pair(torch, rng)
    for module in (layer, twin):
        module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
    before = gn.nn.Linear(4, 3, dtype=np.float64, rng=1)
    twin_before = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        twin_before.weight.copy_(torch.from_numpy(before.weight.data))
        twin_before.bias.copy_(torch.from_numpy(before.bias.data))
    x4 = rng.normal(size=(5, 4))
    layer(before(gn.Tensor(x4))).sum().backward()
    twin(twin_before(torch.from_numpy(x4))).sum().backward()
    np.testing.assert_allclose(before.weight.grad, twin_before.weight.grad.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_on_the_first_layer_gets_none_for_the_data(torch, rng):
    layer, twin, x = _pair(torch, rng)
    ours, theirs = [], []
    layer.register_full_backward_hook(lambda m, gi, go: ours.append(gi))
    twin.register_full_backward_hook(lambda m, gi, go: theirs.append(gi))
    layer(gn.Tensor(x)).sum().backward()
    twin(torch.from_numpy(x)).sum().backward()
    assert ours == [(None,)] and theirs == [(None,)]


def _mixing_module(base: type, tanh) -> object:
    class Mix(base):
        def forward(self, a, b, scale):
            inner = b
            for _ in range(3):  # b's gradient is ready only after these ops' backward
                inner = tanh(inner * inner)
            return a * inner * scale

    return Mix()


def test_full_backward_hook_on_a_module_with_two_differentiable_inputs(torch, rng):
    """One entry per input, the hook fires once (after both gradients are known, although one
    input's gradient is ready long before the other's) and may replace both, as PyTorch's."""
    x = rng.normal(size=(3, 2))
    modules = {
        "ours": _mixing_module(gn.nn.Module, gn.functional.tanh),
        "theirs": _mixing_module(torch.nn.Module, torch.tanh),
    }
    leaves = {
        "ours": gn.Tensor(x, requires_grad=True),
        "theirs": torch.from_numpy(x).requires_grad_(),
    }
    calls = {"ours": [], "theirs": []}
    for side, module in modules.items():

        def hook(m, grad_input, grad_output, seen=calls[side]):
            seen.append(tuple(None if g is None else g.numpy().copy() for g in grad_input))
            return (grad_input[0] * 2.0, grad_input[1] * -1.0, None)

        module.register_full_backward_hook(hook)
        leaf = leaves[side]
        module(leaf * 1.0, leaf + 1.0, 3.0).sum().backward()
    (ours,), (theirs,) = calls["ours"], calls["theirs"]
    assert len(ours) == len(theirs) == 3 and ours[2] is None and theirs[2] is None
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(leaves["ours"].grad, leaves["theirs"].grad.numpy(), rtol=1e-12)


def test_hooks_fire_on_submodules_of_a_model_in_order():
    model = gn.Model([gn.Linear(2, 3, rng=0), gn.ReLU(), gn.Linear(3, 1, rng=0)])
    order = []
    handles = [
        layer.register_forward_hook(lambda m, a, o: order.append(m.name)) for layer in model.layers
    ]
    model(gn.Tensor(np.ones((2, 2), dtype=np.float32)))
    for handle in handles:
        handle.remove()
    assert order == ["linear_1", "relu_1", "linear_2"]
