"""Moving models between glassnet and PyTorch: ``Model.from_torch`` and ``Model.to_torch``.

glassnet never imports torch at module level: ``from_torch`` reads a torch Sequential by its
classes' names and attributes, and ``to_torch`` imports torch only when it is called.

Recurrent layers. A ``torch.nn.Sequential`` cannot usefully hold an ``nn.LSTM`` before other
layers, since the LSTM returns a tuple ``(output, (h_n, c_n))``. So ``from_torch`` also takes a
plain list of modules, e.g. ``Model.from_torch([lstm, linear])``: each torch RNN/LSTM/GRU becomes
Keras layers (one per torch layer; ``Bidirectional(..., merge_mode="concat")`` when bidirectional)
with the same weights (LSTM and SimpleRNN keep one bias, ``bias_ih + bias_hh``). The last of them
returns the final state, which is ``h_n[-1]`` in torch (``cat(h_n[-2], h_n[-1])`` when
bidirectional), unless the next module is recurrent too; dropout between torch layers becomes a
Dropout layer. The glassnet model is samples-first whatever the torch module's ``batch_first``.
``to_torch`` does the reverse: each Keras recurrent layer becomes a small torch module wrapping an
``nn.LSTM``/``nn.GRU``/``nn.RNN`` (``batch_first=True``) that returns the output sequence or the
final state as the Keras layer does, so the torch Sequential runs. To load a torch layer's weights
into glassnet's PyTorch-style layer, ``glassnet.nn.LSTM(...).load_state_dict(torch_lstm.state_dict())``
is enough: names and shapes are the same.

Attention. ``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder`` (its stack and final norm)
become glassnet's layers of the same names, and back, with the same parameter names and settings
(glassnet's are samples-first, ``batch_first=True``, whatever the torch module's). An
``nn.MultiheadAttention`` returns a tuple and takes three inputs, so, like an LSTM, it only makes
sense in a list given to ``from_torch``: there it is self-attention on the sequence before it,
``mha(x, x, x)[0]``, and becomes Keras's ``MultiHeadAttention`` with the same weights (torch's
``in_proj_weight`` split into the query, key and value kernels); ``to_torch`` turns that layer back
into a small module running ``nn.MultiheadAttention`` on ``(x, x, x)``. For one attention module
on its own, ``multihead_attention_from_torch`` and ``multihead_attention_to_torch`` convert between
torch's and glassnet's PyTorch-style ``MultiheadAttention`` (same call, same ``(output, weights)``).

Masks. A Keras mask (``Embedding(mask_zero=True)``, ``Masking``) has no place in a torch
Sequential; ``to_torch`` refuses a model whose mask reaches a recurrent layer, which would give
other outputs in torch.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import nn
from ..nn.activations import ACTIVATIONS, activation_of, get_activation

__all__ = ["layers_from_torch", "to_torch"]


def _array(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _layer_from_torch(module: Any) -> nn.Module:
    kind = type(module).__name__
    if kind == "Linear":
        layer = nn.Linear(
            module.in_features,
            module.out_features,
            bias=module.bias is not None,
            dtype=_array(module.weight).dtype,
        )
        layer.weight.data[...] = _array(module.weight)
        if module.bias is not None:
            layer.bias.data[...] = _array(module.bias)
        layer.freshly_initialized = False
        return layer
    activation = _ACTIVATIONS_BY_TORCH_NAME.get(kind)
    if activation is not None:
        # The layer's options have torch's names, but for the axis (torch's dim).
        options = {name: getattr(module, _torch_option(name)) for name in activation.options()}
        if options.get("axis", 0) is None:
            options["axis"] = -1
        return activation(**options)
    if kind == "Dropout":
        return nn.Dropout(module.p)
    if kind == "Embedding":
        weight = _array(module.weight)
        layer = nn.Embedding(weight.shape[0], weight.shape[1], dtype=weight.dtype)
        layer.weight.data[...] = weight
        return layer
    if kind == "BatchNorm1d":
        return _batch_norm_from_torch(nn.BatchNorm1d, module)
    if kind == "LayerNorm":
        layer = nn.LayerNorm(
            tuple(module.normalized_shape),
            eps=module.eps,
            elementwise_affine=module.elementwise_affine,
            bias=module.bias is not None,
            dtype=np.float32 if module.weight is None else _array(module.weight).dtype,
        )
        if module.elementwise_affine:
            layer.weight.data[...] = _array(module.weight)
        if module.bias is not None:
            layer.bias.data[...] = _array(module.bias)
        return layer
    if kind in ("Conv1d", "Conv2d", "ConvTranspose2d"):
        return _conv_from_torch(module, kind)
    if kind in ("TransformerEncoderLayer", "TransformerEncoder"):
        return transformer_from_torch(module)
    if kind == "MultiheadAttention":  # in a list: self-attention, one output (module docstring)
        return self_attention_from_torch(module)
    if kind == "KerasSelfAttention":  # what to_torch made of a Keras MultiHeadAttention
        return self_attention_from_torch(module.attention)
    image_layer = _image_layer_from_torch(kind, module)
    if image_layer is not None:
        return image_layer
    raise ValueError(f"from_torch: no glassnet layer for torch's {kind}.")


_RECURRENT_KINDS = ("RNN", "LSTM", "GRU")


def recurrent_from_torch(module: Any, return_sequences: bool = False) -> list[nn.Module]:
    """Keras layers with the weights of a torch ``nn.RNN``/``nn.LSTM``/``nn.GRU``, one per torch layer.

    Every layer but the last returns sequences; the last returns the final state unless
    ``return_sequences``. Bidirectional torch layers become ``Bidirectional(..., merge_mode="concat")``.
    """
    from ..nn import keras_recurrent as keras

    kind = type(module).__name__
    if getattr(module, "proj_size", 0):
        raise ValueError("from_torch: LSTM with proj_size is not supported by glassnet.")
    dtype = _array(module.weight_ih_l0).dtype
    layers: list[nn.Module] = []
    for index in range(module.num_layers):
        last = index == module.num_layers - 1
        if index > 0 and module.dropout > 0:
            layers.append(nn.Dropout(module.dropout))
        options = {
            "use_bias": module.bias,
            "return_sequences": return_sequences or not last,
            "dtype": dtype,
        }
        if kind == "RNN":
            cls, options["activation"] = keras.SimpleRNN, module.nonlinearity
        else:
            cls = keras.LSTM if kind == "LSTM" else keras.GRU
        inputs = (
            module.input_size
            if index == 0
            else module.hidden_size * (2 if module.bidirectional else 1)
        )
        directions = []
        for suffix in ["", "_reverse"][: 2 if module.bidirectional else 1]:
            layer = cls(module.hidden_size, in_features=inputs, **options)
            name = f"_l{index}{suffix}"
            state = {
                "weight_ih": _array(getattr(module, "weight_ih" + name)),
                "weight_hh": _array(getattr(module, "weight_hh" + name)),
            }
            if module.bias:
                b_ih, b_hh = (
                    _array(getattr(module, "bias_ih" + name)),
                    _array(getattr(module, "bias_hh" + name)),
                )
                state.update(
                    {"bias_ih": b_ih, "bias_hh": b_hh} if kind == "GRU" else {"bias": b_ih + b_hh}
                )
            layer.load_state_dict(state)
            layer.freshly_initialized = False
            directions.append(layer)
        if len(directions) == 1:
            layers.append(directions[0])
        else:
            both = keras.Bidirectional(directions[0])
            both.backward_layer.load_state_dict(directions[1].state_dict())
            both.freshly_initialized = False
            layers.append(both)
    return layers


def _state_from_torch(module: Any) -> dict[str, np.ndarray]:
    return {name: _array(value) for name, value in module.state_dict().items()}


def _check_plain_attention(module: Any) -> None:
    """torch's attention options glassnet does not have: a ValueError saying which."""
    if module.bias_k is not None or module.add_zero_attn:
        raise ValueError(
            "from_torch: MultiheadAttention with add_bias_kv or add_zero_attn has no glassnet twin; "
            "build it without them."
        )


