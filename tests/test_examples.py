"""The scripts in examples/ run from start to end (with few epochs) and write their plots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_circles_example_exits_zero_writes_its_plots_and_prints_both_aucs(tmp_path):
    out = tmp_path / "example"
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "circles.py"), "--epochs", "200", "--seed", "0", "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert completed.returncode == 0, completed.stderr
    for name in ["data.png", "loss.png", "decision_boundary.png"]:
        content = (out / name).read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 1000, name
    lines = completed.stdout.splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch: ")]  # verbose, as the blog
    epochs_printed = [line.split(".")[0] for line in epoch_lines]
    assert epochs_printed == ["Epoch: 0", "Epoch: 50", "Epoch: 100", "Epoch: 150"]
    auc_lines = [line for line in lines if line.startswith("ROC AUC on ")]
    assert len(auc_lines) == 2
    for line in auc_lines:
        assert 0.0 <= float(line.rsplit(": ", 1)[1]) <= 1.0


def test_circles_example_rejects_a_non_integer_epoch_count(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "circles.py"), "--epochs", "many", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 2
    assert "--epochs: invalid int value: 'many'" in completed.stderr


def test_digits_example_runs_and_reports_accuracy() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "digits.py"
    done = subprocess.run([sys.executable, str(script), "--seeds", "1", "--epochs", "3"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "glassnet mean test accuracy" in done.stdout
    accuracy = float(done.stdout.split("mean test accuracy ")[1].split()[0])
    assert accuracy > 0.85


def test_digits_cnn_example_quick_mode_trains_both_frameworks_and_writes_its_figures(tmp_path) -> None:
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, str(EXAMPLES / "digits_cnn.py"), "--quick", "--torch", "--out",
                           str(tmp_path / "figures")], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONWARNINGS": "error"})
    assert done.returncode == 0, done.stderr
    for name in ("glassnet", "pytorch"):
        line = next(line for line in done.stdout.splitlines() if line.startswith(f"{name:8s} mean test accuracy"))
        assert 0.0 <= float(line.split("mean test accuracy ")[1].split()[0]) <= 1.0
    for name in ("filters.png", "feature_maps.png"):
        content = (tmp_path / "figures" / name).read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 1000, name
