"""ONNX export of the sequence layers: run in onnxruntime, compared with model.predict."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import glassnet as gn

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from glassnet import onnx as gn_onnx  # noqa: E402


def _run(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _randomize(model: gn.Model, seed: int = 3) -> None:
    """Every weight drawn anew, so zero-initialized biases and unit norms are exercised too."""
    rng = np.random.default_rng(seed)
    for param in model.parameters():
        param.data[...] = rng.normal(scale=0.5, size=param.shape)


def _check(
    model: gn.Model,
    x: np.ndarray,
    tmp_path,
    input_dtype=None,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> onnx.ModelProto:
    model.predict(x[:1])  # builds the lazily sized layers
    _randomize(model)
    path = tmp_path / "model.onnx"
    gn_onnx.export(model, path, input_shape=x.shape[1:], input_dtype=input_dtype)
    np.testing.assert_allclose(_run(path, x), model.predict(x), rtol=rtol, atol=atol)
    return onnx.load(str(path))


def _ops(proto: onnx.ModelProto) -> list[str]:
    return [node.op_type for node in proto.graph.node]


def _sequence(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


RECURRENT = {
    "SimpleRNN-tanh": lambda **kw: gn.SimpleRNN(5, rng=0, **kw),
    "SimpleRNN-relu": lambda **kw: gn.SimpleRNN(5, activation="relu", rng=0, **kw),
    "LSTM": lambda **kw: gn.LSTM(5, rng=0, **kw),
    "GRU": lambda **kw: gn.GRU(5, rng=0, **kw),
}


@pytest.mark.parametrize("kind", list(RECURRENT))
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_keras_recurrent_layers_become_one_onnx_node(
    kind, return_sequences, go_backwards, tmp_path
) -> None:
    layer = RECURRENT[kind](return_sequences=return_sequences, go_backwards=go_backwards)
    model = gn.Model([layer, gn.Dense(2)])
    proto = _check(model, _sequence((4, 7, 3)), tmp_path)
    op = kind.split("-")[0].replace("Simple", "")
    assert _ops(proto).count(op) == 1
    node = next(node for node in proto.graph.node if node.op_type == op)
    attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    assert attributes["direction"] == (b"reverse" if go_backwards else b"forward")


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN-tanh"])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrent_layers_without_bias_and_stacked(kind, masked, tmp_path) -> None:
    x = _sequence((3, 6, 2))
    x[0, 2:4] = 0.0
    model = gn.Model(
        [gn.Masking()] * masked
        + [
            RECURRENT[kind](return_sequences=True, use_bias=False),
            RECURRENT[kind](go_backwards=True),
        ]
    )
    proto = _check(model, x, tmp_path)
    assert ("Scan" in _ops(proto)) == masked


@pytest.mark.parametrize("kind", ["SimpleRNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_is_one_bidirectional_node(
    kind, merge_mode, return_sequences, tmp_path
) -> None:
    layer = gn.Bidirectional(
        RECURRENT[kind](return_sequences=return_sequences), merge_mode=merge_mode
    )
    proto = _check(gn.Model([layer]), _sequence((4, 5, 3)), tmp_path)
    op = kind.split("-")[0].replace("Simple", "")
    assert _ops(proto).count(op) == 1


@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_around_a_backwards_layer_keeps_its_concat_order(
    return_sequences, tmp_path
) -> None:
    inner = gn.LSTM(4, go_backwards=True, return_sequences=return_sequences, rng=0)
    _check(gn.Model([gn.Bidirectional(inner)]), _sequence((3, 6, 2)), tmp_path)


def test_layers_from_torch_recurrent_modules_export(torch, tmp_path) -> None:
    # nn.LSTM returns a tuple, so it is no Model layer; from_torch makes Keras layers of it.
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    model = gn.Model.from_torch([rnn, torch.nn.Linear(8, 2)])
    x = _sequence((2, 5, 3))
    model.predict(x)
    gn_onnx.export(model, tmp_path / "m.onnx", input_shape=(5, 3))
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", x), model.predict(x), rtol=1e-5, atol=1e-5)


def test_embedding_takes_int64_ids_and_gathers(tmp_path) -> None:
    model = gn.Model([gn.Embedding(11, 4, rng=0), gn.GRU(6, rng=0), gn.Dense(3)])
    ids = np.random.default_rng(0).integers(0, 11, size=(5, 7)).astype(np.int64)
    proto = _check(model, ids, tmp_path)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert "Gather" in _ops(proto)


@pytest.mark.parametrize("input_dtype", ["float32", "int32", np.int64])
def test_input_dtype_can_be_chosen(input_dtype, tmp_path) -> None:
    model = gn.Model([gn.Input((6,)), gn.Embedding(9, 3, rng=0), gn.Flatten(), gn.Dense(2)])
    ids = np.random.default_rng(0).integers(0, 9, size=(4, 6)).astype(np.dtype(input_dtype))
    proto = _check(model, ids, tmp_path, input_dtype=input_dtype)
    expected = {"float32": onnx.TensorProto.FLOAT, "int32": onnx.TensorProto.INT32}
    assert proto.graph.input[0].type.tensor_type.elem_type == expected.get(
        np.dtype(input_dtype).name, onnx.TensorProto.INT64
    )


def test_integer_input_to_a_float_model_is_cast(tmp_path) -> None:
    model = gn.Model([gn.Dense(3, activation="tanh")])
    x = np.arange(8, dtype=np.int64).reshape(4, 2)
    _check(model, x, tmp_path, input_dtype="int64")
    with pytest.raises(ValueError, match="input_dtype must be float32, int32 or int64"):
        gn_onnx.export(model, tmp_path / "m.onnx", input_shape=(2,), input_dtype="float16")


@pytest.mark.parametrize(
    "inner,shape",
    [
        (lambda: gn.Dense(3, activation="relu"), (5, 4)),
        (lambda: gn.Linear(4, 3), (5, 4)),
        (lambda: gn.Conv2D(2, 3, padding="same"), (3, 5, 5, 2)),
    ],
    ids=["dense", "linear", "conv2d"],
)
def test_time_distributed(inner, shape, tmp_path) -> None:
    model = gn.Model([gn.TimeDistributed(inner())])
    proto = _check(model, _sequence((2, *shape)), tmp_path)
    if len(shape) == 2:  # a Dense over the last axis needs no reshaping
        assert "MatMul" in _ops(proto) and "Reshape" not in _ops(proto)


def test_masking_whose_mask_reaches_no_recurrent_layer(tmp_path) -> None:
    x = _sequence((4, 6, 3))
    x[:, 4:] = -1.0  # padded steps
    x[1, 1] = -1.0
    model = gn.Model(
        [
            gn.Masking(mask_value=-1.0),
            gn.TimeDistributed(gn.Dense(4)),  # passes the mask on, ignores it
            gn.Flatten(),  # ends it
            gn.Dense(2),
        ]
    )
    _check(model, x, tmp_path)


PADDED_IDS = np.array(
    [[1, 2, 0, 0, 0], [3, 0, 4, 1, 2], [0, 0, 2, 2, 0], [0, 0, 0, 0, 0]], dtype=np.int64
)


@pytest.mark.parametrize("kind", list(RECURRENT))
@pytest.mark.parametrize(
    "return_sequences,go_backwards", [(False, False), (True, True), (True, False), (False, True)]
)
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_embedding_mask_zero_reaches_recurrent_layers_as_a_scan(
    kind, return_sequences, go_backwards, zero_output_for_mask, tmp_path
) -> None:
    # Zeros in the middle and a sample with no valid step too: a Scan with the mask, not
    # sequence_lens (which would skip only the trailing steps). Masked steps repeat the previous
    # output (Keras's rule) or are 0 with zero_output_for_mask.
    layer = RECURRENT[kind](return_sequences=return_sequences, go_backwards=go_backwards)
    layer.zero_output_for_mask = zero_output_for_mask
    model = gn.Model([gn.Embedding(5, 3, mask_zero=True, rng=0), layer])
    proto = _check(model, PADDED_IDS, tmp_path)
    assert "Scan" in _ops(proto)


@pytest.mark.parametrize("merge_mode", ["concat", "ave"])
def test_masking_passes_through_bidirectional_and_backwards_layers(merge_mode, tmp_path) -> None:
    x = _sequence((4, 6, 3))
    x[:, 4:] = 0.0
    x[1, 1] = 0.0
    x[2] = 0.0
    model = gn.Model(
        [
            gn.Masking(),
            gn.Dropout(0.2),  # passes the mask on
            gn.Bidirectional(gn.GRU(4, return_sequences=True, rng=0), merge_mode=merge_mode),
            gn.LSTM(3, return_sequences=True, go_backwards=True, rng=0),  # reverses the mask
            gn.SimpleRNN(2, rng=0),
            gn.Dense(1),
        ]
    )
    proto = _check(model, x, tmp_path)
    assert _ops(proto).count("Scan") == 4 and "LSTM" not in _ops(proto)


def test_the_readme_sequence_model_exports(tmp_path) -> None:
    model = gn.Model(
        [
            gn.Embedding(3, 8, mask_zero=True, rng=0),
            gn.LSTM(16, rng=0),
            gn.Dense(1, activation="sigmoid"),
        ]
    )
    tokens = np.where(np.arange(15) < np.array([[3], [15], [9]]), 1, 0).astype(np.int64)
    tokens[1, ::2] = 2
    _check(model, tokens, tmp_path)


def test_embedding_mask_that_ends_before_any_recurrent_layer_exports(tmp_path) -> None:
    model = gn.Model([gn.Embedding(5, 3, mask_zero=True, rng=0), gn.Flatten(), gn.Dense(2)])
    proto = _check(model, np.array([[1, 2, 0, 0], [3, 0, 4, 1]], dtype=np.int64), tmp_path)
    assert "Equal" not in _ops(proto)  # the unused mask costs no nodes


ATTENTION: dict[str, Callable[[], list]] = {
    "keras-mha": lambda: [
        gn.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=5, rng=0)
    ],
    "positional-post-norm-relu": lambda: [
        gn.PositionalEncoding(8),
        gn.TransformerEncoder(gn.TransformerEncoderLayer(8, 2, 16, rng=0), 2),
    ],
    "pre-norm-gelu-final-norm": lambda: [
        gn.TransformerEncoder(
            gn.TransformerEncoderLayer(
                8, 4, 12, activation="gelu", norm_first=True, bias=False, rng=0
            ),
            2,
            norm=gn.nn.LayerNorm(8),
        ),
        gn.MultiHeadAttention(num_heads=2, key_dim=4, use_bias=False, rng=0),
        gn.Dense(1),
    ],
    "time-major": lambda: [
        gn.PositionalEncoding(8, batch_first=False),
        gn.TransformerEncoderLayer(
            8, 2, 8, activation=gn.functional.gelu, batch_first=False, rng=0
        ),
    ],
}


@pytest.mark.parametrize("name", list(ATTENTION))
def test_attention_layers(name, tmp_path) -> None:
    model = gn.Model(ATTENTION[name]())
    proto = _check(model, _sequence((3, 6, 8)), tmp_path, rtol=1e-4, atol=1e-5)
    assert "Softmax" in _ops(proto)


def test_lists_and_users_functions_are_refused_with_the_reason(tmp_path) -> None:
    torch_style = gn.nn.LSTM(3, 3)
    torch_style.name = "torch_lstm"
    model = gn.Model(
        [
            gn.TransformerEncoderLayer(4, 2, 8, activation=lambda t: t * 2.0),
            gn.Bidirectional(gn.GRU(3, return_sequences=True), merge_mode=None),
            gn.LSTM(3, return_state=True),
            torch_style,
        ]
    )
    with pytest.raises(ValueError) as info:
        gn_onnx.export(model, tmp_path / "m.onnx", input_shape=(5, 4))
    message = str(info.value)
    assert "transformerencoderlayer_1 (TransformerEncoderLayer): TransformerEncoderLayer: the" in (
        message
    )
    assert "bidirectional_1 (Bidirectional): Bidirectional(merge_mode=None) returns a list" in (
        message
    )
    assert "lstm_1 (LSTM): LSTM(return_state=True) returns a list" in message
    assert message.endswith("torch_lstm (LSTM).")  # PyTorch's nn.LSTM returns a tuple
    assert not (tmp_path / "m.onnx").exists()


def test_time_distributed_calls_its_recurrent_layer_without_the_mask(tmp_path) -> None:
    # glassnet's TimeDistributed passes the mask on but runs its layer without it: the GRU reads
    # every step, padding included, so the graph must not mask it either.
    model = gn.Model([gn.Embedding(5, 3, mask_zero=True, rng=0), gn.TimeDistributed(gn.GRU(4))])
    ids = np.array([[[1, 0, 2], [0, 0, 3]], [[4, 4, 0], [1, 2, 3]]], dtype=np.int64)
    proto = _check(model, ids, tmp_path)
    assert "GRU" in _ops(proto) and "Scan" not in _ops(proto)
