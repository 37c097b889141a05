"""Training throughput of an MLP 784-256-128-10: glassnet fit vs hand-fused NumPy vs PyTorch.

ReLU hidden layers, softmax cross-entropy, float32, 60000 synthetic samples, batch 128, SGD
(lr 0.01). Every round trains one epoch with each of the three, interleaved in one process. The
figures are the median samples per second over the rounds and the median over rounds of each
round's ratio to the NumPy step, with the range of those per-round ratios.

With ``--processes N``, N fresh processes run the rounds one after another and their rounds are
pooled. Each process places its arrays anew (and gets huge pages for them or not), which moves
every runner's speed, the fused step's included, by up to 10% from one process to the next; the
ratio of a single process can be off by as much.

    python benchmarks/mlp_throughput.py [--rounds 7] [--samples 60000] [--processes 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable

import numpy as np
from harness import interleaved_rates, shuffled_epoch

import glassnet as gn

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], n)
    return x, y


def initial_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (gn.nn.init.he_uniform((out, inp), rng), np.zeros(out, np.float32))
        for inp, out in zip(SIZES[:-1], SIZES[1:])
    ]


class FusedNumpy:
    """One SGD epoch written by hand: the same math with no graph, weights stored (in, out)."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.weights = [w.T.copy() for w, _ in weights]
        self.biases = [b.copy() for _, b in weights]

    def epoch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        shuffled_epoch(self.step, x, y, BATCH, rng)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        (w0, w1, w2), (b0, b1, b2) = self.weights, self.biases
        h0 = x @ w0
        h0 += b0
        a0 = np.maximum(h0, 0, out=h0)
        h1 = a0 @ w1
        h1 += b1
        a1 = np.maximum(h1, 0, out=h1)
        z = a1 @ w2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(len(y)), y] -= 1
        dz = z
        dz *= 1.0 / len(y)
        dw2, db2 = a1.T @ dz, dz.sum(axis=0)
        d1 = dz @ w2.T
        d1 *= a1 > 0
        dw1, db1 = a0.T @ d1, d1.sum(axis=0)
        d0 = d1 @ w1.T
        d0 *= a0 > 0
        dw0, db0 = x.T @ d0, d0.sum(axis=0)
        for p, g in ((w0, dw0), (w1, dw1), (w2, dw2), (b0, db0), (b1, db1), (b2, db2)):
            g *= LR
            p -= g


def glassnet_runner(x: np.ndarray, y: np.ndarray, weights: list) -> Callable[[], None]:
    model = gn.Model(
        [
            gn.Dense(SIZES[1], activation="relu"),
            gn.Dense(SIZES[2], activation="relu"),
            gn.Dense(SIZES[3]),
        ]
    )
    model.compile(
        optimizer=gn.optim.SGD(lr=LR),
        loss=gn.losses.SparseCategoricalCrossEntropy(from_logits=True),
    )
    model.fit(x[:BATCH], y[:BATCH], epochs=0, verbose=0)  # builds the layers
    model.load_state_dict(
        {
            f"dense_{i + 1}.{name}": value
            for i, (w, b) in enumerate(weights)
            for name, value in (("weight", w), ("bias", b))
        }
    )

    def run() -> None:
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)

    run.model = model  # type: ignore[attr-defined]  (mlp_breakdown.py times its steps)
    return run


def torch_runner(x: np.ndarray, y: np.ndarray, weights: list) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    layers = [torch.nn.Linear(i, o) for i, o in zip(SIZES[:-1], SIZES[1:])]
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    with torch.no_grad():
        for layer, (w, b) in zip(layers, weights):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(0)

    def run() -> None:
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[index]), yt[index]).backward()
            optimizer.step()

    return run


def measure(rounds: int, samples: int) -> dict[str, list[float]]:
    """Samples per second of each runner in each round (after one warm-up round), in this process."""
    x, y = make_data(samples)
    weights = initial_weights()
    fused = FusedNumpy(weights)
    rng = np.random.default_rng(0)
    runners = {
        "numpy_fused": lambda: fused.epoch(x, y, rng),
        "glassnet": glassnet_runner(x, y, weights),
    }
    torch_run = torch_runner(x, y, weights)
    if torch_run is not None:
        runners["pytorch"] = torch_run
    return interleaved_rates(runners, len(x), rounds)


def measure_in_processes(rounds: int, samples: int, processes: int) -> list[dict[str, list[float]]]:
    """:func:`measure` in each of ``processes`` fresh Python processes, one after another."""
    runs = []
    for _ in range(processes):
        command = [
            sys.executable,
            __file__,
            "--worker",
            "--rounds",
            str(rounds),
            "--samples",
            str(samples),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"a worker process failed:\n{result.stderr}")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--worker", action="store_true", help=argparse.SUPPRESS
    )  # one process of --processes
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.rounds, args.samples)))
        return
    runs = (
        [measure(args.rounds, args.samples)]
        if args.processes == 1
        else measure_in_processes(args.rounds, args.samples, args.processes)
    )

    rates = {name: [rate for run in runs for rate in run[name]] for name in runs[0]}
    medians = {name: statistics.median(values) for name, values in rates.items()}
    # Ratios are taken within each round, then their median: the machine's speed drifts between
    # rounds, and a paired ratio cancels the drift that a ratio of two medians keeps.
    paired = {
        name: sorted(r / f for r, f in zip(values, rates["numpy_fused"]))
        for name, values in rates.items()
    }
    ratios = {name: statistics.median(values) for name, values in paired.items()}
    per_process = {
        name: [
            statistics.median(r / f for r, f in zip(run[name], run["numpy_fused"])) for run in runs
        ]
        for name in rates
    }
    print(
        f"MLP 784-256-128-10, batch {BATCH}, {args.samples} samples, float32, SGD; {args.rounds} rounds of one "
        f"epoch each in {args.processes} process{'es' if args.processes > 1 else ''}"
    )
    for name, rate in medians.items():
        spread = (
            f"(rounds: {paired[name][0]:.2f}-{paired[name][-1]:.2f})"
            if name != "numpy_fused"
            else ""
        )
        print(
            f"  {name:12s} {rate:10.0f} samples/s   {ratios[name]:5.2f}x the fused NumPy step {spread}"
        )
    if len(runs) > 1:
        for name in ("glassnet", "pytorch"):
            if name in per_process:
                print(f"  {name} per process: " + " ".join(f"{v:.2f}" for v in per_process[name]))
    print(
        json.dumps(
            {
                "benchmark": "mlp_throughput",
                "samples_per_s": {k: round(v) for k, v in medians.items()},
                "ratio_to_numpy_fused": {k: round(v, 3) for k, v in ratios.items()},
                "ratio_range": {k: [round(v[0], 3), round(v[-1], 3)] for k, v in paired.items()},
                "ratio_per_process": {
                    k: [round(v, 3) for v in values] for k, values in per_process.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
