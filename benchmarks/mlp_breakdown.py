"""Where the MLP step's time goes: glassnet's step, its NumPy calls alone, and the fused step.

The workload of ``mlp_throughput.py`` (784-256-128-10, batch 128, SGD, float32). Per batch, in turn:

- ``glassnet``: one real training step of ``fit`` (forward, loss, backward, optimizer): the compiled
  step, which replays the ops recorded on the first batch (``glassnet/training/compiled_step.py``);
- ``glassnet_numpy``: the same NumPy calls that glassnet's ops make (batch-last products, saved ReLU
  masks applied to the gradient's bits, the cross-entropy's sums, SGD through a work array in
  cache-sized row blocks), with no graph;
- ``numpy_fused``: the hand-fused step of ``mlp_throughput.py`` (in place wherever it can be).

``glassnet_numpy / numpy_fused`` is the ceiling of the current ops; ``glassnet / glassnet_numpy`` is
what the Python around them costs (the replay's calls of each op's forward and backward, the
gradients' routing, the optimizer's per-parameter calls; fit's batch loop and callbacks are not
timed here).

    python benchmarks/mlp_breakdown.py [--rounds 5] [--samples 12800] [--block 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from mlp_throughput import BATCH, LR, FusedNumpy, glassnet_runner, initial_weights, make_data

import glassnet as gn
from glassnet.optim.optimizer import BLOCK_BYTES


class GlassnetNumpy:
    """glassnet's ops for this network, reduced to their NumPy calls (see glassnet/ops/)."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.params = [a.copy() for pair in weights for a in pair]  # w0, b0, w1, b1, w2, b2
        # SGD's update (Optimizer.descend): whole work arrays for small parameters, row blocks of
        # at most BLOCK_BYTES through one cache-sized scratch block for large ones.
        self.updates = [self._update_plan(p) for p in self.params]

    @staticmethod
    def _update_plan(param: np.ndarray) -> list[tuple[slice, np.ndarray, np.ndarray]]:
        if param.nbytes <= BLOCK_BYTES or param.ndim == 0 or len(param) < 2:
            return [(slice(None), param, np.empty_like(param))]
        rows = max(1, BLOCK_BYTES * len(param) // param.nbytes)
        scratch = np.empty((rows,) + param.shape[1:], param.dtype)
        return [
            (
                slice(start, start + rows),
                param[start : start + rows],
                scratch[: min(rows, len(param) - start)],
            )
            for start in range(0, len(param), rows)
        ]

    @staticmethod
    def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        yt = w @ x.T
        yt += b[:, np.newaxis]
        return yt.T

    @staticmethod
    def _linear_backward(
        dy: np.ndarray, x: np.ndarray, w: np.ndarray, need_dx: bool = True
    ) -> tuple:
        dyt = dy.T
        return ((w.T @ dyt).T if need_dx else None), dyt @ x, dyt.sum(axis=1)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        w0, b0, w1, b1, w2, b2 = self.params
        h0 = self._linear(x, w0, b0)
        np.maximum(h0, 0, out=h0)
        keep0 = h0 != 0
        h1 = self._linear(h0, w1, b1)
        np.maximum(h1, 0, out=h1)
        keep1 = h1 != 0
        z = self._linear(h1, w2, b2)
        rows = np.arange(len(y))
        shifted = z - z.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        (np.log(total)[:, 0] - shifted[rows, y]).sum() / len(y)
        dz = exp / total
        dz[rows, y] -= 1
        dz *= 1 / len(y)
        d1, dw2, db2 = self._linear_backward(dz, h1, w2)
        d0, dw1, db1 = self._linear_backward(
            np.multiply(d1.view(np.int32), keep1).view(np.float32), h0, w1
        )
        _, dw0, db0 = self._linear_backward(
            np.multiply(d0.view(np.int32), keep0).view(np.float32), x, w0, need_dx=False
        )
        for blocks, grad in zip(self.updates, (dw0, db0, dw1, db1, dw2, db2)):
            for rows, param_block, scaled in blocks:
                param_block -= np.multiply(grad[rows], LR, out=scaled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=12800)
    parser.add_argument("--block", type=int, default=20, help="batches per timed block")
    args = parser.parse_args()

    x, y = make_data(args.samples)
    weights = initial_weights()
    model = glassnet_runner(x, y, weights).model
    forward, loss = model._training_forward(model.compiled_loss)
    steps = {
        "glassnet": model._make_fit_step(forward, loss, weighted=False),
        "glassnet_numpy": GlassnetNumpy(weights).step,
        "numpy_fused": FusedNumpy(weights).step,
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    order = np.random.default_rng(0).permutation(len(x))
    batches = [order[start : start + BATCH] for start in range(0, len(x), BATCH)]
    # Interleaved by blocks of batches: machine drift hits all three alike, and within a block each
    # step finds its own weights in cache, as in a real epoch (per-batch interleaving would not).
    blocks = [batches[i : i + args.block] for i in range(0, len(batches), args.block)]
    with model.mode(training=True), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for round_index in range(args.rounds + 1):
            for block in blocks:
                data = [(x[index], y[index]) for index in block]
                for name, step in steps.items():
                    started = time.perf_counter()
                    for xb, yb in data:
                        step(xb, yb)
                    if round_index:  # the first round warms up
                        times[name].append((time.perf_counter() - started) / len(data))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"median µs per batch of {BATCH} (blocks of {args.block} batches, {args.rounds} rounds over "
        f"{args.samples} samples)"
    )
    for name, value in medians.items():
        print(
            f"  {name:15s} {value * 1e6:8.1f}   {medians['numpy_fused'] / value:5.2f}x the fused step's speed"
        )
    print(
        f"  the Python around the ops costs {medians['glassnet'] / medians['glassnet_numpy'] - 1:.0%} "
        "over glassnet's NumPy calls"
    )
    print(
        json.dumps(
            {
                "benchmark": "mlp_breakdown",
                "us_per_batch": {k: round(v * 1e6, 1) for k, v in medians.items()},
            }
        )
    )


if __name__ == "__main__":
    gn.seed(0)
    main()
