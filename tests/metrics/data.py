"""Data as a model produces it, shared by the metric tests, and the tolerance of exact matches."""

from __future__ import annotations

import numpy as np

EXACT = {"rel": 1e-10, "abs": 1e-12}


def _labels(rng: np.random.Generator, n: int, positive_rate: float) -> np.ndarray:
    labels = (rng.random(n) < positive_rate).astype(int)
    labels[:2] = [0, 1]  # both classes present, so the AUC is defined
    return rng.permutation(labels)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _binary_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels (n,) with both classes, sigmoid probabilities (n, 1) as a model outputs them."""
    labels = _labels(rng, n, positive_rate=rng.uniform(0.2, 0.8))
    logits = rng.normal(size=n) + labels
    return labels, (1.0 / (1.0 + np.exp(-logits))).reshape(-1, 1)


def _multiclass_data(
    rng: np.random.Generator, n: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels (n,) with every class present, softmax probabilities (n, C)."""
    labels = rng.permutation(np.r_[np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)])
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[labels]
    return labels, _softmax(logits)


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[labels]
