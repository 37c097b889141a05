"""Convolution layers: PyTorch's Conv1d, Conv2d, ConvTranspose2d (channels first) and Keras's
Conv1D, Conv2D, Conv2DTranspose (channels last by default, sized on the first call).

Every layer holds its weight in PyTorch's layout, ``(out, in/groups, k...)`` (``(in, out/groups, k...)``
for the transposed convolution), under the ``state_dict`` keys ``weight`` and ``bias``, so a Keras
layer and a PyTorch layer of the same sizes hold the same arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import random, regularizers
from ..autograd.tensor import Tensor
from ..errors import InputError, ShapeError
from ..ops.conv import _ints, conv1d, conv2d, conv2d_relu, conv_transpose2d
from ..ops.shape import transpose
from . import init as initializers
from .activations import ACTIVATIONS, get_activation
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1D", "Conv1d", "Conv2D", "Conv2DTranspose", "Conv2d", "ConvTranspose2d"]

IntOrTuple = int | Sequence[int]


def _positive(value: Any, what: str, layer: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise InputError(f"{layer}: {what} must be a positive integer, got {value!r}.")
    return int(value)


def _check_groups(layer: str, in_channels: int, out_channels: int, groups: int) -> None:
    if in_channels % groups or out_channels % groups:
        raise InputError(
            f"{layer}: groups={groups} must divide in_channels={in_channels} and "
            f"out_channels={out_channels}; use a divisor of both (groups=1, or in_channels "
            f"for a depthwise convolution)."
        )


def _channels_hint(layer: str, channels: int, shape: tuple[int, ...], channels_first: bool) -> str:
    """Which layout the data looks like when the channel count sits on the other end."""
    n_spatial = len(shape) - 2
    if channels_first and shape[-1] == channels and shape[1] != channels:
        order = (0, len(shape) - 1, *range(1, len(shape) - 1))
        return (
            f" The data looks channels-last (N, ..., C): transpose it with x.transpose{order}, or use "
            f"the Keras layer Conv{n_spatial}D, which takes channels last."
        )
    if not channels_first and shape[1] == channels and shape[-1] != channels:
        return (
            f" The data looks channels-first (N, C, ...): pass data_format='channels_first' to {layer}, "
            f"or transpose it to channels last."
        )
    return ""


class _Conv(Module):
    """What every convolution layer shares: the weights, their initialization, the input checks."""

    traceable = True
    transposed = False
    n_spatial = 2
    fuses_relu = False
    weight: Parameter | None
    bias: Parameter | None

    def _create(self, in_channels: int, rng: random.SeedLike) -> None:
        """Create the weight and bias for ``in_channels`` input channels and draw them."""
        self.in_channels = in_channels
        _check_groups(self.display_name, in_channels, self.out_channels, self.groups)
        if self.transposed:
            shape = (in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape, dtype=self.dtype))
        self.bias = (
            Parameter(np.zeros(self.out_channels, dtype=self.dtype)) if self.use_bias else None
        )
        self.reset_parameters(rng)

    @property
    def built(self) -> bool:
        return self.weight is not None

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Draw new initial weights in place: PyTorch's default (kaiming_uniform(a=sqrt(5)), i.e.
        U(+-1/sqrt(fan_in)), for weight and bias) unless an initializer was named."""
        if self.weight is None:
            return
        generator = random.rng(rng)
        fan_in = initializers.fans(self.weight.shape)[0]
        if self.init == "torch":
            bound = 1.0 / math.sqrt(fan_in)
            self.weight.data[...] = generator.uniform(-bound, bound, self.weight.shape)
            if self.bias is not None:
                self.bias.data[...] = generator.uniform(-bound, bound, self.bias.shape)
        else:
            weight_init, bias_init = initializers.get_scheme(self.init)
            self.weight.data[...] = weight_init(self.weight.shape, generator, self.dtype)
            if self.bias is not None:
                self.bias.data[...] = bias_init(self.bias.shape, generator, self.dtype, fan_in)
        self.freshly_initialized = True

    def _check_input(self, x: Tensor, channels_first: bool = True) -> None:
        """Name the layer, the expected and the given shape, and the fix; before any weight changes."""
        if x.dtype != self.dtype:
            raise InputError(
                f"{self.display_name}: input dtype {x.dtype} differs from the layer's {self.dtype}: "
                f"cast the input (x.astype(np.{self.dtype.name})) or build the layer with "
                f"dtype=np.{x.dtype.name}."
            )
        if x.shape[1:] == getattr(self, "_checked", None):
            return  # the usual case, once per batch
        n = self.n_spatial
        axes = "(N, C, L)" if n == 1 else "(N, C, H, W)"
        if not channels_first:
            axes = "(N, L, C)" if n == 1 else "(N, H, W, C)"
        name = self.display_name
        if x.ndim != n + 2:
            raise ShapeError(
                f"{name} expects {axes}; got {x.shape}: {self._rank_fix(x.shape, channels_first)}"
            )
        channels = x.shape[1] if channels_first else x.shape[-1]
        if self.built and channels != self.in_channels:
            hint = _channels_hint(name, self.in_channels, x.shape, channels_first)
            raise ShapeError(
                f"{name} expects {axes} with C = in_channels = {self.in_channels}; got {x.shape} "
                f"({channels} channels)." + (hint or " Check the previous layer's output channels.")
            )
        spatial = x.shape[2:] if channels_first else x.shape[1:-1]
        self._check_spatial(spatial, x.shape)
        if self.built:
            self._checked = x.shape[1:]

    def _rank_fix(self, shape: tuple[int, ...], channels_first: bool) -> str:
        """What to do about an input with the wrong number of axes."""
        n = self.n_spatial
        channel = "x[:, None]" if channels_first else "x[..., None]"
        if len(shape) == n + 1:
            if (
                channels_first
                and self.built
                and shape[0] == self.in_channels
                and self.in_channels != 1
            ):
                return "add the batch axis for one sample, e.g. x[None]."
            return f"add the channel axis, e.g. {channel} (one channel)."
        if len(shape) == n:
            one = "x[None, None]" if channels_first else "x[None, ..., None]"
            return (
                f"add the batch and channel axes, e.g. {one} for one sample, or reshape a batch of "
                f"flattened samples to {'(N, 1, ...)' if channels_first else '(N, ..., 1)'}."
            )
        if len(shape) < n:
            return f"a {'signal' if n == 1 else 'image'} batch needs {n + 2} axes."
        return f"{len(shape)} axes, {n + 2} expected: flatten or squeeze the extra axes."

    def _check_spatial(self, spatial: tuple[int, ...], shape: tuple[int, ...]) -> None:
        pads = self._pads(spatial)
        for size, k, _stride, d, (before, after) in zip(
            spatial, self.kernel_size, self.stride, self.dilation, pads
        ):
            padded = size + before + after
            if not self.transposed and padded < d * (k - 1) + 1:
                raise ShapeError(
                    f"{self.display_name}: the kernel {self.kernel_size} (dilation {self.dilation}) "
                    f"spans {d * (k - 1) + 1} but the input {shape} padded by {pads} is only "
                    f"{padded} wide: use a smaller kernel, padding, or a larger input."
                )

    def receptive_geometry(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None:
        """(kernel, stride, dilation) per spatial axis: what ``Model.summary`` needs for the receptive field."""
        return self.kernel_size, self.stride, self.dilation

    def regularization_loss(self) -> Tensor | None:
        """The sum of this layer's weight penalties, or None without regularizers."""
        return regularizers.penalty(
            ((self.kernel_regularizer, self.weight), (self.bias_regularizer, self.bias))
        )


class _TorchConv(_Conv):
    """PyTorch-named convolution layers (channels first, sizes given up front)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple | str = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        init: str | Any = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
    ) -> None:
        super().__init__()
        layer = type(self).__name__
        n = self.n_spatial
        self.out_channels = _positive(out_channels, "out_channels", layer)
        self.kernel_size = _ints(kernel_size, n, "kernel_size", layer)
        self.stride = _ints(stride, n, "stride", layer)
        self.dilation = _ints(dilation, n, "dilation", layer)
        self.groups = _positive(groups, "groups", layer)
        if isinstance(padding, str):
            if padding not in ("valid", "same") or self.transposed:
                allowed = (
                    "an int or a tuple" if self.transposed else "an int, a tuple, 'valid' or 'same'"
                )
                raise InputError(f"{layer}: padding must be {allowed}, got {padding!r}.")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise InputError(
                    f"{layer}: padding='same' needs stride 1 (as in PyTorch); got stride "
                    f"{self.stride}. Give the padding as numbers or use Conv{n}D(padding='same')."
                )
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = _ints(padding, n, "padding", layer, minimum=0)
        self.output_padding = (0,) * n  # the transposed convolution sets its own
        if padding_mode != "zeros":
            raise InputError(
                f"{layer}: only padding_mode='zeros' is supported, got {padding_mode!r}."
            )
        self.use_bias = bool(bias)
        self.uses_default_init = init is None
        self.init = "torch" if init is None else init
        if self.init != "torch":
            initializers.get_scheme(self.init)  # fail now on an unknown name
        self.dtype = np.dtype(dtype)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._create(_positive(in_channels, "in_channels", layer), rng)

    def _pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        if self.padding == "valid":
            return ((0, 0),) * self.n_spatial
        if self.padding == "same":
            return tuple(
                (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                for k, d in zip(self.kernel_size, self.dilation)
            )
        return tuple((p, p) for p in self.padding)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values."""
        from .linear import _init_name

        config = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.use_bias,
            "init": None if self.uses_default_init else _init_name(self.init),
            "dtype": self.dtype.name,
            "kernel_regularizer": regularizers.to_config(self.kernel_regularizer),
            "bias_regularizer": regularizers.to_config(self.bias_regularizer),
        }
        if self.transposed:
            config["output_padding"] = list(self.output_padding)
        return config

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
            f", padding={self.padding}"
        )
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.use_bias else ", bias=False")


