"""ONNX export: checked by onnx.checker and run in onnxruntime with glassnet's predictions."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from glassnet import onnx as gn_onnx  # noqa: E402


def _run(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.astype(np.float32)})[0]


MODELS = {
    "founding": lambda: __import__("glassnet.demo", fromlist=["x"]).build_founding_model(),
    "dense-softmax": lambda: gn.Model(
        [
            gn.Input((4,)),
            gn.Dense(8, activation="relu"),
            gn.nn.Dropout(0.3),
            gn.Dense(3, activation="softmax"),
        ]
    ),
    "normalized": lambda: gn.Model(
        [
            gn.Linear(4, 6),
            gn.nn.BatchNorm1d(6),
            gn.Tanh(),
            gn.Linear(6, 5),
            gn.nn.LayerNorm(5),
            gn.LeakyReLU(negative_slope=0.2),
            gn.ELU(),
            gn.SELU(),
            gn.Softplus(),
            gn.Linear(5, 2),
            gn.LogSoftmax(),
        ]
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_exported_models_run_in_onnxruntime_with_the_same_outputs(name, tmp_path) -> None:
    gn.seed(0)
    model = MODELS[name]()
    features = model.in_features or 4
    x = np.random.default_rng(1).normal(size=(16, features)).astype(np.float32)
    if name == "normalized":  # give the batch norm some running statistics first
        model.train()
        model(gn.Tensor(x))
        model.eval()
    gn_onnx.export(model, tmp_path / "model.onnx", input_shape=(features,))
    np.testing.assert_allclose(
        _run(tmp_path / "model.onnx", x), model.predict(x), atol=1e-5, rtol=1e-5
    )


def test_unsupported_layers_are_named(tmp_path) -> None:
    # PyTorch's nn.LSTM returns a tuple: no layer of a Model can take it, so no ONNX form.
    model = gn.Model([gn.Linear(2, 3), gn.GELU(), gn.nn.LSTM(3, 2)])
    with pytest.raises(ValueError, match=r"no ONNX form for gelu_1 \(GELU\), lstm_1 \(LSTM\)"):
        gn_onnx.export(model, tmp_path / "model.onnx", input_shape=(2,))
    assert not (tmp_path / "model.onnx").exists()


class _Flatten(gn.nn.Module):
    def forward(self, x):
        return gn.functional.reshape(x, (x.shape[0], -1))


CONV_MODELS = {
    "torch-conv2d": (
        (1, 9, 9),
        lambda: gn.Model(
            [
                gn.nn.Conv2d(1, 4, 3, padding=1),
                gn.ReLU(),
                gn.nn.Conv2d(4, 6, 3, stride=2, dilation=2, groups=2),
                gn.Tanh(),
                gn.nn.ConvTranspose2d(6, 3, 3, stride=2, padding=1, output_padding=1, groups=3),
                gn.nn.Conv2d(3, 2, (1, 2), bias=False),
            ]
        ),
    ),
    "keras-channels-last": (
        (9, 8, 2),
        lambda: gn.Model(
            [
                gn.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                gn.Conv2D(4, 2, padding="same", groups=2),
                gn.Conv2DTranspose(3, 3, strides=2, padding="same", activation="softmax"),
                gn.Conv2DTranspose(2, 2, strides=3, padding="valid"),
            ]
        ),
    ),
    "keras-channels-first": (
        (2, 7, 7),
        lambda: gn.Model(
            [
                gn.Conv2D(
                    3, 3, padding="same", data_format="channels_first", activation="log_softmax"
                ),
                gn.Conv2DTranspose(2, 4, strides=2, padding="same", data_format="channels_first"),
            ]
        ),
    ),
    "conv1d-dense": (
        (10, 3),
        lambda: gn.Model(
            [
                gn.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
                gn.Conv1D(2, 2, dilation_rate=2),
                gn.Dense(3),
            ]
        ),
    ),
    "torch-conv1d": (
        (3, 12),
        lambda: gn.Model(
            [
                gn.nn.Conv1d(3, 4, 5, stride=2, padding=2),
                gn.ReLU(),
                gn.nn.Conv1d(4, 4, 3, groups=4, padding="same"),
            ]
        ),
    ),
}


@pytest.mark.parametrize("name", list(CONV_MODELS))
def test_conv_models_run_in_onnxruntime_with_n_d_outputs(name, tmp_path) -> None:
    gn.seed(0)
    sample_shape, build = CONV_MODELS[name]
    model = build()
    x = np.random.default_rng(1).normal(size=(3, *sample_shape)).astype(np.float32)
    gn_onnx.export(model, tmp_path / "model.onnx", input_shape=sample_shape)
    expected = model.predict(x)
    assert expected.ndim > 2
    np.testing.assert_allclose(_run(tmp_path / "model.onnx", x), expected, atol=1e-5, rtol=1e-5)