def multihead_attention_from_torch(module: Any) -> nn.MultiheadAttention:
    """glassnet's PyTorch-style ``MultiheadAttention`` with a torch ``nn.MultiheadAttention``'s
    settings (``batch_first`` too) and weights: same call, same ``(output, weights)``."""
    _check_plain_attention(module)
    layer = nn.MultiheadAttention(
        module.embed_dim,
        module.num_heads,
        dropout=module.dropout,
        bias=module.in_proj_bias is not None,
        kdim=module.kdim,
        vdim=module.vdim,
        batch_first=module.batch_first,
        dtype=_array(module.out_proj.weight).dtype,
    )
    layer.load_state_dict(_state_from_torch(module))
    layer.freshly_initialized = False
    return layer


def self_attention_from_torch(module: Any) -> nn.Module:
    """A Keras ``MultiHeadAttention`` computing ``module(x, x, x)[0]`` (a torch
    ``nn.MultiheadAttention`` in a from_torch list is self-attention on the sequence before it).

    torch's ``in_proj_weight`` rows ``(q, k, v)`` of ``(E, E)`` become Keras's einsum kernels
    ``(E, num_heads, head_dim)`` (their transposes, split by head), ``out_proj.weight`` the output
    kernel ``(num_heads, head_dim, E)``; both scale the scores by ``1 / sqrt(head_dim)``.
    """
    _check_plain_attention(module)
    e, heads = module.embed_dim, module.num_heads
    if not module._qkv_same_embed_dim:
        raise ValueError(
            f"from_torch: MultiheadAttention with kdim={module.kdim}, vdim={module.vdim} != "
            f"embed_dim={e} cannot attend to its own input; in a list of layers it is "
            "self-attention. Convert it alone with multihead_attention_from_torch."
        )
    weight = _array(module.in_proj_weight)
    bias = None if module.in_proj_bias is None else _array(module.in_proj_bias)
    head_dim = e // heads
    layer = nn.MultiHeadAttention(
        heads,
        head_dim,
        dropout=module.dropout,
        use_bias=bias is not None,
        query_features=e,
        dtype=weight.dtype,
    )
    state = {}
    for index, part in enumerate(("query", "key", "value")):
        rows = slice(index * e, (index + 1) * e)
        state[f"{part}_kernel"] = weight[rows].T.reshape(e, heads, head_dim)
        if bias is not None:
            state[f"{part}_bias"] = bias[rows].reshape(heads, head_dim)
    state["output_kernel"] = _array(module.out_proj.weight).T.reshape(heads, head_dim, e)
    if bias is not None:
        state["output_bias"] = _array(module.out_proj.bias)
    layer.load_state_dict(state)
    layer.freshly_initialized = False
    return layer


