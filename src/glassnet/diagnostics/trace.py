"""explain: every op of one forward and backward pass, with its formula, layer, shapes and statistics.

``model.explain(x, y)`` and ``glassnet.explain(loss)`` return a :class:`Trace`: one
:class:`OpRecord` per op in the order it ran, each with the formula from the op's docstring, the
layer it belongs to, its inputs (parameters by name), its output's shape, dtype and statistics, and,
after the backward pass, the rule applied, the upstream gradient's statistics, each input gradient's
statistics and the axes over which broadcasting was summed away. A Trace prints as aligned text,
renders as an HTML table in Jupyter and becomes a DataFrame with :meth:`Trace.to_pandas`.
Statistics summarize big tensors; no array is printed whole.
"""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.observe import array_stats, backward_watch, current_modules, observing
from ..autograd.tensor import Tensor, _topological_order

__all__ = ["Trace", "OpRecord", "InputRecord", "explain", "tracing", "op_formulas", "trace_ops"]

STAT_KEYS = ("mean", "std", "min", "max", "zeros", "nan", "inf")


@functools.cache
def op_formulas(op_class: type) -> tuple[str, str]:
    """The ``forward:`` and ``backward:`` lines of an op's docstring (continuation lines joined)."""
    found = {"forward": [], "backward": []}
    current = None
    for line in (op_class.__doc__ or "").splitlines():
        stripped = line.strip()
        key = stripped.split(":", 1)[0].strip().lower()
        if key in found and ":" in stripped:
            current = key
            found[key].append(stripped.split(":", 1)[1].strip())
        elif current is not None and stripped and not _starts_section(stripped):
            found[current].append(stripped)
        else:
            current = None
    return " ".join(found["forward"]), " ".join(found["backward"])


def _starts_section(line: str) -> bool:
    head = line.split(":", 1)[0].strip().lower()
    return ":" in line and head.isidentifier() and len(head) < 20


