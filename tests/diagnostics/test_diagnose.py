"""model.diagnose: the dead 2-unit ReLU layer of the founding network, saturation, advice."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _circles(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (np.hypot(x[:, 0], x[:, 1]) < 1.1).astype(np.float32)


def _founding() -> gn.Model:
    return gn.Model(
        [
            gn.Linear(2, 5, rng=0),
            gn.ReLU(5),
            gn.Linear(5, 2, rng=1),
            gn.ReLU(2),
            gn.Linear(2, 1, rng=2),
            gn.Sigmoid(1),
        ]
    )


def test_diagnose_finds_the_dead_layer_and_says_what_to_do():
    model = _founding()
    model.layers[2].bias.data[:] = -100.0
    x, y = _circles()
    weights = [p.data.copy() for p in model.parameters()]
    report = model.diagnose(x, y)
    assert report.layer("relu_2").dead == 2 and report.layer("relu_2").units == 2
    assert report.layer("linear_1").grad_norm == 0.0
    assert report.output_std < 1e-6 and not report.healthy
    assert report.findings[0].startswith(
        "linear_2 (5 -> 2) -> relu_2: 2 of 2 units dead on all 500 samples; the model's output no longer "
        "depends on its input. Causes:"
    )
    assert "Try:" in report.findings[0]
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))
    assert all(p.grad is None for p in model.parameters())
    text = str(report)
    assert "relu_2     relu        2 of 2" in text and "<li>" in report._repr_html_()


def test_diagnose_a_healthy_model_finds_nothing():
    model = _founding()
    x, y = _circles()
    model.train(x, y, epochs=30, learning_rate=0.1, seed=0)
    report = model.diagnose(x, y)
    assert report.healthy and "No problem found." in str(report)
    assert report.loss == pytest.approx(model.loss[-1], rel=0.05)


def test_diagnose_flags_saturated_tanh_and_exploding_steps():
    x, y = _circles()
    model = gn.Model(
        [
            gn.Dense(8, activation="tanh", input_shape=(2,), rng=0),
            gn.Dense(1, activation="sigmoid", rng=1),
        ]
    )
    model.compile(gn.optim.SGD(lr=1e4), "binary_crossentropy")
    report = model.diagnose(x * 1000, y)
    assert report.layer("dense_1").saturated > 0.9
    assert any(
        f.startswith("dense_1 (2 -> 8, tanh): ") and "saturated" in f for f in report.findings
    )
    assert any("exploding updates" in f for f in report.findings)


def test_diagnose_without_targets_reports_activations_only():
    report = _founding().diagnose(_circles()[0])
    assert report.loss is None and report.layer("relu_1").units == 5


def test_units_are_output_elements_in_any_layout_or_grouped_by_a_declared_axis():
    from glassnet.diagnostics.health import UnitTally

    out = np.zeros((3, 2, 4), dtype=np.float32)  # (batch, channels, positions), channels first
    out[0, 1, 2] = 1.0
    tally = UnitTally("relu")
    tally.add(out)
    assert (tally.units, tally.dead) == (8, 7)  # one (channel, position) ever fired
    grouped = UnitTally("relu", unit_axis=1)
    grouped.add(out)
    assert (grouped.units, grouped.dead) == (2, 1)  # channel 1 fired somewhere


def test_diagnose_sees_a_custom_layer_that_declares_its_activation():
    class Clamp(gn.nn.Module):
        activation_kind = "relu"

        def forward(self, x):
            return (x * 0.0).relu()

    model = gn.Model([gn.Linear(2, 3, rng=0), Clamp()])
    report = model.diagnose(_circles()[0])
    assert report.layer("clamp_1").dead == 3


def test_a_block_of_layers_naming_an_inner_activation_is_not_taken_for_one():
    from glassnet.diagnostics.health import activation_kind

    class Block(gn.nn.Module):
        def __init__(self):
            super().__init__()
            self.activation = "relu"  # the activation inside, as a Transformer layer's
            self.inner = gn.nn.Linear(2, 2)

    assert activation_kind(Block()) is None
    assert (
        activation_kind(gn.Dense(3, activation="relu")) == "relu"
        and activation_kind(gn.Tanh()) == "tanh"
    )


def test_diagnose_in_chunks_gives_the_gradient_of_the_whole_data():
    from glassnet.diagnostics.diagnose import diagnose

    model = _founding()
    x, y = _circles()
    whole = diagnose(model, x, y)
    chunked = diagnose(model, x, y, batch_size=128)
    assert chunked.loss == pytest.approx(whole.loss, rel=1e-5)
    assert chunked.layer("linear_1").grad_norm == pytest.approx(
        whole.layer("linear_1").grad_norm, rel=1e-4
    )
