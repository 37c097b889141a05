"""ONNX forms of the sequence layers, for ``glassnet.onnx.export`` (opset 17).

- ``Embedding`` -> ``Cast`` (to int64) + ``Gather`` on the table. A model that starts with an
  Embedding takes int64 token ids (``export(..., input_dtype=...)`` chooses otherwise).
- Keras ``SimpleRNN``/``LSTM``/``GRU`` -> one ONNX ``RNN``/``LSTM``/``GRU`` node, time-major
  (``layout=0``, so a Transpose before it and after it): onnxruntime runs only that layout.
  The weights are reordered to ONNX's gates (LSTM i, o, f, c from glassnet's i, f, g, o; GRU z, r, h
  from r, z, n, with ``linear_before_reset=1``, which is glassnet's and PyTorch's GRU), and the bias
  is ONNX's ``[Wb, Rb]`` (glassnet's one bias is Wb, Rb = 0; the GRU's two are ``bias_ih, bias_hh``).
  ``go_backwards`` is ``direction="reverse"`` (the returned sequence then reversed in time by a
  Slice, as Keras returns it); ``Bidirectional`` is one ``direction="bidirectional"`` node, its
  two directions merged by Reshape (concat), ReduceSum (sum), ReduceProd (mul) or ReduceSum/2 (ave).
- ``TimeDistributed(layer)``: a Dense or Linear is MatMul + Add over the last axis; another layer
  runs on ``(N * T, ...)`` between two Reshapes.
- ``Masking`` -> ``x * any(x != mask_value, -1)`` (Equal, Not, Cast, ReduceMax, Mul).
- ``MultiHeadAttention`` (Keras, self-attention as a Model calls it), ``TransformerEncoderLayer``
  and ``TransformerEncoder`` (attention through their ``nn.MultiheadAttention``) -> MatMul/Add for
  the projections, Reshape/Transpose into heads, MatMul, Mul (the scale), Softmax, MatMul, and
  LayerNormalization; a ``"gelu"`` feed-forward is ``0.5 x (1 + Erf(x / sqrt 2))``.
- ``PositionalEncoding`` -> Add of its table's first T rows.

Masks: ``MaskFlow`` follows Model's Keras mask (``Embedding(mask_zero=True)``, ``Masking``) as an
``(N, T)`` bool tensor. A recurrent layer that receives one becomes a ``Scan`` per direction with
the cell written out (MatMul, Split, Sigmoid, Tanh, ...) and ``h_t = Where(m_t, cell, h_{t-1})``;
a masked step repeats the previous output (Keras's rule; 0 with ``zero_output_for_mask``, as in
``Bidirectional``), as glassnet computes it: ONNX's own ``sequence_lens`` skips only the last steps
of a sample, while a mask may skip any step (a 0 token in the middle).

Refused, with the reason: ``return_state=True`` and ``Bidirectional(merge_mode=None)`` (they
return lists); a Transformer activation that is a user's function. PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` return tuples and ``nn.MultiheadAttention``
takes three inputs, so none of them can be a layer of a Model (``Model.from_torch`` turns torch
recurrent layers into the Keras ones, which export).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .nn import Dense, Embedding, Linear, MultiHeadAttention, PositionalEncoding
from .nn.keras_recurrent import (
    GRU,
    LSTM,
    Bidirectional,
    Masking,
    SimpleRNN,
    TimeDistributed,
    _KerasRecurrent,
)
from .nn.transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["MaskFlow", "input_dtype", "translate_sequence_layer"]

Translate = Callable[[Any, Any, str, Sequence[int] | None], str]

# ONNX's element type numbers (onnx.TensorProto): FLOAT and INT64, for Cast's "to".
_FLOAT, _INT32, _INT64, _BOOL = 1, 6, 7, 9
_INPUT_TYPES = {"float32": _FLOAT, "int32": _INT32, "int64": _INT64}

# glassnet's gate blocks in ONNX's order: LSTM i, f, g, o -> i, o, f, c; GRU r, z, n -> z, r, h.
_GATE_ORDER = {SimpleRNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2]}
_ONNX_OP = {SimpleRNN: "RNN", LSTM: "LSTM", GRU: "GRU"}


class SequenceExportError(NotImplementedError):
    """A sequence layer with no faithful ONNX form; the message says why."""


def input_dtype(layers: Sequence[Any], requested: Any = None) -> tuple[str, int]:
    """The graph input's type as (NumPy name, ONNX element type).

    None picks int64 when the first layer (after any ``Input``) is an ``Embedding``, which takes
    token ids, else float32; ``requested`` may be float32, int32 or int64 (a name or a dtype).
    """
    from .nn import Input

    if requested is None:
        first = next((layer for layer in layers if not isinstance(layer, Input)), None)
        name = "int64" if isinstance(first, Embedding) else "float32"
    else:
        name = np.dtype(requested).name
    if name not in _INPUT_TYPES:
        raise ValueError(
            f"onnx.export: input_dtype must be float32, int32 or int64 (or None to choose from the "
            f"first layer), got {requested!r}."
        )
    return name, _INPUT_TYPES[name]


class MaskFlow:
    """Follows ``Model.forward``'s Keras mask through the export (``glassnet.training.model``).

    ``received(layer)`` is the name of the ``(N, T)`` boolean mask tensor that ``layer`` receives
    (None without one); ``advance`` gives the mask after it: Embedding(mask_zero=True) and Masking
    start one from their input, a recurrent layer reading backwards and returning sequences
    reverses it, other layers with ``compute_mask`` pass it on, and any other layer ends it.
    The mask's nodes are written only when a layer receives it (a mask that ends unused costs none).
    """

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.array: np.ndarray | None = None  # the mask of a sample, only its presence is used
        self.make: Callable[[], str] | None = None  # writes the mask's nodes, gives its name

    def received(self, layer: Any) -> str | None:
        """The mask ``layer`` receives, written out only for the layers whose output it changes."""
        uses_mask = isinstance(layer, (_KerasRecurrent, Bidirectional))
        if self.make is None or not (uses_mask and getattr(layer, "supports_masking", False)):
            return None
        name = self.make()
        self.make = lambda: name  # written once, then shared
        return name

    def advance(self, layer: Any, x: str, sample: np.ndarray) -> None:
        """After ``layer`` on the graph tensor ``x`` (its input), whose samples look like ``sample``."""
        compute_mask = getattr(layer, "compute_mask", None)
        self.array = None if compute_mask is None else compute_mask(sample, self.array)
        graph, hint, before = self.graph, f"{layer.display_name}.mask", self.make
        if self.array is None:
            self.make = None
        elif isinstance(layer, Embedding):

            def make() -> str:
                ids = graph.node("Cast", [x], hint, to=_INT64)
                zero = graph.constant(hint, np.array(0, dtype=np.int64))
                return graph.node("Not", [graph.node("Equal", [ids, zero], hint)], hint)

            self.make = make
        elif isinstance(layer, Masking):
            self.make = lambda: graph.node(
                "Cast", [_masking_keep(graph, layer, x, keepdims=0)], hint, to=_BOOL
            )
        elif isinstance(layer, _KerasRecurrent) and layer.go_backwards and before is not None:
            self.make = lambda: _reverse(graph, hint, before(), axis=1)


def translate_sequence_layer(
    graph: Any, layer: Any, x: str, sample_shape: Sequence[int] | None, translate: Translate
) -> str | None:
    """The ONNX nodes of a sequence layer applied to ``x``, or None when ``layer`` is not one.

    With ``sample_shape`` None only checks that the layer has an ONNX form (it may be unbuilt):
    raises NotImplementedError if not, and emits nothing.
    """
    kinds = (
        Embedding,
        _KerasRecurrent,
        Bidirectional,
        TimeDistributed,
        Masking,
        MultiHeadAttention,
        TransformerEncoderLayer,
        TransformerEncoder,
        PositionalEncoding,
    )
    if not isinstance(layer, kinds):
        return None
    _refuse(layer)
    if sample_shape is None:
        if isinstance(layer, TimeDistributed):  # the wrapped layer needs an ONNX form of its own
            translate(graph, layer.layer, x, None)
        return x
    name = layer.display_name
    if isinstance(layer, Embedding):
        ids = graph.node("Cast", [x], name, to=_INT64)
        return graph.node(
            "Gather", [graph.constant(f"{name}.weight", layer.weight.data), ids], name
        )
    if isinstance(layer, (_KerasRecurrent, Bidirectional)):
        return _recurrent(graph, layer, x)
    if isinstance(layer, TimeDistributed):
        return _time_distributed(graph, layer, x, sample_shape, translate)
    if isinstance(layer, Masking):
        return graph.node("Mul", [x, _masking_keep(graph, layer, x, keepdims=1)], name)
    if isinstance(layer, MultiHeadAttention):
        return _keras_attention(graph, layer, x)
    if isinstance(layer, PositionalEncoding):
        return _positional_encoding(graph, layer, x, sample_shape)
    return _encoder(graph, layer, x, sample_shape, translate)


def _masking_keep(graph: Any, layer: Masking, x: str, keepdims: int) -> str:
    """``any(x != mask_value, axis=-1)`` as 0/1 floats."""
    name = layer.display_name
    value = graph.constant(f"{name}.mask_value", np.array(layer.mask_value, dtype=np.float32))
    differs = graph.node("Not", [graph.node("Equal", [x, value], name)], name)
    keep = graph.node("Cast", [differs], name, to=_FLOAT)
    return graph.node("ReduceMax", [keep], name, axes=[-1], keepdims=keepdims)


def _refuse(layer: Any) -> None:
    """Raise SequenceExportError for the configurations that have no faithful graph."""
    kind = type(layer).__name__
    if getattr(layer, "return_state", False):
        raise SequenceExportError(
            f"{kind}(return_state=True) returns a list; only one tensor can flow to the next layer"
        )
    if isinstance(layer, Bidirectional) and layer.merge_mode is None:
        raise SequenceExportError("Bidirectional(merge_mode=None) returns a list of two tensors")
    blocks = []
    if isinstance(layer, TransformerEncoder):
        blocks = list(layer.layers)
    elif isinstance(layer, TransformerEncoderLayer):
        blocks = [layer]
    for block in blocks:
        if block._named_activation() is None:
            raise SequenceExportError(
                f"{kind}: the activation {block.activation!r} is a function of the user's; "
                "only 'relu' and 'gelu' have ONNX forms here"
            )


def _ints(graph: Any, name: str, values: Sequence[int]) -> str:
    """An int64 constant (a shape, axes, or Slice bounds)."""
    return graph.constant(f"{name}.ints", np.array(values, dtype=np.int64))


def _outputs(
    graph: Any, op: str, inputs: Sequence[str], hint: str, count: int, **attributes: Any
) -> list[str]:
    """A node with ``count`` outputs (``graph.node`` makes single-output nodes)."""
    outputs = [graph.name(hint) for _ in range(count)]
    graph.nodes.append(
        graph.helper.make_node(op, list(inputs), outputs, name=outputs[0], **attributes)
    )
    return outputs


def _onnx_weights(layer: _KerasRecurrent) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """W ``(G*H, I)``, R ``(G*H, H)`` and B ``(2*G*H,)`` = [Wb, Rb] in ONNX's gate order."""
    units, order = layer.units, _GATE_ORDER[type(layer)]

    def reorder(array: np.ndarray) -> np.ndarray:
        return np.concatenate([array[g * units : (g + 1) * units] for g in order])

    w, r = reorder(layer.weight_ih.data), reorder(layer.weight_hh.data)
    if not layer.use_bias:
        return w, r, None
    if isinstance(layer, GRU):
        wb, rb = layer.bias_ih.data, layer.bias_hh.data
    else:  # one bias, added once: ONNX's recurrence bias Rb is then 0
        wb, rb = layer.bias.data, np.zeros_like(layer.bias.data)
    return w, r, np.concatenate([reorder(wb), reorder(rb)])


