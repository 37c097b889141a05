"""Moving arrays between glassnet and PyTorch, and comparisons that say what differed."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_torch(array: np.ndarray, requires_grad: bool = False) -> Any:
    import torch

    tensor = torch.from_numpy(np.array(array, copy=True))
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def from_torch(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def tolerances(dtype: np.dtype) -> tuple[float, float]:
    """(atol, rtol) for comparing two frameworks' float results of ``dtype``."""
    return (1e-5, 1e-4) if np.dtype(dtype) == np.float32 else (1e-10, 1e-8)


def assert_close(
    what: str,
    ours: np.ndarray,
    theirs: np.ndarray,
    atol: float,
    rtol: float,
    check_dtype: bool = True,
) -> None:
    """Shapes, then dtypes, then values; the message names ``what`` and the largest error."""
    ours = np.asarray(ours)
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, expected {theirs.shape}"
    if check_dtype:
        assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, expected {theirs.dtype}"
    if ours.size == 0:
        return
    ours64 = ours.astype(np.float64)
    theirs64 = theirs.astype(np.float64)
    close = np.isclose(ours64, theirs64, atol=atol, rtol=rtol, equal_nan=True)
    if not close.all():
        error = np.abs(ours64 - theirs64)
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        raise AssertionError(
            f"{what}: {int((~close).sum())} of {close.size} values differ (shape {ours.shape}); "
            f"first at {index}: ours {ours64[index]!r}, expected {theirs64[index]!r}; "
            f"max abs error {np.nanmax(error):.3g} (atol={atol}, rtol={rtol})"
        )
