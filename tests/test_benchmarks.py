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
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                            timeout=300, cwd=BENCHMARKS.parent)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mlp_throughput_reports_all_runners_against_the_numpy_floor() -> None:
    summary = _run("mlp_throughput.py", "--rounds", "1", "--samples", "512")
    assert summary["ratio_to_numpy_fused"]["numpy_fused"] == 1.0
    assert summary["samples_per_s"]["glassnet"] > 0


def test_mlp_breakdown_times_the_three_steps() -> None:
    summary = _run("mlp_breakdown.py", "--rounds", "1", "--samples", "256")
    assert set(summary["us_per_batch"]) == {"glassnet", "glassnet_numpy", "numpy_fused"}


def test_circles_epoch_runs() -> None:
    summary = _run("circles_epoch.py", "--rounds", "2", "--block", "2")
    assert summary["benchmark"] == "circles_epoch"


@pytest.mark.parametrize("script, args", [
    ("founding_study.py", ["--seeds", "1", "--epochs", "5"]),
    ("output_init_study.py", ["--seeds", "1", "--digits-seeds", "2", "--widths", "2", "--epochs", "5",
                              "--digits-epochs", "1"]),
    ("optimizers.py", ["--seeds", "1", "--circles-epochs", "5", "--digits-epochs", "1"]),
])
def test_studies_run(script: str, args: list[str]) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    assert _run(script, *args)["benchmark"]
