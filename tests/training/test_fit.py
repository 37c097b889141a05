"""The Keras workflow: compile, fit, evaluate, predict_classes, validation, weights, errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import InputError, NotCompiledError, ShapeError
from glassnet.training.progress import resolve_verbose
from glassnet.training.splitting import validation_indices


def _blobs(n: int = 300, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])[:classes]  # far apart: separable
    return centers[y] + rng.normal(size=(n, 2)), y


def _classifier(classes: int = 3) -> gn.Model:
    model = gn.Model([gn.Dense(16, activation="relu"), gn.Dense(classes, activation="softmax")])
    model.compile(
        optimizer=gn.optim.SGD(lr=0.1, momentum=0.9), loss="sparse_categorical_crossentropy"
    )
    return model


def test_multiclass_with_sparse_labels_learns_and_evaluates() -> None:
    x, y = _blobs()
    model = _classifier()
    history = model.fit(x, y, epochs=30, batch_size=32, validation_split=0.2, verbose=0, seed=0)
    assert set(history.history) == {"loss", "val_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (model.predict_classes(x) == y).mean() > 0.9
    probabilities = model.predict_proba(x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert set(model.evaluate(x, y)) == {"loss"}


def test_one_hot_labels_with_categorical_crossentropy() -> None:
    x, y = _blobs()
    model = _classifier()
    model.compile(optimizer=gn.optim.SGD(lr=0.1), loss="categorical_crossentropy")
    model.fit(x, np.eye(3)[y], epochs=20, verbose=0, seed=0)
    assert (model.predict_classes(x) == y).mean() > 0.9


def test_binary_dense_sigmoid_trains_through_logits_and_predict_classes_thresholds() -> None:
    x, y = _blobs(classes=2)
    model = gn.Model([gn.Dense(8, activation="relu"), gn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=gn.optim.SGD(lr=0.1), loss="binary_crossentropy")
    forward, loss = model._training_forward(model.compiled_loss)
    model.fit(x, y, epochs=20, verbose=0, seed=0)
    assert loss.from_logits
    classes = model.predict_classes(x)
    assert classes.shape == (len(x),) and set(np.unique(classes)) <= {0, 1}
    assert (classes == y).mean() > 0.9


def test_regression_with_mse_and_validation_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([1.0, 2.0, -1.0, 0.5])
    model = gn.Model([gn.Dense(1)])
    model.compile(optimizer=gn.optim.SGD(lr=0.05), loss="mse")
    history = model.fit(
        x[:150], y[:150], epochs=30, validation_data=(x[150:], y[150:]), verbose=0, seed=0
    )
    assert history.history["val_loss"][-1] < 1e-3


def test_same_seed_repeats_fit_bit_for_bit() -> None:
    x, y = _blobs()
    runs = []
    for _ in range(2):
        model = _classifier()
        history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0, seed=7)
        runs.append((history.history, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for name in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name])


def test_validation_split_is_random_stratified_and_seeded() -> None:
    y = np.repeat(
        [0, 1, 2], [50, 30, 20]
    )  # sorted by class: Keras's last-rows split would be all class 2
    train, held_out = validation_indices(y, 0.2, True, np.random.default_rng(0))
    assert np.bincount(y[held_out]).tolist() == [10, 6, 4]
    assert len(np.intersect1d(train, held_out)) == 0 and len(train) + len(held_out) == 100
    again, _ = validation_indices(y, 0.2, True, np.random.default_rng(0))
    np.testing.assert_array_equal(train, again)


def test_class_weight_and_sample_weight_change_the_loss() -> None:
    x, y = _blobs(classes=2)
    losses = []
    for kwargs in ({}, {"class_weight": {0: 1.0, 1: 3.0}}, {"sample_weight": np.full(len(y), 2.0)}):
        model = gn.Model([gn.Dense(1, activation="sigmoid", rng=0)])
        model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="binary_crossentropy")
        losses.append(
            model.fit(x, y, epochs=1, batch_size=None, verbose=0, **kwargs).history["loss"][0]
        )
    assert losses[1] > losses[0]
    assert losses[2] == pytest.approx(2 * losses[0], rel=1e-5)


def test_verbose_2_prints_one_line_per_epoch(capsys) -> None:
    x, y = _blobs()
    _classifier().fit(x, y, epochs=2, verbose=2, seed=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ") and "loss: " in lines[0]


def test_verbose_auto_is_lines_when_stdout_is_not_a_terminal() -> None:
    assert resolve_verbose("auto") == 2  # pytest captures stdout
    assert resolve_verbose(0) == 0
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
        resolve_verbose(3)


def test_verbose_1_draws_a_tqdm_bar(capsys) -> None:
    pytest.importorskip("tqdm")
    x, y = _blobs()
    _classifier().fit(x, y, epochs=1, batch_size=100, verbose=1, seed=0)
    assert "Epoch 1/1" in capsys.readouterr().err


def test_fit_before_compile_says_what_to_call() -> None:
    with pytest.raises(NotCompiledError, match=r"Call model.compile\(optimizer="):
        gn.Model([gn.Dense(1)]).fit(np.ones((4, 2)), np.ones(4))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(batch_size=0), ValueError, "batch_size must be a positive integer"),
        (dict(validation_split=1.0), ValueError, r"validation_split must lie in \[0, 1\)"),
        (dict(validation_split=-0.1), ValueError, r"validation_split must lie in \[0, 1\)"),
    ],
)
def test_bad_fit_arguments(kwargs, error, message) -> None:
    x, y = _blobs()
    with pytest.raises(error, match=message):
        _classifier().fit(x, y, verbose=0, **kwargs)


def test_labels_outside_the_output_range_are_named_before_training() -> None:
    x, y = _blobs()
    model = _classifier()
    y_bad = y.copy()
    y_bad[-1] = 7
    model.fit(x[:3], y[:3], epochs=0, verbose=0)  # builds the model
    before = model.state_dict()
    with pytest.raises(
        InputError, match=r"labels must lie in \[0, 3\) for the model's 3 outputs, found label 7"
    ):
        model.fit(x, y_bad, epochs=1, verbose=0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_label_shapes_that_fit_neither_loss_are_explained() -> None:
    x, y = _blobs()
    model = _classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(
        ShapeError, match=r"expected one-hot labels of shape \(300, 3\).*sparse_categorical"
    ):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"expected integer labels of shape \(300,\)"):
        model.fit(x, np.eye(3)[y], verbose=0)


def test_compile_errors_list_valid_names() -> None:
    model = gn.Model([gn.Dense(1)])
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; valid names: sgd"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="give a loss"):
        model.compile(optimizer="sgd")


def test_seed_does_not_redraw_weights_that_were_loaded(tmp_path) -> None:
    x, y = _blobs()
    source = _classifier()
    source.fit(x, y, epochs=1, verbose=0, seed=0)
    source.save_weights(str(tmp_path / "w.npz"))
    target = _classifier()
    target.fit(x[:3], y[:3], epochs=0, verbose=0)  # builds the layers
    target.load_weights(str(tmp_path / "w.npz"))
    target.compile(optimizer=gn.optim.SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    target.fit(x, y, epochs=1, verbose=0, seed=123)
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], value)


def test_seed_repeats_dropout_masks_too() -> None:
    x, y = _blobs()
    runs = []
    for _ in range(2):
        model = gn.Model(
            [gn.Dense(16, activation="relu"), gn.nn.Dropout(0.5), gn.Dense(3, activation="softmax")]
        )
        model.compile(optimizer=gn.optim.SGD(lr=0.1), loss="sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=2, verbose=0, seed=3).history["loss"])
    assert runs[0] == runs[1]


def test_compiled_metrics_appear_in_history_with_val_twins_and_in_evaluate() -> None:
    x, y = _blobs()
    model = gn.Model([gn.Dense(16, activation="relu"), gn.Dense(3, activation="softmax")])
    model.compile(
        optimizer=gn.optim.Adam(lr=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", "f1"],
    )
    history = model.fit(x, y, epochs=10, validation_split=0.2, verbose=0, seed=0)
    assert {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1"} <= set(history.history)
    assert history.history["accuracy"][-1] > 0.9
    results = model.evaluate(x, y)
    assert results["accuracy"] == pytest.approx(float((model.predict_classes(x) == y).mean()))
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'; valid names"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])


class _PerStep(gn.nn.Module):
    """A layer with an output per time step: (n, T, features) -> (n, T, classes)."""

    traceable = True

    def __init__(self, features: int, classes: int) -> None:
        super().__init__()
        self.linear = gn.nn.Linear(features, classes, rng=0)

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        return self.linear(x)


def test_fit_takes_a_label_per_step_for_outputs_per_step() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 3)).astype(np.float32)
    y = (x[..., 0] > 0).astype(np.int64)  # (40, 6): one class per step
    model = gn.Model([_PerStep(3, 2)])
    model.compile(
        optimizer=gn.optim.SGD(lr=0.5),
        loss=gn.losses.SparseCategoricalCrossEntropy(from_logits=True),
    )
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    logits = model.predict(x)
    expected = gn.functional.cross_entropy(gn.Tensor(logits.reshape(-1, 2)), y.reshape(-1)).item()
    assert model.evaluate(x, y)["loss"] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(
        ShapeError,
        match=r"expected integer labels of shape \(40, 6\) for outputs of shape "
        r"\(40, 6, 2\), got \(40, 5\)",
    ):
        model.fit(x, y[:, :5], verbose=0)


def test_fit_takes_targets_per_step_for_mse() -> None:
    x = np.random.default_rng(1).normal(size=(16, 5, 3)).astype(np.float32)
    model = gn.Model([_PerStep(3, 2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[..., :2], epochs=1, verbose=0)
    with pytest.raises(
        ShapeError, match=r"outputs have shape \(16, 5, 2\) but the targets have shape \(16, 5, 3\)"
    ):
        model.fit(x, x, verbose=0)


def _sequence_classifier(steps: int = 3) -> tuple[gn.Model, np.ndarray, np.ndarray]:
    """A softmax output per step on (20, steps, 4) data, with labels (20, steps)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, steps, 4)).astype(np.float32)
    y = np.argmax(x[..., :3], axis=-1)
    model = gn.Model([gn.Dense(3, activation="softmax")])
    return model, x, y


