"""fit's compiled step (record the first batch of a shape, replay the next) trains exactly as run_eagerly=True."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.autograd.replay import Replay
from glassnet.callbacks import Callback, LearningRateScheduler
from glassnet.training.compiled_step import CompiledStep, traceable


def _classes(n: int = 120, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = (
        (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
        if classes == 3
        else (x[:, 0] + x[:, 2] > 0).astype(int)
    )
    return x, y


def _regression(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    return x, x @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.1 * rng.normal(size=n)


def _train(build, x, y, run_eagerly: bool, settings):
    compile_kwargs, fit_kwargs = settings()  # fresh optimizer and callbacks: they keep state
    gn.seed(0)  # layers that draw their weights at construction (Linear) start equal too
    model = build()
    model.compile(run_eagerly=run_eagerly, **compile_kwargs)
    history = model.fit(x, y, verbose=0, seed=0, **fit_kwargs)
    return model, history.history


def _assert_trains_as_eager(build, x, y, settings, replays) -> gn.Model:
    """Fit with the default step and with run_eagerly=True; return the default one's model."""
    model, history = _train(build, x, y, False, settings)
    replayed = len(replays)
    eager, eager_history = _train(build, x, y, True, settings)
    assert len(replays) == replayed  # run_eagerly=True never replays
    assert history == eager_history
    weights, eager_weights = model.state_dict(), eager.state_dict()
    assert weights.keys() == eager_weights.keys()
    for name, value in weights.items():
        assert value.dtype == eager_weights[name].dtype and np.array_equal(
            value, eager_weights[name]
        ), name
    return model


def _mlp(classes: int = 3, activation: str = "softmax", **dense) -> gn.Model:
    return gn.Model(
        [gn.Dense(8, activation="relu", **dense), gn.Dense(classes, activation=activation, **dense)]
    )


def _step(model: gn.Model, weighted: bool = False):
    return model._make_fit_step(*model._training_forward(model.compiled_loss), weighted=weighted)


CLASSES_X, CLASSES_Y = _classes()
BINARY_X, BINARY_Y = _classes(classes=2)
REGRESSION_X, REGRESSION_Y = _regression()

SPARSE = dict(optimizer="adam", loss="sparse_categorical_crossentropy")

COMPILED = {
    "sparse_adam_metrics_validation": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: (
            {**SPARSE, "metrics": ["accuracy"]},
            dict(epochs=3, batch_size=16, validation_split=0.2),
        ),
    ),
    "sigmoid_binary_crossentropy": (
        lambda: _mlp(1, "sigmoid"),
        BINARY_X,
        BINARY_Y,
        lambda: (
            dict(optimizer=gn.optim.SGD(lr=0.1), loss="binary_crossentropy", metrics=["accuracy"]),
            dict(epochs=3, batch_size=16),
        ),
    ),
    "mse_regression": (
        lambda: gn.Model([gn.Dense(8, activation="tanh"), gn.Dense(1)]),
        REGRESSION_X,
        REGRESSION_Y,
        lambda: (
            dict(optimizer=gn.optim.SGD(lr=0.01, momentum=0.9), loss="mse"),
            dict(epochs=3, batch_size=16, validation_split=0.25),
        ),
    ),
    "one_hot_categorical": (
        _mlp,
        CLASSES_X,
        np.eye(3)[CLASSES_Y],
        lambda: (
            dict(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"]),
            dict(epochs=3, batch_size=16),
        ),
    ),
    "kernel_regularizer": (
        lambda: _mlp(kernel_regularizer=gn.regularizers.L2(0.01)),
        CLASSES_X,
        CLASSES_Y,
        lambda: (SPARSE, dict(epochs=3, batch_size=16)),
    ),
    "clipnorm": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: (
            dict(
                optimizer=gn.optim.SGD(lr=0.5), loss="sparse_categorical_crossentropy", clipnorm=0.1
            ),
            dict(epochs=3, batch_size=16),
        ),
    ),
    "learning_rate_scheduler": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: (
            dict(optimizer=gn.optim.SGD(lr=0.2), loss="sparse_categorical_crossentropy"),
            dict(
                epochs=3,
                batch_size=16,
                callbacks=[LearningRateScheduler(lambda epoch, lr: 0.2 / (epoch + 1))],
            ),
        ),
    ),
    "smaller_last_batch": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: (SPARSE, dict(epochs=3, batch_size=50)),
    ),  # 50, 50, 20: two batch shapes
    "full_batch": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: ({**SPARSE, "metrics": ["accuracy"]}, dict(epochs=4, batch_size=None)),
    ),
    "float64": (
        lambda: _mlp(dtype=np.float64),
        CLASSES_X,
        CLASSES_Y,
        lambda: (SPARSE, dict(epochs=3, batch_size=16)),
    ),
    "traceable_layers": (
        lambda: gn.Model(
            [
                gn.Input(5),
                gn.Dense(8),
                gn.nn.LayerNorm(8),
                gn.GELU(),
                gn.Sequential(gn.Linear(8, 3)),
                gn.Softmax(),
            ]
        ),
        CLASSES_X,
        CLASSES_Y,
        lambda: (SPARSE, dict(epochs=3, batch_size=16)),
    ),
}


