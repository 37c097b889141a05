"""Every op of the table against PyTorch: values, then gradients, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

from ..oracle import assert_close, from_torch, to_torch, tolerances
from .cases import CASES, OpCase

TWINNED = [case for case in CASES if case.torch_fn is not None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", TWINNED, ids=lambda c: c.name)
def test_values_and_gradients_match_torch(case: OpCase, dtype: type, torch, rng) -> None:
    atol, rtol = tolerances(dtype)
    for arrays in case.samples(rng, dtype):
        differentiable = case.differentiable(arrays)
        ours_in = [gn.Tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
        theirs_in = [to_torch(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
        ours = case.fn(*ours_in)
        theirs = case.torch_fn(*theirs_in)
        shapes = [a.shape for a in arrays]
        assert_close(f"{case.name}{shapes} value", ours.data, from_torch(theirs), atol, rtol)

        upstream = rng.standard_normal(ours.shape).astype(ours.dtype)
        ours.backward(upstream)
        theirs.backward(to_torch(upstream))
        for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
            if not differentiable[i]:
                continue
            expected = np.zeros_like(arrays[i]) if t.grad is None else from_torch(t.grad)
            got = np.zeros_like(arrays[i]) if o.grad is None else o.grad
            assert_close(f"{case.name}{shapes} grad of input {i}", got, expected, atol, rtol)
