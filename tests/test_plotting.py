"""Plots of training: loss curves, decision boundaries and ROC curves (Agg backend, no display)."""

from __future__ import annotations

import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # before pyplot is imported: no window, no display needed

import matplotlib.axes  # noqa: E402
import matplotlib.collections  # noqa: E402
import matplotlib.contour  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.plotting  # noqa: E402
from glassnet.metrics import roc_auc_score  # noqa: E402
from glassnet.plotting import plot_decision_boundary, plot_loss, plot_roc_curve  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def two_blobs(rng):
    """40 points in two separable clouds, left (label 0) and right (label 1) of x = 0."""
    labels = np.repeat([0, 1], 20)
    points = rng.normal(scale=0.4, size=(40, 2)) + np.where(
        labels[:, None] == 1, [1.5, 0.0], [-1.5, 0.0]
    )
    return points, labels


def _sigmoid_of_x(points: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-3.0 * points[:, 0]))


def _contour_sets(ax) -> list:
    return [c for c in ax.collections if isinstance(c, matplotlib.contour.ContourSet)]


def _scatters(ax) -> list:
    return [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]


class _ModelLike:
    """Only what plot_loss reads from a Model: the per-epoch ``loss`` list."""

    def __init__(self, loss):
        self.loss = loss


class _HistoryLike:
    def __init__(self, losses):
        self.history = {"loss": losses, "accuracy": [0.5] * len(losses)}


# ---------------------------------------------------------------------------------- plot_loss
@pytest.mark.parametrize(
    "source",
    [
        _ModelLike([0.9, 0.5, 0.3, 0.2]),
        [0.9, 0.5, 0.3, 0.2],
        np.array([0.9, 0.5, 0.3, 0.2]),
        _HistoryLike([0.9, 0.5, 0.3, 0.2]),
    ],
    ids=["model_loss_attribute", "list", "array", "history_dict"],
)
def test_plot_loss_draws_one_line_of_the_losses_against_the_epoch(source):
    ax = plot_loss(source)
    assert isinstance(ax, matplotlib.axes.Axes)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [0.9, 0.5, 0.3, 0.2])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")


def test_plot_loss_prefers_history_loss_over_a_loss_attribute():
    source = _HistoryLike([3.0, 2.0])
    source.loss = [9.0, 9.0, 9.0]
    (line,) = plot_loss(source).get_lines()
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0])


def test_plot_loss_draws_on_the_given_axes_with_the_label_in_the_legend():
    fig, ax = plt.subplots()
    assert plot_loss([1.0, 0.5], ax=ax, label="run 7") is ax
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["run 7"]
    assert fig.axes == [ax]


@pytest.mark.parametrize("bad", [len, 3.5, None], ids=["callable", "float", "none"])
def test_plot_loss_rejects_something_without_losses_naming_its_type(bad):
    message = rf"expected a Model, a History or a list of losses, got {type(bad).__name__}"
    with pytest.raises(TypeError, match=message):
        plot_loss(bad)


# ---------------------------------------------------------------------------------- decision boundary
def test_plot_decision_boundary_of_a_trained_model_draws_contours_and_every_point(two_blobs):
    points, labels = two_blobs
    model = gn.Model()
    model.add(gn.Linear(2, 4))
    model.add(gn.ReLU(4))
    model.add(gn.Linear(4, 1))
    model.add(gn.Sigmoid(1))
    model.train(points, labels, learning_rate=0.5, epochs=60, seed=0)
    assert model.loss[-1] < model.loss[0]

    ax = plot_decision_boundary(model, points, labels, resolution=40)

    filled, boundary = _contour_sets(ax)
    assert filled.filled and not boundary.filled
    np.testing.assert_allclose(boundary.levels, [0.5])
    (scatter,) = _scatters(ax)
    np.testing.assert_allclose(scatter.get_offsets(), points)
    assert len(ax.figure.axes) == 2  # the plot and its probability colour bar
    plot_loss(model)  # a real Model's loss list plots too


def test_plot_decision_boundary_accepts_a_plain_callable_on_a_grid_around_the_points(two_blobs):
    points, labels = two_blobs
    seen = []

    def predict(grid):
        seen.append(grid.shape)
        return _sigmoid_of_x(grid)

    ax = plot_decision_boundary(predict, points, labels, resolution=30, margin=0.5)

    assert seen == [(30 * 30, 2)]
    assert len(_contour_sets(ax)) == 2
    (scatter,) = _scatters(ax)
    assert len(scatter.get_offsets()) == len(points)
    np.testing.assert_array_equal(scatter.get_array(), labels)
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    np.testing.assert_allclose(ax.get_xlim(), [low[0], high[0]])
    np.testing.assert_allclose(ax.get_ylim(), [low[1], high[1]])


def test_plot_decision_boundary_accepts_column_probabilities_and_column_labels(two_blobs):
    points, labels = two_blobs

    def predict_column(grid):
        return _sigmoid_of_x(grid)[:, None]

    ax = plot_decision_boundary(predict_column, points, labels[:, None], resolution=20)
    (scatter,) = _scatters(ax)
    assert len(scatter.get_offsets()) == len(points)


