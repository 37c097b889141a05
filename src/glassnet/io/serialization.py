"""The ``.gnet`` model file: a zip holding a JSON manifest and ``.npy`` arrays, never pickle.

Layout of the zip (entries stored, not compressed):

    manifest.json                 format, versions, layers and their configs, compile settings,
                                  and for every array its entry name, shape and dtype
    arrays/<n>.npy                one entry per weight or optimizer-state array

Reading trusts nothing in the file: entry names must be exactly the ones the manifest lists
(no path traversal, no missing or extra entries), every array's declared size is checked against
the entry's size before any memory is allocated, arrays are read with ``allow_pickle=False``,
and layer classes come only from the registry (:func:`register_layer`) or ``custom_objects``,
never from importing a name found in the file. Writes are atomic (see :mod:`glassnet.io.atomic`).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ModelFileError
from ..nn.module import Module
from .atomic import atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "LAYERS", "register_layer", "layer_config", "build_layer",
           "write_model_file", "read_model_file"]

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
NPY_HEADER_SLACK = 4096  # an .npy header is at most a few hundred bytes; anything beyond is not ours
ALLOWED_DTYPES = {"float16", "float32", "float64", "int32", "int64", "uint8", "bool"}

LAYERS: dict[str, type[Module]] = {}


def register_layer(cls: type[Module]) -> type[Module]:
    """Make a layer class loadable from model files by its class name (usable as a decorator).

    The class must implement ``get_config()`` returning its constructor's keyword arguments.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_layer: expected a glassnet Module class, got {cls!r}.")
    LAYERS[cls.__name__] = cls
    return cls


def _register_builtins() -> None:
    from .. import nn

    for name in ("Input", "Linear", "Dense", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "Sigmoid", "Tanh", "Softplus",
                 "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d", "LayerNorm", "Embedding"):
        register_layer(getattr(nn, name))
    for name in ("Conv1d", "Conv2d", "ConvTranspose2d", "Conv1D", "Conv2D", "Conv2DTranspose"):
        register_layer(getattr(nn, name))
    # Pooling, resampling and image layers (issue 14).
    for name in ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Upsample",
                 "BatchNorm2d", "Dropout2d", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                 "UpSampling2D"):
        register_layer(getattr(nn, name))


_register_builtins()


def layer_config(layer: Module) -> dict[str, Any]:
    """``{"class", "name", "config"}`` for the manifest."""
    get_config = getattr(layer, "get_config", None)
    if get_config is None:
        raise TypeError(f"{layer.display_name} ({type(layer).__name__}) cannot be saved: it has no get_config().")
    return {"class": type(layer).__name__, "name": layer.name, "config": get_config()}


def build_layer(entry: Mapping[str, Any], custom_objects: Mapping[str, type[Module]] | None = None) -> Module:
    """The layer a manifest entry describes, from the registry or ``custom_objects`` only."""
    class_name = entry.get("class")
    known = {**LAYERS, **(custom_objects or {})}
    if class_name not in known:
        raise ModelFileError(
            f"unknown layer class {class_name!r}. Known: {', '.join(sorted(known))}. For a custom layer, pass "
            f"custom_objects={{'{class_name}': YourLayer}} or decorate it with glassnet.register_layer."
        )
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ModelFileError(f"layer {entry.get('name')!r}: its config must be a JSON object, got {config!r}.")
    try:
        layer = known[class_name](**config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"layer {entry.get('name')!r} ({class_name}) cannot be built from {config}: {exc}") from exc
    layer.name = entry.get("name")
    return layer


