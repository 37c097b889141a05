"""The scripts in benchmarks/ run from start to end on tiny settings and print their JSON summary.

They are measured by hand (see benchmarks/README.md); these runs only keep them from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mlp_throughput_reports_all_runners_against_the_numpy_floor() -> None:
    summary = _run("mlp_throughput.py", "--rounds", "1", "--samples", "512")
    assert summary["ratio_to_numpy_fused"]["numpy_fused"] == 1.0
    assert summary["samples_per_s"]["glassnet"] > 0


def test_mlp_throughput_pools_the_rounds_of_several_processes() -> None:
    summary = _run("mlp_throughput.py", "--rounds", "1", "--samples", "256", "--processes", "2")
    assert len(summary["ratio_per_process"]["glassnet"]) == 2
    assert summary["ratio_per_process"]["numpy_fused"] == [1.0, 1.0]


def test_mlp_breakdown_times_the_three_steps() -> None:
    summary = _run("mlp_breakdown.py", "--rounds", "1", "--samples", "256")
    assert set(summary["us_per_batch"]) == {"glassnet", "glassnet_numpy", "numpy_fused"}


def test_circles_epoch_runs() -> None:
    summary = _run("circles_epoch.py", "--rounds", "2", "--block", "2")
    assert summary["benchmark"] == "circles_epoch"


def test_replay_engines_times_replayed_and_eager_steps_that_train_to_the_same_bits() -> None:
    summary = _run(
        "replay_engines.py",
        *("--rounds", "2", "--circles-block", "2", "--mlp-samples", "256", "--digits-epochs", "1"),
    )
    assert set(summary["results"]) == {"circles", "mlp", "digits"}
    for workload in summary["results"].values():
        assert workload["replay"]["ratio"] == 1.0 and workload["eager"]["ms_per_block"] > 0
        assert workload["same_bits"] is True


@pytest.mark.parametrize(
    "script, args",
    [
        ("founding_study.py", ["--seeds", "1", "--epochs", "5"]),
        (
            "output_init_study.py",
            [
                "--seeds",
                "1",
                "--digits-seeds",
                "2",
                "--widths",
                "2",
                "--epochs",
                "5",
                "--digits-epochs",
                "1",
            ],
        ),
        ("optimizers.py", ["--seeds", "1", "--circles-epochs", "5", "--digits-epochs", "1"]),
    ],
)
def test_studies_run(script: str, args: list[str]) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    assert _run(script, *args)["benchmark"]


def test_the_three_mlp_steps_do_the_same_training(monkeypatch: pytest.MonkeyPatch) -> None:
    # The breakdown and the throughput ratios compare equal work: after the same batches, glassnet's
    # compiled step, its NumPy calls alone and the hand-fused step hold the same weights.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import numpy as np
    from mlp_breakdown import GlassnetNumpy
    from mlp_throughput import BATCH, FusedNumpy, glassnet_runner, initial_weights, make_data

    x, y = make_data(4 * BATCH)
    weights = initial_weights()
    model = glassnet_runner(x, y, weights).model
    step = model._make_fit_step(*model._training_forward(model.compiled_loss), weighted=False)
    alone, fused = GlassnetNumpy(weights), FusedNumpy(weights)
    with model.mode(training=True):
        for start in range(0, len(x), BATCH):
            xb, yb = x[start : start + BATCH], y[start : start + BATCH]
            step(xb, yb)
            alone.step(xb, yb)
            fused.step(xb, yb)
    ours = [p.data for p in model.parameters()]  # w0, b0, w1, b1, w2, b2
    fused_params = [a for w, b in zip(fused.weights, fused.biases) for a in (w.T, b)]
    assert any(
        not np.allclose(p, start) for p, start in zip(ours, (a for pair in weights for a in pair))
    )
    for glassnet_param, numpy_param, fused_param in zip(ours, alone.params, fused_params):
        np.testing.assert_array_equal(
            glassnet_param, numpy_param
        )  # the same NumPy calls, bit for bit
        np.testing.assert_allclose(glassnet_param, fused_param, rtol=1e-4, atol=1e-6)


def test_scaling_runs_one_and_two_mpi_processes_and_projects_the_ring_allreduce() -> None:
    from .distributed.mpirun import mpiexec

    mpiexec()  # skips without MPI
    summary = _run("scaling.py", "--quick")
    assert set(summary["runs"]) == {"1", "2"}
    assert (
        summary["runs"]["1"]["allreduce_s_per_step"] == 0.0
        and summary["runs"]["2"]["allreduce_s_per_step"] > 0
    )
    assert summary["efficiency_2"] > 0
    gradient_bytes = summary["runs"]["1"]["gradient_bytes"]
    assert gradient_bytes == 4 * (784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10)
    # 2 (p - 1) / p x B / (25 Gbit/s), for p = 8
    assert summary["projection"][0]["allreduce_ms"] == pytest.approx(
        2 * 7 / 8 * gradient_bytes / 25e9 * 8 * 1e3
    )


def test_cost_growth_measures_both_curves_and_plots_them(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "cost_growth.png"
    summary = _run("cost_growth.py", "--quick", "--plot", str(plot))
    assert plot.stat().st_size > 0
    assert set(summary["slopes"]) == {"epoch_time", "step_time", "peak_memory"}
    assert len(summary["epoch_s"]["glassnet"]) == len(summary["samples"])
    assert len(summary["mlp"]["glassnet"]["step_s"]) == len(summary["batches"])


def test_diagnostics_cost_compares_plain_and_watched_epochs() -> None:
    summary = _run("diagnostics_cost.py", "--quick")
    assert summary["ratio"] > 0 and set(summary["epoch_ms"]) == {"plain", "watched"}


def test_lstm_throughput_reports_glassnet_pytorch_and_the_numpy_lstm() -> None:
    summary = _run("lstm_throughput.py", "--rounds", "1", "--samples", "64")
    assert summary["time_ratio_to_numpy_lstm"]["numpy_lstm"] == 1.0
    assert summary["samples_per_s"]["glassnet"] > 0 and "pytorch" in summary["samples_per_s"]


@pytest.mark.slow  # ~60 s on a busy machine: PyTorch's and glassnet's first epochs, tracemalloc
def test_cnn_throughput_reports_every_runner_and_the_memory() -> None:
    pytest.importorskip("torch")
    summary = _run("cnn_throughput.py", "--quick")
    assert summary["ratio_to_pytorch"]["pytorch"] == 1.0
    assert set(summary["samples_per_s"]) == {
        "numpy_im2col",
        "glassnet",
        "glassnet_keras",
        "pytorch",
    }
    assert (
        summary["memory_bytes"]["glassnet_step_peak"]
        > summary["memory_bytes"]["pytorch_saved_for_backward"]
        > 0
    )


def test_cnn_benchmark_steps_train_alike(monkeypatch) -> None:
    # The three runners start from the same weights and compute the same step.
    torch = pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import numpy as np
    from cnn_throughput import (
        BATCH,
        NumpyIm2col,
        glassnet_model,
        initial_weights,
        make_data,
        torch_net,
    )

    x, y = make_data(BATCH)
    weights = initial_weights()
    handwritten = NumpyIm2col(weights)
    handwritten.step(x, y)
    net = torch_net(torch, weights)
    torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 0.01 * p.grad
    expected = [p.detach().numpy() for p in net.parameters()]
    for keras in (False, True):
        model = glassnet_model(weights, keras)
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
        for ours, theirs in zip([p.data for p in model.parameters()], expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    for name, theirs in zip(
        ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"],
        expected,
    ):
        np.testing.assert_allclose(handwritten.p[name], theirs, rtol=1e-4, atol=1e-6)