def summed_axes(input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output axes over which an input broadcast to the output's shape was copied, so its
    gradient sums over them (``unbroadcast``); empty when the input did not broadcast."""
    if input_shape == output_shape or len(input_shape) > len(output_shape):
        return ()
    try:
        if np.broadcast_shapes(input_shape, output_shape) != output_shape:
            return ()
    except ValueError:
        return ()
    extra = len(output_shape) - len(input_shape)
    return tuple(range(extra)) + tuple(
        extra + i
        for i, size in enumerate(input_shape)
        if size == 1 and output_shape[extra + i] != 1
    )


@dataclass
class InputRecord:
    """One input of an op: its name (a parameter's dotted name, ``x``, ``#3`` for op 3's output,
    ``const``), shape and dtype, and after backward its gradient's statistics."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    is_parameter: bool = False
    needs_grad: bool = False
    grad: dict[str, float] | None = None
    summed_axes: tuple[int, ...] = ()


@dataclass
class OpRecord:
    """One op of the pass (see the module docstring)."""

    index: int
    op: str
    layer: str
    formula: str
    rule: str
    inputs: list[InputRecord]
    shape: tuple[int, ...]
    dtype: str
    stats: dict[str, float]
    grad_output: dict[str, float] | None = None  # statistics of dy, after backward
    backward_position: int | None = None  # the order in which backward reached it

    @property
    def differentiable(self) -> bool:
        return any(i.needs_grad for i in self.inputs)


@dataclass
class Trace:
    """The ops of one pass; print it, show it in Jupyter, or ``to_pandas()`` it.

    Attributes:
        records: one :class:`OpRecord` per op, in the order the forward pass applied them.
        loss: the loss's value when the pass had one.
        output: the model's output array (``model.explain``).
    """

    records: list[OpRecord]
    loss: float | None = None
    output: np.ndarray | None = None
    title: str = "Trace"
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Any:
        return iter(self.records)

    def __getitem__(self, index: int) -> OpRecord:
        return self.records[index]

    @property
    def backward_records(self) -> list[OpRecord]:
        """The ops backward went through, in the order it did (outputs before inputs)."""
        reached = [r for r in self.records if r.backward_position is not None]
        return sorted(reached, key=lambda r: r.backward_position)

    def find(self, op: str | None = None, layer: str | None = None) -> list[OpRecord]:
        """The records of an op name and/or a layer."""
        return [
            r
            for r in self.records
            if (op is None or r.op == op) and (layer is None or r.layer == layer)
        ]

    # ------------------------------------------------------------- text
    def forward_rows(self) -> list[list[str]]:
        rows = [
            [
                "#",
                "layer",
                "op",
                "inputs",
                "output",
                "mean",
                "std",
                "min",
                "max",
                "zeros",
                "NaN/Inf",
            ]
        ]
        for r in self.records:
            inputs = ", ".join(f"{i.name} {_shape(i.shape)}" for i in r.inputs)
            rows.append(
                [
                    str(r.index),
                    r.layer or "-",
                    r.op,
                    inputs,
                    f"{_shape(r.shape)} {r.dtype}",
                    *_stat_cells(r.stats),
                ]
            )
        return rows

    def backward_rows(self) -> list[list[str]]:
        rows = [
            [
                "#",
                "layer",
                "op",
                "gradient of",
                "mean",
                "std",
                "min",
                "max",
                "zeros",
                "NaN/Inf",
                "summed over",
            ]
        ]
        for r in self.backward_records:
            for i in r.inputs:
                if i.grad is None:
                    continue
                summed = "axes " + ",".join(map(str, i.summed_axes)) if i.summed_axes else ""
                rows.append(
                    [
                        str(r.index),
                        r.layer or "-",
                        r.op,
                        f"{i.name} {_shape(i.shape)}",
                        *_stat_cells(i.grad),
                        summed,
                    ]
                )
        return rows

    def to_text(self, formulas: bool = True) -> str:
        """The trace as aligned text: the forward table, then the backward table; with
        ``formulas``, each op's formula (and backward rule) below its row."""
        lines = [self._headline(), "", "Forward (in the order the ops ran)"]
        lines += _aligned(
            self.forward_rows(), [r.formula for r in self.records] if formulas else None, "    "
        )
        if self.backward_records:
            lines += ["", "Backward (gradients of the loss; the order backward ran)"]
            rules = []
            for r in self.backward_records:
                count = sum(i.grad is not None for i in r.inputs)
                rules += [r.rule] + [""] * (count - 1) if count else []
            lines += _aligned(self.backward_rows(), rules if formulas else None, "    rule: ")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _headline(self) -> str:
        text = f"{self.title}: {len(self.records)} ops forward"
        if self.backward_records:
            text += f", {len(self.backward_records)} backward"
        if self.loss is not None:
            text += f"; loss {self.loss:.6g}"
        return text

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    # ------------------------------------------------------------- notebook and pandas
    def _repr_html_(self) -> str:
        parts = [
            f"<p><b>{html.escape(self._headline())}</b></p>",
            "<p>Forward</p>",
            _html_table(self.forward_rows(), [r.formula for r in self.records]),
        ]
        if self.backward_records:
            rules = []
            for r in self.backward_records:
                rules += [r.rule] * sum(i.grad is not None for i in r.inputs)
            parts += ["<p>Backward</p>", _html_table(self.backward_rows(), rules)]
        return "\n".join(parts)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per forward op and per input gradient (``pass`` says which), as plain values."""
        rows: list[dict[str, Any]] = []
        for r in self.records:
            rows.append(
                {
                    "pass": "forward",
                    "index": r.index,
                    "layer": r.layer,
                    "op": r.op,
                    "formula": r.formula,
                    "inputs": ", ".join(i.name for i in r.inputs),
                    "input_shapes": [i.shape for i in r.inputs],
                    "shape": r.shape,
                    "dtype": r.dtype,
                    "summed_axes": (),
                    **r.stats,
                }
            )
        for r in self.backward_records:
            for i in r.inputs:
                if i.grad is not None:
                    rows.append(
                        {
                            "pass": "backward",
                            "index": r.index,
                            "layer": r.layer,
                            "op": r.op,
                            "formula": r.rule,
                            "inputs": i.name,
                            "input_shapes": [i.shape],
                            "shape": i.shape,
                            "dtype": i.dtype,
                            "summed_axes": i.summed_axes,
                            **i.grad,
                        }
                    )
        return rows

    def to_pandas(self) -> Any:
        """A DataFrame of :meth:`to_records` (needs pandas, the ``data`` extra)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError('Trace.to_pandas needs pandas: pip install "glassnet[data]"') from exc
        return pd.DataFrame(self.to_records())


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ",".join(map(str, shape)) + ")"


def _stat_cells(stats: dict[str, float]) -> list[str]:
    bad = stats["nan"] + stats["inf"]
    return [f"{stats[k]:.4g}" for k in ("mean", "std", "min", "max")] + [
        f"{100 * stats['zeros']:.0f}%",
        f"{stats['nan']}/{stats['inf']}" if bad else "0",
    ]


def _aligned(rows: list[list[str]], notes: list[str] | None, prefix: str) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = {
        i
        for i, head in enumerate(rows[0])
        if head in ("#", "mean", "std", "min", "max", "zeros", "NaN/Inf")
    }
    out = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        ]
        out.append("  ".join(cells).rstrip())
        if notes is not None and n > 0 and notes[n - 1]:
            out.append(prefix + notes[n - 1])
    return out