# ----------------------------------------------------------------- writing
def write_model_file(path: str | os.PathLike[str], manifest: dict[str, Any],
                     arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``manifest`` plus ``arrays`` (keyed by logical name) atomically to ``path``."""
    entries = {}
    listing = {}
    for index, (name, value) in enumerate(arrays.items()):
        array = np.ascontiguousarray(value)
        if array.dtype.name not in ALLOWED_DTYPES:
            raise TypeError(f"write_model_file: {name} has dtype {array.dtype}, which model files do not hold.")
        entry = f"arrays/{index}.npy"
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        entries[entry] = buffer.getvalue()
        listing[name] = {"entry": entry, "shape": list(array.shape), "dtype": array.dtype.name}
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "arrays": listing}
    text = json.dumps(full, indent=1).encode("utf-8")

    def write(file: Any) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, text)
            for entry, data in entries.items():
                archive.writestr(entry, data)

    atomic_write(path, write)


# ----------------------------------------------------------------- reading
def read_model_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and the arrays of a model file, after every check in the module docstring."""
    where = os.fspath(path)
    try:
        with zipfile.ZipFile(where) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            _check_entry_names(where, infos)
            manifest = _read_manifest(where, archive, infos)
            listing = manifest.get("arrays")
            if not isinstance(listing, dict):
                raise ModelFileError(f"{where}: the manifest lists no arrays.")
            expected = {MANIFEST} | {_entry_of(where, name, spec) for name, spec in listing.items()}
            missing, extra = expected - set(infos), set(infos) - expected
            if missing or extra:
                raise ModelFileError(f"{where}: entries do not match the manifest (missing {sorted(missing)}, "
                                     f"unexpected {sorted(extra)}).")
            arrays = {name: _read_array(where, archive, infos, name, spec) for name, spec in listing.items()}
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{where}: not a readable glassnet model file ({type(exc).__name__}: {exc}).") from exc
    return manifest, arrays


def _check_entry_names(where: str, infos: Mapping[str, zipfile.ZipInfo]) -> None:
    for name in infos:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in name:
            raise ModelFileError(f"{where}: refusing the entry name {name!r} (it points outside the file).")


def _read_manifest(where: str, archive: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo]) -> dict[str, Any]:
    info = infos.get(MANIFEST)
    if info is None:
        raise ModelFileError(f"{where}: no {MANIFEST}; this is not a glassnet model file.")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ModelFileError(f"{where}: the manifest declares {info.file_size} bytes, more than a model needs.")
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{where}: the manifest is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a glassnet model file (format {manifest.get('format')!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: unknown format version {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: written by a newer glassnet ({manifest.get('glassnet_version')}, format {version}); this "
            f"glassnet reads format {FORMAT_VERSION}. Upgrade glassnet to load it."
        )
    return manifest


def _entry_of(where: str, name: str, spec: Any) -> str:
    if not isinstance(spec, dict) or not isinstance(spec.get("entry"), str):
        raise ModelFileError(f"{where}: array {name!r} has no entry in the manifest.")
    return spec["entry"]


def _read_array(where: str, archive: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo], name: str,
                spec: Mapping[str, Any]) -> np.ndarray:
    shape, dtype_name = spec.get("shape"), spec.get("dtype")
    if dtype_name not in ALLOWED_DTYPES:
        raise ModelFileError(f"{where}: array {name!r} declares dtype {dtype_name!r}; model files hold numbers only.")
    if not isinstance(shape, list) or not all(isinstance(size, int) and size >= 0 for size in shape):
        raise ModelFileError(f"{where}: array {name!r} declares an invalid shape {shape!r}.")
    nbytes = math.prod(shape) * np.dtype(dtype_name).itemsize
    stored = infos[spec["entry"]].file_size
    # Refuse before allocating anything: the entry must be the declared array plus a small header.
    if not nbytes <= stored <= nbytes + NPY_HEADER_SLACK:
        raise ModelFileError(
            f"{where}: array {name!r} declares {shape} {dtype_name} ({nbytes} bytes) but its entry holds "
            f"{stored} bytes."
        )
    try:
        array = np.load(io.BytesIO(archive.read(spec["entry"])), allow_pickle=False)
    except ValueError as exc:
        raise ModelFileError(f"{where}: array {name!r} cannot be read without pickle ({exc}).") from exc
    if list(array.shape) != shape or array.dtype.name != dtype_name:
        raise ModelFileError(
            f"{where}: array {name!r} is {array.dtype.name} {list(array.shape)}, the manifest says {dtype_name} {shape}."
        )
    return array