def _recurrent(graph: Any, layer: _KerasRecurrent | Bidirectional, x: str) -> str:
    """One ONNX recurrent node (both directions for Bidirectional), outputs samples-first."""
    name = layer.display_name
    if getattr(graph, "mask", None) is not None:
        return _masked_recurrent(graph, layer, x, graph.mask)
    if isinstance(layer, Bidirectional):
        pair = [layer.forward_layer, layer.backward_layer]
        # ONNX's direction 0 reads forwards: the layer that does so goes first.
        swapped = pair[0].go_backwards
        directions = pair[::-1] if swapped else pair
        direction = "bidirectional"
    else:
        directions, swapped = [layer], False
        direction = "reverse" if layer.go_backwards else "forward"
    inner = directions[0]
    weights = [_onnx_weights(d) for d in directions]
    inputs = [
        graph.node("Transpose", [x], name, perm=[1, 0, 2]),  # (T, N, I): layout 0
        graph.constant(f"{name}.W", np.stack([w for w, _, _ in weights])),
        graph.constant(f"{name}.R", np.stack([r for _, r, _ in weights])),
    ]
    if inner.use_bias:
        inputs.append(graph.constant(f"{name}.B", np.stack([b for _, _, b in weights])))
    attributes: dict[str, Any] = {"hidden_size": inner.units, "direction": direction}
    if isinstance(inner, SimpleRNN):
        attributes["activations"] = ["Relu" if inner.activation == "relu" else "Tanh"] * len(
            directions
        )
    if isinstance(inner, GRU):
        attributes["linear_before_reset"] = 1
    y, y_h = _outputs(graph, _ONNX_OP[type(inner)], inputs, name, 2, **attributes)
    if layer.return_sequences:
        out = graph.node("Transpose", [y], name, perm=[2, 0, 1, 3])  # (N, T, D, H)
    else:
        out = graph.node("Transpose", [y_h], name, perm=[1, 0, 2])  # (N, D, H)
    if swapped:  # back to (forward_layer, backward_layer) along the direction axis
        out = _reverse(graph, name, out, axis=-2)
    if isinstance(layer, Bidirectional):
        return _merge(graph, layer, out)
    shape = [0, 0, -1] if layer.return_sequences else [0, -1]  # (..., 1, H) -> (..., H)
    out = graph.node("Reshape", [out, _ints(graph, name, shape)], name)
    if layer.return_sequences and layer.go_backwards:  # Keras returns the steps in visiting order
        out = _reverse(graph, name, out, axis=1)
    return out


