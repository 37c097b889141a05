"""Model.from_torch / to_torch: same layers, same weights, same outputs, both ways."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_from_torch_copies_layers_and_weights(torch) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 8),
        torch.nn.LeakyReLU(0.2),
        torch.nn.BatchNorm1d(8),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(8, 4),
        torch.nn.LayerNorm(4),
        torch.nn.GELU(),
        torch.nn.Linear(4, 2),
        torch.nn.Softmax(dim=1),
    )
    net.train()
    net(torch.randn(32, 3))  # running statistics
    net.eval()
    model = gn.Model.from_torch(net)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5, rtol=1e-5)


def test_to_torch_round_trip_keeps_outputs(torch) -> None:
    model = gn.Model(
        [
            gn.Input((3,)),
            gn.Dense(6, activation="relu"),
            gn.Tanh(),
            gn.Dense(2, activation="softmax"),
        ]
    )
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    net = model.to_torch().eval()
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model.predict(x), atol=1e-6)
    back = gn.Model.from_torch(
        torch.nn.Sequential(
            *[
                m
                for block in net
                for m in (block if isinstance(block, torch.nn.Sequential) else [block])
            ]
        )
    )
    np.testing.assert_allclose(back.predict(x), model.predict(x), atol=1e-6)


def test_unsupported_modules_are_named(torch) -> None:
    with pytest.raises(ValueError, match="no glassnet layer for torch's PixelShuffle"):
        gn.Model.from_torch(torch.nn.Sequential(torch.nn.PixelShuffle(2)))
    with pytest.raises(ValueError, match=r"no torch layer for masking_1 \(Masking\)"):
        gn.Model([gn.Masking()]).to_torch()