def _activation_from_torch(activation: Any) -> Any:
    """torch's encoder activation as glassnet's: "relu", "gelu", or glassnet's tanh-form gelu."""
    from ..ops.activation import gelu

    name = getattr(activation, "__name__", type(activation).__name__).lower()
    approximate = getattr(activation, "approximate", "none")
    if name == "relu" or (name == "gelu" and approximate == "none"):
        return name
    if name == "gelu" and approximate == "tanh":
        return functools.partial(gelu, approximate="tanh")
    raise ValueError(
        f"from_torch: TransformerEncoderLayer with activation {activation!r} has no glassnet twin; "
        "use relu or gelu."
    )


def transformer_from_torch(module: Any) -> nn.Module:
    """glassnet's ``TransformerEncoderLayer`` or ``TransformerEncoder`` with a torch one's settings and
    weights (the parameter names are torch's). The glassnet layers are samples-first
    (``batch_first=True``) whatever the torch module's ``batch_first``, as a Model's data is."""
    if type(module).__name__ == "TransformerEncoder":
        first = transformer_from_torch(module.layers[0])
        norm = None
        if module.norm is not None:
            norm = _layer_from_torch(module.norm)
            if not isinstance(norm, nn.LayerNorm):
                raise ValueError(
                    f"from_torch: TransformerEncoder with a {type(module.norm).__name__} norm has no "
                    "glassnet twin; use LayerNorm."
                )
        encoder = nn.TransformerEncoder(first, len(module.layers), norm=norm)
        encoder.load_state_dict(_state_from_torch(module))
        encoder.freshly_initialized = False
        return encoder
    _check_plain_attention(module.self_attn)
    dtype = _array(module.linear1.weight).dtype
    layer = nn.TransformerEncoderLayer(
        module.self_attn.embed_dim,
        module.self_attn.num_heads,
        dim_feedforward=module.linear1.out_features,
        dropout=module.dropout.p,
        activation=_activation_from_torch(module.activation),
        layer_norm_eps=module.norm1.eps,
        batch_first=True,
        norm_first=module.norm_first,
        bias=module.linear1.bias is not None,
        dtype=dtype,
    )
    layer.load_state_dict(_state_from_torch(module))
    layer.freshly_initialized = False
    return layer


def _image_layer_from_torch(kind: str, module: Any) -> nn.Module | None:
    """Pooling, flattening, resizing and image normalization layers (None for other kinds)."""
    if kind in ("MaxPool1d", "MaxPool2d"):
        if module.dilation not in (1, (1,), (1, 1)) or module.return_indices:
            raise ValueError(
                f"from_torch: {kind} with dilation or return_indices has no glassnet twin."
            )
        return getattr(nn, kind)(
            module.kernel_size, module.stride, module.padding, module.ceil_mode
        )
    if kind == "AvgPool2d":
        return nn.AvgPool2d(
            module.kernel_size,
            module.stride,
            module.padding,
            module.ceil_mode,
            module.count_include_pad,
            module.divisor_override,
        )
    if kind == "AvgPool1d":
        return nn.AvgPool1d(
            module.kernel_size,
            module.stride,
            module.padding,
            module.ceil_mode,
            module.count_include_pad,
        )
    if kind == "AdaptiveAvgPool2d":
        return nn.AdaptiveAvgPool2d(module.output_size)
    if kind == "Flatten":
        return nn.Flatten(module.start_dim, module.end_dim)
    if kind == "Dropout2d":
        return nn.Dropout2d(module.p)
    if kind == "Upsample":
        return nn.Upsample(module.size, module.scale_factor, module.mode, module.align_corners)
    if kind == "BatchNorm2d":
        return _batch_norm_from_torch(nn.BatchNorm2d, module)
    return None


