"""Resampling ops, channels-first as PyTorch: nearest and (bi)linear ``interpolate``/``upsample``.

Both are separable: resizing ``(N, C, H, W)`` resizes the H axis, then the W axis. Along one
axis, output position o reads input index i[o] (nearest) or the two neighbours i0[o], i1[o] with
weights w0[o] + w1[o] = 1 (linear), computed exactly as PyTorch computes them. The index maps
never decrease along the axis, so backward sums the gradient of each run of equal indices with
one ``np.add.reduceat`` (no ``np.add.at``, no loop over pixels).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError

__all__ = ["interpolate", "resize_output_size", "upsample"]

MODES = {"nearest": (1, 2), "linear": (1,), "bilinear": (2,)}  # mode -> spatial dims it accepts


def _take(x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    return np.take(x, index, axis=axis)


def _sum_into(values: np.ndarray, index: np.ndarray, size: int, axis: int) -> np.ndarray:
    """out[..., j, ...] = sum of values[..., o, ...] over o with index[o] == j (``index`` non-decreasing)."""
    starts = np.flatnonzero(np.diff(index, prepend=-1))  # the first o of each run of equal indices
    sums = np.add.reduceat(values, starts, axis=axis)
    targets = index[starts]
    if len(targets) == size:  # every input position is read (sorted and unique: targets == arange)
        return sums
    shape = list(values.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=values.dtype)
    out[(slice(None),) * axis + (targets,)] = sums
    return out


def _nearest_index(size: int, out: int, scale: float | None) -> np.ndarray:
    """torch's nearest source index: min(floor(o * s), size - 1), s = 1/scale_factor or size/out, in float32."""
    if out == size:
        return np.arange(out)
    if out == 2 * size:
        return np.arange(out) // 2
    step = (
        np.float32(1.0 / scale)
        if scale is not None and scale > 0
        else np.float32(size) / np.float32(out)
    )
    return np.minimum(np.floor(np.arange(out, dtype=np.float32) * step).astype(np.int64), size - 1)


