"""Weights files: a state dict as ``.npz``, written atomically, read without pickle."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping

import numpy as np

from ..errors import ModelFileError
from .atomic import atomic_write
from .serialization import check_members, read_npy

__all__ = ["save_state_dict", "load_state_dict"]


def save_state_dict(path: str | os.PathLike[str], state: Mapping[str, np.ndarray]) -> None:
    """Write ``{name: array}`` to ``path`` as an uncompressed ``.npz``, atomically."""
    arrays = {name: np.asarray(value) for name, value in state.items()}
    bad = [name for name, array in arrays.items() if array.dtype.kind not in "biuf"]
    if bad:
        raise TypeError(f"save_state_dict: only numeric arrays can be saved, not {bad}.")
    atomic_write(path, lambda file: np.savez(file, **arrays))


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a ``.npz`` state dict; pickled (object) entries are refused, nothing is executed.

    The entries get the checks of model files (:func:`glassnet.io.serialization.check_members`):
    plain ``.npy`` files stored uncompressed, named once, whose headers fit their sizes, so a
    hostile file cannot make the reader allocate more than the file's size.
    """
    where = os.fspath(path)
    try:
        with open(where, "rb") as file, zipfile.ZipFile(file) as archive:
            infos = check_members(where, archive, os.fstat(file.fileno()).st_size)
            state = {}
            for entry in infos:
                if not entry.endswith(".npy"):
                    raise ModelFileError(f"{where}: the entry {entry!r} is not an .npy array.")
                name = entry.removesuffix(".npy")
                state[name] = read_npy(where, archive, entry, f"weight {name!r}")
            return state
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except (
        ValueError,
        OSError,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        KeyError,
        NotImplementedError,
        RuntimeError,
        OverflowError,
    ) as exc:
        raise ModelFileError(
            f"{where}: not a readable glassnet weights file (.npz): {type(exc).__name__}: {exc}"
        ) from exc
