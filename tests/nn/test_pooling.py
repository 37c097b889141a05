"""Pooling, flattening, resizing, BatchNorm2d and Dropout2d layers against their PyTorch twins,
Keras layers against PyTorch on transposed data, errors, and configs that rebuild the same layer."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import InputError, ShapeError
from glassnet.io.serialization import build_layer, layer_config

from ..oracle import assert_close, from_torch, to_torch

# (id, glassnet layer, torch layer (from torch.nn), input shape)
TORCH_TWINS = [
    ("MaxPool2d", lambda: gn.nn.MaxPool2d(2), lambda t: t.MaxPool2d(2), (2, 3, 8, 6)),
    (
        "MaxPool2d-pad-ceil",
        lambda: gn.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        lambda t: t.MaxPool2d(3, 2, 1, ceil_mode=True),
        (2, 2, 8, 7),
    ),
    ("MaxPool1d", lambda: gn.nn.MaxPool1d(3, 2), lambda t: t.MaxPool1d(3, 2), (2, 3, 9)),
    (
        "AvgPool2d",
        lambda: gn.nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 0)),
        lambda t: t.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 0)),
        (2, 3, 7, 6),
    ),
    (
        "AvgPool2d-exclude-pad",
        lambda: gn.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        lambda t: t.AvgPool2d(3, 2, 1, count_include_pad=False),
        (1, 2, 5, 5),
    ),
    ("AvgPool1d", lambda: gn.nn.AvgPool1d(2), lambda t: t.AvgPool1d(2), (2, 3, 8)),
    (
        "AdaptiveAvgPool2d",
        lambda: gn.nn.AdaptiveAvgPool2d((3, 2)),
        lambda t: t.AdaptiveAvgPool2d((3, 2)),
        (2, 3, 7, 5),
    ),
    ("Flatten", lambda: gn.nn.Flatten(), lambda t: t.Flatten(), (2, 3, 4, 5)),
    ("Flatten-dims", lambda: gn.nn.Flatten(2, 3), lambda t: t.Flatten(2, 3), (2, 3, 4, 5)),
    (
        "Upsample-nearest",
        lambda: gn.nn.Upsample(scale_factor=2),
        lambda t: t.Upsample(scale_factor=2),
        (2, 3, 3, 4),
    ),
    (
        "Upsample-bilinear",
        lambda: gn.nn.Upsample(size=(5, 7), mode="bilinear"),
        lambda t: t.Upsample(size=(5, 7), mode="bilinear"),
        (2, 3, 3, 4),
    ),
    (
        "Upsample-corners",
        lambda: gn.nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
        lambda t: t.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
        (1, 2, 4, 4),
    ),
]


@pytest.mark.parametrize(
    "make, make_torch, shape", [row[1:] for row in TORCH_TWINS], ids=[r[0] for r in TORCH_TWINS]
)
def test_layers_match_their_torch_twin_in_value_and_gradient(
    make, make_torch, shape, torch, rng
) -> None:
    x = rng.standard_normal(shape)
    ours_in, theirs_in = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    ours, theirs = make()(ours_in), make_torch(torch.nn)(theirs_in)
    assert_close("value", ours.data, from_torch(theirs), 1e-13, 1e-10)
    upstream = rng.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    assert_close("grad", ours_in.grad, from_torch(theirs_in.grad), 1e-13, 1e-10)


def _nhwc(x):
    return x.permute(0, 2, 3, 1)


def _torch_same_pool(torch, x, k, s, op):
    """Keras's "same" pooling in torch: the odd padding pixel on the right/bottom; average over input pixels."""
    pads = []
    for size, kk, ss in zip(reversed(x.shape[2:]), reversed(k), reversed(s)):
        out = -(-size // ss)
        total = max((out - 1) * ss + kk - size, 0)
        pads += [total // 2, total - total // 2]
    F = torch.nn.functional
    if op == "max":
        return F.max_pool2d(F.pad(x, pads, value=-float("inf")), k, s)
    total = F.avg_pool2d(F.pad(x, pads), k, s, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x), pads), k, s, divisor_override=1)
    return total / count