@pytest.mark.parametrize("case", list(COMPILED))
def test_compiled_fit_equals_run_eagerly_bit_for_bit(case, replays) -> None:
    build, x, y, settings = COMPILED[case]
    model = _assert_trains_as_eager(build, x, y, settings, replays)
    assert isinstance(_step(model), CompiledStep)
    epochs, batch_size = settings()[1]["epochs"], settings()[1]["batch_size"]
    recorded = model._steps_taken - len(replays)
    if case == "learning_rate_scheduler":  # glassnet's own callbacks: one step serves the whole fit
        assert recorded in (1, 2)
    # Otherwise fit keeps its step for the whole fit too: each batch shape (one or two) recorded once.
    assert recorded in (1, 2) and replays
    if (
        batch_size is None
    ):  # the full batch is recorded in the first epoch, replayed in the next ones
        assert recorded == 1 and len(replays) == epochs - 1
    if case == "float64":
        assert all(p.dtype == np.float64 for p in model.parameters())
    if case == "smaller_last_batch":  # 50, 50, 20: both shapes recorded once, then replayed
        assert recorded == 2 and set(replays) == {50, 20}


def test_the_step_records_each_batch_shape_once_and_replays_it() -> None:
    x, y = CLASSES_X.astype(np.float32), CLASSES_Y.astype(np.int64)
    models = []
    for run_eagerly in (False, True):
        model = _mlp()
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=run_eagerly
        )
        model.fit(x, y, epochs=0, verbose=0)  # builds the layers and binds the optimizer
        models.append(model)
    models[1].load_state_dict(models[0].state_dict())
    compiled, eager = _step(models[0]), _step(models[1])
    assert isinstance(compiled, CompiledStep) and not isinstance(eager, CompiledStep)
    for batch in (slice(0, 32), slice(64, 68), slice(32, 64), slice(100, 104), slice(64, 96)):
        loss, output = compiled(x[batch], y[batch])
        eager_loss, eager_output = eager(x[batch], y[batch])
        assert loss == eager_loss and np.array_equal(output, eager_output)
    f32, i64 = np.dtype(np.float32), np.dtype(np.int64)
    assert set(compiled.replays) == {((32, 5), f32, (32,), i64), ((4, 5), f32, (4,), i64)}
    for replay, output_tensor, *_ in compiled.replays.values():
        assert isinstance(replay, Replay) and isinstance(output_tensor, gn.Tensor)
    np.testing.assert_array_equal(compiled.replays[(32, 5), f32, (32,), i64][1].data, output)
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert np.array_equal(p.data, q.data)


class PlainDense(gn.Dense):
    """A subclass that does not declare traceable: it might change forward."""


