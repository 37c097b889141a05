"""Convolutions: conv1d, conv2d and conv_transpose2d, each as im2col and one matrix product.

A 2-D convolution slides a ``(C/groups, kh, kw)`` kernel over the padded input and, at every output
pixel, takes the dot product of the kernel with the patch under it. Copying every patch into a
column (*im2col*) turns all those dot products into one matrix product::

    cols[(c, i, j), (n, y, x)] = x_padded[n, c, y * stride + i * dilation, x * stride + j * dilation]
    out[o, (n, y, x)]         = sum over (c, i, j) of weight[o, (c, i, j)] * cols[(c, i, j), (n, y, x)]

With ``groups`` the channels split into independent slices; the slice index is a batch axis of
the one ``np.matmul``. The backward pass multiplies by the transposed matrices and sums the column
gradients back onto the pixels they were copied from (*col2im*: one strided add per kernel tap).

Memory layout: the columns put the channel and kernel tap first and the samples and pixels last
(see :class:`_Grid`), so the product comes out as ``(O, N, H, W)`` in memory; the ops return it as
the ``(N, O, H, W)`` array users expect, a transposed view (a copy would cost as much as a ReLU).
The columns are the largest array of a convolution: they are
written into one reused work array per thread and built again in backward instead of being kept;
for a large batch they are built and multiplied in blocks of samples (see :meth:`_Grid.blocks`).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import InputError, ShapeError
from .activation import relu_backward_kernel, relu_mask

__all__ = ["conv1d", "conv2d", "conv2d_relu", "conv_output_size", "conv_transpose2d"]

Pairs = tuple[tuple[int, int], ...]
PaddingLike = int | str | Sequence[int] | Sequence[Sequence[int]]


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution along one axis; ``padding`` is the total added to both ends.

    >>> conv_output_size(28, 3, stride=1, padding=2)
    28
    """
    return (size + padding - dilation * (kernel - 1) - 1) // stride + 1


