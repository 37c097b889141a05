"""model.diagnose(x, y): dead units, saturation, gradient ratios and the loss, with plain advice.

One forward pass over the data (eval mode) watches every activation layer (the protocol of
``glassnet.diagnostics.health``); one backward pass of the training loss gives each layer's gradient
and weight norms. Nothing in the model changes (``.grad`` is put back). Rules that apply become
findings: a sentence that says what is wrong, why it happens and what to try.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd.function import enable_grad, no_grad
from ..autograd.tensor import Tensor
from .health import (
    EXPLODING_RATIO,
    VANISHING_RATIO,
    UnitTally,
    activation_layers,
    norm,
    parameter_layers,
)

__all__ = ["Diagnosis", "LayerReport", "diagnose"]

MOSTLY = 0.5  # a layer with more than half its units dead, or outputs saturated, is worth a finding


@dataclass
class LayerReport:
    """What diagnose found for one layer (an activation layer, a layer with parameters, or both)."""

    name: str
    kind: str  # "relu", "sigmoid", "tanh", or "" for a layer with parameters only
    units: int = 0
    dead: int = 0
    saturated: float = float("nan")
    grad_norm: float = float("nan")
    weight_norm: float = float("nan")
    step_ratio: float = float(
        "nan"
    )  # lr * ||grad|| / ||weights||: the size of one SGD step, relative

    def cells(self) -> list[str]:
        dead = f"{self.dead} of {self.units}" if self.kind == "relu" else ""
        saturated = f"{100 * self.saturated:.0f}%" if self.kind in ("sigmoid", "tanh") else ""
        numbers = [_g(self.grad_norm), _g(self.weight_norm), _g(self.step_ratio)]
        return [self.name, self.kind or "-", dead, saturated, *numbers]


def _g(value: float) -> str:
    return "" if value != value else f"{value:.3g}"


@dataclass
class Diagnosis:
    """The report of ``model.diagnose``: per-layer figures and findings. Prints as text, shows as
    HTML in Jupyter; ``findings`` are the advice sentences."""

    samples: int
    loss: float | None
    output_std: float
    layers: list[LayerReport]
    findings: list[str] = field(default_factory=list)
    lr: float | None = None

    HEADER = (
        "layer",
        "activation",
        "dead units",
        "saturated",
        "grad norm",
        "weight norm",
        "lr*grad/weight",
    )

    @property
    def healthy(self) -> bool:
        """True when no rule found a problem."""
        return not self.findings

    def layer(self, name: str) -> LayerReport:
        """The report of the layer called ``name``."""
        for report in self.layers:
            if report.name == name:
                return report
        raise KeyError(
            f"no layer {name!r} in this diagnosis; layers: {[r.name for r in self.layers]}"
        )

    def to_text(self) -> str:
        rows = [list(self.HEADER)] + [r.cells() for r in self.layers]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [self._headline(), ""]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        lines.append("")
        lines += [f"- {finding}" for finding in self.findings] or ["No problem found."]
        return "\n".join(lines)

    def _headline(self) -> str:
        loss = "" if self.loss is None else f", loss {self.loss:.4g}"
        return f"Diagnosis on {self.samples} samples{loss}, output std across samples {self.output_std:.3g}"

    def __str__(self) -> str:
        return self.to_text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r.cells()) + "</tr>"
            for r in self.layers
        )
        items = (
            "".join(f"<li>{html.escape(f)}</li>" for f in self.findings)
            or "<li>No problem found.</li>"
        )
        return (
            f"<p><b>{html.escape(self._headline())}</b></p><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><ul>{items}</ul>"
        )


def diagnose(
    model: Any, x: Any, y: Any = None, loss: Any = None, batch_size: int = 10000
) -> Diagnosis:
    """``Model.diagnose``; see the module docstring."""
    from .. import losses as losses_module

    features = model._features(x)
    reports: dict[str, LayerReport] = {}
    tallies = []
    handles = []
    for name, module, kind in activation_layers(model):
        tally = UnitTally(kind, getattr(module, "unit_axis", None))
        tallies.append((name, tally))
        handles.append(
            module.register_forward_hook(lambda m, args, out, tally=tally: tally.add(out.data))
        )
    try:
        with model.mode(training=False), no_grad():
            outputs = [
                model.forward(Tensor._from_op(features[i : i + batch_size], None)).data
                for i in range(0, len(features), batch_size)
            ]
    finally:
        for handle in handles:
            handle.remove()
    output = np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
    for name, tally in tallies:
        reports[name] = LayerReport(
            name, tally.kind, tally.units, tally.dead, tally.saturated_fraction
        )
    loss_value = None
    lr = _learning_rate(model)
    if y is not None:
        loss_fn = losses_module.get(
            loss if loss is not None else (model.compiled_loss or "binary_crossentropy")
        )
        loss_value = _gradients(model, features, y, loss_fn, reports, lr, batch_size)
    order = [name for name, _ in parameter_layers(model)] + [name for name, _ in tallies]
    layers = sorted(reports.values(), key=lambda r: _position(model, r.name, order))
    diagnosis = Diagnosis(
        len(features),
        loss_value,
        float(output.std(axis=0).max()) if output.size else 0.0,
        layers,
        lr=lr,
    )
    diagnosis.findings = _findings(model, diagnosis)
    return diagnosis


def _position(model: Any, name: str, fallback: list[str]) -> tuple[int, int]:
    names = [layer.name for layer in getattr(model, "layers", [])]
    return (names.index(name), 0) if name in names else (len(names), fallback.index(name))


def _learning_rate(model: Any) -> float:
    optimizer = getattr(model, "optimizer", None)
    lr = getattr(optimizer, "lr", None) if optimizer is not None else None
    return float(lr) if isinstance(lr, (int, float)) else 0.05  # model.train's default


def _gradients(
    model: Any,
    features: np.ndarray,
    y: Any,
    loss_fn: Any,
    reports: dict[str, LayerReport],
    lr: float,
    batch_size: int,
) -> float:
    """One backward pass of the training loss on all the data; fills the reports' norms."""
    targets = model._targets(y, len(features), loss_fn, "y")
    forward, loss_on_output = model._training_forward(loss_fn)
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        for param, _ in saved:
            param.grad = None
        total = 0.0
        with model.mode(training=False), enable_grad():
            # In chunks, each weighted by its share of the samples: the gradient of the mean loss
            # over all the data, without holding the whole data's graph at once.
            for start in range(0, len(features), batch_size):
                part = slice(start, start + batch_size)
                _, loss_tensor = model._forward_loss(
                    forward,
                    loss_on_output,
                    Tensor._from_op(features[part], None),
                    Tensor._from_op(targets[part], None),
                )
                share = len(features[part]) / len(features)
                total += float(loss_tensor.data) * share
                if loss_tensor.requires_grad:
                    (loss_tensor * share).backward()
        for name, params in parameter_layers(model):
            report = reports.setdefault(name, LayerReport(name, ""))
            grads = [p.grad if p.grad is not None else np.zeros_like(p.data) for p in params]
            report.grad_norm = norm(grads)
            report.weight_norm = norm([p.data for p in params])
            report.step_ratio = (
                lr * report.grad_norm / report.weight_norm
                if report.weight_norm > 0
                else float("nan")
            )
        return total
    finally:
        for param, grad in saved:
            param.grad = grad


