"""examples/see_through.ipynb runs from start to end, and its outputs hold what its text claims;
docs/see_through.md is that notebook, executed (docs/make_see_through.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

import make_see_through  # noqa: E402

# Executing the notebook takes 10-30 s (a kernel, two trainings): run with `pytest -m slow`.
executing = pytest.mark.slow


@pytest.fixture(scope="module")
def outputs() -> list[str]:
    """Per code cell: its text outputs joined, with "[png]" for each figure."""
    notebook = make_see_through.execute()
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            parts = [
                content if kind == "text" else "[png]"
                for kind, content in make_see_through.outputs_text(cell)
            ]
            cells.append("\n".join(parts))
    return cells


def _cell(outputs: list[str], start: str) -> str:
    notebook = make_see_through.nbformat.read(make_see_through.NOTEBOOK, as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return outputs[next(i for i, source in enumerate(sources) if source.startswith(start))]


@executing
def test_the_torch_initialization_dies_on_seed_8_and_stays_at_ln_2(outputs):
    text = _cell(outputs, 'torch_like = founding(init="torch")')
    assert "loss after 20 epochs: 0.6931 (ln 2 = 0.6931)" in text
    assert float(re.search(r"accuracy: ([\d.]+)", text).group(1)) < 0.6
    assert "layer linear_1: update/weight ratio 0 < 1e-05" in text and "layer linear_2" in text


@executing
def test_diagnose_names_the_dead_layer_with_advice(outputs):
    text = _cell(outputs, "report = torch_like.diagnose")
    assert (
        "linear_2 (5 -> 2) -> relu_2: 2 of 2 units dead on all 5000 samples; the model's output no longer "
        "depends on its input."
    ) in text
    assert "Try: glassnet's default initialization" in text


@executing
def test_the_plots_are_drawn(outputs):
    assert _cell(outputs, "plot_activation_health(history)").count("[png]") == 1
    assert _cell(outputs, "plot_gradient_flow(history)").count("[png]") == 1
    assert _cell(outputs, "plot_activation_health(history_default)").count("[png]") == 2
    assert _cell(outputs, "fig, axes").count("[png]") == 1


@executing
def test_explain_shows_the_zeros(outputs):
    assert "relu_2 output: 100% zeros" in _cell(outputs, 'relu_2 = trace.find(layer="relu_2")')
    assert "gradient of linear_2.weight: 100% zeros" in _cell(
        outputs, 'relu_2 = trace.find(layer="relu_2")'
    )
    assert "Backward (gradients of the loss" in _cell(outputs, "trace = torch_like.explain")


@executing
def test_the_default_initialization_learns_and_is_healthy(outputs):
    text = _cell(outputs, "default = founding()")
    assert float(re.search(r"loss after 20 epochs: ([\d.]+)", text).group(1)) < 0.4
    assert float(re.search(r"accuracy: ([\d.]+)", text).group(1)) > 0.9
    assert "No problem found." in text and "DiagnosticWarning" not in text


@executing
def test_summary_and_graph(outputs):
    assert "Forward FLOPs per sample: 60" in _cell(outputs, "default.summary")
    assert _cell(outputs, "print(gn.viz.to_dot").startswith("digraph glassnet {")


def test_the_docs_page_is_the_notebook_with_its_figures():
    page = make_see_through.PAGE.read_text()
    assert "2 of 2 units dead on all 5000 samples" in page and "No problem found." in page
    figures = re.findall(r"!\[figure \d+\]\((see_through/figure_\d+\.png)\)", page)
    assert len(figures) == 5
    assert all((make_see_through.PAGE.parent / figure).stat().st_size > 1000 for figure in figures)
