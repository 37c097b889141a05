"""MultiheadAttention (PyTorch) and MultiHeadAttention (Keras): values, weights and every gradient
against torch in float64 (eval mode), masks, initialization and bad input."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch

TOL = (1e-12, 1e-9)


@dataclass(frozen=True)
class MHACase:
    name: str
    embed_dim: int = 8
    num_heads: int = 2
    kdim: int | None = None
    vdim: int | None = None
    bias: bool = True
    batch_first: bool = True
    batch: int | None = 3  # None: unbatched input
    length: int = 4
    source: int = 5
    self_attention: bool = False
    call: dict[str, Any] = field(default_factory=dict)
    masks: tuple[str, ...] = ()  # "kpm", "kpm_float", "attn_bool", "attn_float_heads", "causal"


MHA_CASES = [
    MHACase("cross"),
    MHACase("self", self_attention=True, length=5),
    MHACase("kdim-vdim", kdim=6, vdim=3),
    MHACase("no-bias", bias=False),
    MHACase("batch-1", batch=1),
    MHACase("unbatched", batch=None),
    MHACase("seq-first", batch_first=False),
    MHACase("heads-weights", num_heads=4, call={"average_attn_weights": False}),
    MHACase("no-weights", call={"need_weights": False}),
    MHACase("key-padding", masks=("kpm",)),
    MHACase("key-padding-float", masks=("kpm_float",), call={"need_weights": False}),
    MHACase("attn-bool", masks=("attn_bool",)),
    MHACase("attn-float-per-head", masks=("attn_float_heads",)),
    MHACase("both-masks", masks=("kpm", "attn_bool"), call={"need_weights": False}),
    MHACase(
        "causal", self_attention=True, length=5, masks=("causal",), call={"need_weights": False}
    ),
]


def _mha_inputs(case: MHACase, rng: np.random.Generator) -> dict[str, np.ndarray]:
    lead = () if case.batch is None else (case.batch,)
    n = 1 if case.batch is None else case.batch

    def seq(length: int, features: int) -> np.ndarray:
        shape = (
            (*lead, length, features)
            if case.batch_first or case.batch is None
            else (length, n, features)
        )
        return rng.standard_normal(shape)

    query = seq(case.length, case.embed_dim)
    key = query if case.self_attention else seq(case.source, case.kdim or case.embed_dim)
    value = query if case.self_attention else seq(case.source, case.vdim or case.embed_dim)
    source = (
        query.shape[-2]
        if case.self_attention and (case.batch_first or case.batch is None)
        else case.source
    )
    if case.self_attention:
        source = case.length
    inputs = {"query": query, "key": key, "value": value}
    if "kpm" in case.masks:
        mask = rng.random((n, source)) < 0.3
        mask[:, 0] = False  # every query keeps a key: fully masked rows are tested on their own
        inputs["key_padding_mask"] = mask if case.batch is not None else mask[0]
    if "kpm_float" in case.masks:
        inputs["key_padding_mask"] = rng.standard_normal((n, source))
    if "attn_bool" in case.masks:
        mask = rng.random((case.length, source)) < 0.3
        mask[:, 1] = False
        inputs["attn_mask"] = mask
    if "attn_float_heads" in case.masks:
        inputs["attn_mask"] = rng.standard_normal((n * case.num_heads, case.length, source))
    if "causal" in case.masks:
        inputs["attn_mask"] = np.triu(np.ones((case.length, source), dtype=bool), k=1)
    return inputs


def _pair(case: MHACase, torch):
    theirs = torch.nn.MultiheadAttention(
        case.embed_dim,
        case.num_heads,
        bias=case.bias,
        kdim=case.kdim,
        vdim=case.vdim,
        batch_first=case.batch_first,
        dtype=torch.float64,
    ).eval()
    ours = gn.nn.MultiheadAttention(
        case.embed_dim,
        case.num_heads,
        bias=case.bias,
        kdim=case.kdim,
        vdim=case.vdim,
        batch_first=case.batch_first,
        dtype=np.float64,
        rng=0,
    ).eval()
    ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("case", MHA_CASES, ids=lambda c: c.name)
def test_multihead_attention_matches_torch(case: MHACase, rng, torch) -> None:
    ours, theirs = _pair(case, torch)
    arrays = _mha_inputs(case, rng)
    names = ["query"] if case.self_attention else ["query", "key", "value"]
    ours_in = {k: gn.Tensor(v, requires_grad=k in names) for k, v in arrays.items()}
    theirs_in = {k: to_torch(v, requires_grad=k in names) for k, v in arrays.items()}
    if case.self_attention:
        ours_in["key"] = ours_in["value"] = ours_in["query"]
        theirs_in["key"] = theirs_in["value"] = theirs_in["query"]
    is_causal = "causal" in case.masks
    out, weights = ours(**ours_in, **case.call, is_causal=is_causal)
    t_out, t_weights = theirs(**theirs_in, **case.call, is_causal=is_causal)
    assert_close(f"{case.name} output", out.data, from_torch(t_out), *TOL)
    if t_weights is None:
        assert weights is None
    else:
        assert_close(f"{case.name} weights", weights.data, from_torch(t_weights), *TOL)
    upstream = rng.standard_normal(out.shape)
    loss = (out * upstream).sum() + (0 if weights is None else (weights * weights).sum())
    t_loss = (t_out * to_torch(upstream)).sum() + (
        0 if t_weights is None else (t_weights * t_weights).sum()
    )
    loss.backward()
    t_loss.backward()
    for name in names:
        assert_close(
            f"{case.name} d{name}", ours_in[name].grad, from_torch(theirs_in[name].grad), *TOL
        )
    t_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        assert_close(f"{case.name} d{name}", param.grad, from_torch(t_params[name].grad), *TOL)


def test_parameter_names_layout_and_init_are_torchs(torch) -> None:
    theirs = torch.nn.MultiheadAttention(16, 4, kdim=6, vdim=5)
    ours = gn.nn.MultiheadAttention(16, 4, kdim=6, vdim=5, rng=0)
    assert [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()] == [
        (k, v.shape) for k, v in ours.state_dict().items()
    ]
    same = gn.nn.MultiheadAttention(64, 4, rng=0)
    limit = math.sqrt(6 / (64 + 3 * 64))  # Xavier uniform on (3E, E)
    w = same.in_proj_weight.data
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert np.all(same.in_proj_bias.data == 0) and np.all(same.out_proj.bias.data == 0)
    assert np.abs(same.out_proj.weight.data).max() <= 1 / 8  # Linear's default: U(+-1/sqrt(fan_in))


def test_gradcheck_through_the_layer(rng) -> None:
    layer = gn.nn.MultiheadAttention(4, 2, kdim=3, vdim=2, dtype=np.float64, rng=1)
    mask = np.array([[False, False, True], [False, True, False]])
    query, key, value = (
        rng.standard_normal((2, 2, 4)),
        rng.standard_normal((2, 3, 3)),
        rng.standard_normal((2, 3, 2)),
    )
    assert gn.gradcheck(lambda q, k, v: layer(q, k, v, attn_mask=mask)[0], query, key, value)


def test_fully_masked_query_gives_zeros_not_nan(torch, rng) -> None:
    layer = gn.nn.MultiheadAttention(4, 2, dtype=np.float64, rng=1)
    x = rng.standard_normal((1, 3, 4))
    mask = np.zeros((3, 3), dtype=bool)
    mask[1] = True  # query 1 may see nothing
    for need_weights in (True, False):
        out, weights = layer(x, x, x, attn_mask=mask, need_weights=need_weights)
        assert np.all(np.isfinite(out.data))
        np.testing.assert_allclose(out.data[0, 1], layer.out_proj.bias.data)
    assert np.all(weights is None or weights.data[0, 1] == 0)


def test_dropout_only_in_training_and_seeded(rng) -> None:
    x = rng.standard_normal((2, 4, 8))
    layer = gn.nn.MultiheadAttention(8, 2, dropout=0.5, rng=3)
    _, w1 = layer(x, x, x)
    gn.seed(0)
    layer.rng = None
    a, _ = layer(x, x, x, need_weights=False)
    gn.seed(0)
    b, _ = layer(x, x, x, need_weights=False)
    np.testing.assert_array_equal(a.data, b.data)
    assert np.any(w1.data == 0)
    layer.eval()
    c, _ = layer(x, x, x)
    d, _ = layer(x, x, x)
    np.testing.assert_array_equal(c.data, d.data)


@pytest.mark.parametrize(
    "build, call, message",
    [
        (
            lambda: gn.nn.MultiheadAttention(10, 3),
            None,
            r"MultiheadAttention: embed_dim=10 is not divisible by num_heads=3.*\[1, 2, 5, 10\]",
        ),
        (
            lambda: gn.nn.MultiheadAttention(8, 2),
            {"query": (2, 4, 6)},
            r"query has 6 features, the layer was built for embed_dim=8.*query \(2, 4, 6\)",
        ),
        (
            lambda: gn.nn.MultiheadAttention(8, 2, kdim=5),
            {"key": (2, 5, 8)},
            r"key has 8 features, the layer was built for kdim=5.*Pass kdim=8",
        ),
        (lambda: gn.nn.MultiheadAttention(8, 2), {"value": (2, 6, 8)}, r"same batch and length"),
        (
            lambda: gn.nn.MultiheadAttention(8, 2),
            {"key_padding_mask": (5, 2)},
            r"key_padding_mask must have shape \(N, S\) = \(2, 5\), got \(5, 2\).*transposed",
        ),
        (
            lambda: gn.nn.MultiheadAttention(8, 2),
            {"attn_mask": (5, 4)},
            r"attn_mask must have shape \(L, S\) = \(4, 5\) or \(N \* num_heads, L, S\) = \(4, 4, 5\), got \(5, 4\)",
        ),
        (
            lambda: gn.nn.MultiheadAttention(8, 2),
            {"query": (2, 4, 2, 8)},
            r"expected query, key and value of 3 axes",
        ),
    ],
)
def test_bad_input_names_layer_shapes_and_fix(build, call, message) -> None:
    with pytest.raises(ShapeError, match=message):
        layer = build()
        shapes = {"query": (2, 4, 8), "key": (2, 5, 8), "value": (2, 5, 8), **call}
        arrays = {
            k: np.zeros(v, dtype=bool if "mask" in k else np.float32) for k, v in shapes.items()
        }
        before = layer.state_dict()
        try:
            layer(**arrays)
        finally:
            for name, array in layer.state_dict().items():
                np.testing.assert_array_equal(array, before[name])


# ----------------------------------------------------------------- Keras MultiHeadAttention
def _keras_oracle(
    torch, params: dict[str, Any], query, value, key, mask, causal: bool, key_dim: int
):
    """Keras's computation, written with torch.einsum on the same weights."""
    q = torch.einsum("btf,fhd->bhtd", query, params["query_kernel"]) + params["query_bias"][:, None]
    k = torch.einsum("bsf,fhd->bhsd", key, params["key_kernel"]) + params["key_bias"][:, None]
    v = torch.einsum("bsf,fhd->bhsd", value, params["value_kernel"]) + params["value_bias"][:, None]
    scores = torch.einsum("bhtd,bhsd->bhts", q / math.sqrt(key_dim), k)
    allowed = torch.ones(scores.shape[-2:], dtype=torch.bool)
    if causal:
        allowed = torch.tril(allowed)
    if mask is not None:
        allowed = allowed & mask[:, None]
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    out = torch.einsum("bhts,bhsd->bthd", weights, v)
    return torch.einsum("bthd,hdo->bto", out, params["output_kernel"]) + params[
        "output_bias"
    ], weights