def _batch_norm_from_torch(cls: type[nn.Module], module: Any) -> nn.Module:
    """A glassnet BatchNorm1d/2d with a torch batch norm's settings, weights and running statistics."""
    if not module.track_running_stats:
        raise ValueError(
            f"from_torch: {cls.__name__}(track_running_stats=False) has no glassnet twin "
            "(glassnet's batch norm keeps running statistics for eval mode)."
        )
    layer = cls(module.num_features, eps=module.eps, momentum=module.momentum, affine=module.affine)
    if module.affine:
        layer.weight.data[...] = _array(module.weight)
        layer.bias.data[...] = _array(module.bias)
    layer.running_mean[...] = _array(module.running_mean)
    layer.running_var[...] = _array(module.running_var)
    return layer


def _conv_from_torch(module: Any, kind: str) -> nn.Module:
    if module.padding_mode != "zeros":
        raise ValueError(
            f"from_torch: {kind} with padding_mode={module.padding_mode!r}: glassnet pads with "
            "zeros only."
        )
    options = {
        "stride": module.stride,
        "padding": module.padding,
        "dilation": module.dilation,
        "groups": module.groups,
        "bias": module.bias is not None,
        "dtype": _array(module.weight).dtype,
    }
    if kind == "ConvTranspose2d":
        options["output_padding"] = module.output_padding
    layer = getattr(nn, kind)(
        module.in_channels, module.out_channels, module.kernel_size, **options
    )
    layer.weight.data[...] = _array(module.weight)
    if module.bias is not None:
        layer.bias.data[...] = _array(module.bias)
    layer.freshly_initialized = False
    return layer


