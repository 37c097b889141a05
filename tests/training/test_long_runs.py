"""Long runs: memory stays flat, graphs are freed without the cycle collector, the recorded fast
path keeps a bounded number of replays, and one seed gives the same bits in fresh processes.

The default run takes 1,000 steps after a 1,000-step warm-up; ``-m slow`` takes 100,000 for
docs/reliability.md (``GLASSNET_FIGURES=path.jsonl`` appends the figures to that file).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
import weakref

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import generate_data
from glassnet.training.compiled_step import MAX_REPLAYS, CompiledStep

WARMUP_STEPS = 1_000
GROWTH_LIMIT = 1024 * 1024  # bytes, after the warm-up
STEPS_PER_EPOCH = 100


def _rss() -> int:
    """Resident set size in bytes (Linux), or 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as file:
            return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _founding_model() -> gn.Model:
    return gn.Model(
        [gn.Linear(2, 5), gn.ReLU(5), gn.Linear(5, 2), gn.ReLU(2), gn.Linear(2, 1), gn.Sigmoid(1)]
    )


def _memory_over_steps(steps: int) -> dict[str, float]:
    """Train the founding network for WARMUP_STEPS + ``steps`` steps; the memory grown after the warm-up."""
    data = generate_data(samples=STEPS_PER_EPOCH * 10, shape_type="circles", noise=0.04, seed=0)
    x, y = data[["x", "y"]].values, data["label"].values
    model = _founding_model()
    model.compile(optimizer=gn.optim.SGD(lr=0.05), loss="binary_crossentropy")
    samples: list[tuple[int, int, int]] = []

    def measure(epoch: int, logs: dict) -> None:
        done = (epoch + 1) * STEPS_PER_EPOCH
        if done == WARMUP_STEPS:
            tracemalloc.start()  # after the warm-up: tracing makes each step about 30 times slower
        if done >= WARMUP_STEPS:
            gc.collect()
            samples.append((done, tracemalloc.get_traced_memory()[0], _rss()))

    try:
        model.fit(
            x,
            y,
            epochs=(WARMUP_STEPS + steps) // STEPS_PER_EPOCH,
            batch_size=10,
            verbose=0,
            seed=0,
            callbacks=[gn.callbacks.LambdaCallback(on_epoch_end=measure)],
        )
    finally:
        tracemalloc.stop()
    _, traced_start, rss_start = samples[0]
    return {
        "steps": samples[-1][0],
        "traced_growth_bytes": max(s[1] for s in samples) - traced_start,
        "rss_growth_bytes": max(s[2] for s in samples) - rss_start,
    }


def _record(figures: dict) -> None:
    target = os.environ.get("GLASSNET_FIGURES")
    if target:
        with open(target, "a", encoding="utf-8") as file:
            file.write(json.dumps(figures) + "\n")


def test_memory_stays_flat_over_1000_steps() -> None:
    figures = _memory_over_steps(1_000)
    assert figures["traced_growth_bytes"] < GROWTH_LIMIT, figures


@pytest.mark.slow
def test_memory_stays_flat_over_100000_steps() -> None:
    figures = _memory_over_steps(100_000)
    _record({"test": "memory over 100,000 steps", **figures})
    assert figures["traced_growth_bytes"] < GROWTH_LIMIT, figures
    assert figures["rss_growth_bytes"] < GROWTH_LIMIT, figures


def test_graphs_are_freed_without_the_cycle_collector() -> None:
    model = _founding_model()
    x = gn.Tensor(np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32))
    y = gn.Tensor((np.arange(8) % 2).astype(np.float32).reshape(-1, 1))
    gc.disable()
    try:
        for _ in range(3):
            loss = gn.losses.BinaryCrossEntropy()(model(x), y)
            graph = [weakref.ref(loss), weakref.ref(loss.creator)]
            loss.backward()
            del loss
            assert all(ref() is None for ref in graph), "a graph outlived its loss without gc"
    finally:
        gc.enable()


def test_the_fast_path_keeps_a_bounded_number_of_replays_when_the_batch_shape_changes_every_step() -> (
    None
):
    model = _founding_model()
    model.compile(optimizer=gn.optim.SGD(lr=0.01), loss="binary_crossentropy")
    model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0, seed=0)
    forward, loss_fn = model._training_forward(model.compiled_loss)
    step = CompiledStep(model, forward, loss_fn, model.optimizer, model.optimizer.step)
    rng = np.random.default_rng(0)
    traced = []
    tracemalloc.start()
    try:
        for n in range(1, 201):
            x = rng.normal(size=(n, 2)).astype(np.float32)
            step(x, (x[:, :1] > 0).astype(np.float32))
            assert len(step.replays) <= MAX_REPLAYS and len(step.eager_keys) <= MAX_REPLAYS
            if n in (100, 200):
                gc.collect()
                traced.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # Shapes 101-200 are larger than 1-100, so their replays' buffers are too; a bounded cache
    # grows by about MAX_REPLAYS such buffers, an unbounded one by a hundred.
    assert traced[1] - traced[0] < 256 * 1024, traced


SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import glassnet as gn
    gn.seed(7)
    x = np.random.default_rng(0).normal(size=(400, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    model = gn.Model([gn.Dense(8, activation="relu"), gn.Dropout(0.2), gn.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=3, validation_split=0.2)
    digest = hashlib.sha256()
    for name, value in model.state_dict().items():
        digest.update(name.encode()); digest.update(np.ascontiguousarray(value).tobytes())
    digest.update(repr(history.history).encode())
    print(digest.hexdigest())
""")


def test_one_seed_gives_the_same_bits_in_fresh_processes(tmp_path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONHASHSEED": "random"}  # the hash seed must not matter either
    digests = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, done.stderr
        digests.append(done.stdout.strip())
    assert digests[0] == digests[1] and len(digests[0]) == 64
