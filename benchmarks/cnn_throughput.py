"""Training throughput of a small CNN: glassnet fit vs PyTorch (2 threads) vs a hand-written NumPy step.

conv(1->16, 3x3, pad 1)-ReLU-maxpool 2-conv(16->32, 3x3, pad 1)-ReLU-maxpool 2-flatten-Linear(1568->10)
on 1x28x28 inputs (synthetic, float32), softmax cross-entropy, batch 64, SGD (lr 0.01). glassnet runs it
with PyTorch's layers one for one (``glassnet``) and with Keras's ``Conv2D(activation="relu")``, whose
convolution and ReLU are one op (``glassnet_keras``); all start from the same weights. Every round
trains one epoch with each of the three, interleaved in one process; the figures are the median
samples per second over the rounds and the median over rounds of each round's ratio to PyTorch,
with the range of those per-round ratios.

Memory: the peak that ``tracemalloc`` sees during one glassnet training step (arrays allocated by
the step, above what was allocated before it), beside the size of the tensors PyTorch saves for
backward in the same step (its activations) and the sum of the layer outputs of one batch.

    python benchmarks/cnn_throughput.py [--rounds 7] [--samples 6400] [--threads 2]
    python benchmarks/cnn_throughput.py --quick        # a few batches, to check that it runs
    python benchmarks/cnn_throughput.py --keep-freed-memory   # see below

``--keep-freed-memory`` (Linux, glibc) asks the C allocator of the whole process, so of all the
runners alike, to keep freed memory instead of returning it to the system at every step: each
step otherwise gets some of its multi-megabyte arrays in fresh pages, and the page faults cost
glassnet's NumPy steps (dozens of arrays each) a large part of their time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tracemalloc
from collections.abc import Callable

import numpy as np
from harness import interleaved_rates, shuffled_epoch
from numpy.lib.stride_tricks import sliding_window_view

import glassnet as gn

BATCH = 64
LR = 0.01
SHAPES = {
    "conv1.weight": (16, 1, 3, 3),
    "conv1.bias": (16,),
    "conv2.weight": (32, 16, 3, 3),
    "conv2.bias": (32,),
    "fc.weight": (10, 1568),
    "fc.bias": (10,),
}


def keep_freed_memory() -> bool:
    """glibc's mallopt: serve arrays up to 32 MB from the heap and never trim it (Linux only)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 32 * 2**20)) and bool(
        libc.mallopt(m_trim_threshold, 2**30)
    )


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n)


def initial_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch's default initialization: U(+-1/sqrt(fan_in)) for weights and biases."""
    rng = np.random.default_rng(seed)
    fan_in = {"conv1": 9, "conv2": 144, "fc": 1568}
    return {
        name: rng.uniform(-1, 1, shape).astype(np.float32)
        / np.float32(np.sqrt(fan_in[name.split(".")[0]]))
        for name, shape in SHAPES.items()
    }


