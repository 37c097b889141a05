"""Op table rows for glassnet.ops.conv: a table of convolution configurations.

Each configuration runs against finite differences and PyTorch through the shared table tests
(``test_gradients.py``, ``test_against_torch.py``) and at rel 1e-10 in ``test_conv.py``.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

import glassnet.functional as F
from glassnet.errors import InputError, ShapeError

from .cases import ErrorCase, OpCase


def _tf():
    import torch.nn.functional

    return torch.nn.functional


def _pair(fn_name: str, **options):
    """The glassnet call and its torch twin with the same keyword options."""
    ours = partial(getattr(F, fn_name), **options)

    def theirs(*tensors):
        with (
            warnings.catch_warnings()
        ):  # torch warns that 'same' with an even kernel copies the input
            warnings.simplefilter("ignore", UserWarning)
            return getattr(_tf(), fn_name)(*tensors, **options)

    return ours, theirs


# name, op, shapes (x, weight[, bias]) per sample, options
CONFIGS = [
    ("conv2d-pad1", "conv2d", [((2, 3, 7, 9), (4, 3, 3, 3), (4,))], {"padding": 1}),
    ("conv2d-no-bias", "conv2d", [((2, 3, 6, 5), (2, 3, 3, 3))], {}),
    (
        "conv2d-stride-odd",
        "conv2d",
        [((2, 2, 9, 7), (3, 2, 3, 2), (3,))],
        {"stride": (2, 3), "padding": (1, 2)},
    ),
    (
        "conv2d-dilation",
        "conv2d",
        [((1, 2, 9, 8), (3, 2, 3, 3), (3,))],
        {"dilation": (2, 3), "padding": 1},
    ),
    ("conv2d-same", "conv2d", [((2, 2, 6, 7), (3, 2, 4, 3), (3,))], {"padding": "same"}),
    (
        "conv2d-same-dilated",
        "conv2d",
        [((1, 2, 7, 7), (2, 2, 3, 2), (2,))],
        {"padding": "same", "dilation": 2},
    ),
    ("conv2d-valid", "conv2d", [((2, 2, 5, 6), (3, 2, 2, 2), (3,))], {"padding": "valid"}),
    (
        "conv2d-groups",
        "conv2d",
        [((2, 4, 6, 5), (6, 2, 3, 3), (6,))],
        {"groups": 2, "stride": 2, "padding": 1},
    ),
    (
        "conv2d-depthwise",
        "conv2d",
        [((2, 3, 6, 6), (6, 1, 3, 3), (6,))],
        {"groups": 3, "padding": 1},
    ),
    ("conv2d-1x1", "conv2d", [((2, 5, 4, 3), (3, 5, 1, 1), (3,))], {}),
    ("conv2d-kernel-is-input", "conv2d", [((3, 2, 5, 4), (3, 2, 5, 4), (3,))], {}),
    (
        "conv2d-batch-of-one",
        "conv2d",
        [((1, 1, 7, 7), (2, 1, 3, 3), (2,))],
        {"stride": 2, "padding": 2},
    ),
    ("conv1d", "conv1d", [((2, 3, 11), (4, 3, 3), (4,))], {"padding": 1}),
    (
        "conv1d-stride-dilation",
        "conv1d",
        [((2, 2, 13), (3, 2, 3), (3,))],
        {"stride": 2, "dilation": 2},
    ),
    ("conv1d-same-groups", "conv1d", [((1, 4, 9), (4, 2, 4))], {"padding": "same", "groups": 2}),
    ("conv1d-depthwise", "conv1d", [((2, 3, 8), (3, 1, 8), (3,))], {"groups": 3}),
    ("conv_transpose2d", "conv_transpose2d", [((2, 3, 4, 5), (3, 2, 3, 3), (2,))], {}),
    (
        "conv_transpose2d-stride",
        "conv_transpose2d",
        [((2, 2, 4, 3), (2, 3, 3, 3), (3,))],
        {"stride": 2, "padding": 1, "output_padding": 1},
    ),
    (
        "conv_transpose2d-groups",
        "conv_transpose2d",
        [((1, 4, 3, 4), (4, 1, 2, 3), (2,))],
        {"stride": (2, 1), "padding": (0, 1), "groups": 2},
    ),
    (
        "conv_transpose2d-dilation",
        "conv_transpose2d",
        [((2, 2, 3, 3), (2, 2, 3, 2))],
        {"stride": 2, "dilation": (2, 3), "output_padding": (1, 2)},
    ),
    ("conv_transpose2d-1x1", "conv_transpose2d", [((2, 3, 3, 2), (3, 4, 1, 1), (4,))], {}),
]

CASES = []
for _name, _op, _shapes, _options in CONFIGS:
    _ours, _theirs = _pair(_op, **_options)
    CASES.append(OpCase(_name, _ours, _theirs, _shapes))


def _torch_conv2d_relu(*tensors, **options):
    return _tf().relu(_tf().conv2d(*tensors, **options))


for _name, _shapes, _options in [
    ("conv2d_relu", [((2, 3, 7, 6), (4, 3, 3, 3), (4,))], {"padding": 1}),
    ("conv2d_relu-stride-groups", [((1, 4, 7, 7), (4, 2, 3, 2))], {"stride": 2, "groups": 2}),
]:
    CASES.append(
        OpCase(
            _name,
            partial(F.conv2d_relu, **_options),
            partial(_torch_conv2d_relu, **_options),
            _shapes,
        )
    )

_x = np.zeros((2, 3, 8, 8))
_w = np.zeros((4, 3, 3, 3))
ERROR_CASES = [
    ErrorCase(
        "conv2d-input-rank",
        lambda: F.conv2d(np.zeros((8, 8)), _w),
        ShapeError,
        r"conv2d: input must be \(N, C, H, W\), got shape \(8, 8\)",
    ),
    ErrorCase(
        "conv2d-weight-rank",
        lambda: F.conv2d(_x, np.zeros((4, 3, 3))),
        ShapeError,
        r"weight must be \(out, in/groups, k...\)",
    ),
    ErrorCase(
        "conv2d-channels",
        lambda: F.conv2d(np.zeros((2, 5, 8, 8)), _w),
        ShapeError,
        r"input has 5 channels .* expects 3",
    ),
    ErrorCase(
        "conv2d-groups",
        lambda: F.conv2d(_x, np.zeros((4, 1, 3, 3)), groups=2),
        ShapeError,
        r"groups=2 must divide both the 3 input channels",
    ),
    ErrorCase(
        "conv2d-stride",
        lambda: F.conv2d(_x, _w, stride=0),
        InputError,
        r"stride must be >= 1, got 0",
    ),
    ErrorCase(
        "conv2d-dilation",
        lambda: F.conv2d(_x, _w, dilation=(1, -1)),
        InputError,
        r"dilation must be >= 1",
    ),
    ErrorCase(
        "conv2d-padding",
        lambda: F.conv2d(_x, _w, padding="full"),
        InputError,
        r"padding must be an int, a tuple, 'valid' or 'same'",
    ),
    ErrorCase(
        "conv2d-same-strided",
        lambda: F.conv2d(_x, _w, padding="same", stride=2),
        InputError,
        r"padding='same' needs stride 1",
    ),
    ErrorCase(
        "conv2d-kernel-too-large",
        lambda: F.conv2d(np.zeros((1, 3, 2, 8)), _w),
        ShapeError,
        r"the kernel spans 3 .* padded input is only 2 wide",
    ),
    ErrorCase(
        "conv2d-bias",
        lambda: F.conv2d(_x, _w, np.zeros(3)),
        ShapeError,
        r"bias must have shape \(4,\)",
    ),
    ErrorCase(
        "conv2d-dtype",
        lambda: F.conv2d(_x.astype(np.float32), _w),
        InputError,
        r"input dtype float32",
    ),
    ErrorCase(
        "conv1d-input-rank",
        lambda: F.conv1d(_x, np.zeros((4, 3, 3))),
        ShapeError,
        r"conv1d: input must be \(N, C, L\)",
    ),
    ErrorCase(
        "conv_transpose2d-channels",
        lambda: F.conv_transpose2d(_x, np.zeros((4, 2, 3, 3))),
        ShapeError,
        r"input has 3 channels .* expects 4",
    ),
    ErrorCase(
        "conv_transpose2d-output-padding",
        lambda: F.conv_transpose2d(_x, np.zeros((3, 2, 3, 3)), stride=2, output_padding=2),
        InputError,
        r"output_padding \(2, 2\) must be smaller than the stride",
    ),
    ErrorCase(
        "conv_transpose2d-empty",
        lambda: F.conv_transpose2d(np.zeros((1, 3, 1, 1)), np.zeros((3, 2, 1, 1)), padding=1),
        ShapeError,
        r"gives an empty output",
    ),
]
