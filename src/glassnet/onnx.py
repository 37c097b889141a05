"""Export a Model to ONNX with the onnx package's helper API (the ``onnx`` extra).

Each supported layer becomes one or a few standard ONNX nodes: Linear/Dense -> Gemm (+ its
activation), the activation layers -> their ONNX operators, Dropout -> Identity (inference),
BatchNorm1d/2d -> BatchNormalization with the running statistics, LayerNorm -> LayerNormalization;
the image layers: Conv1d/Conv2d -> Conv, ConvTranspose2d -> ConvTranspose, max/avg pooling ->
MaxPool/AveragePool, global average pooling -> GlobalAveragePool, Flatten -> Flatten,
Upsample/UpSampling2D -> Resize, with Transpose nodes around Keras's channels-last layers; the
sequence layers (``glassnet.onnx_sequences``): Embedding -> Gather (the graph then takes int64
ids), Keras SimpleRNN/LSTM/GRU and Bidirectional -> RNN/LSTM/GRU (time-major, gates reordered),
or a Scan when a Keras mask reaches them, TimeDistributed -> MatMul or Reshapes around the layer,
Masking -> Equal/ReduceMax/Mul, MultiHeadAttention and TransformerEncoder(Layer) ->
MatMul/Reshape/Transpose/Softmax/LayerNormalization, PositionalEncoding -> Add. A layer
without an ONNX form is refused with its name (and the reason when there is one). The exported
graph is checked with ``onnx.checker``; its outputs equal ``model.predict`` (tests run it in
onnxruntime).

>>> # glassnet.onnx.export(model, "model.onnx", input_shape=(2,))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .io.atomic import atomic_write
from .nn import (
    ELU,
    GELU,
    SELU,
    AdaptiveAvgPool2d,
    AveragePooling2D,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling2D,
    Input,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    MaxPooling2D,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
    Upsample,
    UpSampling2D,
)
from .nn.activations import ACTIVATIONS
from .nn.conv import _Conv, _KerasConv
from .onnx_sequences import (
    MaskFlow,
    SequenceExportError,
    translate_sequence_layer,
)
from .onnx_sequences import (
    input_dtype as _choose_input_dtype,
)

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
        # The Keras mask (N, T) bool tensor the layer being translated receives, or None.
        self.mask: str | None = None

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def constant(self, hint: str, array: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(
            self.numpy_helper.from_array(np.ascontiguousarray(array), name=name)
        )
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str, **attributes: Any) -> str:
        output = self.name(hint)
        self.nodes.append(
            self.helper.make_node(op, list(inputs), [output], name=output, **attributes)
        )
        return output


def _activation(graph: _Graph, x: str, name: str, layer_name: str, axis: int = -1) -> str:
    """The ONNX node of a layer's ``activation="..."``, from the activation registry."""
    spec = ACTIVATIONS[name]
    if spec.function is None:  # "linear"
        return x
    if spec.onnx is None:
        raise NotImplementedError(name)
    attributes = dict(spec.onnx_attributes)
    if spec.along_axis:
        attributes["axis"] = axis
    return graph.node(spec.onnx, [x], layer_name, **attributes)


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
    attributes = {
        "kernel_shape": list(layer.kernel_size),
        "strides": list(layer.stride),
        "dilations": list(layer.dilation),
        "group": layer.groups,
        "pads": [before for before, _ in pads] + [after for _, after in pads],
    }
    if layer.transposed:
        extra = layer._transpose_geometry(spatial)[1] if keras else layer.output_padding
        y = graph.node("ConvTranspose", inputs, name, output_padding=list(extra), **attributes)
    else:
        y = graph.node("Conv", inputs, name, **attributes)
    if channels_last:
        y = graph.node("Transpose", [y], name, perm=[0, *range(2, n + 2), 1])
    return (
        _activation(graph, y, layer.activation, name, axis=1 if not channels_last else -1)
        if keras
        else y
    )


