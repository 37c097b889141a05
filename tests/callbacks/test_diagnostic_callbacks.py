"""GradientFlow and ActivationHealth: per-layer figures in History, warnings that name the layer."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import ActivationHealth, DiagnosticWarning, GradientFlow


def _circles(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (np.hypot(x[:, 0], x[:, 1]) < 1.1).astype(np.float32)


def _founding(dead: bool = False, lr: float = 0.05) -> gn.Model:
    model = gn.Model(
        [
            gn.Linear(2, 5, rng=0),
            gn.ReLU(5),
            gn.Linear(5, 2, rng=1),
            gn.ReLU(2),
            gn.Linear(2, 1, init="torch", rng=2),
            gn.Sigmoid(1),
        ]
    )
    if dead:
        model.layers[2].bias.data[
            :
        ] = -100.0  # both units of the 2-unit layer negative for every input
    model.compile(gn.optim.SGD(lr=lr), "binary_crossentropy")
    return model


def test_gradient_flow_records_norms_and_the_update_ratio_of_each_layer():
    model = _founding()
    x, y = _circles()
    before = [p.data.copy() for p in model.layers[0].parameters()]
    history = model.fit(x, y, epochs=1, batch_size=None, verbose=0, callbacks=[GradientFlow()])
    logs = history.history
    for name in ("linear_1", "linear_2", "linear_3"):
        assert {f"grad_norm/{name}", f"weight_norm/{name}", f"update_ratio/{name}"} <= set(logs)
    grads = [p.grad for p in model.layers[0].parameters()]
    grad_norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    assert logs["grad_norm/linear_1"][0] == pytest.approx(grad_norm, rel=1e-5)
    weight_norm = math.sqrt(sum(float((w.astype(np.float64) ** 2).sum()) for w in before))
    # One full-batch SGD step: the update is lr * gradient.
    assert logs["update_ratio/linear_1"][0] == pytest.approx(
        0.05 * grad_norm / weight_norm, rel=1e-4
    )
    assert "loss" in logs


def test_gradient_flow_every_n_epochs_keeps_one_value_per_epoch():
    history = _founding().fit(
        *_circles(), epochs=4, batch_size=100, verbose=0, callbacks=[GradientFlow(every=2)]
    )
    ratios = history.history["update_ratio/linear_1"]
    assert (
        len(ratios) == 4
        and not math.isnan(ratios[0])
        and math.isnan(ratios[1])
        and not math.isnan(ratios[2])
    )


def test_gradient_flow_warns_once_naming_a_layer_that_stopped_learning():
    with pytest.warns(DiagnosticWarning) as caught:
        _founding(dead=True).fit(
            *_circles(), epochs=8, batch_size=None, verbose=0, callbacks=[GradientFlow()]
        )
    messages = sorted(str(w.message) for w in caught)
    # Below the dead layer's units nothing flows back: linear_1 and linear_2 stop, once each.
    assert messages == [
        "GradientFlow: epoch 5, layer linear_1: update/weight ratio 0 < 1e-05: its weights barely change "
        "(vanishing, for 5 epochs).",
        "GradientFlow: epoch 5, layer linear_2: update/weight ratio 0 < 1e-05: its weights barely change "
        "(vanishing, for 5 epochs).",
    ]


def test_gradient_flow_flags_exploding_updates():
    with pytest.warns(
        DiagnosticWarning
    ) as caught:  # (such steps also kill units: vanishing follows)
        _founding(lr=1e3).fit(
            *_circles(),
            epochs=6,
            batch_size=None,
            verbose=0,
            callbacks=[GradientFlow(patience=2)],
            terminate_on_nan=False,
        )
    assert any(
        "layer linear_3" in str(w.message) and "(exploding" in str(w.message) for w in caught
    )


def test_a_healthy_run_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiagnosticWarning)
        _founding().fit(*_circles(), epochs=6, batch_size=50, verbose=0, callbacks=[GradientFlow()])


def test_activation_health_counts_dead_units_over_the_epoch():
    history = _founding(dead=True).fit(
        *_circles(), epochs=2, batch_size=100, verbose=0, callbacks=[ActivationHealth()]
    )
    assert history.history["dead_fraction/relu_2"] == [1.0, 1.0]
    model = _founding()
    x, y = _circles()
    history = model.fit(x, y, epochs=1, batch_size=100, verbose=0, callbacks=[ActivationHealth()])
    hidden = model.layers[1](
        model.layers[0](gn.Tensor(x))
    ).data  # after training; the epoch saw each batch
    assert 0.0 <= history.history["dead_fraction/relu_1"][0] <= 1.0
    assert history.history["dead_fraction/relu_1"][0] <= np.mean(hidden.max(axis=0) <= 0) + 0.2
    assert not any(
        module.__dict__.get("_forward_hooks") for module in model.modules()
    )  # removed after fit


def test_activation_health_measures_saturation_of_tanh_and_dense_activations():
    x, y = _circles()
    model = gn.Model(
        [
            gn.Dense(8, activation="tanh", input_shape=(2,), rng=0),
            gn.Dense(4, activation="relu", rng=1),
            gn.Dense(1, activation="sigmoid", rng=2),
        ]
    )
    model.compile("sgd", "binary_crossentropy")
    history = model.fit(
        x * 1000, y, epochs=1, batch_size=400, verbose=0, callbacks=[ActivationHealth()]
    )
    expected = np.mean(np.abs(model.layers[0](gn.Tensor(x * 1000)).data) > 0.99)
    assert history.history["saturated/dense_1"][0] == pytest.approx(expected, abs=0.02)
    assert "dead_fraction/dense_2" in history.history
    assert (
        "saturated/dense_3" not in history.history
    )  # trained fused into its loss: fit never calls it


def test_the_epoch_line_leaves_per_layer_figures_out(capsys):
    _founding().fit(
        *_circles(),
        epochs=1,
        batch_size=None,
        verbose=2,
        callbacks=[GradientFlow(), ActivationHealth()],
    )
    line = capsys.readouterr().out
    assert "loss:" in line and "/" not in line.split("s - ", 1)[1]


def test_diagnostic_callbacks_cost_little_and_change_no_bit():
    x, y = _circles()
    plain = _founding()
    plain.fit(x, y, epochs=2, batch_size=50, verbose=0, seed=0)
    watched = _founding()
    watched.fit(
        x,
        y,
        epochs=2,
        batch_size=50,
        verbose=0,
        seed=0,
        callbacks=[GradientFlow(), ActivationHealth()],
    )
    for a, b in zip(plain.parameters(), watched.parameters()):
        assert np.array_equal(a.data, b.data)


def test_history_renders_as_an_html_table_with_long_runs_shortened():
    history = _founding().fit(
        *_circles(), epochs=12, batch_size=None, verbose=0, callbacks=[GradientFlow()]
    )
    page = history._repr_html_()
    assert (
        page.startswith("<p><b>History: 12 epochs</b></p><table>")
        and "<th>update_ratio/linear_1</th>" in page
    )
    assert page.count("<tr>") == 1 + 10 + 1 and "<td>12</td>" in page and "..." in page