def _html_table(rows: list[list[str]], notes: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0]) + "<th>formula</th>"
    body = []
    for row, note in zip(rows[1:], notes):
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in row)
        body.append(f"<tr>{cells}<td><code>{html.escape(note)}</code></td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ----------------------------------------------------------------- building a trace
class _Builder:
    """Turns observed ops into records and watches their backward."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = dict(names)  # id(tensor) -> name (parameters, x, y)
        self.records: list[OpRecord] = []
        self.by_op: dict[int, OpRecord] = {}
        self.ops: list[Function] = []
        self.backward_count = 0
        self.stops: list[Any] = []

    def name_of(self, tensor: Tensor) -> str:
        name = self.names.get(id(tensor))
        if name is not None:
            return name
        if tensor.name:
            return tensor.name
        return "param" if tensor.requires_grad and tensor.creator is None else "const"

    def add(self, fn: Function, tensors: Iterable[Tensor], out: Tensor, layer: str) -> None:
        forward, rule = op_formulas(type(fn))
        inputs = []
        needs = fn.needs_grad if fn.needs_grad else ()
        for position, tensor in enumerate(tensors):
            data = tensor.data
            inputs.append(
                InputRecord(
                    self.name_of(tensor),
                    data.shape,
                    str(data.dtype),
                    is_parameter=tensor.creator is None and tensor.requires_grad,
                    needs_grad=bool(needs[position]) if position < len(needs) else False,
                    summed_axes=summed_axes(data.shape, out.data.shape),
                )
            )
        record = OpRecord(
            len(self.records),
            fn.name,
            layer,
            forward,
            rule,
            inputs,
            out.data.shape,
            str(out.data.dtype),
            array_stats(out.data),
        )
        self.records.append(record)
        self.names[id(out)] = f"#{record.index}"
        if out.creator is fn:
            self.by_op[id(fn)] = record
            self.ops.append(fn)
            self.stops.append(backward_watch(fn, self.watch_backward))

    def watch_backward(self, fn: Function, dy: np.ndarray, grads: Any) -> None:
        record = self.by_op.get(id(fn))
        if record is None:
            return
        record.backward_position = self.backward_count
        self.backward_count += 1
        record.grad_output = array_stats(dy)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for item, grad, needed in zip(record.inputs, grads, fn.needs_grad):
            if needed and grad is not None:
                item.grad = array_stats(np.asarray(grad))

    def stop(self) -> None:
        for stop in self.stops:
            stop()
        self.stops = []


def layer_name(item: Any, module_names: dict[int, str]) -> str:
    """A scope's name: a module's dotted path in the model (``transformerencoderlayer_1.norm1``),
    else its display name; a scope given as a string is its own name."""
    if isinstance(item, str):
        return item
    return module_names.get(id(item)) or item.display_name


def module_paths(model: Any) -> dict[int, str]:
    """id(module) -> its name in ``model``: a layer's own name, a sub-layer's dotted path under it."""
    return {id(module): (module.name or path) for path, module in model.named_modules() if path}


def trace_ops(
    names: dict[int, str] | None = None, module_names: dict[int, str] | None = None
) -> Any:
    """Context manager yielding a builder that records every op applied inside (for ``Model.explain``)."""
    return _TraceContext(names or {}, module_names or {})


class _TraceContext:
    def __init__(self, names: dict[int, str], module_names: dict[int, str]) -> None:
        self.builder = _Builder(names)
        self.module_names = module_names
        self._observing = observing(self._watch)

    def _watch(self, fn: Function, tensors: list, out: Tensor) -> None:
        path = current_modules()
        self.builder.add(fn, tensors, out, layer_name(path[-1], self.module_names) if path else "")

    def __enter__(self) -> _Builder:
        self._observing.__enter__()
        return self.builder

    def __exit__(self, *exc: Any) -> None:
        self._observing.__exit__(*exc)


def explain(
    loss: Tensor,
    backward: bool = True,
    names: dict[str, Tensor] | Iterable[tuple[str, Tensor]] = (),
) -> Trace:
    """The ops that computed ``loss`` (those on its gradient's path), then its backward pass.

    Args:
        loss: a tensor computed by ops from tensors that require grad (a scalar, for backward).
        backward: run ``loss.backward()`` and record each op's gradients; it adds to the leaves'
            ``.grad`` as ``loss.backward()`` does (use ``model.explain`` for a pass that changes nothing).
        names: names for tensors (``model.named_parameters()``, ``{"x": x}``) shown instead of ``param``.

    The layer of each op is known when the forward pass ran inside :func:`tracing`.

    >>> import glassnet as gn, numpy as np
    >>> w = gn.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    >>> trace = gn.explain((w * 3.0).relu().sum(), names={"w": w})
    >>> [r.op for r in trace], trace[2].inputs[0].grad["mean"]
    (['mul', 'relu', 'sum'], 1.0)
    """
    pairs = names.items() if isinstance(names, dict) else names
    builder = _Builder({id(t): name for name, t in pairs})
    if loss.creator is not None:
        order = _topological_order(loss.creator)
        outputs = {id(loss.creator): loss}
        for fn in order:
            for tensor in fn.inputs:
                if tensor.creator is not None:
                    outputs[id(tensor.creator)] = tensor
        for fn in order:
            builder.add(fn, fn.inputs, outputs[id(fn)], getattr(fn, "_layer", ""))
    trace = Trace(builder.records, title="explain")
    if backward and loss.requires_grad:
        try:
            loss.backward()
        finally:
            builder.stop()
    else:
        builder.stop()
    if loss.data.size == 1:
        trace.loss = float(loss.data)
    return trace


@contextlib.contextmanager
def tracing(module: Any = None) -> Iterator[None]:
    """Remember, for each op applied inside, the layer it belongs to, so that :func:`explain` of a
    loss computed here names it (for the low-level API; ``Model.explain`` does this itself).

    Args:
        module: the model the layers belong to; they are then named by their dotted path in it
            (``0``, ``encoder.norm1``), else by their own names.

    >>> import glassnet as gn, numpy as np
    >>> net = gn.Sequential(gn.Linear(2, 3, rng=0), gn.ReLU())
    >>> with gn.diagnostics.tracing(net):
    ...     loss = net(gn.Tensor(np.ones((4, 2), dtype=np.float32))).sum()
    >>> [(r.layer, r.op) for r in gn.explain(loss)]
    [('0', 'linear'), ('1', 'relu'), ('', 'sum')]
    """
    paths = module_paths(module) if module is not None else {}

    def watch(fn: Function, tensors: list, out: Tensor) -> None:
        path = current_modules()
        if path and out.creator is fn:
            fn._layer = layer_name(path[-1], paths)  # type: ignore[attr-defined]

    with observing(watch):
        yield


def explain_model(
    model: Any, x: Any, y: Any = None, loss: Any = None, training: bool = False
) -> Trace:
    """``Model.explain``: one forward (and, given ``y``, backward) pass of ``model`` on ``x``, traced.

    The pass is the one training runs (a final Sigmoid or Softmax fused into the loss on logits,
    the layers' weight penalties added), in eval mode unless ``training``. It changes nothing: no
    weight, no running statistic (unless ``training``), and every parameter's ``.grad`` is put back.
    """
    from .. import losses as losses_module
    from ..autograd.function import enable_grad
    from ..autograd.observe import scope

    features = model._features(x)
    x_tensor = Tensor._from_op(features, None)
    names = {id(p): name for name, p in model.named_parameters()}
    names[id(x_tensor)] = "x"
    loss_fn = None
    if y is not None:
        loss_fn = losses_module.get(
            loss if loss is not None else (model.compiled_loss or "binary_crossentropy")
        )
    forward, loss_on_output = (
        model._training_forward(loss_fn) if loss_fn is not None else (model.forward, None)
    )
    saved_grads = [(p, p.grad) for p in model.parameters()]
    for param, _ in saved_grads:
        param.grad = None
    try:
        with (
            model.mode(training=training),
            enable_grad(),
            trace_ops(names, module_paths(model)) as builder,
        ):
            output = _scoped_forward(model, forward, x_tensor, scope)
            loss_tensor = None
            if loss_fn is not None:
                targets = model._targets(y, len(features), loss_fn, "y")
                y_tensor = Tensor._from_op(targets, None)
                builder.names[id(y_tensor)] = "y"
                fused = forward != model.forward
                label = f"{model.layers[-1].display_name} + loss" if fused else "loss"
                with scope(label):
                    loss_tensor = model._with_penalties(loss_on_output.compute(output, y_tensor))
        trace = Trace(builder.records, output=output.data, title=f"{model.name or 'model'}.explain")
        if loss_tensor is not None:
            trace.loss = float(loss_tensor.data)
            if fused:
                trace.notes.append(
                    f"{model.layers[-1].display_name} is fused into {loss_fn.name} on logits, "
                    "as training runs it (the same gradients, without log(0))."
                )
            if loss_tensor.requires_grad:
                loss_tensor.backward()
    finally:
        builder.stop()
        for param, grad in saved_grads:
            param.grad = grad
    return trace


def _scoped_forward(model: Any, forward: Any, x: Tensor, scope: Any) -> Tensor:
    """``forward(x)``, with the last layer's ops named after it when training skips its ``__call__``
    (the fused path calls its ``pre_activation``)."""
    if forward == model.forward:
        return forward(x)
    *body, last = model.layers
    for layer in body:
        x = layer(x)
    with scope(last.display_name):
        return last.pre_activation(x) if hasattr(last, "pre_activation") else x
