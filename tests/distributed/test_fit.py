"""fit(..., distributed=True) on two real MPI processes against one process.

One ``mpiexec -n 2`` run (a module fixture) trains every case; the references train here, in one
process. Two processes with batch 32 take the same steps as one process with batch 64 (the
sampler gives batch k of the two processes exactly the rows of batch k of one), so the weights
agree to rounding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.distributed import shard_rows

from . import workers
from .mpirun import run_workers


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The folder of the 2-process results, and what the processes printed."""
    out = tmp_path_factory.mktemp("mpi")
    # A checkpoint written by one process, for the run that resumes it on two.
    workers.train_classifier("sgd", 64, out, distributed=False, tag="_one_process")
    result = run_workers(out, "sgd", "adam", "resume", "batchnorm", "uneven", "traffic")
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout


def _result(out: Path, job: str, rank: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    stem = out / f"{job}_rank{rank}"
    with np.load(f"{stem}.npz") as arrays:
        weights = dict(arrays)
    return weights, json.loads(stem.with_suffix(".json").read_text())


def _assert_same_weights(
    got: dict[str, np.ndarray], expected: dict[str, np.ndarray], atol: float = 1e-10
) -> None:
    assert set(got) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=0, atol=atol, err_msg=name)


def _assert_same_logs(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(got) == set(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(got[key], values, rtol=1e-12, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_processes_of_batch_32_train_as_one_process_of_batch_64(
    two_processes: tuple[Path, str], optimizer: str, tmp_path: Path
) -> None:
    out, _ = two_processes
    model, history, info = workers.train_classifier(optimizer, 64, tmp_path, distributed=False)
    rank0, info0 = _result(out, optimizer, 0)
    rank1, info1 = _result(out, optimizer, 1)
    assert info0["steps"] == info1["steps"] == 20
    # fit's fast path: with glassnet's own callbacks (ModelCheckpoint, CSVLogger) one step serves
    # the whole fit, so the first batch is recorded and the other 19 replayed.
    assert info0["replayed_steps"] == info1["replayed_steps"] == info["replayed_steps"] == 19
    _assert_same_weights(rank0, model.state_dict())
    for name in rank0:  # every process applied the same steps to the same weights
        np.testing.assert_array_equal(rank0[name], rank1[name])
    # The epoch's loss and metrics and the validation are over all rows, on every process.
    for reduced in (info0, info1):
        _assert_same_logs(reduced["history"], history.history)
        _assert_same_logs(reduced["evaluate"], info["evaluate"])


def test_only_rank_0_prints_and_writes_files(two_processes: tuple[Path, str]) -> None:
    out, printed = two_processes
    assert printed.count("Epoch 1/2 ") == 2  # the sgd and adam runs print once each
    assert printed.count("Epoch 4/4 ") == 1  # the resumed run
    saved = [_result(out, "sgd", rank)[1]["saved"] for rank in (0, 1)]
    assert saved == [[str(out / "sgd_epoch1.gnet"), str(out / "sgd_epoch2.gnet")], []]
    rows = (out / "sgd.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss,accuracy") and len(rows) == 3


def test_a_checkpoint_of_two_processes_resumes_on_one(
    two_processes: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = two_processes
    straight, history, _ = workers.train_classifier(
        "sgd", 64, tmp_path, distributed=False, epochs=4
    )
    resumed, resumed_history, _ = workers.train_classifier(
        "sgd",
        64,
        tmp_path,
        distributed=False,
        epochs=4,
        tag="_resumed",
        resume_from=str(out / "sgd_epoch2.gnet"),
    )
    _assert_same_weights(resumed.state_dict(), straight.state_dict())
    _assert_same_logs(resumed_history.history, history.history)


def test_a_checkpoint_of_one_process_resumes_on_two(
    two_processes: tuple[Path, str], tmp_path: Path
) -> None:
    # Rank 1 was given a path that does not exist: rank 0 alone reads the checkpoint and hands
    # the weights, optimizer state, History, generators and callbacks' states to the others.
    out, _ = two_processes
    straight, history, _ = workers.train_classifier(
        "sgd", 64, tmp_path, distributed=False, epochs=4
    )
    for rank in (0, 1):
        weights, info = _result(out, "resume", rank)
        _assert_same_weights(weights, straight.state_dict())
        _assert_same_logs(info["history"], history.history)


def _batchnorm_by_hand() -> dict[str, np.ndarray]:
    """What two processes compute, in one: one set of weights and running statistics per process.

    Each process normalizes its batch of 32 with that batch's own statistics and moves its own
    running statistics; the gradients are averaged; at the end of each epoch every process takes
    rank 0's running statistics.
    """
    x = workers.data()[0]
    y = workers.regression_targets(x)
    model = workers.batchnorm_regressor()
    generator = np.random.default_rng(
        0
    )  # fit(seed=0)'s generator: initial weights, then one order per epoch
    model._initialize_for_training(generator)
    norm = model.layers[1]
    params = list(model.parameters())
    optimizer = gn.optim.SGD(params, lr=0.05)
    loss_fn = gn.losses.MeanSquaredError()
    statistics = [(norm.running_mean.copy(), norm.running_var.copy()) for _ in range(2)]
    with model.mode(training=True):
        for _ in range(workers.EPOCHS):
            order = generator.permutation(len(x))
            shards = [shard_rows(order, rank, 2) for rank in range(2)]
            for start in range(0, len(shards[0]), 32):
                gradients = []
                for rank, rows in enumerate(shards):
                    norm.running_mean[...], norm.running_var[...] = statistics[rank]
                    batch = rows[start : start + 32]
                    optimizer.zero_grad()
                    loss_fn.compute(model(gn.Tensor(x[batch])), gn.Tensor(y[batch])).backward()
                    gradients.append([p.grad.copy() for p in params])
                    statistics[rank] = (norm.running_mean.copy(), norm.running_var.copy())
                for param, mine, theirs in zip(params, *gradients):
                    param.grad = (mine + theirs) / 2
                optimizer.step()
            statistics[1] = statistics[0]
    norm.running_mean[...], norm.running_var[...] = statistics[0]
    return model.state_dict()


def test_batchnorm_uses_the_statistics_of_each_process_and_keeps_rank_0s_running_ones(
    two_processes: tuple[Path, str],
) -> None:
    out, _ = two_processes
    rank0, _ = _result(out, "batchnorm", 0)
    rank1, _ = _result(out, "batchnorm", 1)
    _assert_same_weights(rank0, _batchnorm_by_hand())
    for name in rank0:
        np.testing.assert_array_equal(rank0[name], rank1[name])
    # Not SyncBatchNorm: one process with batch 64 normalizes with other statistics.
    one_process = workers.train_batchnorm(64, distributed=False).state_dict()
    assert (
        np.abs(
            rank0["batchnorm1d_1.running_mean"] - one_process["batchnorm1d_1.running_mean"]
        ).max()
        > 1e-3
    )


def test_uneven_shares_train_in_step_and_a_stop_on_one_process_stops_all(
    two_processes: tuple[Path, str],
) -> None:
    out, _ = two_processes
    (rank0, info0), (rank1, info1) = _result(out, "uneven", 0), _result(out, "uneven", 1)
    # 101 rows: 51 per process (one row twice), 7 batches of 8 or fewer, in both.
    assert info0 == info1 == {"epochs": [0, 1], "steps": 14}
    for name in rank0:
        np.testing.assert_array_equal(rank0[name], rank1[name])


def test_metrics_travel_as_small_states_whatever_the_number_of_rows(
    two_processes: tuple[Path, str],
) -> None:
    out, _ = two_processes
    info0, info1 = (json.loads((out / f"traffic_rank{rank}.json").read_text()) for rank in (0, 1))
    # One allgather per fit and evaluate to compare the data, one per epoch for precision's
    # confusion counts; accuracy travels in the loss's Allreduce. 2,560 rows of 3 float64
    # probabilities would take 61 kB.
    assert len(info0["sizes"]) == 1 + 3 + 1 + 1
    assert max(info0["sizes"]) < 1000
    assert info0["history"] == info1["history"] and info0["evaluate"] == info1["evaluate"]
    assert len(info0["history"]["precision"]) == 3
