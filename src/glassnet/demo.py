"""The founding example: the seed blog's 2-5-2-1 network on circles (or moons), end to end."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import accuracy_score, roc_auc_score
from .nn import Linear, ReLU, Sigmoid
from .training import Model

__all__ = ["build_founding_model", "run_demo", "DemoResult"]


def build_founding_model() -> Model:
    """Linear(2, 5) ReLU Linear(5, 2) ReLU Linear(2, 1) Sigmoid, as in the blog."""
    model = Model()
    model.add(Linear(2, 5))
    model.add(ReLU(5))
    model.add(Linear(5, 2))
    model.add(ReLU(2))
    model.add(Linear(2, 1))
    model.add(Sigmoid(1))
    return model


@dataclass
class DemoResult:
    """What :func:`run_demo` returns: the trained founding network, its final loss, its accuracy,
    its ROC AUC from probabilities and from 0/1 predictions, and the paths of the plots it wrote."""

    model: Model
    final_loss: float
    accuracy: float
    auc_probabilities: float
    auc_thresholded: float
    plots: list[str]

    def table(self) -> str:
        """The results as aligned ``name value`` lines, as the CLI prints them."""
        rows = [
            ("final loss", f"{self.final_loss:.4f}"),
            ("accuracy", f"{self.accuracy:.4f}"),
            ("ROC AUC (probabilities)", f"{self.auc_probabilities:.4f}"),
            ("ROC AUC (thresholded at 0.5, as the blog)", f"{self.auc_thresholded:.4f}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def run_demo(
    out_dir: str | None,
    shape_type: str = "circles",
    samples: int = 5000,
    noise: float = 0.04,
    epochs: int = 9000,
    learning_rate: float = 0.05,
    seed: int = 0,
    verbose: bool = False,
) -> DemoResult:
    """Generate the data, train the founding network, score it and (if ``out_dir``) plot it."""
    from .datasets import generate_data

    data = generate_data(samples=samples, shape_type=shape_type, noise=noise, seed=seed)
    X = data[["x", "y"]].values
    Y = data["label"].values
    model = build_founding_model()
    model.train(X, Y, learning_rate=learning_rate, epochs=epochs, verbose=verbose, seed=seed)
    probabilities = model.predict(X).reshape(-1)
    predictions = (probabilities >= 0.5).astype(int)
    plots = _write_plots(out_dir, data, model, X, Y, probabilities) if out_dir else []
    return DemoResult(
        model=model,
        final_loss=model.loss[-1] if model.loss else float("nan"),
        accuracy=accuracy_score(Y, predictions),
        auc_probabilities=roc_auc_score(Y, probabilities),
        auc_thresholded=roc_auc_score(Y, predictions),
        plots=plots,
    )


def _write_plots(
    out_dir: str, data: Any, model: Model, X: np.ndarray, Y: np.ndarray, probabilities: np.ndarray
) -> list[str]:
    # A bare Figure draws without pyplot, so the caller's backend (a notebook's, say) is untouched.
    from matplotlib.figure import Figure

    from .datasets import plot_generated_data
    from .plotting import plot_decision_boundary, plot_loss, plot_roc_curve

    os.makedirs(out_dir, exist_ok=True)
    drawings = {
        "data.png": lambda ax: plot_generated_data(data, ax=ax),
        "loss.png": lambda ax: plot_loss(model, ax=ax),
        "decision_boundary.png": lambda ax: plot_decision_boundary(model, X, Y, ax=ax),
        "roc.png": lambda ax: plot_roc_curve(Y, probabilities, ax=ax),
    }
    paths = []
    for filename, draw in drawings.items():
        fig = Figure(figsize=(8, 6))
        draw(fig.add_subplot())
        path = os.path.join(out_dir, filename)
        fig.savefig(path, dpi=100, bbox_inches="tight")
        paths.append(path)
    return paths
