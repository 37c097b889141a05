"""Training runs shared by the distributed tests: run under ``mpiexec -n 2`` (``python workers.py
OUT JOB...``) and, as references, in the pytest process on one process.

Each job writes ``OUT/<job>_rank<r>.npz`` (the final weights and buffers) and ``.json`` (History,
evaluation, which files this rank wrote). The data and models are small and float64, so that the
2-process runs can be compared with one process to 1e-10.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn
import glassnet.distributed as dist
from glassnet.autograd.replay import Replay

ROWS = 640  # 10 steps of 64 rows per epoch: 2 epochs are 20 steps
EPOCHS = 2


def data(rows: int = ROWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 4 features, float64."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x, y


class RowsSeen(gn.metrics.Metric):
    """A user's metric without merge_state: a distributed fit gives it every process's outputs."""

    default_name = "rows_seen"

    def reset_state(self) -> None:
        self.rows = 0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self.rows += len(y_pred)

    def result(self) -> float:
        return float(self.rows)


def classifier(optimizer: str) -> gn.Model:
    model = gn.Model(
        [
            gn.Dense(16, activation="relu", dtype=np.float64, in_features=4),
            gn.Dense(3, activation="softmax", dtype=np.float64),
        ]
    )
    chosen = gn.optim.SGD(lr=0.1, momentum=0.9) if optimizer == "sgd" else gn.optim.Adam(lr=0.01)
    # Summed (accuracy, log loss), merged (precision's confusion counts, AUC's scores) and gathered
    # (RowsSeen) across processes.
    model.compile(
        optimizer=chosen,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", "auc", "precision", "log_loss", RowsSeen()],
    )
    return model


def batchnorm_regressor() -> gn.Model:
    model = gn.Model(
        [
            gn.Dense(8, dtype=np.float64, in_features=4),
            gn.nn.BatchNorm1d(8, dtype=np.float64),
            gn.ReLU(),
            gn.Dense(1, dtype=np.float64),
        ]
    )
    model.compile(optimizer=gn.optim.SGD(lr=0.05), loss="mse")
    return model


def regression_targets(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, :1]) + 0.5 * x[:, 1:2]


@contextlib.contextmanager
def counting_replays() -> Iterator[list[int]]:
    """Counts the training steps that replay a recorded step (fit's fast path) while inside."""
    count = [0]
    original = Replay.run

    def run(self: Replay, *inputs: np.ndarray) -> Any:
        count[0] += 1
        return original(self, *inputs)

    Replay.run = run  # type: ignore[method-assign]
    try:
        yield count
    finally:
        Replay.run = original  # type: ignore[method-assign]


def train_classifier(
    optimizer: str,
    batch_size: int,
    out: Path,
    distributed: bool,
    epochs: int = EPOCHS,
    resume_from: str | None = None,
    tag: str = "",
) -> tuple[gn.Model, Any, dict[str, Any]]:
    """fit with validation, metrics, a CSV log and a checkpoint per epoch (written in ``out``)."""
    x, y = data()
    x_val, y_val = data(101, seed=1)  # an odd count: the processes evaluate unequal parts
    model = classifier(optimizer)
    checkpoint = gn.callbacks.ModelCheckpoint(str(out / f"{optimizer}{tag}_epoch{{epoch}}.gnet"))
    logger = gn.callbacks.CSVLogger(str(out / f"{optimizer}{tag}.csv"))
    with counting_replays() as replays:
        history = model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=(x_val, y_val),
            seed=0,
            callbacks=[checkpoint, logger],
            verbose=2,
            distributed=distributed,
            resume_from=resume_from,
        )
    info = {
        "history": history.history,
        "saved": checkpoint.saved,
        "evaluate": model.evaluate(x_val, y_val, distributed=distributed),
        "steps": model._steps_taken,
        "replayed_steps": replays[0],
    }
    return model, history, info


def train_batchnorm(batch_size: int, distributed: bool) -> gn.Model:
    x, _ = data()
    model = batchnorm_regressor()
    model.fit(
        x,
        regression_targets(x),
        epochs=EPOCHS,
        batch_size=batch_size,
        seed=0,
        verbose=0,
        distributed=distributed,
    )
    return model


def collectives() -> dict[str, Any]:
    """broadcast_parameters and allreduce_gradients by hand, on parameters of two dtypes."""
    rank = dist.rank()
    layer32 = gn.nn.Linear(3, 2, rng=rank)  # different initial weights on each process
    layer64 = gn.nn.Linear(2, 2, dtype=np.float64, rng=10 + rank)
    params = list(layer32.parameters()) + list(layer64.parameters())
    dist.broadcast_parameters(params)
    for param in params:
        param.grad = np.full(param.shape, rank + 1.0, dtype=param.dtype)
    params[-1].grad = None  # a parameter without a gradient keeps none
    dist.allreduce_gradients(params)
    return {
        "weights": [p.data.tolist() for p in params],
        "grads": [None if p.grad is None else p.grad.tolist() for p in params],
        "grad_dtypes": [None if p.grad is None else p.grad.dtype.name for p in params],
    }


class FailOnRankOne(gn.callbacks.Callback):
    """Raises in the third batch on rank 1 only, while rank 0 goes on into the next Allreduce."""

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if dist.rank() == 1 and batch == 2:
            raise ValueError("boom on rank 1")


class StopOnRankOne(gn.callbacks.Callback):
    """Stops training after the second epoch, on rank 1 only (as a callback reading local state could)."""

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if dist.rank() == 1 and epoch == 1:
            self.model.stop_training = True


