"""Forecast a noisy sine wave with an LSTM and plot the prediction against the truth.

    python examples/sine_forecast.py [--epochs 15] [--out sine_forecast] [--quick]

The series is sin(2 pi t / 50) plus Gaussian noise (sd 0.1), 2000 points. Each sample is a window
of 40 noisy values and its target the next value. The first 80% of the series trains
``LSTM(32) -> Dense(1)`` (Adam 0.01); on the last 20% the script prints the test MSE next to two
references, the noise variance (0.01, the best any forecast can do against noisy targets) and
repeating the last value, then plots the one-step-ahead forecast against the noisy series and
the clean sine in ``<out>/sine_forecast.png``. ``--quick`` trains on a short series for one epoch.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# Small matrices: BLAS threads only wait on each other (see examples/adding_problem.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import glassnet as gn

PERIOD, NOISE, WINDOW = 50, 0.1, 40


def series(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The clean sine and the noisy observations, ``n`` points each."""
    clean = np.sin(2 * np.pi * np.arange(n) / PERIOD)
    return clean, clean + rng.normal(0.0, NOISE, n)


def windows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``(n, WINDOW, 1)`` of consecutive values and the value after each, ``(n, 1)``."""
    starts = np.arange(len(values) - WINDOW)
    x = values[starts[:, None] + np.arange(WINDOW)][:, :, None]
    return x.astype(np.float32), values[starts + WINDOW, None].astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default="sine_forecast")
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run that only checks the script works"
    )
    args = parser.parse_args()
    n, epochs = (300, 1) if args.quick else (2000, args.epochs)
    clean, noisy = series(n, np.random.default_rng(0))
    split = int(0.8 * n)
    x_train, y_train = windows(noisy[:split])
    x_test, y_test = windows(noisy[split - WINDOW :])
    model = gn.Model([gn.LSTM(32, input_shape=(WINDOW, 1), rng=0), gn.Dense(1, rng=0)])
    model.compile(optimizer=gn.optim.Adam(lr=0.01), loss="mse", clipnorm=1.0)
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0, seed=0)
    forecast = model.predict(x_test)[:, 0]
    mse = float(np.mean((forecast - y_test[:, 0]) ** 2))
    naive = float(np.mean((x_test[:, -1, 0] - y_test[:, 0]) ** 2))
    print(
        f"test MSE {mse:.4f} (noise variance {NOISE**2:.4f}, repeating the last value {naive:.4f})"
    )
    plot(np.arange(split, n), noisy[split:], clean[split:], forecast, Path(args.out))


def plot(
    t: np.ndarray, noisy: np.ndarray, clean: np.ndarray, forecast: np.ndarray, out: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t, noisy, ".", color="grey", markersize=3, label="noisy series")
    ax.plot(t, clean, color="black", linewidth=1, label="clean sine")
    ax.plot(t, forecast, color="tab:red", label="LSTM one-step forecast")
    ax.set_xlabel("t")
    ax.set_title("Forecasting a noisy sine with an LSTM (test part)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "sine_forecast.png", dpi=100)
    print(f"wrote {out / 'sine_forecast.png'}")


if __name__ == "__main__":
    main()
