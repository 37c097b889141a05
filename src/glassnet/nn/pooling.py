"""Pooling layers: PyTorch's channels-first MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d, and
Keras's MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D (channels-last by default).

The layers hold no weights: each checks its input (naming itself, the shapes and the fix) and
calls one op of :mod:`glassnet.ops.pooling`. The Keras layers move the channels to axis 1 and
back around the same ops; their ``padding="same"`` pads as Keras does (the extra pixel on the
right/bottom) and averages over the input pixels only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
from ..ops import pooling
from ..ops.reduce import mean
from ..ops.shape import transpose
from .module import Module

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "DATA_FORMATS",
    "check_data_format",
]

IntOrPair = int | Sequence[int]
DATA_FORMATS = ("channels_last", "channels_first")


def _json(value: Any) -> Any:
    """A tuple argument as a JSON list (what get_config stores); ints and None as they are."""
    return list(value) if isinstance(value, (tuple, list)) else value


class _TorchPool(Module):
    """Shared by the PyTorch pooling layers: arguments, checks and config."""

    traceable = True
    dims = 2

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        # Check the arguments now (with a fitting dummy shape), not at the first batch.
        kernel = pooling._tuple(type(self).__name__, "kernel_size", kernel_size, self.dims)
        shape = (1, 1) + tuple(max(k, 1) for k in kernel)
        pooling.pool_geometry(
            type(self).__name__, shape, self.dims, kernel_size, self.stride, padding, ceil_mode
        )

    def geometry(self, x: Tensor) -> pooling.PoolGeometry:
        """The input's windows, checked: errors name this layer and the input's shape."""
        return pooling.pool_geometry(
            self.display_name,
            x.shape,
            self.dims,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
        )

    def receptive_geometry(self) -> tuple[tuple[int, ...], ...]:
        """(kernel, stride, dilation) per spatial axis, for ``Model.summary``'s receptive field."""
        kernel = pooling._tuple(type(self).__name__, "kernel_size", self.kernel_size, self.dims)
        stride = pooling._tuple(type(self).__name__, "stride", self.stride, self.dims)
        return kernel, stride, (1,) * self.dims

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "kernel_size": _json(self.kernel_size),
            "stride": _json(self.stride),
            "padding": _json(self.padding),
            "ceil_mode": self.ceil_mode,
        }

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_TorchPool):
    """Maximum over ``kernel_size`` windows of the last two axes (``torch.nn.MaxPool2d``).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) never wins;
    ``ceil_mode`` keeps a last, partial window. The gradient goes to each window's maximum.

    Shape:
        Input: ``(N, C, H, W)``. Output: ``(N, C, H_out, W_out)``,
        ``H_out = floor((H + 2 * padding - kernel) / stride) + 1`` (ceil with ``ceil_mode``).
    """

    traceable = True

    def forward(self, x: Tensor) -> Tensor:
        return pooling.MaxPool.apply(x, geometry=self.geometry(x))


class MaxPool1d(MaxPool2d):
    """Maximum over ``kernel_size`` windows of the last axis (``torch.nn.MaxPool1d``).

    Shape:
        Input: ``(N, C, L)``. Output: ``(N, C, L_out)``, ``L_out`` as in :class:`MaxPool2d`.
    """

    traceable = True
    dims = 1


class AvgPool2d(_TorchPool):
    """Mean over ``kernel_size`` windows of the last two axes (``torch.nn.AvgPool2d``).

    ``count_include_pad`` (default True) counts the zero padding in the mean, as PyTorch;
    ``divisor_override`` divides every window's sum by that number instead.

    Shape:
        Input: ``(N, C, H, W)``. Output: ``(N, C, H_out, W_out)``, sizes as :class:`MaxPool2d`.
    """

    traceable = True

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        if divisor_override is not None and divisor_override <= 0:
            raise InputError(
                f"{type(self).__name__}: divisor_override must be positive, got {divisor_override}."
            )
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return pooling.AvgPool.apply(
            x,
            geometry=self.geometry(x),
            count_include_pad=self.count_include_pad,
            divisor_override=self.divisor_override,
        )

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            **super().get_config(),
            "count_include_pad": self.count_include_pad,
            "divisor_override": self.divisor_override,
        }


