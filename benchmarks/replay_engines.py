"""fit's recorded fast path against eager steps, on the same workloads, paired in one process.

Three workloads, each trained by one model per engine (same seed, so the same weights): the
founding 2-5-2-1 network's full-batch epoch (``circles_epoch.py``, where Python's share of a step
is largest), the MLP 784-256-128-10 in batches of 128 (``mlp_throughput.py``) and the digits MLP
64-128-10 with Adam in batches of 32 (``examples/digits.py``). Each round times one block of each
workload with each engine, the engines' order alternating from round to round; the figures are the
median time per block and the median over rounds of each round's ratio (engine / the first one).
Every engine must end with the same weights bit for bit; the script says whether they did.

Engines: ``replay`` (fit's fast path: the ops recorded on a shape's first batch, run again by
``glassnet.autograd.replay.Replay``, whose backward is ``Tensor.backward``'s walk) and ``eager``
(``run_eagerly``: every batch builds its graph again).

Until commit c74f87f a replay could also run as generated straight-line Python (``code``, then
the default) instead of the walk (``walk``); that commit's copy of this script times the two with
``--engines walk,code``. See benchmarks/README.md for the figures that retired the generated code.

    python benchmarks/replay_engines.py [--rounds 15] [--engines replay,eager] [--clock cpu]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import circles_epoch
import mlp_throughput
import numpy as np

import glassnet as gn

Runner = Callable[[], None]


def _engine_runner(engine: str, model: gn.Model, run: Runner) -> Runner:
    """``run``, with ``model`` set to replay its recorded step or to run every step eagerly."""
    if engine not in ("replay", "eager"):
        raise SystemExit(f"unknown engine {engine!r}: replay or eager")
    model.run_eagerly = engine == "eager"
    return run


def circles(engine: str, block: int) -> tuple[Runner, gn.Model]:
    X, Y = circles_epoch.make_data()
    gn.seed(0)
    model = circles_epoch.build_founding_model()

    def run() -> None:
        model.train(X, Y, learning_rate=circles_epoch.LEARNING_RATE, epochs=block)

    return _engine_runner(engine, model, run), model


def mlp(engine: str, samples: int) -> tuple[Runner, gn.Model]:
    x, y = mlp_throughput.make_data(samples)
    model = mlp_throughput.glassnet_runner(x, y, mlp_throughput.initial_weights()).model
    seeds = iter(range(1_000_000))  # the same shuffles for every engine's model

    def run() -> None:
        model.fit(x, y, epochs=1, batch_size=mlp_throughput.BATCH, verbose=0, seed=next(seeds))

    return _engine_runner(engine, model, run), model


def digits(engine: str, epochs: int) -> tuple[Runner, gn.Model]:
    from sklearn.datasets import load_digits

    data = load_digits()
    x, y = (data.data / 16.0).astype(np.float32), data.target
    gn.seed(0)
    model = gn.Model([gn.Dense(128, activation="relu"), gn.Dense(10, activation="softmax")])
    model.compile(optimizer=gn.optim.Adam(lr=1e-3), loss="sparse_categorical_crossentropy")
    seeds = iter(range(1_000_000))

    def run() -> None:
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=next(seeds))

    return _engine_runner(engine, model, run), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--engines", default="replay,eager")
    parser.add_argument("--circles-block", type=int, default=50, help="epochs per timed block")
    parser.add_argument("--mlp-samples", type=int, default=3200, help="samples per timed block")
    parser.add_argument("--digits-epochs", type=int, default=2, help="epochs per timed block")
    parser.add_argument("--workloads", default="circles,mlp,digits")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: this process's CPU time, which a busy machine's other processes disturb less",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    engines = args.engines.split(",")
    makers = {
        "circles": lambda e: circles(e, args.circles_block),
        "mlp": lambda e: mlp(e, args.mlp_samples),
        "digits": lambda e: digits(e, args.digits_epochs),
    }
    workloads = args.workloads.split(",")
    runners = {w: {e: makers[w](e) for e in engines} for w in workloads}
    for by_engine in runners.values():  # warm-up: caches, allocators, the first recording
        for run, _ in by_engine.values():
            run()
    times = {w: {e: [] for e in engines} for w in workloads}
    for round_index in range(args.rounds):
        # Alternate the engines' order, so that neither always runs right after the other.
        order = engines if round_index % 2 == 0 else engines[::-1]
        for workload in workloads:
            for engine in order:
                start = clock()
                runners[workload][engine][0]()
                times[workload][engine].append(clock() - start)

    first = engines[0]
    report: dict[str, dict[str, object]] = {}
    print(
        f"replay engines, {args.rounds} rounds, {args.clock} clock; ratio = engine's time / {first}'s, per round"
    )
    for workload in workloads:
        print(f"  {workload}")
        report[workload] = {}
        for engine in engines:
            ratios = [b / a for a, b in zip(times[workload][first], times[workload][engine])]
            median = statistics.median(times[workload][engine])
            ratio = statistics.median(ratios)
            fastest = min(times[workload][engine])  # the least disturbed by other processes
            fastest_ratio = fastest / min(times[workload][first])
            print(
                f"    {engine:6s} {median * 1e3:9.2f} ms/block   {ratio:6.3f}x "
                f"(rounds {min(ratios):.3f}-{max(ratios):.3f}; "
                f"fastest {fastest * 1e3:.2f} ms, {fastest_ratio:.3f}x)"
            )
            report[workload][engine] = {
                "ms_per_block": round(median * 1e3, 3),
                "ratio": round(ratio, 4),
                "fastest_ms": round(fastest * 1e3, 3),
                "fastest_ratio": round(fastest_ratio, 4),
            }
        # A replay makes the same NumPy calls as an eager step: the same bits.
        states = [runners[workload][e][1].state_dict() for e in engines]
        same = all(all(np.array_equal(s[k], states[0][k]) for k in states[0]) for s in states[1:])
        print(f"    same weights bit for bit across the engines: {same}")
        report[workload]["same_bits"] = same
    print(json.dumps({"benchmark": "replay_engines", "rounds": args.rounds, "results": report}))


if __name__ == "__main__":
    main()