def layers_from_torch(sequential: Any) -> list[nn.Module]:
    """glassnet layers with the weights of a ``torch.nn.Sequential``'s modules, or of a list of
    torch modules (needed for recurrent ones: see the module docstring); ``Model.from_torch``
    makes a Model of them."""
    children = list(sequential.children()) if hasattr(sequential, "children") else list(sequential)
    layers: list[nn.Module] = []
    for position, module in enumerate(children):
        if type(module).__name__ in _RECURRENT_KINDS:
            following = children[position + 1] if position + 1 < len(children) else None
            layers += recurrent_from_torch(module, type(following).__name__ in _RECURRENT_KINDS)
        elif (
            type(module).__name__ == "KerasRecurrent"
        ):  # what to_torch made of a Keras recurrent layer
            converted = recurrent_from_torch(module.rnn, module.return_sequences)
            if module.rnn.bidirectional:
                converted[-1].merge_mode = module.merge_mode
            layers += converted
        else:
            layers.append(_layer_from_torch(module))
    return layers


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Sequential`` with the layers and the weights of a glassnet Model."""
    import torch

    _refuse_masks(model.layers)
    modules = []
    for layer in model.layers:
        modules.append(_layer_to_torch(torch, layer))
    return torch.nn.Sequential(*[m for m in modules if m is not None])


def _refuse_masks(layers: list[nn.Module]) -> None:
    """An InputError when a Keras mask (``Embedding(mask_zero=True)``, ``Masking``) reaches a layer
    that uses it: torch's Sequential passes no mask, so the torch network would read the padding as
    data. Follows the mask as ``glassnet.training.model.apply_layers`` passes it on."""
    from ..errors import InputError

    keras = nn.keras_recurrent
    uses_mask = (keras.SimpleRNN, keras.LSTM, keras.GRU, keras.Bidirectional)
    source: nn.Module | None = None  # the layer that started the mask still in effect
    for layer in layers:
        if source is not None and isinstance(layer, uses_mask):
            what = (
                "mask_zero=True"
                if isinstance(source, nn.Embedding)
                else f"mask_value={source.mask_value}"
            )
            raise InputError(
                f"to_torch: {source.display_name} ({type(source).__name__} with {what}) masks "
                f"steps for {layer.display_name}, which skips them (carries its state over them); "
                "torch's Sequential passes no mask, so the torch network would read the padding as "
                "data and give other outputs. To convert, build the model without the mask "
                "(Embedding(mask_zero=False), no Masking layer; the weights load unchanged) and "
                "give the torch network sequences without padding."
            )
        if isinstance(layer, nn.Embedding):
            source = layer if layer.mask_zero else None
        elif isinstance(layer, keras.Masking):
            source = layer
        elif isinstance(layer, uses_mask) or not hasattr(layer, "compute_mask"):
            source = None  # recurrent layers were refused above while a mask was set
        # Any other layer with compute_mask (Dropout, activations, LayerNorm, TimeDistributed)
        # passes the mask on.


def _tensor(torch: Any, array: np.ndarray) -> Any:
    return torch.from_numpy(np.array(array, copy=True))


def _layer_to_torch(torch: Any, layer: nn.Module) -> Any:
    tnn = torch.nn
    if isinstance(layer, (nn.Linear, nn.Dense)):
        if not getattr(layer, "in_features", None):
            raise ValueError(
                f"to_torch: {layer.display_name} is not built yet; call the model on data first."
            )
        linear = tnn.Linear(
            layer.in_features,
            layer.weight.shape[0],
            bias=layer.bias is not None,
            dtype=getattr(torch, layer.weight.dtype.name),
        )
        with torch.no_grad():
            linear.weight.copy_(_tensor(torch, layer.weight.data))
            if layer.bias is not None:
                linear.bias.copy_(_tensor(torch, layer.bias.data))
        if isinstance(layer, nn.Dense) and layer.activation != "linear":
            return tnn.Sequential(linear, _activation_to_torch(tnn, layer.activation, dim=-1))
        return linear
    if isinstance(
        layer, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Conv1D, nn.Conv2D, nn.Conv2DTranspose)
    ):
        return _conv_to_torch(torch, layer)
    spec = activation_of(layer)
    if spec is not None:
        options = {_torch_option(name): getattr(layer, name) for name in layer.options()}
        return getattr(tnn, spec.torch)(**options)
    if isinstance(layer, nn.Dropout2d):
        return tnn.Dropout2d(layer.p)
    if isinstance(layer, nn.Dropout):
        return tnn.Dropout(layer.p)
    if isinstance(layer, nn.Input):
        return None
    if isinstance(
        layer, nn.TimeDistributed
    ):  # torch's Linear already maps the last axis of (N, T, F)
        return _layer_to_torch(torch, layer.layer)
    if isinstance(layer, nn.Embedding):
        return tnn.Embedding.from_pretrained(_tensor(torch, layer.weight.data), freeze=False)
    if isinstance(
        layer, (nn.SimpleRNN, nn.keras_recurrent.LSTM, nn.keras_recurrent.GRU, nn.Bidirectional)
    ):
        return _recurrent_to_torch(torch, layer)
    if isinstance(layer, nn.LayerNorm):
        weight = layer.weight
        module = tnn.LayerNorm(
            layer.normalized_shape,
            eps=layer.eps,
            elementwise_affine=weight is not None,
            bias=layer.bias is not None,
            dtype=None if weight is None else getattr(torch, weight.dtype.name),
        )
        return _load_into_torch(torch, module, layer)
    if isinstance(layer, (nn.TransformerEncoderLayer, nn.TransformerEncoder)):
        return transformer_to_torch(torch, layer)
    if isinstance(layer, nn.MultiHeadAttention):
        return _keras_self_attention_module(torch)(self_attention_to_torch(torch, layer))
    if isinstance(layer, nn.MultiheadAttention):
        raise ValueError(
            f"to_torch: {layer.display_name} (MultiheadAttention) returns (output, weights), which a "
            "torch Sequential cannot pass on; convert it alone with "
            "glassnet.training.interop.multihead_attention_to_torch, or use MultiHeadAttention."
        )
    image_module = _image_layer_to_torch(torch, layer)
    if image_module is not None:
        return image_module
    raise ValueError(f"to_torch: no torch layer for {layer.display_name} ({type(layer).__name__}).")


def _recurrent_to_torch(torch: Any, layer: nn.Module) -> Any:
    """A torch module running ``layer`` (a Keras recurrent layer or Bidirectional) with its weights."""
    both = isinstance(layer, nn.Bidirectional)
    inner = layer.forward_layer if both else layer
    if not inner.built:
        raise ValueError(
            f"to_torch: {layer.display_name} is not built yet; call the model on data first."
        )
    if inner.go_backwards or inner.return_state or inner.dropout or inner.recurrent_dropout:
        raise ValueError(
            f"to_torch: {layer.display_name} uses go_backwards, return_state, dropout or "
            "recurrent_dropout, which torch's recurrent layers do not have; set them to False/0 "
            "on the layer first (the weights stay the same)."
        )
    merge_mode = layer.merge_mode if both else "concat"
    if merge_mode is None:
        raise ValueError(
            f"to_torch: {layer.display_name} has merge_mode=None (two outputs); torch's "
            "Sequential passes one tensor."
        )
    kind = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[type(inner).__name__]
    options = {"nonlinearity": inner.activation} if kind == "RNN" else {}
    module = getattr(torch.nn, kind)(
        inner.in_features,
        inner.units,
        bias=inner.use_bias,
        batch_first=True,
        bidirectional=both,
        dtype=getattr(torch, inner.dtype.name),
        **options,
    )
    with torch.no_grad():
        for suffix, source in zip(
            ("", "_reverse"), (layer.forward_layer, layer.backward_layer) if both else (inner,)
        ):
            getattr(module, "weight_ih_l0" + suffix).copy_(_tensor(torch, source.weight_ih.data))
            getattr(module, "weight_hh_l0" + suffix).copy_(_tensor(torch, source.weight_hh.data))
            if inner.use_bias:
                b_ih = source.bias_ih.data if kind == "GRU" else source.bias.data
                b_hh = source.bias_hh.data if kind == "GRU" else np.zeros_like(b_ih)
                getattr(module, "bias_ih_l0" + suffix).copy_(_tensor(torch, b_ih))
                getattr(module, "bias_hh_l0" + suffix).copy_(_tensor(torch, b_hh))
    return _keras_recurrent_module(torch)(module, inner.return_sequences, merge_mode)


@functools.lru_cache(maxsize=1)
def _keras_recurrent_module(torch: Any) -> Any:
    """The torch Module class that returns what a Keras recurrent layer returns (made once torch is imported)."""

    class KerasRecurrent(torch.nn.Module):
        """A torch RNN/LSTM/GRU (batch_first) returning the output sequence or the final state, merged
        over both directions as Keras's Bidirectional does."""

        def __init__(self, rnn: Any, return_sequences: bool, merge_mode: str) -> None:
            super().__init__()
            self.rnn, self.return_sequences, self.merge_mode = rnn, return_sequences, merge_mode

        def forward(self, x: Any) -> Any:
            output, state = self.rnn(x)
            if self.return_sequences:
                parts = list(output.chunk(2, dim=-1)) if self.rnn.bidirectional else [output]
            else:
                h_n = state[0] if isinstance(state, tuple) else state
                parts = [h_n[-2], h_n[-1]] if self.rnn.bidirectional else [h_n[-1]]
            if len(parts) == 1 or self.merge_mode == "concat":
                return torch.cat(parts, dim=-1)
            merged = {
                "sum": lambda a, b: a + b,
                "mul": lambda a, b: a * b,
                "ave": lambda a, b: (a + b) / 2,
            }
            return merged[self.merge_mode](*parts)

    return KerasRecurrent