class _Scratch(threading.local):
    """Per-thread work arrays that live from one call to the next (columns are rebuilt every call).

    A convolution's column matrix is its largest array (9x its input for a 3x3 kernel). Writing
    it into the same memory every batch instead of a fresh allocation saves the page faults of a
    new multi-megabyte array each time; nothing keeps a reference to it between calls. Arrays
    above ``KEEP_AT_MOST`` bytes are made anew each time rather than held for good.
    """

    KEEP_AT_MOST = 256 * 2**20

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def array(self, slot: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An uninitialized ``shape`` array in ``slot``'s memory (grown when too small)."""
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > self.KEEP_AT_MOST:
            return np.empty(shape, dtype=dtype)
        buffer = self.buffers.get(slot)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = self.buffers[slot] = np.empty(nbytes, dtype=np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)


_scratch = _Scratch()


class _Grid:
    """Where the columns of one convolution come from: the padded input, flattened channels first.

    ``flat`` is ``(C, N * Hp * Wp)``: sample by sample, the zero-padded images. The windows'
    positions are the outputs ``(n, y, x)``, ``n < N, y < Ho, x < Wo``; kernel tap ``(i, j)`` of
    all positions is one strided view of ``flat`` (rows of ``Wo`` elements, contiguous with stride
    1), so building the columns and summing them back copy whole output rows.

    The product ``(O, positions)`` is then the ``(N, O, Ho, Wo)`` output with the channel axis
    outermost in memory: :meth:`outputs` returns it as that view, without a copy, and the ops that
    follow (ReLU, pooling) keep the layout (NumPy's ufuncs allocate in the input's memory order), so
    the gradient comes back in it and :meth:`output_gradient` reads it without a copy either.
    """

    def __init__(
        self,
        x_shape: tuple[int, ...],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: Pairs,
        dilation: tuple[int, int],
    ) -> None:
        n, c, h, w = x_shape
        (top, bottom), (left, right) = padding
        self.n, self.channels, self.h, self.w = n, c, h, w
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.top, self.left = top, left
        self.hp, self.wp = h + top + bottom, w + left + right
        self.ho = conv_output_size(self.hp, kernel[0], stride[0], 0, dilation[0])
        self.wo = conv_output_size(self.wp, kernel[1], stride[1], 0, dilation[1])
        self.size = n * self.hp * self.wp
        self.positions = n * self.ho * self.wo

    def images(self, flat: np.ndarray) -> np.ndarray:
        """The ``(C, N, Hp, Wp)`` view of a flat padded array."""
        return flat.reshape(flat.shape[0], self.n, self.hp, self.wp)

    def pad(self, x: np.ndarray) -> np.ndarray:
        """``x (N, C, H, W)`` -> its flat, zero-padded, channels-first copy."""
        flat = np.zeros((self.channels, self.size), dtype=x.dtype)
        self.images(flat)[:, :, self.top : self.top + self.h, self.left : self.left + self.w] = (
            x.transpose(1, 0, 2, 3)
        )
        return flat

    def crop(self, flat: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`pad` (a view): ``(N, C, H, W)`` from a flat padded array."""
        images = self.images(flat)[
            :, :, self.top : self.top + self.h, self.left : self.left + self.w
        ]
        return images.transpose(1, 0, 2, 3)

    def outputs(self, y: np.ndarray) -> np.ndarray:
        """The ``(N, O, Ho, Wo)`` outputs of a ``(O, positions)`` product: a view, channels
        outermost in memory (no copy; see the class docstring)."""
        return y.reshape(y.shape[0], self.n, self.ho, self.wo).transpose(1, 0, 2, 3)

    def output_gradient(self, dy: np.ndarray) -> np.ndarray:
        """``dy (N, O, Ho, Wo)`` -> ``(O, positions)``: a view when ``dy`` has the layout of
        :meth:`outputs` (what comes back through ReLU and pooling), else a copy. Read only."""
        return np.ascontiguousarray(dy.transpose(1, 0, 2, 3)).reshape(dy.shape[1], self.positions)

    def _taps(self, flat: np.ndarray, writeable: bool = False) -> np.ndarray:
        """``(C, kh, kw, N, Ho, Wo)`` view: what each kernel tap sees at every position.

        ``taps[c, i, j, n, y, x] = xp[c, n, y sh + i dh, x sw + j dw]``. Taps overlap one another,
        but within one tap no two positions share an element, so adding into one tap is safe.
        """
        item = flat.itemsize
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        return as_strided(
            flat,
            (flat.shape[0], kh, kw, self.n, self.ho, self.wo),
            (
                flat.strides[0],
                dh * self.wp * item,
                dw * item,
                self.hp * self.wp * item,
                sh * self.wp * item,
                sw * item,
            ),
            writeable=writeable,
        )

    def im2col(self, flat: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Columns ``out (C, kh, kw, positions)`` from ``flat``: one copy of a strided view.

        ``cols[c, i, j, (n, y, x)] = xp[c, n, y sh + i dh, x sw + j dw]``.
        """
        np.copyto(out.reshape(self._taps(flat).shape), self._taps(flat))
        return out

    def col2im(self, dcols: np.ndarray, dflat: np.ndarray | None = None) -> np.ndarray:
        """The adjoint of :meth:`im2col`: ``dcols (C, kh, kw, positions)`` -> a flat padded array
        (added into ``dflat`` when given, else into a new zero one).

        Every column entry is added back to the pixel it was copied from: one strided add per kernel
        tap (kh * kw adds of whole arrays; overlapping windows accumulate).
        """
        kh, kw = self.kernel
        if dflat is None:
            dflat = np.zeros((dcols.shape[0], self.size), dtype=dcols.dtype)
        taps = self._taps(dflat, writeable=True)
        columns = dcols.reshape(taps.shape)
        for i in range(kh):
            for j in range(kw):
                tap = taps[:, i, j]
                tap += columns[:, i, j]
        return dflat

    def blocks(self, itemsize: int) -> Iterator[tuple[_Grid, slice, slice]]:
        """The samples in blocks whose columns take at most ``COLUMN_BYTES`` (at least one sample
        per block): ``(grid of the block, its part of flat's columns, its positions)``.

        The columns are ``kh kw`` times the input; built for a whole batch they would be a
        convolution's largest array (7 MB for the second layer of a small MNIST CNN at batch
        64). In blocks, the work array stays small and in cache, and the matrix products stay
        large (thousands of positions each); one block when the batch's columns fit.
        """
        per_sample = self.channels * math.prod(self.kernel) * self.ho * self.wo * itemsize
        step = max(1, COLUMN_BYTES // per_sample)
        pixels, outputs = self.hp * self.wp, self.ho * self.wo
        for start in range(0, self.n, step):
            stop = min(start + step, self.n)
            block = copy.copy(self)
            block.n, block.size, block.positions = (
                stop - start,
                (stop - start) * pixels,
                (stop - start) * outputs,
            )
            yield (
                block,
                slice(start * pixels, stop * pixels),
                slice(start * outputs, stop * outputs),
            )


# A block's columns at most (see _Grid.blocks): small enough to stay in a CPU's cache.
COLUMN_BYTES = 4 * 2**20


def _columns(grid: _Grid, dtype: np.dtype) -> np.ndarray:
    """The reused work array for ``grid``'s columns, ``(C, kh, kw, positions)``."""
    return _scratch.array("columns", (grid.channels, *grid.kernel, grid.positions), dtype)


class Conv2d(Function):
    """2-D cross-correlation (PyTorch's conv2d) with stride, zero padding, dilation and groups.

    forward:  y[n, o, p, q] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] * xp[n, c, p*sh + i*dh, q*sw + j*dw]
              computed as Y_g = W_g @ cols_g for each group g (one batched matmul), where
              cols_g ((C/g) kh kw, positions) holds the input patches (see :class:`_Grid`)
    backward: dW_g = dY_g @ cols_g^T (the columns built again from the input);
              db = sum of dy over (n, p, q);  dx = crop(col2im(W_g^T @ dY_g))
    shapes:   x (N, C, H, W), W (O, C/g, kh, kw), b (O,) -> y (N, O, Ho, Wo),
              Ho = (H + pt + pb - dh (kh - 1) - 1) // sh + 1 (likewise Wo)
    """

    def __init__(
        self,
        stride: tuple[int, int] = (1, 1),
        padding: Pairs = ((0, 0), (0, 0)),
        dilation: tuple[int, int] = (1, 1),
        groups: int = 1,
    ) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """A multiply and an add per kernel term, (C/g) kh kw of them, per output element; one more
        for the bias."""
        kernel_terms = int(np.prod(input_shapes[1][1:]))
        return (2 * kernel_terms + (len(input_shapes) == 3)) * int(np.prod(output_shape))

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        grid = _Grid(x.shape, weight.shape[2:], self.stride, self.padding, self.dilation)
        flat = grid.pad(x)
        w_g = weight.reshape(self.groups, weight.shape[0] // self.groups, -1)
        y = np.empty((self.groups, w_g.shape[1], grid.positions), dtype=np.result_type(x, weight))
        # Columns are rebuilt in backward (a cheap copy) rather than kept: 1/(kh kw) of the memory.
        for block, pixels, positions in grid.blocks(weight.itemsize):
            cols = block.im2col(flat[:, pixels], _columns(block, weight.dtype))
            np.matmul(w_g, cols.reshape(self.groups, -1, block.positions), out=y[:, :, positions])
        if bias is not None:
            y += bias.reshape(self.groups, -1, 1)
        y = y.reshape(weight.shape[0], grid.positions)
        # The input is kept (the graph holds it anyway), not its padded copy: backward pads it again.
        self.save(x, w_g, grid, weight.shape, self._activate(y))
        return grid.outputs(y)

    def _activate(self, y: np.ndarray) -> np.ndarray | None:
        """A fused activation's place: change ``y (O, positions)`` in place, return what backward needs."""
        return None

    def _gate(self, dy_g: np.ndarray, saved: np.ndarray | None) -> np.ndarray:
        """A fused activation's gradient: ``dy_g (O, positions)`` (possibly a view of ``dy``, read
        only) -> the gradient before the activation."""
        return dy_g

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, w_g, grid, w_shape, activation = self.saved
        g, per_group, _ = w_g.shape
        dy_g = self._gate(grid.output_gradient(dy), activation)
        dy_g = dy_g.reshape(g, per_group, grid.positions)
        dx = dw = db = None
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = dy_g.sum(axis=2).reshape(w_shape[0])
        if self.needs_grad[1]:
            dw = np.zeros(w_g.shape, dtype=dy_g.dtype)
            flat = grid.pad(x)
        if self.needs_grad[0]:
            dflat = np.zeros((grid.channels, grid.size), dtype=dy_g.dtype)
        for block, pixels, positions in grid.blocks(dy.itemsize):
            work = _columns(block, dy.dtype).reshape(g, -1, block.positions)
            dy_b = dy_g[:, :, positions]
            if self.needs_grad[1]:
                cols = block.im2col(flat[:, pixels], work)
                dw += np.matmul(dy_b, cols.reshape(g, -1, block.positions).transpose(0, 2, 1))
            if self.needs_grad[0]:
                # The column gradients go into the columns' memory: they are not needed any more.
                np.matmul(w_g.transpose(0, 2, 1), dy_b, out=work)  # (g, (C/g) kh kw, positions)
                block.col2im(
                    work.reshape(grid.channels, *w_shape[2:], block.positions), dflat[:, pixels]
                )
        if self.needs_grad[1]:
            dw = dw.reshape(w_shape)
        if self.needs_grad[0]:
            dx = grid.crop(dflat)
        return (dx, dw, db)[: len(self.needs_grad)]


class Conv2dReLU(Conv2d):
    """:class:`Conv2d` then ReLU in one op: the ReLU works in place on the product (no second
    output array), and backward gates the gradient where it lays it out for the products. What
    ``Conv2D(filters, k, activation="relu")`` runs.

    forward:  y = max(conv2d(x, W, b), 0)
    backward: dz = dy where not y <= 0, else +0 (as torch's relu); then Conv2d's backward with dz
    shapes:   as :class:`Conv2d`
    """

    name = "conv2d_relu"

    def _activate(self, y: np.ndarray) -> np.ndarray:
        np.maximum(y, 0, out=y)
        return relu_mask(y)

    def _gate(self, dy_g: np.ndarray, mask: np.ndarray) -> np.ndarray:
        # relu_backward(dy_g, mask), by the bitwise kernel as ReLU and LinearReLU run it: the same
        # bits, several times faster, and a new array (dy_g may be a view of dy, which backward must
        # not change).
        return relu_backward_kernel(dy_g, mask)


class Conv1d(Conv2d):
    """1-D cross-correlation: :class:`Conv2d` on inputs of height 1.

    forward:  y[n, o, p] = b[o] + sum_{c in group(o), j} W[o, c, j] * xp[n, c, p*s + j*d]
    backward: as Conv2d, with the height axis dropped again
    shapes:   x (N, C, L), W (O, C/g, k), b (O,) -> y (N, O, Lo), Lo = (L + pl + pr - d (k - 1) - 1) // s + 1
    """

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
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

    def __init__(
        self,
        stride: tuple[int, int] = (1, 1),
        padding: Pairs = ((0, 0), (0, 0)),
        output_padding: tuple[int, int] = (0, 0),
        dilation: tuple[int, int] = (1, 1),
        groups: int = 1,
    ) -> None:
        self.stride = stride
        self.padding = padding
        self.output_padding = output_padding
        self.dilation = dilation
        self.groups = groups

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """Every input element scatters onto (O/g) kh kw outputs: a multiply and an add each; one
        more per output element for the bias."""
        scattered = int(np.prod(input_shapes[0])) * int(np.prod(input_shapes[1][1:]))
        return 2 * scattered + (len(input_shapes) == 3) * int(np.prod(output_shape))

    def _grid(self, x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> _Grid:
        """The grid of the convolution this op is the adjoint of: its input is the uncropped output
        ``(N, O, (H - 1) sh + dh (kh - 1) + 1, ...)``, and its output pixels are this op's input pixels."""
        n, _, h, w = x_shape
        kernel = w_shape[2:]
        span = [
            (size - 1) * s + d * (k - 1) + 1
            for size, s, d, k in zip((h, w), self.stride, self.dilation, kernel)
        ]
        return _Grid(
            (n, w_shape[1] * self.groups, *span),
            kernel,
            self.stride,
            ((0, 0), (0, 0)),
            self.dilation,
        )

    def _window(
        self, grid: _Grid, out_hw: tuple[int, ...]
    ) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """Where the output sits in the uncropped one: (slices of the output, slices of the uncropped)."""
        ours, full = [], []
        for size, (before, _), span in zip(out_hw, self.padding, (grid.hp, grid.wp)):
            rows = min(
                size, span - before
            )  # output_padding may reach past the last patch: zeros there
            ours.append(slice(0, rows))
            full.append(slice(before, before + rows))
        return (slice(None), slice(None), *ours), (slice(None), slice(None), *full)

    def _out_hw(self, grid: _Grid) -> tuple[int, int]:
        return tuple(
            span - p[0] - p[1] + op
            for span, p, op in zip((grid.hp, grid.wp), self.padding, self.output_padding)  # type: ignore[return-value]
        )

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        grid = self._grid(x.shape, weight.shape)
        g = self.groups
        x_g = grid.output_gradient(x).reshape(g, x.shape[1] // g, grid.positions)
        w_g = weight.reshape(g, x.shape[1] // g, -1)
        cols = _columns(grid, x.dtype)
        np.matmul(
            w_g.transpose(0, 2, 1), x_g, out=cols.reshape(g, -1, grid.positions)
        )  # (g, (O/g) kh kw, positions)
        full = grid.images(grid.col2im(cols))
        ours, theirs = self._window(grid, self._out_hw(grid))
        y = np.zeros((grid.channels, x.shape[0], *self._out_hw(grid)), dtype=x.dtype)
        y[ours] = full[theirs]
        if bias is not None:
            y += bias.reshape(-1, 1, 1, 1)
        self.save(x_g, w_g, grid, weight.shape)
        return y.transpose(1, 0, 2, 3)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x_g, w_g, grid, w_shape = self.saved
        g = self.groups
        flat = np.zeros((grid.channels, grid.size), dtype=dy.dtype)
        ours, theirs = self._window(grid, dy.shape[2:])
        grid.images(flat)[theirs] = dy.transpose(1, 0, 2, 3)[ours]
        dcols = grid.im2col(flat, _columns(grid, dy.dtype))
        dcols = dcols.reshape(g, -1, grid.positions)
        dx = dw = db = None
        if self.needs_grad[0]:
            dx = grid.outputs(np.matmul(w_g, dcols).reshape(-1, grid.positions))
        if self.needs_grad[1]:
            dw = np.matmul(x_g, dcols.transpose(0, 2, 1)).reshape(w_shape)
        if len(self.needs_grad) == 3 and self.needs_grad[2]:
            db = dy.sum(axis=(0, 2, 3))
        return (dx, dw, db)[: len(self.needs_grad)]


# ---------------------------------------------------------------------------------------------
# Wrappers: check the arguments once, with messages that say what to change, then apply the op.


def _ints(
    value: int | Sequence[int], n: int, what: str, op: str, minimum: int = 1
) -> tuple[int, ...]:
    """``value`` as ``n`` ints >= ``minimum`` (an int stands for all ``n``); ``op`` names the op or
    layer in the error. The conv and pooling layers check their arguments with it too."""
    if isinstance(value, (int, np.integer)):
        values: tuple = (value,) * n
    else:
        # A float or another single non-int: tuple() alone would say "not iterable".
        try:
            values = tuple(value)
        except TypeError:
            values = (value,)
    if len(values) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
    ):
        raise InputError(
            f"{op}: {what} must be an int or a tuple of {n} ints (whole pixels), got "
            f"{value!r}; e.g. {what}=3 or {(3,) * n}."
        )
    if any(v < minimum for v in values):
        raise InputError(f"{op}: {what} must be >= {minimum}, got {value!r}.")
    return tuple(int(v) for v in values)


def _padding_pairs(
    padding: PaddingLike,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    op: str,
) -> Pairs:
    """``padding`` as (before, after) per spatial axis: int, tuple of ints, tuple of pairs,
    ``"valid"`` (none) or ``"same"`` (output size = input size; stride 1 only, as in PyTorch)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise InputError(
                f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}."
            )
        if any(s != 1 for s in stride):
            raise InputError(
                f"{op}: padding='same' needs stride 1 (got stride {stride}), as in PyTorch; "
                "give the padding as numbers, or use a Keras layer (Conv2D(padding='same')), "
                "which pads the TensorFlow way for strides > 1."
            )
        # PyTorch's rule: the total d (k - 1) split evenly, the odd one extra at the end.
        return tuple(
            (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)
        )
    if (
        not isinstance(padding, (int, np.integer))
        and len(padding) == n
        and all(not isinstance(p, (int, np.integer)) for p in padding)
    ):
        pairs = tuple(_ints(p, 2, "padding", op, minimum=0) for p in padding)
        return pairs  # type: ignore[return-value]
    return tuple((p, p) for p in _ints(padding, n, "padding", op, minimum=0))


def _check_conv(
    op: str,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    groups: int,
    spatial: int,
    transposed: bool = False,
) -> None:
    axes = {1: "(N, C, L)", 2: "(N, C, H, W)"}[spatial]
    if x.ndim != spatial + 2:
        raise ShapeError(f"{op}: input must be {axes}, got shape {x.shape}.")
    if weight.ndim != spatial + 2:
        layout = "(in, out/groups, k...)" if transposed else "(out, in/groups, k...)"
        raise ShapeError(
            f"{op}: weight must be {layout} with {spatial} kernel axes, got shape {weight.shape}."
        )
    if 0 in weight.shape or x.shape[1] == 0:
        raise ShapeError(
            f"{op}: the weight {weight.shape} and the input's channels {x.shape} must not be empty "
            "(a kernel of size 0 or no channels computes nothing)."
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise InputError(f"{op}: groups must be a positive int, got {groups!r}.")
    channels = x.shape[1]
    if transposed:
        if weight.shape[0] != channels:
            raise ShapeError(
                f"{op}: input has {channels} channels (shape {x.shape}) but the weight "
                f"{weight.shape} expects {weight.shape[0]} (its first axis)."
            )
        if channels % groups:
            raise ShapeError(f"{op}: groups={groups} must divide the {channels} input channels.")
        out_channels = weight.shape[1] * groups
    else:
        out_channels = weight.shape[0]
        if channels % groups or out_channels % groups:
            raise ShapeError(
                f"{op}: groups={groups} must divide both the {channels} input channels and the "
                f"{out_channels} output channels."
            )
        if weight.shape[1] * groups != channels:
            raise ShapeError(
                f"{op}: input has {channels} channels (shape {x.shape}) but the weight "
                f"{weight.shape} with groups={groups} expects {weight.shape[1] * groups}."
            )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {bias.shape}.")
    if x.dtype != weight.dtype:
        raise InputError(
            f"{op}: input dtype {x.dtype} differs from weight dtype {weight.dtype}; "
            "cast one of them (e.g. x.astype(np.float32))."
        )


def _check_output(
    op: str,
    x_shape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: Pairs,
    dilation: tuple[int, ...],
) -> None:
    for size, k, _stride, (before, after), d in zip(x_shape[2:], kernel, stride, pads, dilation):
        span = d * (k - 1) + 1
        if size + before + after < span:
            raise ShapeError(
                f"{op}: the kernel spans {span} (kernel {kernel}, dilation {dilation}) but the "
                f"padded input is only {size + before + after} wide (input {x_shape}, padding "
                f"{pads}): use a smaller kernel, more padding or a larger input."
            )


def _checked(
    op: str,
    spatial: int,
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None,
    stride: int | Sequence[int],
    padding: PaddingLike,
    dilation: int | Sequence[int],
    groups: int,
) -> tuple[Tensor, Tensor, Tensor | None, tuple[int, ...], Pairs, tuple[int, ...]]:
    """A convolution's inputs as tensors and its stride, (before, after) padding and dilation per
    spatial axis, after every check of :func:`_check_conv` and :func:`_check_output`."""
    x, weight = _as_tensor(x), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    _check_conv(op, x, weight, bias, groups, spatial)
    stride_ = _ints(stride, spatial, "stride", op)
    dilation_ = _ints(dilation, spatial, "dilation", op)
    kernel = tuple(weight.shape[2:])
    pads = _padding_pairs(padding, kernel, stride_, dilation_, op)
    _check_output(op, x.shape, kernel, stride_, pads, dilation_)
    return x, weight, bias, stride_, pads, dilation_


def conv2d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: PaddingLike = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    _op: type[Conv2d] | None = None,
) -> Tensor:
    """2-D convolution as ``torch.nn.functional.conv2d``. See :class:`Conv2d` for the gradient.

    ``padding``: an int, ``(ph, pw)``, ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"``.

    >>> import glassnet as gn, numpy as np
    >>> x = gn.Tensor(np.ones((2, 3, 5, 5)))
    >>> conv2d(x, gn.Tensor(np.ones((4, 3, 3, 3))), padding=1).shape
    (2, 4, 5, 5)
    """
    x, weight, bias, stride_, pads, dilation_ = _checked(
        "conv2d", 2, x, weight, bias, stride, padding, dilation, groups
    )
    op = Conv2d if _op is None else _op
    options = {"stride": stride_, "padding": pads, "dilation": dilation_, "groups": int(groups)}
    if bias is None:
        return op.apply(x, weight, **options)
    return op.apply(x, weight, bias, **options)


def conv2d_relu(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: PaddingLike = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """``relu(conv2d(x, weight, bias, ...))`` in one op: what ``Conv2D(..., activation="relu")`` runs.
    Same values and gradients, less memory traffic. See :class:`Conv2dReLU`.

    >>> import glassnet as gn, numpy as np
    >>> conv2d_relu(gn.Tensor(np.ones((1, 1, 3, 3))), gn.Tensor(-np.ones((1, 1, 3, 3)))).tolist()
    [[[[0.0]]]]
    """
    return conv2d(x, weight, bias, stride, padding, dilation, groups, _op=Conv2dReLU)


def conv1d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: PaddingLike = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution as ``torch.nn.functional.conv1d``. See :class:`Conv1d`.

    ``padding``: an int, ``(before, after)`` as ``((before, after),)``, ``"valid"`` or ``"same"``.

    >>> import glassnet as gn, numpy as np
    >>> conv1d(gn.Tensor(np.ones((2, 3, 10))), gn.Tensor(np.ones((4, 3, 5))), stride=2).shape
    (2, 4, 3)
    """
    x, weight, bias, stride_, pads, dilation_ = _checked(
        "conv1d", 1, x, weight, bias, stride, padding, dilation, groups
    )
    options = {
        "stride": (1, *stride_),
        "padding": ((0, 0), *pads),
        "dilation": (1, *dilation_),
        "groups": int(groups),
    }
    if bias is None:
        return Conv1d.apply(x, weight, **options)
    return Conv1d.apply(x, weight, bias, **options)


def conv_transpose2d(
    x: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | Sequence[Sequence[int]] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
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
        raise InputError(
            f"{op}: padding must be an int or a tuple, got {padding!r} (PyTorch's rule)."
        )
    padding_ = _padding_pairs(padding, tuple(weight.shape[2:]), stride_, dilation_, op)
    output_padding_ = _ints(output_padding, 2, "output_padding", op, minimum=0)
    for op_, s, d in zip(output_padding_, stride_, dilation_):
        if op_ >= max(s, d):
            raise InputError(
                f"{op}: output_padding {output_padding_} must be smaller than the stride {stride_} "
                f"or the dilation {dilation_} (PyTorch's rule)."
            )
    for size, k, s, p, op_, d in zip(
        x.shape[2:], weight.shape[2:], stride_, padding_, output_padding_, dilation_
    ):
        if (size - 1) * s - p[0] - p[1] + d * (k - 1) + op_ + 1 <= 0:
            raise ShapeError(
                f"{op}: input {x.shape} with kernel {tuple(weight.shape[2:])}, stride {stride_} and "
                f"padding {padding_} gives an empty output: use less padding."
            )
    options = {
        "stride": stride_,
        "padding": padding_,
        "output_padding": output_padding_,
        "dilation": dilation_,
        "groups": int(groups),
    }
    if bias is None:
        return ConvTranspose2d.apply(x, weight, **options)
    return ConvTranspose2d.apply(x, weight, bias, **options)


def _as_tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))
