"""Op table rows for glassnet.ops.normalization and glassnet.ops.regularization."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError
from glassnet.ops.regularization import Dropout

from .cases import ErrorCase, OpCase


def _tf():
    import torch.nn.functional

    return torch.nn.functional


def _torch():
    import torch

    return torch


def _batch_norm_train(x, w, b):
    return F.batch_norm(x, np.zeros(x.shape[1]), np.ones(x.shape[1]), w, b, training=True)


def _batch_norm_eval(x, w, b):
    stats = np.random.default_rng(5)
    mean, var = stats.normal(size=x.shape[1]), stats.uniform(0.5, 2.0, x.shape[1])
    return F.batch_norm(x, mean, var, w, b, training=False)


def _torch_batch_norm_eval(x, w, b):
    stats = np.random.default_rng(5)
    mean, var = stats.normal(size=x.shape[1]), stats.uniform(0.5, 2.0, x.shape[1])
    torch = _torch()
    return _tf().batch_norm(
        x,
        torch.from_numpy(mean).to(x.dtype),
        torch.from_numpy(var).to(x.dtype),
        w,
        b,
        training=False,
    )


MASK = (np.random.default_rng(3).random((4, 5)) > 0.3) / 0.7

CASES = [
    OpCase(
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, 5, w, b),
        lambda x, w, b: _tf().layer_norm(x, (5,), w, b),
        [((4, 5), (5,), (5,)), ((2, 3, 5), (5,), (5,)), ((1, 5), (5,), (5,))],
    ),
    OpCase(
        "layer_norm-2d",
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        lambda x, w, b: _tf().layer_norm(x, (3, 4), w, b),
        [((2, 3, 4), (3, 4), (3, 4))],
    ),
    OpCase(
        "layer_norm-no-affine",
        lambda x: F.layer_norm(x, 4),
        lambda x: _tf().layer_norm(x, (4,)),
        [((3, 4),)],
    ),
    OpCase(
        "batch_norm-train",
        _batch_norm_train,
        lambda x, w, b: _tf().batch_norm(x, None, None, w, b, training=True),
        [((6, 3), (3,), (3,)), ((4, 3, 5), (3,), (3,)), ((2, 1), (1,), (1,))],
    ),
    OpCase("batch_norm-eval", _batch_norm_eval, _torch_batch_norm_eval, [((6, 3), (3,), (3,))]),
    OpCase(
        "dropout-mask",
        lambda x: Dropout.apply(x, mask=MASK.astype(x.dtype)),
        lambda x: x * _torch().from_numpy(MASK).to(x.dtype),
        [((4, 5),)],
    ),
    OpCase(
        "l2_penalty",
        lambda w: F.l2_penalty(w, 0.3),
        lambda w: 0.3 * (w * w).sum(),
        [((3, 4),), ((),), ((1, 5),), ((2, 0),), ((2, 3, 2),)],
    ),
    OpCase(
        "embedding",
        lambda w: F.embedding(np.array([[0, 2], [2, 3]]), w),
        lambda w: _tf().embedding(_torch().tensor([[0, 2], [2, 3]]), w),
        [((4, 3),)],
    ),
]

ERROR_CASES = [
    ErrorCase(
        "embedding-range",
        lambda: F.embedding(np.array([0, 4]), gn.Tensor(np.ones((4, 2)))),
        InputError,
        r"indices must lie in \[0, 4\), found 4",
    ),
    ErrorCase(
        "embedding-float",
        lambda: F.embedding(np.array([0.5]), gn.Tensor(np.ones((4, 2)))),
        InputError,
        "indices must be integers",
    ),
    ErrorCase(
        "dropout-p",
        lambda: F.dropout(gn.Tensor([1.0]), p=1.5),
        ValueError,
        r"p must lie in \[0, 1\]",
    ),
    ErrorCase(
        "batch_norm-one-sample",
        lambda: F.batch_norm(gn.Tensor(np.ones((1, 3))), np.zeros(3), np.ones(3), training=True),
        ValueError,
        "more than one value",
    ),
]