KERAS_CASES = [
    (
        "MaxPooling2D",
        lambda: gn.MaxPooling2D(),
        lambda torch, x: torch.nn.functional.max_pool2d(x, 2),
    ),
    (
        "MaxPooling2D-strides",
        lambda: gn.MaxPooling2D(3, strides=2),
        lambda torch, x: torch.nn.functional.max_pool2d(x, 3, 2),
    ),
    (
        "MaxPooling2D-same",
        lambda: gn.MaxPooling2D(3, strides=2, padding="same"),
        lambda torch, x: _torch_same_pool(torch, x, (3, 3), (2, 2), "max"),
    ),
    (
        "AveragePooling2D",
        lambda: gn.AveragePooling2D((2, 3)),
        lambda torch, x: torch.nn.functional.avg_pool2d(x, (2, 3)),
    ),
    (
        "AveragePooling2D-same",
        lambda: gn.AveragePooling2D(2, padding="same"),
        lambda torch, x: _torch_same_pool(torch, x, (2, 2), (2, 2), "avg"),
    ),
    (
        "AveragePooling2D-same-strides",
        lambda: gn.AveragePooling2D(3, strides=(1, 2), padding="same"),
        lambda torch, x: _torch_same_pool(torch, x, (3, 3), (1, 2), "avg"),
    ),
    (
        "GlobalAveragePooling2D",
        lambda: gn.GlobalAveragePooling2D(),
        lambda torch, x: x.mean(dim=(2, 3)),
    ),
    (
        "UpSampling2D",
        lambda: gn.UpSampling2D((2, 3)),
        lambda torch, x: torch.nn.functional.interpolate(x, scale_factor=(2, 3)),
    ),
    (
        "UpSampling2D-bilinear",
        lambda: gn.UpSampling2D(2, interpolation="bilinear"),
        lambda torch, x: torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
    ),
    ("Flatten", lambda: gn.Flatten(), lambda torch, x: _nhwc(x).reshape(x.shape[0], -1)),
]


@pytest.mark.parametrize("channels_last", [True, False], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "make, reference", [row[1:] for row in KERAS_CASES], ids=[r[0] for r in KERAS_CASES]
)
def test_keras_layers_match_torch_on_transposed_data(
    make, reference, channels_last, torch, rng
) -> None:
    x_first = rng.standard_normal((2, 3, 7, 6))
    layer = make()
    if (
        not channels_last
    ):  # (Keras's channels_first Flatten moves the channels last: the same reference)
        layer = type(layer)(**{**layer.get_config(), "data_format": "channels_first"})
    x = x_first.transpose(0, 2, 3, 1) if channels_last else x_first
    ours_in, theirs_in = gn.Tensor(x, requires_grad=True), to_torch(x_first, requires_grad=True)
    ours = layer(ours_in)
    theirs = reference(torch, theirs_in)
    if theirs.ndim == 4 and channels_last:
        theirs = _nhwc(theirs)
    assert_close("value", ours.data, from_torch(theirs), 1e-13, 1e-10)
    upstream = rng.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(to_torch(upstream))
    expected = from_torch(theirs_in.grad)
    assert_close(
        "grad",
        ours_in.grad,
        expected.transpose(0, 2, 3, 1) if channels_last else expected,
        1e-13,
        1e-10,
    )


def test_keras_flatten_channels_first_orders_features_as_channels_last() -> None:
    x = np.arange(24.0).reshape(1, 2, 3, 4)  # (N, C, H, W)
    ours = gn.Flatten(data_format="channels_first")(gn.Tensor(x)).data
    np.testing.assert_array_equal(ours, x.transpose(0, 2, 3, 1).reshape(1, -1))
    assert gn.Flatten is gn.nn.Flatten


def test_global_average_pooling_keepdims() -> None:
    x = gn.Tensor(np.ones((2, 4, 5, 3)))
    assert gn.GlobalAveragePooling2D(keepdims=True)(x).shape == (2, 1, 1, 3)
    assert gn.GlobalAveragePooling2D(data_format="channels_first", keepdims=True)(x).shape == (
        2,
        4,
        1,
        1,
    )


# ------------------------------------------------------------------------------ BatchNorm2d
def test_batchnorm2d_matches_torch_in_training_and_eval(torch, rng) -> None:
    ours_layer = gn.nn.BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    theirs_layer = torch.nn.BatchNorm2d(3, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        theirs_layer.weight.copy_(torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64))
        theirs_layer.bias.copy_(torch.tensor([0.1, 0.0, 2.0], dtype=torch.float64))
    ours_layer.weight.data[...] = [0.5, 1.5, -1.0]
    ours_layer.bias.data[...] = [0.1, 0.0, 2.0]
    for _ in range(2):
        x = rng.standard_normal((4, 3, 5, 6)) * 2 + 1
        ours_in, theirs_in = gn.Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
        ours, theirs = ours_layer(ours_in), theirs_layer(theirs_in)
        assert_close("train value", ours.data, from_torch(theirs), 1e-12, 1e-10)
        upstream = rng.standard_normal(x.shape)
        ours.backward(upstream)
        theirs.backward(to_torch(upstream))
        assert_close("grad x", ours_in.grad, from_torch(theirs_in.grad), 1e-12, 1e-9)
        assert_close(
            "grad weight", ours_layer.weight.grad, from_torch(theirs_layer.weight.grad), 1e-12, 1e-9
        )
        ours_layer.zero_grad()
        theirs_layer.zero_grad()
    assert_close(
        "running mean", ours_layer.running_mean, from_torch(theirs_layer.running_mean), 1e-13, 1e-10
    )
    assert_close(
        "running var", ours_layer.running_var, from_torch(theirs_layer.running_var), 1e-13, 1e-10
    )
    ours_layer.eval()
    theirs_layer.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    assert_close(
        "eval value",
        ours_layer(gn.Tensor(x)).data,
        from_torch(theirs_layer(to_torch(x))),
        1e-13,
        1e-10,
    )


