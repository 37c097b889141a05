"""Tensor construction, dtype rules, accumulation, retain_graph and deep graphs."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import DTypeError, GraphError, ShapeError


def test_python_floats_become_float32_and_numpy_float64_is_kept() -> None:
    assert gn.Tensor([1.0, 2.0]).dtype == np.float32
    assert gn.Tensor(3.0).dtype == np.float32
    assert gn.Tensor(np.ones(2)).dtype == np.float64
    assert gn.Tensor([1.0], dtype=np.float64).dtype == np.float64


def test_integer_data_stays_integer_and_cannot_require_grad() -> None:
    assert gn.Tensor([1, 2]).dtype.kind == "i"
    with pytest.raises(DTypeError, match="only floating-point tensors can require gradients"):
        gn.Tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize(
    "bad, words",
    [
        (None, "got None"),
        ("abc", "string 'abc'"),
        (np.array(["a", "b"]), "strings"),
        (np.array([1, None], dtype=object), "Python objects"),
        ([1.0, "x"], "strings"),
    ],
)
def test_non_numeric_data_is_a_type_error_saying_what_came(bad, words) -> None:
    with pytest.raises(TypeError, match=words):
        gn.Tensor(bad)


def test_properties_and_conversions() -> None:
    t = gn.Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.numpy() is t.data
    assert gn.Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ShapeError, match="one element"):
        t.item()
    assert "requires_grad=True" in repr(gn.Tensor([1.0], requires_grad=True))
    assert "grad_fn=Mul" in repr(gn.Tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float64" in repr(gn.Tensor(np.ones(1)))


def test_scalar_constants_do_not_upcast_float32() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 2.0, 2.0 * x, x + 1, 1 - x, x / 3.0, 3.0 / x, x**2):
        assert y.dtype == np.float32


def test_gradients_accumulate_across_backward_calls() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_tensor_used_twice_gets_both_contributions() -> None:
    x = gn.Tensor([3.0], requires_grad=True)
    y = x * x + x
    y.backward()
    np.testing.assert_allclose(x.grad, [7.0])


def test_add_of_same_tensor_gives_leaf_its_own_gradient_array() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    seed = np.ones(2, dtype=np.float32)
    (x + x).backward(seed)
    np.testing.assert_allclose(x.grad, [2.0, 2.0])
    x.grad += 1
    np.testing.assert_allclose(seed, [1.0, 1.0])


def test_leaf_backward_without_ops() -> None:
    x = gn.Tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_backward_of_non_scalar_needs_grad_argument() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GraphError, match="only for a one-element tensor"):
        (x * 2).backward()
    with pytest.raises(ShapeError, match=r"grad must have the tensor's shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad_is_clear() -> None:
    with pytest.raises(GraphError, match="does not require grad"):
        (gn.Tensor([1.0]) * 2).backward()


def test_graph_is_freed_unless_retained() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    with pytest.raises(GraphError, match="retain_graph=True"):
        y.backward()


def test_freed_graph_releases_saved_arrays() -> None:
    x = gn.Tensor(np.ones(3), requires_grad=True)
    y = x * x
    y.backward(np.ones(3))
    assert y.creator.saved == ()


def test_chain_of_100000_ops_needs_no_recursion() -> None:
    x = gn.Tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_diamond_graph_visits_shared_node_once() -> None:
    x = gn.Tensor([2.0], requires_grad=True)
    a = x * 3.0
    y = a * a + a  # d/dx = (2a + 1) * 3 = 39
    y.backward()
    np.testing.assert_allclose(x.grad, [39.0])


def test_a_chain_above_a_diamond_gets_every_contribution() -> None:
    # The backward walk takes a shortcut for chains; here the chain (exp, sum) ends in a diamond.
    x = gn.Tensor([0.5], requires_grad=True)
    a = x * 3.0
    (a * a + a).exp().sum().backward()  # d/dx = exp(a^2 + a) (2a + 1) * 3
    expected = np.exp(1.5**2 + 1.5) * (2 * 1.5 + 1) * 3
    np.testing.assert_allclose(x.grad, [expected], rtol=1e-6)


def test_mixed_precision_gradient_has_the_input_dtype() -> None:
    a = gn.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = gn.Tensor(np.ones(3, dtype=np.float64), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_numpy_array_on_the_left_defers_to_tensor() -> None:
    x = gn.Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([1.0, 1.0], dtype=np.float32) + x
    assert isinstance(y, gn.Tensor) and y.requires_grad


def test_comparisons_give_bool_tensors_outside_the_graph() -> None:
    x = gn.Tensor([1.0, -1.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == bool and not mask.requires_grad
    assert mask.tolist() == [True, False]


def test_detach_shares_data_and_leaves_the_graph() -> None:
    x = gn.Tensor([1.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.creator is None


def test_iteration_yields_rows_and_refuses_0d_tensors() -> None:
    x = gn.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    rows[2].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [0, 0], [1, 1]])
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(gn.Tensor(3.0))
