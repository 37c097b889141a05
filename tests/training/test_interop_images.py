"""Model.from_torch / to_torch with pooling, flattening, resizing and image normalization layers."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _image_net(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.BatchNorm2d(2),
        tnn.MaxPool2d(3, 1, 1, ceil_mode=True),
        tnn.Dropout2d(0.2),
        tnn.AvgPool2d(2, count_include_pad=False),
        tnn.Upsample(scale_factor=2, mode="bilinear"),
        tnn.AdaptiveAvgPool2d((3, 2)),
        tnn.Flatten(),
        tnn.Linear(12, 4),
    )


def test_from_torch_carries_image_layers_with_the_same_outputs(torch) -> None:
    torch.manual_seed(0)
    net = _image_net(torch)
    with torch.no_grad():
        net[0].weight.uniform_(0.5, 1.5)
        net[0].bias.uniform_(-0.5, 0.5)
    net.train()
    net(torch.randn(16, 2, 8, 8) * 3 + 1)  # running statistics
    net.eval()
    model = gn.Model.from_torch(net)
    assert [type(layer).__name__ for layer in model.layers] == [type(m).__name__ for m in net]
    x = np.random.default_rng(0).normal(size=(5, 2, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5, rtol=1e-5)


def test_to_torch_and_back_keeps_outputs(torch) -> None:
    gn.seed(0)
    model = gn.Model(
        [
            gn.BatchNorm2d(2),
            gn.MaxPool2d(2),
            gn.AvgPool2d(3, 1, 1),
            gn.Upsample(size=(6, 5)),
            gn.AdaptiveAvgPool2d(2),
            gn.Flatten(),
            gn.Dense(3),
        ]
    )
    x = np.random.default_rng(1).normal(size=(16, 2, 8, 8)).astype(np.float32)
    model.train()
    model(gn.Tensor(x))  # running statistics
    model.eval()
    net = model.to_torch().eval()
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model.predict(x), atol=1e-5)
    back = gn.Model.from_torch(net)
    np.testing.assert_allclose(back.predict(x), model.predict(x), atol=1e-6)


def test_keras_image_layers_go_to_torch_when_channels_first(torch) -> None:
    model = gn.Model(
        [
            gn.MaxPooling2D(2, data_format="channels_first"),
            gn.AveragePooling2D((1, 2), data_format="channels_first"),
            gn.UpSampling2D(2, data_format="channels_first"),
            gn.GlobalAveragePooling2D(data_format="channels_first"),
            gn.Dense(2),
        ]
    )
    x = np.random.default_rng(2).normal(size=(3, 4, 8, 8)).astype(np.float32)
    model.predict(x)  # builds the Dense layer
    net = model.to_torch().eval()
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model.predict(x), atol=1e-5)


def test_channels_last_keras_layers_are_refused_with_the_fix(torch) -> None:
    with pytest.raises(
        ValueError,
        match=r"maxpooling2d_1 \(MaxPooling2D\) works on channels-last data.*"
        r"data_format='channels_first'",
    ):
        gn.Model([gn.MaxPooling2D(2), gn.Flatten()]).to_torch()
    with pytest.raises(ValueError, match=r"padding='same'"):
        gn.Model([gn.MaxPooling2D(3, padding="same", data_format="channels_first")]).to_torch()


def test_from_torch_refuses_batch_norm_without_running_statistics(torch) -> None:
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(track_running_stats=False\) has no glassnet twin"
    ):
        gn.Model.from_torch(torch.nn.Sequential(torch.nn.BatchNorm2d(2, track_running_stats=False)))
    with pytest.raises(gn.errors.InputError, match="momentum=None"):
        gn.Model.from_torch(torch.nn.Sequential(torch.nn.BatchNorm2d(2, momentum=None)))
