"""Plots of training: loss curves, decision boundaries, ROC curves and attention maps; and inside
a CNN: its filters and its feature maps.

matplotlib (the ``plot`` extra) is imported inside the functions, so glassnet itself does not need
it. Every function draws on ``ax`` when given (else on a new figure) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "plot_loss",
    "plot_history",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    "plot_roc_curve",
    "plot_attention",
    "plot_gradient_flow",
    "plot_activation_health",
    "plot_filters",
    "plot_feature_maps",
]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'glassnet.plotting needs matplotlib: pip install "glassnet[plot]"'
        ) from exc
    return plt


def _axes(ax: Any, figsize: tuple[float, float] = (8, 6)) -> Any:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def _two_class_colors() -> Any:
    from matplotlib.colors import ListedColormap

    return ListedColormap(["skyblue", "salmon"])


def plot_loss(model_or_losses: Any, ax: Any = None, label: str = "training loss") -> Any:
    """The loss per epoch: from a Model (its ``loss`` list), a History, or a sequence of floats."""
    losses = _losses_of(model_or_losses)
    ax = _axes(ax)
    ax.plot(np.arange(len(losses)), losses, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss curve")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def plot_history(history: Any, metrics: Sequence[str] | None = None, axes: Any = None) -> Any:
    """Training and validation curves, one panel per metric, side by side.

    Args:
        history: a History (``fit``'s return value) or its ``history`` dict.
        metrics: the names to draw (default: every key without a ``val_`` prefix, and none of the
            per-layer diagnostics such as ``grad_norm/linear_1``: see :func:`plot_gradient_flow`).
        axes: a sequence of Axes, one per metric (default: a new figure).

    Returns:
        The list of Axes.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise TypeError(
            f"plot_history: expected a History or a dict of lists, got {type(history).__name__}."
        )
    names = (
        list(metrics)
        if metrics is not None
        else [k for k in logs if not k.startswith("val_") and "/" not in k]
    )
    unknown = [name for name in names if name not in logs]
    if unknown:
        raise ValueError(f"plot_history: {unknown} not recorded; available: {', '.join(logs)}.")
    if axes is None:
        _, axes = _pyplot().subplots(1, len(names), figsize=(6 * len(names), 4), squeeze=False)
        axes = list(axes[0])
    for ax, name in zip(axes, names):
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], label=f"training {name}")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return list(axes)


def _losses_of(source: Any) -> Sequence[float]:
    history = getattr(source, "history", None)
    if isinstance(history, dict) and "loss" in history:
        return history["loss"]
    losses = getattr(source, "loss", source)
    if callable(losses) or isinstance(losses, (str, bytes)) or not hasattr(losses, "__len__"):
        raise TypeError(
            f"plot_loss: expected a Model, a History or a list of losses, got {type(source).__name__}."
        )
    return losses


