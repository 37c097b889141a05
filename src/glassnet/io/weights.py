"""Weights files: a state dict as ``.npz``, written atomically, read without pickle."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping

import numpy as np

from ..errors import ModelFileError
from .atomic import atomic_write

__all__ = ["save_state_dict", "load_state_dict"]


def save_state_dict(path: str | os.PathLike[str], state: Mapping[str, np.ndarray]) -> None:
    """Write ``{name: array}`` to ``path`` as an uncompressed ``.npz``, atomically."""
    arrays = {name: np.asarray(value) for name, value in state.items()}
    bad = [name for name, array in arrays.items() if array.dtype.kind not in "biuf"]
    if bad:
        raise TypeError(f"save_state_dict: only numeric arrays can be saved, not {bad}.")
    atomic_write(path, lambda file: np.savez(file, **arrays))


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a ``.npz`` state dict; pickled (object) entries are refused, nothing is executed."""
    try:
        # Opened here so that the file is closed even when NumPy fails half-way through it.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{os.fspath(path)}: not a readable glassnet weights file (.npz): {exc}") from exc
