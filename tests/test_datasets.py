"""The seed blog's toy data: generate_data and plot_generated_data."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # before pyplot is imported: no window, no display needed
pytest.importorskip("pandas")
pytest.importorskip("sklearn")

import matplotlib.axes  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from glassnet.datasets import generate_data, plot_generated_data  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("shape_type", ["circles", "moons"])
def test_generate_data_has_xy_label_columns_and_the_requested_length(shape_type):
    data = generate_data(301, shape_type, noise=0.1, seed=0)
    assert list(data.columns) == ["x", "y", "label"]
    assert len(data) == 301
    assert set(np.unique(data["label"])) == {0, 1}
    assert np.isfinite(data[["x", "y"]].to_numpy()).all()


@pytest.mark.parametrize("shape_type", ["circles", "moons"])
def test_generate_data_splits_the_samples_between_both_classes(shape_type):
    data = generate_data(400, shape_type, noise=0.05, seed=3)
    assert data["label"].sum() == 200


def test_generate_data_circles_puts_class_one_on_the_inner_ring():
    data = generate_data(1000, "circles", noise=0.0, seed=0)
    radius = np.hypot(data["x"], data["y"])
    np.testing.assert_allclose(radius[data["label"] == 0], 1.0, atol=1e-9)
    np.testing.assert_allclose(radius[data["label"] == 1], 0.8, atol=1e-9)  # sklearn's factor


def test_generate_data_moons_and_circles_differ():
    moons = generate_data(200, "moons", noise=0.0, seed=0)
    circles = generate_data(200, "circles", noise=0.0, seed=0)
    assert not np.allclose(moons[["x", "y"]].to_numpy(), circles[["x", "y"]].to_numpy())


@pytest.mark.parametrize("shape_type", ["circles", "moons"])
def test_generate_data_repeats_with_the_same_seed(shape_type):
    first = generate_data(200, shape_type, noise=0.1, seed=7)
    second = generate_data(200, shape_type, noise=0.1, seed=7)
    other = generate_data(200, shape_type, noise=0.1, seed=8)
    assert first.equals(second)
    assert not np.allclose(first[["x", "y"]].to_numpy(), other[["x", "y"]].to_numpy())


def test_generate_data_noise_moves_the_points():
    clean = generate_data(200, "circles", noise=0.0, seed=1)
    noisy = generate_data(200, "circles", noise=0.2, seed=1)
    assert np.abs(noisy[["x", "y"]].to_numpy() - clean[["x", "y"]].to_numpy()).max() > 0.1


@pytest.mark.parametrize("parts", [("moo", "ns"), ("cir", "cles")], ids=["moons", "circles"])
def test_generate_data_compares_shape_type_by_value_not_identity(parts):
    # The blog wrote `shape_type is 'moons'`, which fails for an equal string built at run time.
    built = "".join(parts)
    literal = {"moons": "moons", "circles": "circles"}[built]
    assert built is not literal
    expected = generate_data(50, literal, noise=0.1, seed=0)
    assert generate_data(50, built, noise=0.1, seed=0).equals(expected)


@pytest.mark.parametrize("bad", ["spirals", "Moons", ""])
def test_generate_data_rejects_an_unknown_shape_naming_the_choices(bad):
    with pytest.raises(ValueError, match=rf"shape_type must be 'moons' or 'circles', got {bad!r}"):
        generate_data(10, bad)


def test_plot_generated_data_returns_axes_with_one_scatter_of_every_point():
    data = generate_data(120, "moons", noise=0.1, seed=0)
    ax = plot_generated_data(data)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.collections) == 1
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points, data[["x", "y"]].to_numpy())
    np.testing.assert_array_equal(ax.collections[0].get_array(), data["label"].to_numpy())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")


def test_plot_generated_data_draws_on_the_given_axes():
    data = generate_data(30, "circles", noise=0.1, seed=0)
    fig, ax = plt.subplots()
    assert plot_generated_data(data, ax=ax) is ax
    assert len(fig.axes) == 1
