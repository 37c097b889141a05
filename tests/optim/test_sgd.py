"""SGD against torch.optim.SGD, step by step, and its argument checks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim import SGD

OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.01),
]


@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_100_steps_match_torch_sgd(options, torch, rng) -> None:
    start = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    gradients = [[rng.normal(size=p.shape) for p in start] for _ in range(100)]
    ours = [gn.Parameter(p.copy()) for p in start]
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in start]
    our_opt, their_opt = SGD(ours, **options), torch.optim.SGD(theirs, **options)
    for step_grads in gradients:
        for p, q, g in zip(ours, theirs, step_grads):
            p.grad = g.copy()
            q.grad = torch.from_numpy(g.copy())
        our_opt.step()
        their_opt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_updates_in_place_and_skips_parameters_without_gradient() -> None:
    a, b = gn.Parameter(np.ones(2, dtype=np.float32)), gn.Parameter(np.ones(2, dtype=np.float32))
    buffer = a.data
    a.grad = np.ones(2, dtype=np.float32)
    SGD([a, b], lr=0.5).step()
    assert a.data is buffer and a.dtype == np.float32
    np.testing.assert_allclose(a.data, 0.5)
    np.testing.assert_allclose(b.data, 1.0)


def test_parameter_groups_use_their_own_learning_rate() -> None:
    a, b = gn.Parameter(np.ones(1)), gn.Parameter(np.ones(1))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad, b.grad = np.ones(1), np.ones(1)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.0])


def test_zero_grad_and_state_dict_round_trip() -> None:
    p = gn.Parameter(np.ones(3))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3)
    opt.step()
    state = opt.state_dict()
    opt.zero_grad()
    assert p.grad is None
    other = SGD([gn.Parameter(np.ones(3))], lr=0.5, momentum=0.9)
    other.load_state_dict(state)
    assert other.lr == 0.1
    np.testing.assert_array_equal(other.state[0]["momentum_buffer"], np.ones(3))


def test_late_binding_with_params_none() -> None:
    opt = SGD(lr=0.1)
    p = gn.Parameter(np.ones(1))
    opt.bind([p])
    p.grad = np.ones(1)
    opt.step()
    np.testing.assert_allclose(p.data, 0.9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), "lr must be >= 0"),
        (dict(lr=0.1, momentum=-1), "momentum must be >= 0"),
        (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
        (dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        SGD([gn.Parameter(np.ones(1))], **kwargs)


def test_empty_parameter_list_and_loading_wrong_shapes_are_errors() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    p = gn.Parameter(np.ones(3))
    opt = SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"has shape \(2,\), the parameter has \(3,\)"):
        opt.load_state_dict(
            {"param_groups": [{"lr": 0.1}], "state": {0: {"momentum_buffer": np.ones(2)}}}
        )


def test_a_sgd_subclass_with_its_own_descend_is_not_bypassed_by_the_plain_fast_path() -> None:
    class SignSGD(gn.optim.SGD):
        def descend(self, param, direction, lr):
            param.data -= lr * np.sign(direction)

    w = gn.Tensor(np.array([1.0, 1.0]), requires_grad=True)
    w.grad = np.array([10.0, -0.001])
    SignSGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, [0.9, 1.1])


# Above BLOCK_BYTES, descend updates a parameter in row blocks: several rows per block, one row
# per block (a wide parameter), and a long vector.
LARGE_SHAPES = [(300, 200), (4, 100_000), (100_000,)]


@pytest.mark.parametrize("options", OPTIONS[:2], ids=["plain", "momentum"])
@pytest.mark.parametrize("shape", LARGE_SHAPES, ids=str)
def test_large_parameters_match_torch_sgd(shape, options, torch, rng) -> None:
    start, gradients = rng.normal(size=shape), [rng.normal(size=shape) for _ in range(5)]
    assert start.nbytes > gn.optim.optimizer.BLOCK_BYTES
    ours, theirs = gn.Parameter(start.copy()), torch.nn.Parameter(torch.from_numpy(start.copy()))
    our_opt, their_opt = SGD([ours], **options), torch.optim.SGD([theirs], **options)
    for g in gradients:
        ours.grad, theirs.grad = g.copy(), torch.from_numpy(g.copy())
        our_opt.step()
        their_opt.step()
        np.testing.assert_array_equal(ours.grad, g)  # left intact, as torch.optim leaves it
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def _change_layout(p: gn.Parameter, how: str) -> None:
    if how == "transposed view":  # not contiguous
        p.data = p.data.T
    elif how == "new array of another shape":
        p.data = np.ascontiguousarray(p.data.reshape(150, 400))
    elif how == "reshaped in place":  # the same array object, another shape
        p.data.shape = (600, 100)


@pytest.mark.parametrize(
    "how", ["transposed view", "new array of another shape", "reshaped in place"]
)
def test_a_large_parameter_is_updated_wherever_its_array_now_is(how, rng) -> None:
    p = gn.Parameter(rng.normal(size=(300, 200)))  # float64: 480 KB, above BLOCK_BYTES
    opt = SGD([p], lr=0.1)
    p.grad = np.ones(p.shape)
    opt.step()  # the descent plan for the first array
    _change_layout(p, how)
    before, p.grad = p.data.copy(), rng.normal(size=p.shape)
    opt.step()
    np.testing.assert_array_equal(p.data, before - 0.1 * p.grad)


def test_rebinding_forgets_the_old_parameters() -> None:
    old, new = gn.Parameter(np.ones((300, 200))), gn.Parameter(np.ones((300, 200)))
    opt = SGD([old], lr=0.1)
    old.grad = np.ones(old.shape)
    opt.step()
    opt.bind([new])
    new.grad = np.ones(new.shape)
    opt.step()
    kept = [
        entry[1] for entry in opt._blocks.values()
    ]  # the arrays that kept row blocks hold on to
    assert len(kept) == 1 and kept[0] is new.data
    np.testing.assert_allclose(new.data, 0.9)


def test_a_deep_copied_optimizer_updates_the_copies_of_its_parameters(rng) -> None:
    w = gn.Parameter(rng.normal(size=(400, 400)).astype(np.float32))  # 640 KB: in row blocks
    opt = SGD([w], lr=0.1)
    w.grad = np.ones(w.shape, np.float32)
    opt.step()
    original = w.data.copy()
    w_copy, opt_copy = copy.deepcopy((w, opt))
    # The copied plan's block views are copies too, not views of w_copy's array. Were it used for
    # another parameter holding that array (as when a dead parameter's id is reused), the update
    # would land in those orphan blocks: plans check which parameter they were made for.
    (entry,) = opt_copy._blocks.values()
    stranger = gn.Parameter(np.zeros(1, np.float32))
    stranger.data = w_copy.data
    opt_copy.bind([stranger])
    opt_copy._blocks = {id(stranger): entry}
    before = stranger.data.copy()
    stranger.grad = np.ones(stranger.shape, np.float32)
    opt_copy.step()
    np.testing.assert_allclose(stranger.data, before - np.float32(0.1))
    np.testing.assert_array_equal(w.data, original)  # the original is not touched by the copy


def test_defaults_are_pytorchs_and_keras_name_keeps_keras_lr(torch) -> None:
    import inspect

    ours = inspect.signature(SGD).parameters
    theirs = inspect.signature(torch.optim.SGD).parameters
    for name in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
        assert ours[name].default == theirs[name].default, name
    model = gn.Model([gn.Linear(2, 1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.optimizer.defaults["lr"] == 0.01
