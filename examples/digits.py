"""Real data: scikit-learn's handwritten digits (1797 8x8 images) with a Keras-style MLP.

    python examples/digits.py [--seeds 5] [--epochs 100] [--torch]

Stratified 80/20 split (random_state=0), pixels / 16, MLP 64-128-10 (ReLU, softmax), Adam 1e-3,
batch 32. Prints the test accuracy and the training time of each seed, then the mean accuracy and
the median time. With ``--torch``, PyTorch (2 threads) trains the same network in the same run,
for a side-by-side comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import glassnet as gn


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, stratify=digits.target, random_state=0
    )
    return X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test


def train_glassnet(data: tuple, seed: int, epochs: int) -> tuple[float, float]:
    X_train, X_test, y_train, y_test = data
    model = gn.Model([gn.Dense(128, activation="relu"), gn.Dense(10, activation="softmax")])
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0, seed=seed)
    elapsed = time.perf_counter() - started
    return float((model.predict_classes(X_test) == y_test).mean()), elapsed


def train_torch(data: tuple, seed: int, epochs: int) -> tuple[float, float]:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    X_train, X_test, y_train, y_test = (torch.from_numpy(np.asarray(a)) for a in data)
    net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X_train))
        for start in range(0, len(X_train), 32):
            index = order[start : start + 32]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(X_train[index]), y_train[index]).backward()
            optimizer.step()
    elapsed = time.perf_counter() - started
    with torch.no_grad():
        accuracy = float((net(X_test).argmax(dim=1) == y_test).float().mean())
    return accuracy, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--torch", action="store_true", help="also train the PyTorch twin")
    args = parser.parse_args()

    data = load()
    runners = {"glassnet": train_glassnet}
    if args.torch:
        runners["pytorch"] = train_torch
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
    for seed in range(args.seeds):
        for name, run in runners.items():  # interleaved, so machine noise hits both alike
            accuracy, elapsed = run(data, seed, args.epochs)
            results[name].append((accuracy, elapsed))
            print(
                f"seed {seed} {name:8s} test accuracy {accuracy:.4f}  {elapsed:.2f} s", flush=True
            )
    for name, rows in results.items():
        accuracies, times = zip(*rows)
        print(
            f"{name:8s} mean test accuracy {np.mean(accuracies):.4f} (min {np.min(accuracies):.4f}), "
            f"median training time {statistics.median(times):.2f} s"
        )


if __name__ == "__main__":
    main()
