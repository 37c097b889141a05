"""plot_attention: an attention map written to a PNG (Agg backend, no display)."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.plotting import plot_attention  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_attention_writes_a_labelled_map(tmp_path, rng) -> None:
    layer = gn.nn.MultiheadAttention(8, 2, rng=0)
    x = rng.standard_normal((1, 4, 8)).astype(np.float32)
    _, weights = layer(x, x, x, average_attn_weights=False, is_causal=True)
    words = ["the", "cat", "sat", "down"]
    ax = plot_attention(weights[0, 1], x_labels=words, y_labels=words, title="head 1")
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(image, weights.data[0, 1])
    assert image[0, 1] == 0  # causal: the first query sees only itself
    assert [t.get_text() for t in ax.get_xticklabels()] == words
    assert ax.get_title() == "head 1"
    path = tmp_path / "attention.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_attention_refuses_other_shapes() -> None:
    with pytest.raises(
        ValueError, match=r"expected weights of shape \(queries, keys\), got \(2, 3, 3\)"
    ):
        plot_attention(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"2 x_labels \(keys\) for 3 columns"):
        plot_attention(np.zeros((2, 3)), x_labels=["a", "b"])
