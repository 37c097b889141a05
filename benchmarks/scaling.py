"""Data-parallel scaling of the MLP 784-256-128-10 over MPI: 1 and 2 processes, and the ring-allreduce model.

Every run is ``mpiexec -n P python scaling.py --worker``: each process trains ``fit(...,
distributed=True)`` with batch 128 *per process* (P x 128 rows per step) on mlp_throughput.py's
synthetic data and initial weights, with one BLAS thread per process, so P processes use P
cores. One epoch warms up; the next ``--epochs`` are timed. Reported per P:

- samples/s of all processes together (rows trained / wall time of the timed ``fit``);
- seconds per step spent in the gradients' ``Allreduce`` (the slowest process's, waiting for the
  other processes included), and the same Allreduce alone when all processes start it together;
- compute seconds per step: the rest of the step (forward, backward, optimizer, data);
- efficiency = samples/s with 2 processes / (2 x samples/s with 1).

Then the ring-allreduce model for more processes on a network of ``--bandwidth-gbit``: an
Allreduce of B gradient bytes over p processes sends 2 (p - 1) / p x B bytes from each process
(a reduce-scatter and an all-gather around the ring), so it takes
``t_comm = 2 (p - 1) / p * B / bandwidth`` (+ ``2 (p - 1) * latency`` with ``--latency-us``).
glassnet averages after the backward pass, without overlap, so a step takes
``t_compute(b) + t_comm`` and ``throughput(p) = p * b / (t_compute(b) + t_comm)``, with
``t_compute(b)`` measured on one process and taken as proportional to the batch b. Communication
stops dominating at the batch where ``t_compute(b) = t_comm`` (efficiency 50%); 90% needs 9x that.

    python benchmarks/scaling.py [--samples 60000] [--epochs 4] [--processes 1 2] [--bandwidth-gbit 25]
    python benchmarks/scaling.py --quick      (a few seconds: checks that it runs; the figures mean nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from mlp_throughput import BATCH, LR, SIZES, initial_weights, make_data

import glassnet as gn
import glassnet.distributed as dist

PROJECTED = (8, 64, 512)


def _model() -> gn.Model:
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
            for i, (w, b) in enumerate(initial_weights())
            for name, value in (("weight", w), ("bias", b))
        }
    )
    return model


class _CountedAverager(dist.GradientAverager):
    """fit's gradient averager, kept so that its Allreduce time can be read after fit."""

    made: list[dist.GradientAverager] = []

    def __init__(self, params: Any) -> None:
        super().__init__(params)
        _CountedAverager.made.append(self)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _allreduce_alone(averager: dist.GradientAverager, repeats: int = 50) -> float:
    """The median time of the same Allreduce when all processes start it together (after a
    barrier): the transfer alone, without the wait for a slower process that fit's figure holds."""
    from mpi4py import MPI

    comm = dist.communicator()
    times = []
    for _ in range(repeats):
        comm.Barrier()
        started = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, averager.flat.data, op=MPI.SUM)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def worker(samples: int, epochs: int) -> None:
    """One process of ``mpiexec -n P``: the timed fit; rank 0 prints the JSON line."""
    dist.init()
    dist.GradientAverager = _CountedAverager  # type: ignore[misc]  (fit looks it up when it starts)
    x, y = make_data(samples)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0, seed=0, distributed=True)  # warm-up
    _CountedAverager.made.clear()
    dist.barrier()
    started = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=BATCH, verbose=0, seed=1, distributed=True)
    dist.barrier()
    wall = time.perf_counter() - started
    averager = _CountedAverager.made[-1] if _CountedAverager.made else None
    allreduce = 0.0 if averager is None else averager.allreduce_seconds / max(averager.calls, 1)
    slowest_allreduce = max(dist.allgather(allreduce))
    alone = _allreduce_alone(averager) if averager is not None else 0.0
    processes = dist.world_size()
    rows_per_process = _ceil_div(samples, processes)  # DistributedSampler pads to equal shares
    rows = rows_per_process * processes * epochs
    timed_steps = epochs * _ceil_div(rows_per_process, BATCH)
    if dist.is_main():
        print(
            json.dumps(
                {
                    "processes": processes,
                    "wall_s": wall,
                    "steps": timed_steps,
                    "samples_per_s": rows / wall,
                    "step_s": wall / timed_steps,
                    "allreduce_s_per_step": slowest_allreduce,
                    "compute_s_per_step": wall / timed_steps - slowest_allreduce,
                    "allreduce_alone_s": alone,
                    "gradient_bytes": int(sum(p.data.nbytes for p in model.parameters())),
                }
            )
        )


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit('scaling.py needs mpiexec: pip install "glassnet[mpi]"')
    return found