@pytest.mark.parametrize(
    "options, call",
    [
        ({}, {}),
        ({"value_dim": 3, "output_shape": 5}, {"key": True}),
        ({"use_bias": False}, {"mask": True}),
        ({}, {"causal": True, "self": True}),
        ({"num_heads": 1}, {"mask": True, "causal": True}),
    ],
    ids=[
        "plain",
        "value-dim-output-shape-key",
        "mask-no-bias",
        "causal-self",
        "one-head-mask-causal",
    ],
)
def test_keras_multi_head_attention_matches_oracle(options, call, rng, torch) -> None:
    settings = {"num_heads": 2, "key_dim": 4, **options}
    layer = gn.nn.MultiHeadAttention(**settings, dtype=np.float64, rng=0).eval()
    if not settings.get("use_bias", True):
        settings["use_bias"] = False
    query = rng.standard_normal((2, 4, 6))
    value = query if call.get("self") else rng.standard_normal((2, 5, 7))
    key = rng.standard_normal((2, value.shape[1], 3)) if call.get("key") else None
    mask = None
    if call.get("mask"):
        mask = rng.random((2, 4, value.shape[1])) < 0.7
        mask[..., 0] = True
    arrays = [query] + ([] if call.get("self") else [value]) + ([] if key is None else [key])
    tensors = [gn.Tensor(a, requires_grad=True) for a in arrays]
    t_in = [to_torch(a, requires_grad=True) for a in arrays]
    v_in, t_value = (None, t_in[0]) if call.get("self") else (tensors[1], t_in[1])
    k_in, t_key = (tensors[-1], t_in[-1]) if key is not None else (None, t_value)
    out, scores = layer(
        tensors[0],
        v_in,
        key=k_in,
        attention_mask=mask,
        return_attention_scores=True,
        use_causal_mask=call.get("causal", False),
    )
    params = {name: to_torch(p.data, requires_grad=True) for name, p in layer.named_parameters()}
    if not settings.get("use_bias", True):
        params.update(
            {
                f"{part}_bias": torch.zeros(1, dtype=torch.float64)
                for part in ("query", "key", "value", "output")
            }
        )
    t_out, t_scores = _keras_oracle(
        torch,
        params,
        t_in[0],
        t_value,
        t_key,
        None if mask is None else to_torch(mask),
        call.get("causal", False),
        4,
    )
    assert_close("output", out.data, from_torch(t_out), *TOL)
    assert_close("scores", scores.data, from_torch(t_scores), *TOL)
    upstream = rng.standard_normal(out.shape)
    (out * upstream).sum().backward()
    (t_out * to_torch(upstream)).sum().backward()
    for i, tensor in enumerate(tensors):
        assert_close(f"input {i} grad", tensor.grad, from_torch(t_in[i].grad), *TOL)
    for name, param in layer.named_parameters():
        assert_close(f"{name} grad", param.grad, from_torch(params[name].grad), *TOL)


