"""explain: the ops of one pass with formulas, layers, shapes, statistics and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.demo import build_founding_model
from glassnet.diagnostics.trace import op_formulas, summed_axes
from glassnet.ops.linalg import Linear as LinearOp


def _data(n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(float)


def test_op_formulas_come_from_the_docstring():
    forward, backward = op_formulas(LinearOp)
    assert forward == "y = x @ W^T + b"
    assert backward == "dx = dy @ W; dW = dy^T @ x; db = sum(dy, axis=0)"


def test_summed_axes_are_those_broadcasting_copied_along():
    assert summed_axes((5,), (100, 5)) == (0,)
    assert summed_axes((3, 1), (2, 3, 4)) == (0, 2)
    assert summed_axes((5, 2), (100, 5)) == ()
    assert summed_axes((100, 5), ()) == ()


def test_model_explain_lists_every_op_with_its_layer_and_statistics():
    model = build_founding_model()
    x, y = _data()
    trace = model.explain(x, y)
    assert [(r.layer, r.op) for r in trace] == [
        ("linear_1", "linear"),
        ("relu_1", "relu"),
        ("linear_2", "linear"),
        ("relu_2", "relu"),
        ("linear_3", "linear"),
        ("sigmoid_1 + loss", "binary_cross_entropy_with_logits"),
    ]
    first = trace[0]
    assert [i.name for i in first.inputs] == ["x", "linear_1.weight", "linear_1.bias"]
    assert first.shape == (50, 5) and first.dtype == "float32"
    hidden = model.layers[0](gn.Tensor(x.astype(np.float32))).data
    assert first.stats["mean"] == pytest.approx(hidden.mean(), rel=1e-5)
    assert trace[1].stats["zeros"] == pytest.approx(np.mean(hidden <= 0))
    assert trace.loss == pytest.approx(trace[-1].stats["mean"])


def test_model_explain_backward_matches_the_gradients_and_changes_nothing():
    model = build_founding_model()
    x, y = _data()
    weights = [p.data.copy() for p in model.parameters()]
    trace = model.explain(x, y)
    assert all(p.grad is None for p in model.parameters())  # explain puts .grad back
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))
    model.compile("sgd", "binary_crossentropy")
    output, loss = model._forward_loss(
        *model._training_forward(model.compiled_loss),
        gn.Tensor(x.astype(np.float32)),
        gn.Tensor(y.reshape(-1, 1).astype(np.float32)),
    )
    loss.backward()
    bias = trace[0].inputs[2]
    assert bias.grad["mean"] == pytest.approx(
        model.layers[0].bias.grad.astype(np.float64).mean(), abs=1e-8
    )
    assert bias.summed_axes == (
        0,
    )  # the bias was broadcast over the batch: its gradient sums axis 0
    assert [r.index for r in trace.backward_records] == [5, 4, 3, 2, 1, 0]
    assert trace[5].rule.startswith("dz = dL * (sigmoid(z) - t)")


def test_explain_without_targets_is_a_forward_trace():
    model = build_founding_model()
    trace = model.explain(_data()[0])
    assert (
        [r.op for r in trace][-1] == "sigmoid"
        and trace.backward_records == []
        and trace.loss is None
    )
    np.testing.assert_allclose(trace.output, model.predict(_data()[0]))


def test_low_level_explain_walks_the_graph_of_a_loss(torch):
    w = gn.Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    b = gn.Tensor(np.array([0.1, -0.1]), requires_grad=True)
    x = gn.Tensor(np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]]))
    trace = gn.explain(((x @ w + b).relu() ** 2).mean(), names={"w": w, "b": b, "x": x})
    assert [r.op for r in trace] == ["matmul", "add", "relu", "pow", "mean"]
    assert [i.name for i in trace[1].inputs] == ["#0", "b"]
    tw = torch.tensor(w.data, requires_grad=True)
    tb = torch.tensor(b.data, requires_grad=True)
    (torch.relu(torch.tensor(x.data) @ tw + tb) ** 2).mean().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy())
    assert trace[1].inputs[1].grad["mean"] == pytest.approx(tb.grad.numpy().mean())
    assert trace[1].inputs[1].summed_axes == (0,)


def test_trace_prints_aligned_text_html_and_a_dataframe():
    trace = build_founding_model().explain(*_data())
    text = str(trace)
    assert "Forward" in text and "Backward" in text and "y = x @ W^T + b" in text
    header = next(line for line in text.splitlines() if line.startswith("#  layer"))
    rows = [line for line in text.splitlines() if line[:1].isdigit()]
    assert {line.index(" linear ") + 1 for line in rows if " linear " in line[:40]} == {
        header.index(" op ") + 1
    }
    assert (
        "<table>" in trace._repr_html_() and "&lt;" not in trace._repr_html_().split("<table>")[0]
    )
    frame = trace.to_pandas()
    assert set(frame["pass"]) == {"forward", "backward"}
    assert len(frame[frame["pass"] == "forward"]) == 6
    assert {"mean", "std", "min", "max", "zeros", "nan", "inf", "formula", "layer"} <= set(
        frame.columns
    )


def test_big_tensors_are_summarized_not_printed():
    model = gn.Model([gn.Linear(2, 64, rng=0), gn.ReLU()])
    text = str(model.explain(np.ones((2000, 2))))
    assert len(text) < 2000


def test_ops_of_sub_layers_are_named_by_their_path_in_the_model():
    class Block(gn.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = gn.nn.LayerNorm(4)
            self.lin = gn.nn.Linear(4, 4, rng=0)

        def forward(self, x):
            return self.lin(self.norm(x))

    model = gn.Model([Block(), gn.ReLU()])
    trace = model.explain(np.arange(8.0).reshape(2, 4))
    assert [r.layer for r in trace] == ["block_1.norm", "block_1.lin", "relu_1"]
    assert [i.name for i in trace[1].inputs] == ["#0", "block_1.lin.weight", "block_1.lin.bias"]


def test_tracing_lets_the_low_level_explain_name_the_layers():
    net = gn.Sequential(gn.nn.Linear(2, 3, rng=0), gn.ReLU(), gn.nn.Linear(3, 1, rng=1))
    x = gn.Tensor(np.ones((4, 2), dtype=np.float32))
    with gn.diagnostics.tracing(net):
        loss = net(x).mean()
    trace = gn.explain(loss, names=net.named_parameters())
    assert [(r.layer, r.op) for r in trace] == [
        ("0", "linear"),
        ("1", "relu"),
        ("2", "linear"),
        ("", "mean"),
    ]
    assert trace[0].inputs[1].name == "0.weight"
    untraced = gn.explain(net(x).mean())
    assert {r.layer for r in untraced} == {""}