def run(processes: int, samples: int, epochs: int) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [
        _mpiexec(),
        "-n",
        str(processes),
        sys.executable,
        __file__,
        "--worker",
        "--samples",
        str(samples),
        "--epochs",
        str(epochs),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"mpiexec -n {processes} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def ring_seconds(
    processes: int, gradient_bytes: int, gbit_per_s: float, latency_s: float = 0.0
) -> float:
    """The ring-allreduce time: 2 (p - 1) / p x B / bandwidth, plus 2 (p - 1) latencies."""
    return (
        2 * (processes - 1) / processes * gradient_bytes / (gbit_per_s * 1e9 / 8)
        + 2 * (processes - 1) * latency_s
    )


def projection(
    compute_s: float, gradient_bytes: int, gbit_per_s: float, latency_s: float
) -> list[dict[str, float]]:
    """Throughput, efficiency and the break-even batches for PROJECTED process counts."""
    per_sample = compute_s / BATCH
    rows = []
    for p in PROJECTED:
        comm = ring_seconds(p, gradient_bytes, gbit_per_s, latency_s)
        rows.append(
            {
                "processes": p,
                "allreduce_ms": comm * 1e3,
                "samples_per_s": p * BATCH / (compute_s + comm),
                "efficiency": compute_s / (compute_s + comm),
                "batch_compute_equals_comm": comm / per_sample,
                "batch_for_90_percent": 9 * comm / per_sample,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument(
        "--epochs", type=int, default=4, help="timed epochs, after one warm-up epoch"
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--bandwidth-gbit", type=float, default=25.0)
    parser.add_argument(
        "--latency-us", type=float, default=0.0, help="per ring step; 0: the bandwidth term alone"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check that the script runs"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.samples, args.epochs = 1024, 1
    if args.worker:
        worker(args.samples, args.epochs)
        return
    runs = {p: run(p, args.samples, args.epochs) for p in args.processes}
    print(
        f"MLP 784-256-128-10, batch {BATCH} per process, {args.samples} samples, float32, SGD, "
        f"{args.epochs} timed epochs, one BLAS thread per process"
    )
    for p, r in runs.items():
        print(
            f"  {p} process{'es' if p > 1 else '  '}: {r['samples_per_s']:9.0f} samples/s, "
            f"step {r['step_s'] * 1e3:6.3f} ms, of which Allreduce {r['allreduce_s_per_step'] * 1e3:6.3f} ms "
            f"(alone, after a barrier: {r['allreduce_alone_s'] * 1e3:.3f} ms)"
        )
    efficiency = (
        (runs[2]["samples_per_s"] / (2 * runs[1]["samples_per_s"]))
        if 1 in runs and 2 in runs
        else None
    )
    if efficiency is not None:
        print(f"  efficiency with 2 processes: {efficiency:.3f}")
    base = runs[min(runs)]
    model = projection(
        base["compute_s_per_step"],
        base["gradient_bytes"],
        args.bandwidth_gbit,
        args.latency_us * 1e-6,
    )
    print(
        f"ring-allreduce model, {base['gradient_bytes'] / 1e6:.3f} MB of gradients, {args.bandwidth_gbit:g} Gbit/s, "
        f"latency {args.latency_us:g} us, compute {base['compute_s_per_step'] * 1e3:.3f} ms per step of {BATCH}:"
    )
    print(
        "| processes | Allreduce ms | samples/s | efficiency | batch where compute = Allreduce | batch for 90% |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for row in model:
        print(
            f"| {row['processes']} | {row['allreduce_ms']:.3f} | {row['samples_per_s']:.0f} "
            f"| {row['efficiency']:.2f} | {row['batch_compute_equals_comm']:.0f} | {row['batch_for_90_percent']:.0f} |"
        )
    print(
        json.dumps(
            {
                "benchmark": "scaling",
                "runs": {str(p): r for p, r in runs.items()},
                "efficiency_2": efficiency,
                "bandwidth_gbit": args.bandwidth_gbit,
                "latency_us": args.latency_us,
                "projection": model,
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
