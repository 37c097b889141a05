"""Optimizer study: final loss and epochs to a target accuracy, on circles and on digits, over seeds.

Circles: the founding 2-5-2-1 network, full batch, 5000 points; the target is 99% training
accuracy. Digits: the MLP 64-128-10 of ``examples/digits.py``, batch 32; the target is 97% test
accuracy. Each optimizer runs with a learning rate typical for it (listed in the table).

    python benchmarks/optimizers.py [--seeds 5] [--circles-epochs 3000] [--digits-epochs 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.callbacks import LambdaCallback
from glassnet.datasets import generate_data
from glassnet.demo import build_founding_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from digits import load  # noqa: E402

OPTIMIZERS: dict[str, tuple[Callable[..., gn.optim.Optimizer], dict]] = {
    "SGD": (gn.optim.SGD, dict(lr=0.05)),
    "SGD momentum 0.9": (gn.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "Adam": (gn.optim.Adam, dict(lr=0.01)),
    "AdamW": (gn.optim.AdamW, dict(lr=0.01)),
    "RMSprop": (gn.optim.RMSprop, dict(lr=0.01)),
    "Adagrad": (gn.optim.Adagrad, dict(lr=0.1)),
    "Adadelta": (gn.optim.Adadelta, dict(lr=1.0)),
    "Adamax": (gn.optim.Adamax, dict(lr=0.02)),
    "NAdam": (gn.optim.NAdam, dict(lr=0.01)),
    "Lion": (gn.optim.Lion, dict(lr=0.001)),
}


def _epochs_to(history: list[float], target: float) -> int | None:
    return next((epoch + 1 for epoch, value in enumerate(history) if value >= target), None)


def circles_run(
    factory: Callable, options: dict, seed: int, epochs: int
) -> tuple[float, int | None]:
    data = generate_data(5000, "circles", noise=0.04, seed=seed)
    x, y = data[["x", "y"]].values, data["label"].values
    model = build_founding_model()
    model.compile(optimizer=factory(**options), loss="binary_crossentropy")
    accuracies: list[float] = []
    track = LambdaCallback(
        on_epoch_end=lambda epoch, logs: (
            accuracies.append(float((model.predict_classes(x) == y).mean()))
            if epoch % 10 == 9
            else None
        )
    )
    history = model.fit(
        x, y, epochs=epochs, batch_size=None, verbose=0, seed=seed, callbacks=[track]
    )
    reached = _epochs_to(accuracies, 0.99)
    return history.history["loss"][-1], None if reached is None else reached * 10


def digits_run(
    factory: Callable, options: dict, seed: int, epochs: int
) -> tuple[float, int | None]:
    x_train, x_test, y_train, y_test = load()
    model = gn.Model([gn.Dense(128, activation="relu"), gn.Dense(10, activation="softmax")])
    lr = dict(options, lr=options["lr"] / 10)  # mini-batches: a tenth of the full-batch rate
    model.compile(optimizer=factory(**lr), loss="sparse_categorical_crossentropy")
    accuracies: list[float] = []
    track = LambdaCallback(
        on_epoch_end=lambda epoch, logs: accuracies.append(
            float((model.predict_classes(x_test) == y_test).mean())
        )
    )
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, verbose=0, seed=seed, callbacks=[track]
    )
    return history.history["loss"][-1], _epochs_to(accuracies, 0.97)


def summarize(results: list[tuple[float, int | None]]) -> tuple[float, str]:
    losses = [loss for loss, _ in results]
    reached = [epochs for _, epochs in results if epochs is not None]
    epochs = (
        f"{statistics.median(reached):.0f} ({len(reached)}/{len(results)} runs)"
        if reached
        else f"never (0/{len(results)})"
    )
    return float(np.median(losses)), epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--circles-epochs", type=int, default=3000)
    parser.add_argument("--digits-epochs", type=int, default=30)
    args = parser.parse_args()
    table = {}
    print(
        "| optimizer (lr on circles; digits uses lr / 10) | circles: final loss | circles: epochs to 99% train acc "
        "| digits: final loss | digits: epochs to 97% test acc |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, (factory, options) in OPTIMIZERS.items():
        circles = summarize(
            [circles_run(factory, options, s, args.circles_epochs) for s in range(args.seeds)]
        )
        digits = summarize(
            [digits_run(factory, options, s, args.digits_epochs) for s in range(args.seeds)]
        )
        table[name] = {"circles": circles, "digits": digits}
        print(
            f"| {name} (lr {options['lr']}) | {circles[0]:.4f} | {circles[1]} | {digits[0]:.4f} | {digits[1]} |",
            flush=True,
        )
    print(json.dumps({"benchmark": "optimizers", "seeds": args.seeds, "table": table}))


if __name__ == "__main__":
    main()
