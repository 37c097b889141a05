"""Op table rows for glassnet.ops.losses: every loss with every reduction, edge shapes, bad calls.

Each row's inputs are (prediction, target[, pos_weight]); only the prediction is differentiated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from .cases import ErrorCase, OpCase, Shape


def _tf() -> Any:
    import torch.nn.functional

    return torch.nn.functional


# ----------------------------------------------------------------- samplers
def _logits_and_binary(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    return [rng.normal(0, 2, shapes[0]).astype(dtype), (rng.random(shapes[1]) > 0.5).astype(dtype)]


def _logits_and_soft(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    return [rng.normal(0, 2, shapes[0]).astype(dtype), rng.random(shapes[1]).astype(dtype)]


def _logits_soft_and_weight(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    weight = rng.uniform(0.5, 3.0, shapes[2]).astype(dtype)
    return [*_logits_and_soft(rng, shapes, dtype), weight]


def _probs_and_binary(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    # Away from 0 and 1, where the clamped logs make the loss flat for finite differences.
    return [
        rng.uniform(0.05, 0.95, shapes[0]).astype(dtype),
        (rng.random(shapes[1]) > 0.5).astype(dtype),
    ]


def _probs_and_soft(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    return [rng.uniform(0.05, 0.95, shapes[0]).astype(dtype), rng.random(shapes[1]).astype(dtype)]


def _logits_and_classes(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    n, classes = shapes[0]
    return [
        rng.normal(0, 2, (n, classes)).astype(dtype),
        rng.integers(0, classes, n).astype(np.int64),
    ]


def _logits_and_distribution(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    n, classes = shapes[0]
    probabilities = rng.random((n, classes)) + 0.01
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return [rng.normal(0, 2, (n, classes)).astype(dtype), probabilities.astype(dtype)]


def _logits_and_one_hot(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    n, classes = shapes[0]
    one_hot = np.eye(classes)[rng.integers(0, classes, n)]
    return [rng.normal(0, 2, (n, classes)).astype(dtype), one_hot.astype(dtype)]


def _pair(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    return [rng.normal(size=shapes[0]).astype(dtype), rng.normal(size=shapes[1]).astype(dtype)]


def _apart_pair(rng, shapes: tuple[Shape, ...], dtype) -> list[np.ndarray]:
    """Prediction and target at least 0.05 apart: |x - t| has a kink at 0."""
    target = rng.normal(size=shapes[1])
    gap = np.where(rng.random(shapes[0]) < 0.5, -1, 1) * rng.uniform(0.05, 2.0, shapes[0])
    return [(target + gap).astype(dtype), target.astype(dtype)]


def _huber_pair(rng, shapes: tuple[Shape, ...], dtype, delta: float) -> list[np.ndarray]:
    """Differences on both sides of delta, kept away from it (the curvature jumps there)."""
    target = rng.normal(size=shapes[1])
    size = delta * rng.choice([0.2, 0.6, 1.6, 3.0], shapes[0]) + rng.uniform(0, 0.05, shapes[0])
    sign = np.where(rng.random(shapes[0]) < 0.5, -1, 1)
    return [(target + sign * size).astype(dtype), target.astype(dtype)]


def _huber_sampler(delta: float) -> Callable[..., list[np.ndarray]]:
    return lambda rng, shapes, dtype: _huber_pair(rng, shapes, dtype, delta)


# ----------------------------------------------------------------- shapes and row makers
# Element-wise losses: prediction and target of one shape; a scalar, a (n, 1) column, N = 1.
SAME = [((4, 1), (4, 1)), ((3, 2), (3, 2)), ((1,), (1,)), ((5,), (5,)), ((), ())]
# Cross-entropy: (n, C), with a single sample and a single class.
CLASSES = [((4, 3),), ((1, 3),), ((5, 1),), ((1, 1),)]
EMPTY = [((0, 1), (0, 1))]
EMPTY_CLASSES = [((0, 3),)]
REDUCTIONS = ("mean", "sum", "none")


def _rows(
    name: str,
    ours: Callable[..., Any],
    theirs: str,
    sampler: Any,
    shapes: list[tuple[Shape, ...]],
    reductions: tuple[str, ...] = REDUCTIONS,
    **options: Any,
) -> list[OpCase]:
    """One row per reduction; ``theirs`` names the torch.nn.functional twin; ``options`` go
    to both."""
    return [
        OpCase(
            f"{name}-{reduction}",
            lambda *a, r=reduction: ours(*a, reduction=r, **options),
            lambda *a, r=reduction: getattr(_tf(), theirs)(*a, reduction=r, **options),
            shapes,
            sampler=sampler,
            grad_inputs=(0,),
        )
        for reduction in reductions
    ]


def _loss_rows(
    name: str, ours: Callable[..., Any], theirs: str, sampler: Any, **options: Any
) -> list[OpCase]:
    """Every reduction on the usual shapes, plus an empty batch summed (0, as torch)."""
    return [
        *_rows(name, ours, theirs, sampler, SAME, **options),
        *_rows(f"{name}-empty", ours, theirs, sampler, EMPTY, ("sum",), **options),
    ]


BCE_LOGITS = "binary_cross_entropy_with_logits"

CASES = [
    *_loss_rows(
        "bce_with_logits", F.binary_cross_entropy_with_logits, BCE_LOGITS, _logits_and_binary
    ),
    *_rows(
        "bce_with_logits-soft",
        F.binary_cross_entropy_with_logits,
        BCE_LOGITS,
        _logits_and_soft,
        SAME[:2],
    ),
    *[
        OpCase(
            f"bce_with_logits-pos_weight-{reduction}",
            lambda z, t, w, r=reduction: F.binary_cross_entropy_with_logits(
                z, t, reduction=r, pos_weight=w
            ),
            lambda z, t, w, r=reduction: _tf().binary_cross_entropy_with_logits(
                z, t, reduction=r, pos_weight=w
            ),
            [((4, 3), (4, 3), (3,)), ((2, 3), (2, 3), (1,)), ((5,), (5,), ())],
            sampler=_logits_soft_and_weight,
            grad_inputs=(0,),
        )
        for reduction in REDUCTIONS
    ],
    *_loss_rows("bce", F.binary_cross_entropy, "binary_cross_entropy", _probs_and_binary),
    *_rows("bce-soft", F.binary_cross_entropy, "binary_cross_entropy", _probs_and_soft, SAME[:2]),
    *_rows("cross_entropy-classes", F.cross_entropy, "cross_entropy", _logits_and_classes, CLASSES),
    *_rows(
        "cross_entropy-probabilities",
        F.cross_entropy,
        "cross_entropy",
        _logits_and_distribution,
        CLASSES,
    ),
    *_rows(
        "cross_entropy-one_hot", F.cross_entropy, "cross_entropy", _logits_and_one_hot, CLASSES[:2]
    ),
    *_rows(
        "cross_entropy-classes-smoothing",
        F.cross_entropy,
        "cross_entropy",
        _logits_and_classes,
        CLASSES,
        label_smoothing=0.1,
    ),
    *_rows(
        "cross_entropy-probabilities-smoothing",
        F.cross_entropy,
        "cross_entropy",
        _logits_and_distribution,
        CLASSES[:2],
        label_smoothing=0.25,
    ),
    *_rows(
        "cross_entropy-classes-empty",
        F.cross_entropy,
        "cross_entropy",
        _logits_and_classes,
        EMPTY_CLASSES,
        ("sum",),
    ),
    *_rows(
        "cross_entropy-probabilities-empty",
        F.cross_entropy,
        "cross_entropy",
        _logits_and_distribution,
        EMPTY_CLASSES,
        ("sum",),
    ),
    *_loss_rows("mse", F.mse_loss, "mse_loss", _pair),
    *_loss_rows("l1", F.l1_loss, "l1_loss", _apart_pair),
    *_loss_rows("huber", F.huber_loss, "huber_loss", _huber_sampler(1.0)),
    *_rows("huber-delta", F.huber_loss, "huber_loss", _huber_sampler(0.5), SAME, delta=0.5),
]


# ----------------------------------------------------------------- bad calls
def _t(*shape: int, fill: float = 0.5) -> gn.Tensor:
    return gn.Tensor(np.full(shape, fill), requires_grad=True)


ELEMENTWISE = [
    ("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits),
    ("binary_cross_entropy", F.binary_cross_entropy),
    ("mse_loss", F.mse_loss),
    ("l1_loss", F.l1_loss),
    ("huber_loss", F.huber_loss),
]

ERROR_CASES = [
    # The classic bug: (n, 1) predictions against (n,) labels, which torch broadcasts to (n, n).
    *[
        ErrorCase(
            f"{name}-column-against-labels",
            lambda fn=fn: fn(_t(4, 1), np.zeros(4)),
            ShapeError,
            rf"{name}: input \(4, 1\) and target \(4,\) differ in shape.*"
            r"reshape the target to \(4, 1\)",
        )
        for name, fn in ELEMENTWISE
    ],
    *[
        ErrorCase(
            f"{name}-shapes",
            lambda fn=fn: fn(_t(3), np.zeros(2)),
            ShapeError,
            rf"{name}: input \(3,\) and target \(2,\) differ in shape",
        )
        for name, fn in ELEMENTWISE
    ],
    *[
        ErrorCase(
            f"{name}-reduction",
            lambda fn=fn: fn(_t(2), np.zeros(2), reduction="avg"),
            ValueError,
            rf"{name}: reduction must be one of mean, sum, none; got 'avg'",
        )
        for name, fn in ELEMENTWISE
    ],
    ErrorCase(
        "cross_entropy-reduction",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, 1]), reduction="batchmean"),
        ValueError,
        "cross_entropy: reduction must be one of mean, sum, none; got 'batchmean'",
    ),
    ErrorCase(
        "bce_with_logits-pos_weight-shape",
        lambda: F.binary_cross_entropy_with_logits(
            _t(4, 3), np.zeros((4, 3)), pos_weight=np.ones(2)
        ),
        ShapeError,
        r"pos_weight of shape \(2,\) does not broadcast to the input's shape "
        r"\(4, 3\); give one weight per class, of shape \(3,\)",
    ),
    ErrorCase(
        "bce-not-probabilities",
        lambda: F.binary_cross_entropy(gn.Tensor([0.5, -1.5, 2.0]), np.ones(3)),
        InputError,
        r"binary_cross_entropy: input must hold probabilities in \[0, 1\], "
        r"found -1\.5.*binary_cross_entropy_with_logits",
    ),
    ErrorCase(
        "cross_entropy-label-range",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, 3])),
        InputError,
        r"cross_entropy: class labels must lie in \[0, 3\) for 3 classes, "
        r"found label 3",
    ),
    ErrorCase(
        "cross_entropy-negative-label",
        lambda: F.cross_entropy(_t(2, 3), np.array([-1, 0])),
        InputError,
        r"must lie in \[0, 3\).*found label -1",
    ),
    # Narrow and foreign-order label dtypes: a negative label read as unsigned must not pass as
    # a valid class (int8 -100 reads as 156, below 200 classes).
    ErrorCase(
        "cross_entropy-negative-int8-label-many-classes",
        lambda: F.cross_entropy(_t(3, 200), np.array([0, -100, 1], np.int8)),
        InputError,
        r"must lie in \[0, 200\).*found label -100",
    ),
    ErrorCase(
        "cross_entropy-negative-int16-label-many-classes",
        lambda: F.cross_entropy(_t(3, 50257), np.array([0, -20000, 1], np.int16)),
        InputError,
        r"must lie in \[0, 50257\).*found label -20000",
    ),
    ErrorCase(
        "cross_entropy-negative-big-endian-label",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, -1], ">i8")),
        InputError,
        r"must lie in \[0, 3\).*found label -1",
    ),
    ErrorCase(
        "cross_entropy-uint8-label-range",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, 200], np.uint8)),
        InputError,
        r"must lie in \[0, 3\).*found label 200",
    ),
    ErrorCase(
        "cross_entropy-logits-1d",
        lambda: F.cross_entropy(_t(3), np.array([0])),
        ShapeError,
        r"cross_entropy: expected logits of shape \(n_samples, n_classes\), "
        r"got \(3,\)",
    ),
    ErrorCase(
        "cross_entropy-logits-3d",
        lambda: F.cross_entropy(_t(2, 3, 4), np.array([0, 1])),
        ShapeError,
        r"expected logits of shape \(n_samples, n_classes\), got \(2, 3, 4\)",
    ),
    ErrorCase(
        "cross_entropy-probabilities-shape",
        lambda: F.cross_entropy(_t(2, 3), np.zeros((2, 2))),
        ShapeError,
        r"cross_entropy: probability targets must have the logits' shape "
        r"\(2, 3\), got \(2, 2\)",
    ),
    ErrorCase(
        "cross_entropy-float-labels",
        lambda: F.cross_entropy(_t(2, 3), np.array([0.0, 2.0])),
        ShapeError,
        r"got \(2,\)\. Class indices must be integers",
    ),
    ErrorCase(
        "cross_entropy-index-shape",
        lambda: F.cross_entropy(_t(2, 3), np.array([[0], [1]])),
        ShapeError,
        r"class-index targets must have shape \(2,\) for logits \(2, 3\), "
        r"got \(2, 1\)",
    ),
    ErrorCase(
        "cross_entropy-index-count",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, 1, 2])),
        ShapeError,
        r"class-index targets must have shape \(2,\).*got \(3,\)",
    ),
    ErrorCase(
        "cross_entropy-label_smoothing",
        lambda: F.cross_entropy(_t(2, 3), np.array([0, 1]), label_smoothing=1.5),
        ValueError,
        r"label_smoothing must lie in \[0, 1\], got 1\.5",
    ),
    ErrorCase(
        "huber-delta",
        lambda: F.huber_loss(_t(1), np.ones(1), delta=0.0),
        ValueError,
        "huber_loss: delta must be > 0, got 0.0",
    ),
]
