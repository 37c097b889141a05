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
        assert gn.gradcheck(case.fn, *_tensors(case, arrays), atol=case.gradcheck_atol,
                            rtol=case.gradcheck_rtol)


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
