"""plot_filters and plot_feature_maps: what a CNN's first layer learned and what it computes (Agg backend)."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # before pyplot is imported: no window, no display needed

import matplotlib.pyplot as plt  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.plotting import plot_feature_maps, plot_filters  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _images(figure) -> list[np.ndarray]:
    return [np.asarray(ax.images[0].get_array()) for ax in figure.axes if ax.images]


def test_plot_filters_draws_each_kernel_and_writes_a_figure(tmp_path) -> None:
    gn.seed(0)
    conv = gn.nn.Conv2d(1, 6, 3)
    figure = plot_filters(conv)
    images = _images(figure)
    assert len(images) == 6
    np.testing.assert_allclose(images[4], conv.weight.data[4, 0])
    figure.savefig(tmp_path / "filters.png")
    assert (tmp_path / "filters.png").stat().st_size > 1000


def test_plot_filters_takes_keras_layers_rgb_kernels_and_refuses_other_layers() -> None:
    layer = gn.Conv2D(4, 3)
    layer(gn.Tensor(np.ones((1, 5, 5, 3), dtype=np.float32)))  # builds: 3 input channels
    assert [image.shape for image in _images(plot_filters(layer))] == [(3, 3, 3)] * 4
    assert _images(plot_filters(layer, in_channel=1))[0].shape == (3, 3)
    with pytest.raises(
        ValueError, match=r"plot_filters: expected a built convolution layer.*Dense"
    ):
        plot_filters(gn.Dense(3, in_features=2))


def test_plot_feature_maps_shows_one_inputs_channels_after_a_layer(tmp_path) -> None:
    gn.seed(0)
    model = gn.Model(
        [gn.nn.Conv2d(1, 4, 3, padding=1), gn.ReLU(), gn.MaxPool2d(2), gn.Flatten(), gn.Dense(2)]
    )
    x = np.random.default_rng(0).normal(size=(1, 8, 8)).astype(np.float32)
    model.predict(x[None])
    figure = plot_feature_maps(model, x, layer=2)
    maps = _images(figure)
    assert len(maps) == 4 and maps[0].shape == (4, 4)
    expected = gn.MaxPool2d(2)(gn.ReLU()(model.layers[0](gn.Tensor(x[None])))).data[0]
    np.testing.assert_allclose(np.stack(maps), expected, rtol=1e-6)
    assert (
        len(_images(plot_feature_maps(model, x[None], model.layers[0].name))) == 4
    )  # a batch of one, by name
    figure.savefig(tmp_path / "maps.png")
    assert (tmp_path / "maps.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="pick a convolution or pooling layer"):
        plot_feature_maps(model, x, layer=-1)
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        plot_feature_maps(model, x, layer="conv9")


def test_plot_feature_maps_reads_channels_last_models() -> None:
    gn.seed(0)
    model = gn.Model(
        [
            gn.Conv2D(3, 3, padding="same", activation="relu"),
            gn.MaxPooling2D(),
            gn.Flatten(),
            gn.Dense(2),
        ]
    )
    x = np.random.default_rng(1).normal(size=(6, 6, 1)).astype(np.float32)
    model.predict(x[None])
    maps = _images(plot_feature_maps(model, x, layer=1))
    assert len(maps) == 3 and maps[0].shape == (3, 3)