def _translate(graph: _Graph, layer: Any, x: str, sample_shape: Sequence[int] | None = None) -> str:
    """The ONNX nodes of ``layer`` applied to ``x``, whose samples have ``sample_shape``."""
    name = layer.display_name
    sequence = translate_sequence_layer(graph, layer, x, sample_shape, _translate)
    if sequence is not None:  # embeddings, recurrent, attention layers: glassnet.onnx_sequences
        return sequence
    if sample_shape is None and (
        isinstance(layer, _Conv) or (isinstance(layer, Dense) and layer.weight is None)
    ):
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
        inputs = [
            x,
            graph.constant(f"{name}.weight", layer.weight.data),
            graph.constant(f"{name}.bias", layer.bias.data),
            graph.constant(f"{name}.running_mean", layer.running_mean),
            graph.constant(f"{name}.running_var", layer.running_var),
        ]
        return graph.node("BatchNormalization", inputs, name, epsilon=float(layer.eps))
    if isinstance(layer, LayerNorm) and layer.weight is not None:
        inputs = [x, graph.constant(f"{name}.weight", layer.weight.data)]
        if layer.bias is not None:  # ONNX's bias input is optional, as LayerNorm(bias=False)'s
            inputs.append(graph.constant(f"{name}.bias", layer.bias.data))
        return graph.node(
            "LayerNormalization",
            inputs,
            name,
            axis=-len(layer.normalized_shape),
            epsilon=float(layer.eps),
        )
    return _translate_image_layer(graph, layer, x)


def _ints(value: Any, dims: int) -> list[int]:
    return [int(value)] * dims if isinstance(value, (int, np.integer)) else [int(v) for v in value]


def _translate_image_layer(graph: _Graph, layer: Any, x: str) -> str:
    """Pooling, flattening and resizing layers (channels-first ONNX operators)."""
    name = layer.display_name
    if isinstance(layer, (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d)):
        dims = layer.dims
        pads = _ints(layer.padding, dims)
        attributes = {
            "kernel_shape": _ints(layer.kernel_size, dims),
            "strides": _ints(layer.stride, dims),
            "pads": pads + pads,
            "ceil_mode": int(layer.ceil_mode),
        }
        if isinstance(layer, MaxPool2d):
            return graph.node("MaxPool", [x], name, **attributes)
        if layer.divisor_override is None:
            return graph.node(
                "AveragePool",
                [x],
                name,
                count_include_pad=int(layer.count_include_pad),
                **attributes,
            )
    if isinstance(layer, AdaptiveAvgPool2d) and _ints(layer.output_size, 2) == [1, 1]:
        return graph.node("GlobalAveragePool", [x], name)
    if isinstance(layer, Flatten) and layer.start_dim == 1 and layer.end_dim == -1:
        if layer.data_format == "channels_first":  # Keras's: the channels go last before flattening
            x = graph.node("Transpose", [x], name, perm=[0, 2, 3, 1])
        return graph.node("Flatten", [x], name, axis=1)
    if isinstance(layer, Upsample) and layer.scale_factor is not None:
        return _resize(graph, x, name, layer.mode, layer.scale_factor, bool(layer.align_corners))
    channels_last = getattr(layer, "data_format", None) == "channels_last"
    if (
        isinstance(layer, (MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, UpSampling2D))
        and channels_last
    ):
        x = graph.node("Transpose", [x], name, perm=[0, 3, 1, 2])
    if isinstance(layer, (MaxPooling2D, AveragePooling2D)):
        auto_pad = (
            "SAME_UPPER" if layer.padding == "same" else "VALID"
        )  # Keras's extra pixel goes last
        op = "MaxPool" if isinstance(layer, MaxPooling2D) else "AveragePool"
        y = graph.node(
            op,
            [x],
            name,
            kernel_shape=list(layer.pool_size),
            strides=list(layer.strides),
            auto_pad=auto_pad,
        )
    elif isinstance(layer, GlobalAveragePooling2D):
        y = graph.node("GlobalAveragePool", [x], name)
        if not layer.keepdims:
            return graph.node("Flatten", [y], name, axis=1)
    elif isinstance(layer, UpSampling2D):
        y = _resize(
            graph,
            x,
            name,
            "nearest" if layer.interpolation == "nearest" else "bilinear",
            layer.size,
            False,
        )
    else:
        raise NotImplementedError(type(layer).__name__)
    return graph.node("Transpose", [y], name, perm=[0, 2, 3, 1]) if channels_last else y


