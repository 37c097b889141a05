"""Convolutions: conv1d, conv2d and conv_transpose2d, each as im2col and one matrix product.

A 2-D convolution slides a ``(C/groups, kh, kw)`` kernel over the padded input and, at every output
pixel, takes the dot product of the kernel with the patch under it. Copying every patch into a
column (*im2col*) turns all those dot products into one matrix product::

    cols[(c, i, j), (n, y, x)] = x_padded[n, c, y * stride + i * dilation, x * stride + j * dilation]
    out[o, (n, y, x)]         = sum over (c, i, j) of weight[o, (c, i, j)] * cols[(c, i, j), (n, y, x)]

With ``groups`` the channels split into independent slices; the slice index is a batch axis of
the one ``np.matmul``. The backward pass multiplies by the transposed matrices and sums the column
gradients back onto the pixels they were copied from (*col2im*: one strided add per kernel tap).

Memory layout: the columns put the channel and kernel tap first and the samples and pixels last,
so the product's output comes out as ``(O, N, H, W)`` in memory. The ops return it as the
``(N, O, H, W)`` array users expect (a transposed view, no copy), and the next convolution reads
such a "channels, then samples" array without a copy when it builds its own columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError

__all__ = ["conv1d", "conv2d", "conv_output_size", "conv_transpose2d"]

Pairs = tuple[tuple[int, int], ...]
PaddingLike = int | str | Sequence[int] | Sequence[Sequence[int]]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis; ``padding`` is the total added to both ends.

    >>> conv_output_size(28, 3, stride=1, padding=2)
    28
    """
    return (size + padding - dilation * (kernel - 1) - 1) // stride + 1


def _pad_channels_first(x: np.ndarray, pads: Pairs) -> np.ndarray:
    """``x (N, C, H, W)`` -> zero-padded ``(C, N, H + pt + pb, W + pl + pr)``, contiguous.

    The transpose costs nothing when ``x`` already is a channels-first view (what conv2d returns);
    without padding such an array is used as it is.
    """
    xc = x.transpose(1, 0, 2, 3)
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0 and xc.flags.c_contiguous:
        return xc
    c, n, h, w = xc.shape
    padded = np.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
    padded[:, :, top:top + h, left:left + w] = xc
    return padded


