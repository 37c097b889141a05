"""scaled_dot_product_attention and attention_weights: a table of cases checked against finite
differences (float64) and against torch (values and gradients, float64), plus edge cases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch


@dataclass(frozen=True)
class AttentionCase:
    """q (*, L, E), k (*, S, E), v (*, S, Ev) and a mask kind: None, "bool", "float" (finite,
    differentiable) or "neg_inf" (float 0 / -inf, with one query fully masked)."""

    name: str
    q: tuple[int, ...]
    k: tuple[int, ...]
    v: tuple[int, ...]
    mask: str | None = None
    mask_shape: tuple[int, ...] | None = None
    is_causal: bool = False
    scale: float | None = None


CASES = [
    AttentionCase("plain", (2, 3, 4), (2, 5, 4), (2, 5, 3)),
    AttentionCase("batch-1", (1, 4, 2), (1, 4, 2), (1, 4, 2)),
    AttentionCase("heads", (2, 3, 4, 4), (2, 3, 6, 4), (2, 3, 6, 5)),
    AttentionCase("no-batch", (3, 4), (5, 4), (5, 2)),
    AttentionCase("broadcast-heads", (2, 3, 4, 4), (2, 1, 5, 4), (1, 1, 5, 3)),
    AttentionCase("scale", (2, 3, 4), (2, 5, 4), (2, 5, 3), scale=0.3),
    AttentionCase("causal-square", (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3), is_causal=True),
    AttentionCase("causal-L>S", (2, 6, 4), (2, 3, 4), (2, 3, 2), is_causal=True),
    AttentionCase("causal-L<S", (2, 3, 4), (2, 6, 4), (2, 6, 2), is_causal=True),
    AttentionCase("bool-LS", (2, 4, 3), (2, 5, 3), (2, 5, 2), mask="bool", mask_shape=(4, 5)),
    AttentionCase(
        "bool-per-batch-head",
        (2, 3, 4, 3),
        (2, 3, 5, 3),
        (2, 3, 5, 2),
        mask="bool",
        mask_shape=(2, 1, 4, 5),
    ),
    AttentionCase("float-LS", (2, 4, 3), (2, 5, 3), (2, 5, 2), mask="float", mask_shape=(4, 5)),
    AttentionCase(
        "float-full",
        (2, 2, 4, 3),
        (2, 2, 5, 3),
        (2, 2, 5, 2),
        mask="float",
        mask_shape=(2, 2, 4, 5),
    ),
    AttentionCase(
        "neg-inf", (2, 4, 3), (2, 5, 3), (2, 5, 2), mask="neg_inf", mask_shape=(4, 5), scale=0.7
    ),
]


def _inputs(case: AttentionCase, rng: np.random.Generator) -> list[np.ndarray]:
    arrays = [rng.standard_normal(shape) for shape in (case.q, case.k, case.v)]
    if case.mask == "bool":
        mask = rng.random(case.mask_shape) < 0.7
        mask[..., 0] = True  # every query sees a key: fully masked rows have their own test
        arrays.append(mask)
    elif case.mask == "float":
        arrays.append(rng.standard_normal(case.mask_shape))
    elif case.mask == "neg_inf":
        mask = np.where(rng.random(case.mask_shape) < 0.7, 0.0, -np.inf)
        mask[..., 0] = 0.0
        mask[1, :] = -np.inf  # query 1 sees nothing: output 0, gradient 0
        arrays.append(mask)
    return arrays


def _ours(case: AttentionCase, q, k, v, mask=None):
    return F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, is_causal=case.is_causal, scale=case.scale
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradients_match_finite_differences(case: AttentionCase, rng) -> None:
    arrays = _inputs(case, rng)
    tensors = [
        gn.Tensor(a, requires_grad=a.dtype.kind == "f" and case.mask != "neg_inf" or i < 3)
        for i, a in enumerate(arrays)
    ]
    assert gn.gradcheck(lambda *t: _ours(case, *t), *tensors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_values_and_gradients_match_torch(case: AttentionCase, rng, torch) -> None:
    arrays = _inputs(case, rng)
    grads = [True, True, True] + ([case.mask == "float"] if case.mask else [])
    ours_in = [gn.Tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    theirs_in = [to_torch(a, requires_grad=g) for a, g in zip(arrays, grads)]
    ours = _ours(case, *ours_in)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *theirs_in[:3],
        attn_mask=theirs_in[3] if case.mask else None,
        is_causal=case.is_causal,
        scale=case.scale,
    )
    assert_close(f"{case.name} value", ours.data, from_torch(theirs), 1e-12, 1e-10)
    upstream = rng.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    for i, (o, t) in enumerate(zip(ours_in, theirs_in)):
        if grads[i]:
            assert_close(f"{case.name} grad {i}", o.grad, from_torch(t.grad), 1e-12, 1e-10)


@pytest.mark.parametrize("case", [c for c in CASES if not c.is_causal], ids=lambda c: c.name)
def test_attention_weights_match_torch_softmax(case: AttentionCase, rng, torch) -> None:
    arrays = _inputs(case, rng)
    q, k = (gn.Tensor(a, requires_grad=True) for a in arrays[:2])
    mask = arrays[3] if case.mask else None
    weights = F.attention_weights(q, k, mask, scale=case.scale)
    scale = case.scale if case.scale is not None else 1 / np.sqrt(case.q[-1])
    tq, tk = (to_torch(a, requires_grad=True) for a in arrays[:2])
    scores = tq @ tk.transpose(-1, -2) * scale
    if mask is not None:
        tmask = to_torch(mask)
        scores = scores.masked_fill(~tmask, float("-inf")) if mask.dtype == bool else scores + tmask
    # torch's softmax gives NaN for a row of -inf; torch's attention (and ours) gives 0: mask it out.
    seen = ~torch.isneginf(scores).all(dim=-1, keepdim=True)
    expected = torch.softmax(torch.where(seen, scores, 0.0), dim=-1) * seen
    assert_close(f"{case.name} weights", weights.data, from_torch(expected), 1e-12, 1e-10)
    upstream = rng.standard_normal(weights.shape)
    weights.backward(upstream)
    expected.backward(to_torch(upstream))
    assert_close(f"{case.name} dq", q.grad, from_torch(tq.grad), 1e-12, 1e-10)
    assert_close(f"{case.name} dk", k.grad, from_torch(tk.grad), 1e-12, 1e-10)
    assert gn.gradcheck(lambda a, b: F.attention_weights(a, b, mask, scale=case.scale), *arrays[:2])


def test_fully_masked_query_gives_zero_output_and_gradient_as_torch(rng, torch) -> None:
    q, k, v = (
        rng.standard_normal((1, 3, 4)),
        rng.standard_normal((1, 5, 4)),
        rng.standard_normal((1, 5, 2)),
    )
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    tq = gn.Tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(tq, k, v, attn_mask=mask)
    out.sum().backward()
    theirs = torch.nn.functional.scaled_dot_product_attention(
        to_torch(q), to_torch(k), to_torch(v), attn_mask=to_torch(mask)
    )
    assert_close("fully masked", out.data, from_torch(theirs), 1e-12, 1e-10)
    assert np.all(out.data[0, 1] == 0) and np.all(tq.grad[0, 1] == 0)
    assert np.all(np.isfinite(tq.grad))


def test_stable_for_huge_scores() -> None:
    q = np.full((1, 2, 3), 1e4, dtype=np.float32)
    k = np.stack([np.full(3, 1e4), np.full(3, -1e4)])[None].astype(np.float32)
    v = np.array([[[1.0], [2.0]]], dtype=np.float32)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [[[1.0], [1.0]]])


def test_float32_stays_float32_with_a_float64_mask(rng) -> None:
    q = rng.standard_normal((2, 3, 4)).astype(np.float32)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=np.zeros((3, 3)))
    assert out.dtype == np.float32


def test_dropout_on_the_weights_is_seeded_and_scaled(rng) -> None:
    q, k, v = (
        rng.standard_normal((2, 4, 3)),
        rng.standard_normal((2, 6, 3)),
        rng.standard_normal((2, 6, 5)),
    )
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=7)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=7)
    np.testing.assert_array_equal(first.data, again.data)
    keep = np.random.default_rng(7).random((2, 4, 6)) >= 0.5
    weights = F.attention_weights(q, k).data
    np.testing.assert_allclose(first.data, (weights * keep * 2.0) @ v, rtol=1e-12)
    tensors = [gn.Tensor(a, requires_grad=True) for a in (q, k, v)]
    assert gn.gradcheck(
        lambda *t: F.scaled_dot_product_attention(*t, dropout_p=0.3, rng=3), *tensors
    )
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    np.testing.assert_array_equal(zero.data, 0)


@pytest.mark.parametrize(
    "shapes, message",
    [
        (((2, 3, 4), (2, 5, 3), (2, 5, 2)), r"share E.*q \(2, 3, 4\), k \(2, 5, 3\)"),
        (((2, 3, 4), (2, 5, 4), (2, 6, 2)), r"share S"),
        (((2, 3, 4), (3, 5, 4), (3, 5, 2)), r"do not broadcast"),
        (((4,), (5, 4), (5, 2)), r"expected q \(\*, L, E\)"),
    ],
)
def test_bad_shapes_name_every_input(shapes, message) -> None:
    arrays = [np.zeros(shape) for shape in shapes]
    with pytest.raises(ShapeError, match=message):
        F.scaled_dot_product_attention(*arrays)


def test_mask_that_does_not_broadcast_is_refused() -> None:
    q = np.zeros((2, 3, 4))
    with pytest.raises(ShapeError, match=r"\(\*, 3, 5\); got .*attn_mask \(3, 4\)"):
        F.scaled_dot_product_attention(
            q, np.zeros((2, 5, 4)), np.zeros((2, 5, 4)), attn_mask=np.ones((3, 4), bool)
        )
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True)


def test_integer_masks_are_refused_as_torch_refuses_them() -> None:
    from glassnet.errors import DTypeError

    q = np.ones((2, 3, 4), dtype=np.float32)
    ones = np.ones((3, 3), dtype=np.int64)  # 0/1 integers would be *added* to the scores
    for function, call in (
        ("scaled_dot_product_attention", lambda m: F.scaled_dot_product_attention(q, q, q, m)),
        ("attention_weights", lambda m: F.attention_weights(q, q, m)),
    ):
        with pytest.raises(
            DTypeError,
            match=rf"^{function}: attn_mask must be boolean .* got dtype int64\..*"
            r"attn_mask\.astype\(bool\)",
        ):
            call(ones)
        assert issubclass(DTypeError, TypeError)
        call(ones.astype(bool))
        call(ones.astype(np.float64))
