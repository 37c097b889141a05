"""Weights files: round trip, atomic writes, no pickle, damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import ModelFileError
from glassnet.io import atomic_write, load_state_dict, save_state_dict


def test_round_trip_keeps_names_values_and_dtypes(tmp_path) -> None:
    state = {
        "layer.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "layer.bias": np.zeros(2),
    }
    save_state_dict(tmp_path / "w.npz", state)
    loaded = load_state_dict(tmp_path / "w.npz")
    assert list(loaded) == list(state)
    for name in state:
        np.testing.assert_array_equal(loaded[name], state[name])
        assert loaded[name].dtype == state[name].dtype


def test_failed_write_leaves_the_previous_file_whole(tmp_path) -> None:
    path = tmp_path / "w.npz"
    save_state_dict(path, {"a": np.ones(3)})

    def crash(file):
        file.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    np.testing.assert_array_equal(load_state_dict(path)["a"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]


def test_object_arrays_are_refused_when_saving_and_loading(tmp_path) -> None:
    with pytest.raises(TypeError, match="only numeric arrays"):
        save_state_dict(tmp_path / "x.npz", {"a": np.array([object()])})
    np.savez(tmp_path / "pickled.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ModelFileError, match="numbers only, never objects"):
        load_state_dict(tmp_path / "pickled.npz")


def test_garbage_and_truncated_files_are_model_file_errors(tmp_path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip")
    with pytest.raises(ModelFileError):
        load_state_dict(tmp_path / "junk.npz")
    save_state_dict(tmp_path / "w.npz", {"a": np.ones(1000)})
    data = (tmp_path / "w.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_state_dict(tmp_path / "cut.npz")
