"""Convolution layers: PyTorch's and Keras's names against torch, init, errors, files, fit, interop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from ..oracle import assert_close, from_torch, to_torch


def _copy_weights(ours, theirs) -> None:
    import torch

    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        if ours.bias is not None:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))


def _compare(
    ours, theirs, x: np.ndarray, to_ours=lambda a: a, from_ours=lambda a: a, atol=1e-10
) -> None:
    """Same output and same gradients for input, weight and bias (float64)."""
    xo = gn.Tensor(to_ours(x), requires_grad=True)
    xt = to_torch(x, requires_grad=True)
    yo = ours(xo)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # torch: 'same' with an even kernel copies the input
        yt = theirs(xt)
    assert_close("value", from_ours(yo.data), from_torch(yt), atol, 1e-9)
    dy = np.random.default_rng(1).standard_normal(yt.shape)
    yo.backward(to_ours(dy))
    yt.backward(to_torch(dy))
    assert_close("input grad", from_ours(xo.grad), from_torch(xt.grad), atol, 1e-9)
    assert_close("weight grad", ours.weight.grad, from_torch(theirs.weight.grad), atol, 1e-9)
    if ours.bias is not None:
        assert_close("bias grad", ours.bias.grad, from_torch(theirs.bias.grad), atol, 1e-9)


TORCH_LAYERS = [
    ("Conv2d", (3, 4, 3), {"padding": 1}, (2, 3, 7, 8)),
    (
        "Conv2d",
        (4, 6, (3, 2)),
        {"stride": 2, "dilation": (1, 2), "groups": 2, "bias": False},
        (1, 4, 9, 9),
    ),
    ("Conv2d", (3, 3, 4), {"padding": "same", "groups": 3}, (2, 3, 6, 6)),
    ("Conv1d", (2, 5, 3), {"padding": 2, "stride": 2}, (3, 2, 11)),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 5, 4)),
    ("ConvTranspose2d", (4, 6, 2), {"groups": 2, "dilation": 2}, (1, 4, 3, 3)),
]


@pytest.mark.parametrize("kind, args, options, shape", TORCH_LAYERS)
def test_pytorch_named_layers_match_torch(kind, args, options, shape, torch) -> None:
    ours = getattr(gn.nn, kind)(*args, dtype=np.float64, rng=0, **options)
    theirs = getattr(torch.nn, kind)(*args, dtype=torch.float64, **options)
    _copy_weights(ours, theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    _compare(ours, theirs, np.random.default_rng(0).standard_normal(shape))


@pytest.mark.parametrize(
    "kind, args, options",
    [
        ("Conv2d", (6, 8, 3), {}),
        ("Conv2d", (6, 8, 3), {"groups": 2}),
        ("Conv1d", (4, 2, 5), {}),
        ("ConvTranspose2d", (6, 9, 3), {"groups": 3}),
    ],
)
def test_default_init_has_torch_bounds(kind, args, options, torch) -> None:
    ours = getattr(gn.nn, kind)(*args, rng=0, **options)
    theirs = getattr(torch.nn, kind)(*args, **options)
    bound = 1 / np.sqrt(
        np.prod(theirs.weight.shape[1:])
    )  # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
    for name in ("weight", "bias"):
        ours_param, theirs_param = getattr(ours, name).data, from_torch(getattr(theirs, name))
        assert ours_param.shape == theirs_param.shape and ours_param.dtype == np.float32
        assert np.abs(ours_param).max() <= bound and np.abs(theirs_param).max() <= bound
    assert np.abs(ours.weight.data).max() > 0.7 * bound  # spread over the whole interval


def _nhwc(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


def _nchw(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, -1, 1)


def _keras_same_reference(torch, layer, x):
    """Keras's "same" padding (uneven for strides > 1) as an explicit F.pad before torch's conv."""
    pads = layer._pads(x.shape[2:])
    flat = [p for pair in reversed(pads) for p in pair]
    weight, bias = to_torch(layer.weight.data, True), to_torch(layer.bias.data, True)
    conv = torch.nn.functional.conv2d if layer.n_spatial == 2 else torch.nn.functional.conv1d
    return conv(
        torch.nn.functional.pad(x, flat),
        weight,
        bias,
        layer.stride,
        0,
        layer.dilation,
        layer.groups,
    )


@pytest.mark.parametrize(
    "options, shape",
    [
        ({"filters": 4, "kernel_size": 3}, (2, 3, 7, 8)),
        ({"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}, (2, 3, 7, 8)),
        ({"filters": 4, "kernel_size": 2, "padding": "same"}, (1, 2, 6, 5)),
        (
            {"filters": 6, "kernel_size": (3, 2), "strides": 2, "padding": "same", "groups": 2},
            (2, 4, 9, 8),
        ),
        ({"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 3, 9, 9)),
    ],
)
def test_keras_conv2d_matches_torch_on_transposed_data(options, shape, torch) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    layer = gn.Conv2D(**options, dtype=np.float64, rng=0)
    layer.build(shape[1])
    weight = gn.Tensor(layer.weight.data.copy())
    theirs = to_torch(weight.data, True)
    xo, xt = gn.Tensor(_nhwc(x), requires_grad=True), to_torch(x, True)
    yo = layer(xo)
    pads = layer._pads(shape[2:])
    flat = [p for pair in reversed(pads) for p in pair]
    bias = to_torch(layer.bias.data, True)
    yt = torch.nn.functional.conv2d(
        torch.nn.functional.pad(xt, flat),
        theirs,
        bias,
        layer.stride,
        0,
        layer.dilation,
        layer.groups,
    )
    if layer.activation == "relu":  # fused into the convolution's op
        yt = torch.relu(yt)
    assert yo.shape[1:3] == tuple(
        -(-s // st) if layer.padding == "same" else None or yo.shape[1 + i]
        for i, (s, st) in enumerate(zip(shape[2:], layer.stride))
    )
    assert_close("value", _nchw(yo.data), from_torch(yt), 1e-10, 1e-9)
    dy = np.random.default_rng(2).standard_normal(yt.shape)
    yo.backward(_nhwc(dy))
    yt.backward(to_torch(dy))
    assert_close("input grad", _nchw(xo.grad), from_torch(xt.grad), 1e-10, 1e-9)
    assert_close("weight grad", layer.weight.grad, from_torch(theirs.grad), 1e-10, 1e-9)
    assert_close("bias grad", layer.bias.grad, from_torch(bias.grad), 1e-10, 1e-9)


def test_keras_conv1d_matches_torch_conv1d(torch) -> None:
    layer = gn.Conv1D(5, 3, strides=1, padding="same", activation="relu", dtype=np.float64, rng=0)
    theirs = torch.nn.Sequential(
        torch.nn.Conv1d(2, 5, 3, padding=1, dtype=torch.float64), torch.nn.ReLU()
    )
    x = np.random.default_rng(0).standard_normal((3, 2, 9))
    layer.build(2)
    _copy_weights(layer, theirs[0])
    layer.bias.grad = None
    xo = gn.Tensor(_nhwc(x), requires_grad=True)
    yo = layer(xo)
    assert_close("value", _nchw(yo.data), from_torch(theirs(to_torch(x))), 1e-10, 1e-9)


@pytest.mark.parametrize(
    "options, shape, expected_hw",
    [
        ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 6), (10, 12)),
        ({"kernel_size": 3, "strides": 2, "padding": "valid"}, (2, 4, 5, 6), (11, 13)),
        ({"kernel_size": 2, "strides": 3, "padding": "valid"}, (1, 4, 3, 3), (9, 9)),
        ({"kernel_size": 4, "strides": 2, "padding": "same"}, (1, 4, 3, 4), (6, 8)),
    ],
)
def test_keras_conv2d_transpose_has_keras_sizes_and_torch_values(
    options, shape, expected_hw, torch
) -> None:
    layer = gn.Conv2DTranspose(3, **options, dtype=np.float64, rng=0)
    x = np.random.default_rng(0).standard_normal(shape)
    layer.build(shape[1])
    layer.bias.data[...] = [
        0.5,
        -1.0,
        2.0,
    ]  # Keras starts at zero; the output_padding strip gets it too
    xo = gn.Tensor(_nhwc(x), requires_grad=True)
    yo = layer(xo)
    assert yo.shape == (shape[0], *expected_hw, 3)
    # torch's full (uncropped) transposed convolution, zeros past its end, Keras's crop, then the bias.
    weight, bias, xt = (
        to_torch(layer.weight.data, True),
        to_torch(layer.bias.data, True),
        to_torch(x, True),
    )
    pads, extra = layer._transpose_geometry(shape[2:])
    full = torch.nn.functional.pad(
        torch.nn.functional.conv_transpose2d(xt, weight, None, layer.stride),
        [0, extra[1], 0, extra[0]],
    )
    crop = full[
        :, :, pads[0][0] : pads[0][0] + expected_hw[0], pads[1][0] : pads[1][0] + expected_hw[1]
    ]
    yt = crop + bias[:, None, None]
    assert_close("value", _nchw(yo.data), from_torch(yt), 1e-10, 1e-9)
    dy = np.random.default_rng(3).standard_normal(yt.shape)
    yo.backward(_nhwc(dy))
    yt.backward(to_torch(dy))
    assert_close("input grad", _nchw(xo.grad), from_torch(xt.grad), 1e-10, 1e-9)
    assert_close("weight grad", layer.weight.grad, from_torch(weight.grad), 1e-10, 1e-9)
    assert_close("bias grad", layer.bias.grad, from_torch(bias.grad), 1e-10, 1e-9)


def test_keras_layer_builds_lazily_and_channels_first_is_accepted() -> None:
    layer = gn.Conv2D(8, 3, data_format="channels_first", rng=0)
    assert not layer.built and layer.weight is None
    y = layer(gn.Tensor(np.zeros((2, 3, 10, 10), dtype=np.float32)))
    assert y.shape == (2, 8, 8, 8) and layer.weight.shape == (8, 3, 3, 3) and layer.in_channels == 3
    assert gn.Conv2D(4, 3, input_shape=(28, 28, 1)).weight.shape == (4, 1, 3, 3)


def test_keras_default_init_is_glorot_uniform_with_zero_bias() -> None:
    layer = gn.Conv2D(16, 3, in_channels=8, rng=0)
    bound = np.sqrt(6 / (8 * 9 + 16 * 9))
    assert (
        np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.9 * bound
    )
    assert not layer.bias.data.any()


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "make, shape, match",
    [
        (
            lambda: gn.nn.Conv2d(1, 4, 3),
            (8, 8),
            r"Conv2d expects \(N, C, H, W\); got \(8, 8\): add the batch and channel axes",
        ),
        (
            lambda: gn.nn.Conv2d(1, 4, 3),
            (5, 8, 8),
            r"Conv2d expects \(N, C, H, W\); got \(5, 8, 8\): add the channel axis, e.g. x\[:, None\]",
        ),
        (
            lambda: gn.nn.Conv2d(3, 4, 3),
            (2, 8, 8, 3),
            r"in_channels = 3; got \(2, 8, 8, 3\).*looks channels-last",
        ),
        (
            lambda: gn.Conv2D(4, 3, in_channels=3),
            (2, 3, 8, 8),
            r"looks channels-first.*data_format='channels_first'",
        ),
        (
            lambda: gn.nn.Conv2d(3, 4, 3),
            (2, 5, 8, 8),
            r"in_channels = 3; got \(2, 5, 8, 8\) \(5 channels\)",
        ),
        (
            lambda: gn.nn.Conv2d(3, 4, 5),
            (2, 3, 4, 8),
            r"spans 5 but the input \(2, 3, 4, 8\) .* only 4 wide",
        ),
        (lambda: gn.nn.Conv1d(2, 4, 3), (2, 9), r"Conv1d expects \(N, C, L\); got \(2, 9\)"),
        (lambda: gn.nn.ConvTranspose2d(2, 4, 1, padding=1), (1, 2, 1, 1), r"gives an empty output"),
    ],
)
def test_bad_inputs_name_the_layer_shapes_and_fix(make, shape, match) -> None:
    layer = make()
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    with pytest.raises(ShapeError, match=match):
        layer(gn.Tensor(np.zeros(shape, dtype=np.float32)))
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: gn.nn.Conv2d(3, 4, 3, stride=0), r"Conv2d: stride must be >= 1, got 0"),
        (lambda: gn.nn.Conv2d(3, 4, 3, dilation=(1, 0)), r"dilation must be >= 1"),
        (
            lambda: gn.nn.Conv2d(3, 4, 3, groups=2),
            r"groups=2 must divide in_channels=3 and out_channels=4",
        ),
        (lambda: gn.nn.Conv2d(3, 4, 3, stride=2, padding="same"), r"padding='same' needs stride 1"),
        (lambda: gn.nn.Conv2d(3, 4, 3, padding_mode="reflect"), r"only padding_mode='zeros'"),
        (
            lambda: gn.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2),
            r"output_padding \(2, 2\) must be smaller",
        ),
        (lambda: gn.Conv2D(4, 3, strides=-1), r"Conv2D: strides must be >= 1"),
        (
            lambda: gn.nn.Conv2d(1, 2, 2.5),
            r"Conv2d: kernel_size must be an int or a tuple of 2 ints \(whole pixels\), got 2.5; "
            r"e.g. kernel_size=3 or \(3, 3\)",
        ),
        (lambda: gn.nn.Conv1d(1, 2, 3, stride=1.5), r"Conv1d: stride must be an int .* got 1.5"),
        (lambda: gn.Conv2D(4, 2.5), r"Conv2D: kernel_size must be an int .* got 2.5"),
        (lambda: gn.Conv2D(4, 3, padding="full"), r"padding must be 'valid' or 'same'"),
        (lambda: gn.Conv2D(4, 3, activation="swish"), r"unknown activation 'swish'"),
        (lambda: gn.Conv2D(4, 3, groups=3, in_channels=4), r"groups=3 must divide in_channels=4"),
    ],
)
def test_bad_arguments_are_refused_at_construction(make, match) -> None:
    with pytest.raises(InputError, match=match):
        make()


def test_input_dtype_must_be_the_layers() -> None:
    with pytest.raises(
        InputError, match=r"Conv2d: input dtype float64 differs from the layer's float32: cast"
    ):
        gn.nn.Conv2d(3, 4, 3)(gn.Tensor(np.zeros((1, 3, 5, 5))))
    assert (
        gn.nn.Conv2d(3, 4, 3, dtype=np.float64)(gn.Tensor(np.zeros((1, 3, 5, 5)))).dtype
        == np.float64
    )


# ------------------------------------------------------------------------------------------ models
class _Flatten(gn.nn.Module):
    """(N, ...) -> (N, features), for these tests (the pooling branch brings nn.Flatten)."""

    traceable = True

    def forward(self, x):
        return F.reshape(x, (x.shape[0], -1))

    def get_config(self) -> dict:
        return {}


def _conv_model(**conv) -> gn.Model:
    return gn.Model(
        [
            gn.Conv2D(4, 3, padding="same", activation="relu", **conv),
            gn.Conv2D(6, 3, strides=2, activation="relu"),
            _Flatten(),
            gn.Dense(3, activation="softmax"),
        ]
    )


def _images(n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > 0).astype(int) + (x[:, :, :4].mean(axis=(1, 2, 3)) > 0.1)
    return x, y


def test_conv_model_trains_identically_eager_and_replayed() -> None:
    x, y = _images()
    results = []
    for eager in (False, True):
        gn.seed(0)
        model = _conv_model()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=eager)
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=0)
        results.append((history.history, model.state_dict()))
    (history, weights), (eager_history, eager_weights) = results
    assert history == eager_history
    for name, value in weights.items():
        np.testing.assert_array_equal(value, eager_weights[name], err_msg=name)


def test_conv_model_save_and_load_round_trip_needs_no_data(tmp_path) -> None:
    x, y = _images()
    model = gn.Model(
        [
            gn.Conv2D(4, 3, activation="relu"),
            gn.Conv2D(2, 3, strides=2, padding="same"),
            _Flatten(),
            gn.Dense(3),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=0)
    model.save(tmp_path / "cnn.gnet")
    loaded = gn.load_model(tmp_path / "cnn.gnet", custom_objects={"_Flatten": _Flatten})
    assert loaded.layers[0].built and loaded.layers[0].in_channels == 1
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_torch_named_layers_round_trip_through_a_file(tmp_path) -> None:
    layers = [
        gn.nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, rng=0),
        gn.ReLU(),
        gn.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1, rng=1),
        gn.nn.Conv2d(3, 2, 1, dilation=2, bias=False, rng=2),
    ]
    model = gn.Model(layers)
    x = np.random.default_rng(0).normal(size=(3, 2, 6, 6)).astype(np.float32)
    model.save(tmp_path / "m.gnet")
    loaded = gn.load_model(tmp_path / "m.gnet")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_from_torch_and_to_torch_carry_conv_models(torch) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 4, 3, stride=2, groups=2, padding="valid"),
        torch.nn.Tanh(),
        torch.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(2, 3, 1, bias=False),
    )
    x = np.random.default_rng(0).normal(size=(2, 1, 9, 9)).astype(np.float32)
    model = gn.Model.from_torch(net)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5)
    back = model.to_torch()
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.from_numpy(x)).numpy(), expected, atol=1e-5)


def test_to_torch_takes_channels_first_keras_layers_and_explains_channels_last(torch) -> None:
    model = gn.Model(
        [
            gn.Conv2D(3, 3, padding="same", data_format="channels_first", activation="relu", rng=0),
            gn.Conv2D(2, 3, strides=2, data_format="channels_first", rng=1),
        ]
    )
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 7)).astype(np.float32)
    out = model.predict(x)
    with torch.no_grad():
        np.testing.assert_allclose(model.to_torch()(torch.from_numpy(x)).numpy(), out, atol=1e-5)
    last = gn.Model([gn.Conv2D(3, 3, in_channels=2)])
    with pytest.raises(ValueError, match="takes channels last.*data_format='channels_first'"):
        last.to_torch()


def test_summary_shows_output_shapes_parameters_and_receptive_fields() -> None:
    model = gn.Model(
        [
            gn.Conv2D(16, 3, padding="same", activation="relu"),
            gn.Conv2D(32, 3, strides=2),
            gn.ReLU(),
            gn.Conv2D(8, 3, dilation_rate=2),
            gn.Conv2DTranspose(4, 2, strides=2),
        ]
    )
    model.build((None, 28, 28, 1))
    lines = model.summary(print_fn=lambda text: None).splitlines()
    assert "Receptive field" in lines[2]
    rows = {line.split()[0]: line.split()[1:] for line in lines[4:9]}
    # Columns: output shape, parameters, FLOPs, activation bytes (a number and a unit), receptive field.
    assert "160" in rows["conv2d_1"] and rows["conv2d_1"][-1] == "3x3"
    assert (
        "32)" in rows["conv2d_2"] and "4,640" in rows["conv2d_2"] and rows["conv2d_2"][-1] == "5x5"
    )
    assert (
        "0" in rows["relu_1"] and "x" not in rows["relu_1"][-1]
    )  # no receptive-field cell of its own
    assert rows["conv2d_3"][-1] == "13x13"  # 5 + 2 (dilation) * 2 (kernel - 1) * 2 (stride so far)
    assert rows["conv2dtranspose_1"][-1] == "-"
    assert "(None, 9, 9, 8)" in lines[7] and "(None, 18, 18, 4)" in lines[8]


def test_summary_of_a_dense_model_has_no_receptive_field_column() -> None:
    model = gn.Model([gn.Input((3,)), gn.Dense(2)])
    assert "Receptive field" not in model.summary(print_fn=lambda text: None)


def test_summary_receptive_field_counts_pooling() -> None:
    model = gn.Model(
        [
            gn.nn.Conv2d(1, 16, 3, padding=1),
            gn.ReLU(),
            gn.nn.MaxPool2d(2),
            gn.nn.Conv2d(16, 32, 3, padding=1),
            gn.ReLU(),
            gn.nn.MaxPool2d(2),
            gn.nn.Flatten(),
            gn.Linear(1568, 10),
        ]
    )
    model.build((None, 1, 28, 28))
    fields = [
        line.split()[-1]
        for line in model.summary(print_fn=lambda text: None).splitlines()
        if line.split() and line.split()[-1].count("x") == 1 and line.split()[-1][0].isdigit()
    ]
    assert fields == ["3x3", "4x4", "8x8", "10x10"]


@pytest.mark.parametrize(
    "kernel, strides, output_padding", [(3, 2, 1), (3, 3, 2), (5, 2, 1), (4, 2, 0), (2, 3, 1)]
)
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_keras_conv2d_transpose_output_padding_crops_as_tensorflow(
    kernel, strides, output_padding, padding
) -> None:
    # TensorFlow's rule, computed independently: the full transposed convolution has
    # (n - 1) s + k positions; Keras keeps (n - 1) s + k - 2 p + op of them (p = k // 2 for "same",
    # else 0), dropping the smaller half of the 2 p - op extra ones before (or padding after).
    import glassnet.functional as F

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 3))
    layer = gn.Conv2DTranspose(
        4,
        kernel,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dtype=np.float64,
        rng=0,
    )
    got = layer(gn.Tensor(x)).data
    full = F.conv_transpose2d(
        gn.Tensor(x.transpose(0, 3, 1, 2)), layer.weight.data, stride=strides
    ).data
    p = kernel // 2 if padding == "same" else 0
    crop = 2 * p - output_padding
    before = max(crop, 0) // 2
    sizes = [(n - 1) * strides + kernel - 2 * p + output_padding for n in x.shape[1:3]]
    padded = np.pad(full, [(0, 0), (0, 0), (0, max(-crop, 0)), (0, max(-crop, 0))])
    expected = (
        padded[:, :, before : before + sizes[0], before : before + sizes[1]]
        + layer.bias.data[:, None, None]
    )
    np.testing.assert_allclose(got, expected.transpose(0, 2, 3, 1), atol=1e-12)
    if padding == "same" and output_padding == strides - 1 and kernel % 2:
        plain = gn.Conv2DTranspose(
            4, kernel, strides=strides, padding="same", dtype=np.float64, rng=0
        )
        np.testing.assert_allclose(plain(gn.Tensor(x)).data, got, atol=1e-12)  # Keras's own default
