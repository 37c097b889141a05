"""ONNX export of models with pooling, flattening, resizing and image normalization layers,
run in onnxruntime against glassnet's predictions (channels-first and Keras channels-last)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from glassnet import onnx as gn_onnx  # noqa: E402

MODELS = {
    "torch-names": (
        lambda: gn.Model(
            [
                gn.BatchNorm2d(2),
                gn.MaxPool2d(3, 2, 1, ceil_mode=True),
                gn.Dropout2d(0.3),
                gn.AvgPool2d(3, 1, 1),
                gn.AvgPool2d(2, 1, 1, count_include_pad=False),
                gn.Upsample(scale_factor=2),
                gn.MaxPool2d(2),
                gn.Upsample(scale_factor=1.5, mode="bilinear"),
                gn.AdaptiveAvgPool2d(1),
                gn.Flatten(),
                gn.Dense(3),
            ]
        ),
        (2, 9, 9),
    ),
    "bilinear-corners-4d-output": (
        lambda: gn.Model(
            [gn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), gn.MaxPool2d(2, 1)]
        ),
        (3, 5, 4),
    ),
    "1d": (
        lambda: gn.Model([gn.MaxPool1d(3, 2, 1), gn.AvgPool1d(2), gn.Flatten(), gn.Dense(2)]),
        (2, 12),
    ),
    "keras-channels-last": (
        lambda: gn.Model(
            [
                gn.MaxPooling2D(2),
                gn.AveragePooling2D(3, strides=2, padding="same"),
                gn.UpSampling2D(2),
                gn.MaxPooling2D(3, strides=1, padding="same"),
                gn.UpSampling2D((1, 2), interpolation="bilinear"),
                gn.GlobalAveragePooling2D(),
                gn.Dense(3),
            ]
        ),
        (10, 9, 2),
    ),
    "keras-flatten": (lambda: gn.Model([gn.MaxPooling2D(2), gn.Flatten(), gn.Dense(2)]), (6, 6, 3)),
    "keras-channels-first": (
        lambda: gn.Model(
            [
                gn.AveragePooling2D(2, padding="same", data_format="channels_first"),
                gn.GlobalAveragePooling2D(data_format="channels_first", keepdims=True),
                gn.Flatten(data_format="channels_first"),
            ]
        ),
        (3, 7, 7),
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_image_models_run_in_onnxruntime_with_the_same_outputs(name, tmp_path) -> None:
    gn.seed(0)
    make, sample_shape = MODELS[name]
    model = make()
    x = np.random.default_rng(1).normal(size=(4, *sample_shape)).astype(np.float32)
    model.train()
    model(gn.Tensor(x * 2 + 1))  # running statistics for BatchNorm2d
    model.eval()
    gn_onnx.export(model, tmp_path / "model.onnx", input_shape=sample_shape)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x})[0]
    np.testing.assert_allclose(got, model.predict(x), atol=1e-5, rtol=1e-5)


def test_image_layers_without_an_onnx_form_are_named(tmp_path) -> None:
    model = gn.Model(
        [gn.AdaptiveAvgPool2d((2, 3)), gn.AvgPool2d(2, divisor_override=3), gn.Flatten(2)]
    )
    with pytest.raises(
        ValueError,
        match=r"no ONNX form for adaptiveavgpool2d_1 \(AdaptiveAvgPool2d\), "
        r"avgpool2d_1 \(AvgPool2d\), flatten_1 \(Flatten\)",
    ):
        gn_onnx.export(model, tmp_path / "model.onnx", input_shape=(2, 6, 6))
