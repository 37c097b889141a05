"""Every op of the table against central finite differences, in float64."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

from .cases import CASES, OpCase


def _tensors(case: OpCase, arrays: list[np.ndarray]) -> list[gn.Tensor]:
    return [gn.Tensor(a, requires_grad=d) for a, d in zip(arrays, case.differentiable(arrays))]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_backward_matches_finite_differences(case: OpCase, rng: np.random.Generator) -> None:
    for arrays in case.samples(rng, np.float64):
        assert gn.gradcheck(
            case.fn, *_tensors(case, arrays), atol=case.gradcheck_atol, rtol=case.gradcheck_rtol
        )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_gradients_keep_shape_and_dtype(case: OpCase, rng: np.random.Generator) -> None:
    for arrays in case.samples(rng, np.float32):
        tensors = _tensors(case, arrays)
        out = case.fn(*tensors)
        out.backward(np.ones(out.shape, dtype=out.dtype))
        for i, t in enumerate(tensors):
            if t.requires_grad and t.grad is not None:
                assert t.grad.shape == t.shape, f"input {i}: grad shape {t.grad.shape} != {t.shape}"
                assert t.grad.dtype == t.dtype, f"input {i}: grad dtype {t.grad.dtype} != {t.dtype}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_ops_compute_their_gradients_in_float32(
    case: OpCase, rng: np.random.Generator
) -> None:
    # The engine casts every gradient to its input's dtype, which would hide a backward that
    # turns a float32 upstream gradient into float64 (twice the memory traffic). Look at what each
    # op's backward returns. (An op whose output is float64, e.g. astype, rightly gets float64.)
    from glassnet.autograd.tensor import _topological_order

    upcast: list[str] = []

    def spied(fn):  # fn's own backward, looked at before the engine sees its result
        backward = fn.backward

        def spy(dy):
            dxs = backward(dy)
            if dy.dtype == np.float32:
                for dx in dxs if isinstance(dxs, tuple) else (dxs,):
                    if isinstance(dx, np.ndarray) and dx.dtype == np.float64:
                        upcast.append(fn.name)
            return dxs

        return spy

    for arrays in case.samples(rng, np.float32):
        out = case.fn(*_tensors(case, arrays))
        if out.requires_grad:
            for fn in _topological_order(out.creator):
                fn.backward = spied(fn)
            out.backward(np.ones(out.shape, dtype=out.dtype))
    assert not upcast, f"backward of {sorted(set(upcast))} turned a float32 gradient into float64"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_backward_never_writes_into_its_upstream_gradient(
    case: OpCase, rng: np.random.Generator
) -> None:
    # A replay hands every backward the same read-only seed, and an op may pass dy on to several
    # inputs: an op that wrote into dy would fail there, or corrupt another input's gradient.
    for arrays in case.samples(rng, np.float64):
        tensors = _tensors(case, arrays)
        out = case.fn(*tensors)
        if not out.requires_grad:
            continue
        upstream = rng.normal(size=out.shape)
        kept = upstream.copy()
        upstream.flags.writeable = False
        out.backward(upstream)  # raises "output array is read-only" if some backward writes into dy
        np.testing.assert_array_equal(upstream, kept)