def _masked_recurrent(graph: Any, layer: _KerasRecurrent | Bidirectional, x: str, mask: str) -> str:
    """With a Keras mask: each direction a Scan over the steps, a masked step keeping the state.

    ONNX's RNN/LSTM/GRU take per-sample lengths (``sequence_lens``), which skip only the last
    steps of a sample; glassnet's mask skips any step (``h_t = where(m_t, cell, h_{t-1})``; the
    output repeats the previous one, or is 0 with ``zero_output_for_mask``), so the cell is written
    out in a Scan body and the mask is one of its inputs.
    """
    name = layer.display_name
    steps_mask = graph.node("Unsqueeze", [mask, _ints(graph, name, [2])], name)  # (N, T, 1)
    pair = (
        [layer.forward_layer, layer.backward_layer] if isinstance(layer, Bidirectional) else [layer]
    )
    outputs = []
    for direction in pair:
        sequence, final = _scan_direction(graph, direction, x, steps_mask, name)
        if layer.return_sequences:
            outputs.append(sequence)
        elif direction.zero_output_for_mask and not isinstance(layer, Bidirectional):
            # Keras's last output is the last step read: 0 there when that step was masked.
            last_read = _ints(graph, name, [0 if direction.go_backwards else -1])
            step = graph.node("Gather", [sequence, last_read], name, axis=1)  # (N, 1, H)
            outputs.append(graph.node("Reshape", [step, _ints(graph, name, [0, -1])], name))
        else:
            outputs.append(final)  # h_n: the carried state, 0 where no step was valid
    if isinstance(layer, Bidirectional):
        axis = _ints(graph, name, [-2])
        stacked = [graph.node("Unsqueeze", [out, axis], name) for out in outputs]
        return _merge(graph, layer, graph.node("Concat", stacked, name, axis=-2))
    out = outputs[0]
    if layer.return_sequences and layer.go_backwards:
        out = _reverse(graph, name, out, axis=1)
    return out