def _load_into_torch(torch: Any, module: Any, layer: nn.Module) -> Any:
    """``module`` with ``layer``'s parameters (the same names) loaded, every one of them."""
    state = {name: _tensor(torch, p.data) for name, p in layer.named_parameters()}
    module.load_state_dict(state, strict=True)
    return module


def multihead_attention_to_torch(torch: Any, layer: nn.MultiheadAttention) -> Any:
    """A torch ``nn.MultiheadAttention`` with the settings and weights of glassnet's one."""
    module = torch.nn.MultiheadAttention(
        layer.embed_dim,
        layer.num_heads,
        dropout=layer.dropout,
        bias=layer.use_bias,
        kdim=layer.kdim,
        vdim=layer.vdim,
        batch_first=layer.batch_first,
        dtype=getattr(torch, layer.dtype.name),
    )
    return _load_into_torch(torch, module, layer)


def self_attention_to_torch(torch: Any, layer: nn.MultiHeadAttention) -> Any:
    """The torch ``nn.MultiheadAttention`` (``batch_first=True``) equal to a Keras
    ``MultiHeadAttention`` attending to its own input, when torch's layout can hold it: as many
    features in and out as ``num_heads * key_dim``, and ``value_dim == key_dim``."""
    if not layer.built:
        raise ValueError(
            f"to_torch: {layer.display_name} is not built yet; call the model on data first."
        )
    e, heads, d = layer.query_features, layer.num_heads, layer.key_dim
    if (
        heads * d != e
        or layer.value_dim != d
        or (layer.output_shape or e) != e
        or layer.key_features != e
        or layer.value_features != e
    ):
        raise ValueError(
            f"to_torch: {layer.display_name} (MultiHeadAttention) has num_heads * key_dim = "
            f"{heads} * {d}, value_dim={layer.value_dim}, output_shape={layer.output_shape} for "
            f"{e} input features; torch's MultiheadAttention needs num_heads * key_dim = features, "
            "value_dim = key_dim and as many output features as input features."
        )
    module = torch.nn.MultiheadAttention(
        e,
        heads,
        dropout=layer.dropout,
        bias=layer.use_bias,
        batch_first=True,
        dtype=getattr(torch, layer.dtype.name),
    )
    kernels = [getattr(layer, f"{part}_kernel").data for part in ("query", "key", "value")]
    with torch.no_grad():
        module.in_proj_weight.copy_(
            _tensor(torch, np.concatenate([k.reshape(e, e).T for k in kernels]))
        )
        module.out_proj.weight.copy_(_tensor(torch, layer.output_kernel.data.reshape(e, e).T))
        if layer.use_bias:
            biases = [
                getattr(layer, f"{part}_bias").data.ravel() for part in ("query", "key", "value")
            ]
            module.in_proj_bias.copy_(_tensor(torch, np.concatenate(biases)))
            module.out_proj.bias.copy_(_tensor(torch, layer.output_bias.data))
    return module


