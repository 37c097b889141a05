"""Function.apply bookkeeping, no_grad and the shared unbroadcast helper."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd.function import Function, unbroadcast


class Square(Function):
    """forward: y = x^2
    backward: dx = 2 x dy
    shapes: x (*) -> y (*)
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return x * x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        return 2 * x * dy


def test_user_defined_function_plugs_into_autograd() -> None:
    x = gn.Tensor([1.0, -3.0], requires_grad=True)
    Square.apply(x).backward(np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(x.grad, [2.0, -6.0])
    assert gn.gradcheck(Square.apply, gn.Tensor([0.3, -1.2]))


class Forgetful(Function):
    """A product whose backward returns one gradient for its two inputs."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save(a, b)
        return a * b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self.saved[1]


class Generous(Square):
    """Square, with an extra trailing gradient: allowed when it is None, as in torch."""

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, None]:
        return super().backward(dy), None


def test_a_backward_must_return_one_gradient_per_input() -> None:
    a, b = gn.Tensor([1.0, 2.0], requires_grad=True), gn.Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(
        gn.errors.GraphError, match=r"forgetful.backward returned 1 gradients for 2 inputs"
    ):
        Forgetful.apply(a, b).sum().backward()
    x = gn.Tensor([1.0, -3.0], requires_grad=True)
    Generous.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, -6.0])


def test_the_default_seed_gradient_is_read_only() -> None:
    # backward must not write into dy (a replay shares one seed between all its runs): the seed
    # that loss.backward() makes is read-only too, so such a backward fails at once, eagerly.
    class Scribbler(Square):
        def backward(self, dy: np.ndarray) -> np.ndarray:
            dy *= 2
            return dy

    with pytest.raises(ValueError, match="read-only"):
        Scribbler.apply(gn.Tensor(3.0, requires_grad=True)).backward()


def test_no_graph_when_no_input_requires_grad() -> None:
    y = Square.apply(gn.Tensor([1.0]))
    assert y.creator is None and not y.requires_grad


def test_no_grad_builds_no_graph_and_restores_mode() -> None:
    x = gn.Tensor([1.0], requires_grad=True)
    with gn.no_grad():
        assert not gn.is_grad_enabled()
        y = x * 2
        with gn.enable_grad():
            z = x * 2
    assert gn.is_grad_enabled()
    assert y.creator is None and not y.requires_grad
    assert z.requires_grad


def test_no_grad_restores_mode_after_an_error() -> None:
    with pytest.raises(RuntimeError):
        with gn.no_grad():
            raise RuntimeError("boom")
    assert gn.is_grad_enabled()


def test_needs_grad_records_which_inputs_need_gradients() -> None:
    a = gn.Tensor([1.0], requires_grad=True)
    y = a * gn.Tensor([2.0])
    assert y.creator.needs_grad == (True, False)


@pytest.mark.parametrize(
    "grad_shape, shape, expected",
    [
        ((2, 3), (2, 3), np.ones((2, 3))),
        ((2, 3), (3,), np.full(3, 2.0)),
        ((2, 3), (1, 3), np.full((1, 3), 2.0)),
        ((2, 3), (2, 1), np.full((2, 1), 3.0)),
        ((4, 2, 3), (2, 1), np.full((2, 1), 12.0)),
        ((2, 3), (), np.array(6.0)),
        ((2, 1), (1, 1), np.full((1, 1), 2.0)),
    ],
)
def test_unbroadcast_sums_over_broadcast_axes(grad_shape, shape, expected) -> None:
    result = unbroadcast(np.ones(grad_shape), shape)
    assert result.shape == shape
    np.testing.assert_allclose(result, expected)