class NumpyIm2col:
    """One SGD step written by hand with the textbook im2col: columns ``(N Ho Wo, C k k)`` from
    ``sliding_window_view``, one matrix product per convolution, max pooling by a 2x2 reshape."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.p = {name: value.copy() for name, value in weights.items()}

    def epoch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        shuffled_epoch(self.step, x, y, BATCH, rng)

    @staticmethod
    def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, c, h, wd = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = (
            sliding_window_view(xp, (3, 3), axis=(2, 3))
            .transpose(0, 2, 3, 1, 4, 5)
            .reshape(n * h * wd, c * 9)
        )
        out = cols @ w.reshape(len(w), -1).T + b
        return out.reshape(n, h, wd, len(w)).transpose(0, 3, 1, 2), cols

    @staticmethod
    def conv_backward(
        dout: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], need_dx: bool
    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        n, c, h, wd = x_shape
        d2 = dout.transpose(0, 2, 3, 1).reshape(-1, len(w))
        dw = (d2.T @ cols).reshape(w.shape)
        db = d2.sum(axis=0)
        if not need_dx:
            return None, dw, db
        dcols = (d2 @ w.reshape(len(w), -1)).reshape(n, h, wd, c, 3, 3)
        dxp = np.zeros((n, c, h + 2, wd + 2), dtype=dout.dtype)
        for i in range(3):
            for j in range(3):
                dxp[:, :, i : i + h, j : j + wd] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return dxp[:, :, 1:-1, 1:-1], dw, db

    @staticmethod
    def pool(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, c, h, w = a.shape
        windows = a.reshape(n, c, h // 2, 2, w // 2, 2)
        out = windows.max(axis=(3, 5))
        mask = windows == out[:, :, :, None, :, None]
        return out, mask

    @staticmethod
    def pool_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
        n, c, h2, _, w2, _ = mask.shape
        return (mask * dout[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        p = self.p
        z1, cols1 = self.conv(x, p["conv1.weight"], p["conv1.bias"])
        a1 = np.maximum(z1, 0)
        h1, mask1 = self.pool(a1)
        z2, cols2 = self.conv(h1, p["conv2.weight"], p["conv2.bias"])
        a2 = np.maximum(z2, 0)
        h2, mask2 = self.pool(a2)
        flat = h2.reshape(len(x), -1)
        logits = flat @ p["fc.weight"].T + p["fc.bias"]
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(y)), y] -= 1
        dlogits = probs / len(y)
        grads = {"fc.weight": dlogits.T @ flat, "fc.bias": dlogits.sum(axis=0)}
        dh2 = (dlogits @ p["fc.weight"]).reshape(h2.shape)
        dz2 = self.pool_backward(dh2, mask2) * (z2 > 0)
        dh1, grads["conv2.weight"], grads["conv2.bias"] = self.conv_backward(
            dz2, cols2, p["conv2.weight"], h1.shape, True
        )
        dz1 = self.pool_backward(dh1, mask1) * (z1 > 0)
        _, grads["conv1.weight"], grads["conv1.bias"] = self.conv_backward(
            dz1, cols1, p["conv1.weight"], x.shape, False
        )
        for name, grad in grads.items():
            p[name] -= LR * grad


def glassnet_model(weights: dict[str, np.ndarray], keras: bool = False) -> gn.Model:
    """PyTorch's layers one for one, or (``keras``) Keras's Conv2D(activation="relu"): one op for
    the convolution and its ReLU."""
    nn = gn.nn
    if keras:
        layers = [
            gn.Conv2D(
                16,
                3,
                padding="same",
                activation="relu",
                data_format="channels_first",
                in_channels=1,
            ),
            nn.MaxPool2d(2),
            gn.Conv2D(
                32,
                3,
                padding="same",
                activation="relu",
                data_format="channels_first",
                in_channels=16,
            ),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1568, 10),
        ]
    else:
        layers = [
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1568, 10),
        ]
    model = gn.Model(layers)
    model.compile(
        optimizer=gn.optim.SGD(lr=LR),
        loss=gn.losses.SparseCategoricalCrossEntropy(from_logits=True),
    )
    convs = [layer for layer in model.layers if isinstance(layer, (nn.Conv2d, nn.Conv2D))]
    params = {"conv1": convs[0], "conv2": convs[1], "fc": model.layers[-1]}
    for name, value in weights.items():
        layer, param = name.split(".")
        getattr(params[layer], param).data[...] = value
    return model


def glassnet_runner(
    x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray], keras: bool = False
) -> Callable[[], None]:
    model = glassnet_model(weights, keras)

    def run() -> None:
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)

    run.model = model  # type: ignore[attr-defined]
    return run


def torch_net(torch, weights: dict[str, np.ndarray]):
    tnn = torch.nn
    net = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(1568, 10),
    )
    layers = {"conv1": net[0], "conv2": net[3], "fc": net[7]}
    with torch.no_grad():
        for name, value in weights.items():
            layer, param = name.split(".")
            getattr(layers[layer], param).copy_(torch.from_numpy(value))
    return net


def torch_runner(
    x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray], threads: int
) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    net = torch_net(torch, weights)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(0)

    def run() -> None:
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(xt), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[index]), yt[index]).backward()
            optimizer.step()

    return run


def glassnet_step_peak(
    x: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray], keras: bool = False
) -> int:
    """Bytes that one training step of fit's compiled path holds at its peak (tracemalloc): what it
    allocates, plus the convolutions' reused work arrays (allocated by an earlier step and kept)."""
    from glassnet.ops.conv import _scratch

    model = glassnet_model(weights, keras)
    model.fit(
        x[: 2 * BATCH], y[: 2 * BATCH], epochs=1, batch_size=BATCH, verbose=0
    )  # records and compiles
    step = model._make_fit_step(*model._training_forward(model.compiled_loss), weighted=False)
    xb, yb = x[:BATCH], y[:BATCH]
    with model.mode(training=True):
        step(xb, yb)  # warm: reused work arrays exist, as in every step of an epoch
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        step(xb, yb)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    return peak + sum(buffer.nbytes for buffer in _scratch.buffers.values())