class Conv2d(_TorchConv):
    """2-D convolution with PyTorch's names, layout and default initialization.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, dilation: an int or ``(h, w)``.
        padding: an int, ``(h, w)``, ``"valid"`` or ``"same"`` (stride 1), zeros added on both sides.
        groups: split the channels into this many independent convolutions (``in_channels`` gives a
            depthwise convolution).
        bias: learn an additive bias per output channel.
        init: None for PyTorch's default (U(+-1/sqrt(fan_in)) for weight and bias), or a scheme /
            initializer name of :mod:`glassnet.nn.init`.

    Shape:
        Input: ``(N, in_channels, H, W)``. Output: ``(N, out_channels, Ho, Wo)`` with
        ``Ho = (H + 2 ph - dh (kh - 1) - 1) // sh + 1``.

    >>> import glassnet as gn, numpy as np
    >>> layer = gn.nn.Conv2d(1, 16, 3, padding=1, rng=0)
    >>> layer(gn.Tensor(np.zeros((8, 1, 28, 28), dtype=np.float32))).shape
    (8, 16, 28, 28)
    """

    traceable = True

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return conv2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self._pads(x.shape[2:]),
            self.dilation,
            self.groups,
        )


class Conv1d(_TorchConv):
    """1-D convolution with PyTorch's names (see :class:`Conv2d`; sizes are ints or 1-tuples).

    Shape:
        Input: ``(N, in_channels, L)``. Output: ``(N, out_channels, Lo)``,
        ``Lo = (L + 2 p - d (k - 1) - 1) // s + 1``.

    >>> import glassnet as gn, numpy as np
    >>> gn.nn.Conv1d(3, 4, 5, stride=2, rng=0)(gn.Tensor(np.zeros((2, 3, 20), dtype=np.float32))).shape
    (2, 4, 8)
    """

    traceable = True
    n_spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return conv1d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self._pads(x.shape[2:]),
            self.dilation,
            self.groups,
        )


