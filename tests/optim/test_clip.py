"""Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim.clip import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _pair(torch, grads, dtype=np.float64):
    """glassnet and torch parameters holding copies of the same gradients."""
    ours = [gn.Parameter(np.zeros(g.shape, dtype=dtype)) for g in grads]
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch_dtype)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = np.array(g, dtype=dtype)  # np.array: a 0-d gradient stays an array
        q.grad = torch.from_numpy(np.array(g, dtype=dtype))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, torch, rng) -> None:
    grads = [rng.normal(size=s) * 3 for s in SHAPES]
    ours, theirs = _pair(torch, grads)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)
    if max_norm > total:
        for p, g in zip(ours, grads):
            np.testing.assert_array_equal(p.grad, g)  # untouched below the limit


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_keeps_float32_in_place(norm_type, torch, rng) -> None:
    grads = [rng.normal(size=s) for s in SHAPES]
    ours, theirs = _pair(torch, grads, np.float32)
    buffers = [p.grad for p in ours]
    total = clip_grad_norm_(ours, 0.3, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.3, norm_type)
    assert total == pytest.approx(float(expected), rel=1e-6)
    for p, q, buffer in zip(ours, theirs, buffers):
        assert p.grad is buffer and p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_is_the_norm_of_all_gradients_concatenated(rng) -> None:
    grads = [rng.normal(size=s) for s in SHAPES]
    ours = [gn.Parameter(np.zeros(g.shape)) for g in grads]
    for p, g in zip(ours, grads):
        p.grad = g.copy()
    flat = np.concatenate([g.ravel() for g in grads])
    total = clip_grad_norm_(ours, 1.0)
    assert total == pytest.approx(np.linalg.norm(flat), rel=1e-13)
    clipped = np.concatenate([p.grad.ravel() for p in ours])
    assert np.linalg.norm(clipped) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(clipped / flat, clipped[0] / flat[0])  # one factor for all


def test_clip_grad_norm_skips_parameters_without_grad_and_takes_a_single_tensor_or_generator() -> (
    None
):
    a, b = gn.Parameter(np.zeros(2)), gn.Parameter(np.ones(2))
    a.grad = np.array([3.0, 4.0])
    assert clip_grad_norm_((p for p in [a, b]), 1.0) == pytest.approx(5.0)
    assert b.grad is None
    np.testing.assert_allclose(a.grad, [0.6, 0.8], rtol=1e-5)
    assert clip_grad_norm_(a, 10.0) == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_([b], 1.0) == 0.0


@pytest.mark.parametrize("bad, total", [(np.inf, "inf"), (np.nan, "nan")])
def test_nonfinite_norm_raises_on_request_and_spreads_like_torch(bad, total, torch) -> None:
    grads = [np.array([bad, 1.0]), np.array([2.0])]
    ours, theirs = _pair(torch, grads)
    with pytest.raises(FloatingPointError, match=f"total norm of the gradients is {total}"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ours[0].grad, grads[0])  # nothing changed before the error
    result = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_equal(result, float(expected))
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_norm=1.0, norm_type=0), "norm_type must be > 0 or inf"),
        (dict(max_norm=1.0, norm_type=-np.inf), "norm_type must be > 0 or inf"),
        (dict(max_norm=-1.0), "max_norm must be >= 0"),
    ],
)
def test_clip_grad_norm_bad_arguments_are_named(kwargs, message) -> None:
    p = gn.Parameter(np.zeros(2))
    p.grad = np.ones(2)
    with pytest.raises(ValueError, match=message):
        clip_grad_norm_([p], **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch_in_place_keeping_dtype(dtype, torch, rng) -> None:
    grads = [rng.normal(size=s) for s in SHAPES] + [np.array([np.nan, -np.inf, np.inf])]
    ours, theirs = _pair(torch, grads, dtype)
    skipped = gn.Parameter(np.zeros(1))
    buffers = [p.grad for p in ours]
    clip_grad_value_(ours + [skipped], 0.3)
    torch.nn.utils.clip_grad_value_(theirs, 0.3)
    for p, q, buffer in zip(ours, theirs, buffers):
        assert p.grad is buffer and p.grad.dtype == dtype
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
    assert skipped.grad is None


def test_a_scalar_gradient_is_clipped_too() -> None:
    p = gn.Parameter(np.zeros(()))
    p.grad = np.float64(-5.0)
    clip_grad_value_(p, 2.0)
    assert float(p.grad) == -2.0
    assert clip_grad_norm_(p, 1.0) == 2.0
    assert float(p.grad) == pytest.approx(-1.0, rel=1e-6)


def test_clip_grad_value_rejects_a_negative_limit() -> None:
    p = gn.Parameter(np.zeros(2))
    p.grad = np.ones(2)
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value_(p, -0.1)


def test_compile_clipvalue_bounds_every_update() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 2)) * 100, rng.normal(size=16) * 100
    # An explicit initializer: a default output layer would start at zero (see nn.init.DEFAULT_SCHEME).
    model = gn.Model([gn.Dense(1, input_shape=(2,), kernel_initializer="glorot_uniform", rng=0)])
    before = model.state_dict()
    model.compile(optimizer=gn.optim.SGD(lr=1.0), loss="mse", clipvalue=0.01)
    model.fit(x, y, epochs=1, batch_size=None, verbose=0)
    for name, value in model.state_dict().items():
        assert np.max(np.abs(value - before[name])) <= 0.01 + 1e-7
    with pytest.raises(ValueError, match="clipnorm must be > 0"):
        model.compile(optimizer="sgd", loss="mse", clipnorm=0.0)
