"""Pooling ops, channels-first as PyTorch: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d.

A pooling window slides over the last one or two axes of ``(N, C, L)`` or ``(N, C, H, W)``.
Instead of gathering every window, the ops loop over the k (or kh * kw) positions *inside* a
window: position (i, j) of all windows at once is the strided slice
``x[..., i : i + sh*(oh-1) + 1 : sh, j : j + sw*(ow-1) + 1 : sw]``, a view of shape
``(N, C, oh, ow)``. Forward combines the k*k views (max or sum); backward adds the gradient back
into the same k*k views of a zero array. A strided slice never holds one element twice, so
``+=`` on it is exact even where windows overlap, and no ``np.add.at`` is needed.

When windows tile the input (stride == kernel, no padding, sizes divisible by the kernel, e.g.
the common 2x2/2 pool) the views come from one reshape, ``(N, C, H/kh, kh, W/kw, kw)``, and
backward writes each input element exactly once into an uninitialized array.

Output size per axis, as torch (``ceil_mode`` rounds up, but a window must start inside the
input or its left padding):  ``out = floor_or_ceil((size + 2p - k) / s) + 1``.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import DTypeError, InputError, ShapeError

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_output_size",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
    "pool_geometry",
]

IntOrPair = int | Sequence[int]


class PoolGeometry(NamedTuple):
    """Per spatial axis: kernel, stride, padding and output size; ``tiles`` when windows tile the input."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    out: tuple[int, ...]
    tiles: bool


def _tuple(name: str, what: str, value: IntOrPair, dims: int) -> tuple[int, ...]:
    try:
        if isinstance(value, (int, np.integer)):
            return (operator.index(value),) * dims
        values = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int or {dims} ints, got {value!r}.") from None
    if len(values) == 1:
        return values * dims
    if len(values) != dims:
        raise InputError(f"{name}: {what} must be an int or {dims} ints, got {value!r}.")
    return values


