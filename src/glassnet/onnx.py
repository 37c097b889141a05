"""Export a Model to ONNX with the onnx package's helper API (the ``onnx`` extra).

Each supported layer becomes one or a few standard ONNX nodes: Linear/Dense -> Gemm (+ its
activation), the activation layers -> their ONNX operators, Dropout -> Identity (inference),
BatchNorm1d -> BatchNormalization with the running statistics, LayerNorm -> LayerNormalization.
A layer without an ONNX form is refused with its name. The exported graph is checked with
``onnx.checker``; its outputs equal ``model.predict`` (tests run it in onnxruntime).

>>> # glassnet.onnx.export(model, "model.onnx", input_shape=(2,))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .io.atomic import atomic_write
from .nn import (ELU, GELU, SELU, BatchNorm1d, Dense, Dropout, Input, LayerNorm, LeakyReLU, Linear, LogSoftmax,
                 ReLU, Sigmoid, Softmax, Softplus, Tanh)

__all__ = ["export", "OPSET"]

OPSET = 17


class _Graph:
    """Collects nodes and weights while layers are translated one after the other."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def constant(self, hint: str, array: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name=name))
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str, **attributes: Any) -> str:
        output = self.name(hint)
        self.nodes.append(self.helper.make_node(op, list(inputs), [output], name=output, **attributes))
        return output


_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "selu": "Selu", "elu": "Elu"}


def _activation(graph: _Graph, x: str, name: str, layer_name: str) -> str:
    if name == "linear":
        return x
    if name in _ACTIVATIONS:
        return graph.node(_ACTIVATIONS[name], [x], layer_name)
    if name == "softmax":
        return graph.node("Softmax", [x], layer_name, axis=-1)
    if name == "log_softmax":
        return graph.node("LogSoftmax", [x], layer_name, axis=-1)
    if name == "leaky_relu":
        return graph.node("LeakyRelu", [x], layer_name, alpha=0.01)
    raise NotImplementedError(name)


def _translate(graph: _Graph, layer: Any, x: str) -> str:
    name = layer.display_name
    if isinstance(layer, (Linear, Dense)):
        inputs = [x, graph.constant(f"{name}.weight", layer.weight.data)]
        if layer.bias is not None:
            inputs.append(graph.constant(f"{name}.bias", layer.bias.data))
        y = graph.node("Gemm", inputs, name, transB=1)
        return _activation(graph, y, layer.activation, name) if isinstance(layer, Dense) else y
    if isinstance(layer, (Input, Dropout)):
        return graph.node("Identity", [x], name)
    if isinstance(layer, ReLU):
        return graph.node("Relu", [x], name)
    if isinstance(layer, LeakyReLU):
        return graph.node("LeakyRelu", [x], name, alpha=float(layer.negative_slope))
    if isinstance(layer, ELU):
        return graph.node("Elu", [x], name, alpha=float(layer.alpha))
    if isinstance(layer, SELU):
        return graph.node("Selu", [x], name)
    if isinstance(layer, Sigmoid):
        return graph.node("Sigmoid", [x], name)
    if isinstance(layer, Tanh):
        return graph.node("Tanh", [x], name)
    if isinstance(layer, Softmax) and layer.axis in (-1, 1):
        return graph.node("Softmax", [x], name, axis=-1)
    if isinstance(layer, LogSoftmax) and layer.axis in (-1, 1):
        return graph.node("LogSoftmax", [x], name, axis=-1)
    if isinstance(layer, Softplus) and layer.beta == 1.0:
        # ONNX's Softplus has no threshold; above glassnet's (20) the two differ by < 3e-9.
        return graph.node("Softplus", [x], name)
    if isinstance(layer, BatchNorm1d) and layer.weight is not None:
        inputs = [x, graph.constant(f"{name}.weight", layer.weight.data), graph.constant(f"{name}.bias", layer.bias.data),
                  graph.constant(f"{name}.running_mean", layer.running_mean),
                  graph.constant(f"{name}.running_var", layer.running_var)]
        return graph.node("BatchNormalization", inputs, name, epsilon=float(layer.eps))
    if isinstance(layer, LayerNorm) and layer.weight is not None:
        inputs = [x, graph.constant(f"{name}.weight", layer.weight.data)]
        if layer.bias is not None:  # ONNX's bias input is optional, as LayerNorm(bias=False)'s
            inputs.append(graph.constant(f"{name}.bias", layer.bias.data))
        return graph.node("LayerNormalization", inputs, name, axis=-len(layer.normalized_shape),
                          epsilon=float(layer.eps))
    raise NotImplementedError(type(layer).__name__)


def export(model: Any, path: str | os.PathLike[str], input_shape: Sequence[int]) -> None:
    """Write ``model`` as an ONNX graph taking ``(batch, *input_shape)`` float32 inputs.

    Raises:
        ValueError: naming every layer that has no ONNX form here (GELU among them: exact GELU
            needs opset 20, which onnxruntime releases do not all run).
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('glassnet.onnx needs the onnx package: pip install "glassnet[onnx]"') from exc
    unsupported = [f"{layer.display_name} ({type(layer).__name__})" for layer in model.layers
                   if isinstance(layer, GELU) or not _supported(layer)]
    if unsupported:
        raise ValueError(f"onnx.export: no ONNX form for {', '.join(unsupported)}.")
    width = model._output_width(np.zeros((1, *input_shape), dtype=np.float32))  # also builds lazy layers
    graph = _Graph(helper, numpy_helper)
    x = "input"
    for layer in model.layers:
        x = _translate(graph, layer, x)
    graph.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *input_shape])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", width])]
    onnx_graph = helper.make_graph(graph.nodes, model.name or "glassnet_model", inputs, outputs, graph.initializers)
    onnx_model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="glassnet")
    onnx_model.ir_version = min(onnx_model.ir_version, 8)  # readable by older onnxruntime releases too
    onnx.checker.check_model(onnx_model)
    data = onnx_model.SerializeToString()
    atomic_write(path, lambda file: file.write(data))


def _supported(layer: Any) -> bool:
    try:
        _translate(_Graph(_NullHelper(), _NullHelper()), layer, "x")
    except NotImplementedError:
        return False
    return True


class _NullHelper:
    """Stands in for onnx's helpers when only checking whether a layer can be translated."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None