def plot_decision_boundary(
    model: Any, X: Any, y: Any, ax: Any = None, resolution: int = 200, margin: float = 0.25
) -> Any:
    """Decision regions of a 2-feature classifier, with the points on top.

    Binary models (one output, or a callable returning one probability per sample) get
    probability contours and the 0.5 boundary; multiclass models (one column per class) get one
    colour per predicted class.

    Args:
        model: anything with ``predict(X)`` (or a callable doing that).
        X: ``(n_samples, 2)`` points; y: their labels.
        resolution: grid points per axis.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary: expected X of shape (n_samples, 2), got {X.shape}."
        )
    predict: Callable[[np.ndarray], Any] = getattr(model, "predict", model)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    scores = np.asarray(predict(np.column_stack([grid_x.ravel(), grid_y.ravel()])))
    labels = np.asarray(y).reshape(-1)
    ax = _axes(ax)
    if scores.ndim == 2 and scores.shape[1] > 1:
        classes = scores.shape[1]
        regions = scores.argmax(axis=1).reshape(grid_x.shape)
        ax.contourf(
            grid_x,
            grid_y,
            regions,
            levels=np.arange(classes + 1) - 0.5,
            cmap="tab10",
            alpha=0.35,
            vmin=0,
            vmax=9,
        )
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=8, edgecolors="none")
    else:
        probabilities = scores.reshape(grid_x.shape)
        filled = ax.contourf(
            grid_x, grid_y, probabilities, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6
        )
        ax.contour(grid_x, grid_y, probabilities, levels=[0.5], colors="k", linewidths=1.5)
        ax.figure.colorbar(filled, ax=ax, label="P(class 1)")
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap=_two_class_colors(), s=8, edgecolors="none")
    ax.set_title("Decision boundary")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return ax


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
    normalize: bool = False,
    ax: Any = None,
) -> Any:
    """A confusion matrix as a heat map with the counts (or row fractions) written in the cells.

    Rows are the true classes, columns the predicted ones.
    """
    truth = np.asarray(y_true).reshape(-1)
    predicted = np.asarray(y_pred).reshape(-1)
    if truth.shape != predicted.shape:
        raise ValueError(
            f"plot_confusion_matrix: {truth.size} labels but {predicted.size} predictions."
        )
    classes = (
        np.unique(np.concatenate([truth, predicted])) if labels is None else np.asarray(labels)
    )
    position = {label: i for i, label in enumerate(classes.tolist())}
    matrix = np.zeros((len(classes), len(classes)))
    np.add.at(
        matrix,
        ([position[v] for v in truth.tolist()], [position[v] for v in predicted.tolist()]),
        1,
    )
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, figsize=(6, 5))
    image = ax.imshow(matrix, cmap="Blues")
    ax.figure.colorbar(image, ax=ax)
    for (row, column), value in np.ndenumerate(matrix):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        color = "white" if value > matrix.max() / 2 else "black"
        ax.text(column, row, text, ha="center", va="center", color=color)
    ax.set_xticks(range(len(classes)), [str(c) for c in classes])
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    return ax


def plot_roc_curve(y_true: Any, y_score: Any, ax: Any = None, label: str | None = None) -> Any:
    """The ROC curve of binary labels against scores, with its AUC in the legend."""
    from .metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y_true, y_score)
    auc = roc_auc_score(y_true, y_score)
    ax = _axes(ax, figsize=(6, 6))
    ax.plot(fpr, tpr, label=f"{label + ' ' if label else ''}AUC = {auc:.4f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return ax


def plot_attention(
    weights: Any,
    x_labels: Sequence[Any] | None = None,
    y_labels: Sequence[Any] | None = None,
    ax: Any = None,
    title: str = "Attention",
    cmap: str = "viridis",
) -> Any:
    """An attention map: one row per query, one column per key, colour = weight.

    Args:
        weights: ``(L, S)`` attention weights (an array or Tensor), e.g. one head of
            ``MultiheadAttention(..., average_attn_weights=False)``'s ``weights[n, head]``.
        x_labels: ``S`` labels of the keys (columns), e.g. the input tokens.
        y_labels: ``L`` labels of the queries (rows).
        ax: draw here (default: a new figure). title, cmap: the title and the colour map.

    Returns:
        The Axes.
    """
    matrix = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(
            f"plot_attention: expected weights of shape (queries, keys), got {matrix.shape}; "
            "pick one sample and one head, e.g. weights[0, head]."
        )
    for axis, labels, what in (
        (1, x_labels, "x_labels (keys)"),
        (0, y_labels, "y_labels (queries)"),
    ):
        if labels is not None and len(labels) != matrix.shape[axis]:
            raise ValueError(
                f"plot_attention: {len(labels)} {what} for {matrix.shape[axis]} "
                f"{'columns' if axis else 'rows'} of weights {matrix.shape}."
            )
    rows, columns = matrix.shape
    ax = _axes(ax, figsize=(max(4.0, 0.35 * columns + 2), max(3.0, 0.35 * rows + 1.5)))
    image = ax.imshow(matrix, cmap=cmap, vmin=0.0, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="weight")
    if x_labels is not None:
        ax.set_xticks(range(columns), [str(label) for label in x_labels], rotation=90)
    if y_labels is not None:
        ax.set_yticks(range(rows), [str(label) for label in y_labels])
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title(title)
    return ax


def _per_layer(history: Any, prefix: str, caller: str, hint: str) -> dict[str, list[float]]:
    """``{layer: values}`` of the History keys ``<prefix>/<layer>``."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(
            f"{caller}: expected a History or a dict of lists, got {type(history).__name__}."
        )
    found = {
        key.split("/", 1)[1]: values for key, values in logs.items() if key.startswith(prefix + "/")
    }
    if not found:
        raise ValueError(f"{caller}: the history has no {prefix}/<layer> values; {hint}")
    return found


