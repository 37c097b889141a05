"""TransformerEncoderLayer, TransformerEncoder and PositionalEncoding: outputs and every gradient
equal torch's (eval mode, float64) after loading torch's state_dict."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError

from ..oracle import assert_close, from_torch, to_torch

TOL = (1e-11, 1e-9)

LAYER_CASES = [
    ({}, {}),
    ({"activation": "gelu", "norm_first": True}, {}),
    ({"batch_first": False}, {}),
    ({"bias": False, "layer_norm_eps": 1e-3}, {"causal": True}),
    ({}, {"padding": True, "causal": True}),
    ({"norm_first": True}, {"float_mask": True}),
]


def _torch_layer(torch, options):
    return torch.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=12, dtype=torch.float64, **{"batch_first": True, **options}
    )


def _masks(call, rng, n, t):
    masks = {}
    if call.get("causal"):
        masks["mask"] = np.triu(np.ones((t, t), dtype=bool), k=1)
    if call.get("float_mask"):
        masks["mask"] = rng.standard_normal((t, t))
    if call.get("padding"):
        padding = np.zeros((n, t), dtype=bool)
        padding[0, -2:] = True
        masks["padding"] = padding
    return masks


def _compare(ours, theirs, x, masks, call, rng, torch, encoder: bool) -> None:
    xin = gn.Tensor(x, requires_grad=True)
    tin = to_torch(x, requires_grad=True)
    mask_key = "mask" if encoder else "src_mask"
    ours_kw = {
        mask_key: masks.get("mask"),
        "src_key_padding_mask": masks.get("padding"),
        "is_causal": bool(call.get("causal")),
    }
    theirs_kw = {
        mask_key: None if "mask" not in masks else to_torch(masks["mask"]),
        "src_key_padding_mask": None if "padding" not in masks else to_torch(masks["padding"]),
        "is_causal": bool(call.get("causal")),
    }
    out = ours(xin, **ours_kw)
    t_out = theirs(tin, **theirs_kw)
    assert_close("output", out.data, from_torch(t_out), *TOL)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(to_torch(upstream))
    assert_close("input grad", xin.grad, from_torch(tin.grad), *TOL)
    t_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(t_params)
    for name, param in ours.named_parameters():
        assert_close(f"{name} grad", param.grad, from_torch(t_params[name].grad), *TOL)


@pytest.mark.parametrize(
    "options, call",
    LAYER_CASES,
    ids=[
        "post-norm",
        "gelu-pre-norm",
        "seq-first",
        "no-bias-causal",
        "padding-causal",
        "float-mask",
    ],
)
def test_encoder_layer_matches_torch(options, call, rng, torch) -> None:
    theirs = _torch_layer(torch, options).eval()
    ours = gn.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=12, dtype=np.float64, rng=0, **options
    ).eval()
    ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    n, t = 3, 5
    x = rng.standard_normal((n, t, 8) if options.get("batch_first", True) else (t, n, 8))
    _compare(ours, theirs, x, _masks(call, rng, n, t), call, rng, torch, encoder=False)


@pytest.mark.parametrize(
    "with_norm, call",
    [(False, {}), (True, {"causal": True, "padding": True})],
    ids=["plain", "final-norm-causal-padding"],
)
def test_encoder_matches_torch(with_norm, call, rng, torch) -> None:
    layer = _torch_layer(torch, {"norm_first": with_norm})
    norm = torch.nn.LayerNorm(8, dtype=torch.float64) if with_norm else None
    theirs = torch.nn.TransformerEncoder(layer, 3, norm=norm, enable_nested_tensor=False).eval()
    with torch.no_grad():  # the copies start equal; make them differ so a mix-up would show
        for param in theirs.parameters():
            param.add_(torch.randn_like(param) * 0.1)
    ours_norm = gn.nn.LayerNorm(8, dtype=np.float64) if with_norm else None
    ours = gn.nn.TransformerEncoder(
        gn.nn.TransformerEncoderLayer(8, 2, 12, norm_first=with_norm, dtype=np.float64),
        3,
        norm=ours_norm,
    ).eval()
    ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 6, 8))
    _compare(ours, theirs, x, _masks(call, rng, 2, 6), call, rng, torch, encoder=True)


def test_encoder_layers_are_deep_copies_with_torch_init(torch) -> None:
    layer = gn.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, rng=0)
    encoder = gn.nn.TransformerEncoder(layer, 2)
    a, b = encoder.layers[0], encoder.layers[1]
    assert a is not b and a.linear1.weight is not b.linear1.weight
    np.testing.assert_array_equal(a.linear1.weight.data, b.linear1.weight.data)
    assert np.abs(layer.linear1.weight.data).max() <= 1 / 4  # torch's Linear: U(+-1/sqrt(16))
    assert np.abs(layer.linear2.bias.data).max() <= 1 / math.sqrt(32)
    encoder.reset_parameters(1)
    assert not np.array_equal(a.linear1.weight.data, b.linear1.weight.data)


def test_dropout_changes_training_outputs_only(rng) -> None:
    layer = gn.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.5, rng=0)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    train_a, train_b = layer(x).data, layer(x).data
    assert not np.array_equal(train_a, train_b)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


def test_positional_encoding_matches_the_formula(torch) -> None:
    pe = gn.nn.PositionalEncoding(6, max_len=50)
    x = np.zeros((2, 7, 6), dtype=np.float32)
    out = pe(x).data
    t, i = 5, 2  # pair i = 2 -> features 4 (sin) and 5 (cos)
    angle = t / 10000 ** (2 * i / 6)
    np.testing.assert_allclose(out[1, t, 4:6], [math.sin(angle), math.cos(angle)], rtol=1e-6)
    assert out.dtype == np.float32
    seq_first = gn.nn.PositionalEncoding(6, batch_first=False)(np.zeros((7, 2, 6))).data
    np.testing.assert_allclose(seq_first[:, 1], out[1], rtol=1e-6)
    odd = gn.nn.PositionalEncoding(5)(np.zeros((1, 3, 5))).data  # an odd d_model keeps its last sin
    assert odd.shape == (1, 3, 5) and odd[0, 1, 4] == pytest.approx(
        math.sin(1 / 10000 ** (4 / 5)), rel=1e-6
    )
    xin = gn.Tensor(np.ones((1, 3, 6)), requires_grad=True)
    pe(xin).sum().backward()
    np.testing.assert_array_equal(xin.grad, 1)


@pytest.mark.parametrize(
    "build, shape, message",
    [
        (
            lambda: gn.nn.TransformerEncoderLayer(8, 3),
            None,
            r"^TransformerEncoderLayer: d_model=8 is not divisible by nhead=3 .*Use nhead in \[1, 2, 4, 8\]",
        ),
        (
            lambda: gn.nn.TransformerEncoderLayer(8, 2, 12),
            (2, 5, 6),
            r"expected input \(N, T, d_model\) or \(T, d_model\) with d_model=8, got \(2, 5, 6\)\. Project the features to 8",
        ),
        (
            lambda: gn.nn.PositionalEncoding(8, max_len=4),
            (2, 5, 8),
            r"T <= max_len=4, got \(2, 5, 8\)",
        ),
    ],
)
def test_bad_input(build, shape, message) -> None:
    with pytest.raises(ShapeError, match=message):
        build()(np.zeros(shape, dtype=np.float32))
    with pytest.raises(
        ValueError, match="activation must be 'relu', 'gelu' or a function of a Tensor, got 'tanh'"
    ):
        gn.nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_model_with_attention_layers_summarizes_saves_and_loads(tmp_path, rng) -> None:
    gn.seed(0)
    model = gn.Model(
        [
            gn.PositionalEncoding(8),
            gn.TransformerEncoder(
                gn.TransformerEncoderLayer(8, 2, 16, norm_first=True, bias=False),
                2,
                norm=gn.nn.LayerNorm(8),
            ),
            gn.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_shape=5),
            gn.Dense(1),
        ]
    )
    x = rng.standard_normal((4, 6, 8)).astype(np.float32)
    before = model.predict(x)
    assert before.shape == (4, 6, 1)
    text = model.summary(print_fn=lambda _: None)
    assert "transformerencoder_1 (TransformerEncoder)  (None, 6, 8)" in text
    assert "multiheadattention_1 (MultiHeadAttention)  (None, 6, 5)" in text
    path = tmp_path / "attention.gnet"
    model.save(str(path))
    loaded = gn.load_model(str(path))
    np.testing.assert_array_equal(loaded.predict(x), before)
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert "transformerencoder_1.layers.1.self_attn.in_proj_weight" in model.state_dict()


def test_attention_layers_are_traceable_only_without_dropout() -> None:
    from glassnet.training.compiled_step import traceable

    # With dropout they draw masks while training (Dropout, attention dropout), so fit runs them eagerly.
    assert traceable(gn.PositionalEncoding(4)) and traceable(
        gn.TransformerEncoder(gn.TransformerEncoderLayer(4, 2), 1)
    )
    assert not traceable(gn.TransformerEncoderLayer(4, 2)) and not traceable(
        gn.MultiHeadAttention(2, 2, dropout=0.1)
    )
    assert not traceable(gn.nn.MultiheadAttention(4, 2, dropout=0.1))
    assert traceable(gn.TransformerEncoderLayer(4, 2, dropout=0.0)) and traceable(
        gn.MultiHeadAttention(2, 2)
    )
    assert traceable(gn.nn.MultiheadAttention(4, 2))
    # A function of the user's may do anything; glassnet's own gelu is the named one.
    assert not traceable(gn.TransformerEncoderLayer(4, 2, dropout=0.0, activation=lambda t: t))
    assert traceable(gn.TransformerEncoderLayer(4, 2, dropout=0.0, activation=gn.functional.gelu))
    layer = gn.MultiHeadAttention(2, 2)
    layer.dropout = 0.2  # read on every check, so a later change counts
    assert not traceable(layer)


def test_fit_replays_an_encoder_without_dropout_bit_for_bit_as_eager(rng, monkeypatch) -> None:
    from glassnet.autograd.replay import Replay

    runs: list[int] = []
    run = Replay.run
    monkeypatch.setattr(Replay, "run", lambda self, *arrays: runs.append(1) or run(self, *arrays))
    x = rng.standard_normal((12, 5, 8)).astype(np.float32)
    y = rng.standard_normal((12, 5, 1)).astype(np.float32)

    def train(run_eagerly: bool) -> dict:
        gn.seed(0)
        model = gn.Model(
            [
                gn.PositionalEncoding(8),
                gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2),
                gn.MultiHeadAttention(num_heads=2, key_dim=4),
                gn.Dense(1),
            ]
        )
        model.compile(optimizer="adam", loss="mse", run_eagerly=run_eagerly)
        model.fit(x, y, epochs=2, batch_size=4, seed=0, verbose=0)
        return model.state_dict()

    compiled = train(False)
    assert len(runs) == 5  # the first batch of the fit recorded, the five others replayed
    eager = train(True)
    assert len(runs) == 5
    for name, array in compiled.items():
        np.testing.assert_array_equal(array, eager[name], err_msg=name)


def test_loaded_weights_are_not_redrawn_by_a_seeded_fit(tmp_path, rng) -> None:
    model = gn.Model([gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16), 1)])
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    model.predict(x)
    model._initialize_for_training(np.random.default_rng(0))  # what fit(seed=0) does first
    trained = model.state_dict()
    assert not any(getattr(layer, "freshly_initialized", True) for layer in model.layers)
    model._initialize_for_training(np.random.default_rng(1))  # a second fit keeps the weights
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, trained[name])
    copy = gn.Model([gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16), 1)])
    copy.load_state_dict(trained)
    copy._initialize_for_training(np.random.default_rng(2))
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))


def test_a_bad_mask_inside_a_model_names_the_nested_layer() -> None:
    model = gn.Model([gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16), 2)])
    encoder = model.layers[0]
    x = np.zeros((2, 5, 8), dtype=np.float32)
    with pytest.raises(
        ShapeError,
        match=r"^transformerencoder_1\.layers\.0\.self_attn: attn_mask must have shape "
        r"\(L, S\) = \(5, 5\)",
    ):
        encoder(x, mask=np.zeros((4, 5), dtype=bool))
    with pytest.raises(
        ShapeError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 5\), got \(2, 4\)"
    ):
        encoder(x, src_key_padding_mask=np.zeros((2, 4), dtype=bool))


def test_float32_encoder_stays_float32_and_near_torch(rng, torch) -> None:
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True).eval()
    ours = gn.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12).eval()
    ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    out = ours(x, is_causal=True, src_mask=np.triu(np.ones((5, 5), bool), 1))
    with torch.no_grad():
        expected = theirs(
            to_torch(x), is_causal=True, src_mask=to_torch(np.triu(np.ones((5, 5), bool), 1))
        )
    assert out.dtype == np.float32
    assert_close("float32 output", out.data, from_torch(expected), 1e-5, 1e-4)


def test_encoder_layer_gradients_match_finite_differences(rng) -> None:
    layer = gn.nn.TransformerEncoderLayer(
        4,
        2,
        dim_feedforward=6,
        dropout=0.0,
        activation="gelu",
        norm_first=True,
        dtype=np.float64,
        rng=0,
    )
    padding = np.array([[False, False, True], [False, False, False]])
    assert gn.gradcheck(
        lambda x: layer(
            x,
            src_key_padding_mask=padding,
            is_causal=True,
            src_mask=np.triu(np.ones((3, 3), bool), 1),
        ),
        rng.standard_normal((2, 3, 4)),
    )


def test_integer_masks_are_refused_naming_the_layer_and_argument() -> None:
    from glassnet.errors import DTypeError

    x = np.zeros((2, 5, 8), dtype=np.float32)
    layer = gn.nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(
        DTypeError,
        match=r"^TransformerEncoderLayer: src_key_padding_mask must be boolean .*int64.*"
        r"src_key_padding_mask\.astype\(bool\)",
    ):
        layer(x, src_key_padding_mask=np.array([[0, 0, 0, 1, 1]] * 2))
    model = gn.Model([gn.TransformerEncoder(layer, 2)])
    with pytest.raises(DTypeError, match=r"^transformerencoder_1: mask must be boolean .*int32"):
        model.layers[0](x, mask=np.zeros((5, 5), dtype=np.int32))


def test_dropout_generators_are_left_to_fit_unless_given() -> None:
    layer = gn.nn.TransformerEncoderLayer(8, 2, 16, rng=0)
    assert layer.self_attn.rng is layer.dropout.rng is layer.dropout1.rng is not None
    free = gn.nn.TransformerEncoderLayer(8, 2, 16)
    assert all(getattr(m, "rng", None) is None for m in free.modules())


def test_copied_layers_draw_independent_attention_dropout(rng) -> None:
    encoder = gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, rng=0), 3)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    outs = [
        layer.self_attn(x, x, x, need_weights=False)[0].data for layer in encoder.layers
    ]  # same weights
    assert not np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[1], outs[2])
    again = gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, rng=0), 3)
    np.testing.assert_array_equal(
        again.layers[1].self_attn(x, x, x, need_weights=False)[0].data, outs[1]
    )


def _fit_encoder(global_seed: int, fit_seed: int, x, y) -> dict:
    gn.seed(global_seed)
    model = gn.Model(
        [gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16, dropout=0.3), 2), gn.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, seed=fit_seed, verbose=0)
    return model.state_dict()


def test_seeded_fit_with_attention_dropout_repeats_bit_for_bit(rng) -> None:
    x = rng.standard_normal((8, 5, 8)).astype(np.float32)
    y = rng.standard_normal((8, 5, 1)).astype(np.float32)
    first = _fit_encoder(1, 0, x, y)
    second = _fit_encoder(2, 0, x, y)  # another global seed: fit's seed alone decides
    for name, array in first.items():
        np.testing.assert_array_equal(second[name], array, err_msg=name)
    other = _fit_encoder(1, 1, x, y)
    assert not np.array_equal(
        other["transformerencoder_1.layers.0.linear1.weight"],
        first["transformerencoder_1.layers.0.linear1.weight"],
    )


def test_submodules_are_named_once_when_the_model_names_the_encoder() -> None:
    model = gn.Model([gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16), 2)])
    encoder = model.layers[0]
    assert encoder.layers[1].name == "transformerencoder_1.layers.1"
    assert encoder.layers[1].self_attn.name == "transformerencoder_1.layers.1.self_attn"
    alone = gn.nn.TransformerEncoderLayer(8, 2, 16)
    assert alone.self_attn.display_name == "TransformerEncoderLayer.self_attn"


def test_unbatched_input_callable_activation_and_numpy_sizes(rng) -> None:
    import json

    layer = gn.nn.TransformerEncoderLayer(
        np.int64(8), np.int64(2), np.int64(12), activation=gn.functional.gelu, rng=0
    ).eval()
    named = gn.nn.TransformerEncoderLayer(8, 2, 12, activation="gelu", rng=0).eval()
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    padding = np.array([False, False, False, True, True])
    np.testing.assert_array_equal(layer(x).data, named(x).data)
    np.testing.assert_array_equal(
        layer(x[0], src_key_padding_mask=padding).data,
        layer(x[:1], src_key_padding_mask=padding[None]).data[0],
    )
    assert json.dumps(layer.get_config()) == json.dumps(named.get_config())
    with pytest.raises(TypeError, match="cannot be written to a model file"):
        gn.nn.TransformerEncoderLayer(8, 2, activation=lambda t: t).get_config()
    encoder = gn.TransformerEncoder(named, np.int64(2))
    assert json.dumps(encoder.get_config())
    pe = gn.PositionalEncoding(np.int64(8), max_len=np.int32(10))
    assert json.dumps(pe.get_config()) and pe(x).shape == x.shape


def test_unbatched_input_matches_torch(rng, torch) -> None:
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True).eval()
    ours = gn.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12).eval()
    ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((5, 8)).astype(np.float32)
    padding = np.array([False, False, False, False, True])
    with torch.no_grad():
        expected = theirs(to_torch(x), src_key_padding_mask=to_torch(padding))
    assert_close(
        "unbatched output",
        ours(x, src_key_padding_mask=padding).data,
        from_torch(expected),
        1e-5,
        1e-4,
    )
