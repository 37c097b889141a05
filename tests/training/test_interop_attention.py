"""Attention layers between torch and glassnet: TransformerEncoderLayer, TransformerEncoder and
MultiheadAttention through from_torch and to_torch, with torch's outputs (eval mode)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.training.interop import (
    multihead_attention_from_torch,
    multihead_attention_to_torch,
)

DTYPES = [("float64", 1e-10), ("float32", 2e-5)]


def _torch_dtype(torch, name):
    return getattr(torch, name)


def _run(torch, module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def _perturbed(torch, module, seed):
    """``module`` with every parameter moved off its initial value (norms and biases too)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=generator, dtype=p.dtype))
    return module.eval()


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"norm_first": True, "activation": "gelu"},
        {"bias": False, "layer_norm_eps": 1e-6},
    ],
)
def test_encoder_layer_goes_both_ways_with_torch_outputs(torch, dtype, tol, options):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(
        8, 2, 16, batch_first=True, dtype=_torch_dtype(torch, dtype), **options
    )
    head = torch.nn.Linear(8, 3, dtype=_torch_dtype(torch, dtype))
    net = _perturbed(torch, torch.nn.Sequential(layer, head), 1)
    x = np.random.default_rng(0).normal(size=(4, 5, 8)).astype(dtype)
    expected = _run(torch, net, x)
    model = gn.Model.from_torch(net)
    converted = model.layers[0]
    assert isinstance(converted, gn.nn.TransformerEncoderLayer)
    assert converted.dtype == np.dtype(dtype) and converted.norm_first == layer.norm_first
    got = model.predict(x)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    back = model.to_torch().eval()
    assert isinstance(back[0], torch.nn.TransformerEncoderLayer)
    np.testing.assert_allclose(_run(torch, back, x), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_encoder_stack_keeps_each_layers_weights_and_the_norm(torch, dtype, tol):
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(
        8, 4, 12, batch_first=True, dtype=_torch_dtype(torch, dtype)
    )
    encoder = torch.nn.TransformerEncoder(
        layer,
        3,
        norm=torch.nn.LayerNorm(8, dtype=_torch_dtype(torch, dtype)),
        enable_nested_tensor=False,
    )
    encoder = _perturbed(torch, encoder, 2)  # the three layers now differ
    x = np.random.default_rng(1).normal(size=(3, 6, 8)).astype(dtype)
    expected = _run(torch, encoder, x)
    model = gn.Model.from_torch([encoder])
    assert model.layers[0].num_layers == 3 and model.layers[0].norm is not None
    np.testing.assert_allclose(model.predict(x), expected, rtol=tol, atol=tol)
    back = model.to_torch().eval()
    np.testing.assert_allclose(_run(torch, back, x), expected, rtol=tol, atol=tol)


def test_torch_batch_first_false_becomes_a_samples_first_layer(torch):
    torch.manual_seed(2)
    layer = _perturbed(torch, torch.nn.TransformerEncoderLayer(8, 2, 16).double(), 3)
    x = np.random.default_rng(2).normal(size=(2, 5, 8))
    expected = _run(torch, layer, x.transpose(1, 0, 2).copy()).transpose(1, 0, 2)
    model = gn.Model.from_torch([layer])
    assert model.layers[0].batch_first
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-10, atol=1e-12)


