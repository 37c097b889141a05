"""The seed blog's toy data: circles and moons from scikit-learn, as a pandas DataFrame.

Needs the ``data`` extra: ``pip install "glassnet[data]"``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["generate_data", "plot_generated_data"]


def generate_data(
    samples: int, shape_type: str = "circles", noise: float = 0.05, seed: int | None = None
) -> Any:
    """Two-class 2-D points as a DataFrame with columns ``x``, ``y`` and ``label`` (0 or 1).

    Args:
        samples: number of points.
        shape_type: ``"circles"`` (one ring inside another) or ``"moons"`` (two half moons).
        noise: standard deviation of the Gaussian noise added to the points.
        seed: makes the data repeat.

    >>> data = generate_data(100, "moons", noise=0.1, seed=0)
    >>> list(data.columns), len(data)
    (['x', 'y', 'label'], 100)
    """
    try:
        import pandas as pd
        from sklearn.datasets import make_circles, make_moons
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'generate_data needs pandas and scikit-learn: pip install "glassnet[data]"'
        ) from exc
    if shape_type == "moons":
        points, labels = make_moons(n_samples=samples, noise=noise, random_state=seed)
    elif shape_type == "circles":
        points, labels = make_circles(n_samples=samples, noise=noise, random_state=seed)
    else:
        raise ValueError(
            f"generate_data: shape_type must be 'moons' or 'circles', got {shape_type!r}."
        )
    return pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "label": labels})


def plot_generated_data(data: Any, ax: Any = None) -> Any:
    """Scatter the points coloured by label (sky blue for 0, salmon for 1); returns the Axes."""
    from .plotting import _axes, _two_class_colors

    ax = _axes(ax)
    colors = _two_class_colors()
    ax.scatter(data["x"], data["y"], c=data["label"], cmap=colors, s=8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True)
    ax.set_title("Generated data")
    return ax
