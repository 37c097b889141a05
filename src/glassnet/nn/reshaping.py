"""Layers that rearrange or resample without weights: Flatten (PyTorch's and Keras's),
Upsample (PyTorch's, channels-first) and UpSampling2D (Keras's, channels-last by default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
from ..ops import resize
from ..ops.shape import flatten, transpose
from .module import Module
from .pooling import _json, channels_back, channels_first, check_data_format, check_image_input

__all__ = ["Flatten", "Upsample", "UpSampling2D"]


class Flatten(Module):
    """Merge the axes ``start_dim..end_dim`` into one (``torch.nn.Flatten``; Keras's ``Flatten()``).

    With the defaults every axis after the batch axis is merged: ``(N, C, H, W) -> (N, C*H*W)``
    for channels-first data and ``(N, H, W, C) -> (N, H*W*C)`` for channels-last data, which is
    what both ``torch.nn.Flatten()`` and ``keras.layers.Flatten()`` do. Keras's
    ``data_format="channels_first"`` first moves the channels last (so that a Dense layer after it
    sees the same order in both formats), as Keras does.

    Shape:
        Input: ``(N, *dims)``. Output: ``(N, prod(dims))`` with the defaults.
    """

    traceable = True

    def __init__(
        self,
        start_dim: int = 1,
        end_dim: int = -1,
        data_format: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim
        self.data_format = (
            None if data_format is None else check_data_format("Flatten", data_format)
        )
        self.name = name

    def forward(self, x: Tensor) -> Tensor:
        if (
            x.ndim < 2
            or not -x.ndim <= self.start_dim < x.ndim
            or not -x.ndim <= self.end_dim < x.ndim
        ):
            raise ShapeError(
                f"{self.display_name}: expects input with a batch axis and axes {self.start_dim} to "
                f"{self.end_dim} to flatten; got {x.shape}. Add the batch axis (x[None]) for one sample."
            )
        if self.data_format == "channels_first" and x.ndim > 2:
            x = transpose(x, (0, *range(2, x.ndim), 1))
        return flatten(x, self.start_dim, self.end_dim)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "start_dim": self.start_dim,
            "end_dim": self.end_dim,
            "data_format": self.data_format,
        }

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Upsample(Module):
    """Resize ``(N, C, L)`` or ``(N, C, H, W)`` by ``scale_factor`` or to ``size`` (``torch.nn.Upsample``).

    ``mode`` is ``"nearest"``, ``"linear"`` (3-D) or ``"bilinear"`` (4-D); ``align_corners`` as
    ``torch.nn.functional.interpolate``.

    Shape:
        Input: ``(N, C, H, W)``. Output: ``(N, C, size)`` or ``(N, C, floor(H * scale), floor(W * scale))``.
    """

    traceable = True

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
    ) -> None:
        super().__init__()
        if mode not in resize.MODES:
            raise InputError(f"Upsample: mode must be one of {sorted(resize.MODES)}, got {mode!r}.")
        if (size is None) == (scale_factor is None):
            raise InputError(
                f"Upsample: give exactly one of size and scale_factor, got size={size!r}, "
                f"scale_factor={scale_factor!r}."
            )
        if mode == "nearest" and align_corners is not None:
            raise InputError(
                "Upsample: align_corners only applies to the linear modes; leave it None for 'nearest'."
            )
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, x: Tensor) -> Tensor:
        # Checked with this layer's name; then the same op as interpolate.
        resize.resize_output_size(
            self.display_name, x.shape, self.size, self.scale_factor, self.mode
        )
        return resize.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "size": _json(self.size),
            "scale_factor": _json(self.scale_factor),
            "mode": self.mode,
            "align_corners": self.align_corners,
        }

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpSampling2D(Module):
    """Keras's upsampling: repeat (``interpolation="nearest"``) or interpolate (``"bilinear"``)
    each image ``size`` times along rows and columns.

    Shape:
        Input: ``(N, H, W, C)`` (or ``(N, C, H, W)`` with ``data_format="channels_first"``).
        Output: ``(N, H * size[0], W * size[1], C)``.
    """

    traceable = True

    def __init__(
        self,
        size: int | Sequence[int] = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        name: str | None = None,
    ) -> None:
        super().__init__()
        sizes = (size, size) if isinstance(size, int) else tuple(size)
        if len(sizes) != 2 or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise InputError(
                f"UpSampling2D: size must be a positive int or 2 of them, got {size!r}."
            )
        if interpolation not in ("nearest", "bilinear"):
            raise InputError(
                f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}."
            )
        self.size = sizes
        self.data_format = check_data_format("UpSampling2D", data_format)
        self.interpolation = interpolation
        self.name = name

    def forward(self, x: Tensor) -> Tensor:
        check_image_input(self.display_name, x, self.data_format)
        x = channels_first(x, self.data_format)
        out = (x.shape[2] * self.size[0], x.shape[3] * self.size[1])
        scales = (float(self.size[0]), float(self.size[1]))
        if self.interpolation == "nearest":
            y = resize.UpsampleNearest.apply(x, sizes=out, scales=scales)
        else:
            y = resize.UpsampleLinear.apply(x, sizes=out, scales=scales, align_corners=False)
        return channels_back(y, self.data_format)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values (what a model file stores)."""
        return {
            "size": list(self.size),
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }

    def extra_repr(self) -> str:
        return f"size={self.size}, {self.data_format}, interpolation={self.interpolation!r}"