def test_batchnorm2d_state_dict_keys_are_torchs_as_batchnorm1d_keeps_them(torch) -> None:
    ours = set(gn.nn.BatchNorm2d(4).state_dict())
    theirs = set(torch.nn.BatchNorm2d(4).state_dict()) - {"num_batches_tracked"}
    assert ours == theirs == set(gn.nn.BatchNorm1d(4).state_dict())


# ------------------------------------------------------------------------------ Dropout2d
def test_dropout2d_drops_whole_channels_and_scales_the_rest() -> None:
    layer = gn.nn.Dropout2d(0.5, rng=3)
    y = layer(gn.Tensor(np.ones((8, 6, 4, 5)))).data
    per_channel = y.reshape(8, 6, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # each channel all 0 or all 2
    assert set(np.unique(y)) == {0.0, 2.0}
    layer.eval()
    np.testing.assert_array_equal(layer(gn.Tensor(np.ones((2, 3, 2, 2)))).data, 1.0)


def test_dropout2d_repeats_with_a_seed_and_routes_the_gradient_through_the_mask() -> None:
    masks = []
    for _ in range(2):
        gn.seed(7)
        x = gn.Tensor(np.ones((4, 5, 3, 3)), requires_grad=True)
        y = gn.nn.Dropout2d(0.3)(x)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, y.data)  # d(sum(x * m))/dx = m = y for x = 1
        masks.append(y.data)
    np.testing.assert_array_equal(masks[0], masks[1])


# ------------------------------------------------------------------------------ errors
ERRORS = [
    (
        lambda: gn.nn.MaxPool2d(2)(gn.Tensor(np.ones((8, 8)))),
        ShapeError,
        r"MaxPool2d: expects input of shape \(N, C, H, W\); got \(8, 8\): add the batch and channel axes",
    ),
    (
        lambda: gn.Model([gn.MaxPool2d(2)]).layers[0](gn.Tensor(np.ones((3, 8, 8)))),
        ShapeError,
        r"maxpool2d_1: expects input of shape \(N, C, H, W\); got \(3, 8, 8\)",
    ),
    (
        lambda: gn.nn.MaxPool2d(5)(gn.Tensor(np.ones((1, 1, 4, 4)))),
        ShapeError,
        r"MaxPool2d: kernel_size \(5, 5\) is larger than the padded input \(4, 4\) \(input \(1, 1, 4, 4\)",
    ),
    (
        lambda: gn.nn.AvgPool2d(3, padding=2),
        InputError,
        r"AvgPool2d: padding must lie between 0 and half",
    ),
    (lambda: gn.nn.MaxPool1d(0), InputError, r"MaxPool1d: kernel_size and stride must be positive"),
    (
        lambda: gn.nn.AvgPool1d(2)(gn.Tensor(np.ones((2, 8)))),
        ShapeError,
        r"AvgPool1d: expects input of shape \(N, C, L\); got \(2, 8\)",
    ),
    (
        lambda: gn.MaxPooling2D(2)(gn.Tensor(np.ones((8, 8, 1)))),
        ShapeError,
        r"MaxPooling2D: expects input of shape \(N, H, W, C\) \(channels_last\); got \(8, 8, 1\): add the batch",
    ),
    (
        lambda: gn.MaxPooling2D(4)(gn.Tensor(np.ones((2, 3, 3, 1)))),
        ShapeError,
        r"MaxPooling2D: pool_size \(4, 4\) is larger than the input's spatial size \(3, 3\); use padding='same'",
    ),
    (lambda: gn.MaxPooling2D(2, padding="full"), InputError, r"padding must be 'valid' or 'same'"),
    (
        lambda: gn.UpSampling2D(2, data_format="nchw"),
        InputError,
        r"data_format must be 'channels_last'",
    ),
    (
        lambda: gn.nn.BatchNorm2d(3)(gn.Tensor(np.ones((2, 5, 5, 3)))),
        ShapeError,
        r"BatchNorm2d: expected input of shape \(N, 3, H, W\), got \(2, 5, 5, 3\). The channels are on the last axis",
    ),
    (
        lambda: gn.nn.Dropout2d()(gn.Tensor(np.ones((2, 3)))),
        ShapeError,
        r"Dropout2d: expected input of shape",
    ),
    (
        lambda: gn.nn.Upsample(size=2, scale_factor=2),
        InputError,
        r"Upsample: give exactly one of size",
    ),
    (
        lambda: gn.nn.Upsample(scale_factor=2, mode="bilinear")(gn.Tensor(np.ones((2, 3, 4)))),
        ShapeError,
        r"Upsample: mode 'bilinear' expects a 4-D input",
    ),
    (
        lambda: gn.nn.AdaptiveAvgPool2d(0),
        InputError,
        r"AdaptiveAvgPool2d: output_size must be positive .*got 0; e.g. output_size=1",
    ),
    (
        lambda: gn.nn.AdaptiveAvgPool2d((3, -1)),
        InputError,
        r"AdaptiveAvgPool2d: output_size must be positive .*got \(3, -1\)",
    ),
    (
        lambda: gn.nn.AdaptiveAvgPool2d(1.5),
        InputError,
        r"AdaptiveAvgPool2d: output_size must be whole numbers \(or None\), got 1.5",
    ),
    (
        lambda: gn.Flatten()(gn.Tensor(np.ones(3))),
        ShapeError,
        r"Flatten: expects input with a batch axis",
    ),
]


