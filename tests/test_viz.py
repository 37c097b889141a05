"""glassnet.viz: DOT of a tensor's graph and of a model's forward pass, parsed with pydot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import viz
from glassnet.demo import build_founding_model

pydot = pytest.importorskip("pydot")
# pydot 4 calls pyparsing's old names, which newer pyparsing deprecates (not glassnet's to fix).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _parse(text: str):
    (graph,) = pydot.graph_from_dot_data(text)
    return graph


def _labels(graph) -> list[str]:
    nodes = list(graph.get_nodes())
    for sub in graph.get_subgraphs():
        nodes += sub.get_nodes()
    return [n.get_label().strip('"') for n in nodes if n.get_label()]


def test_dot_of_a_loss_shows_ops_with_shapes_and_parameters_apart():
    w = gn.Tensor(np.ones((3, 2)), requires_grad=True)
    x = gn.Tensor(np.ones((4, 3)))
    loss = (x @ w).relu().mean()
    graph = _parse(viz.to_dot(loss, names={"w": w, "x": x}))
    labels = _labels(graph)
    assert "matmul\\n(4, 2)" in labels and "relu\\n(4, 2)" in labels and "mean\\n()" in labels
    assert "w\\n(3, 2)" in labels and "x\\n(4, 3)" in labels
    styles = {
        n.get_label().strip('"').split("\\n")[0]: n.get("fillcolor")
        for n in graph.get_nodes()
        if n.get_label()
    }
    assert styles["w"] != styles["x"]  # parameters apart from data
    assert len(graph.get_edges()) == 4


def test_dot_of_a_model_groups_ops_by_layer_with_the_batch_axis_as_n():
    graph = _parse(viz.to_dot(build_founding_model()))
    clusters = [sub.get_label().strip('"') for sub in graph.get_subgraphs()]
    assert clusters == ["linear_1", "relu_1", "linear_2", "relu_2", "linear_3", "sigmoid_1"]
    labels = _labels(graph)
    assert (
        "linear\\n(N, 5)" in labels
        and "linear_1.weight\\n(5, 2)" in labels
        and "x\\n(N, 2)" in labels
    )
    assert "linear_3.bias\\n(1,)" in labels  # a parameter's size 1 is not the batch
    edges = {e.get_label().strip('"') for e in graph.get_edges()}
    assert "(1, 2)" in edges and "(N, 1)" in edges


def test_dot_of_a_model_needs_its_input_shape():
    with pytest.raises(ValueError, match="input shape"):
        viz.to_dot(gn.Model([gn.Dense(3)]))


def test_render_says_how_to_install_dot_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt install graphviz"):
        viz.render(build_founding_model(), tmp_path / "net.svg")


@pytest.mark.skipif(viz.shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_render_writes_svg(tmp_path):
    path = viz.render(build_founding_model(), tmp_path / "net.svg")
    assert Path(path).read_text().lstrip().startswith("<?xml")
