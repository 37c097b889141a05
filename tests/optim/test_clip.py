"""Gradient clipping against torch.nn.utils."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim.clip import clip_grad_norm_, clip_grad_value_


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, torch, rng) -> None:
    grads = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    ours = [gn.Parameter(np.zeros(g.shape)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = g.copy()
        q.grad = torch.from_numpy(g.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch_and_keeps_float32(torch, rng) -> None:
    g = rng.normal(size=(4, 4)).astype(np.float32)
    p = gn.Parameter(np.zeros((4, 4), dtype=np.float32))
    p.grad = g.copy()
    q = torch.nn.Parameter(torch.zeros(4, 4))
    q.grad = torch.from_numpy(g.copy())
    clip_grad_value_([p], 0.3)
    torch.nn.utils.clip_grad_value_([q], 0.3)
    np.testing.assert_array_equal(p.grad, q.grad.numpy())
    assert p.grad.dtype == np.float32


def test_nonfinite_norm_can_raise() -> None:
    p = gn.Parameter(np.zeros(2))
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(FloatingPointError, match="total norm of the gradients is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


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
