"""Recurrent layers as fused ops: one Function runs a whole sequence through one layer in one direction.

Each op takes the whole input sequence, runs the cell over the time steps (the only Python loop)
and keeps what backpropagation through time needs; its backward walks the steps in reverse. The
input projection ``x @ W_ih^T`` of every step is computed before the loop, so each step only does
the recurrent product ``h @ W_hh^T`` (one GEMM for all gates) and element-wise work on
preallocated buffers. The RNN and GRU take the weight gradients as one matrix product each after
the backward loop; the LSTM, the one whose speed is benchmarked, works on the transposes and sums
them step by step (see :class:`LSTMSequence`).

Conventions shared by the three ops (PyTorch's gate order and equations):

* ``x`` is samples-first ``(N, T, I)``; ``h0`` (and ``c0``) are ``(N, H)``; ``w_ih`` is
  ``(G*H, I)`` and ``w_hh`` ``(G*H, H)`` with G gates; biases are ``(G*H,)``: none, ``b_ih``
  alone, or ``b_ih`` and ``b_hh``.
* The output is one array ``(N, T + S, H)``: the T outputs, then the S final states (``h_n``,
  and ``c_n`` for the LSTM). The wrappers :func:`rnn`, :func:`lstm`, :func:`gru` slice it into
  ``(output, h_n[, c_n])``; one array keeps the op a single graph node.
* ``mask`` (bool ``(N, T)``) marks the valid steps. At a masked step the state is carried
  unchanged and the output is 0: with ``mask[n, t] = t < lengths[n]`` this is PyTorch's packed
  sequences (``h_n`` is the state at the last valid step), and with any other mask it is Keras's
  masking. Masked samples cost no Python loop: the update is ``h_t = where(m_t, cell(...), h_{t-1})``.
* ``reverse=True`` runs from the last step to the first (the backward direction of a
  bidirectional layer); outputs stay aligned with the input's time axis, and with a mask each
  sample starts at its own last valid step, as PyTorch's reverse direction over packed sequences.
* ``recurrent_mask`` (``(N, H)``, Keras's ``recurrent_dropout``) scales ``h_{t-1}`` where it
  enters ``W_hh``; the same mask for every step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, TensorLike
from ..errors import ShapeError
from .shape import getitem

__all__ = ["gru", "lengths_mask", "lstm", "rnn"]


def _sigmoid_(a: np.ndarray) -> None:
    """``a = 1 / (1 + exp(-a))`` in place. exp(-a) overflows to inf only where sigmoid is 0, and
    1 / inf gives that 0 (the caller silences the overflow warning)."""
    np.negative(a, out=a)
    _sigmoid_of_negated_(a)


def _sigmoid_of_negated_(a: np.ndarray) -> None:
    """``a = sigmoid(-a) = 1 / (1 + exp(a))`` in place: the sigmoid of pre-activations whose sign
    the caller has already flipped (in the weights, so the flip costs no pass over the gates).
    ``np.divide(1.0, .)`` rather than ``np.reciprocal``: the same value, and its float32 loop is
    vectorized (measured 1.7x faster). exp overflows to inf only where the sigmoid is 0, which
    1 / inf gives (the caller silences the overflow warning)."""
    np.exp(a, out=a)
    a += 1.0
    np.divide(1.0, a, out=a)


def _tanh(a: np.ndarray, out: np.ndarray) -> None:
    """``out = tanh(a) = 2 / (1 + exp(-2a)) - 1``. NumPy's float32 tanh has no vectorized kernel on
    many CPUs (measured 12 ns an element on an AVX2 EPYC, against 3 for exp), so this form, one exp
    and four cheap passes, is several times faster there. exp overflows to inf only where
    tanh is -1, which 2 / inf - 1 gives (the caller silences the warning). Absolute error: a few eps."""
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0


def lengths_mask(lengths: Any, steps: int) -> np.ndarray:
    """The ``(N, T)`` boolean mask ``t < lengths[n]`` of sequences of the given lengths."""
    return np.arange(steps)[np.newaxis, :] < np.asarray(lengths).reshape(-1, 1)


class _Recurrent(Function):
    """What the three ops share: options, buffers, the step order and the weight gradients."""

    gates = 1

    def __init__(
        self,
        mask: np.ndarray | None = None,
        reverse: bool = False,
        recurrent_mask: np.ndarray | None = None,
    ) -> None:
        self.mask = mask
        self.reverse = reverse
        self.recurrent_mask = recurrent_mask

    def flops(self, input_shapes: list[tuple[int, ...]], output_shape: tuple[int, ...]) -> int:
        """The two products of every step, x W_ih^T and h W_hh^T for all ``gates`` gates
        (2 (I + H) G H per sample and step), plus a few element-wise operations per gate value."""
        n, steps, features = input_shapes[0]
        hidden = int(output_shape[-1])
        per_step = 2 * (features + hidden) * self.gates * hidden + 4 * self.gates * hidden
        return int(n) * int(steps) * per_step

    def _states(self, first: np.ndarray, steps: int, dtype: np.dtype) -> np.ndarray:
        """The ``(T + 1, N, H)`` buffer of states, ``first`` at the end the forward pass starts from."""
        states = np.empty((steps + 1, *first.shape), dtype=dtype)
        states[steps if self.reverse else 0] = first
        return states

    def _previous(self, h: np.ndarray, before: int) -> np.ndarray:
        """h_{t-1} as step t reads it: times the recurrent dropout mask when there is one."""
        return h[before] if self.recurrent_mask is None else h[before] * self.recurrent_mask

    def _steps(self, steps: int, backward: bool = False) -> range:
        """Time indices in the order the forward pass visits them (reversed for backward)."""
        if self.reverse != backward:
            return range(steps - 1, -1, -1)
        return range(steps)

    def _ends(self, t: int) -> tuple[int, int]:
        """Indices into the (T + 1)-long state buffer of the state before and after step t."""
        return (t + 1, t) if self.reverse else (t, t + 1)

    def _time_masks(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Per step ``(T, N, 1)``: m (valid) and 1 - m (carried) as floats, or None without a mask."""
        if self.mask is None:
            return None, None
        valid = np.ascontiguousarray(self.mask.T)[:, :, np.newaxis]
        return valid.astype(dtype), (~valid).astype(dtype)

    def _project(self, x: np.ndarray, w_ih: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x in time-major order ``(T, N, I)`` and its projection ``(T, N, G*H)`` in one GEMM."""
        xt = np.ascontiguousarray(x.transpose(1, 0, 2))
        steps, n, features = xt.shape
        projected = (xt.reshape(steps * n, features) @ w_ih.T).reshape(steps, n, w_ih.shape[0])
        return xt, projected

    def _pack(self, states: list[np.ndarray], valid: np.ndarray | None) -> np.ndarray:
        """The output array ``(N, T + S, H)``: outputs (0 at masked steps), then the final states."""
        h = states[0]
        steps = h.shape[0] - 1
        out = np.empty((steps + len(states), *h.shape[1:]), dtype=h.dtype)
        outputs = h[:steps] if self.reverse else h[1:]
        if valid is None:
            out[:steps] = outputs
        else:
            np.multiply(outputs, valid, out=out[:steps])
        last = 0 if self.reverse else steps
        for k, state in enumerate(states):
            out[steps + k] = state[last]
        return out.transpose(1, 0, 2)

    def _previous_states(self, h: np.ndarray) -> np.ndarray:
        """``(T, N, H)``: the state each step started from (what multiplied W_hh)."""
        steps = h.shape[0] - 1
        previous = h[1:] if self.reverse else h[:steps]
        return previous if self.recurrent_mask is None else previous * self.recurrent_mask

    def _input_grads(
        self,
        dgates: np.ndarray,
        dgates_h: np.ndarray,
        xt: np.ndarray,
        h: np.ndarray,
        w_ih: np.ndarray,
        n_biases: int,
        first: int,
    ) -> list[np.ndarray | None]:
        """dx, dW_ih, dW_hh and the bias gradients from every step's gate gradients, one GEMM each.

        ``first`` is the index of x in the inputs (the weights follow the initial states)."""
        steps, n, width = dgates.shape
        flat = dgates.reshape(steps * n, width)
        flat_h = dgates_h.reshape(steps * n, width)
        needs = self.needs_grad
        dx = dw_ih = dw_hh = None
        if needs[0]:
            dx = (flat @ w_ih).reshape(steps, n, -1).transpose(1, 0, 2)
        if needs[first]:
            dw_ih = flat.T @ xt.reshape(steps * n, -1)
        if needs[first + 1]:
            dw_hh = flat_h.T @ self._previous_states(h).reshape(steps * n, -1)
        grads = [dx, dw_ih, dw_hh]
        if n_biases >= 1:
            grads.append(flat.sum(axis=0) if needs[first + 2] else None)
        if n_biases == 2:
            grads.append(flat_h.sum(axis=0) if needs[first + 3] else None)
        return grads

    def _check(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        w_ih: np.ndarray,
        w_hh: np.ndarray,
        biases: tuple[np.ndarray, ...],
    ) -> None:
        """Shapes the layers have already checked with better messages: a last line of defence."""
        width = self.gates * w_hh.shape[1]
        ok = (
            x.ndim == 3
            and w_ih.shape == (width, x.shape[2])
            and w_hh.shape == (width, width // self.gates)
            and h0.shape == (x.shape[0], w_hh.shape[1])
            and len(biases) <= 2
            and all(b.shape == (width,) for b in biases)
        )
        if not ok:
            raise ShapeError(
                f"{self.name}: expected x (N, T, I), h0 (N, H), w_ih ({self.gates}H, I), w_hh ({self.gates}H, H) "
                f"and biases ({self.gates}H,); got x {x.shape}, h0 {h0.shape}, w_ih {w_ih.shape}, "
                f"w_hh {w_hh.shape}, biases {[b.shape for b in biases]}."
            )
        if self.mask is not None and self.mask.shape != x.shape[:2]:
            raise ShapeError(
                f"{self.name}: mask of shape {self.mask.shape} does not fit x {x.shape} (N, T)."
            )


class RNNSequence(_Recurrent):
    """Elman RNN over a sequence: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``, act tanh or relu.

    forward:  a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh;  h_t = act(a_t)
    backward: da_t = (dy_t + dh_t) * act'(a_t)   (tanh' = 1 - h_t^2, relu' = [h_t > 0]);
              dh_{t-1} = da_t W_hh;  dx_t = da_t W_ih;
              dW_ih = sum_t da_t^T x_t;  dW_hh = sum_t da_t^T h_{t-1};  db_ih = db_hh = sum_t da_t
    shapes:   x (N, T, I), h0 (N, H), w_ih (H, I), w_hh (H, H), b (H,) -> (N, T + 1, H)
    """

    def __init__(self, nonlinearity: str = "tanh", **options: Any) -> None:
        super().__init__(**options)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity

    def forward(
        self, x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, *biases: np.ndarray
    ) -> np.ndarray:
        self._check(x, h0, w_ih, w_hh, biases)
        xt, pre = self._project(x, w_ih)
        for b in biases:
            pre += b
        steps, n, hidden = pre.shape
        valid, carried = self._time_masks(pre.dtype)
        h = self._states(h0, steps, pre.dtype)
        w_hh_t = w_hh.T
        recurrent = np.empty((n, hidden), dtype=pre.dtype)
        with np.errstate(over="ignore"):
            for t in self._steps(steps):
                before, after = self._ends(t)
                np.matmul(self._previous(h, before), w_hh_t, out=recurrent)
                a = pre[t]
                a += recurrent
                if self.nonlinearity == "tanh":
                    _tanh(a, h[after])
                else:
                    np.maximum(a, 0.0, out=h[after])
                if valid is not None:
                    np.copyto(h[after], h[before], where=carried[t].astype(bool))
        self.save(xt, h, w_ih, w_hh, len(biases), valid, carried)
        return self._pack([h], valid)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xt, h, w_ih, w_hh, n_biases, valid, carried = self.saved
        steps = xt.shape[0]
        dyt = dy.transpose(1, 0, 2)
        dh = dyt[steps].copy()
        da = np.empty((steps, *dh.shape), dtype=dh.dtype)
        for t in self._steps(steps, backward=True):
            after = self._ends(t)[1]
            d = da[t]
            if valid is None:
                dh += dyt[t]
                np.copyto(d, dh)
            else:
                # A masked step outputs 0 and passes its state on: dy_t reaches only a valid step.
                np.add(dh, dyt[t], out=d)
                d *= valid[t]
            if self.nonlinearity == "tanh":
                d *= 1.0 - h[after] * h[after]
            else:
                d *= h[after] > 0
            through = d @ w_hh
            if self.recurrent_mask is not None:
                through *= self.recurrent_mask
            if valid is None:
                dh = through
            else:
                dh *= carried[t]
                dh += through
        grads = self._input_grads(da, da, xt, h, w_ih, n_biases, first=2)
        return grads[0], (dh if self.needs_grad[1] else None), *grads[1:]


class LSTMSequence(_Recurrent):
    """LSTM over a sequence, PyTorch's gate order (input, forget, cell, output).

    forward:  [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
              i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g)
              c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    backward: dh = dy_t + dh_t (from step t+1);  dc = dc_t (from t+1) + dh * o * (1 - tanh(c_t)^2)
              da_o = dh * tanh(c_t) * o(1-o);  da_i = dc * g * i(1-i);  da_f = dc * c_{t-1} * f(1-f)
              da_g = dc * i * (1 - g^2);  dc_{t-1} = dc * f;  dh_{t-1} = da W_hh
              dx_t = da W_ih;  dW_ih = sum_t da^T x_t;  dW_hh = sum_t da^T h_{t-1};  db = sum_t da
    shapes:   x (N, T, I), h0, c0 (N, H), w_ih (4H, I), w_hh (4H, H), b (4H,) -> (N, T + 2, H)

    Memory layout (the math above is unchanged): the kernel works feature-major, on the
    transposes. A step's gates are one ``(4H, N)`` array, so each gate is a contiguous ``(H, N)``
    block (element-wise passes over contiguous memory), and every product has the 4H side as
    its rows (``W_hh (4H, H) @ h_{t-1}^T``), a shape OpenBLAS splits better over threads. The
    weight gradients are summed step by step while the step's gate gradients are in cache.
    """

    gates = 4

    def _feature_major_masks(
        self, dtype: np.dtype
    ) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Per step ``(T, 1, N)``: m (valid) and 1 - m (carried) as floats, or None without a mask."""
        if self.mask is None:
            return None, None
        valid = np.ascontiguousarray(self.mask.T)[:, np.newaxis, :]
        return valid.astype(dtype), (~valid).astype(dtype)

    def forward(
        self,
        x: np.ndarray,
        h0: np.ndarray,
        c0: np.ndarray,
        w_ih: np.ndarray,
        w_hh: np.ndarray,
        *biases: np.ndarray,
    ) -> np.ndarray:
        self._check(x, h0, w_ih, w_hh, biases)
        if c0.shape != h0.shape:
            raise ShapeError(f"lstmsequence: c0 has shape {c0.shape}, expected h0's {h0.shape}.")
        hidden = w_hh.shape[1]
        cell = slice(2 * hidden, 3 * hidden)
        # One exp covers the four gates of a step: each gate's rows of the weights and biases are
        # scaled by -1 (sigmoid(a) = 1 / (1 + exp(-a)) then needs no negation pass) and the cell
        # gate's by -2 (tanh(a) = 2 sigmoid(2a) - 1; g = 2 s - 1 then fixes the cell gate).
        scale = np.full((4 * hidden, 1), -1.0, dtype=np.result_type(w_ih, w_hh))
        scale[cell] = -2.0
        xt = np.ascontiguousarray(x.transpose(1, 2, 0))  # (T, I, N)
        gates = np.matmul(w_ih * scale, xt)  # (T, 4H, N); overwritten step by step with the gates
        if biases:  # b_ih + b_hh first: one pass over the (T, 4H, N) gates instead of two
            gates += (sum(biases) * scale[:, 0])[:, np.newaxis]
        steps, width, n = gates.shape
        dtype = gates.dtype
        valid, carried = self._feature_major_masks(dtype)
        h, c = self._states(h0.T, steps, dtype), self._states(c0.T, steps, dtype)  # (T + 1, H, N)
        tanh_c = np.empty((steps, hidden, n), dtype=dtype)
        w_hh_scaled = w_hh * scale
        dropped = None if self.recurrent_mask is None else self.recurrent_mask.T
        recurrent = np.empty((width, n), dtype=dtype)
        product = np.empty((hidden, n), dtype=dtype)
        with np.errstate(over="ignore"):
            for t in self._steps(steps):
                before, after = self._ends(t)
                previous = h[before] if dropped is None else h[before] * dropped
                np.matmul(w_hh_scaled, previous, out=recurrent)
                a = gates[t]
                a += recurrent
                _sigmoid_of_negated_(a)
                i, f, g, o = a[:hidden], a[hidden : 2 * hidden], a[cell], a[3 * hidden :]
                g *= 2.0
                g -= 1.0
                np.multiply(f, c[before], out=c[after])
                np.multiply(i, g, out=product)
                c[after] += product
                _tanh(c[after], tanh_c[t])
                np.multiply(o, tanh_c[t], out=h[after])
                if valid is not None:
                    keep = carried[t].astype(bool)
                    np.copyto(h[after], h[before], where=keep)
                    np.copyto(c[after], c[before], where=keep)
        self.save(xt, gates, h, c, tanh_c, w_ih, w_hh, len(biases), valid, carried)
        # The output (N, T + 2, H) as a view of a feature-major (T + 2, H, N) array.
        out = np.empty((steps + 2, hidden, n), dtype=dtype)
        outputs = h[:steps] if self.reverse else h[1:]
        if valid is None:
            out[:steps] = outputs
        else:
            np.multiply(outputs, valid, out=out[:steps])
        last = 0 if self.reverse else steps
        out[steps], out[steps + 1] = h[last], c[last]
        return out.transpose(2, 0, 1)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xt, gates, h, c, tanh_c, w_ih, w_hh, n_biases, valid, carried = self.saved
        steps, width, n = gates.shape
        hidden = width // 4
        cell = slice(2 * hidden, 3 * hidden)
        dtype = gates.dtype
        dyt = dy.transpose(1, 2, 0)  # (T + 2, H, N)
        # A layer that returns only its last state sends zeros for every output: skip adding them.
        outputs_have_grad = bool(dy[:, :steps].any())
        if outputs_have_grad:
            dyt = np.ascontiguousarray(dyt)
        dh = dyt[steps].copy()
        dc = dyt[steps + 1].copy()
        through = np.empty_like(dh)  # W_hh^T da; swapped with dh, so no step allocates
        da = np.empty((width, n), dtype=dtype)  # this step's gate gradients
        slope = np.empty((width, n), dtype=dtype)  # each gate's derivative at its input
        work = np.empty((hidden, n), dtype=dtype)
        needs = self.needs_grad
        want_b = n_biases > 0 and any(needs[5:])
        dx = np.empty((steps, xt.shape[1], n), dtype=dtype) if needs[0] else None
        dw_ih = np.zeros(w_ih.shape, dtype=dtype) if needs[3] else None
        dw_hh = np.zeros(w_hh.shape, dtype=dtype) if needs[4] else None
        db = np.zeros(width, dtype=dtype) if want_b else None
        step_ih = np.empty(w_ih.shape, dtype=dtype)
        step_hh = np.empty(w_hh.shape, dtype=dtype)
        dropped = None if self.recurrent_mask is None else self.recurrent_mask.T
        order = self._steps(steps, backward=True)
        last = order[-1]
        for t in order:
            before = self._ends(t)[0]
            a = gates[t]
            i, f, g, o = a[:hidden], a[hidden : 2 * hidden], a[cell], a[3 * hidden :]
            if valid is not None:
                # A valid step's cell gets the gradient; a masked one outputs 0 and passes its
                # state on, so its dy_t is dropped and the state's gradient goes straight through.
                dh_step, dc_step = (dh + dyt[t]) * valid[t], dc * valid[t]
                dh *= carried[t]
                dc *= carried[t]
            else:
                if outputs_have_grad:
                    dh += dyt[t]
                dh_step, dc_step = dh, dc
            tc = tanh_c[t]
            np.multiply(tc, tc, out=work)  # dc += dh * o * (1 - tanh(c)^2)
            np.subtract(1.0, work, out=work)
            work *= o
            work *= dh_step
            dc_step += work
            # Upstream of each gate: dc * g, dc * c_{t-1}, dc * i, dh * tanh(c) ...
            np.multiply(dc_step, g, out=da[:hidden])
            np.multiply(dc_step, c[before], out=da[hidden : 2 * hidden])
            np.multiply(dc_step, i, out=da[cell])
            np.multiply(dh_step, tc, out=da[3 * hidden :])
            # ... times the derivative: s(1 - s) for the sigmoid gates, 1 - g^2 for the cell gate.
            np.multiply(a, a, out=slope)
            np.subtract(a, slope, out=slope)
            slope[cell] += 1.0  # (g - g^2) + 1 - g = 1 - g^2
            slope[cell] -= g
            da *= slope
            # This step's share of dW_hh = sum_t da^T h_{t-1}, dW_ih = sum_t da^T x_t, db, dx_t.
            if dw_hh is not None:
                previous = h[before] if dropped is None else h[before] * dropped
                np.matmul(da, previous.T, out=step_hh)
                dw_hh += step_hh
            if dw_ih is not None:
                np.matmul(da, xt[t].T, out=step_ih)
                dw_ih += step_ih
            if db is not None:
                db += da.sum(axis=1)
            if dx is not None:
                np.matmul(w_ih.T, da, out=dx[t])
            if t == last and not (needs[1] or needs[2]):
                break  # dh_0 and dc_0 are not wanted: skip the last product with W_hh
            np.matmul(w_hh.T, da, out=through)
            if dropped is not None:
                through *= dropped
            dc_step *= f
            if valid is None:
                dh, through = through, dh  # dc_step is dc
            else:
                dh += through
                dc += dc_step
        bias_grads = [
            (db if k == 0 else db.copy()) if db is not None and needs[5 + k] else None
            for k in range(n_biases)
        ]
        return (
            None if dx is None else dx.transpose(2, 0, 1),
            dh.T if needs[1] else None,
            dc.T if needs[2] else None,
            dw_ih,
            dw_hh,
            *bias_grads,
        )


class GRUSequence(_Recurrent):
    """GRU over a sequence with PyTorch's gate order (reset, update, new) and equations (Keras's
    ``reset_after=True``).

    forward:  [x_r, x_z, x_n] = x_t W_ih^T + b_ih;  [h_r, h_z, h_n] = h_{t-1} W_hh^T + b_hh
              r = sigmoid(x_r + h_r);  z = sigmoid(x_z + h_z);  n = tanh(x_n + r * h_n)
              h_t = (1 - z) * n + z * h_{t-1}
    backward: dh = dy_t + dh_t (from step t+1);  dn = dh * (1 - z) * (1 - n^2)
              dz = dh * (h_{t-1} - n) * z(1-z);  dr = dn * h_n * r(1-r);  dh_n = dn * r
              input side da_x = [dr, dz, dn];  hidden side da_h = [dr, dz, dh_n]
              dh_{t-1} = dh * z + da_h W_hh;  dx_t = da_x W_ih
              dW_ih = sum_t da_x^T x_t;  dW_hh = sum_t da_h^T h_{t-1};  db_ih = sum da_x;  db_hh = sum da_h
    shapes:   x (N, T, I), h0 (N, H), w_ih (3H, I), w_hh (3H, H), b (3H,) -> (N, T + 1, H)
    """

    gates = 3

    def forward(
        self, x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, *biases: np.ndarray
    ) -> np.ndarray:
        self._check(x, h0, w_ih, w_hh, biases)
        xt, gates = self._project(x, w_ih)  # becomes [r, z, n] step by step
        steps, n, width = gates.shape
        hidden = width // 3
        if biases:
            gates += biases[0]
        b_hn = None
        if len(biases) == 2:
            gates[:, :, : 2 * hidden] += biases[1][: 2 * hidden]  # r and z add both biases
            b_hn = biases[1][2 * hidden :]
        valid, carried = self._time_masks(gates.dtype)
        h = self._states(h0, steps, gates.dtype)
        hn = np.empty(
            (steps, n, hidden), dtype=gates.dtype
        )  # W_hn h_{t-1} + b_hn, kept for backward
        w_hh_t = w_hh.T
        recurrent = np.empty((n, width), dtype=gates.dtype)
        with np.errstate(over="ignore"):
            for t in self._steps(steps):
                before, after = self._ends(t)
                np.matmul(self._previous(h, before), w_hh_t, out=recurrent)
                a = gates[t]
                rz = a[:, : 2 * hidden]
                rz += recurrent[:, : 2 * hidden]
                _sigmoid_(rz)
                r, z, new = a[:, :hidden], a[:, hidden : 2 * hidden], a[:, 2 * hidden :]
                if b_hn is None:
                    hn[t] = recurrent[:, 2 * hidden :]
                else:
                    np.add(recurrent[:, 2 * hidden :], b_hn, out=hn[t])
                new += r * hn[t]
                _tanh(new, new)
                np.subtract(h[before], new, out=h[after])  # h = n + z * (h_prev - n)
                h[after] *= z
                h[after] += new
                if valid is not None:
                    np.copyto(h[after], h[before], where=carried[t].astype(bool))
        self.save(xt, gates, hn, h, w_ih, w_hh, len(biases), valid, carried)
        return self._pack([h], valid)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xt, gates, hn, h, w_ih, w_hh, n_biases, valid, carried = self.saved
        steps, _, width = gates.shape
        hidden = width // 3
        dyt = dy.transpose(1, 0, 2)
        dh = dyt[steps].copy()
        dgates = np.empty_like(gates)
        dgates_h = np.empty_like(gates)
        for t in self._steps(steps, backward=True):
            before = self._ends(t)[0]
            a, dx_side, dh_side = gates[t], dgates[t], dgates_h[t]
            r, z, new = a[:, :hidden], a[:, hidden : 2 * hidden], a[:, 2 * hidden :]
            dr, dz, dnew = (
                dx_side[:, :hidden],
                dx_side[:, hidden : 2 * hidden],
                dx_side[:, 2 * hidden :],
            )
            if valid is not None:
                dh_step = (dh + dyt[t]) * valid[t]  # as in LSTMSequence.backward
                dh *= carried[t]
            else:
                dh += dyt[t]
                dh_step = dh
            np.subtract(1.0, z, out=dnew)
            dnew *= dh_step
            dnew *= 1.0 - new * new
            np.subtract(h[before], new, out=dz)
            dz *= dh_step
            dz *= z - z * z
            np.multiply(dnew, hn[t], out=dr)
            dr *= r - r * r
            dh_side[:, : 2 * hidden] = dx_side[:, : 2 * hidden]
            np.multiply(dnew, r, out=dh_side[:, 2 * hidden :])
            through = dh_side @ w_hh
            if self.recurrent_mask is not None:
                through *= self.recurrent_mask
            through += dh_step * z
            if valid is None:
                dh = through
            else:
                dh += through
        grads = self._input_grads(dgates, dgates_h, xt, h, w_ih, n_biases, first=2)
        return grads[0], (dh if self.needs_grad[1] else None), *grads[1:]


def _options(mask: Any, reverse: bool, recurrent_mask: Any) -> dict[str, Any]:
    return {
        "mask": None if mask is None else np.asarray(mask, dtype=bool),
        "reverse": bool(reverse),
        "recurrent_mask": None if recurrent_mask is None else np.asarray(recurrent_mask),
    }


def _biases(b_ih: TensorLike | None, b_hh: TensorLike | None) -> tuple[TensorLike, ...]:
    if b_ih is None and b_hh is not None:
        raise ValueError(
            "recurrent ops: b_hh given without b_ih; pass b_ih too (zeros if need be)."
        )
    return tuple(b for b in (b_ih, b_hh) if b is not None)


def _split(packed: Tensor, steps: int, states: int) -> tuple[Tensor, ...]:
    return (
        getitem(packed, (slice(None), slice(0, steps))),
        *(getitem(packed, (slice(None), steps + k)) for k in range(states)),
    )


def rnn(
    x: TensorLike,
    h0: TensorLike,
    w_ih: TensorLike,
    w_hh: TensorLike,
    b_ih: TensorLike | None = None,
    b_hh: TensorLike | None = None,
    nonlinearity: str = "tanh",
    mask: Any = None,
    reverse: bool = False,
    recurrent_mask: Any = None,
) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer over a whole sequence: ``(output (N, T, H), h_n (N, H))``. See
    :class:`RNNSequence` and the module docstring for ``mask``, ``reverse`` and ``recurrent_mask``.

    >>> import glassnet as gn, numpy as np
    >>> x, h0 = np.ones((2, 5, 3)), np.zeros((2, 4))
    >>> out, h_n = gn.functional.rnn(x, h0, np.full((4, 3), 0.1), np.eye(4) * 0.5)
    >>> out.shape, h_n.shape
    ((2, 5, 4), (2, 4))
    """
    packed = RNNSequence.apply(
        x,
        h0,
        w_ih,
        w_hh,
        *_biases(b_ih, b_hh),
        nonlinearity=nonlinearity,
        **_options(mask, reverse, recurrent_mask),
    )
    return _split(packed, packed.shape[1] - 1, 1)  # type: ignore[return-value]


def lstm(
    x: TensorLike,
    h0: TensorLike,
    c0: TensorLike,
    w_ih: TensorLike,
    w_hh: TensorLike,
    b_ih: TensorLike | None = None,
    b_hh: TensorLike | None = None,
    mask: Any = None,
    reverse: bool = False,
    recurrent_mask: Any = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a whole sequence: ``(output (N, T, H), h_n (N, H), c_n (N, H))``. See
    :class:`LSTMSequence`."""
    packed = LSTMSequence.apply(
        x, h0, c0, w_ih, w_hh, *_biases(b_ih, b_hh), **_options(mask, reverse, recurrent_mask)
    )
    return _split(packed, packed.shape[1] - 2, 2)  # type: ignore[return-value]


def gru(
    x: TensorLike,
    h0: TensorLike,
    w_ih: TensorLike,
    w_hh: TensorLike,
    b_ih: TensorLike | None = None,
    b_hh: TensorLike | None = None,
    mask: Any = None,
    reverse: bool = False,
    recurrent_mask: Any = None,
) -> tuple[Tensor, Tensor]:
    """One GRU layer over a whole sequence: ``(output (N, T, H), h_n (N, H))``. See :class:`GRUSequence`."""
    packed = GRUSequence.apply(
        x, h0, w_ih, w_hh, *_biases(b_ih, b_hh), **_options(mask, reverse, recurrent_mask)
    )
    return _split(packed, packed.shape[1] - 1, 1)  # type: ignore[return-value]