@pytest.mark.parametrize("call, error, match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_input_names_the_layer_the_shapes_and_the_fix(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------------------ configs
LAYERS = (
    [row[1] for row in TORCH_TWINS]
    + [row[1] for row in KERAS_CASES]
    + [
        lambda: gn.nn.BatchNorm2d(3, eps=1e-3, momentum=0.3),
        lambda: gn.nn.Dropout2d(0.25),
        lambda: gn.nn.AvgPool2d(2, divisor_override=3),
        lambda: gn.AveragePooling2D(3, strides=1, padding="same", data_format="channels_first"),
        lambda: gn.UpSampling2D(3, interpolation="bilinear", data_format="channels_first"),
    ]
)


@pytest.mark.parametrize("make", LAYERS)
def test_config_rebuilds_a_layer_that_computes_the_same(make, rng) -> None:
    import json

    layer = make()
    entry = json.loads(json.dumps(layer_config(layer)))  # what a model file holds
    rebuilt = build_layer(entry)
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()
    x = gn.Tensor(rng.standard_normal((2, 3, 6, 6)))
    if isinstance(layer, (gn.nn.MaxPool1d, gn.nn.AvgPool1d)):
        x = gn.Tensor(rng.standard_normal((2, 3, 9)))
    layer.eval()
    rebuilt.eval()
    np.testing.assert_array_equal(rebuilt(x).data, layer(x).data)


def test_pooling_layers_are_traceable_and_fit_replays_them(rng) -> None:
    from glassnet.training.compiled_step import compilable

    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    runs = []
    for eager in (False, True):
        gn.seed(0)
        model = gn.Model(
            [
                gn.nn.AvgPool2d(2),
                gn.nn.MaxPool2d(2, 1),
                gn.nn.Upsample(scale_factor=2),
                gn.nn.AdaptiveAvgPool2d(3),
                gn.Flatten(),
                gn.Dense(2, activation="softmax"),
            ]
        )
        model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=eager)
        assert compilable(model, model.compiled_loss) is not eager
        runs.append(model.fit(x, y, epochs=2, batch_size=8, verbose=0).history["loss"])
    assert runs[0] == runs[1]  # the replayed step computes the same bits as the eager one


def test_fit_with_a_seed_repeats_dropout2d_masks_bit_for_bit(rng) -> None:
    x = rng.standard_normal((16, 3, 4, 4)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    losses = []
    for _ in range(2):
        model = gn.Model(
            [gn.Dropout2d(0.5), gn.MaxPool2d(2), gn.Flatten(), gn.Dense(2, activation="softmax")]
        )
        model.compile("sgd", "sparse_categorical_crossentropy")
        losses.append(model.fit(x, y, epochs=3, batch_size=4, seed=5, verbose=0).history["loss"])
    assert losses[0] == losses[1]