def _feeding_layer(model: Any, name: str) -> str:
    """``"linear_2 (5 -> 2) -> relu_2"``: the activation with the layer before it, when there is one."""
    layers = getattr(model, "layers", [])
    names = [layer.name for layer in layers]
    if name not in names:
        return name
    here = layers[names.index(name)]
    if getattr(here, "units", None) and getattr(
        here, "in_features", None
    ):  # Dense(..., activation=...)
        return f"{name} ({here.in_features} -> {here.units}, {here.activation})"
    if names.index(name) == 0:
        return name
    before = layers[names.index(name) - 1]
    sizes = ""
    if getattr(before, "in_features", None) and getattr(
        before, "out_features", getattr(before, "units", None)
    ):
        sizes = f" ({before.in_features} -> {getattr(before, 'out_features', getattr(before, 'units', None))})"
    return f"{before.name}{sizes} -> {name}"


def _findings(model: Any, diagnosis: Diagnosis) -> list[str]:
    findings = []
    constant = diagnosis.output_std < 1e-6
    for report in diagnosis.layers:
        where = _feeding_layer(model, report.name)
        if report.kind == "relu" and report.units and report.dead == report.units:
            consequence = (
                "the model's output no longer depends on its input"
                if constant
                else "nothing passes this layer"
            )
            findings.append(
                f"{where}: {report.dead} of {report.units} units dead on all {diagnosis.samples} samples; "
                f"{consequence}. Causes: every unit's input is negative for every sample (an unlucky "
                "initialization, or a step too large pushed the weights there), and a dead ReLU passes no "
                "gradient, so it cannot recover. Try: glassnet's default initialization (He-uniform, zero "
                "output layer), a smaller learning rate, LeakyReLU, or a wider layer."
            )
        elif report.kind == "relu" and report.units and report.dead / report.units > MOSTLY:
            findings.append(
                f"{where}: {report.dead} of {report.units} units dead on all {diagnosis.samples} samples. "
                "Causes: large steps or biases drifting negative. Try: a smaller learning rate, LeakyReLU, "
                "or He initialization."
            )
        if report.kind in ("sigmoid", "tanh") and report.saturated > MOSTLY:
            findings.append(
                f"{where}: {100 * report.saturated:.0f}% of outputs saturated (gradient below 1% of its "
                "peak). Causes: large pre-activations (unscaled inputs, large weights). Try: standardize the "
                "inputs, Glorot initialization, normalization layers, or ReLU in hidden layers."
            )
        if report.step_ratio == report.step_ratio and report.grad_norm > 0:
            if report.step_ratio < VANISHING_RATIO:
                findings.append(
                    f"{report.name}: a gradient step would change its weights by {report.step_ratio:.2g} of their "
                    f"norm (below {VANISHING_RATIO:g}): vanishing gradients. Try: ReLU-family activations, "
                    "He initialization, normalization layers, or a larger learning rate."
                )
            elif report.step_ratio > EXPLODING_RATIO:
                findings.append(
                    f"{report.name}: a gradient step would change its weights by {report.step_ratio:.2g} of their "
                    f"norm (above {EXPLODING_RATIO:g}): exploding updates. Try: a smaller learning rate, "
                    "gradient clipping (compile(clipnorm=1.0)), or normalization layers."
                )
        if report.kind == "" and report.grad_norm == 0 and not constant:
            findings.append(
                f"{report.name}: its gradient is exactly zero on this data: it does not learn."
            )
    if constant and not any("no longer depends" in f for f in findings):
        findings.append(
            f"The output is the same for all {diagnosis.samples} samples (std {diagnosis.output_std:.2g}): the model "
            "predicts a constant. Look for dead or saturated layers above."
        )
    return findings