@pytest.mark.parametrize("shape", [(10, 3), (10,), (2, 10, 2)])
def test_plot_decision_boundary_rejects_points_that_are_not_two_features(shape):
    message = r"expected X of shape \(n_samples, 2\), got " + re.escape(str(shape))
    with pytest.raises(ValueError, match=message):
        plot_decision_boundary(_sigmoid_of_x, np.zeros(shape), np.zeros(10), resolution=10)


# ---------------------------------------------------------------------------------- ROC curve
def test_plot_roc_curve_puts_the_auc_in_the_legend():
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    ax = plot_roc_curve(labels, scores)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [f"AUC = {roc_auc_score(labels, scores):.4f}", "chance"]
    assert legend[0] == "AUC = 0.7500"


def test_plot_roc_curve_draws_the_curve_from_origin_to_one_one_with_a_labelled_legend():
    labels = np.array([0, 1, 1, 0, 1])
    scores = np.array([0.2, 0.9, 0.6, 0.7, 0.1])
    fig, ax = plt.subplots()
    assert plot_roc_curve(labels, scores, ax=ax, label="model") is ax
    curve, chance = ax.get_lines()
    assert (curve.get_xdata()[0], curve.get_ydata()[0]) == (0.0, 0.0)
    assert (curve.get_xdata()[-1], curve.get_ydata()[-1]) == (1.0, 1.0)
    np.testing.assert_array_equal(chance.get_xdata(), [0, 1])
    assert (
        ax.get_legend().get_texts()[0].get_text()
        == f"model AUC = {roc_auc_score(labels, scores):.4f}"
    )


def test_plot_loss_refuses_a_string() -> None:
    with pytest.raises(TypeError, match="expected a Model, a History or a list of losses"):
        glassnet.plotting.plot_loss("abc")


def test_plot_history_draws_train_and_validation_side_by_side() -> None:
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.9]}
    axes = glassnet.plotting.plot_history(history)
    assert len(axes) == 2
    assert [line.get_label() for line in axes[0].get_lines()] == [
        "training loss",
        "validation loss",
    ]
    np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), [1.1, 0.6, 0.4])
    with pytest.raises(ValueError, match=r"\['auc'\] not recorded"):
        glassnet.plotting.plot_history(history, metrics=["auc"])


def test_plot_decision_boundary_multiclass_colours_regions() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.arange(60) % 3

    def scores(points):
        return np.stack([points[:, 0], points[:, 1], -points[:, 0]], axis=1)

    ax = glassnet.plotting.plot_decision_boundary(scores, X, y, resolution=30)
    assert (
        any(isinstance(c, matplotlib.contour.ContourSet) for c in ax.collections) or ax.collections
    )
    assert ax.collections[-1].get_offsets().shape == (60, 2)


def test_plot_confusion_matrix_writes_counts_in_cells() -> None:
    ax = glassnet.plotting.plot_confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0])
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["1", "1", "0", "0", "1", "0", "1", "0", "2"])
    normalized = glassnet.plotting.plot_confusion_matrix([0, 1], [0, 0], normalize=True)
    assert "1.00" in [t.get_text() for t in normalized.texts]


def _diagnosed_history() -> gn.callbacks.History:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = gn.Model(
        [
            gn.Linear(2, 4, rng=0),
            gn.ReLU(),
            gn.Linear(4, 3, rng=1),
            gn.Tanh(),
            gn.Linear(3, 1, rng=2),
            gn.Sigmoid(),
        ]
    )
    model.compile("sgd", "binary_crossentropy")
    return model.fit(
        x,
        y,
        epochs=3,
        batch_size=50,
        verbose=0,
        callbacks=[gn.callbacks.GradientFlow(), gn.callbacks.ActivationHealth()],
    )


def test_plot_gradient_flow_draws_each_layer_with_the_band():
    ratio_ax, grad_ax = glassnet.plotting.plot_gradient_flow(_diagnosed_history())
    labels = [line.get_label() for line in ratio_ax.get_lines()]
    assert labels[:3] == ["linear_1", "linear_2", "linear_3"] and "vanishing (1e-5)" in labels
    assert ratio_ax.get_yscale() == "log" and len(grad_ax.get_lines()) == 3
    assert len(ratio_ax.get_lines()[0].get_xdata()) == 3


def test_plot_activation_health_draws_dead_and_saturated_fractions():
    ax = glassnet.plotting.plot_activation_health(_diagnosed_history())
    assert [line.get_label() for line in ax.get_lines()] == [
        "relu_1: dead units",
        "tanh_1: saturated outputs",
    ]


def test_diagnostic_plots_say_which_callback_is_missing():
    history = gn.callbacks.History()
    history.history = {"loss": [1.0]}
    with pytest.raises(ValueError, match="GradientFlow"):
        glassnet.plotting.plot_gradient_flow(history)
    with pytest.raises(ValueError, match="ActivationHealth"):
        glassnet.plotting.plot_activation_health(history)
    assert len(glassnet.plotting.plot_history(_diagnosed_history())) == 1  # the loss alone
