"""Hooks and anomaly detection inside fit: the recorded fast path steps aside, results stay the same."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import NonFiniteError


def _data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] - x[:, 1] > 0).astype(np.float32)


def _model() -> gn.Model:
    model = gn.Model(
        [
            gn.Dense(8, activation="relu", input_shape=(4,), rng=0),
            gn.Dense(1, activation="sigmoid", rng=1),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    return model


def _fit(model: gn.Model, **options) -> gn.callbacks.History:
    x, y = _data()
    return model.fit(x, y, epochs=3, batch_size=16, seed=0, verbose=0, **options)


def _watched_fit(run_eagerly: bool) -> tuple[gn.Model, list[tuple[np.ndarray, np.ndarray]]]:
    model = _model()
    model.run_eagerly = run_eagerly
    seen = []
    handle = model.layers[0].register_forward_hook(
        lambda m, args, out: seen.append((args[0].data.copy(), out.data.copy()))
    )
    model.compile("adam", "binary_crossentropy", run_eagerly=run_eagerly)
    _fit(model)
    handle.remove()
    return model, [(x, out) for x, out in seen if len(x) == 16]  # (not fit's one-sample dry run)


def test_forward_hooks_fire_on_replayed_batches_and_change_no_bit(replays):
    plain = _model()
    _fit(plain)
    hooked, seen = _watched_fit(run_eagerly=False)
    assert len(seen) == 3 * 6 and len(replays) == 2 * (
        3 * 6 - 1
    )  # both fits replayed all but their first batch
    for a, b in zip(plain.parameters(), hooked.parameters()):
        assert np.array_equal(a.data, b.data)
    # On replayed batches the hook sees what an eager step shows it: that batch's input and output.
    _, seen_eagerly = _watched_fit(run_eagerly=True)
    assert all(
        np.array_equal(x, x2) and np.array_equal(out, out2)
        for (x, out), (x2, out2) in zip(seen, seen_eagerly, strict=True)
    )


def _keeping_fit(run_eagerly: bool) -> tuple[list, list]:
    """Fit with a forward hook that keeps the Tensor objects it gets (and a tensor it computes
    from them with ops), as a user collecting activations would."""
    model = _model()
    model.compile("adam", "binary_crossentropy", run_eagerly=run_eagerly)
    kept, copies = [], []

    def keep(module, args, out):
        if len(out) == 16:  # (not fit's one-sample dry run)
            kept.append((args[0], out, (out * 2.0).sum(axis=1)))
            copies.append((args[0].data.copy(), out.data.copy()))

    with model.layers[0].register_forward_hook(keep):
        _fit(model)
    return kept, copies


def test_tensors_a_forward_hook_keeps_hold_their_own_batch_on_the_fast_path(replays):
    kept, copies = _keeping_fit(run_eagerly=False)
    assert len(kept) == 18 and len(replays) == 17  # the fast path ran (its ops stayed the step's)
    eager_kept, eager_copies = _keeping_fit(run_eagerly=True)
    assert len(replays) == 17
    for (x, out, doubled), (x_copy, out_copy), (x_eager, out_eager, doubled_eager) in zip(
        kept, copies, eager_kept, strict=True
    ):
        assert np.array_equal(x.data, x_copy) and np.array_equal(out.data, out_copy)
        assert np.array_equal(x.data, x_eager.data) and np.array_equal(out.data, out_eager.data)
        assert np.array_equal(doubled.data, doubled_eager.data)
        assert out.requires_grad and out.creator is not None  # as an eager step's output
    assert len({id(out) for _, out, _ in kept}) == 18  # a new Tensor object at every call


def test_hooks_on_bidirectional_inner_layers_fire_in_fit_and_change_no_bit():
    def fit(watch: bool) -> tuple[gn.Model, list[np.ndarray]]:
        data = np.random.default_rng(0)
        x = data.normal(size=(48, 6, 2)).astype(np.float32)
        y = x[:, :, 0].sum(axis=1, keepdims=True)
        model = gn.Model(
            [gn.Bidirectional(gn.GRU(3, input_shape=(6, 2), rng=0)), gn.Dense(1, rng=1)]
        )
        model.compile("adam", "mse")
        seen = []
        inner = model.layers[0].backward_layer
        handle = inner.register_forward_hook(lambda m, args, out: seen.append(out))
        if not watch:
            handle.remove()
        model.fit(x, y, epochs=2, batch_size=16, seed=0, verbose=0)
        handle.remove()
        return model, [out for out in seen if len(out) == 16]

    plain, _ = fit(watch=False)
    watched, seen = fit(watch=True)
    assert len(seen) == 2 * 3  # (recurrent layers do not declare traceable: eager steps)
    assert len({out.data.tobytes() for out in seen}) == 6  # each kept output holds its own batch
    for a, b in zip(plain.parameters(), watched.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_forward_hook_that_replaces_the_output_runs_eagerly(replays):
    model = _model()
    eager = _model()
    eager.compile("adam", "binary_crossentropy", run_eagerly=True)
    with (
        model.layers[0].register_forward_hook(lambda m, args, out: out * 0.5),
        eager.layers[0].register_forward_hook(lambda m, args, out: out * 0.5),
    ):
        _fit(model)
        _fit(eager)
    assert replays == [] and all(
        np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), eager.parameters())
    )


def test_a_forward_pre_hook_makes_fit_step_aside(replays):
    model = _model()
    calls = []
    with model.layers[0].register_forward_pre_hook(lambda m, args: calls.append(1)):
        _fit(model)
    assert replays == [] and len(calls) >= 18


def test_a_backward_hook_on_another_model_leaves_the_fast_path_on(replays):
    other = _model()
    with other.layers[0].register_full_backward_hook(lambda m, gi, go: None):
        _fit(_model())
        assert len(replays) == 17
        watched = _model()
        with watched.layers[1].register_full_backward_hook(lambda m, gi, go: None):
            _fit(watched)
    assert len(replays) == 17  # a hook on the model itself makes its fit step aside


def test_a_parameter_hook_fires_in_fit_and_can_scale_the_gradient():
    model = _model()
    counts = []
    model.layers[1].weight.register_hook(lambda g: counts.append(1))
    _fit(model)
    assert len(counts) == 18


def test_check_numerics_trains_the_same_bits_when_all_is_finite():
    plain = _model()
    history = _fit(plain)
    checked = _model()
    checked_history = _fit(checked, check_numerics=True)
    assert history.history["loss"] == checked_history.history["loss"]
    for a, b in zip(plain.parameters(), checked.parameters()):
        assert np.array_equal(a.data, b.data)


def test_check_numerics_names_the_op_and_layer_that_overflowed():
    model = _model()
    x, y = _data()
    model.layers[0].weight.data[:] = 1e38  # finite weights and data ...
    x[1:] = 10.0  # ... whose product overflows float32 in the first layer (fit checks row 0 first)
    with pytest.raises(NonFiniteError, match=r"(linear|linear_relu) in layer 'dense_1'") as info:
        model.fit(
            x, y, epochs=1, batch_size=16, verbose=0, check_numerics=True
        )  # no seed: keeps the weights
    assert "input 0: (16, 4) float32" in str(info.value) and "test_seeing_in_fit.py" in str(
        info.value
    )


def test_check_numerics_names_the_loss_when_the_loss_overflows():
    model = gn.Model([gn.Dense(1, input_shape=(4,), rng=0)])
    model.compile("sgd", "mse")
    x, _ = _data()
    y = np.full(len(x), 3e38, dtype=np.float32)  # finite targets whose squared error is not
    with pytest.raises(NonFiniteError, match=r"in layer 'loss \(mse\)'"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, check_numerics=True)