def _linear_index(
    size: int, out: int, scale: float | None, align_corners: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """torch's linear source positions: (i0, i1, w0, w1) with source = w0 * x[i0] + w1 * x[i1].

    align_corners: src = o * (size - 1) / (out - 1); else src = max((o + 0.5) * s - 0.5, 0) with
    s = 1/scale_factor or size/out. i0 = floor(src), i1 = min(i0 + 1, size - 1), w1 = src - i0.
    """
    o = np.arange(out, dtype=np.float64)
    if align_corners:
        src = o * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        step = 1.0 / scale if scale is not None and scale > 0 else size / out
        src = np.maximum(step * (o + 0.5) - 0.5, 0.0)
    i0 = src.astype(np.int64)  # src >= 0, so truncation is floor
    i1 = np.minimum(i0 + 1, size - 1)
    w1 = src - i0
    return i0, i1, 1.0 - w1, w1


class UpsampleNearest(Function):
    """Nearest-neighbour resize of the last 1 or 2 axes (torch's ``mode="nearest"``).

    forward:  y[n, c, o, p] = x[n, c, ih[o], iw[p]]
    backward: dx[n, c, h, w] = sum of dy[n, c, o, p] over ih[o] = h and iw[p] = w
    shapes:   x (N, C, *spatial) -> y (N, C, *out)
    """

    name = "upsample_nearest"

    def __init__(self, sizes: tuple[int, ...], scales: tuple[float | None, ...]) -> None:
        self.sizes = sizes
        self.scales = scales

    def forward(self, x: np.ndarray) -> np.ndarray:
        indices = [_nearest_index(n, o, s) for n, o, s in zip(x.shape[2:], self.sizes, self.scales)]
        self.save(x.shape, indices)
        for axis, index in enumerate(indices, start=2):
            x = _take(x, index, axis)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        shape, indices = self.saved
        for axis, index in reversed(list(enumerate(indices, start=2))):
            dy = _sum_into(dy, index, shape[axis], axis)
        return dy


class UpsampleLinear(Function):
    """Linear (1 axis) or bilinear (2 axes) resize (torch's ``mode="linear"``/``"bilinear"``).

    forward, per axis: y[..., o, ...] = w0[o] * x[..., i0[o], ...] + w1[o] * x[..., i1[o], ...]
    backward, per axis in reverse: dx[..., i, ...] = sum over o with i0[o] = i of w0[o] * dy[..., o, ...]
                                                   + sum over o with i1[o] = i of w1[o] * dy[..., o, ...]
    shapes:   x (N, C, *spatial) -> y (N, C, *out)
    """

    name = "upsample_linear"

    def __init__(
        self, sizes: tuple[int, ...], scales: tuple[float | None, ...], align_corners: bool
    ) -> None:
        self.sizes = sizes
        self.scales = scales
        self.align_corners = align_corners

    @staticmethod
    def _along(axis: int, ndim: int, weights: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return weights.astype(dtype).reshape((-1,) + (1,) * (ndim - axis - 1))

    def forward(self, x: np.ndarray) -> np.ndarray:
        taps = [
            _linear_index(n, o, s, self.align_corners)
            for n, o, s in zip(x.shape[2:], self.sizes, self.scales)
        ]
        self.save(x.shape, taps)
        for axis, (i0, i1, w0, w1) in enumerate(taps, start=2):
            a = _take(x, i0, axis) * self._along(axis, x.ndim, w0, x.dtype)
            a += _take(x, i1, axis) * self._along(axis, x.ndim, w1, x.dtype)
            x = a
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        shape, taps = self.saved
        for axis, (i0, i1, w0, w1) in reversed(list(enumerate(taps, start=2))):
            near = _sum_into(dy * self._along(axis, dy.ndim, w0, dy.dtype), i0, shape[axis], axis)
            dy = near + _sum_into(
                dy * self._along(axis, dy.ndim, w1, dy.dtype), i1, shape[axis], axis
            )
        return dy


def resize_output_size(
    name: str,
    shape: tuple[int, ...],
    size: int | Sequence[int] | None,
    scale_factor: float | Sequence[float] | None,
    mode: str,
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """(output sizes, scale factors or None) of a resize, checked as torch checks; errors name ``name``."""
    if mode not in MODES:
        raise InputError(f"{name}: mode must be one of {sorted(MODES)}, got {mode!r}.")
    dims = len(shape) - 2
    if dims not in MODES[mode]:
        want = " or ".join(f"{d + 2}-D" for d in MODES[mode])
        raise ShapeError(
            f"{name}: mode {mode!r} expects a {want} input (N, C, ...); got {tuple(shape)}: "
            f"add the batch axis (x[None]) or the channel axis (x[:, None])."
        )
    if (size is None) == (scale_factor is None):
        raise InputError(
            f"{name}: give exactly one of size and scale_factor, got size={size!r}, "
            f"scale_factor={scale_factor!r}."
        )
    spatial = shape[2:]
    if size is not None:
        sizes = (
            (operator.index(size),) * dims
            if isinstance(size, (int, np.integer))
            else tuple(operator.index(s) for s in size)
        )
        if len(sizes) != dims:
            raise InputError(
                f"{name}: size must be an int or {dims} ints for input {tuple(shape)}, got {size!r}."
            )
        scales: tuple[float | None, ...] = (None,) * dims
    else:
        scales = (
            (float(scale_factor),) * dims
            if isinstance(scale_factor, (int, float, np.number))
            else tuple(float(s) for s in scale_factor)
        )  # type: ignore[union-attr]
        if len(scales) != dims or min(scales) <= 0:
            raise InputError(
                f"{name}: scale_factor must be one positive number or {dims}, got {scale_factor!r}."
            )
        sizes = tuple(math.floor(n * s) for n, s in zip(spatial, scales))
    if min(sizes) <= 0 or min(spatial) <= 0:
        raise ShapeError(
            f"{name}: input {tuple(shape)} would be resized to {sizes}: every size must be positive."
        )
    return sizes, scales


def interpolate(
    x: TensorLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Resize the spatial axes of ``(N, C, L)`` or ``(N, C, H, W)``, as ``torch.nn.functional.interpolate``.

    ``mode`` is ``"nearest"`` (3-D or 4-D), ``"linear"`` (3-D) or ``"bilinear"`` (4-D); give
    ``size`` or ``scale_factor``. ``align_corners`` (linear modes only, default False) maps the
    corner pixels onto each other. See :class:`UpsampleNearest` and :class:`UpsampleLinear`.

    >>> import glassnet as gn, numpy as np
    >>> interpolate(gn.Tensor(np.array([[[1.0, 2.0]]])), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    """
    shape = (x.data if isinstance(x, Tensor) else np.asarray(x)).shape
    sizes, scales = resize_output_size("interpolate", shape, size, scale_factor, mode)
    if mode == "nearest":
        if align_corners is not None:
            raise InputError(
                "interpolate: align_corners only applies to the linear modes; leave it None "
                "for mode='nearest'."
            )
        return UpsampleNearest.apply(x, sizes=sizes, scales=scales)
    return UpsampleLinear.apply(x, sizes=sizes, scales=scales, align_corners=bool(align_corners))


def upsample(
    x: TensorLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """The same as :func:`interpolate` (torch's older name for it)."""
    return interpolate(x, size, scale_factor, mode, align_corners)
