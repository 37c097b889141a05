"""How cost grows with the data and the batch: glassnet and PyTorch side by side, on log-log axes.

- The founding 2-5-2-1 network (circles_epoch.py's workload: full-batch SGD, one step per epoch):
  the time of one epoch from 1,000 to 1,000,000 samples.
- The MLP 784-256-128-10 (mlp_throughput.py's): the time of one training step and the peak memory
  it takes, from batch 32 to 1024. glassnet's step is fit's (the compiled step: recorded on the
  first batch, replayed after); PyTorch's is zero_grad, forward, cross-entropy, backward, SGD step.
  Each (framework, batch) runs in a fresh process, where the peak memory is the growth of the peak
  resident set size (Linux's VmHWM, reset after setting up) over the resident size after setting
  up: the arrays of the steps themselves, the first (recording) step included.

Each curve's slope is fitted by least squares on log(cost) against log(size): 1 means the cost grows
in proportion, below 1 that fixed costs (Python, calls) still weigh at the small end. The figure is
written to ``--plot`` (by default benchmarks/cost_growth.png); the last line printed is JSON.

    python benchmarks/cost_growth.py [--rounds 5] [--steps 30] [--threads 2]
    python benchmarks/cost_growth.py --quick --plot /tmp/cost_growth.png   (seconds, one thread; checks
    that it runs, the figures mean nothing)

On a loaded machine PyTorch's threads wait for each other (a 2-5-2-1 epoch took 25-90 ms instead of
about 1 ms with two threads on two busy cores): measure on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from mlp_throughput import LR, SIZES, initial_weights

import glassnet as gn
from glassnet.demo import build_founding_model

SAMPLES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
BATCHES = (32, 64, 128, 256, 512, 1024)
FOUNDING_LR = 0.05
THREADS = {"count": 2}  # PyTorch's threads (--threads; the MLP workers' BLAS threads too)


def circles(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles (make_circles' shape, without scikit-learn), float32."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 2).astype(np.float32)
    angles = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 1, 0.8, 1.0)
    points = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1) + rng.normal(
        0, 0.04, (n, 2)
    )
    return points.astype(np.float32), labels


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS["count"])
    return torch


def founding_runners(n: int) -> dict[str, Callable[[int], None]]:
    """``run(epochs)`` for glassnet's ``train`` and PyTorch's loop, from the same initial weights."""
    x, y = circles(n)
    gn.seed(0)
    model = build_founding_model()
    runners: dict[str, Callable[[int], None]] = {
        "glassnet": lambda epochs: (
            model.train(x, y, learning_rate=FOUNDING_LR, epochs=epochs) and None
        )
    }
    torch = _torch()
    if torch is not None:
        net = torch.nn.Sequential(
            torch.nn.Linear(2, 5),
            torch.nn.ReLU(),
            torch.nn.Linear(5, 2),
            torch.nn.ReLU(),
            torch.nn.Linear(2, 1),
        )
        with torch.no_grad():
            for layer, ours in zip(net[::2], model.layers[::2]):
                layer.weight.copy_(torch.from_numpy(ours.weight.data))
                layer.bias.copy_(torch.from_numpy(ours.bias.data))
        xt, yt = torch.from_numpy(x), torch.from_numpy(y.reshape(-1, 1))
        optimizer = torch.optim.SGD(net.parameters(), lr=FOUNDING_LR)
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def run_torch(epochs: int) -> None:
            for _ in range(epochs):
                optimizer.zero_grad()
                loss_fn(net(xt), yt).backward()
                optimizer.step()

        runners["pytorch"] = run_torch
    return runners


def epoch_times(
    samples: tuple[int, ...], rounds: int, budget: int = 200_000
) -> dict[str, list[float]]:
    """Median seconds per full-batch epoch for each size, the frameworks interleaved; each timed
    block runs about ``budget`` sample-epochs (at least 2 epochs)."""
    times: dict[str, list[float]] = {}
    for n in samples:
        runners = founding_runners(n)
        block = int(np.clip(budget // n, 2, 200))
        per_epoch: dict[str, list[float]] = {name: [] for name in runners}
        for run in runners.values():
            run(1)  # warm-up (glassnet records its step here)
        for _ in range(rounds):
            for name, run in runners.items():
                started = time.perf_counter()
                run(block)
                per_epoch[name].append((time.perf_counter() - started) / block)
        for name, values in per_epoch.items():
            times.setdefault(name, []).append(statistics.median(values))
    return times


def _peak_memory_reset() -> bool:
    """Reset the peak resident size (VmHWM) of this process; False where Linux does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _mlp_step(framework: str, batch: int) -> Callable[[np.ndarray, np.ndarray], None] | None:
    weights = initial_weights()
    if framework == "glassnet":
        model = gn.Model(
            [
                gn.Dense(SIZES[1], activation="relu", in_features=SIZES[0]),
                gn.Dense(SIZES[2], activation="relu"),
                gn.Dense(SIZES[3]),
            ]
        )
        model.compile(
            optimizer=gn.optim.SGD(lr=LR),
            loss=gn.losses.SparseCategoricalCrossEntropy(from_logits=True),
        )
        model.load_state_dict(
            {
                f"dense_{i + 1}.{name}": value
                for i, (w, b) in enumerate(weights)
                for name, value in (("weight", w), ("bias", b))
            }
        )
        model.optimizer.bind(list(model.parameters()))
        forward, loss = model._training_forward(model.compiled_loss)
        step = model._make_fit_step(
            forward, loss, weighted=False
        )  # fit's step (see mlp_breakdown.py)
        model.train(True)
        return lambda xb, yb: step(xb, yb) and None
    torch = _torch()
    if torch is None:
        return None
    layers = [torch.nn.Linear(i, o) for i, o in zip(SIZES[:-1], SIZES[1:])]
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    with torch.no_grad():
        for layer, (w, b) in zip(layers, weights):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)

    def torch_step(xb: np.ndarray, yb: np.ndarray) -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(
            net(torch.from_numpy(xb)), torch.from_numpy(yb)
        ).backward()
        optimizer.step()

    return torch_step


