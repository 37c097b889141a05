"""The validation slice of fit: seeded, and stratified for classification."""

from __future__ import annotations

import numpy as np

__all__ = ["validation_indices"]


def validation_indices(
    y: np.ndarray, fraction: float, stratify: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) row indices holding out ``fraction`` of the samples at random.

    With ``stratify``, each class keeps its share in both parts (labels are the class index, or
    the argmax of one-hot rows). Unlike Keras, the slice is not the last rows: data sorted by class
    would otherwise validate on one class only.
    """
    n = len(y)
    if not stratify:
        order = rng.permutation(n)
        cut = int(round(n * fraction))
        return np.sort(order[cut:]), np.sort(order[:cut])
    labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(n)
    held_out = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        held_out.append(members[: int(round(len(members) * fraction))])
    validation = np.sort(np.concatenate(held_out))
    train = np.setdiff1d(np.arange(n), validation, assume_unique=True)
    return train, validation
