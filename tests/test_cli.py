"""The ``glassnet`` command line: ``glassnet demo circles|moons --out DIR ...``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # the demo draws in-process here; never open a window
pytest.importorskip("pandas")
pytest.importorskip("sklearn")

import matplotlib.pyplot as plt  # noqa: E402

from glassnet.cli import main  # noqa: E402

PLOTS = ["data.png", "loss.png", "decision_boundary.png", "roc.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TABLE_ROWS = [
    "final loss",
    "accuracy",
    "ROC AUC (probabilities)",
    "ROC AUC (thresholded at 0.5, as the blog)",
]
SMALL_RUN = ["--epochs", "300", "--samples", "400"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _assert_wrote_pngs(folder: Path) -> None:
    for name in PLOTS:
        path = folder / name
        assert path.is_file(), f"{name} missing from {sorted(os.listdir(folder))}"
        content = path.read_bytes()
        assert content.startswith(PNG_MAGIC), f"{name} is not a PNG"
        assert len(content) > 1000, f"{name} is only {len(content)} bytes"


def _table(stdout: str) -> dict[str, float]:
    """The printed ``name  value`` rows, by name."""
    rows = {}
    for line in stdout.splitlines():
        for name in TABLE_ROWS:
            if line.startswith(name + " "):
                rows[name] = float(line[len(name) :].strip())
    return rows


def test_demo_circles_returns_zero_writes_four_pngs_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "circles"
    assert main(["demo", "circles", "--out", str(out), *SMALL_RUN]) == 0

    _assert_wrote_pngs(out)
    stdout = capsys.readouterr().out
    assert stdout.startswith("glassnet demo: circles, 2-5-2-1 network, 300 epochs, lr 0.05, seed 0")
    table = _table(stdout)
    assert set(table) == set(TABLE_ROWS)
    assert table["final loss"] > 0
    for name in TABLE_ROWS[1:]:
        assert 0.0 <= table[name] <= 1.0
    for name in PLOTS:
        assert f"wrote {out / name}" in stdout


def test_demo_moons_flag_trains_on_moons(tmp_path, capsys):
    out = tmp_path / "moons"
    assert main(["demo", "circles", "--moons", "--out", str(out), *SMALL_RUN, "--seed", "1"]) == 0
    _assert_wrote_pngs(out)
    stdout = capsys.readouterr().out
    assert stdout.startswith("glassnet demo: moons, 2-5-2-1 network, 300 epochs, lr 0.05, seed 1")
    assert set(_table(stdout)) == set(TABLE_ROWS)


def test_demo_repeats_its_numbers_with_the_same_seed(tmp_path, capsys):
    arguments = ["demo", "moons", *SMALL_RUN, "--epochs", "50"]
    main([*arguments, "--out", str(tmp_path / "first")])
    first = _table(capsys.readouterr().out)
    main([*arguments, "--out", str(tmp_path / "second")])
    second = _table(capsys.readouterr().out)
    assert first == second


def test_demo_rejects_an_unknown_dataset_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "spirals"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'spirals'" in capsys.readouterr().err


def test_python_dash_m_glassnet_runs_the_moons_demo(tmp_path):
    out = tmp_path / "module"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "glassnet",
            "demo",
            "moons",
            "--out",
            str(out),
            "--epochs",
            "100",
            "--samples",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert completed.returncode == 0, completed.stderr
    assert "glassnet demo: moons" in completed.stdout
    assert set(_table(completed.stdout)) == set(TABLE_ROWS)
    _assert_wrote_pngs(out)