class Scale(gn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.scale = gn.Parameter(np.ones(width, dtype=np.float32))

    def forward(self, x):
        return x * self.scale


class Custom(gn.Model):
    pass


def _sparse(**fit) -> tuple[dict, dict]:
    return SPARSE, dict(epochs=2, batch_size=16, **fit)


EAGER = {
    "dropout": (
        lambda: gn.Model(
            [gn.Dense(8, activation="relu"), gn.nn.Dropout(0.3), gn.Dense(3, activation="softmax")]
        ),
        CLASSES_X,
        CLASSES_Y,
        _sparse,
    ),
    "batch_norm": (
        lambda: gn.Model(
            [gn.Dense(8), gn.nn.BatchNorm1d(8), gn.ReLU(), gn.Dense(3, activation="softmax")]
        ),
        CLASSES_X,
        CLASSES_Y,
        _sparse,
    ),
    "dense_subclass": (
        lambda: gn.Model([PlainDense(8, activation="relu"), gn.Dense(3, activation="softmax")]),
        CLASSES_X,
        CLASSES_Y,
        _sparse,
    ),
    "custom_module": (
        lambda: gn.Model(
            [Scale(5), gn.Dense(8, activation="relu"), gn.Dense(3, activation="softmax")]
        ),
        CLASSES_X,
        CLASSES_Y,
        _sparse,
    ),
    "model_subclass": (
        lambda: Custom([gn.Dense(8, activation="relu"), gn.Dense(3, activation="softmax")]),
        CLASSES_X,
        CLASSES_Y,
        _sparse,
    ),
    "sample_weight": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: _sparse(sample_weight=np.linspace(0.5, 2.0, len(CLASSES_Y))),
    ),
    "class_weight": (
        _mlp,
        CLASSES_X,
        CLASSES_Y,
        lambda: _sparse(class_weight={0: 1.0, 1: 2.0, 2: 0.5}),
    ),
    "callable_loss": (
        lambda: gn.Model([gn.Dense(8, activation="tanh"), gn.Dense(1)]),
        REGRESSION_X,
        REGRESSION_Y,
        lambda: (
            dict(optimizer="adam", loss=lambda y_pred, y_true: F.mse_loss(y_pred, y_true)),
            dict(epochs=2, batch_size=16),
        ),
    ),
}


@pytest.mark.parametrize("case", list(EAGER))
def test_models_that_cannot_be_replayed_train_eagerly(case, replays) -> None:
    build, x, y, settings = EAGER[case]
    model = _assert_trains_as_eager(build, x, y, settings, replays)
    assert replays == []
    assert not isinstance(
        _step(model, weighted=case in ("sample_weight", "class_weight")), CompiledStep
    )


def test_run_eagerly_never_compiles(replays) -> None:
    model, history = _train(_mlp, CLASSES_X, CLASSES_Y, True, _sparse)
    assert history["loss"][-1] < history["loss"][0]
    assert replays == [] and model.run_eagerly is True
    assert not isinstance(_step(model), CompiledStep)


def test_traceable_is_read_from_the_class_itself() -> None:
    assert (
        traceable(gn.Dense(2)) and traceable(gn.ReLU()) and traceable(gn.losses.MeanSquaredError())
    )
    assert (
        not traceable(PlainDense(2))
        and not traceable(gn.nn.Dropout(0.5))
        and not traceable(Custom())
    )
    assert not traceable(gn.nn.BatchNorm1d(2)) and not traceable(gn.losses.get(lambda a, b: a))


def test_a_traceable_property_decides_per_instance_and_is_not_inherited() -> None:
    class MyDropout(
        gn.nn.Dropout
    ):  # inherits the property: its forward might differ, so not traceable
        pass

    assert traceable(gn.nn.Dropout(0.0)) and not traceable(gn.nn.Dropout(0.5))
    assert not traceable(MyDropout(0.0))


class RowCentring(gn.Module):
    """Declares traceable but is not: the row means are data, taken outside the ops."""

    traceable = True

    def forward(self, x):
        return x - gn.Tensor(x.data.mean(axis=1, keepdims=True))