class ConvTranspose2d(_TorchConv):
    """Transposed 2-D convolution (a learned upsampling) with PyTorch's names and weight layout
    ``(in_channels, out_channels / groups, kh, kw)``.

    Shape:
        Input: ``(N, in_channels, H, W)``. Output: ``(N, out_channels, Ho, Wo)`` with
        ``Ho = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1``.

    >>> import glassnet as gn, numpy as np
    >>> up = gn.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1, rng=0)
    >>> up(gn.Tensor(np.zeros((2, 8, 7, 7), dtype=np.float32))).shape
    (2, 4, 14, 14)
    """

    traceable = True
    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrTuple = 1,
        padding_mode: str = "zeros",
        init: str | Any = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            init,
            dtype,
            rng,
            kernel_regularizer,
            bias_regularizer,
        )
        self.output_padding = _ints(
            output_padding, 2, "output_padding", "ConvTranspose2d", minimum=0
        )
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise InputError(
                    f"ConvTranspose2d: output_padding {self.output_padding} must be smaller than "
                    f"the stride {self.stride} or the dilation {self.dilation}."
                )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )

    def _check_spatial(self, spatial: tuple[int, ...], shape: tuple[int, ...]) -> None:
        for size, k, s, p, op, d in zip(
            spatial, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
        ):
            if (size - 1) * s - 2 * p + d * (k - 1) + op + 1 <= 0:
                raise ShapeError(
                    f"{self.display_name}: input {shape} with kernel {self.kernel_size}, stride "
                    f"{self.stride} and padding {self.padding} gives an empty output: use less padding."
                )

    def receptive_geometry(self) -> None:
        return None  # an upsampling: its output pixels see fractions of input pixels