def traffic() -> dict[str, Any]:
    """The pickled sizes of fit's allgathers, with metrics that sum (accuracy) or merge small
    states (precision): none grows with the number of rows."""
    sizes: list[int] = []
    original = dist.allgather

    def counted(obj: Any) -> list[Any]:
        sizes.append(len(pickle.dumps(obj)))
        return original(obj)

    x, y = data(4 * ROWS)
    model = classifier("sgd")
    model.compile(
        optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy", "precision"]
    )
    dist.allgather = counted  # type: ignore[assignment]  (fit looks it up at each call)
    try:
        history = model.fit(x, y, epochs=3, batch_size=32, seed=0, verbose=0, distributed=True)
        evaluated = model.evaluate(x, y, distributed=True)
    finally:
        dist.allgather = original  # type: ignore[assignment]
    return {"sizes": sizes, "history": history.history, "evaluate": evaluated}


def _report(caught: dict[str, str], case: str, call: Any) -> None:
    """Run ``call``; keep what it raised, as a script that catches the error would."""
    try:
        call()
        caught[case] = "no error"
    except Exception as exc:  # noqa: BLE001  (the test reads the type and message)
        caught[case] = f"{type(exc).__name__}: {exc}"


def catchable_errors(out: Path) -> None:
    """Errors that every process meets alike are raised as usual on each, and the processes go on."""
    x, y = data()
    model = classifier("sgd")
    wrong = np.zeros((len(x), 2))  # sparse labels must be (n,)
    caught: dict[str, str] = {}  # written to a file: two processes' printed lines may interleave
    _report(
        caught, "bad targets", lambda: model.fit(x, wrong, epochs=1, verbose=0, distributed=True)
    )
    _report(caught, "bad evaluate", lambda: model.evaluate(x[:, :3], y, distributed=True))
    mine = 100 if dist.rank() == 0 else 120
    _report(
        caught,
        "other lengths",
        lambda: model.fit(x[:mine], y[:mine], epochs=1, verbose=0, distributed=True),
    )
    shuffled = x if dist.rank() == 0 else x[::-1]
    _report(
        caught,
        "other values",
        lambda: model.fit(shuffled, y, epochs=1, verbose=0, distributed=True),
    )
    one_bad = y if dist.rank() == 0 else y + 10  # a label out of range on rank 1 only
    _report(caught, "bad on one", lambda: model.evaluate(x, one_bad, distributed=True))
    _report(
        caught,
        "missing checkpoint",
        lambda: model.fit(
            x,
            y,
            epochs=3,
            verbose=0,
            distributed=True,
            resume_from=str(out / "no_such_checkpoint.gnet"),
        ),
    )
    # Nothing was left half done: a fit on the same data now trains in step.
    history = model.fit(x, y, epochs=1, batch_size=64, seed=0, verbose=0, distributed=True)
    # One row for two processes: rank 1 evaluates none of it.
    one_row = {
        "distributed": model.evaluate(x[:1], y[:1], distributed=True),
        "alone": model.evaluate(x[:1], y[:1]),
    }
    _save(
        out,
        "catchable",
        model,
        {"caught": caught, "loss": history.history["loss"], "one_row": one_row},
    )


def _save(out: Path, job: str, model: gn.Model | None, info: dict[str, Any]) -> None:
    stem = out / f"{job}_rank{dist.rank()}"
    if model is not None:
        np.savez(f"{stem}.npz", **model.state_dict())
    stem.with_suffix(".json").write_text(json.dumps(info))


def run(out: Path, job: str) -> None:
    if job in ("sgd", "adam"):
        model, _, info = train_classifier(job, 32, out, distributed=True)
        _save(out, job, model, info)
    elif job == "resume":  # from a checkpoint written by one process, on two; only rank 0 reads it
        checkpoint = out / f"sgd_one_process_epoch{EPOCHS}.gnet"
        model, _, info = train_classifier(
            "sgd",
            32,
            out,
            distributed=True,
            epochs=2 * EPOCHS,
            tag="_resumed",
            resume_from=str(checkpoint if dist.is_main() else out / "not_here.gnet"),
        )
        _save(out, job, model, info)
    elif job == "traffic":  # what the processes exchange by allgather, per epoch, for the metrics
        _save(out, job, None, traffic())
    elif job == "catchable":
        catchable_errors(out)
    elif job == "batchnorm":
        _save(out, job, train_batchnorm(32, distributed=True), {})
    elif job == "uneven":  # 101 rows: the shares are padded; a stop on one process stops both
        x, y = data(101)
        model = classifier("adam")
        history = model.fit(
            x,
            y,
            epochs=5,
            batch_size=8,
            seed=0,
            verbose=0,
            callbacks=[StopOnRankOne()],
            distributed=True,
        )
        _save(out, job, model, {"epochs": history.epoch, "steps": model._steps_taken})
    elif job == "collectives":
        _save(out, job, None, collectives())
    elif job == "fail":
        x, y = data()
        classifier("sgd").fit(
            x, y, epochs=1, batch_size=32, verbose=0, callbacks=[FailOnRankOne()], distributed=True
        )
    elif job == "nan":  # one target whose squared error overflows: an infinite loss on one process
        x, _ = data()
        y = regression_targets(x)
        y[5] = 1e300
        batchnorm_regressor().fit(
            x, y, epochs=1, batch_size=32, verbose=0, seed=0, distributed=True
        )
    else:
        raise ValueError(f"unknown job {job!r}")


if __name__ == "__main__":
    dist.init()
    for name in sys.argv[2:]:
        run(Path(sys.argv[1]), name)