def _centring_model() -> gn.Model:
    return gn.Model(
        [RowCentring(), gn.Dense(8, activation="relu"), gn.Dense(3, activation="softmax")]
    )


def test_a_batch_sized_constant_outside_the_ops_leaves_the_step_eager(replays) -> None:
    model = _assert_trains_as_eager(_centring_model, CLASSES_X, CLASSES_Y, _sparse, replays)
    assert replays == []
    step = _step(model)
    assert isinstance(step, CompiledStep)
    x, y = CLASSES_X[:16].astype(np.float32), CLASSES_Y[:16]
    before = [p.data.copy() for p in model.parameters()]
    step(x, y)
    step(x, y)
    assert step.replays == {} and len(step.eager_keys) == 1
    assert not all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_run_eagerly_survives_save_and_load(tmp_path, run_eagerly) -> None:
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=run_eagerly)
    model.fit(CLASSES_X, CLASSES_Y, epochs=1, verbose=0, seed=0)
    model.save(tmp_path / "model.gnet")
    loaded = gn.load_model(tmp_path / "model.gnet")
    assert loaded.run_eagerly is run_eagerly
    assert isinstance(_step(loaded), CompiledStep) is not run_eagerly


def test_compile_defaults_to_the_compiled_step() -> None:
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert model.run_eagerly is False


# ----------------------------------------------------------------- what a callback or a loss may do


class FreezeFirstLayer(Callback):
    def on_epoch_end(self, epoch, logs=None) -> None:
        if epoch == 0:
            self.model.layers[0].weight.requires_grad_(False)


def test_a_parameter_frozen_by_a_callback_stops_training(replays) -> None:
    _assert_trains_as_eager(
        _mlp, CLASSES_X, CLASSES_Y, lambda: _sparse(callbacks=[FreezeFirstLayer()]), replays
    )


class PickedNLL(gn.losses.SparseCategoricalCrossEntropy):
    """A user loss of glassnet ops only; the labels index the log-probabilities."""

    traceable = True

    def compute(self, y_pred, y_true):
        return -(F.log_softmax(y_pred)[np.arange(y_pred.shape[0]), y_true]).mean()


def test_a_traceable_loss_that_indexes_by_label_trains_as_eager(replays) -> None:
    _assert_trains_as_eager(
        lambda: _mlp(activation="linear"),
        CLASSES_X,
        CLASSES_Y,
        lambda: (dict(optimizer="sgd", loss=PickedNLL()), dict(epochs=2, batch_size=16)),
        replays,
    )


# ----------------------------------------------------------------- what changes during fit


class UnfreezeFirstLayerAfterEpoch0(Callback):
    def on_train_begin(self, logs=None):
        self.model.layers[0].weight.requires_grad_(False)

    def on_epoch_end(self, epoch, logs=None):
        self.model.layers[0].weight.requires_grad_(True)


class UnfreezeFirstLayerMidEpoch(Callback):
    def on_train_begin(self, logs=None):
        self.model.layers[0].weight.requires_grad_(False)

    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            self.model.layers[0].weight.requires_grad_(True)


@pytest.mark.parametrize("callback", [UnfreezeFirstLayerAfterEpoch0, UnfreezeFirstLayerMidEpoch])
def test_a_parameter_unfrozen_during_fit_starts_training(callback, replays) -> None:
    # A leaf recorded as frozen is a constant of the recording: unfreezing it must re-record.
    _assert_trains_as_eager(
        _mlp, CLASSES_X, CLASSES_Y, lambda: _sparse(callbacks=[callback()]), replays
    )
    assert replays


