"""Model files (.gnet) with pooling, flattening, resizing and image normalization layers."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

MODELS = {
    "torch-names": (
        lambda: gn.Model(
            [
                gn.BatchNorm2d(1),
                gn.MaxPool2d(2),
                gn.Dropout2d(0.2),
                gn.AvgPool2d(3, 1, 1),
                gn.Upsample(scale_factor=2, mode="bilinear"),
                gn.AdaptiveAvgPool2d(2),
                gn.Flatten(),
                gn.Dense(3, activation="softmax"),
            ]
        ),
        (1, 8, 8),
    ),
    "keras-names": (
        lambda: gn.Model(
            [
                gn.MaxPooling2D(2, padding="same"),
                gn.UpSampling2D(2),
                gn.AveragePooling2D(2),
                gn.Flatten(),
                gn.Dense(8, activation="relu"),
                gn.Dense(3, activation="softmax"),
            ]
        ),
        (7, 7, 2),
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_trained_image_model_saves_and_loads_with_the_same_predictions(name, tmp_path) -> None:
    gn.seed(0)
    make, sample_shape = MODELS[name]
    model = make()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, *sample_shape)).astype(np.float32)
    y = rng.integers(0, 3, 24)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "model.gnet")
    loaded = gn.load_model(tmp_path / "model.gnet")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