class AvgPool1d(AvgPool2d):
    """Mean over ``kernel_size`` windows of the last axis (``torch.nn.AvgPool1d``).

    Shape:
        Input: ``(N, C, L)``. Output: ``(N, C, L_out)``.
    """

    traceable = True
    dims = 1

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        config = super().get_config()
        del config["divisor_override"]
        return config


class AdaptiveAvgPool2d(Module):
    """Average into a fixed ``output_size`` grid whatever the input's size (``torch.nn.AdaptiveAvgPool2d``).

    ``output_size`` is an int, a pair, or None in a place to keep the input's size there;
    ``AdaptiveAvgPool2d(1)`` is global average pooling (keeping the 1x1 axes).

    Shape:
        Input: ``(N, C, H, W)``. Output: ``(N, C, *output_size)``.
    """

    traceable = True

    def __init__(self, output_size: int | None | Sequence[int | None]) -> None:
        super().__init__()
        pooling.adaptive_output_size(type(self).__name__, (1, 1, 1, 1), output_size)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        out = pooling.adaptive_output_size(self.display_name, x.shape, self.output_size)
        return pooling.AdaptiveAvgPool2d.apply(x, output_size=out)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"output_size": _json(self.output_size)}

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# ------------------------------------------------------------------------------ Keras layers
def check_data_format(layer: str, data_format: str | None) -> str:
    """Keras's ``data_format`` (None means ``"channels_last"``), checked."""
    data_format = "channels_last" if data_format is None else data_format
    if data_format not in DATA_FORMATS:
        raise InputError(
            f"{layer}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    return data_format


def channels_first(x: Tensor, data_format: str) -> Tensor:
    """``(N, H, W, C)`` as ``(N, C, H, W)`` (a view) for channels-last data; other data as it is."""
    return transpose(x, (0, 3, 1, 2)) if data_format == "channels_last" else x


def channels_back(y: Tensor, data_format: str) -> Tensor:
    """Undo :func:`channels_first` on a result."""
    return transpose(y, (0, 2, 3, 1)) if data_format == "channels_last" else y


def check_image_input(layer: str, x: Tensor, data_format: str) -> None:
    """ShapeError naming ``layer`` unless ``x`` is a batch of images in ``data_format``."""
    if x.ndim == 4:
        return
    layout = "(N, H, W, C)" if data_format == "channels_last" else "(N, C, H, W)"
    if x.ndim == 3:
        fix = (
            "add the batch axis (x[None]) or, for a batch of one-channel images, the channel axis ("
            + ("x[..., None]" if data_format == "channels_last" else "x[:, None]")
            + ")"
        )
    elif x.ndim == 2:
        fix = "add the batch and channel axes, e.g. " + (
            "x[None, ..., None]" if data_format == "channels_last" else "x[None, None]"
        )
    else:
        fix = "give a batch of images"
    raise ShapeError(
        f"{layer}: expects input of shape {layout} ({data_format}); got {x.shape}: {fix}."
    )


def _same_geometry(
    layer: str,
    spatial: tuple[int, ...],
    pool: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
) -> pooling.PoolGeometry:
    """Keras's windows: "valid" (no padding) or "same" (out = ceil(size / stride), the odd pixel of
    padding on the right/bottom)."""
    if padding == "valid":
        out = tuple((size - k) // s + 1 for size, k, s in zip(spatial, pool, strides))
        if min(out) <= 0:
            raise ShapeError(
                f"{layer}: pool_size {pool} is larger than the input's spatial size {spatial}; use "
                f"padding='same', a smaller pool_size or a larger input."
            )
        left = (0,) * len(spatial)
    else:
        out = tuple(-(-size // s) for size, s in zip(spatial, strides))
        total = tuple(
            max((o - 1) * s + k - size, 0) for o, s, k, size in zip(out, strides, pool, spatial)
        )
        left = tuple(t // 2 for t in total)
    tiles = (
        padding == "valid"
        and strides == pool
        and all(o * k == n for o, k, n in zip(out, pool, spatial))
    )
    return pooling.PoolGeometry(pool, strides, left, out, tiles)


class _KerasPool2D(Module):
    """Shared by MaxPooling2D and AveragePooling2D: Keras's arguments, checks and config."""

    traceable = True

    def __init__(
        self,
        pool_size: IntOrPair = (2, 2),
        strides: IntOrPair | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        self.pool_size = pooling._tuple(cls, "pool_size", pool_size, 2)
        self.strides = (
            self.pool_size if strides is None else pooling._tuple(cls, "strides", strides, 2)
        )
        if min(self.pool_size) <= 0 or min(self.strides) <= 0:
            raise InputError(
                f"{cls}: pool_size and strides must be positive, got {self.pool_size} and {self.strides}."
            )
        if padding not in ("valid", "same"):
            raise InputError(f"{cls}: padding must be 'valid' or 'same', got {padding!r}.")
        self.padding = padding
        self.data_format = check_data_format(cls, data_format)
        self.name = name

    def _pool(self, x: Tensor) -> tuple[Tensor, pooling.PoolGeometry]:
        check_image_input(self.display_name, x, self.data_format)
        x = channels_first(x, self.data_format)
        return x, _same_geometry(
            self.display_name, x.shape[2:], self.pool_size, self.strides, self.padding
        )

    def receptive_geometry(self) -> tuple[tuple[int, ...], ...]:
        """(kernel, stride, dilation) per spatial axis, for ``Model.summary``'s receptive field."""
        return self.pool_size, self.strides, (1, 1)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}, {self.data_format}"


class MaxPooling2D(_KerasPool2D):
    """Keras's max pooling: ``MaxPooling2D(pool_size=2, strides=None, padding="valid")``.

    Shape:
        Input: ``(N, H, W, C)`` (or ``(N, C, H, W)`` with ``data_format="channels_first"``).
        Output: ``(N, H_out, W_out, C)``; ``H_out = floor((H - pool) / strides) + 1`` ("valid") or
        ``ceil(H / strides)`` ("same").
    """

    traceable = True

    def forward(self, x: Tensor) -> Tensor:
        x, geometry = self._pool(x)
        return channels_back(pooling.MaxPool.apply(x, geometry=geometry), self.data_format)


class AveragePooling2D(_KerasPool2D):
    """Keras's average pooling; with ``padding="same"`` the mean is over the input pixels only, as Keras.

    Shape:
        As :class:`MaxPooling2D`.
    """

    traceable = True

    def forward(self, x: Tensor) -> Tensor:
        x, geometry = self._pool(x)
        y = pooling.AvgPool.apply(x, geometry=geometry, count_include_pad=False)
        return channels_back(y, self.data_format)


class GlobalAveragePooling2D(Module):
    """Keras's global average pooling: the mean of each channel over all pixels.

    Shape:
        Input: ``(N, H, W, C)`` (or ``(N, C, H, W)`` with ``data_format="channels_first"``).
        Output: ``(N, C)`` (``keepdims=True``: ``(N, 1, 1, C)`` or ``(N, C, 1, 1)``).
    """

    traceable = True

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, name: str | None = None
    ) -> None:
        super().__init__()
        self.data_format = check_data_format(type(self).__name__, data_format)
        self.keepdims = keepdims
        self.name = name

    def forward(self, x: Tensor) -> Tensor:
        check_image_input(self.display_name, x, self.data_format)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        return mean(x, axis=axes, keepdims=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {"data_format": self.data_format, "keepdims": self.keepdims}

    def extra_repr(self) -> str:
        return f"{self.data_format}, keepdims={self.keepdims}"
