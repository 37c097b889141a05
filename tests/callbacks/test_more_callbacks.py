"""ModelCheckpoint, CSVLogger, LearningRateScheduler, ReduceLROnPlateau."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import (
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    return x, x @ np.array([1.0, -1.0, 0.5])


def _model(lr: float = 0.05) -> gn.Model:
    model = gn.Model([gn.Dense(8, activation="relu", rng=0), gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.SGD(lr=lr), loss="mse")
    return model


def test_checkpoint_every_epoch_with_formatted_names_loads_back(tmp_path) -> None:
    x, y = _data()
    model = _model()
    checkpoint = ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.npz", monitor="loss")
    model.fit(x, y, epochs=3, callbacks=[checkpoint], verbose=0, seed=0)
    assert len(checkpoint.saved) == 3 and checkpoint.saved[0].endswith(".npz")
    assert "ckpt-03-" in checkpoint.saved[-1]
    fresh = _model()
    fresh.fit(x[:2], y[:2], epochs=0, verbose=0)
    fresh.load_weights(checkpoint.saved[-1])
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    assert not list(tmp_path.glob("*.tmp"))


def test_checkpoint_best_only_writes_when_the_monitor_improves(tmp_path) -> None:
    x, y = _data()
    values = iter([3.0, 2.0, 2.5, 1.0])
    fake = LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.__setitem__("val_loss", next(values))
    )
    checkpoint = ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    _model().fit(x, y, epochs=4, callbacks=[fake, checkpoint], verbose=0)
    assert len(checkpoint.saved) == 3 and (tmp_path / "best.npz").exists()


def _rows(path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_csv_logger_writes_a_header_and_a_row_per_epoch(tmp_path) -> None:
    x, y = _data()
    path = tmp_path / "log.csv"
    _model().fit(
        x, y, epochs=3, validation_split=0.25, callbacks=[CSVLogger(path)], verbose=0, seed=0
    )
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"] and [r[0] for r in rows[1:]] == ["0", "1", "2"]
    _model().fit(
        x, y, epochs=1, validation_split=0.25, callbacks=[CSVLogger(path, append=True)], verbose=0
    )
    assert len(_rows(path)) == 5


def test_learning_rate_scheduler_with_a_function() -> None:
    x, y = _data()
    model = _model(lr=0.1)
    seen = []
    spy = LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.lr))
    history = model.fit(
        x,
        y,
        epochs=3,
        callbacks=[LearningRateScheduler(lambda e, lr: 0.1 / (e + 1)), spy],
        verbose=0,
    )
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert history.history["lr"] == pytest.approx(seen)


def test_learning_rate_scheduler_steps_schedule_objects() -> None:
    class Halving:
        def __init__(self, optimizer):
            self.optimizer = optimizer

        def step(self):
            self.optimizer.lr = self.optimizer.lr / 2

    x, y = _data()
    model = _model(lr=0.08)
    model.fit(
        x, y, epochs=3, callbacks=[LearningRateScheduler(Halving(model.optimizer))], verbose=0
    )
    assert model.optimizer.lr == pytest.approx(0.01)
    with pytest.raises(ValueError, match="per must be 'epoch' or 'batch'"):
        LearningRateScheduler(lambda e, lr: lr, per="step")


def test_reduce_lr_on_plateau_reduces_after_patience_and_respects_min_lr() -> None:
    x, y = _data()
    model = _model(lr=0.01)
    flat = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__("val_loss", 1.0))
    reducer = ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.003)
    history = model.fit(x, y, epochs=7, callbacks=[flat, reducer], verbose=0)
    assert history.history["lr"] == pytest.approx(
        [0.01, 0.01, 0.005, 0.005, 0.005 * 0.5, 0.0025, 0.003][:7], abs=1e-3
    )
    assert model.optimizer.lr == pytest.approx(0.003)
    with pytest.raises(ValueError, match=r"factor must lie in \(0, 1\)"):
        ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_refuses_metric_driven_schedules() -> None:
    optimizer = gn.optim.SGD([gn.Parameter(np.ones(1))], lr=0.1)
    with pytest.raises(TypeError, match=r"needs a metric.*ReduceLROnPlateau\(monitor="):
        LearningRateScheduler(gn.optim.schedules.ReduceLROnPlateau(optimizer))