def mlp_worker(framework: str, batch: int, steps: int) -> dict[str, Any] | None:
    """In a fresh process: the peak memory of the first steps, then the median time of a step."""
    step = _mlp_step(framework, batch)
    if step is None:
        return None
    rng = np.random.default_rng(0)
    batches = [
        (
            rng.standard_normal((batch, SIZES[0]), dtype=np.float32),
            rng.integers(0, SIZES[-1], batch),
        )
        for _ in range(4)
    ]
    resident = _memory_kib("VmRSS")
    exact = _peak_memory_reset()
    for xb, yb in batches:
        step(xb, yb)
    peak = _memory_kib("VmHWM") - (resident if exact else 0)
    times = []
    for index in range(steps):
        xb, yb = batches[index % len(batches)]
        started = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - started)
    return {"step_s": statistics.median(times), "peak_kib": peak, "peak_is_growth": exact}


def mlp_costs(
    batches: tuple[int, ...], steps: int, fresh_processes: bool = True
) -> dict[str, dict[str, list[float]]]:
    """Step time and peak memory per batch size and framework, each in a fresh process (or all in
    this one, for --quick: the memory figures then include what earlier runs left allocated)."""
    costs: dict[str, dict[str, list[float]]] = {}
    threads = str(THREADS["count"])
    env = dict(
        os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads
    )
    for framework in ("glassnet", "pytorch"):
        for batch in batches:
            command = [
                sys.executable,
                __file__,
                "--worker",
                framework,
                str(batch),
                "--steps",
                str(steps),
                "--threads",
                threads,
            ]
            if fresh_processes:
                result = subprocess.run(
                    command, capture_output=True, text=True, check=False, env=env
                )
                if result.returncode != 0:
                    raise SystemExit(
                        f"the {framework} worker failed at batch {batch}:\n{result.stderr}"
                    )
                measured = json.loads(result.stdout.strip().splitlines()[-1])
            else:
                measured = mlp_worker(framework, batch, steps)
            if measured is None:
                break
            entry = costs.setdefault(framework, {"step_s": [], "peak_mib": []})
            entry["step_s"].append(measured["step_s"])
            entry["peak_mib"].append(measured["peak_kib"] / 1024)
    return costs


