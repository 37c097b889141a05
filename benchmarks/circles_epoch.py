"""One full-batch epoch of the founding 2-5-2-1 network: glassnet vs hand-fused NumPy vs PyTorch.

All three train the same network (ReLU, ReLU, Sigmoid + binary cross-entropy on logits, SGD
lr 0.05) on the same 5000 float32 samples, interleaved in one process so that machine noise hits
them alike. Each round times ``--block`` epochs of each; the figure is the median per-epoch time
over the rounds, reported as ratios to the NumPy floor.

    python benchmarks/circles_epoch.py [--rounds 30] [--block 50]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import glassnet as gn
from glassnet.demo import build_founding_model

LEARNING_RATE = 0.05


def make_data(n: int = 5000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    X, Y = make_circles(n_samples=n, noise=0.04, random_state=seed)
    return X.astype(np.float32), Y.astype(np.float32)


class FusedNumpy:
    """The floor: the same math written by hand, biases folded into the weights, buffers reused."""

    def __init__(
        self, X: np.ndarray, Y: np.ndarray, weights: list[tuple[np.ndarray, np.ndarray]]
    ) -> None:
        n = len(X)
        self.n = n
        self.y = Y.reshape(-1, 1)
        # Each layer's input gets a trailing column of ones, so x_aug @ W_aug = x @ W.T + b.
        self.inputs = [
            np.ones((n, 3), np.float32),
            np.ones((n, 6), np.float32),
            np.ones((n, 3), np.float32),
        ]
        self.inputs[0][:, :2] = X
        self.weights = [np.vstack([w.T, b[None, :]]).astype(np.float32) for w, b in weights]
        self.pre = [
            np.empty((n, 5), np.float32),
            np.empty((n, 2), np.float32),
            np.empty((n, 1), np.float32),
        ]
        self.grad_pre = [np.empty_like(p) for p in self.pre]

    def epoch(self) -> None:
        a0, a1, a2 = self.inputs
        w0, w1, w2 = self.weights
        h0, h1, z = self.pre
        np.matmul(a0, w0, out=h0)
        np.maximum(h0, 0, out=a1[:, :5])
        np.matmul(a1, w1, out=h1)
        np.maximum(h1, 0, out=a2[:, :2])
        np.matmul(a2, w2, out=z)
        # d(mean BCE on logits)/dz = (sigmoid(z) - y) / n
        dz = self.grad_pre[2]
        np.negative(z, out=dz)
        np.exp(dz, out=dz)
        dz += 1
        np.reciprocal(dz, out=dz)
        dz -= self.y
        dz *= 1.0 / self.n
        dw2 = a2.T @ dz
        dh1 = self.grad_pre[1]
        np.matmul(dz, w2[:2].T, out=dh1)
        dh1 *= h1 > 0
        dw1 = a1.T @ dh1
        dh0 = self.grad_pre[0]
        np.matmul(dh1, w1[:5].T, out=dh0)
        dh0 *= h0 > 0
        dw0 = a0.T @ dh0
        for w, dw in ((w0, dw0), (w1, dw1), (w2, dw2)):
            dw *= LEARNING_RATE
            w -= dw


def glassnet_runner(X: np.ndarray, Y: np.ndarray) -> tuple[Callable[[int], None], list]:
    gn.seed(0)
    model = build_founding_model()
    weights = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in model.layers[::2]]

    def run(epochs: int) -> None:
        model.train(X, Y, learning_rate=LEARNING_RATE, epochs=epochs)

    return run, weights


def torch_runner(X: np.ndarray, Y: np.ndarray, weights: list) -> Callable[[int], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 2),
        torch.nn.ReLU(),
        torch.nn.Linear(2, 1),
    )
    with torch.no_grad():
        for layer, (w, b) in zip(net[::2], weights):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    x = torch.from_numpy(X)
    y = torch.from_numpy(Y.reshape(-1, 1))
    optimizer = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def run(epochs: int) -> None:
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            optimizer.step()

    return run


def per_epoch_median(run: Callable[[int], None], block: int, times: list[float]) -> None:
    start = time.perf_counter()
    run(block)
    times.append((time.perf_counter() - start) / block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--block", type=int, default=50, help="epochs per timed block")
    args = parser.parse_args()

    X, Y = make_data()
    glassnet_run, weights = glassnet_runner(X, Y)
    fused = FusedNumpy(X, Y, weights)
    runners: dict[str, Callable[[int], None]] = {
        "numpy_fused": lambda epochs: [fused.epoch() for _ in range(epochs)] and None,
        "glassnet": glassnet_run,
    }
    torch_run = torch_runner(X, Y, weights)
    if torch_run is not None:
        runners["pytorch"] = torch_run
    for run in runners.values():  # warm-up
        run(20)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, run in runners.items():
            per_epoch_median(run, args.block, times[name])

    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["numpy_fused"]
    print(
        f"circles epoch: 5000 samples, 2-5-2-1, float32, {args.rounds} rounds x {args.block} epochs "
        f"({args.rounds * args.block} epochs each)"
    )
    for name, median in medians.items():
        print(f"  {name:12s} {median * 1e6:9.1f} us/epoch   {median / floor:5.2f}x the NumPy floor")
    if "pytorch" in medians:
        print(f"  glassnet / pytorch = {medians['glassnet'] / medians['pytorch']:.2f}")
    record = {
        "benchmark": "circles_epoch",
        "us_per_epoch": {k: round(v * 1e6, 1) for k, v in medians.items()},
        "ratio_to_numpy_floor": {k: round(v / floor, 3) for k, v in medians.items()},
        "epochs_each": args.rounds * args.block,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
