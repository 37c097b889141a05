"""Op table rows for glassnet.ops.pooling and glassnet.ops.resize.

Shapes cover odd sizes, stride > 1 and != kernel, padding, ceil_mode (a last window reaching past
the input), count_include_pad, a kernel as large as the input, a batch of one and 1-D inputs.
Random normal inputs hold no ties, so finite differences see a smooth max; ties are tested
against torch in test_pooling.py.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from .cases import ErrorCase, OpCase


def _tf():
    import torch

    return torch.nn.functional


def _t(*shape: int) -> gn.Tensor:
    return gn.Tensor(np.ones(shape))


# (id, keyword arguments, input shapes): each row runs through max and avg pooling alike.
POOL_2D = [
    ("2x2", {"kernel_size": 2}, [((2, 3, 8, 6),), ((1, 1, 2, 2),)]),
    ("3x3-odd", {"kernel_size": 3}, [((2, 2, 7, 9),), ((1, 3, 3, 3),)]),
    ("stride-2-kernel-3", {"kernel_size": 3, "stride": 2}, [((2, 2, 7, 8),), ((1, 1, 5, 5),)]),
    ("stride-1-overlap", {"kernel_size": 2, "stride": 1}, [((2, 2, 5, 4),)]),
    ("padding", {"kernel_size": 3, "stride": 2, "padding": 1}, [((2, 2, 7, 6),), ((1, 1, 2, 2),)]),
    (
        "rectangular",
        {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1)},
        [((2, 3, 7, 8),)],
    ),
    ("ceil-mode", {"kernel_size": 2, "ceil_mode": True}, [((2, 2, 5, 7),), ((1, 1, 3, 3),)]),
    (
        "ceil-mode-padding",
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        [((2, 2, 6, 8),)],
    ),
    ("kernel-is-input", {"kernel_size": (5, 4)}, [((3, 2, 5, 4),)]),
    ("kernel-padded-input", {"kernel_size": 4, "padding": 2}, [((1, 2, 1, 3),)]),
]
POOL_1D = [
    ("2", {"kernel_size": 2}, [((2, 3, 8),), ((1, 1, 2),)]),
    ("3-stride-2-pad", {"kernel_size": 3, "stride": 2, "padding": 1}, [((2, 3, 7),)]),
    ("ceil-mode", {"kernel_size": 2, "stride": 2, "ceil_mode": True}, [((2, 2, 7),)]),
    ("kernel-is-input", {"kernel_size": 5}, [((1, 2, 5),)]),
]


def _pool_cases() -> list[OpCase]:
    cases = []
    for dims, table in ((2, POOL_2D), (1, POOL_1D)):
        for variant, kwargs, shapes in table:
            for op in ("max", "avg"):
                name = f"{op}_pool{dims}d"
                cases.append(
                    OpCase(
                        f"{name}-{variant}",
                        lambda x, n=name, k=kwargs: getattr(F, n)(x, **k),
                        lambda x, n=name, k=kwargs: getattr(_tf(), n)(x, **k),
                        shapes,
                    )
                )
            if kwargs.get("padding"):
                name = f"avg_pool{dims}d"
                cases.append(
                    OpCase(
                        f"{name}-{variant}-exclude-pad",
                        lambda x, n=name, k=kwargs: getattr(F, n)(x, count_include_pad=False, **k),
                        lambda x, n=name, k=kwargs: getattr(_tf(), n)(
                            x, count_include_pad=False, **k
                        ),
                        shapes,
                    )
                )
    return cases


RESIZE = [
    ("nearest-2x", {"scale_factor": 2}, [((2, 3, 3, 4),), ((1, 1, 1, 1),)]),
    ("nearest-size", {"size": (5, 3)}, [((2, 2, 3, 7),)]),
    ("nearest-fraction", {"scale_factor": (1.5, 0.5)}, [((1, 2, 5, 7),)]),
    ("nearest-1d", {"scale_factor": 3}, [((2, 2, 4),)]),
    ("bilinear-2x", {"scale_factor": 2, "mode": "bilinear"}, [((2, 3, 3, 4),), ((1, 1, 1, 1),)]),
    ("bilinear-size", {"size": (7, 2), "mode": "bilinear"}, [((2, 2, 3, 5),)]),
    (
        "bilinear-corners",
        {"size": (7, 2), "mode": "bilinear", "align_corners": True},
        [((2, 2, 3, 5),)],
    ),
    ("bilinear-fraction", {"scale_factor": (1.6, 0.7), "mode": "bilinear"}, [((1, 2, 5, 6),)]),
    ("linear-1d", {"size": 9, "mode": "linear"}, [((2, 2, 4),)]),
    (
        "linear-1d-corners",
        {"scale_factor": 2.5, "mode": "linear", "align_corners": True},
        [((2, 2, 4),)],
    ),
]


CASES = (
    _pool_cases()
    + [
        OpCase(
            f"interpolate-{variant}",
            lambda x, k=kwargs: F.interpolate(x, **k),
            lambda x, k=kwargs: _tf().interpolate(x, **k),
            shapes,
        )
        for variant, kwargs, shapes in RESIZE
    ]
    + [
        OpCase(
            "upsample",
            lambda x: F.upsample(x, scale_factor=2, mode="bilinear"),
            lambda x: _tf().interpolate(x, scale_factor=2, mode="bilinear"),
            [((1, 2, 3, 3),)],
        ),
        OpCase(
            "adaptive_avg_pool2d-global",
            lambda x: F.adaptive_avg_pool2d(x, 1),
            lambda x: _tf().adaptive_avg_pool2d(x, 1),
            [((2, 3, 5, 7),), ((1, 1, 1, 1),)],
        ),
        OpCase(
            "adaptive_avg_pool2d-uneven",
            lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
            lambda x: _tf().adaptive_avg_pool2d(x, (3, 4)),
            [((2, 2, 7, 10),), ((1, 1, 3, 4),)],
        ),
        OpCase(
            "adaptive_avg_pool2d-larger",
            lambda x: F.adaptive_avg_pool2d(x, (5, None)),
            lambda x: _tf().adaptive_avg_pool2d(x, (5, None)),
            [((2, 2, 3, 4),)],
        ),
        OpCase(
            "adaptive_avg_pool2d-tiles",
            lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
            lambda x: _tf().adaptive_avg_pool2d(x, (2, 3)),
            [((2, 2, 4, 9),)],
        ),
    ]
)

ERROR_CASES = [
    ErrorCase(
        "max_pool2d-2d-input",
        lambda: F.max_pool2d(_t(8, 8), 2),
        ShapeError,
        r"max_pool2d: expects input of shape \(N, C, H, W\); got \(8, 8\): add the batch and channel axes",
    ),
    ErrorCase(
        "max_pool2d-3d-input",
        lambda: F.max_pool2d(_t(3, 8, 8), 2),
        ShapeError,
        r"got \(3, 8, 8\): add the batch axis \(x\[None\]\)",
    ),
    ErrorCase(
        "avg_pool1d-4d-input",
        lambda: F.avg_pool1d(_t(1, 1, 8, 8), 2),
        ShapeError,
        r"avg_pool1d: expects input of shape \(N, C, L\); got \(1, 1, 8, 8\)",
    ),
    ErrorCase(
        "max_pool2d-kernel-too-large",
        lambda: F.max_pool2d(_t(1, 1, 3, 5), 6, padding=1),
        ShapeError,
        r"kernel_size \(6, 6\) is larger than the padded input \(5, 7\)",
    ),
    ErrorCase(
        "avg_pool2d-padding-over-half",
        lambda: F.avg_pool2d(_t(1, 1, 6, 6), 2, padding=2),
        InputError,
        r"padding must lie between 0 and half the kernel size",
    ),
    ErrorCase(
        "max_pool2d-zero-stride",
        lambda: F.max_pool2d(_t(1, 1, 6, 6), 2, stride=0),
        InputError,
        r"kernel_size and stride must be positive",
    ),
    ErrorCase(
        "max_pool2d-dilation",
        lambda: F.max_pool2d(_t(1, 1, 6, 6), 2, dilation=2),
        InputError,
        r"only dilation=1",
    ),
    ErrorCase(
        "max_pool2d-bad-kernel",
        lambda: F.max_pool2d(_t(1, 1, 6, 6), (2, 2, 2)),
        InputError,
        r"kernel_size must be an int or 2 ints",
    ),
    ErrorCase(
        "adaptive_avg_pool2d-3d",
        lambda: F.adaptive_avg_pool2d(_t(2, 4, 4), 1),
        ShapeError,
        r"adaptive_avg_pool2d: expects input of shape \(N, C, H, W\); got \(2, 4, 4\)",
    ),
    ErrorCase(
        "interpolate-both",
        lambda: F.interpolate(_t(1, 1, 4, 4), size=2, scale_factor=2),
        InputError,
        r"give exactly one of size and scale_factor",
    ),
    ErrorCase(
        "interpolate-bilinear-3d",
        lambda: F.interpolate(_t(1, 1, 4), size=2, mode="bilinear"),
        ShapeError,
        r"mode 'bilinear' expects a 4-D input",
    ),
    ErrorCase(
        "interpolate-mode",
        lambda: F.interpolate(_t(1, 1, 4), size=2, mode="cubic"),
        InputError,
        r"mode must be one of",
    ),
    ErrorCase(
        "interpolate-empty-output",
        lambda: F.interpolate(_t(1, 1, 4, 4), scale_factor=0.1),
        ShapeError,
        r"would be resized to \(0, 0\)",
    ),
    ErrorCase(
        "dropout2d-3d",
        lambda: F.dropout2d(_t(3, 4, 4), 0.5),
        ShapeError,
        r"dropout2d: expects input of shape \(N, C, H, W\); got \(3, 4, 4\)",
    ),
    ErrorCase(
        "interpolate-nearest-corners",
        lambda: F.interpolate(_t(1, 1, 4), size=2, align_corners=True),
        InputError,
        r"align_corners only applies to the linear modes",
    ),
]
