"""The sequence examples run from start to end in their --quick mode and write their plots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(script: str, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=out.parent,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_adding_problem_quick_run_reports_three_models_and_plots(tmp_path):
    stdout = _run("adding_problem.py", tmp_path / "adding")
    assert "predicting the mean gives test MSE" in stdout
    for name in ("LSTM", "GRU", "SimpleRNN"):
        line = next(line for line in stdout.splitlines() if line.startswith(name))
        assert float(line.split("test MSE ")[1].split()[0]) >= 0
    content = (tmp_path / "adding" / "adding_problem.png").read_bytes()
    assert content.startswith(PNG_MAGIC) and len(content) > 1000


def test_sine_forecast_quick_run_reports_its_mse_and_plots(tmp_path):
    stdout = _run("sine_forecast.py", tmp_path / "sine")
    mse = float(stdout.split("test MSE ")[1].split()[0])
    assert 0 <= mse < 1.0
    content = (tmp_path / "sine" / "sine_forecast.png").read_bytes()
    assert content.startswith(PNG_MAGIC) and len(content) > 1000