def _im2col(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """Padded ``xp (C, N, Hp, Wp)`` -> columns ``(C, kh, kw, N, Ho, Wo)``: one copy of a strided view.

    ``cols[c, i, j, n, y, x] = xp[c, n, y * sh + i * dh, x * sw + j * dw]``.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(xp, span, axis=(2, 3))  # (C, N, Hp - span + 1, ..., span_h, span_w)
    windows = windows[:, :, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, ::dh, ::dw]
    cols = np.empty((xp.shape[0], kh, kw, xp.shape[1], ho, wo), dtype=xp.dtype)
    np.copyto(cols, windows.transpose(0, 4, 5, 1, 2, 3))
    return cols


def _col2im(dcols: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`_im2col`: ``dcols (C, kh, kw, N, Ho, Wo)`` -> ``(C, N, Hp, Wp)``.

    Every column entry is added back to the pixel it was copied from: one strided slice per kernel
    tap (kh * kw adds of whole arrays; overlapping windows accumulate).
    """
    c, kh, kw, n, ho, wo = dcols.shape
    (sh, sw), (dh, dw) = stride, dilation
    dxp = np.zeros((c, n, *padded_hw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            dxp[:, :, top:top + sh * (ho - 1) + 1:sh, left:left + sw * (wo - 1) + 1:sw] += dcols[:, i, j]
    return dxp


class Conv2d(Function):
    """2-D cross-correlation (PyTorch's conv2d) with stride, zero padding, dilation and groups.

    forward:  y[n, o, p, q] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] * xp[n, c, p*sh + i*dh, q*sw + j*dw]
              computed as Y_g = W_g @ cols_g for each group g (one batched matmul), where
              cols_g ((C/g) kh kw, N Ho Wo) holds the input patches (see the module docstring)
    backward: dW_g = dY_g @ cols_g^T;  db = sum of dy over (n, p, q);
              dx = crop(col2im(W_g^T @ dY_g))
    shapes:   x (N, C, H, W), W (O, C/g, kh, kw), b (O,) -> y (N, O, Ho, Wo),
              Ho = (H + pt + pb - dh (kh - 1) - 1) // sh + 1 (likewise Wo)
    """

    def __init__(self, stride: tuple[int, int] = (1, 1), padding: Pairs = ((0, 0), (0, 0)),
                 dilation: tuple[int, int] = (1, 1), groups: int = 1) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        n = x.shape[0]
        out_channels, group_channels, kh, kw = weight.shape
        g = self.groups
        xp = _pad_channels_first(x, self.padding)
        ho = conv_output_size(xp.shape[2], kh, self.stride[0], 0, self.dilation[0])
        wo = conv_output_size(xp.shape[3], kw, self.stride[1], 0, self.dilation[1])
        cols = _im2col(xp, (kh, kw), self.stride, self.dilation, (ho, wo)).reshape(g, -1, n * ho * wo)
        w_g = weight.reshape(g, out_channels // g, group_channels * kh * kw)
        y = np.matmul(w_g, cols)  # (g, O/g, N Ho Wo)
        if bias is not None:
            y += bias.reshape(g, -1, 1)
        self.save(cols, w_g, x.shape, xp.shape[2:], weight.shape)
        return y.reshape(out_channels, n, ho, wo).transpose(1, 0, 2, 3)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        cols, w_g, x_shape, padded_hw, w_shape = self.saved
        g, per_group, _ = w_g.shape
        n, out_channels, ho, wo = dy.shape
        # A copy only when dy is not already laid out channels first (ours are).
        dy_g = dy.transpose(1, 0, 2, 3).reshape(g, per_group, n * ho * wo)
        dx = dw = db = None
        if self.needs_grad[0]:
            dcols = np.matmul(w_g.transpose(0, 2, 1), dy_g)  # (g, (C/g) kh kw, N Ho Wo)
            dcols = dcols.reshape(x_shape[1], w_shape[2], w_shape[3], n, ho, wo)
            dxp = _col2im(dcols, padded_hw, self.stride, self.dilation)
            (top, _), (left, _) = self.padding
            dx = dxp[:, :, top:top + x_shape[2], left:left + x_shape[3]].transpose(1, 0, 2, 3)
        if self.needs_grad[1]:
            dw = np.matmul(dy_g, cols.transpose(0, 2, 1)).reshape(w_shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = dy_g.sum(axis=2).reshape(out_channels)
        return (dx, dw, db)[:len(self.needs_grad)]


class Conv1d(Conv2d):
    """1-D cross-correlation: :class:`Conv2d` on inputs of height 1.

    forward:  y[n, o, p] = b[o] + sum_{c in group(o), j} W[o, c, j] * xp[n, c, p*s + j*d]
    backward: as Conv2d, with the height axis dropped again
    shapes:   x (N, C, L), W (O, C/g, k), b (O,) -> y (N, O, Lo), Lo = (L + pl + pr - d (k - 1) - 1) // s + 1
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        return super().forward(x[:, :, np.newaxis], weight[:, :, np.newaxis], bias)[:, :, 0]

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grads = super().backward(dy[:, :, np.newaxis])
        dx = None if grads[0] is None else grads[0][:, :, 0]
        dw = None if grads[1] is None else grads[1][:, :, 0]
        return (dx, dw, *grads[2:])


class ConvTranspose2d(Function):
    """Transposed 2-D convolution (PyTorch's conv_transpose2d): the gradient of conv2d w.r.t. its
    input, used as a layer. Each input pixel scatters ``x * W`` onto a ``kh x kw`` patch of the
    output; patches ``stride`` apart overlap and add.

    forward:  cols_g = W_g^T @ X_g ((O/g) kh kw, N H W) for each group g;
              y = crop(col2im(cols)) + b, the crop removing ``padding`` (before, after) and adding
              ``output_padding`` rows/columns at the bottom/right
    backward: dcols = im2col(pad(dy)); dX_g = W_g @ dcols_g; dW_g = X_g @ dcols_g^T;
              db = sum of dy over (n, p, q)
    shapes:   x (N, C, H, W), W (C, O/g, kh, kw), b (O,) -> y (N, O, Ho, Wo),
              Ho = (H - 1) sh - pt - pb + dh (kh - 1) + oph + 1 (likewise Wo)
    """

    def __init__(self, stride: tuple[int, int] = (1, 1), padding: Pairs = ((0, 0), (0, 0)),
                 output_padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
                 groups: int = 1) -> None:
        self.stride = stride
        self.padding = padding
        self.output_padding = output_padding
        self.dilation = dilation
        self.groups = groups

    def _geometry(self, h: int, w: int, kh: int, kw: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The output size and the size of the uncropped buffer the patches are summed into."""
        out, full = [], []
        for size, k, s, p, op, d in zip((h, w), (kh, kw), self.stride, self.padding, self.output_padding,
                                        self.dilation):
            span = (size - 1) * s + d * (k - 1) + 1
            out.append(span - p[0] - p[1] + op)
            full.append(max(span, p[0] + out[-1]))  # output_padding may reach past the last patch
        return (out[0], out[1]), (full[0], full[1])

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        n, in_channels, h, w = x.shape
        _, per_group, kh, kw = weight.shape
        g = self.groups
        x_g = x.transpose(1, 0, 2, 3).reshape(g, in_channels // g, n * h * w)
        w_g = weight.reshape(g, in_channels // g, per_group * kh * kw)
        cols = np.matmul(w_g.transpose(0, 2, 1), x_g).reshape(g * per_group, kh, kw, n, h, w)
        (ho, wo), full = self._geometry(h, w, kh, kw)
        (top, _), (left, _) = self.padding
        y = _col2im(cols, full, self.stride, self.dilation)[:, :, top:top + ho, left:left + wo]
        if bias is not None:
            y += bias.reshape(-1, 1, 1, 1)
        self.save(x_g, w_g, x.shape, weight.shape, full)
        return y.transpose(1, 0, 2, 3)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x_g, w_g, x_shape, w_shape, full = self.saved
        n, in_channels, h, w = x_shape
        g = self.groups
        out_channels, ho, wo = dy.shape[1:]
        (top, _), (left, _) = self.padding
        dy_full = np.zeros((out_channels, n, *full), dtype=dy.dtype)
        dy_full[:, :, top:top + ho, left:left + wo] = dy.transpose(1, 0, 2, 3)
        dcols = _im2col(dy_full, w_shape[2:], self.stride, self.dilation, (h, w)).reshape(g, -1, n * h * w)
        dx = dw = db = None
        if self.needs_grad[0]:
            dx = np.matmul(w_g, dcols).reshape(in_channels, n, h, w).transpose(1, 0, 2, 3)
        if self.needs_grad[1]:
            dw = np.matmul(x_g, dcols.transpose(0, 2, 1)).reshape(w_shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = dy.sum(axis=(0, 2, 3))
        return (dx, dw, db)[:len(self.needs_grad)]


# ---------------------------------------------------------------------------------------------
# Wrappers: check the arguments once, with messages that say what to change, then apply the op.


def _ints(value: int | Sequence[int], n: int, what: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` as ``n`` ints >= ``minimum`` (an int stands for all ``n``)."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise InputError(f"{op}: {what} must be an int or a tuple of {n} ints, got {value!r}.")
    if any(v < minimum for v in values):
        raise InputError(f"{op}: {what} must be >= {minimum}, got {value!r}.")
    return tuple(int(v) for v in values)


def _padding_pairs(padding: PaddingLike, kernel: tuple[int, ...], stride: tuple[int, ...],
                   dilation: tuple[int, ...], op: str) -> Pairs:
    """``padding`` as (before, after) per spatial axis: int, tuple of ints, tuple of pairs,
    ``"valid"`` (none) or ``"same"`` (output size = input size; stride 1 only, as in PyTorch)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise InputError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}.")
        if any(s != 1 for s in stride):
            raise InputError(f"{op}: padding='same' needs stride 1 (got stride {stride}), as in PyTorch; "
                             "give the padding as numbers, or use a Keras layer (Conv2D(padding='same')), "
                             "which pads the TensorFlow way for strides > 1.")
        # PyTorch's rule: the total d (k - 1) split evenly, the odd one extra at the end.
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    if not isinstance(padding, (int, np.integer)) and len(padding) == n and all(
            not isinstance(p, (int, np.integer)) for p in padding):
        pairs = tuple(_ints(p, 2, "padding", op, minimum=0) for p in padding)
        return pairs  # type: ignore[return-value]
    return tuple((p, p) for p in _ints(padding, n, "padding", op, minimum=0))


def _check_conv(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, groups: int, spatial: int,
                transposed: bool = False) -> None:
    axes = {1: "(N, C, L)", 2: "(N, C, H, W)"}[spatial]
    if x.ndim != spatial + 2:
        raise ShapeError(f"{op}: input must be {axes}, got shape {x.shape}.")
    if weight.ndim != spatial + 2:
        layout = "(in, out/groups, k...)" if transposed else "(out, in/groups, k...)"
        raise ShapeError(f"{op}: weight must be {layout} with {spatial} kernel axes, got shape {weight.shape}.")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise InputError(f"{op}: groups must be a positive int, got {groups!r}.")
    channels = x.shape[1]
    if transposed:
        if weight.shape[0] != channels:
            raise ShapeError(f"{op}: input has {channels} channels (shape {x.shape}) but the weight "
                             f"{weight.shape} expects {weight.shape[0]} (its first axis).")
        if channels % groups:
            raise ShapeError(f"{op}: groups={groups} must divide the {channels} input channels.")
        out_channels = weight.shape[1] * groups
    else:
        out_channels = weight.shape[0]
        if channels % groups or out_channels % groups:
            raise ShapeError(f"{op}: groups={groups} must divide both the {channels} input channels and the "
                             f"{out_channels} output channels.")
        if weight.shape[1] * groups != channels:
            raise ShapeError(f"{op}: input has {channels} channels (shape {x.shape}) but the weight "
                             f"{weight.shape} with groups={groups} expects {weight.shape[1] * groups}.")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {bias.shape}.")
    if x.dtype != weight.dtype:
        raise InputError(f"{op}: input dtype {x.dtype} differs from weight dtype {weight.dtype}; "
                         "cast one of them (e.g. x.astype(np.float32)).")


def _check_output(op: str, x_shape: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                  pads: Pairs, dilation: tuple[int, ...]) -> None:
    for size, k, s, (before, after), d in zip(x_shape[2:], kernel, stride, pads, dilation):
        span = d * (k - 1) + 1
        if size + before + after < span:
            raise ShapeError(f"{op}: the kernel spans {span} (kernel {kernel}, dilation {dilation}) but the "
                             f"padded input is only {size + before + after} wide (input {x_shape}, padding "
                             f"{pads}): use a smaller kernel, more padding or a larger input.")


def conv2d(x: TensorLike, weight: TensorLike, bias: TensorLike | None = None, stride: int | Sequence[int] = 1,
           padding: PaddingLike = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """2-D convolution as ``torch.nn.functional.conv2d``. See :class:`Conv2d` for the gradient.

    ``padding``: an int, ``(ph, pw)``, ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"``.

    >>> import glassnet as gn, numpy as np
    >>> x = gn.Tensor(np.ones((2, 3, 5, 5)))
    >>> conv2d(x, gn.Tensor(np.ones((4, 3, 3, 3))), padding=1).shape
    (2, 4, 5, 5)
    """
    x, weight = _as_tensor(x), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    _check_conv("conv2d", x, weight, bias, groups, 2)
    stride_ = _ints(stride, 2, "stride", "conv2d")
    dilation_ = _ints(dilation, 2, "dilation", "conv2d")
    kernel = tuple(weight.shape[2:])
    pads = _padding_pairs(padding, kernel, stride_, dilation_, "conv2d")
    _check_output("conv2d", x.shape, kernel, stride_, pads, dilation_)
    options = {"stride": stride_, "padding": pads, "dilation": dilation_, "groups": int(groups)}
    if bias is None:
        return Conv2d.apply(x, weight, **options)
    return Conv2d.apply(x, weight, bias, **options)


def conv1d(x: TensorLike, weight: TensorLike, bias: TensorLike | None = None, stride: int | Sequence[int] = 1,
           padding: PaddingLike = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """1-D convolution as ``torch.nn.functional.conv1d``. See :class:`Conv1d`.

    ``padding``: an int, ``(before, after)`` as ``((before, after),)``, ``"valid"`` or ``"same"``.

    >>> import glassnet as gn, numpy as np
    >>> conv1d(gn.Tensor(np.ones((2, 3, 10))), gn.Tensor(np.ones((4, 3, 5))), stride=2).shape
    (2, 4, 3)
    """
    x, weight = _as_tensor(x), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    _check_conv("conv1d", x, weight, bias, groups, 1)
    stride_ = _ints(stride, 1, "stride", "conv1d")
    dilation_ = _ints(dilation, 1, "dilation", "conv1d")
    kernel = tuple(weight.shape[2:])
    pads = _padding_pairs(padding, kernel, stride_, dilation_, "conv1d")
    _check_output("conv1d", x.shape, kernel, stride_, pads, dilation_)
    options = {"stride": (1, *stride_), "padding": ((0, 0), *pads), "dilation": (1, *dilation_),
               "groups": int(groups)}
    if bias is None:
        return Conv1d.apply(x, weight, **options)
    return Conv1d.apply(x, weight, bias, **options)


def conv_transpose2d(x: TensorLike, weight: TensorLike, bias: TensorLike | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] | Sequence[Sequence[int]] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    """Transposed 2-D convolution as ``torch.nn.functional.conv_transpose2d`` (same argument order).
    See :class:`ConvTranspose2d`. ``padding`` may also be ``((top, bottom), (left, right))``: the
    rows and columns cropped from each side of the full output (Keras's ``"same"`` needs uneven ones).

    >>> import glassnet as gn, numpy as np
    >>> x = gn.Tensor(np.ones((1, 4, 7, 7)))
    >>> conv_transpose2d(x, gn.Tensor(np.ones((4, 2, 3, 3))), stride=2, padding=1, output_padding=1).shape
    (1, 2, 14, 14)
    """
    op = "conv_transpose2d"
    x, weight = _as_tensor(x), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    _check_conv(op, x, weight, bias, groups, 2, transposed=True)
    stride_ = _ints(stride, 2, "stride", op)
    dilation_ = _ints(dilation, 2, "dilation", op)
    if isinstance(padding, str):
        raise InputError(f"{op}: padding must be an int or a tuple, got {padding!r} (PyTorch's rule).")
    padding_ = _padding_pairs(padding, tuple(weight.shape[2:]), stride_, dilation_, op)
    output_padding_ = _ints(output_padding, 2, "output_padding", op, minimum=0)
    for op_, s, d in zip(output_padding_, stride_, dilation_):
        if op_ >= max(s, d):
            raise InputError(f"{op}: output_padding {output_padding_} must be smaller than the stride {stride_} "
                             f"or the dilation {dilation_} (PyTorch's rule).")
    for size, k, s, p, op_, d in zip(x.shape[2:], weight.shape[2:], stride_, padding_, output_padding_, dilation_):
        if (size - 1) * s - p[0] - p[1] + d * (k - 1) + op_ + 1 <= 0:
            raise ShapeError(f"{op}: input {x.shape} with kernel {tuple(weight.shape[2:])}, stride {stride_} and "
                             f"padding {padding_} gives an empty output: use less padding.")
    options = {"stride": stride_, "padding": padding_, "output_padding": output_padding_,
               "dilation": dilation_, "groups": int(groups)}
    if bias is None:
        return ConvTranspose2d.apply(x, weight, **options)
    return ConvTranspose2d.apply(x, weight, bias, **options)


def _as_tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))
