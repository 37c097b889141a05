"""Training throughput of a one-layer LSTM: glassnet fit vs a hand-written NumPy LSTM vs PyTorch.

Input 32 features, hidden 128, 50 steps, batch 64, a Linear head on the last state, MSE loss,
SGD (lr 0.01), float32, synthetic data. Every round trains one epoch with each of the three,
interleaved in one process (PyTorch on 2 threads). The figures are the median samples per second
over the rounds and the median over rounds of each round's ratio to the NumPy step (paired ratios
cancel the machine's drift between rounds), with the range of those per-round ratios.

    python benchmarks/lstm_throughput.py [--rounds 7] [--samples 4096]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable

import numpy as np
from harness import interleaved_rates, shuffled_epoch

import glassnet as gn

FEATURES, HIDDEN, STEPS, BATCH, LR = 32, 128, 50, 64, 0.01


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, STEPS, FEATURES)).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1, keepdims=True) * 3).astype(np.float32)
    return x, y


def initial_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch's layout: w_ih (4H, I), w_hh (4H, H), one bias (4H,), head (1, H) and (1,)."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(HIDDEN)
    shapes = {
        "w_ih": (4 * HIDDEN, FEATURES),
        "w_hh": (4 * HIDDEN, HIDDEN),
        "b": (4 * HIDDEN,),
        "w_out": (1, HIDDEN),
        "b_out": (1,),
    }
    return {
        name: rng.uniform(-bound, bound, size=shape).astype(np.float32)
        for name, shape in shapes.items()
    }


def _sigmoid_(a: np.ndarray) -> None:
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


def _tanh(a: np.ndarray, out: np.ndarray) -> None:
    # 2 / (1 + exp(-2a)) - 1: NumPy's float32 tanh is scalar code on many CPUs, exp is not.
    np.multiply(a, -2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    out -= 1.0


class NumpyLSTM:
    """One SGD step written by hand: the LSTM forward over the steps, the head, MSE, BPTT, update.

    It uses the element-wise tricks of glassnet's op (one sigmoid for the four gates with the cell
    gate's rows doubled, tanh through exp) in the plain samples-first layout; glassnet's op also
    works feature-major (gates (4H, N) per step, see LSTMSequence), which this floor does not.
    """

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.w = {name: value.copy() for name, value in weights.items()}

    def epoch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        shuffled_epoch(self.step, x, y, BATCH, rng)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        w = self.w
        n, steps, features = x.shape
        hid = HIDDEN
        cell = slice(2 * hid, 3 * hid)
        scale = np.ones(4 * hid, np.float32)
        scale[cell] = 2.0
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(steps * n, features)
        gates = (xt @ (w["w_ih"] * scale[:, None]).T).reshape(steps, n, 4 * hid)
        gates += w["b"] * scale
        h = np.zeros((steps + 1, n, hid), np.float32)
        c = np.zeros_like(h)
        tc = np.empty((steps, n, hid), np.float32)
        w_hh_t = (w["w_hh"] * scale[:, None]).T
        for t in range(steps):
            a = gates[t]
            a += h[t] @ w_hh_t
            _sigmoid_(a)
            a[:, cell] *= 2.0
            a[:, cell] -= 1.0
            np.multiply(a[:, hid : 2 * hid], c[t], out=c[t + 1])
            c[t + 1] += a[:, :hid] * a[:, cell]
            _tanh(c[t + 1], tc[t])
            np.multiply(a[:, 3 * hid :], tc[t], out=h[t + 1])
        prediction = h[steps] @ w["w_out"].T + w["b_out"]
        d_pred = (prediction - y) * np.float32(2.0 / y.size)
        grads = {"w_out": d_pred.T @ h[steps], "b_out": d_pred.sum(axis=0)}
        dh = d_pred @ w["w_out"]
        dc = np.zeros_like(dh)
        dgates = np.empty_like(gates)
        for t in range(steps - 1, -1, -1):
            a, da = gates[t], dgates[t]
            i, f, g, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
            np.multiply(dh * tc[t], o - o * o, out=da[:, 3 * hid :])
            dc += dh * o * (1.0 - tc[t] * tc[t])
            np.multiply(dc * g, i - i * i, out=da[:, :hid])
            np.multiply(dc * c[t], f - f * f, out=da[:, hid : 2 * hid])
            np.multiply(dc * i, 1.0 - g * g, out=da[:, 2 * hid : 3 * hid])
            dc *= f
            dh = da @ w["w_hh"]
        flat = dgates.reshape(steps * n, 4 * hid)
        grads["w_ih"] = flat.T @ xt
        grads["w_hh"] = flat.T @ h[:steps].reshape(steps * n, hid)
        grads["b"] = flat.sum(axis=0)
        for name, grad in grads.items():
            grad *= LR
            w[name] -= grad


def glassnet_runner(
    x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray]
) -> Callable[[], None]:
    model = gn.Model([gn.LSTM(HIDDEN, input_shape=(STEPS, FEATURES)), gn.Dense(1)])
    model.compile(optimizer=gn.optim.SGD(lr=LR), loss="mse")
    model.load_state_dict(
        {
            "lstm_1.weight_ih": weights["w_ih"],
            "lstm_1.weight_hh": weights["w_hh"],
            "lstm_1.bias": weights["b"],
            "dense_1.weight": weights["w_out"],
            "dense_1.bias": weights["b_out"],
        }
    )

    def run() -> None:
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)

    return run


def torch_runner(
    x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray]
) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    lstm = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, 1)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(weights["w_ih"]))
        lstm.weight_hh_l0.copy_(torch.from_numpy(weights["w_hh"]))
        lstm.bias_ih_l0.copy_(torch.from_numpy(weights["b"]))
        lstm.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(weights["w_out"]))
        head.bias.copy_(torch.from_numpy(weights["b_out"]))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=LR)
    generator = torch.Generator().manual_seed(0)

    def run() -> None:
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            _, (h_n, _) = lstm(xt[index])
            torch.nn.functional.mse_loss(head(h_n[-1]), yt[index]).backward()
            optimizer.step()

    return run


def measure(rounds: int, samples: int) -> dict[str, list[float]]:
    """Samples per second of each runner in each round (after one warm-up round)."""
    x, y = make_data(samples)
    weights = initial_weights()
    floor = NumpyLSTM(weights)
    rng = np.random.default_rng(0)
    runners = {
        "numpy_lstm": lambda: floor.epoch(x, y, rng),
        "glassnet": glassnet_runner(x, y, weights),
    }
    torch_run = torch_runner(x, y, weights)
    if torch_run is not None:
        runners["pytorch"] = torch_run
    return interleaved_rates(runners, len(x), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=4096)
    args = parser.parse_args()
    rates = measure(args.rounds, args.samples)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    paired = {
        name: sorted(f / r for r, f in zip(values, rates["numpy_lstm"]))
        for name, values in rates.items()
    }
    time_ratios = {name: statistics.median(values) for name, values in paired.items()}
    vs_torch = {}
    if "pytorch" in rates:
        vs_torch = {
            name: statistics.median(t / r for r, t in zip(values, rates["pytorch"]))
            for name, values in rates.items()
        }
    print(
        f"LSTM {FEATURES}->{HIDDEN}, {STEPS} steps, batch {BATCH}, {args.samples} samples, float32, SGD; "
        f"{args.rounds} rounds of one epoch each"
    )
    for name, rate in medians.items():
        text = f"  {name:11s} {rate:9.0f} samples/s   time per step {time_ratios[name]:5.2f}x the NumPy LSTM"
        if vs_torch:
            text += f", {vs_torch[name]:5.2f}x PyTorch's"
        print(text + f"  (rounds: {paired[name][0]:.2f}-{paired[name][-1]:.2f})")
    print(
        json.dumps(
            {
                "benchmark": "lstm_throughput",
                "samples_per_s": {k: round(v) for k, v in medians.items()},
                "time_ratio_to_numpy_lstm": {k: round(v, 3) for k, v in time_ratios.items()},
                "time_ratio_to_pytorch": {k: round(v, 3) for k, v in vs_torch.items()},
                "time_ratio_range": {
                    k: [round(v[0], 3), round(v[-1], 3)] for k, v in paired.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