def test_keras_layer_builds_lazily_with_keras_shapes() -> None:
    layer = gn.nn.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=2, output_shape=7, rng=0)
    assert not layer.built
    out = layer(np.ones((2, 5, 6), dtype=np.float32), np.ones((2, 8, 9), dtype=np.float32))
    assert out.shape == (2, 5, 7) and out.dtype == np.float32
    shapes = {name: p.shape for name, p in layer.named_parameters()}
    assert shapes == {
        "query_kernel": (6, 3, 4),
        "query_bias": (3, 4),
        "key_kernel": (9, 3, 4),
        "key_bias": (3, 4),
        "value_kernel": (9, 3, 2),
        "value_bias": (3, 2),
        "output_kernel": (3, 2, 7),
        "output_bias": (7,),
    }
    # Keras's GlorotUniform on an einsum kernel (6, 3, 4): fans 3 * 6 and 4 * 6.
    assert np.abs(layer.query_kernel.data).max() <= math.sqrt(6 / (18 + 24))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            {"attention_mask": np.ones((2, 4, 4), bool)},
            r"attention_mask must be broadcastable to \(B, T, S\) = \(2, 4, 5\) \(e.g. \(B, 1, S\)\) or to \(T, S\) = \(4, 5\), got \(2, 4, 4\)",
        ),
        ({"query": np.ones((2, 4))}, r"expected query \(B, T, features\).*x\[\.\.\., None\]"),
        ({"query": np.ones((2, 4, 3))}, r"query has 3 features, the layer was built for 6"),
        ({"key": np.ones((2, 4, 6))}, r"same batch and length"),
    ],
)
def test_keras_layer_bad_input(call, message) -> None:
    layer = gn.nn.MultiHeadAttention(2, 4, query_features=6, rng=0)
    arrays = {"query": np.ones((2, 4, 6)), "value": np.ones((2, 5, 6)), **call}
    with pytest.raises(ShapeError, match=message):
        layer(**arrays)