def _scan_direction(
    graph: Any, layer: _KerasRecurrent, x: str, steps_mask: str, name: str
) -> tuple[str, str]:
    """``layer`` over ``x`` ``(N, T, I)`` as a Scan: outputs ``(N, T, H)`` aligned with the input's
    steps and the final ``h`` ``(N, H)``. Gate order and formulas are glassnet's (ops/recurrent.py)."""
    helper, hidden = graph.helper, layer.units
    name = f"{name}.{layer.display_name}" if layer.display_name not in name else name
    biases = [getattr(layer, b).data for b in layer._bias_names()]
    projected = graph.node(  # x W_ih^T + b_ih for every step at once, outside the loop
        "MatMul", [x, graph.constant(f"{name}.weight_ih_T", layer.weight_ih.data.T)], name
    )
    if biases:
        projected = graph.node("Add", [projected, graph.constant(f"{name}.b_ih", biases[0])], name)
    batch = graph.node("Shape", [x], name, start=0, end=1)
    shape = graph.node("Concat", [batch, _ints(graph, name, [hidden])], name, axis=0)
    zeros = graph.node(
        "ConstantOfShape",
        [shape],
        name,
        value=graph.numpy_helper.from_array(np.zeros(1, dtype=np.float32)),
    )
    count = 2 if isinstance(layer, LSTM) else 1
    outer_nodes, graph.nodes = graph.nodes, []  # the body's nodes gather here
    states = [graph.name(f"{name}.state") for _ in range(count)]
    step_in, mask_in = graph.name(f"{name}.x_t"), graph.name(f"{name}.m_t")
    new_states = _cell(graph, layer, name, step_in, states, biases)
    kept = [graph.node("Where", [mask_in, new, old], name) for new, old in zip(new_states, states)]
    if layer.zero_output_for_mask:
        zero = graph.constant(f"{name}.zero", np.array(0.0, dtype=np.float32))
        output = graph.node("Where", [mask_in, new_states[0], zero], name)
    else:
        # Keras repeats the previous output at a masked step (0 before the first valid one).
        # The state starts at 0 and is carried over masked steps, so the kept h is that output.
        output = graph.node("Identity", [kept[0]], name)
    body_nodes, graph.nodes = graph.nodes, outer_nodes

    def value(n: str, elem_type: int = _FLOAT) -> Any:
        return helper.make_tensor_value_info(n, elem_type, None)

    body = helper.make_graph(
        body_nodes,
        f"{name}.body",
        [*map(value, states), value(step_in), value(mask_in, _BOOL)],
        [*map(value, kept), value(output)],
    )
    reverse = int(layer.go_backwards)
    *finals, sequence = _outputs(
        graph,
        "Scan",
        [*[zeros] * count, projected, steps_mask],
        name,
        count + 1,
        body=body,
        num_scan_inputs=2,
        scan_input_axes=[1, 1],
        scan_input_directions=[reverse, reverse],
        scan_output_axes=[1],
        scan_output_directions=[reverse],  # reversed order again: aligned with the input's steps
    )
    return sequence, finals[0]