def plot_gradient_flow(history: Any, axes: Any = None) -> Any:
    """Per layer and epoch: the update/weight ratio (log scale, with the healthy band between the
    vanishing 1e-5 and exploding 1e-1 lines) and the gradient norm, from a ``GradientFlow`` History.

    Returns:
        The two Axes.
    """
    hint = "train with callbacks=[glassnet.callbacks.GradientFlow()]."
    ratios = _per_layer(history, "update_ratio", "plot_gradient_flow", hint)
    grads = _per_layer(history, "grad_norm", "plot_gradient_flow", hint)
    if axes is None:
        _, axes = _pyplot().subplots(1, 2, figsize=(13, 4.5), squeeze=False)
        axes = list(axes[0])
    ratio_ax, grad_ax = axes
    floor = 1e-12  # a layer that does not move at all still shows, at the bottom
    for name, values in ratios.items():
        epochs = np.arange(1, len(values) + 1)
        ratio_ax.plot(
            epochs, np.maximum(np.asarray(values, dtype=float), floor), marker=".", label=name
        )
    ratio_ax.axhline(1e-5, color="tab:blue", linestyle="--", linewidth=1, label="vanishing (1e-5)")
    ratio_ax.axhline(1e-1, color="tab:red", linestyle="--", linewidth=1, label="exploding (1e-1)")
    ratio_ax.set_yscale("log")
    ratio_ax.set_title("update / weight per step (0 drawn at 1e-12)")
    for name, values in grads.items():
        epochs = np.arange(1, len(values) + 1)
        grad_ax.plot(
            epochs, np.maximum(np.asarray(values, dtype=float), floor), marker=".", label=name
        )
    grad_ax.set_yscale("log")
    grad_ax.set_title("gradient norm (0 drawn at 1e-12)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return list(axes)


def plot_activation_health(history: Any, ax: Any = None) -> Any:
    """Per activation layer and epoch: the fraction of dead ReLU units and of saturated sigmoid/tanh
    outputs, from an ``ActivationHealth`` History (0 is healthy; 1 is a layer that passes nothing)."""
    logs = getattr(history, "history", history)
    hint = "train with callbacks=[glassnet.callbacks.ActivationHealth()]."
    if not isinstance(logs, dict) or not any(
        k.startswith(("dead_fraction/", "saturated/")) for k in logs
    ):
        raise ValueError(
            f"plot_activation_health: the history has no dead_fraction/ or saturated/ values; {hint}"
        )
    ax = _axes(ax, figsize=(8, 4.5))
    for key, values in logs.items():
        if key.startswith(("dead_fraction/", "saturated/")):
            kind, name = key.split("/", 1)
            label = (
                f"{name}: dead units" if kind == "dead_fraction" else f"{name}: saturated outputs"
            )
            ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction")
    ax.set_title("Activation health")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


# ------------------------------------------------------------------------------ inside a CNN
def _image_grid(
    images: np.ndarray,
    titles: Sequence[str],
    suptitle: str,
    cmap: str,
    columns: int | None,
    symmetric: bool,
) -> Any:
    """One small panel per image (``(n, h, w)`` or ``(n, h, w, 3)``) on a new figure; returns the Figure."""
    count = len(images)
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    figure, axes = _pyplot().subplots(
        rows, columns, figsize=(1.6 * columns, 1.6 * rows + 0.4), squeeze=False
    )
    for index, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= count:
            ax.axis("off")
            continue
        image = images[index]
        if image.ndim == 3:  # RGB kernels: each scaled into [0, 1] on its own
            low, high = image.min(), image.max()
            ax.imshow((image - low) / (high - low) if high > low else np.zeros_like(image))
        elif symmetric:  # weights: zero is the middle of the colour map, so the sign is visible
            bound = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap=cmap, vmin=-bound, vmax=bound)
        else:
            ax.imshow(image, cmap=cmap)
        ax.set_title(titles[index], fontsize=8)
    figure.suptitle(suptitle)
    return figure


