"""Fixtures shared by the training tests."""

from __future__ import annotations

import pytest

from glassnet.autograd.replay import Replay


@pytest.fixture
def replays(monkeypatch) -> list[int]:
    """How many batches fit replayed: one entry (the batch's rows) per Replay.run."""
    runs: list[int] = []
    run = Replay.run

    def counting(self, *arrays):
        runs.append(len(arrays[0]))
        return run(self, *arrays)

    monkeypatch.setattr(Replay, "run", counting)
    return runs