def _axis_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    out = (size + 2 * p - k + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start in the right padding: torch drops it
    return out


def pool_geometry(
    name: str,
    shape: tuple[int, ...],
    dims: int,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
) -> PoolGeometry:
    """Check a pooling call and return its geometry; errors name ``name`` (an op or a layer).

    Raises ShapeError for an input that is not ``(N, C, *spatial)`` or whose windows do not fit,
    InputError for a kernel or stride <= 0 or a padding above half the kernel (torch's rules).
    """
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if len(shape) != dims + 2:
        fix = {
            dims: "add the batch and channel axes, e.g. x[None, None] for one sample or x[:, None] for "
            "a batch of one-channel samples",
            dims
            + 1: "add the batch axis (x[None]) or, for a batch of one-channel samples, the channel "
            "axis (x[:, None])",
        }.get(len(shape), f"give a {dims + 2}-D array")
        raise ShapeError(f"{name}: expects input of shape {layout}; got {tuple(shape)}: {fix}.")
    kernel = _tuple(name, "kernel_size", kernel_size, dims)
    default_stride = stride is None or (
        isinstance(stride, Sequence) and len(stride) == 0
    )  # torch: None or []
    strides = kernel if default_stride else _tuple(name, "stride", stride, dims)
    pads = _tuple(name, "padding", padding, dims)
    if min(kernel) <= 0 or min(strides) <= 0:
        raise InputError(
            f"{name}: kernel_size and stride must be positive, got kernel_size={kernel}, "
            f"stride={strides}."
        )
    if any(p < 0 or p > k // 2 for p, k in zip(pads, kernel)):
        raise InputError(
            f"{name}: padding must lie between 0 and half the kernel size (as in PyTorch), got "
            f"padding={pads} for kernel_size={kernel}; use a smaller padding or a larger kernel."
        )
    spatial = tuple(shape[2:])
    padded = tuple(size + 2 * p for size, p in zip(spatial, pads))
    if any(k > size for k, size in zip(kernel, padded)):
        raise ShapeError(
            f"{name}: kernel_size {kernel} is larger than the padded input {padded} (input "
            f"{tuple(shape)}, padding {pads}); use a smaller kernel or pool a larger input."
        )
    out = tuple(
        _axis_out(size, k, s, p, ceil_mode) for size, k, s, p in zip(spatial, kernel, strides, pads)
    )
    tiles = (
        strides == kernel
        and not any(pads)
        and all(o * k == size for o, k, size in zip(out, kernel, spatial))
    )
    return PoolGeometry(kernel, strides, pads, out, tiles)


def _right_padding(g: PoolGeometry, spatial: tuple[int, ...]) -> tuple[int, ...]:
    """How far the last window reaches past the input (>= 0): the padding the windows need on the right."""
    return tuple(
        max(0, (o - 1) * s + k - size - p)
        for o, s, k, size, p in zip(g.out, g.stride, g.kernel, spatial, g.padding)
    )


def _pad(x: np.ndarray, g: PoolGeometry, value: float) -> np.ndarray:
    right = _right_padding(g, x.shape[2:])
    if not any(g.padding) and not any(right):
        return x
    shape = x.shape[:2] + tuple(p + size + r for p, size, r in zip(g.padding, x.shape[2:], right))
    padded = np.full(shape, value, dtype=x.dtype)
    padded[_inside(g, x.shape)] = x
    return padded


def _inside(g: PoolGeometry, shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The input's place inside its padded copy."""
    return (slice(None), slice(None)) + tuple(
        slice(p, p + size) for p, size in zip(g.padding, shape[2:])
    )


def _windows(x: np.ndarray, g: PoolGeometry, view: bool = False) -> list[np.ndarray]:
    """One view per position inside the window, each of shape (N, C, *out): position t of every window.

    ``x`` is the padded input; when the windows tile it, the views come from one reshape (which
    may copy an ``x`` with gaps between its rows unless ``view``: then it raises instead; arrays
    without gaps, in any axis order, split their axes without a copy).
    """
    offsets = itertools.product(*(range(k) for k in g.kernel))
    if g.tiles:
        shape = x.shape[:2] + tuple(v for o, k in zip(g.out, g.kernel) for v in (o, k))
        split = np.reshape(x, shape, copy=False if view else None)
        return [
            split[(slice(None), slice(None)) + tuple(v for t in offset for v in (slice(None), t))]
            for offset in offsets
        ]
    return [
        x[
            (slice(None), slice(None))
            + tuple(slice(t, t + s * (o - 1) + 1, s) for t, s, o in zip(offset, g.stride, g.out))
        ]
        for offset in offsets
    ]


class MaxPool(Function):
    """Maximum over each window (1-D or 2-D, by the geometry); padding never wins.

    forward:  y[n, c, o] = max over t in the window of xp[n, c, o*s + t]   (xp: x padded with -inf)
    backward: dx[n, c, o*s + t*] += dy[n, c, o], t* the first position (row-major) holding the
              maximum: only the argmax gets the gradient, ties go to the first, as PyTorch.
              (A window whose maximum is NaN passes NaN forward, as PyTorch, but no gradient back.)
    shapes:   x (N, C, *spatial) -> y (N, C, *out)

    Arrays are made in x's memory order ("K"): a convolution's output has its channels outermost
    in memory (see ops/conv.py), and keeping that order spares a transposing copy here and in the
    convolution's backward.
    """

    def __init__(self, geometry: PoolGeometry) -> None:
        self.geometry = geometry

    @property
    def name(self) -> str:
        return f"max_pool{len(self.geometry.kernel)}d"

    def forward(self, x: np.ndarray) -> np.ndarray:
        xp = _pad(x, self.geometry, -np.inf)
        windows = _windows(xp, self.geometry)
        y = windows[0].copy(order="K")
        for window in windows[1:]:
            np.maximum(y, window, out=y)  # np.maximum propagates NaN, as torch's max_pool
        self.save(xp, y, x.shape)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        xp, y, shape = self.saved
        g = self.geometry
        # Windows that tile the input cover each element once: assign into an empty array.
        make = np.empty_like if g.tiles else np.zeros_like
        dxp = make(xp, dtype=dy.dtype)
        free = np.ones_like(y, dtype=bool)  # windows whose maximum has not been found yet
        hit = np.empty_like(y, dtype=bool)
        routed = np.empty_like(y, dtype=dy.dtype)
        for window, grad in zip(_windows(xp, g), _windows(dxp, g, view=True)):
            np.equal(window, y, out=hit)
            hit &= free  # a later position holding the same maximum is a tie: the first one won
            free ^= hit
            # dy * hit: dy at the argmax, 0 elsewhere (buffers reused: this is the CNN's hot path).
            if g.tiles:
                np.multiply(dy, hit, out=grad)
            else:
                grad += np.multiply(dy, hit, out=routed)
        return dxp if dxp.shape == shape else dxp[_inside(g, shape)]


class AvgPool(Function):
    """Mean over each window (1-D or 2-D, by the geometry), divided as PyTorch divides.

    forward:  y[n, c, o] = sum over t of xp[n, c, o*s + t] / d[o]    (xp: x padded with 0)
              d[o] = prod over axes of the window's length: clipped to the padded input
              (count_include_pad) or to the input itself; or ``divisor_override``
    backward: dx[n, c, o*s + t] += dy[n, c, o] / d[o]   for every position t of the window
    shapes:   x (N, C, *spatial) -> y (N, C, *out)
    """

    def __init__(
        self,
        geometry: PoolGeometry,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        self.geometry = geometry
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    @property
    def name(self) -> str:
        return f"avg_pool{len(self.geometry.kernel)}d"

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind != "f":  # a mean of integers is not an integer (torch refuses them too)
            raise DTypeError(
                f"avg_pool: expected a float input, got dtype {x.dtype}; cast it first, "
                "e.g. x.astype(np.float32)."
            )
        g = self.geometry
        if self.divisor_override is not None:
            divisor: np.ndarray | float = float(self.divisor_override)
        else:
            divisor = _avg_divisor(g, x.shape[2:], self.count_include_pad, x.dtype)
        xp = _pad(x, g, 0.0)
        windows = _windows(xp, g)
        total = windows[0].copy()
        for window in windows[1:]:
            total += window
        self.save(x.shape, xp.shape, divisor)
        return np.divide(total, divisor, out=total)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        shape, padded_shape, divisor = self.saved
        g = self.geometry
        share = dy / divisor
        if g.tiles:
            split = share.reshape(share.shape[:2] + tuple(v for o in g.out for v in (o, 1)))
            return np.broadcast_to(
                split, split.shape[:2] + tuple(v for o, k in zip(g.out, g.kernel) for v in (o, k))
            ).reshape(shape)
        dxp = np.zeros(padded_shape, dtype=dy.dtype)
        for grad in _windows(dxp, g):
            grad += share
        return dxp if dxp.shape == shape else dxp[_inside(g, shape)]


def _avg_divisor(
    g: PoolGeometry, spatial: tuple[int, ...], count_include_pad: bool, dtype: np.dtype
) -> np.ndarray | float:
    """torch's divisor of each output: the window clipped to the padded input, or to the input itself."""
    if g.tiles:
        return float(math.prod(g.kernel))
    counts = []
    for size, k, s, p, o in zip(spatial, g.kernel, g.stride, g.padding, g.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    divisor = counts[0] if len(counts) == 1 else np.multiply.outer(counts[0], counts[1])
    return divisor.astype(dtype)


def _data(x: TensorLike) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _max_pool(
    name: str,
    dims: int,
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair,
    ceil_mode: bool,
    return_indices: bool,
) -> Tensor:
    if return_indices:
        raise InputError(
            f"{name}: return_indices=True is not supported; the gradient already goes to the argmax."
        )
    if _tuple(name, "dilation", dilation, dims) != (1,) * dims:
        raise InputError(f"{name}: only dilation=1 is supported, got {dilation!r}.")
    geometry = pool_geometry(name, _data(x).shape, dims, kernel_size, stride, padding, ceil_mode)
    return MaxPool.apply(x, geometry=geometry)


def max_pool1d(
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Max over windows of the last axis of ``(N, C, L)``, as ``torch.nn.functional.max_pool1d``.

    ``stride`` defaults to ``kernel_size``. See :class:`MaxPool`.
    """
    return _max_pool(
        "max_pool1d", 1, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Max over windows of the last two axes of ``(N, C, H, W)``, as ``torch.nn.functional.max_pool2d``.

    ``stride`` defaults to ``kernel_size``. See :class:`MaxPool`.

    >>> import glassnet as gn, numpy as np
    >>> max_pool2d(gn.Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2).data[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    return _max_pool(
        "max_pool2d", 2, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(
    name: str,
    dims: int,
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    geometry = pool_geometry(name, _data(x).shape, dims, kernel_size, stride, padding, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise InputError(f"{name}: divisor_override must be positive, got {divisor_override}.")
    return AvgPool.apply(
        x, geometry=geometry, count_include_pad=count_include_pad, divisor_override=divisor_override
    )


def avg_pool1d(
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of the last axis of ``(N, C, L)``, as ``torch.nn.functional.avg_pool1d``.

    See :class:`AvgPool`.
    """
    return _avg_pool(
        "avg_pool1d", 1, x, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    x: TensorLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over windows of the last two axes of ``(N, C, H, W)``, as ``torch.nn.functional.avg_pool2d``.

    See :class:`AvgPool`.
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        x,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


# ---------------------------------------------------------------------------- adaptive pooling
def _adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix: row o is 1/len over input positions floor(o*size/out) .. ceil((o+1)*size/out)."""
    o = np.arange(out)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    """Mean over torch's adaptive bins: output (oh, ow) whatever the input's (H, W).

    Bin o along an axis of size n covers floor(o*n/out) .. ceil((o+1)*n/out) (bins may overlap).
    Averaging is separable: with A_h (oh, H) and A_w (ow, W) the bins' averaging matrices,
    forward:  y = A_h @ x @ A_w^T               (when the bins tile: a reshape and a mean)
    backward: dx = A_h^T @ dy @ A_w
    shapes:   x (N, C, H, W) -> y (N, C, oh, ow)
    """

    name = "adaptive_avg_pool2d"

    def __init__(self, output_size: tuple[int, int]) -> None:
        self.output_size = output_size

    def forward(self, x: np.ndarray) -> np.ndarray:
        (oh, ow), (h, w) = self.output_size, x.shape[2:]
        if h % oh == 0 and w % ow == 0:  # equal bins that tile the input, e.g. global pooling
            self.save(None, None, x.shape)
            return x.reshape(x.shape[:2] + (oh, h // oh, ow, w // ow)).mean(axis=(3, 5))
        a_h, a_w = _adaptive_matrix(h, oh, x.dtype), _adaptive_matrix(w, ow, x.dtype)
        self.save(a_h, a_w, x.shape)
        return a_h @ x @ a_w.T

    def backward(self, dy: np.ndarray) -> np.ndarray:
        a_h, a_w, shape = self.saved
        if a_h is None:
            (oh, ow), (h, w) = self.output_size, shape[2:]
            share = (dy / ((h // oh) * (w // ow))).reshape(dy.shape[:2] + (oh, 1, ow, 1))
            return np.broadcast_to(share, shape[:2] + (oh, h // oh, ow, w // ow)).reshape(shape)
        return a_h.T @ dy @ a_w


def adaptive_output_size(
    name: str, shape: tuple[int, ...], output_size: int | None | Sequence[int | None]
) -> tuple[int, int]:
    """(oh, ow) of an adaptive 2-D pool (None keeps the input's size), checked; errors name ``name``."""
    if len(shape) != 4:
        raise ShapeError(
            f"{name}: expects input of shape (N, C, H, W); got {tuple(shape)}: add the batch "
            f"axis (x[None]) or the channel axis (x[:, None])."
        )
    single = output_size is None or not isinstance(output_size, (Sequence, np.ndarray))
    sizes = (output_size, output_size) if single else tuple(output_size)
    if len(sizes) != 2:
        raise InputError(
            f"{name}: output_size must be an int or 2 ints (or None), got {output_size!r}."
        )
    if any(
        size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)))
        for size in sizes
    ):
        raise InputError(
            f"{name}: output_size must be whole numbers (or None), got {output_size!r}; "
            "e.g. output_size=1 or (7, 7)."
        )
    if any(size is not None and size <= 0 for size in sizes):
        raise InputError(
            f"{name}: output_size must be positive (or None to keep the input's size), got "
            f"{output_size!r}; e.g. output_size=1 for global average pooling."
        )
    out = tuple(shape[2 + i] if size is None else int(size) for i, size in enumerate(sizes))
    if min(out) <= 0 or min(shape[2:]) <= 0:
        raise ShapeError(
            f"{name}: output size {out} for input {tuple(shape)}: sizes must be positive."
        )
    return out  # type: ignore[return-value]


def adaptive_avg_pool2d(x: TensorLike, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Average into ``output_size`` bins over H and W, as ``torch.nn.functional.adaptive_avg_pool2d``.

    ``adaptive_avg_pool2d(x, 1)`` is global average pooling. See :class:`AdaptiveAvgPool2d`.
    """
    out = adaptive_output_size("adaptive_avg_pool2d", _data(x).shape, output_size)
    return AdaptiveAvgPool2d.apply(x, output_size=out)