def slope(sizes: tuple[int, ...], costs: list[float]) -> float:
    """The least-squares slope of log(cost) against log(size); NaN when a cost is not positive (a peak
    memory that did not grow, as can happen with --quick)."""
    if min(costs) <= 0:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def plot(
    path: str,
    samples: tuple[int, ...],
    epochs: dict[str, list[float]],
    batches: tuple[int, ...],
    mlp: dict[str, dict[str, list[float]]],
) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    panels = [
        (
            axes[0],
            samples,
            {k: v for k, v in epochs.items()},
            "samples",
            "seconds per epoch",
            "founding 2-5-2-1 network, one full-batch epoch",
        ),
        (
            axes[1],
            batches,
            {k: v["step_s"] for k, v in mlp.items()},
            "batch",
            "seconds per step",
            "MLP 784-256-128-10, one training step",
        ),
        (
            axes[2],
            batches,
            {k: v["peak_mib"] for k, v in mlp.items()},
            "batch",
            "peak MiB over setup",
            "MLP 784-256-128-10, peak memory of the steps",
        ),
    ]
    for axis, sizes, curves, xlabel, ylabel, title in panels:
        for name, values in curves.items():
            axis.loglog(
                sizes, values, marker="o", label=f"{name} (slope {slope(sizes, values):.2f})"
            )
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="timed blocks per size (founding network)"
    )
    parser.add_argument("--steps", type=int, default=30, help="timed steps per batch size (MLP)")
    parser.add_argument(
        "--threads", type=int, default=2, help="PyTorch's and, in the MLP workers, BLAS's"
    )
    parser.add_argument("--plot", default=str(Path(__file__).resolve().parent / "cost_growth.png"))
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check that the script runs"
    )
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    THREADS["count"] = 1 if args.quick else args.threads
    if args.worker:
        print(json.dumps(mlp_worker(args.worker[0], int(args.worker[1]), args.steps)))
        return
    samples, batches = (SAMPLES[:2], BATCHES[:2]) if args.quick else (SAMPLES, BATCHES)
    if args.quick:
        args.rounds, args.steps = 1, 3
    epochs = epoch_times(samples, args.rounds, budget=2_000 if args.quick else 200_000)
    mlp = mlp_costs(batches, args.steps, fresh_processes=not args.quick)
    slopes = {
        "epoch_time": {k: slope(samples, v) for k, v in epochs.items()},
        "step_time": {k: slope(batches, v["step_s"]) for k, v in mlp.items()},
        "peak_memory": {k: slope(batches, v["peak_mib"]) for k, v in mlp.items()},
    }
    print("founding network, seconds per full-batch epoch:")
    for name, values in epochs.items():
        print(
            f"  {name:9s} "
            + "  ".join(f"{n:>9,}: {v:.2e}" for n, v in zip(samples, values))
            + f"   slope {slopes['epoch_time'][name]:.2f}"
        )
    print("MLP 784-256-128-10, seconds per step and peak MiB:")
    for name, values in mlp.items():
        print(
            f"  {name:9s} "
            + "  ".join(
                f"{b:>5}: {t:.2e} s {m:6.1f} MiB"
                for b, t, m in zip(batches, values["step_s"], values["peak_mib"])
            )
            + f"   slopes {slopes['step_time'][name]:.2f} (time), {slopes['peak_memory'][name]:.2f} (memory)"
        )
    plotted = plot(args.plot, samples, epochs, batches, mlp)
    print(f"plot written to {args.plot}" if plotted else "no plot: matplotlib is not installed")
    print(
        json.dumps(
            {
                "benchmark": "cost_growth",
                "samples": samples,
                "epoch_s": epochs,
                "batches": batches,
                "mlp": mlp,
                "slopes": slopes,
                "plot": args.plot if plotted else None,
            }
        )
    )


if __name__ == "__main__":
    main()
