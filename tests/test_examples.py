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
        [
            sys.executable,
            str(EXAMPLES / "circles.py"),
            "--epochs",
            "200",
            "--seed",
            "0",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
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
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "--epochs: invalid int value: 'many'" in completed.stderr


def test_digits_example_runs_and_reports_accuracy() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "digits.py"
    done = subprocess.run(
        [sys.executable, str(script), "--seeds", "1", "--epochs", "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "glassnet mean test accuracy" in done.stdout
    accuracy = float(done.stdout.split("mean test accuracy ")[1].split()[0])
    assert accuracy > 0.85


def test_char_transformer_quick_run_learns_generates_and_draws_attention(tmp_path):
    out = tmp_path / "char"
    # One BLAS thread: the matrices are small, and threads fighting over shared CI cores cost more.
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "char_transformer.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error", "OPENBLAS_NUM_THREADS": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    before = float(
        next(line for line in lines if line.startswith("loss before")).split(": ")[1].split()[0]
    )
    after = float(
        next(line for line in lines if line.startswith("loss after")).split(": ")[1].split()[0]
    )
    assert after < before - 1.0, completed.stdout  # 25 steps: about 4.0 -> 2.6
    generated = completed.stdout.split("generated:\n")[1]
    assert generated.startswith("Beautiful is") and len(generated.split("\nwrote")[0]) == 12 + 40
    for name in ["loss.png", "attention.png"]:
        content = (out / name).read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 1000, name


def test_cross_validation_example_compares_the_three_models_on_the_same_folds() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "cross_validation.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:5]}
    assert set(rows) == {"glassnet", "MLPClassifier", "LogisticRegression"}
    for name, cells in rows.items():
        accuracy, auc = float(cells[1]), float(cells[4])
        assert accuracy > 0.85 and auc > 0.9, name  # 5 epochs are enough on breast_cancer
        assert cells[-1].endswith("s") and float(cells[-1][:-1]) > 0
    assert "fit time glassnet / MLPClassifier: " in done.stdout


@pytest.mark.slow  # two worker processes start (n_jobs=2): about 10 s on a quiet machine, 30 s on a busy one
def test_grid_search_example_prints_the_best_parameters_and_draws_the_heatmap(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "grid_search.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    assert (
        "8 combinations x 2 folds" in done.stdout and "best parameters: {'alpha': " in done.stdout
    )
    assert (
        0.5
        < float(done.stdout.split("test accuracy of the refitted best model: ")[1].split()[0])
        <= 1.0
    )
    content = (tmp_path / "grid_search.png").read_bytes()
    assert content.startswith(PNG_MAGIC) and len(content) > 1000


def test_digits_cnn_example_quick_mode_trains_both_frameworks_and_writes_its_figures(
    tmp_path,
) -> None:
    pytest.importorskip("torch")
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "digits_cnn.py"),
            "--quick",
            "--torch",
            "--out",
            str(tmp_path / "figures"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    for name in ("glassnet", "pytorch"):
        line = next(
            line
            for line in done.stdout.splitlines()
            if line.startswith(f"{name:8s} mean test accuracy")
        )
        assert 0.0 <= float(line.split("mean test accuracy ")[1].split()[0]) <= 1.0
    for name in ("filters.png", "feature_maps.png"):
        content = (tmp_path / "figures" / name).read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 1000, name
