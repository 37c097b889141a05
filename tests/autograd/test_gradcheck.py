"""gradcheck accepts correct gradients and catches wrong ones with a useful message."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd.function import Function
from glassnet.errors import GradcheckError


class WrongCube(Function):
    """forward: y = x^3; backward deliberately wrong: dx = 2 x^2 dy (should be 3 x^2 dy)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save(x)
        return x**3

    def backward(self, dy: np.ndarray) -> np.ndarray:
        (x,) = self.saved
        return 2 * x**2 * dy


class WrongShape(Function):
    """A backward that forgets to unbroadcast."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return dy, dy


class LeakyZero(Function):
    """A backward that returns a constant, so a zero upstream gives a non-zero gradient."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return np.full_like(dy, 2.0)


def test_accepts_correct_gradients_of_several_inputs() -> None:
    a = gn.Tensor(np.random.default_rng(0).uniform(1, 2, (3, 4)))
    b = gn.Tensor(np.random.default_rng(1).uniform(1, 2, (4,)))
    assert gn.gradcheck(lambda x, y: x * y / (x + y), a, b)


def test_catches_a_wrong_backward_naming_input_index_and_values() -> None:
    with pytest.raises(
        GradcheckError, match=r"input 0 \(shape \(3,\)\) at index \(\d,\): analytical"
    ):
        gn.gradcheck(WrongCube.apply, gn.Tensor([0.5, 1.0, -2.0]))


def test_catches_a_gradient_of_the_wrong_shape() -> None:
    with pytest.raises(
        GradcheckError, match=r"input 1 has shape \(3,\) but its gradient has shape \(2, 3\)"
    ):
        gn.gradcheck(WrongShape.apply, gn.Tensor(np.ones((2, 3))), gn.Tensor(np.ones(3)))


def test_catches_non_zero_gradient_from_zero_upstream() -> None:
    with pytest.raises(GradcheckError, match="zero upstream"):
        gn.gradcheck(LeakyZero.apply, gn.Tensor([1.0, 2.0]))


def test_checks_only_marked_inputs_and_works_in_float64() -> None:
    a = gn.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = gn.Tensor(np.ones(3, dtype=np.float32))
    seen = []

    def fn(x, y):
        seen.append((x.dtype, x.requires_grad, y.requires_grad))
        return x * y

    assert gn.gradcheck(fn, a, b)
    assert seen[0] == (np.float64, True, False)


def test_gradcheck_is_error_is_an_assertion_error() -> None:
    assert issubclass(GradcheckError, AssertionError)
