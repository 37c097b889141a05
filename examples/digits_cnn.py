"""Real images: scikit-learn's handwritten digits (1797 8x8 images) with a small Keras-style CNN.

    python examples/digits_cnn.py [--seeds 5] [--epochs 20] [--torch] [--out digits_cnn] [--quick]

The same data as examples/digits.py: stratified 80/20 split (random_state=0), pixels / 16, here
shaped as 8x8 images with one channel. The network:

    Conv2D(16, 3, same, relu) -> Conv2D(32, 3, same, relu) -> MaxPooling2D(2)     8x8 -> 4x4
    Flatten -> Dropout(0.25) -> Dense(128, relu) -> Dense(10, softmax)             512 -> 10

Adam 1e-3, batch 32. Prints the test accuracy and the training time of each seed, then the mean
accuracy and the median time. With ``--torch``, PyTorch (2 threads) trains the same network with the
same settings in the same run (channels-first, its own default initialization), seeds interleaved.
Writes ``filters.png`` (the first layer's 3x3 kernels) and ``feature_maps.png`` (what the first
convolution makes of one test image) from the first seed's model into ``--out``. ``--quick`` (one
seed, one epoch, the first 200 training images) checks that everything runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import glassnet as gn

BATCH_SIZE = 32
LEARNING_RATE = 1e-3
DROPOUT = 0.25


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as (n, 8, 8, 1) float32 images in [0, 1] (channels last, as Keras), split as digits.py."""
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, stratify=digits.target, random_state=0
    )
    return _images(X_train), _images(X_test), y_train, y_test


def _images(X: np.ndarray) -> np.ndarray:
    return X.reshape(-1, 8, 8, 1).astype(np.float32)


def build_glassnet() -> gn.Model:
    return gn.Model(
        [
            gn.Conv2D(16, 3, padding="same", activation="relu"),
            gn.Conv2D(32, 3, padding="same", activation="relu"),
            gn.MaxPooling2D(2),
            gn.Flatten(),
            gn.Dropout(DROPOUT),
            gn.Dense(128, activation="relu"),
            gn.Dense(10, activation="softmax"),
        ]
    )


def train_glassnet(data: tuple, seed: int, epochs: int) -> tuple[float, float, gn.Model]:
    X_train, X_test, y_train, y_test = data
    model = build_glassnet()
    model.compile(optimizer=gn.optim.Adam(lr=LEARNING_RATE), loss="sparse_categorical_crossentropy")
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, seed=seed)
    elapsed = time.perf_counter() - started
    return float((model.predict_classes(X_test) == y_test).mean()), elapsed, model


def train_torch(data: tuple, seed: int, epochs: int) -> tuple[float, float, None]:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    tnn = torch.nn
    X_train, X_test = (
        torch.from_numpy(X.transpose(0, 3, 1, 2).copy()) for X in data[:2]
    )  # channels first
    y_train, y_test = (torch.from_numpy(np.asarray(y)) for y in data[2:])
    net = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1),
        tnn.ReLU(),
        tnn.Conv2d(16, 32, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Dropout(DROPOUT),
        tnn.Linear(512, 128),
        tnn.ReLU(),
        tnn.Linear(128, 10),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    started = time.perf_counter()
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_train))
        for start in range(0, len(X_train), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(X_train[index]), y_train[index]).backward()
            optimizer.step()
    elapsed = time.perf_counter() - started
    net.eval()
    with torch.no_grad():
        accuracy = float((net(X_test).argmax(dim=1) == y_test).float().mean())
    return accuracy, elapsed, None


def write_figures(model: gn.Model, image: np.ndarray, out: Path) -> None:
    """The first layer's kernels, and the first convolution's feature maps of one test image."""
    import matplotlib

    matplotlib.use("Agg")
    from glassnet.plotting import plot_feature_maps, plot_filters

    out.mkdir(parents=True, exist_ok=True)
    plot_filters(model.layers[0]).savefig(out / "filters.png", dpi=100)
    plot_feature_maps(model, image, layer=0).savefig(out / "feature_maps.png", dpi=100)
    print(f"wrote {out / 'filters.png'} and {out / 'feature_maps.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--torch", action="store_true", help="also train the PyTorch twin")
    parser.add_argument(
        "--out", type=Path, default=Path("digits_cnn"), help="folder for the figures"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one seed, one epoch, 200 images: check that it runs"
    )
    args = parser.parse_args()
    data = load()
    if args.quick:
        args.seeds, args.epochs = 1, 1
        data = (data[0][:200], data[1], data[2][:200], data[3])
    runners = {"glassnet": train_glassnet}
    if args.torch:
        runners["pytorch"] = train_torch
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
    for seed in range(args.seeds):
        for name, run in runners.items():  # interleaved, so machine noise hits both alike
            accuracy, elapsed, model = run(data, seed, args.epochs)
            results[name].append((accuracy, elapsed))
            print(
                f"seed {seed} {name:8s} test accuracy {accuracy:.4f}  {elapsed:.2f} s", flush=True
            )
            if model is not None and seed == 0:
                write_figures(model, data[1][0], args.out)
    for name, rows in results.items():
        accuracies, times = zip(*rows)
        print(
            f"{name:8s} mean test accuracy {np.mean(accuracies):.4f} (min {np.min(accuracies):.4f}), "
            f"median training time {statistics.median(times):.2f} s"
        )


if __name__ == "__main__":
    main()