def _resize(
    graph: _Graph, x: str, name: str, mode: str, scale_factor: Any, align_corners: bool
) -> str:
    """ONNX Resize with torch's index rules: nearest = floor(o / scale); linear = half-pixel or corners."""
    dims = 1 if mode == "linear" else 2
    scales = [1.0, 1.0] + (
        [float(scale_factor)] * dims
        if isinstance(scale_factor, (int, float))
        else [float(s) for s in scale_factor]
    )
    inputs = [x, "", graph.constant(f"{name}.scales", np.array(scales, dtype=np.float32))]
    if mode == "nearest":
        return graph.node(
            "Resize",
            inputs,
            name,
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        )
    transform = "align_corners" if align_corners else "pytorch_half_pixel"
    return graph.node(
        "Resize", inputs, name, mode="linear", coordinate_transformation_mode=transform
    )


def export(
    model: Any,
    path: str | os.PathLike[str],
    input_shape: Sequence[int],
    input_dtype: Any = None,
) -> None:
    """Write ``model`` as an ONNX graph taking ``(batch, *input_shape)`` inputs named "input".

    Args:
        input_dtype: the input's element type: None takes int64 token ids when the first layer is
            an Embedding and float32 otherwise; "float32", "int32" or "int64" to choose (a Cast
            node converts to what the first layer needs).

    Raises:
        ValueError: naming every layer that has no ONNX form here (GELU among them: exact GELU
            needs opset 20, which onnxruntime releases do not all run), with the reason when
            there is one (``return_state=True``, ``Bidirectional(merge_mode=None)``, ...).
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'glassnet.onnx needs the onnx package: pip install "glassnet[onnx]"'
        ) from exc
    dtype_name, element_type = _choose_input_dtype(model.layers, input_dtype)
    unsupported = [
        f"{layer.display_name} ({type(layer).__name__})" + ("" if reason is True else f": {reason}")
        for layer in model.layers
        for reason in [isinstance(layer, GELU) or _unsupported_reason(layer)]
        if reason
    ]
    if unsupported:
        raise ValueError(f"onnx.export: no ONNX form for {', '.join(unsupported)}.")
    graph = _Graph(helper, numpy_helper)
    x = "input"
    if dtype_name != "float32" and not _starts_with_embedding(model.layers):
        x = graph.node("Cast", [x], "input", to=TensorProto.FLOAT)
    sample = np.zeros((1, *input_shape), dtype=model.dtype)
    masks = MaskFlow(graph)
    for layer in model.layers:
        # One sample through each layer: builds a lazily sized layer before it is translated, and
        # gives the next layer's input shape (and at the end the output's).
        out = model._dry_run(sample, [layer]).data
        graph.mask = masks.received(layer)
        y = _translate(graph, layer, x, sample.shape[1:])
        masks.advance(layer, x, sample)  # the Keras mask the next layer receives, as in Model
        x, sample = y, out
    graph.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    inputs = [helper.make_tensor_value_info("input", element_type, ["batch", *input_shape])]
    outputs = [
        helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", *sample.shape[1:]])
    ]
    onnx_graph = helper.make_graph(
        graph.nodes, model.name or "glassnet_model", inputs, outputs, graph.initializers
    )
    onnx_model = helper.make_model(
        onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="glassnet"
    )
    onnx_model.ir_version = min(
        onnx_model.ir_version, 8
    )  # readable by older onnxruntime releases too
    onnx.checker.check_model(onnx_model)
    data = onnx_model.SerializeToString()
    atomic_write(path, lambda file: file.write(data))


def _supported(layer: Any) -> bool:
    return not _unsupported_reason(layer)


def _unsupported_reason(layer: Any) -> str | bool:
    """False when ``layer`` has an ONNX form; else the reason, or True when there is none to say."""
    try:
        _translate(_Graph(_NullHelper(), _NullHelper()), layer, "x")
    except SequenceExportError as exc:
        return str(exc)
    except NotImplementedError:
        return True
    return False


def _starts_with_embedding(layers: Sequence[Any]) -> bool:
    first = next((layer for layer in layers if not isinstance(layer, Input)), None)
    return isinstance(first, Embedding)


class _NullHelper:
    """Stands in for onnx's helpers when only checking whether a layer can be translated."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None
