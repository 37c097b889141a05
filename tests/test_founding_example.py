"""The founding example end to end: the blog's network, data and settings reach a high ROC AUC."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from glassnet.demo import run_demo  # noqa: E402


def test_founding_network_with_the_blogs_settings_separates_the_circles() -> None:
    result = run_demo(None, shape_type="circles", epochs=9000, seed=0)
    assert result.auc_probabilities >= 0.98
    assert result.accuracy >= 0.95
    assert result.final_loss < 0.2


def test_moons_train_too() -> None:
    result = run_demo(None, shape_type="moons", samples=1000, epochs=2000, seed=1)
    assert result.auc_probabilities >= 0.95
