"""What the throughput benchmarks share: the hand-written baselines' shuffled epoch, and the rounds
that time every runner in turn on the same data (so a drift of the machine's speed hits all alike).

Run as scripts from this folder (``python benchmarks/mlp_throughput.py``), they import it as
``harness``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

__all__ = ["shuffled_epoch", "interleaved_rates"]


def shuffled_epoch(
    step: Callable[[np.ndarray, np.ndarray], None],
    x: np.ndarray,
    y: np.ndarray,
    batch: int,
    rng: np.random.Generator,
) -> None:
    """One pass over ``(x, y)`` in mini-batches of ``batch`` rows, in an order drawn from ``rng``."""
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch):
        index = order[start : start + batch]
        step(x[index], y[index])


def interleaved_rates(
    runners: dict[str, Callable[[], None]], samples: int, rounds: int
) -> dict[str, list[float]]:
    """Samples per second of each runner (one epoch of ``samples`` rows per call) in each of
    ``rounds`` rounds, the runners taking turns; a first round, not counted, warms up caches,
    allocators and fit's recording."""
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for round_index in range(rounds + 1):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            if round_index:
                rates[name].append(samples / (time.perf_counter() - start))
    return rates