class DoubleTheL2(Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.layers[0].kernel_regularizer.l2 *= 2


def test_a_regularizer_changed_between_epochs_takes_effect(replays) -> None:
    build = lambda: _mlp(kernel_regularizer=gn.regularizers.L2(0.05))  # noqa: E731
    settings = lambda: (SPARSE, dict(epochs=3, batch_size=16, callbacks=[DoubleTheL2()]))  # noqa: E731
    _assert_trains_as_eager(build, CLASSES_X, CLASSES_Y, settings, replays)
    assert replays


class SignPenalty(gn.regularizers.Regularizer):
    """A user regularizer: not declared traceable, so the step stays eager."""

    def __call__(self, weight):
        return (weight * gn.Tensor(np.sign(weight.data))).sum() * 0.01


def test_a_user_regularizer_keeps_the_step_eager(replays) -> None:
    build = lambda: _mlp(kernel_regularizer=SignPenalty())  # noqa: E731
    model = _assert_trains_as_eager(build, CLASSES_X, CLASSES_Y, _sparse, replays)
    assert replays == [] and not isinstance(_step(model), CompiledStep)


class SwitchToMae(Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.compile(
                optimizer=self.model.optimizer, loss="mae", run_eagerly=self.model.run_eagerly
            )


def test_compile_called_by_a_callback_applies_from_the_next_epoch(replays) -> None:
    settings = lambda: (  # noqa: E731
        dict(optimizer=gn.optim.SGD(lr=0.01), loss="mse"),
        dict(epochs=3, batch_size=16, callbacks=[SwitchToMae()]),
    )
    build = lambda: gn.Model([gn.Dense(8, activation="tanh"), gn.Dense(1)])  # noqa: E731
    model, history = _train(build, REGRESSION_X, REGRESSION_Y, False, settings)
    assert history["loss"][1] == pytest.approx(
        model.evaluate(REGRESSION_X, REGRESSION_Y)["loss"], rel=0.5
    )
    _assert_trains_as_eager(build, REGRESSION_X, REGRESSION_Y, settings, replays)


def test_every_replayed_batch_is_checked_like_an_eager_one() -> None:
    # Probabilities outside [0, 1] (a linear output with binary_crossentropy) in a replayed batch.
    x = np.zeros((120, 5), dtype=np.float32)
    x[100, 0] = 10.0  # in the 7th batch of 16, which is replayed
    model = gn.Model([gn.Dense(1, input_shape=(5,), kernel_initializer="glorot_uniform")])
    model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="binary_crossentropy")
    model.layers[0].weight.data[...] = [[1.0, 0.0, 0.0, 0.0, 0.0]]
    model.layers[0].bias.data[...] = 0.5
    with pytest.raises(gn.errors.InputError, match=r"probabilities in \[0, 1\], found 10.5"):
        model.fit(x, BINARY_Y, epochs=1, batch_size=16, shuffle=False, verbose=0)


def test_train_checks_every_batch_labels_too() -> None:
    model = gn.Model([gn.Dense(3, activation="softmax", input_shape=(5,))])
    y = CLASSES_Y.copy()
    y[-1] = -1
    with pytest.raises(gn.errors.InputError, match="found label -1"):
        model.train(CLASSES_X, y, loss="sparse_categorical_crossentropy", batch_size=16, epochs=1)


def test_fit_inside_a_users_recording_runs_eagerly() -> None:
    from glassnet.autograd.replay import record

    model = _mlp()
    model.compile(**SPARSE)
    with record() as ops:
        model.fit(CLASSES_X, CLASSES_Y, epochs=1, batch_size=16, verbose=0)
    assert ops  # the user's recording saw fit's ops; fit did not start a recording of its own


def test_a_replayed_step_lets_go_of_its_activations() -> None:
    model = _mlp()
    model.compile(**SPARSE)
    model.fit(CLASSES_X, CLASSES_Y, epochs=0, verbose=0)
    step = _step(model)
    x, y = CLASSES_X[:16].astype(np.float32), CLASSES_Y[:16]
    step(x, y)
    _, output = step(x, y)  # replayed
    ((replay, output_tensor, *_),) = step.replays.values()
    assert output_tensor.data is output and output.shape == (16, 3)
    intermediates = [
        out for _, _, out in replay.ops if out is not output_tensor and out is not replay.loss
    ]
    assert intermediates and all(out.data.size == 0 for out in intermediates)