def _cell(
    graph: Any, layer: _KerasRecurrent, name: str, x_t: str, states: list[str], biases: list[Any]
) -> list[str]:
    """One step of the cell from ``x_t`` = x W_ih^T + b_ih and the states: the new states."""
    h = states[0]
    recurrent = graph.node(
        "MatMul", [h, graph.constant(f"{name}.weight_hh_T", layer.weight_hh.data.T)], name
    )
    if isinstance(layer, SimpleRNN):
        total = graph.node("Add", [x_t, recurrent], name)
        return [graph.node("Relu" if layer.activation == "relu" else "Tanh", [total], name)]
    if isinstance(layer, LSTM):
        total = graph.node("Add", [x_t, recurrent], name)
        i, f, g, o = _outputs(graph, "Split", [total], name, 4, axis=1)
        sig_i, sig_f, sig_o = (graph.node("Sigmoid", [gate], name) for gate in (i, f, o))
        c = graph.node(
            "Add",
            [
                graph.node("Mul", [sig_f, states[1]], name),
                graph.node("Mul", [sig_i, graph.node("Tanh", [g], name)], name),
            ],
            name,
        )
        return [graph.node("Mul", [sig_o, graph.node("Tanh", [c], name)], name), c]
    if len(biases) == 2:  # the GRU's b_hh sits inside r * (W_hn h + b_hn)
        recurrent = graph.node("Add", [recurrent, graph.constant(f"{name}.b_hh", biases[1])], name)
    x_r, x_z, x_n = _outputs(graph, "Split", [x_t], name, 3, axis=1)
    h_r, h_z, h_n = _outputs(graph, "Split", [recurrent], name, 3, axis=1)
    r = graph.node("Sigmoid", [graph.node("Add", [x_r, h_r], name)], name)
    z = graph.node("Sigmoid", [graph.node("Add", [x_z, h_z], name)], name)
    n = graph.node(
        "Tanh", [graph.node("Add", [x_n, graph.node("Mul", [r, h_n], name)], name)], name
    )
    # h_t = n + z * (h_{t-1} - n), as glassnet computes (1 - z) n + z h_{t-1}
    return [
        graph.node("Add", [n, graph.node("Mul", [z, graph.node("Sub", [h, n], name)], name)], name)
    ]