@functools.lru_cache(maxsize=1)
def _keras_self_attention_module(torch: Any) -> Any:
    """The torch Module class running a Keras MultiHeadAttention's self-attention (made once torch
    is imported)."""

    class KerasSelfAttention(torch.nn.Module):
        """A torch ``nn.MultiheadAttention`` (batch_first) on ``(x, x, x)``, returning the output only."""

        def __init__(self, attention: Any) -> None:
            super().__init__()
            self.attention = attention

        def forward(self, x: Any) -> Any:
            return self.attention(x, x, x, need_weights=False)[0]

    return KerasSelfAttention


def _activation_for_torch(layer: nn.TransformerEncoderLayer) -> Any:
    """The encoder layer's activation as torch takes it: "relu", "gelu" or a tanh-form GELU module."""
    from ..ops.activation import gelu

    activation = layer.activation
    if isinstance(activation, str):
        return activation
    name = layer._named_activation()
    if name is not None:
        return name
    if (
        isinstance(activation, functools.partial)
        and activation.func is gelu
        and activation.keywords == {"approximate": "tanh"}
        and not activation.args
    ):
        import torch

        return torch.nn.GELU(approximate="tanh")
    raise ValueError(
        f"to_torch: {layer.display_name} has the activation {activation!r}, which torch cannot be "
        "given; use 'relu' or 'gelu'."
    )


def transformer_to_torch(torch: Any, layer: nn.Module) -> Any:
    """A torch ``nn.TransformerEncoderLayer`` or ``nn.TransformerEncoder`` with the settings and
    weights of glassnet's (same parameter names)."""
    if isinstance(layer, nn.TransformerEncoder):
        first = transformer_to_torch(torch, layer.layers[0])
        norm = None
        if layer.norm is not None:
            norm = _layer_to_torch(torch, layer.norm)
        # No nested-tensor path: it only speeds up padded batches, and torch warns when a layer
        # cannot take it (norm_first, batch_first=False).
        module = torch.nn.TransformerEncoder(
            first, layer.num_layers, norm=norm, enable_nested_tensor=False
        )
        return _load_into_torch(torch, module, layer)
    module = torch.nn.TransformerEncoderLayer(
        layer.d_model,
        layer.nhead,
        dim_feedforward=layer.dim_feedforward,
        dropout=layer.dropout_p,
        activation=_activation_for_torch(layer),
        layer_norm_eps=layer.layer_norm_eps,
        batch_first=layer.batch_first,
        norm_first=layer.norm_first,
        bias=layer.bias,
        dtype=getattr(torch, layer.dtype.name),
    )
    return _load_into_torch(torch, module, layer)


# The activation layers by the name of their torch twin ("ReLU" -> nn.ReLU), from the registry.
_ACTIVATIONS_BY_TORCH_NAME = {
    spec.torch: spec.layer for spec in ACTIVATIONS.values() if spec.layer is not None
}


def _torch_option(name: str) -> str:
    """The torch name of an activation layer's option: the same, but ``axis`` is torch's ``dim``."""
    return "dim" if name == "axis" else name


def _activation_to_torch(tnn: Any, name: str, dim: int) -> Any:
    """The torch module of a layer's ``activation="..."`` (defaults as glassnet's function's),
    from the activation registry."""
    spec = get_activation(name)
    module = getattr(tnn, spec.torch)
    return module(dim=dim) if spec.along_axis else module()


