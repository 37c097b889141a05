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
    "dense-softmax": lambda: gn.Model([gn.Input((4,)), gn.Dense(8, activation="relu"), gn.nn.Dropout(0.3),
                                      gn.Dense(3, activation="softmax")]),
    "normalized": lambda: gn.Model([gn.Linear(4, 6), gn.nn.BatchNorm1d(6), gn.Tanh(), gn.Linear(6, 5),
                                   gn.nn.LayerNorm(5), gn.LeakyReLU(negative_slope=0.2), gn.ELU(), gn.SELU(),
                                   gn.Softplus(), gn.Linear(5, 2), gn.LogSoftmax()]),
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
    np.testing.assert_allclose(_run(tmp_path / "model.onnx", x), model.predict(x), atol=1e-5, rtol=1e-5)


def test_unsupported_layers_are_named(tmp_path) -> None:
    model = gn.Model([gn.Linear(2, 3), gn.GELU(), gn.nn.Embedding(3, 2)])
    with pytest.raises(ValueError, match=r"no ONNX form for gelu_1 \(GELU\), embedding_1 \(Embedding\)"):
        gn_onnx.export(model, tmp_path / "model.onnx", input_shape=(2,))
    assert not (tmp_path / "model.onnx").exists()
