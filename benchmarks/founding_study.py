"""The founding-example study: ROC AUC of the blog's 2-5-2-1 network under several initializations.

Settings are the blog's: 5000 make_circles points (noise 0.04), full-batch gradient descent,
lr 0.05, 9000 epochs, binary cross-entropy; one run per seed (the seed draws the data and the
weights). Prints a table of mean and minimum ROC AUC (on probabilities) per initialization.

    python benchmarks/founding_study.py [--seeds 10] [--epochs 9000] [--torch]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

import glassnet as gn
from glassnet.datasets import generate_data
from glassnet.metrics import roc_auc_score


def founding_model(init: str | None) -> gn.Model:
    model = gn.Model()
    model.add(gn.Linear(2, 5, init=init))
    model.add(gn.ReLU(5))
    model.add(gn.Linear(5, 2, init=init))
    model.add(gn.ReLU(2))
    model.add(gn.Linear(2, 1, init=init))
    model.add(gn.Sigmoid(1))
    return model


def glassnet_auc(init: str | None, seed: int, epochs: int) -> float:
    data = generate_data(5000, "circles", noise=0.04, seed=seed)
    X, Y = data[["x", "y"]].values, data["label"].values
    model = founding_model(init)
    model.train(X, Y, learning_rate=0.05, epochs=epochs, seed=seed)
    return roc_auc_score(Y, model.predict(X))


def torch_auc(seed: int, epochs: int) -> float:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    data = generate_data(5000, "circles", noise=0.04, seed=seed)
    x = torch.tensor(data[["x", "y"]].values, dtype=torch.float32)
    y = torch.tensor(data["label"].values, dtype=torch.float32).reshape(-1, 1)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 2),
        torch.nn.ReLU(),
        torch.nn.Linear(2, 1),
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(net(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        return roc_auc_score(data["label"].values, net(x).numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=9000)
    parser.add_argument(
        "--torch", action="store_true", help="also run PyTorch with its default init"
    )
    args = parser.parse_args()

    runs: dict[str, Callable[[int], float]] = {
        "glassnet default (He, zero output layer)": lambda s: glassnet_auc(None, s, args.epochs),
        "He uniform everywhere": lambda s: glassnet_auc("he_uniform", s, args.epochs),
        "PyTorch's scheme, in glassnet": lambda s: glassnet_auc("torch", s, args.epochs),
        "blog: uniform [0, 1)": lambda s: glassnet_auc("blog_uniform", s, args.epochs),
    }
    if args.torch:
        runs["PyTorch 2.13 default init"] = lambda s: torch_auc(s, args.epochs)
    print(
        f"2-5-2-1 on circles, lr 0.05, full batch, {args.epochs} epochs, seeds 0-{args.seeds - 1}"
    )
    print(f"{'initialization':42s} {'mean AUC':>9s} {'min AUC':>8s}  per seed")
    results = {}
    for name, run in runs.items():
        started = time.perf_counter()
        aucs = [run(seed) for seed in range(args.seeds)]
        results[name] = aucs
        print(
            f"{name:42s} {np.mean(aucs):9.4f} {np.min(aucs):8.4f}  {np.round(aucs, 3).tolist()} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    print(
        json.dumps(
            {
                "benchmark": "founding_study",
                "epochs": args.epochs,
                "auc": {k: [round(v, 5) for v in vs] for k, vs in results.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
