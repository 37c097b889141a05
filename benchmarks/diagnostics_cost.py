"""What GradientFlow and ActivationHealth cost: an epoch of the digits MLP with and without them.

The MLP of examples/digits.py (64-128-10, ReLU, softmax, Adam 1e-3, batch 32) on scikit-learn's
digits; plain and watched epochs alternate in one process so that machine noise hits both alike.
Prints the median epoch time of each and their ratio (the issue asks for at most 1.3x), then a JSON
summary. 2026-12-04, a busy 2-core machine: 1.19x and 1.24x in two runs of 9 rounds (noisy).

    python benchmarks/diagnostics_cost.py [--rounds 15] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np

import glassnet as gn
from glassnet.callbacks import ActivationHealth, GradientFlow


def load(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = (digits.data / 16.0).astype(np.float32), digits.target
    return (x[:256], y[:256]) if quick else (x, y)


def model() -> gn.Model:
    net = gn.Model(
        [gn.Dense(128, activation="relu", rng=0), gn.Dense(10, activation="softmax", rng=1)]
    )
    net.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    return net


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--quick", action="store_true", help="256 samples and 3 rounds (checks that it runs)"
    )
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else args.rounds
    x, y = load(args.quick)
    plain, watched = model(), model()
    callbacks = [GradientFlow(), ActivationHealth()]
    times: dict[str, list[float]] = {"plain": [], "watched": []}
    warnings.simplefilter("ignore", gn.callbacks.DiagnosticWarning)
    for _ in range(rounds):
        for name, net, extra in (("plain", plain, []), ("watched", watched, callbacks)):
            started = time.perf_counter()
            net.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=extra)
            times[name].append(time.perf_counter() - started)
    plain_time, watched_time = (
        statistics.median(times["plain"]),
        statistics.median(times["watched"]),
    )
    print(
        f"digits MLP epoch: plain {1e3 * plain_time:.1f} ms, with GradientFlow + ActivationHealth "
        f"{1e3 * watched_time:.1f} ms: {watched_time / plain_time:.2f}x"
    )
    print(
        json.dumps(
            {
                "epoch_ms": {
                    "plain": round(1e3 * plain_time, 2),
                    "watched": round(1e3 * watched_time, 2),
                },
                "ratio": round(watched_time / plain_time, 3),
                "rounds": rounds,
                "samples": len(x),
            }
        )
    )


if __name__ == "__main__":
    main()
