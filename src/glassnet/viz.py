"""The graph of a computation as Graphviz DOT: ``to_dot(loss)`` or ``to_dot(model)``, and ``render``.

* ``to_dot(tensor)`` draws the ops that computed ``tensor`` (those on its gradient's path), each as
  a box with its output's shape, with parameters (blue) apart from data and constants (grey);
* ``to_dot(model)`` runs one forward pass on a sample of the model's input shape and draws its ops
  grouped by layer (one cluster per layer), the batch axis shown as ``N``;
* ``render(graph, "net.svg")`` writes SVG, PNG or PDF with the Graphviz ``dot`` program, and says
  how to install it when it is missing. ``to_dot`` needs nothing beyond NumPy; the ``viz`` extra
  adds pydot for reading the DOT in Python (``pydot.graph_from_dot_data``).

>>> import glassnet as gn, numpy as np
>>> w = gn.Tensor(np.ones(3), requires_grad=True, name="w")
>>> print(to_dot((w * 2.0).sum()).splitlines()[0])
digraph glassnet {
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from .autograd.function import Function, enable_grad
from .autograd.observe import current_modules, observing
from .autograd.tensor import Tensor, _topological_order
from .diagnostics.trace import layer_name, module_paths

__all__ = ["to_dot", "render", "INSTALL_DOT"]

INSTALL_DOT = (
    'render needs the Graphviz "dot" program, which was not found on PATH. Install Graphviz '
    "(apt install graphviz, brew install graphviz, conda install graphviz, or "
    "https://graphviz.org/download/). to_dot() works without it."
)

_PARAMETER = 'shape=ellipse, style=filled, fillcolor="#cfe2ff"'
_DATA = 'shape=ellipse, style=filled, fillcolor="#e9ecef"'
_OP = 'shape=box, style="rounded,filled", fillcolor="#fff3cd"'


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape: tuple[int, ...], batch: int | None) -> str:
    """``(N, 5)`` with the batch axis as N (when ``batch`` is given and leads), ``(5,)`` as Python."""
    cells = [str(size) for size in shape]
    if batch is not None and shape and shape[0] == batch:
        cells[0] = "N"
    return "(" + ", ".join(cells) + ("," if len(cells) == 1 else "") + ")"


class _Graph:
    """Nodes and edges collected from ops, written out as DOT."""

    def __init__(self, names: dict[int, str], batch: int | None) -> None:
        self.names = names
        self.batch = batch
        self.nodes: dict[str, tuple[str, str, str]] = {}  # id -> (label, style, cluster)
        self.edges: list[tuple[str, str, str]] = []
        self.produced: dict[int, str] = {}  # id(tensor) -> op node id

    def add_op(self, fn: Function, inputs: list[Tensor], out: Tensor, cluster: str) -> None:
        node = f"op{len(self.nodes)}"
        self.nodes[node] = (f"{fn.name}\n{_shape(out.data.shape, self.batch)}", _OP, cluster)
        self.produced[id(out)] = node
        for tensor in inputs:
            source = self.produced.get(id(tensor))
            if source is None:
                source = self._leaf(tensor)
            is_parameter = tensor.requires_grad and tensor.creator is None
            self.edges.append(
                (source, node, _shape(tensor.data.shape, None if is_parameter else self.batch))
            )

    def _leaf(self, tensor: Tensor) -> str:
        node = f"t{id(tensor)}"
        if node not in self.nodes:
            is_parameter = tensor.requires_grad and tensor.creator is None
            name = (
                self.names.get(id(tensor)) or tensor.name or ("param" if is_parameter else "const")
            )
            shape = _shape(tensor.data.shape, None if is_parameter else self.batch)
            if tensor.data.size == 1 and not is_parameter and name == "const":
                name = f"{tensor.data.reshape(-1)[0]:.4g}"
            self.nodes[node] = (f"{name}\n{shape}", _PARAMETER if is_parameter else _DATA, "")
        return node

    def dot(self) -> str:
        lines = [
            "digraph glassnet {",
            "  rankdir=TB;",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=8];',
        ]
        clusters: dict[str, list[str]] = {}
        for node, (label, style, cluster) in self.nodes.items():
            clusters.setdefault(cluster, []).append(f"    {node} [label={_quote(label)}, {style}];")
        for index, (cluster, members) in enumerate(clusters.items()):
            if cluster:
                lines += [
                    f"  subgraph cluster_{index} {{",
                    f"    label={_quote(cluster)};",
                    "    style=dashed;",
                ]
                lines += members + ["  }"]
            else:
                lines += [member[2:] for member in members]
        lines += [f"  {a} -> {b} [label={_quote(label)}];" for a, b, label in self.edges]
        lines.append("}")
        return "\n".join(lines)


def to_dot(source: Any, names: dict[str, Tensor] | None = None) -> str:
    """Graphviz DOT of a computation: a Tensor's graph, or a Model's (or Module's) forward pass.

    Args:
        source: a tensor computed by ops (its graph back to the leaves), or a model whose input
            shape is known (``model.input_shape``).
        names: names for tensors of a tensor's graph (``{"x": x}``; a model names its parameters).
    """
    if isinstance(source, Tensor):
        given = {id(t): name for name, t in (names or {}).items()}
        graph = _Graph(given, None)
        if source.creator is not None:
            order = _topological_order(source.creator)
            outputs = {id(source.creator): source}
            for fn in order:
                for tensor in fn.inputs:
                    if tensor.creator is not None:
                        outputs[id(tensor.creator)] = tensor
            for fn in order:
                graph.add_op(fn, list(fn.inputs), outputs[id(fn)], "")
        return graph.dot()
    return _model_dot(source)


def _model_dot(model: Any) -> str:
    sample = getattr(model, "input_shape", None)
    if sample is None:
        raise ValueError(
            f"to_dot: the input shape of {type(model).__name__} is unknown; build it first "
            "(model.build((None, features)), an Input layer, or fit/predict once)."
        )
    names = {id(p): name for name, p in model.named_parameters()}
    batch = 1
    x = Tensor._from_op(np.zeros((batch, *sample), dtype=model.dtype), None)
    names[id(x)] = "x"
    graph = _Graph(names, batch)

    paths = module_paths(model)

    def watch(fn: Function, inputs: list, out: Tensor) -> None:
        path = current_modules()
        graph.add_op(fn, inputs, out, layer_name(path[0], paths) if path else "")

    with model.mode(training=False), enable_grad(), observing(watch):
        layers = getattr(model, "layers", None)
        if layers is None:
            model(x)
        else:
            for layer in layers:
                x = layer(x)
    return graph.dot()


def render(source: Any, path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """Write the graph of ``source`` (DOT text, a Tensor or a Model) to ``path`` as SVG, PNG or PDF
    (from the file's extension unless ``fmt``), with Graphviz's ``dot``; returns the path.

    Raises:
        RuntimeError: the ``dot`` program is not installed (the message says how to install it).
    """
    from .io.atomic import atomic_write

    text = source if isinstance(source, str) else to_dot(source)
    path = os.fspath(path)
    fmt = (fmt or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(INSTALL_DOT)
    with tempfile.TemporaryDirectory() as folder:
        produced = os.path.join(folder, f"graph.{fmt}")
        subprocess.run(
            [program, f"-T{fmt}", "-o", produced],
            input=text.encode(),
            check=True,
            capture_output=True,
        )
        with open(produced, "rb") as file:
            data = file.read()
    atomic_write(path, lambda file: file.write(data))
    return path
