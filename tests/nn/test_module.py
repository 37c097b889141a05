"""The Module contract: registration, dotted names, modes, state_dict round trips."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError


class Block(gn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = gn.Linear(3, 4, rng=0)
        self.scale = gn.Parameter(np.ones(4, dtype=np.float32))
        self.second = gn.Linear(4, 2, rng=1)

    def forward(self, x):
        return self.second(self.first(x) * self.scale)


def test_parameters_register_on_assignment_own_first_then_submodules_as_torch() -> None:
    names = [name for name, _ in Block().named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "second.weight", "second.bias"]


def test_nested_sequential_gives_dotted_indices() -> None:
    net = gn.Sequential(gn.Linear(2, 3, rng=0), gn.ReLU(), gn.Sequential(gn.Linear(3, 1, rng=0)))
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.0.weight",
        "2.0.bias",
    ]
    assert len(net) == 3 and isinstance(net[1], gn.ReLU)


def test_shared_parameter_is_listed_once() -> None:
    block = Block()
    block.alias = block.scale
    assert sum(p is block.scale for p in block.parameters()) == 1


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Broken(gn.Module):
        def __init__(self) -> None:
            self.w = gn.Parameter(np.ones(2, dtype=np.float32))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Broken()


def test_reassigning_a_plain_value_unregisters_the_parameter() -> None:
    block = Block()
    block.scale = None
    assert "scale" not in dict(block.named_parameters())


def test_reassigning_a_registered_name_moves_it_to_the_end_and_switches_its_registry() -> None:
    # The order of parameters() is the optimizer state's and the saved file's order: it must not
    # change from one version to the next.
    block = Block()
    block.scale = gn.Parameter(np.zeros(4, dtype=np.float32))
    block.first = gn.Linear(3, 4, rng=2)
    assert [n for n, _ in block.named_parameters()] == [
        "scale",
        "second.weight",
        "second.bias",
        "first.weight",
        "first.bias",
    ]
    block.first = gn.Parameter(
        np.ones(1, dtype=np.float32)
    )  # a Module's name now holds a Parameter
    block.scale = gn.Linear(1, 1, rng=0)  # and a Parameter's name a Module
    assert [n for n, _ in block.named_parameters()] == [
        "first",
        "second.weight",
        "second.bias",
        "scale.weight",
        "scale.bias",
    ]
    block.note = 3  # a plain, unregistered name touches no registry
    assert "note" not in dict(block.named_parameters()) and block.note == 3


def test_train_and_eval_set_every_submodule() -> None:
    block = Block()
    block.eval()
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_zero_grad_clears_every_gradient() -> None:
    block = Block()
    block(gn.Tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_state_dict_round_trip_copies_values_in_place() -> None:
    source, target = Block(), Block()
    target.first.weight.data[...] = 0
    weight_buffer = target.first.weight.data
    target.load_state_dict(source.state_dict())
    assert target.first.weight.data is weight_buffer
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_state_dict_is_a_copy() -> None:
    block = Block()
    state = block.state_dict()
    state["scale"][...] = 7
    assert block.scale.data[0] == 1


def test_load_state_dict_reports_every_problem_and_changes_nothing() -> None:
    block = Block()
    before = block.state_dict()
    state = block.state_dict()
    state["first.weight"] = np.zeros((3, 4))
    del state["second.bias"]
    state["third.weight"] = np.zeros(1)
    with pytest.raises(ShapeError) as info:
        block.load_state_dict(state)
    message = str(info.value)
    assert "first.weight: given (3, 4), model has (4, 3)" in message
    assert "missing second.bias" in message and "unexpected third.weight" in message
    for name, value in block.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_non_strict_load_ignores_missing_and_unexpected_names() -> None:
    block = Block()
    block.load_state_dict({"scale": np.full(4, 2.0), "other": np.ones(1)}, strict=False)
    np.testing.assert_array_equal(block.scale.data, np.full(4, 2.0, dtype=np.float32))


def test_repr_shows_the_tree() -> None:
    text = repr(Block())
    assert "(first): Linear(in_features=3, out_features=4, bias=True)" in text


def test_parameter_requires_float_data() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        gn.Parameter(np.array([1, 2]))