def torch_activation_bytes(x: np.ndarray, weights: dict[str, np.ndarray]) -> dict[str, int]:
    """The tensors PyTorch saves for backward in one step, and the layer outputs' total size."""
    import torch

    net = torch_net(torch, weights)
    xt = torch.from_numpy(x[:BATCH])
    saved: dict[int, int] = {}
    params = {p.data_ptr() for p in net.parameters()} | {xt.data_ptr()}

    def pack(tensor):
        if tensor.data_ptr() not in params:
            saved[tensor.data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out = net(xt)
    outputs, h = 0, xt
    with torch.no_grad():
        for layer in net:
            h = layer(h)
            outputs += h.numel() * h.element_size()
    del out
    return {"saved_for_backward": sum(saved.values()), "layer_outputs": outputs}


def measure(rounds: int, samples: int, threads: int) -> dict[str, list[float]]:
    """Samples per second of each runner in each round (after one warm-up round)."""
    x, y = make_data(samples)
    weights = initial_weights()
    handwritten = NumpyIm2col(weights)
    rng = np.random.default_rng(0)
    runners = {
        "numpy_im2col": lambda: handwritten.epoch(x, y, rng),
        "glassnet": glassnet_runner(x, y, weights),
        "glassnet_keras": glassnet_runner(x, y, weights, keras=True),
    }
    torch_run = torch_runner(x, y, weights, threads)
    if torch_run is not None:
        runners["pytorch"] = torch_run
    return interleaved_rates(runners, len(x), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads")
    parser.add_argument(
        "--quick", action="store_true", help="1 round of 2 batches: checks that it runs"
    )
    parser.add_argument(
        "--keep-freed-memory",
        action="store_true",
        help="the C allocator keeps freed memory for the next step (glibc; see the docstring)",
    )
    args = parser.parse_args()
    if args.keep_freed_memory and not keep_freed_memory():
        parser.error("--keep-freed-memory needs glibc's mallopt")
    if args.quick:
        args.rounds, args.samples = 1, 2 * BATCH
    rates = measure(args.rounds, args.samples, args.threads)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    reference = "pytorch" if "pytorch" in rates else "numpy_im2col"
    # Ratios within each round, then their median: a paired ratio cancels the machine's drift.
    paired = {
        name: sorted(r / f for r, f in zip(values, rates[reference]))
        for name, values in rates.items()
    }
    ratios = {name: statistics.median(values) for name, values in paired.items()}
    x, y = make_data(2 * BATCH)
    weights = initial_weights()
    memory = {
        "glassnet_step_peak": glassnet_step_peak(x, y, weights),
        "glassnet_keras_step_peak": glassnet_step_peak(x, y, weights, keras=True),
    }
    if "pytorch" in rates:
        memory.update({f"pytorch_{k}": v for k, v in torch_activation_bytes(x, weights).items()})
    print(
        f"CNN 1x28x28 conv16-pool-conv32-pool-linear10, batch {BATCH}, {args.samples} samples, float32, SGD; "
        f"{args.rounds} rounds of one epoch each; PyTorch on {args.threads} threads"
        + ("; freed memory kept (mallopt)" if args.keep_freed_memory else "")
    )
    for name, rate in medians.items():
        spread = (
            f"(rounds: {paired[name][0]:.2f}-{paired[name][-1]:.2f})" if name != reference else ""
        )
        print(f"  {name:13s} {rate:9.0f} samples/s   {ratios[name]:5.2f}x {reference} {spread}")
    mb = {name: value / 2**20 for name, value in memory.items()}
    line = (
        f"  memory of one step: glassnet peak {mb['glassnet_step_peak']:.1f} MB "
        f"(glassnet_keras {mb['glassnet_keras_step_peak']:.1f} MB)"
    )
    if "pytorch_saved_for_backward" in mb:
        line += (
            f"; PyTorch saves {mb['pytorch_saved_for_backward']:.1f} MB for backward "
            f"({memory['glassnet_step_peak'] / memory['pytorch_saved_for_backward']:.2f}x), "
            f"layer outputs {mb['pytorch_layer_outputs']:.1f} MB"
        )
    print(line)
    print(
        json.dumps(
            {
                "benchmark": "cnn_throughput",
                "keep_freed_memory": args.keep_freed_memory,
                "samples_per_s": {k: round(v) for k, v in medians.items()},
                f"ratio_to_{reference}": {k: round(v, 3) for k, v in ratios.items()},
                "ratio_range": {k: [round(v[0], 3), round(v[-1], 3)] for k, v in paired.items()},
                "memory_bytes": memory,
            }
        )
    )


if __name__ == "__main__":
    main()