def test_keras_layer_training_argument_controls_dropout(rng) -> None:
    layer = gn.nn.MultiHeadAttention(2, 4, dropout=0.5, rng=0).eval()
    x = rng.standard_normal((2, 5, 6))
    _, quiet = layer(x, return_attention_scores=True)
    np.testing.assert_allclose(quiet.data.sum(axis=-1), 1.0)
    a = layer(x, training=True).data
    b = layer(x, training=True).data
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(layer(x).data, layer(x, training=False).data)


def test_weights_path_and_fused_path_draw_the_same_dropout(rng) -> None:
    x = rng.standard_normal((2, 5, 8))
    layer = gn.nn.MultiheadAttention(8, 2, dropout=0.3, dtype=np.float64, rng=0)
    layer.rng = np.random.default_rng(11)
    with_weights, _ = layer(x, x, x, need_weights=True)
    layer.rng = np.random.default_rng(11)
    fused, _ = layer(x, x, x, need_weights=False)
    np.testing.assert_allclose(with_weights.data, fused.data, rtol=1e-12, atol=1e-14)
    assert "MultiheadAttention(embed_dim=8, num_heads=2, dropout=0.3" in repr(layer)


def test_integer_masks_of_torch_layer_are_refused(rng) -> None:
    from glassnet.errors import DTypeError

    mha = gn.nn.MultiheadAttention(4, 2, rng=0)
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    padding = np.array([[0, 0, 0, 1, 1]] * 2)  # meant as "ignore the last two keys"
    with pytest.raises(
        DTypeError,
        match=r"^MultiheadAttention: key_padding_mask must be boolean \(True = ignore "
        r"that key\) or floating .*got dtype int64.*key_padding_mask\.astype\(bool\)",
    ):
        mha(x, x, x, key_padding_mask=padding)
    with pytest.raises(DTypeError, match=r"^MultiheadAttention: attn_mask must be boolean .*int64"):
        mha(x, x, x, attn_mask=np.zeros((5, 5), dtype=np.int64))
    _, weights = mha(x, x, x, key_padding_mask=padding.astype(bool))
    np.testing.assert_array_equal(weights.data[..., 3:], 0)


def test_keras_layer_casts_masks_to_bool_and_broadcasts_them(rng) -> None:
    layer = gn.MultiHeadAttention(num_heads=2, key_dim=3, rng=0)
    x = rng.standard_normal((2, 4, 6)).astype(np.float32)
    keys = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])  # Keras: nonzero = attend
    full = np.broadcast_to(keys[:, None, :], (2, 4, 4))
    out, scores = layer(
        x, attention_mask=keys[:, None, :], return_attention_scores=True
    )  # (B, 1, S)
    expected, expected_scores = layer(
        x, attention_mask=full.astype(bool), return_attention_scores=True
    )
    np.testing.assert_array_equal(out.data, expected.data)
    np.testing.assert_array_equal(scores.data, expected_scores.data)
    np.testing.assert_array_equal(scores.data[1, :, :, 2:], 0)
    # A query with no key gets weights 0 (Keras spreads them uniformly): documented.
    _, none = layer(
        x, attention_mask=np.zeros((2, 1, 4), dtype=np.int64), return_attention_scores=True
    )
    np.testing.assert_array_equal(none.data, 0)
