"""The world of processes: alone without mpiexec, and every process stopped by an error in one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from .mpirun import ROOT, environment, run_workers

ALONE = """
import numpy as np
import glassnet as gn
import glassnet.distributed as dist
dist.init(); dist.init()
assert (dist.rank(), dist.world_size(), dist.is_main()) == (0, 1, True)
dist.barrier()
x = np.random.default_rng(0).normal(size=(50, 3)); y = (x[:, 0] > 0).astype(float)
weights = []
for distributed in (False, True):
    model = gn.Model([gn.Dense(4, activation="relu"), gn.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, seed=0, verbose=0, distributed=distributed)
    weights.append(model.state_dict())
assert all(np.array_equal(weights[0][k], weights[1][k]) for k in weights[0])
print("alone ok")
"""


def test_without_mpiexec_a_process_is_a_world_of_one() -> None:
    result = subprocess.run([sys.executable, "-c", ALONE], check=False, capture_output=True, text=True, timeout=60,
                            env=environment(), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "alone ok" in result.stdout


@pytest.mark.parametrize("job, error", [("fail", "ValueError: boom on rank 1"),
                                        ("nan", "NonFiniteLossError: The loss became inf")])
def test_an_error_in_one_process_ends_both_and_is_shown_once(tmp_path: Path, job: str, error: str) -> None:
    # The other process is waiting in the next step's Allreduce, which the failing one never joins.
    started = time.perf_counter()
    result = run_workers(tmp_path, job, timeout=60)
    elapsed = time.perf_counter() - started
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert printed.count(error) == 1, printed
    assert printed.count("of 2 failed; stopping all processes") == 1, printed
    assert elapsed < 20, f"took {elapsed:.1f} s"


@pytest.mark.parametrize("variable", ["PMI_SIZE", "OMPI_COMM_WORLD_SIZE"])
def test_one_of_several_processes_without_mpi4py_refuses_to_train_alone(variable: str) -> None:
    hide_mpi4py = "import sys; sys.modules['mpi4py'] = None\n"
    code = hide_mpi4py + "import glassnet.distributed as dist\ntry:\n    dist.init()\nexcept ImportError as e:\n" \
        "    print(e)\n"
    env = environment()
    env[variable] = "2"
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                            env=env, cwd=ROOT)
    assert "glassnet[mpi]" in result.stdout, result.stdout + result.stderr