def test_glassnet_encoder_goes_to_torch_with_its_own_weights(torch):
    model = gn.Model(
        [
            gn.nn.Linear(3, 8, dtype=np.float64, rng=0),
            gn.nn.TransformerEncoder(
                gn.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64, rng=0),
                2,
                norm=gn.nn.LayerNorm(8, dtype=np.float64),
            ),
        ]
    )
    model.layers[1].reset_parameters(5)  # different weights in both layers, unlike fresh copies
    x = np.random.default_rng(3).normal(size=(2, 4, 3))
    expected = model.predict(x)
    np.testing.assert_allclose(
        _run(torch, model.to_torch().eval(), x), expected, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_multihead_attention_in_a_list_is_self_attention(torch, dtype, tol, bias):
    torch.manual_seed(3)
    mha = torch.nn.MultiheadAttention(
        8, 2, bias=bias, batch_first=True, dtype=_torch_dtype(torch, dtype)
    )
    mha = _perturbed(torch, mha, 4)
    head = torch.nn.Linear(8, 2, dtype=_torch_dtype(torch, dtype))
    x = np.random.default_rng(4).normal(size=(3, 5, 8)).astype(dtype)
    with torch.no_grad():
        tx = torch.from_numpy(x)
        expected = head(mha(tx, tx, tx)[0]).numpy()
    model = gn.Model.from_torch([mha, head])
    assert isinstance(model.layers[0], gn.MultiHeadAttention)
    np.testing.assert_allclose(model.predict(x), expected, rtol=tol, atol=tol)
    back = model.to_torch().eval()
    assert type(back[0]).__name__ == "KerasSelfAttention"
    np.testing.assert_allclose(_run(torch, back, x), expected, rtol=tol, atol=tol)
    again = gn.Model.from_torch(back)
    np.testing.assert_allclose(again.predict(x), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_alone_both_ways_with_weights(torch, batch_first):
    torch.manual_seed(4)
    mha = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, batch_first=batch_first).double()
    mha = _perturbed(torch, mha, 5)
    rng = np.random.default_rng(5)
    shape = (lambda n, t, f: (n, t, f)) if batch_first else (lambda n, t, f: (t, n, f))
    q, k = rng.normal(size=shape(2, 3, 6)), rng.normal(size=shape(2, 7, 4))
    v = rng.normal(size=shape(2, 7, 5))
    with torch.no_grad():
        out, weights = mha(*(torch.from_numpy(a) for a in (q, k, v)))
    ours = multihead_attention_from_torch(mha)
    ours.eval()
    got, got_weights = ours(q, k, v)
    np.testing.assert_allclose(got.data, out.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_weights.data, weights.numpy(), rtol=1e-10, atol=1e-12)
    theirs = multihead_attention_to_torch(torch, ours).eval()
    with torch.no_grad():
        back = theirs(*(torch.from_numpy(a) for a in (q, k, v)))[0].numpy()
    np.testing.assert_allclose(back, out.numpy(), rtol=1e-10, atol=1e-12)


def test_attention_conversions_refuse_what_the_other_side_lacks(torch):
    with pytest.raises(ValueError, match="add_bias_kv or add_zero_attn"):
        gn.Model.from_torch([torch.nn.MultiheadAttention(4, 2, add_bias_kv=True)])
    with pytest.raises(ValueError, match="cannot attend to its own input"):
        gn.Model.from_torch([torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=3)])
    with pytest.raises(ValueError, match="activation"):
        gn.Model.from_torch([torch.nn.TransformerEncoderLayer(4, 2, 8, activation=torch.tanh)])
    model = gn.Model([gn.MultiHeadAttention(num_heads=2, key_dim=3, query_features=4)])
    with pytest.raises(ValueError, match=r"num_heads \* key_dim = features"):
        model.to_torch()
    model = gn.Model([gn.nn.MultiheadAttention(4, 2)])
    with pytest.raises(ValueError, match="returns \\(output, weights\\)"):
        model.to_torch()


def test_tanh_gelu_encoder_layer_round_trips(torch):
    torch.manual_seed(5)
    layer = torch.nn.TransformerEncoderLayer(
        4, 2, 8, activation=torch.nn.GELU(approximate="tanh"), batch_first=True
    ).double()
    layer = _perturbed(torch, layer, 6)
    x = np.random.default_rng(6).normal(size=(2, 3, 4))
    # With grad enabled: torch's eval fast path (under no_grad) applies the exact GELU whatever
    # GELU's `approximate` says; its documented path, like glassnet, applies the tanh form.
    expected = layer(torch.from_numpy(x)).detach().numpy()
    model = gn.Model.from_torch([layer])
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-10, atol=1e-12)
    back = model.to_torch().eval()
    assert back[0].activation.approximate == "tanh"
    np.testing.assert_allclose(
        back(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12
    )


def test_a_converted_transformer_model_survives_a_model_file(torch, tmp_path):
    torch.manual_seed(6)
    encoder = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True),
        2,
        enable_nested_tensor=False,
    )
    mha, head = torch.nn.MultiheadAttention(8, 4, batch_first=True), torch.nn.Linear(8, 1)
    model = gn.Model.from_torch([_perturbed(torch, encoder, 7), _perturbed(torch, mha, 8), head])
    x = np.random.default_rng(7).normal(size=(2, 5, 8)).astype(np.float32)
    expected = model.predict(x)
    model.save(tmp_path / "converted.gnet")
    loaded = gn.load_model(tmp_path / "converted.gnet")
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-6, atol=1e-7)