def _conv_to_torch(torch: Any, layer: Any) -> Any:
    """The torch convolution holding ``layer``'s weights; Keras layers need channels first and padding
    that is the same on both sides (torch's modules take nothing else)."""
    if not layer.built:
        raise ValueError(
            f"to_torch: {layer.display_name} is not built yet; call the model on data first."
        )
    keras = isinstance(layer, (nn.Conv1D, nn.Conv2D, nn.Conv2DTranspose))
    if keras and not layer.channels_first:
        raise ValueError(
            f"to_torch: {layer.display_name} takes channels last, torch's {type(layer).__name__[:-1]}d "
            "channels first: build the model with data_format='channels_first' to convert it."
        )
    kind = {"Conv1D": "Conv1d", "Conv2D": "Conv2d", "Conv2DTranspose": "ConvTranspose2d"}.get(
        type(layer).__name__, type(layer).__name__
    )
    options = {
        "stride": layer.stride,
        "dilation": layer.dilation,
        "groups": layer.groups,
        "bias": layer.bias is not None,
        "dtype": getattr(torch, layer.weight.dtype.name),
    }
    if keras:
        # Keras's padding depends on the input size only through uneven "same" pads: probe one size.
        pads = layer._pads((64,) * layer.n_spatial)
        extra = layer._transpose_geometry((64,) * layer.n_spatial)[1] if layer.transposed else None
        strided_same = (
            layer.padding == "same" and any(s != 1 for s in layer.stride) and not layer.transposed
        )
        if strided_same or any(before != after for before, after in pads):
            raise ValueError(
                f"to_torch: {layer.display_name} pads unevenly (padding='same' with an even kernel or "
                "strides > 1), which torch's modules cannot; use padding='valid' or an odd kernel."
            )
        options["padding"] = tuple(before for before, _ in pads)
        if layer.transposed:
            options["output_padding"] = extra
    else:
        options["padding"] = layer.padding
        if layer.transposed:
            options["output_padding"] = layer.output_padding
    module = getattr(torch.nn, kind)(
        layer.in_channels, layer.out_channels, layer.kernel_size, **options
    )
    with torch.no_grad():
        module.weight.copy_(_tensor(torch, layer.weight.data))
        if layer.bias is not None:
            module.bias.copy_(_tensor(torch, layer.bias.data))
    if keras and layer.activation != "linear":
        return torch.nn.Sequential(module, _activation_to_torch(torch.nn, layer.activation, dim=1))
    return module


def _image_layer_to_torch(torch: Any, layer: nn.Module) -> Any:
    """The torch twin of a pooling, flattening, resizing or image normalization layer (None for others)."""
    tnn = torch.nn
    if isinstance(layer, (nn.MaxPool1d, nn.MaxPool2d)):
        return getattr(tnn, type(layer).__name__)(
            layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode
        )
    if isinstance(layer, nn.AvgPool1d):
        return tnn.AvgPool1d(
            layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode, layer.count_include_pad
        )
    if isinstance(layer, nn.AvgPool2d):
        return tnn.AvgPool2d(
            layer.kernel_size,
            layer.stride,
            layer.padding,
            layer.ceil_mode,
            layer.count_include_pad,
            layer.divisor_override,
        )
    if isinstance(layer, nn.AdaptiveAvgPool2d):
        return tnn.AdaptiveAvgPool2d(layer.output_size)
    if isinstance(layer, nn.Upsample):
        return tnn.Upsample(layer.size, layer.scale_factor, layer.mode, layer.align_corners)
    if isinstance(layer, nn.BatchNorm2d):
        module = tnn.BatchNorm2d(
            layer.num_features,
            eps=layer.eps,
            momentum=layer.momentum,
            affine=layer.weight is not None,
            dtype=getattr(torch, layer.running_mean.dtype.name),
        )
        with torch.no_grad():
            if layer.weight is not None:
                module.weight.copy_(_tensor(torch, layer.weight.data))
                module.bias.copy_(_tensor(torch, layer.bias.data))
            module.running_mean.copy_(_tensor(torch, layer.running_mean))
            module.running_var.copy_(_tensor(torch, layer.running_var))
        return module
    data_format = getattr(layer, "data_format", None)
    if isinstance(layer, nn.Flatten):
        if data_format == "channels_first":
            raise ValueError(
                f"to_torch: {layer.display_name} (Flatten with data_format='channels_first') moves "
                "the channels last; torch's Flatten does not. Use Flatten() without data_format."
            )
        return tnn.Flatten(layer.start_dim, layer.end_dim)
    keras = (nn.MaxPooling2D, nn.AveragePooling2D, nn.GlobalAveragePooling2D, nn.UpSampling2D)
    if not isinstance(layer, keras):
        return None
    if data_format != "channels_first":
        raise ValueError(
            f"to_torch: {layer.display_name} ({type(layer).__name__}) works on channels-last data and "
            "torch's layers on channels-first data; build it with data_format='channels_first'."
        )
    if isinstance(layer, (nn.MaxPooling2D, nn.AveragePooling2D)):
        if layer.padding != "valid":
            raise ValueError(
                f"to_torch: {layer.display_name} has padding='same', which torch's pooling cannot "
                "express (Keras pads one side more); use padding='valid'."
            )
        pool = tnn.MaxPool2d if isinstance(layer, nn.MaxPooling2D) else tnn.AvgPool2d
        return pool(layer.pool_size, layer.strides)
    if isinstance(layer, nn.GlobalAveragePooling2D):
        return (
            tnn.AdaptiveAvgPool2d(1)
            if layer.keepdims
            else tnn.Sequential(tnn.AdaptiveAvgPool2d(1), tnn.Flatten())
        )
    return tnn.Upsample(scale_factor=tuple(float(s) for s in layer.size), mode=layer.interpolation)