# ------------------------------------------------------------------------------------------ Keras


class _KerasConv(_Conv):
    """Keras-named convolution layers: ``filters``, ``strides``, ``padding="valid"|"same"``, channels
    last unless ``data_format="channels_first"``, weights created on the first call."""

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrTuple,
        strides: IntOrTuple = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: IntOrTuple = 1,
        groups: int = 1,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str | Any = "glorot_uniform",
        input_shape: Sequence[int] | None = None,
        in_channels: int | None = None,
        dtype: Any = np.float32,
        rng: random.SeedLike = None,
        name: str | None = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        output_padding: IntOrTuple | None = None,
    ) -> None:
        super().__init__()
        layer = type(self).__name__
        n = self.n_spatial
        self.out_channels = self.filters = _positive(filters, "filters", layer)
        self.kernel_size = _ints(kernel_size, n, "kernel_size", layer)
        self.stride = _ints(strides, n, "strides", layer)
        self.dilation = _ints(dilation_rate, n, "dilation_rate", layer)
        self.groups = _positive(groups, "groups", layer)
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise InputError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}.")
        self.padding = padding
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise InputError(
                f"{layer}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
            )
        self.data_format = data_format
        self.activation = get_activation(activation, layer).name
        self.output_padding = (
            None
            if output_padding is None
            else _ints(output_padding, n, "output_padding", layer, minimum=0)
        )
        self.use_bias = bool(use_bias)
        self.uses_default_init = kernel_initializer == "glorot_uniform"
        self.init = kernel_initializer
        initializers.get_scheme(self.init)
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self.name = name
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.in_channels: int | None = None
        self.weight = None
        self.bias = None
        self.freshly_initialized = False
        if input_shape is not None:
            shape = tuple(input_shape)
            in_channels = shape[-1] if data_format == "channels_last" else shape[0]
        if in_channels is not None:
            self.build(_positive(in_channels, "in_channels", layer))

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"

    def build(self, in_channels: int, rng: random.SeedLike = None) -> None:
        """Create the weights for inputs with ``in_channels`` channels."""
        self._create(int(in_channels), rng if rng is not None else self.rng)

    def _pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """Keras's padding: ``"same"`` gives ceil(size / stride) outputs, the extra pixel at the end."""
        if self.padding == "valid":
            return ((0, 0),) * self.n_spatial
        pads = []
        for size, k, s, d in zip(spatial, self.kernel_size, self.stride, self.dilation):
            total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)

    def forward(self, x: Tensor) -> Tensor:
        if not self.built and x.ndim == self.n_spatial + 2:
            self._check_input(
                x, self.channels_first
            )  # the shape's rank, before anything is created
            self.build(x.shape[1] if self.channels_first else x.shape[-1])
        self._check_input(x, self.channels_first)
        if not self.channels_first:  # (N, ..., C) -> (N, C, ...), a view
            x = transpose(x, (0, self.n_spatial + 1, *range(1, self.n_spatial + 1)))
        fused = self.activation == "relu" and self.fuses_relu
        y = self._convolve(x, x.shape[2:], fused)
        if not self.channels_first:  # back to (N, ..., C), a view
            y = transpose(y, (0, *range(2, self.n_spatial + 2), 1))
        spec = ACTIVATIONS[self.activation]
        if spec.function is None or fused:
            return y
        if spec.along_axis:  # softmax over the channels
            return spec.function(y, axis=1 if self.channels_first else -1)
        return spec.function(y)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values; ``in_channels`` once built, so loading needs no data."""
        from .linear import _init_name

        config = {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.stride),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation),
            "groups": self.groups,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": _init_name(self.init),
            "in_channels": self.in_channels,
            "dtype": self.dtype.name,
            "kernel_regularizer": regularizers.to_config(self.kernel_regularizer),
            "bias_regularizer": regularizers.to_config(self.bias_regularizer),
        }
        if self.transposed:
            config["output_padding"] = (
                None if self.output_padding is None else list(self.output_padding)
            )
        return config

    def extra_repr(self) -> str:
        return (
            f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.stride}, "
            f"padding={self.padding!r}, activation={self.activation!r}, in_channels={self.in_channels}"
        )


class Conv2D(_KerasConv):
    """2-D convolution with Keras's names: ``Conv2D(filters, kernel_size, strides=1, padding="valid",
    activation=None)``, channels last, input channels found on the first call.

    Args:
        filters: output channels.
        kernel_size, strides, dilation_rate: an int or ``(h, w)``.
        padding: ``"valid"`` (none) or ``"same"`` (``ceil(size / stride)`` outputs, as Keras pads).
        data_format: ``"channels_last"`` (default, ``(N, H, W, C)``) or ``"channels_first"``.
        groups: independent channel groups.
        activation: None or a name of :data:`glassnet.nn.activations.ACTIVATIONS`.
        kernel_initializer: Keras's default ``"glorot_uniform"`` (biases start at zero) or another name.
        input_shape: ``(H, W, C)`` to build at once; ``in_channels`` does the same.

    Shape:
        Input: ``(N, H, W, C)``. Output: ``(N, Ho, Wo, filters)``.

    >>> import glassnet as gn, numpy as np
    >>> layer = gn.Conv2D(8, 3, padding="same", activation="relu", rng=0)
    >>> layer(gn.Tensor(np.zeros((2, 28, 28, 1), dtype=np.float32))).shape, layer.weight.shape
    ((2, 28, 28, 8), (8, 1, 3, 3))
    """

    traceable = True

    fuses_relu = True  # activation="relu" runs as one op with the convolution

    def _convolve(self, x: Tensor, spatial: tuple[int, ...], relu: bool = False) -> Tensor:
        convolve = conv2d_relu if relu else conv2d
        return convolve(
            x, self.weight, self.bias, self.stride, self._pads(spatial), self.dilation, self.groups
        )


class Conv1D(_KerasConv):
    """1-D convolution with Keras's names (see :class:`Conv2D`): input ``(N, L, C)``, output
    ``(N, Lo, filters)``.

    >>> import glassnet as gn, numpy as np
    >>> gn.Conv1D(4, 3, padding="same", rng=0)(gn.Tensor(np.zeros((2, 10, 3), dtype=np.float32))).shape
    (2, 10, 4)
    """

    traceable = True
    n_spatial = 1

    def _convolve(self, x: Tensor, spatial: tuple[int, ...], relu: bool = False) -> Tensor:
        return conv1d(
            x, self.weight, self.bias, self.stride, self._pads(spatial), self.dilation, self.groups
        )


class Conv2DTranspose(_KerasConv):
    """Transposed 2-D convolution with Keras's names; ``padding="same"`` gives ``size * strides``
    outputs, ``"valid"`` gives ``size * strides + max(kernel - strides, 0)``.

    >>> import glassnet as gn, numpy as np
    >>> gn.Conv2DTranspose(4, 3, strides=2, padding="same", rng=0)(
    ...     gn.Tensor(np.zeros((2, 7, 7, 8), dtype=np.float32))).shape
    (2, 14, 14, 4)
    """

    traceable = True
    transposed = True

    def _transpose_geometry(
        self, spatial: tuple[int, ...]
    ) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
        """Crop (before, after) and output_padding that give Keras's output sizes."""
        pads, extra = [], []
        given = self.output_padding or (None,) * self.n_spatial
        for _size, k, s, d, op in zip(spatial, self.kernel_size, self.stride, self.dilation, given):
            span = d * (k - 1) + 1
            if op is not None:  # Keras: out = (size - 1) s + span - 2 p + op, p = 0 or span // 2
                p = span // 2 if self.padding == "same" else 0
                # TensorFlow crops the 2p - op extra positions of the full output as a "same"
                # convolution pads: the smaller half before. A negative amount is output padding.
                crop = 2 * p - op
                pads.append((max(crop, 0) // 2, max(crop, 0) - max(crop, 0) // 2))
                extra.append(max(-crop, 0))
                continue
            total = max(span - s, 0) if self.padding == "same" else 0
            pads.append((total // 2, total - total // 2))
            extra.append(max(s - span, 0) if self.padding == "same" or span < s else 0)
        return tuple(pads), tuple(extra)

    def _pads(self, spatial: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        return self._transpose_geometry(spatial)[0]

    def _check_spatial(self, spatial: tuple[int, ...], shape: tuple[int, ...]) -> None:
        pass  # every input size gives a non-empty output

    def _convolve(self, x: Tensor, spatial: tuple[int, ...], relu: bool = False) -> Tensor:
        pads, extra = self._transpose_geometry(spatial)
        return conv_transpose2d(
            x, self.weight, self.bias, self.stride, pads, extra, self.groups, self.dilation
        )

    def receptive_geometry(self) -> None:
        return None  # an upsampling