def test_metrics_count_every_position_for_outputs_per_step() -> None:
    model, x, y = _sequence_classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=5, verbose=0, seed=0)
    predicted = model.predict(x).argmax(axis=-1)
    assert model.evaluate(x, y)["accuracy"] == pytest.approx((predicted == y).mean())
    assert set(history.history) == {"loss", "accuracy"}


def test_a_metric_that_cannot_read_the_output_fails_before_any_weight_changes() -> None:
    model = gn.Model([gn.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["mae"])
    x, y = np.random.default_rng(0).normal(size=(10, 4)), np.arange(10) % 3
    model.build((None, 4))
    before = model.state_dict()
    with pytest.raises(ShapeError, match=r"mae: expected y_true and y_pred of the same shape"):
        model.fit(x, y, verbose=0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert model._steps_taken == 0


def test_class_weight_and_sample_weight_apply_per_position() -> None:
    model, x, y = _sequence_classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    weights = model._sample_weights(y, None, {0: 1.0, 1: 10.0, 2: 100.0})
    np.testing.assert_array_equal(weights, np.array([1.0, 10.0, 100.0])[y])
    per_position = np.random.default_rng(3).uniform(size=y.shape)
    np.testing.assert_array_equal(model._sample_weights(y, per_position, None), per_position)
    np.testing.assert_array_equal(
        model._sample_weights(y, np.arange(20.0), None),
        np.broadcast_to(np.arange(20.0)[:, None], y.shape),
    )
    one_hot = np.eye(3)[y]
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    np.testing.assert_array_equal(
        model._sample_weights(one_hot, None, {2: 5.0}), np.where(y == 2, 5.0, 1.0)
    )
    model.fit(x, one_hot, epochs=1, verbose=0, class_weight={2: 5.0}, sample_weight=per_position)


def test_weighted_loss_per_position_is_the_weighted_mean() -> None:
    model, x, y = _sequence_classifier()
    model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    weights = np.random.default_rng(4).uniform(size=y.shape)
    history = model.fit(x, y, epochs=1, batch_size=20, verbose=0, sample_weight=weights)
    probabilities = model.predict(x)
    per_position = -np.log(np.take_along_axis(probabilities, y[..., None], axis=-1)[..., 0])
    assert history.history["loss"][0] == pytest.approx((per_position * weights).mean(), rel=1e-5)


def test_validation_split_with_labels_per_step_is_a_plain_random_slice() -> None:
    model, x, y = _sequence_classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    history = model.fit(x, np.eye(3)[y], epochs=1, verbose=0, validation_split=0.25, seed=0)
    assert "val_loss" in history.history


def test_one_step_sequences_keep_their_step_axis() -> None:
    model, x, y = _sequence_classifier(steps=1)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)  # labels (20, 1) for outputs (20, 1, 3)


def test_targets_without_their_size_one_axis_fit_outputs_per_step() -> None:
    x = np.random.default_rng(5).normal(size=(12, 4, 2)).astype(np.float32)
    model = gn.Model([gn.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, (x[..., 0] > 0).astype(np.float32), epochs=1, verbose=0)  # (12, 4) for (12, 4, 1)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[..., 0], epochs=1, verbose=0)
