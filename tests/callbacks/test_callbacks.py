"""Callbacks: hook order, History, EarlyStopping (with restore), TerminateOnNaN, LambdaCallback."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import Callback, EarlyStopping, History, LambdaCallback, TerminateOnNaN
from glassnet.errors import NonFiniteLossError


def _regression(n: int = 64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([1.0, -1.0, 0.5])


def _model() -> gn.Model:
    model = gn.Model([gn.Dense(8, activation="relu", rng=0), gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.SGD(lr=0.05), loss="mse")
    return model


class Recorder(Callback):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_hooks_run_in_keras_order_with_val_logs() -> None:
    x, y = _regression(40)
    recorder = Recorder()
    _model().fit(
        x,
        y,
        epochs=2,
        batch_size=16,
        validation_split=0.25,
        callbacks=[recorder],
        verbose=0,
        seed=0,
    )
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 0",
        "batch_end 1",
        "epoch_end 0 ['loss', 'val_loss']",
        "epoch_begin 1",
        "batch_end 0",
        "batch_end 1",
        "epoch_end 1 ['loss', 'val_loss']",
        "train_end",
    ]


def test_history_records_every_epoch() -> None:
    x, y = _regression()
    history = _model().fit(x, y, epochs=4, verbose=0, seed=0)
    assert isinstance(history, History) and history.epoch == [0, 1, 2, 3]
    assert (
        len(history.history["loss"]) == 4
        and history.history["loss"][-1] < history.history["loss"][0]
    )
    assert history.to_dict() == history.history


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    x, y = _regression()
    model = _model()
    values = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])
    snapshots = []
    fake = LambdaCallback(
        on_epoch_end=lambda epoch, logs: (
            logs.__setitem__("val_loss", next(values)),
            snapshots.append(model.state_dict()),
        )
    )
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=8, callbacks=[fake, stopper], verbose=0, seed=0)
    assert len(history.epoch) == 4 and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[1][name])


def test_early_stopping_mode_auto_and_bad_arguments() -> None:
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")


def test_early_stopping_warns_when_the_monitor_is_missing() -> None:
    x, y = _regression()
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        _model().fit(x, y, epochs=1, callbacks=[EarlyStopping()], verbose=0)


def test_nan_loss_raises_naming_epoch_and_batch_by_default() -> None:
    x, y = _regression()
    model = gn.Model([gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.SGD(lr=1e6), loss="mse")
    with pytest.raises(NonFiniteLossError, match=r"loss became (nan|inf) at epoch \d+, batch \d+"):
        model.fit(x * 1e3, y * 1e3, epochs=20, batch_size=8, verbose=0, seed=0)


def test_terminate_on_nan_can_stop_quietly(capsys) -> None:
    x, y = _regression()
    model = gn.Model([gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.SGD(lr=1e6), loss="mse")
    history = model.fit(
        x * 1e3,
        y * 1e3,
        epochs=20,
        batch_size=8,
        verbose=0,
        seed=0,
        callbacks=[TerminateOnNaN(raise_error=False)],
    )
    assert len(history.epoch) < 20 and "loss became" in capsys.readouterr().out


def test_stop_training_from_a_callback() -> None:
    x, y = _regression()
    model = _model()
    stopper = LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1)
    )
    assert len(model.fit(x, y, epochs=10, callbacks=[stopper], verbose=0).epoch) == 2


def test_non_callbacks_are_refused() -> None:
    x, y = _regression()
    with pytest.raises(
        TypeError, match="expected glassnet.callbacks.Callback instances, got function"
    ):
        _model().fit(x, y, callbacks=[lambda: None], verbose=0)


def test_batch_hooks_reach_every_callback_that_defines_them_and_only_those() -> None:
    from glassnet.callbacks.base import CallbackList

    calls: list[str] = []

    class TrainBatchBegin(gn.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            calls.append(f"train_batch_begin {batch}")

    lambda_callback = gn.callbacks.LambdaCallback(
        on_batch_end=lambda batch, logs: calls.append(f"lambda {batch}")
    )
    quiet = gn.callbacks.Callback()
    callback_list = CallbackList([TrainBatchBegin(), lambda_callback, quiet], model=None)
    callback_list.on_train_batch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": 1.0})
    assert calls == ["train_batch_begin 0", "lambda 0"]
    assert quiet not in callback_list._batch_begin + callback_list._batch_end
    assert callback_list.batch_hooks() == (True, True)
    assert CallbackList([quiet, gn.callbacks.History()], model=None).batch_hooks() == (False, False)


@pytest.mark.parametrize("hook", ["on_batch_begin", "on_batch_end"])
def test_fit_calls_a_lone_batch_hook_on_every_batch(hook) -> None:
    # fit skips the batch hooks that no callback defines (TerminateOnNaN, on by default, defines
    # the end one): a begin hook alone, or an end hook with TerminateOnNaN off, still runs.
    x, y = _regression()
    batches: list[int] = []
    spy = gn.callbacks.LambdaCallback(**{hook: lambda batch, logs: batches.append(batch)})
    _model().fit(
        x, y, batch_size=len(x) // 4, epochs=2, callbacks=[spy], verbose=0, terminate_on_nan=False
    )
    assert batches == [0, 1, 2, 3] * 2


def test_a_batch_hook_set_in_on_train_begin_is_called() -> None:
    class Late(Callback):
        def __init__(self) -> None:
            self.seen = 0

        def on_train_begin(self, logs=None):
            self.on_batch_end = self._count

        def _count(self, batch, logs=None):
            self.seen += 1

    x, y = _regression()
    late = Late()
    _model().fit(x, y, epochs=1, batch_size=16, callbacks=[late], verbose=0)
    assert late.seen == 4
