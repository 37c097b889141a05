"""When should a Model start its output layer at zero? The study behind ``glassnet.nn.init.NARROW_WIDTH``.

Two workloads, one question: does a random (He-uniform) output layer hurt or help, depending on the
width of the layer that feeds it?

- circles: the founding network with a hidden layer of width k, 2-5-k-1, He-uniform weights everywhere
  (no zero output layer), the blog's settings (5000 points, lr 0.05, full batch, 9000 epochs). A
  run whose ROC AUC is below 0.6 is a dead network (a constant prediction).
- digits: the MLP 64-128-10 of ``examples/digits.py`` (Adam 1e-3, batch 32, 100 epochs), test
  accuracy with He weights everywhere against the same weights with a zero output layer.

    python benchmarks/output_init_study.py [--seeds 10] [--digits-seeds 20] [--widths 2 4 8 16]
                                           [--epochs 9000] [--digits-epochs 100]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.datasets import generate_data
from glassnet.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import digits  # noqa: E402  (examples/digits.py: the data split and settings)


def circles_auc(width: int, seed: int, epochs: int) -> float:
    data = generate_data(5000, "circles", noise=0.04, seed=seed)
    X, Y = data[["x", "y"]].values, data["label"].values
    model = gn.Model(
        [
            gn.Linear(2, 5, init="he_uniform"),
            gn.ReLU(5),
            gn.Linear(5, width, init="he_uniform"),
            gn.ReLU(width),
            gn.Linear(width, 1, init="he_uniform"),
            gn.Sigmoid(1),
        ]
    )
    model.train(X, Y, learning_rate=0.05, epochs=epochs, seed=seed)
    return roc_auc_score(Y, model.predict(X))


def digits_accuracy(output_init: str, seed: int, data: tuple, epochs: int) -> float:
    X_train, X_test, y_train, y_test = data
    model = gn.Model(
        [
            gn.Dense(128, activation="relu", kernel_initializer="he_uniform"),
            gn.Dense(10, activation="softmax", kernel_initializer=output_init),
        ]
    )
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0, seed=seed)
    return float((model.predict_classes(X_test) == y_test).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="circles runs per width")
    parser.add_argument("--digits-seeds", type=int, default=20)
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--epochs", type=int, default=9000, help="circles epochs")
    parser.add_argument("--digits-epochs", type=int, default=100)
    args = parser.parse_args()

    report: dict[str, dict[str, list[float]]] = {"circles_auc": {}, "digits_accuracy": {}}
    print(f"circles 2-5-k-1, He everywhere, {args.epochs} epochs, seeds 0-{args.seeds - 1}")
    for width in args.widths:
        aucs = [circles_auc(width, seed, args.epochs) for seed in range(args.seeds)]
        report["circles_auc"][str(width)] = aucs
        dead = sum(auc < 0.6 for auc in aucs)
        print(
            f"  k = {width:3d}: mean AUC {np.mean(aucs):.4f}, min {np.min(aucs):.4f}, dead runs {dead}",
            flush=True,
        )

    data = digits.load()
    print(f"digits 64-128-10, Adam, {args.digits_epochs} epochs, seeds 0-{args.digits_seeds - 1}")
    for label, output_init in (("He output layer", "he_uniform"), ("zero output layer", "zeros")):
        accuracies = [
            digits_accuracy(output_init, seed, data, args.digits_epochs)
            for seed in range(args.digits_seeds)
        ]
        report["digits_accuracy"][label] = accuracies
        error = np.std(accuracies, ddof=1) / np.sqrt(len(accuracies))
        print(
            f"  {label:18s}: mean test accuracy {np.mean(accuracies):.4f} +- {error:.4f} (standard error), "
            f"min {np.min(accuracies):.4f}",
            flush=True,
        )
    print(
        json.dumps(
            {
                "benchmark": "output_init_study",
                **{
                    k: {n: [round(v, 5) for v in vs] for n, vs in d.items()}
                    for k, d in report.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
