"""The adding problem (Hochreiter & Schmidhuber, 1997): an LSTM and a GRU learn it, a plain RNN does not.

    python examples/adding_problem.py [--steps 50] [--out adding_problem] [--quick]

Each sample is a sequence of T steps with two features: a random number in [0, 1) and a marker
that is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The target is
the sum of the two marked numbers. Predicting the mean (1.0) gives a test MSE of about 0.167, so
a network must carry the first marked number across up to T steps to do better. An LSTM, a GRU and
a SimpleRNN (32 units each, then Dense(1)) train with Adam (lr 0.01, clipnorm 1) until the test
MSE falls below 0.005 or the epochs run out; the script prints each one's test MSE and draws the
three test-loss curves in ``<out>/adding_problem.png``. ``--quick`` runs a tiny version (T = 10,
few samples, one epoch) that only checks that everything runs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

# The matrices here are small (64 x 32 by 32 x 128 per step): BLAS threads only wait on each other,
# and on a busy machine they make each step many times slower. Set before NumPy loads its BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import glassnet as gn

TARGET = 0.01
STOP_AT = 0.005


def adding_data(n: int, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (n, steps, 2) and the sums ``y`` (n, 1)."""
    x = np.zeros((n, steps, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, steps))
    rows = np.arange(n)
    first = rng.integers(0, steps // 2, n)
    second = rng.integers(steps // 2, steps, n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = (x[rows, first, 0] + x[rows, second, 0])[:, np.newaxis]
    return x, y


def train(
    layer: gn.nn.Module, data: tuple, epochs: int, chunks: int = 5
) -> tuple[list[float], float]:
    """Train ``layer`` + Dense(1); the test MSE after every fifth of an epoch, and the seconds taken."""
    x_train, y_train, x_test, y_test = data
    model = gn.Model([layer, gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.Adam(lr=0.01), loss="mse", clipnorm=1.0)
    curve = [model.evaluate(x_test, y_test)["loss"]]
    started = time.perf_counter()
    for epoch in range(epochs):
        for part, (xs, ys) in enumerate(
            zip(np.array_split(x_train, chunks), np.array_split(y_train, chunks))
        ):
            model.fit(xs, ys, epochs=1, batch_size=64, verbose=0, seed=epoch * chunks + part)
            curve.append(model.evaluate(x_test, y_test)["loss"])
        if curve[-1] < STOP_AT:
            break
    return curve, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--out", default="adding_problem")
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run that only checks the script works"
    )
    args = parser.parse_args()
    steps, n_train, epochs = (10, 256, 1) if args.quick else (args.steps, 8000, 6)
    rng = np.random.default_rng(0)
    data = (*adding_data(n_train, steps, rng), *adding_data(1000, steps, rng))
    print(f"adding problem, T = {steps}: predicting the mean gives test MSE {np.var(data[3]):.3f}")
    curves = {}
    for name, cls in (("LSTM", gn.LSTM), ("GRU", gn.GRU), ("SimpleRNN", gn.SimpleRNN)):
        curve, seconds = train(cls(32, input_shape=(steps, 2), rng=0), data, epochs)
        curves[name] = curve
        verdict = "reached" if curve[-1] < TARGET else "did not reach"
        print(
            f"{name:9s} test MSE {curve[-1]:.4f} after {(len(curve) - 1) / 5:.1f} epochs ({seconds:.1f} s): "
            f"{verdict} {TARGET}"
        )
    plot(curves, float(np.var(data[3])), Path(args.out), steps)


def plot(curves: dict[str, list[float]], baseline: float, out: Path, steps: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, curve in curves.items():
        ax.plot(np.arange(len(curve)) / 5, curve, label=name)
    ax.axhline(baseline, color="grey", linestyle="--", label="predict the mean")
    ax.axhline(TARGET, color="black", linestyle=":", label=f"target {TARGET}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test MSE")
    ax.set_title(f"The adding problem, T = {steps}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "adding_problem.png", dpi=100)
    print(f"wrote {out / 'adding_problem.png'}")


if __name__ == "__main__":
    main()