def _reverse(graph: Any, name: str, x: str, axis: int) -> str:
    starts, ends = _ints(graph, name, [-1]), _ints(graph, name, [-(2**63)])
    axes, steps = _ints(graph, name, [axis]), _ints(graph, name, [-1])
    return graph.node("Slice", [x, starts, ends, axes, steps], name)


def _merge(graph: Any, layer: Bidirectional, x: str) -> str:
    """Bidirectional's merge over the direction axis (-2) of ``(N, [T,] 2, H)``."""
    name = layer.display_name
    if layer.merge_mode == "concat":  # (..., 2, H) -> (..., 2 * H)
        shape = [0, 0, -1] if layer.return_sequences else [0, -1]
        return graph.node("Reshape", [x, _ints(graph, name, shape)], name)
    if layer.merge_mode == "mul":
        return graph.node("ReduceProd", [x], name, axes=[-2], keepdims=0)
    total = graph.node("ReduceSum", [x, _ints(graph, name, [-2])], name, keepdims=0)
    if layer.merge_mode == "sum":
        return total
    two = graph.constant(f"{name}.two", np.array(2.0, dtype=np.float32))
    return graph.node("Div", [total, two], name)


def _time_distributed(
    graph: Any, layer: TimeDistributed, x: str, sample_shape: Sequence[int], translate: Translate
) -> str:
    inner, name = layer.layer, layer.display_name
    graph.mask = None  # TimeDistributed calls its layer without the mask it receives
    if isinstance(inner, (Dense, Linear)) and len(sample_shape) == 2:
        return translate(graph, inner, x, sample_shape)  # MatMul + Add over the last axis
    steps = int(sample_shape[0])
    flat = graph.node("Reshape", [x, _ints(graph, name, [-1, *sample_shape[1:]])], name)
    y = translate(graph, inner, flat, sample_shape[1:])
    per_step = graph.node("Shape", [y], name, start=1)  # the inner layer's output per sample
    shape = graph.node("Concat", [_ints(graph, name, [-1, steps]), per_step], name, axis=0)
    return graph.node("Reshape", [y, shape], name)


def _affine(graph: Any, name: str, x: str, weight: np.ndarray, bias: Any) -> str:
    """``x @ weight + bias`` over the last axis; ``weight`` is ``(in, out)``."""
    y = graph.node("MatMul", [x, graph.constant(f"{name}.weight", weight)], name)
    if bias is None:
        return y
    return graph.node("Add", [y, graph.constant(f"{name}.bias", np.asarray(bias))], name)


def _heads_attention(graph: Any, name: str, q: str, k: str, v: str, heads: int, dim: int) -> str:
    """``softmax(q_h k_h^T / sqrt(dim)) v_h`` per head, heads joined: ``(N, T, heads * dv)``."""
    split = _ints(graph, name, [0, 0, heads, -1])
    qh = graph.node("Transpose", [graph.node("Reshape", [q, split], name)], name, perm=[0, 2, 1, 3])
    kt = graph.node("Transpose", [graph.node("Reshape", [k, split], name)], name, perm=[0, 2, 3, 1])
    vh = graph.node("Transpose", [graph.node("Reshape", [v, split], name)], name, perm=[0, 2, 1, 3])
    scale = graph.constant(f"{name}.scale", np.array(1.0 / math.sqrt(dim), dtype=np.float32))
    scores = graph.node("Mul", [graph.node("MatMul", [qh, kt], name), scale], name)
    weights = graph.node("Softmax", [scores], name, axis=-1)
    out = graph.node(
        "Transpose", [graph.node("MatMul", [weights, vh], name)], name, perm=[0, 2, 1, 3]
    )
    return graph.node("Reshape", [out, _ints(graph, name, [0, 0, -1])], name)


def _keras_attention(graph: Any, layer: MultiHeadAttention, x: str) -> str:
    """Keras's MultiHeadAttention as a Model calls it: query = value = key = x."""
    name = layer.display_name
    projected = []
    for part in ("query", "key", "value"):
        kernel, bias = getattr(layer, f"{part}_kernel"), getattr(layer, f"{part}_bias")
        projected.append(
            _affine(
                graph,
                f"{name}.{part}",
                x,
                kernel.data.reshape(kernel.shape[0], -1),
                None if bias is None else bias.data.reshape(-1),
            )
        )
    heads = _heads_attention(graph, name, *projected, layer.num_heads, layer.key_dim)
    kernel, bias = layer.output_kernel, layer.output_bias
    return _affine(
        graph,
        f"{name}.output",
        heads,
        kernel.data.reshape(-1, kernel.shape[-1]),
        None if bias is None else bias.data,
    )


