"""Checks on the data a Model is given, made before any weight changes.

Each check raises an error that says what was expected, what came, and the likely fix.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..errors import DTypeError, InputError, NonFiniteLossError, ShapeError

__all__ = ["as_features", "as_targets", "check_binary_labels", "check_finite_loss"]


def _as_numeric_array(data: Any, what: str) -> np.ndarray:
    if isinstance(data, Tensor):
        return data.data
    if data is None:
        raise DTypeError(f"{what}: expected an array of numbers, got None.")
    if hasattr(data, "toarray") and hasattr(
        data, "nnz"
    ):  # SciPy sparse: np.asarray would wrap it in an object
        raise DTypeError(
            f"{what}: got a SciPy sparse matrix of shape {data.shape}; glassnet computes on dense "
            f"arrays. Pass {what}.toarray() ({data.shape[0]} x {data.shape[1]} numbers in memory)."
        )
    if isinstance(data, (dict, set, str, bytes)):
        raise DTypeError(f"{what}: expected an array of numbers, got a {type(data).__name__}.")
    if hasattr(data, "to_numpy"):  # pandas DataFrame / Series
        data = data.to_numpy()
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as exc:
        raise DTypeError(f"{what}: could not make an array of numbers ({exc}).") from exc
    if array.dtype.kind == "O":
        kinds = {
            type(v).__name__ for v in array.ravel() if v is None or isinstance(v, (str, bytes))
        }
        if kinds:
            raise DTypeError(
                f"{what}: expected numbers, got an array of Python objects containing "
                f"{' and '.join(sorted(kinds))} values. Convert or drop them first."
            )
        try:
            array = array.astype(np.float64)
        except (ValueError, TypeError):
            raise DTypeError(
                f"{what}: expected numbers, got an array of Python objects (dtype object) that do "
                "not all convert to float. Look for strings or None in the data."
            ) from None
    if array.dtype.kind not in "biuf":
        hint = " Take its .real part or np.abs() first." if array.dtype.kind == "c" else ""
        raise DTypeError(f"{what}: expected numbers, got an array of dtype {array.dtype}.{hint}")
    return array


def as_features(
    x: Any, in_features: int | None, first_layer: str, dtype: np.dtype, what: str = "X"
) -> np.ndarray:
    """``x`` as a samples-first array ``(n_samples, ...)`` of ``dtype``, or a clear error.

    Dense data is ``(n_samples, n_features)``; images and sequences keep their axes after the
    samples axis (``(n, H, W, C)``, ``(n, T, features)``), and the first layer checks them.
    ``in_features``, when the first layer declares it, is the size of the last axis.
    """
    array = _as_numeric_array(x, what)
    if array.ndim < 2:
        hint = " Use X.reshape(-1, 1) for a single feature." if array.ndim == 1 else ""
        raise ShapeError(
            f"{what}: expected a samples-first array (n_samples, n_features) or "
            f"(n_samples, ...), got shape {array.shape}.{hint}"
        )
    if array.shape[0] == 0:
        raise InputError(
            f"{what}: expected at least one sample, got an empty array of shape {array.shape}."
        )
    if in_features is not None and array.shape[-1] != in_features:
        if array.ndim == 2 and array.shape[0] == in_features:
            raise ShapeError(
                f"{what} has shape {array.shape}, which looks features-first: glassnet takes "
                f"samples-first data (n_samples, n_features) = (n, {in_features}), as Keras and "
                "PyTorch do. Pass X instead of X.T (drop the .T)."
            )
        expected = (
            f"(n_samples, {in_features})" if array.ndim == 2 else f"(n_samples, ..., {in_features})"
        )
        raise ShapeError(
            f"{first_layer}: expected input of shape {expected}, got {what} of shape "
            f"{array.shape}: the data has {array.shape[-1]} features, the layer takes {in_features}."
        )
    array = _cast(array, dtype)
    _require_finite(array, what)
    return array


def _cast(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``array`` in ``dtype``; values beyond its range become inf, which the finiteness check names."""
    with np.errstate(over="ignore"):
        return array.astype(dtype, copy=False)


def _require_finite(array: np.ndarray, what: str) -> None:
    """An InputError that counts the NaN and infinite values of a float array, if it has any."""
    # One pass: NaN and inf propagate into the row sums, so finite row sums mean finite values (an
    # overflowing sum of finite values only sends us to the exact, slower check). The sums are a
    # product with a ones vector: BLAS reads the data about 3x faster than np.sum, which matters
    # when fit is called on hundreds of MB of features.
    with np.errstate(over="ignore", invalid="ignore"):
        rows = (
            array.reshape(len(array), -1) if array.ndim > 2 and array.flags.c_contiguous else array
        )
        row_sums = rows @ np.ones(rows.shape[-1], dtype=array.dtype) if rows.ndim == 2 else rows
    if not np.isfinite(row_sums).all() and not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise InputError(
            f"{what}: contains {bad} NaN or infinite values (or values beyond the range of "
            f"{array.dtype}); clean, impute or rescale them first."
        )


def as_targets(y: Any, n_samples: int, dtype: np.dtype, what: str = "Y") -> np.ndarray:
    """``y`` as an array with one row per sample (``(n,)`` or ``(n, k)``), or a clear error."""
    array = _as_numeric_array(y, what)
    if array.ndim == 2 and array.shape[0] == 1 and array.shape[1] == n_samples and n_samples != 1:
        raise ShapeError(
            f"{what} has shape {array.shape}, one row of labels: glassnet takes one label per row, "
            f"(n_samples,) or (n_samples, 1). Pass Y.ravel() or drop the .T."
        )
    if array.ndim == 0 or array.shape[0] != n_samples:
        got = "a scalar" if array.ndim == 0 else f"{array.shape[0]} (shape {array.shape})"
        raise ShapeError(
            f"X and {what} lengths differ: X has {n_samples} samples, {what} has {got}."
        )
    if array.dtype.kind in "bf":
        array = _cast(array, dtype)
        _require_finite(array, what)
    return array


def check_binary_labels(y: np.ndarray, loss_name: str) -> None:
    """An InputError naming the loss and the range found unless every label lies in [0, 1]."""
    low, high = float(np.min(y)), float(np.max(y))
    if low < 0 or high > 1:
        raise InputError(
            f"{loss_name}: labels must lie in [0, 1], got values from {low:g} to {high:g}. "
            "For several classes use 'sparse_categorical_crossentropy' with a Softmax output."
        )


def check_finite_loss(value: float, epoch: int, batch: int | None = None) -> None:
    """Stop training on a NaN/Inf loss with a message that names where it happened."""
    if math.isfinite(value):  # (a Python float each epoch: math, not a NumPy ufunc call)
        return
    where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
    raise NonFiniteLossError(
        f"The loss became {value} at {where}. Training stopped so the weights are not corrupted "
        "further. Try a smaller learning rate, scaled inputs, or check the data for extreme values."
    )
