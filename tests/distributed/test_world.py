"""The world of processes: alone without mpiexec, and every process stopped by an error in one."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
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
    result = subprocess.run(
        [sys.executable, "-c", ALONE],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "alone ok" in result.stdout


@pytest.mark.parametrize(
    "job, error",
    [("fail", "ValueError: boom on rank 1"), ("nan", "NonFiniteLossError: The loss became inf")],
)
def test_an_error_in_one_process_ends_both_and_is_shown_once(
    tmp_path: Path, job: str, error: str
) -> None:
    # The other process is waiting in the next step's Allreduce, which the failing one never joins.
    started = time.perf_counter()
    result = run_workers(tmp_path, job, timeout=60)
    elapsed = time.perf_counter() - started
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert printed.count(error) == 1, printed
    assert printed.count("of 2 failed; stopping all processes") == 1, printed
    assert elapsed < 20, f"took {elapsed:.1f} s"


def test_errors_that_every_process_meets_are_raised_as_usual_and_catchable(tmp_path: Path) -> None:
    result = run_workers(tmp_path, "catchable", timeout=60)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    assert "stopping all processes" not in printed and "Traceback" not in printed, printed
    lines = {
        f"rank {rank} {case}": message
        for rank in (0, 1)
        for case, message in json.loads((tmp_path / f"catchable_rank{rank}.json").read_text())[
            "caught"
        ].items()
    }
    for rank in (0, 1):
        assert lines[f"rank {rank} bad targets"].startswith(
            "ShapeError: sparse_categorical_crossentropy: expected"
        )
        assert lines[f"rank {rank} bad evaluate"].startswith(
            "ShapeError: dense_1: expected input of shape"
        )
        assert lines[f"rank {rank} other lengths"].startswith(
            "InputError: fit(distributed=True): the processes were given different data: rank 0 has x of "
            "shape (100, 4) (<f8), rank 1 (120, 4) (<f8). Pass every process the same full data set"
        )
        assert (
            "x has the same shape on rank 0 and rank 1 but other values"
            in lines[f"rank {rank} other values"]
        )
    # A check that fails on one process only: that one raises its own error, the others say where.
    assert lines["rank 1 bad on one"].startswith(
        "InputError: sparse_categorical_crossentropy: labels must lie"
    )
    assert lines["rank 0 bad on one"].startswith(
        "InputError: evaluate(distributed=True): the data checks "
        "failed on rank 1 of 2: InputError: sparse_categorical"
    )
    assert lines["rank 0 missing checkpoint"].startswith("FileNotFoundError")
    assert lines["rank 1 missing checkpoint"].startswith("ModelFileError: fit(resume_from=")
    assert (
        "rank 0 could not read the checkpoint: FileNotFoundError"
        in lines["rank 1 missing checkpoint"]
    )
    for rank in (0, 1):  # a process with no row of the evaluation gets the figures of the others'
        one_row = json.loads((tmp_path / f"catchable_rank{rank}.json").read_text())["one_row"]
        np.testing.assert_equal(
            one_row["distributed"], one_row["alone"]
        )  # (AUC of one row: NaN in both)
    # After all these, the processes still train in step.
    with (
        np.load(tmp_path / "catchable_rank0.npz") as rank0,
        np.load(tmp_path / "catchable_rank1.npz") as rank1,
    ):
        for name in rank0.files:
            np.testing.assert_array_equal(rank0[name], rank1[name])


@pytest.mark.parametrize("variable", ["PMI_SIZE", "OMPI_COMM_WORLD_SIZE"])
def test_one_of_several_processes_without_mpi4py_refuses_to_train_alone(variable: str) -> None:
    hide_mpi4py = "import sys; sys.modules['mpi4py'] = None\n"
    code = (
        hide_mpi4py
        + "import glassnet.distributed as dist\ntry:\n    dist.init()\nexcept ImportError as e:\n"
        "    print(e)\n"
    )
    env = environment()
    env[variable] = "2"
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert "glassnet[mpi]" in result.stdout, result.stdout + result.stderr