def plot_filters(
    layer: Any,
    in_channel: int | None = None,
    max_filters: int = 64,
    cmap: str = "RdBu_r",
    columns: int | None = None,
) -> Any:
    """The kernels of a convolution layer as small images, one per output channel (filter).

    Meant for the first layer, whose kernels act on the pixels themselves: red weights add the
    pixel under them, blue ones subtract it. With 3 input channels each kernel is drawn in colour;
    otherwise input channel ``in_channel`` (default: the mean over the input channels) is drawn.
    A 1-D convolution's kernels are drawn as one-row images.

    Args:
        layer: a built convolution layer (``Conv2d``, ``Conv2D``, ``Conv1d``...), or anything whose
            ``weight`` is ``(out_channels, in_channels, kh, kw)`` as PyTorch stores it.
        max_filters: draw at most this many filters.

    Returns:
        The matplotlib Figure.
    """
    weight = getattr(layer, "weight", None)
    data = getattr(weight, "data", weight)
    if data is None or np.ndim(data) not in (3, 4):
        raise ValueError(
            f"plot_filters: expected a built convolution layer (weight of shape (out, in, kh, kw)), "
            f"got {type(layer).__name__} with weight {None if data is None else np.shape(data)}."
        )
    kernels = np.asarray(data, dtype=np.float64)
    if getattr(layer, "transposed", False):  # a transposed convolution stores (in, out, ...)
        kernels = kernels.swapaxes(0, 1)
    if kernels.ndim == 3:
        kernels = kernels[:, :, None, :]
    kernels = kernels[:max_filters]
    if in_channel is None and kernels.shape[1] == 3:
        images = kernels.transpose(0, 2, 3, 1)
    elif in_channel is None:
        images = kernels.mean(axis=1)
    else:
        images = kernels[:, in_channel]
    name = getattr(layer, "display_name", type(layer).__name__)
    size = "x".join(str(s) for s in kernels.shape[2:])
    return _image_grid(
        images,
        [f"filter {i}" for i in range(len(images))],
        f"{name}: {len(images)} filters of {size}",
        cmap,
        columns,
        symmetric=True,
    )


def plot_feature_maps(
    model: Any,
    x: Any,
    layer: Any,
    max_maps: int = 32,
    cmap: str = "viridis",
    columns: int | None = None,
) -> Any:
    """What one input looks like after ``layer`` of ``model``: one image per channel (feature map).

    The model runs up to and including ``layer`` in eval mode, without changing anything.

    Args:
        model: a glassnet Model.
        x: one sample (e.g. ``(1, 8, 8)``, or ``(8, 8, 1)`` for a channels-last model) or a batch
            of one.
        layer: the layer's index in ``model.layers``, its name, or the layer itself.
        max_maps: draw at most this many channels.

    Returns:
        The matplotlib Figure.
    """
    layers = list(model.layers)
    index = _layer_index(layers, layer)
    sample = np.asarray(x, dtype=getattr(model, "dtype", np.float32))
    sample_shape = getattr(model, "input_shape", None)  # of one sample, when the model knows it
    if (sample.shape == tuple(sample_shape)) if sample_shape is not None else sample.ndim in (2, 3):
        sample = sample[None]
    if sample.shape[0] != 1:
        raise ValueError(
            f"plot_feature_maps: expected one sample, got an array of shape {np.shape(x)}."
        )
    # Model._dry_run: eval mode, no graph, no state changes (running statistics stay as they are).
    out = np.asarray(model._dry_run(sample, layers=layers[: index + 1]).data)[0]
    if out.ndim != 3:
        raise ValueError(
            f"plot_feature_maps: {layers[index].display_name} gives {out.shape} per sample; "
            "feature maps need (channels, height, width) - pick a convolution or pooling layer."
        )
    if _channels_last(layers[: index + 1]):
        out = out.transpose(2, 0, 1)
    maps = out[:max_maps]
    name = layers[index].display_name
    return _image_grid(
        maps,
        [f"channel {i}" for i in range(len(maps))],
        f"{name}: {len(maps)} feature maps of {out.shape[1]}x{out.shape[2]}",
        cmap,
        columns,
        symmetric=False,
    )


def _layer_index(layers: list[Any], layer: Any) -> int:
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(
                f"plot_feature_maps: layer index {layer} is out of range for {len(layers)} layers."
            )
        return int(layer) % len(layers)
    for i, candidate in enumerate(layers):
        if candidate is layer or (isinstance(layer, str) and candidate.name == layer):
            return i
    names = ", ".join(str(candidate.name) for candidate in layers)
    raise ValueError(f"plot_feature_maps: no layer {layer!r} in the model; its layers are {names}.")


def _channels_last(layers: list[Any]) -> bool:
    """Whether the last layer that says so (Keras's ``data_format``) works on channels-last images."""
    for candidate in reversed(layers):
        data_format = getattr(candidate, "data_format", None)
        if data_format is not None:
            return data_format == "channels_last"
        if hasattr(candidate, "channels_first"):
            return not candidate.channels_first
    return False
