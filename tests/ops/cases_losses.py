"""Op table rows for glassnet.ops.losses: every loss, every reduction, edge shapes."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from .cases import ErrorCase, OpCase


def _tf():
    import torch.nn.functional

    return torch.nn.functional


def _logits_and_binary(rng, shapes, dtype):
    return [rng.normal(0, 2, shapes[0]).astype(dtype), (rng.random(shapes[1]) > 0.5).astype(dtype)]


def _logits_and_soft(rng, shapes, dtype):
    return [rng.normal(0, 2, shapes[0]).astype(dtype), rng.random(shapes[1]).astype(dtype)]


def _logits_soft_and_weight(rng, shapes, dtype):
    return [*_logits_and_soft(rng, shapes, dtype), rng.uniform(0.5, 3.0, shapes[2]).astype(dtype)]


def _probs_and_binary(rng, shapes, dtype):
    return [rng.uniform(0.05, 0.95, shapes[0]).astype(dtype), (rng.random(shapes[1]) > 0.5).astype(dtype)]


def _logits_and_classes(rng, shapes, dtype):
    n, classes = shapes[0]
    return [rng.normal(0, 2, (n, classes)).astype(dtype), rng.integers(0, classes, n).astype(np.int64)]


def _logits_and_distribution(rng, shapes, dtype):
    n, classes = shapes[0]
    probabilities = rng.random((n, classes))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return [rng.normal(0, 2, (n, classes)).astype(dtype), probabilities.astype(dtype)]


def _pair(rng, shapes, dtype):
    return [rng.normal(size=shapes[0]).astype(dtype), rng.normal(size=shapes[1]).astype(dtype)]


def _apart_pair(rng, shapes, dtype):
    """Prediction and target never closer than 0.05 (|x - t| has a kink at 0)."""
    target = rng.normal(size=shapes[1])
    gap = np.where(rng.random(shapes[0]) < 0.5, -1, 1) * rng.uniform(0.05, 2.0, shapes[0])
    return [(target + gap).astype(dtype), target.astype(dtype)]


def _huber_pair(rng, shapes, dtype):
    """Differences away from 0 and from +-delta (delta 0.5), where the loss changes form."""
    target = rng.normal(size=shapes[1])
    size = rng.choice([0.2, 0.3, 0.8, 1.5], shapes[0]) + rng.uniform(0, 0.05, shapes[0])
    return [(target + np.where(rng.random(shapes[0]) < 0.5, -1, 1) * size).astype(dtype), target.astype(dtype)]


SAME = [((4, 1), (4, 1)), ((3, 2), (3, 2)), ((1,), (1,)), ((5,), (5,))]
CLASSES = [((4, 3),), ((1, 3),), ((5, 1),)]
REDUCTIONS = ("mean", "sum", "none")


def _rows(name, ours, theirs, sampler, shapes=SAME, **extra):
    return [OpCase(f"{name}-{reduction}", lambda *a, r=reduction: ours(*a, reduction=r),
                   lambda *a, r=reduction: theirs(*a, reduction=r), shapes, sampler=sampler,
                   grad_inputs=(0,), **extra) for reduction in REDUCTIONS]


CASES = [
    *_rows("bce_with_logits", F.binary_cross_entropy_with_logits, lambda *a, reduction: _tf()
           .binary_cross_entropy_with_logits(*a, reduction=reduction), _logits_and_binary),
    *_rows("bce_with_logits-soft", F.binary_cross_entropy_with_logits, lambda *a, reduction: _tf()
           .binary_cross_entropy_with_logits(*a, reduction=reduction), _logits_and_soft),
    OpCase("bce_with_logits-pos_weight",
           lambda z, t, w: F.binary_cross_entropy_with_logits(z, t, pos_weight=w),
           lambda z, t, w: _tf().binary_cross_entropy_with_logits(z, t, pos_weight=w),
           [((4, 3), (4, 3), (3,))], sampler=_logits_soft_and_weight, grad_inputs=(0,)),
    *_rows("bce", F.binary_cross_entropy, lambda *a, reduction: _tf().binary_cross_entropy(*a, reduction=reduction),
           _probs_and_binary),
    *_rows("cross_entropy-classes", F.cross_entropy, lambda *a, reduction: _tf().cross_entropy(*a, reduction=reduction),
           _logits_and_classes, shapes=CLASSES),
    *_rows("cross_entropy-probabilities", F.cross_entropy,
           lambda *a, reduction: _tf().cross_entropy(*a, reduction=reduction), _logits_and_distribution,
           shapes=CLASSES),
    OpCase("cross_entropy-label_smoothing", lambda z, t: F.cross_entropy(z, t, label_smoothing=0.1),
           lambda z, t: _tf().cross_entropy(z, t, label_smoothing=0.1), CLASSES, sampler=_logits_and_classes,
           grad_inputs=(0,)),
    *_rows("mse", F.mse_loss, lambda *a, reduction: _tf().mse_loss(*a, reduction=reduction), _pair),
    *_rows("l1", F.l1_loss, lambda *a, reduction: _tf().l1_loss(*a, reduction=reduction), _apart_pair),
    *[OpCase(f"huber-{reduction}", lambda x, t, r=reduction: F.huber_loss(x, t, reduction=r, delta=0.5),
             lambda x, t, r=reduction: _tf().huber_loss(x, t, reduction=r, delta=0.5), SAME, sampler=_huber_pair,
             grad_inputs=(0,)) for reduction in REDUCTIONS],
    OpCase("mse-empty-sum", lambda x, t: F.mse_loss(x, t, reduction="sum"),
           lambda x, t: _tf().mse_loss(x, t, reduction="sum"), [((0, 1), (0, 1))], sampler=_pair, grad_inputs=(0,)),
]

ERROR_CASES = [
    ErrorCase("mse-n1-against-n", lambda: F.mse_loss(gn.Tensor(np.zeros((4, 1))), gn.Tensor(np.zeros(4))),
              ShapeError, r"mse_loss: .*input \(4, 1\) and target \(4,\).*Reshape the target to \(4, 1\)"),
    ErrorCase("bce-shapes", lambda: F.binary_cross_entropy(gn.Tensor(np.full(3, 0.5)), np.zeros(2)),
              ShapeError, r"binary_cross_entropy: .*\(3,\).*\(2,\)"),
    ErrorCase("reduction", lambda: F.l1_loss(gn.Tensor([1.0]), gn.Tensor([1.0]), reduction="avg"),
              ValueError, "reduction must be one of mean, sum, none; got 'avg'"),
    ErrorCase("cross_entropy-label-range", lambda: F.cross_entropy(gn.Tensor(np.zeros((2, 3))), np.array([0, 3])),
              InputError, r"class labels must lie in \[0, 3\) for 3 classes, found label 3"),
    ErrorCase("cross_entropy-negative-label",
              lambda: F.cross_entropy(gn.Tensor(np.zeros((2, 3))), np.array([-1, 0])),
              InputError, "found label -1"),
    ErrorCase("cross_entropy-logits-1d", lambda: F.cross_entropy(gn.Tensor(np.zeros(3)), np.array([0])),
              ShapeError, r"expected logits of shape \(n_samples, n_classes\), got \(3,\)"),
    ErrorCase("cross_entropy-target-shape",
              lambda: F.cross_entropy(gn.Tensor(np.zeros((2, 3))), np.zeros((2, 2))),
              ShapeError, r"probability targets must have the logits' shape \(2, 3\), got \(2, 2\)"),
    ErrorCase("cross_entropy-index-shape",
              lambda: F.cross_entropy(gn.Tensor(np.zeros((2, 3))), np.array([[0], [1]])),
              ShapeError, r"class-index targets must have shape \(2,\)"),
    ErrorCase("huber-delta", lambda: F.huber_loss(gn.Tensor([1.0]), gn.Tensor([1.0]), delta=0.0),
              ValueError, "delta must be > 0"),
]