def _self_attention(graph: Any, attention: Any, x: str, name: str) -> str:
    """PyTorch-style ``nn.MultiheadAttention(x, x, x)`` (no mask) from its in_proj and out_proj."""
    e = attention.embed_dim
    w = attention.in_proj_weight.data
    b = attention.in_proj_bias
    projected = [
        _affine(
            graph,
            f"{name}.{part}",
            x,
            w[i * e : (i + 1) * e].T,
            None if b is None else b.data[i * e : (i + 1) * e],
        )
        for i, part in enumerate(("q", "k", "v"))
    ]
    heads = _heads_attention(graph, name, *projected, attention.num_heads, attention.head_dim)
    out_proj = attention.out_proj
    bias = None if out_proj.bias is None else out_proj.bias.data
    return _affine(graph, f"{name}.out_proj", heads, out_proj.weight.data.T, bias)


def _encoder(
    graph: Any,
    layer: TransformerEncoderLayer | TransformerEncoder,
    x: str,
    sample_shape: Sequence[int],
    translate: Translate,
) -> str:
    """TransformerEncoder(Layer) without masks (how a Model calls it), dropout off (inference)."""
    blocks = list(layer.layers) if isinstance(layer, TransformerEncoder) else [layer]
    batch_first = blocks[0].batch_first
    name = layer.display_name
    if not batch_first:  # the layer reads axis 0 as time: swap, run samples-first, swap back
        x = graph.node("Transpose", [x], name, perm=[1, 0, 2])
    shape = tuple(sample_shape)
    for index, block in enumerate(blocks):
        x = _encoder_block(graph, block, x, shape, translate, f"{name}.{index}")
    if isinstance(layer, TransformerEncoder) and layer.norm is not None:
        x = translate(graph, layer.norm, x, shape)
    if not batch_first:
        x = graph.node("Transpose", [x], name, perm=[1, 0, 2])
    return x


def _encoder_block(
    graph: Any,
    block: TransformerEncoderLayer,
    x: str,
    shape: Sequence[int],
    translate: Translate,
    name: str,
) -> str:
    def attend(h: str) -> str:
        return _self_attention(graph, block.self_attn, h, f"{name}.self_attn")

    def feed_forward(h: str) -> str:
        hidden = translate(graph, block.linear1, h, shape)
        if block._named_activation() == "relu":
            hidden = graph.node("Relu", [hidden], name)
        else:  # exact GELU, x * Phi(x), from Erf (opset 9)
            root2 = graph.constant(f"{name}.sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
            one = graph.constant(f"{name}.one", np.array(1.0, dtype=np.float32))
            half = graph.constant(f"{name}.half", np.array(0.5, dtype=np.float32))
            phi = graph.node("Erf", [graph.node("Div", [hidden, root2], name)], name)
            phi = graph.node("Mul", [graph.node("Add", [phi, one], name), half], name)
            hidden = graph.node("Mul", [hidden, phi], name)
        return translate(graph, block.linear2, hidden, shape)

    if block.norm_first:
        x = graph.node("Add", [x, attend(translate(graph, block.norm1, x, shape))], name)
        return graph.node("Add", [x, feed_forward(translate(graph, block.norm2, x, shape))], name)
    x = translate(graph, block.norm1, graph.node("Add", [x, attend(x)], name), shape)
    return translate(graph, block.norm2, graph.node("Add", [x, feed_forward(x)], name), shape)


def _positional_encoding(
    graph: Any, layer: PositionalEncoding, x: str, sample_shape: Sequence[int]
) -> str:
    name = layer.display_name
    if layer.batch_first:  # the input's T is fixed by export's input_shape
        table = graph.constant(f"{name}.pe", layer.pe[: int(sample_shape[0])].astype(np.float32))
        return graph.node("Add", [x, table], name)
    # Time on axis 0, the batch axis of the Model: the rows follow the batch size at run time.
    table = graph.constant(f"{name}.pe", layer.pe.astype(np.float32))
    length = graph.node("Shape", [x], name, start=0, end=1)
    rows = graph.node("Slice", [table, _ints(graph, name, [0]), length], name)
    rows = graph.node("Unsqueeze", [rows, _ints(graph, name, [1])], name)
    return graph.node("Add", [x, rows], name)
