"""Export a Model to ONNX with the onnx package's helper API (the ``onnx`` extra).

Each supported layer becomes one or a few standard ONNX nodes: Linear/Dense -> Gemm (+ its
activation), the activation layers -> their ONNX operators, Dropout -> Identity (inference),
BatchNorm1d -> BatchNormalization with the running statistics, LayerNorm -> LayerNormalization,
Conv1d/Conv2d -> Conv, ConvTranspose2d -> ConvTranspose (Keras's channels-last Conv1D/Conv2D/
Conv2DTranspose between two Transpose nodes).
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
from .nn.conv import _Conv, _KerasConv

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


def _activation(graph: _Graph, x: str, name: str, layer_name: str, axis: int = -1) -> str:
    if name == "linear":
        return x
    if name in _ACTIVATIONS:
        return graph.node(_ACTIVATIONS[name], [x], layer_name)
    if name == "softmax":
        return graph.node("Softmax", [x], layer_name, axis=axis)
    if name == "log_softmax":
        return graph.node("LogSoftmax", [x], layer_name, axis=axis)
    if name == "leaky_relu":
        return graph.node("LeakyRelu", [x], layer_name, alpha=0.01)
    raise NotImplementedError(name)


def _conv(graph: _Graph, layer: Any, x: str, sample_shape: Sequence[int]) -> str:
    """Conv / ConvTranspose with explicit pads; Keras's channels-last layers transposed around it."""
    name = layer.display_name
    keras = isinstance(layer, _KerasConv)
    channels_last = keras and not layer.channels_first
    n = layer.n_spatial
    spatial = tuple(sample_shape[:-1] if channels_last else sample_shape[1:])
    if channels_last:
        x = graph.node("Transpose", [x], name, perm=[0, n + 1, *range(1, n + 1)])
    inputs = [x, graph.constant(f"{name}.weight", layer.weight.data)]
    if layer.bias is not None:
        inputs.append(graph.constant(f"{name}.bias", layer.bias.data))
    pads = layer._pads(spatial)
    attributes = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.stride),
                  "dilations": list(layer.dilation), "group": layer.groups,
                  "pads": [before for before, _ in pads] + [after for _, after in pads]}
    if layer.transposed:
        extra = layer._transpose_geometry(spatial)[1] if keras else layer.output_padding
        y = graph.node("ConvTranspose", inputs, name, output_padding=list(extra), **attributes)
    else:
        y = graph.node("Conv", inputs, name, **attributes)
    if channels_last:
        y = graph.node("Transpose", [y], name, perm=[0, *range(2, n + 2), 1])
    return _activation(graph, y, layer.activation, name, axis=1 if not channels_last else -1) if keras else y


def _translate(graph: _Graph, layer: Any, x: str, sample_shape: Sequence[int] | None = None) -> str:
    """The ONNX nodes of ``layer`` applied to ``x``, whose samples have ``sample_shape``."""
    name = layer.display_name
    if sample_shape is None and (isinstance(layer, _Conv) or (isinstance(layer, Dense) and layer.weight is None)):
        return x  # only asked whether the layer has an ONNX form (it may not be built yet)
    if isinstance(layer, _Conv):
        return _conv(graph, layer, x, sample_shape)
    if isinstance(layer, (Linear, Dense)) and sample_shape is not None and len(sample_shape) > 1:
        # Gemm takes matrices only: on (batch, ..., features) the same map is MatMul then Add.
        y = graph.node("MatMul", [x, graph.constant(f"{name}.weight", layer.weight.data.T)], name)
        if layer.bias is not None:
            y = graph.node("Add", [y, graph.constant(f"{name}.bias", layer.bias.data)], name)
        return _activation(graph, y, layer.activation, name) if isinstance(layer, Dense) else y
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
        inputs = [x, graph.constant(f"{name}.weight", layer.weight.data), graph.constant(f"{name}.bias", layer.bias.data)]
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
    graph = _Graph(helper, numpy_helper)
    x = "input"
    sample = np.zeros((1, *input_shape), dtype=model.dtype)
    for layer in model.layers:
        out = model._dry_run(sample, [layer]).data  # builds a lazy layer before it is translated
        x = _translate(graph, layer, x, sample.shape[1:])
        sample = out
    graph.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *input_shape])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", *sample.shape[1:]])]
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
