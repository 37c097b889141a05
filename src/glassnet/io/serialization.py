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
import stat
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ModelFileError
from ..nn.module import Module
from .atomic import atomic_write

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LAYERS",
    "register_layer",
    "layer_config",
    "build_layer",
    "write_model_file",
    "model_file_bytes",
    "read_model_file",
]

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
NPY_HEADER_SLACK = (
    4096  # an .npy header is at most a few hundred bytes; anything beyond is not ours
)
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

    for name in (
        "Input",
        "Linear",
        "Dense",
        "Dropout",
        "BatchNorm1d",
        "LayerNorm",
        "Embedding",
        "MultiheadAttention",
        "MultiHeadAttention",
        "TransformerEncoderLayer",
        "TransformerEncoder",
        "PositionalEncoding",
        "RNN",
        "LSTM",
        "GRU",
        "RNNCell",
        "LSTMCell",
        "GRUCell",
        "SimpleRNN",
        "Bidirectional",
        "TimeDistributed",
        "Masking",
    ):
        register_layer(getattr(nn, name))
    # Every activation layer of the registry (ReLU, Sigmoid, Softmax, ...).
    from ..nn.activations import ACTIVATIONS

    for spec in ACTIVATIONS.values():
        if spec.layer is not None:
            register_layer(spec.layer)
    for name in ("Conv1d", "Conv2d", "ConvTranspose2d", "Conv1D", "Conv2D", "Conv2DTranspose"):
        register_layer(getattr(nn, name))
    # Pooling, resampling and image layers (issue 14).
    for name in (
        "MaxPool1d",
        "MaxPool2d",
        "AvgPool1d",
        "AvgPool2d",
        "AdaptiveAvgPool2d",
        "Flatten",
        "Upsample",
        "BatchNorm2d",
        "Dropout2d",
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "UpSampling2D",
    ):
        register_layer(getattr(nn, name))
    # Keras's LSTM and GRU share their class names with PyTorch's (glassnet.nn.LSTM): they are
    # stored as "keras.LSTM" and "keras.GRU" (their registry_name).
    from ..nn import keras_recurrent

    for cls in (keras_recurrent.LSTM, keras_recurrent.GRU):
        LAYERS[layer_class_name(cls)] = cls


def layer_class_name(cls: type[Module]) -> str:
    """The name a model file stores for a layer class: its own ``registry_name`` if it declares
    one (not inherited), else the class name."""
    return cls.__dict__.get("registry_name", cls.__name__)


_register_builtins()


def layer_config(layer: Module) -> dict[str, Any]:
    """``{"class", "name", "config"}`` for the manifest."""
    get_config = getattr(layer, "get_config", None)
    if get_config is None:
        raise TypeError(
            f"{layer.display_name} ({type(layer).__name__}) cannot be saved: it has no get_config()."
        )
    return {"class": layer_class_name(type(layer)), "name": layer.name, "config": get_config()}


def build_layer(
    entry: Mapping[str, Any],
    custom_objects: Mapping[str, type[Module]] | None = None,
    size_limit: int | None = None,
) -> Module:
    """The layer a manifest entry describes, from the registry or ``custom_objects`` only.

    ``size_limit`` (used when loading a file) refuses configs whose integers could make the layer
    allocate more numbers than that before its weights are checked against the file's.
    """
    if not isinstance(entry, Mapping):
        raise ModelFileError(f"a layer entry must be a JSON object, got {type(entry).__name__}.")
    class_name = entry.get("class")
    known = {**LAYERS, **(custom_objects or {})}
    if not isinstance(class_name, str) or class_name not in known:
        raise ModelFileError(
            f"unknown layer class {class_name!r}. Known: {', '.join(sorted(known))}. For a custom layer, pass "
            f"custom_objects={{'{class_name}': YourLayer}} or decorate it with glassnet.register_layer."
        )
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise ModelFileError(f"a {class_name} layer's name must be a string, got {name!r}.")
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ModelFileError(f"layer {name!r}: its config must be a JSON object, got {config!r}.")
    if size_limit is not None:
        _check_config_sizes(name, class_name, config, size_limit)
    # A wrapper (Bidirectional, TimeDistributed) stores the layer it wraps as a nested entry.
    config = {
        key: build_layer(value, custom_objects, size_limit) if _is_layer_entry(value) else value
        for key, value in config.items()
    }
    try:
        layer = known[class_name](**config)
    except Exception as exc:  # a constructor given a file's config: any failure is the file's fault
        raise ModelFileError(
            f"layer {name!r} ({class_name}) cannot be built from {config}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    layer.name = name
    return layer


# Config integers that index into a layer rather than size it (Embedding's padding row).
NOT_SIZES = frozenset({"padding_idx"})


def config_size(config: Mapping[str, Any]) -> int:
    """The product of a layer config's two largest integers: a bound on the numbers it allocates.

    A layer's constructor allocates its weights from its config (``Linear(in, out)`` draws
    ``in * out`` numbers) before any check against a file's arrays, so a tiny file could declare
    a layer of billions of weights. A weight matrix takes two sizes from the config, so this
    product bounds what a layer allocates.
    """
    sizes = sorted(
        (abs(value) for key, value in _config_integers(config) if key not in NOT_SIZES),
        reverse=True,
    )
    return (sizes[0] if sizes else 0) * (sizes[1] if len(sizes) > 1 else 1)


def _check_config_sizes(
    name: Any, class_name: str, config: Mapping[str, Any], size_limit: int
) -> None:
    size = config_size(config)
    if size > size_limit:
        raise ModelFileError(
            f"layer {name!r} ({class_name}): its config declares sizes of {size} numbers, more than the "
            f"{size_limit} the file's weights leave for it."
        )


def _config_integers(value: Any, key: str = "") -> list[tuple[str, int]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [(key, value)]
    if isinstance(value, dict):
        return [pair for k, item in value.items() for pair in _config_integers(item, str(k))]
    if isinstance(value, list):
        return [pair for item in value for pair in _config_integers(item, key)]
    return []


def _is_layer_entry(value: Any) -> bool:
    return (
        isinstance(value, dict) and set(value) <= {"class", "name", "config"} and "class" in value
    )


# ----------------------------------------------------------------- writing
def write_model_file(
    path: str | os.PathLike[str], manifest: dict[str, Any], arrays: Mapping[str, np.ndarray]
) -> None:
    """Write ``manifest`` plus ``arrays`` (keyed by logical name) atomically to ``path``."""
    content = model_file_bytes(manifest, arrays)
    atomic_write(path, lambda file: file.write(content))


def model_file_bytes(manifest: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    """The bytes of the model file ``write_model_file`` writes (for keeping a model in memory)."""
    entries = {}
    listing = {}
    for index, (name, value) in enumerate(arrays.items()):
        array = np.ascontiguousarray(value)
        if array.dtype.name not in ALLOWED_DTYPES:
            raise TypeError(
                f"write_model_file: {name} has dtype {array.dtype}, which model files do not hold."
            )
        entry = f"arrays/{index}.npy"
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        entries[entry] = buffer.getvalue()
        listing[name] = {"entry": entry, "shape": list(array.shape), "dtype": array.dtype.name}
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest, "arrays": listing}
    text = json.dumps(full, indent=1).encode("utf-8")
    file = io.BytesIO()
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, text)
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return file.getvalue()


# ----------------------------------------------------------------- reading
def read_model_file(
    path: str | os.PathLike[str] | bytes,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and the arrays of a model file (a path, or the file's bytes), after every
    check in the module docstring."""
    in_memory = isinstance(path, (bytes, bytearray, memoryview))
    where = "<model bytes>" if in_memory else os.fspath(path)
    try:
        with (
            io.BytesIO(path) if in_memory else open(where, "rb") as file,
            zipfile.ZipFile(file) as archive,
        ):
            size = len(path) if in_memory else os.fstat(file.fileno()).st_size
            infos = check_members(where, archive, size)
            manifest = _read_manifest(where, archive, infos)
            listing = manifest.get("arrays")
            if not isinstance(listing, dict):
                raise ModelFileError(f"{where}: the manifest lists no arrays.")
            entries = [_entry_of(where, name, spec) for name, spec in listing.items()]
            if len(set(entries)) != len(entries):
                raise ModelFileError(f"{where}: two arrays of the manifest name the same entry.")
            expected = {MANIFEST, *entries}
            missing, extra = expected - set(infos), set(infos) - expected
            if missing or extra:
                raise ModelFileError(
                    f"{where}: entries do not match the manifest (missing {sorted(missing)}, "
                    f"unexpected {sorted(extra)})."
                )
            arrays = {
                name: _read_array(where, archive, infos, name, spec)
                for name, spec in listing.items()
            }
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        KeyError,
        NotImplementedError,
        RuntimeError,
        OverflowError,
    ) as exc:
        # NotImplementedError: an unknown compression method; RuntimeError: an encrypted entry.
        raise ModelFileError(
            f"{where}: not a readable glassnet model file ({type(exc).__name__}: {exc})."
        ) from exc
    return manifest, arrays


def check_members(
    where: str, archive: zipfile.ZipFile, file_size: int
) -> dict[str, zipfile.ZipInfo]:
    """The zip's entries by name, after refusing what glassnet never writes and what could exhaust memory.

    Every entry must be a plain file stored without compression, under a name that stays inside
    the file and appears once; the declared sizes must add up to no more than the file itself.
    A compressed entry could inflate a thousand times beyond its stored bytes, so none is read.
    """
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename
        if not name:
            raise ModelFileError(f"{where}: an entry has no name.")
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in name or "\x00" in name:
            raise ModelFileError(
                f"{where}: refusing the entry name {name!r} (it points outside the file)."
            )
        if name in infos:
            raise ModelFileError(f"{where}: the entry {name!r} appears twice.")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer recorded no Unix file type
        if info.is_dir() or kind not in (0, stat.S_IFREG):
            raise ModelFileError(
                f"{where}: the entry {name!r} is not a plain file (a folder or a symlink)."
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                f"{where}: the entry {name!r} is compressed; glassnet files store their entries "
                "uncompressed (write them with glassnet or numpy.savez, not savez_compressed)."
            )
        if info.file_size != info.compress_size:
            raise ModelFileError(
                f"{where}: the entry {name!r} declares {info.file_size} bytes but stores "
                f"{info.compress_size}."
            )
        infos[name] = info
    if sum(info.file_size for info in infos.values()) > file_size:
        raise ModelFileError(
            f"{where}: its entries declare more bytes than the file holds ({file_size})."
        )
    return infos


def _read_manifest(
    where: str, archive: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo]
) -> dict[str, Any]:
    info = infos.get(MANIFEST)
    if info is None:
        raise ModelFileError(f"{where}: no {MANIFEST}; this is not a glassnet model file.")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ModelFileError(
            f"{where}: the manifest declares {info.file_size} bytes, more than a model needs."
        )
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(
            f"{where}: the manifest is not valid JSON ({type(exc).__name__})."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ModelFileError(f"{where}: not a glassnet model file (format {found!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
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


def _read_array(
    where: str,
    archive: zipfile.ZipFile,
    infos: Mapping[str, zipfile.ZipInfo],
    name: str,
    spec: Mapping[str, Any],
) -> np.ndarray:
    shape, dtype_name = spec.get("shape"), spec.get("dtype")
    if not isinstance(dtype_name, str) or dtype_name not in ALLOWED_DTYPES:
        raise ModelFileError(
            f"{where}: array {name!r} declares dtype {dtype_name!r}; model files hold numbers only."
        )
    if not isinstance(shape, list) or not all(type(size) is int and size >= 0 for size in shape):
        raise ModelFileError(f"{where}: array {name!r} declares an invalid shape {shape!r}.")
    nbytes = math.prod(shape) * np.dtype(dtype_name).itemsize
    stored = infos[spec["entry"]].file_size
    # Refuse before allocating anything: the entry must be the declared array plus a small header.
    if not nbytes <= stored <= nbytes + NPY_HEADER_SLACK:
        raise ModelFileError(
            f"{where}: array {name!r} declares {shape} {dtype_name} ({nbytes} bytes) but its entry holds "
            f"{stored} bytes."
        )
    array = read_npy(where, archive, spec["entry"], f"array {name!r}")
    if list(array.shape) != shape or array.dtype.name != dtype_name:
        raise ModelFileError(
            f"{where}: array {name!r} is {array.dtype.name} {list(array.shape)}, the manifest says {dtype_name} {shape}."
        )
    return array


def read_npy(where: str, archive: zipfile.ZipFile, entry: str, what: str) -> np.ndarray:
    """One ``.npy`` entry of numbers, its header checked against the entry's size before allocating."""
    info = archive.getinfo(entry)
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }.get(version)
            if read_header is None:
                raise ValueError(f"unsupported .npy version {version}")
            shape, fortran_order, dtype = read_header(member, max_header_size=NPY_HEADER_SLACK)
        except (ValueError, SyntaxError, TypeError, EOFError, OverflowError) as exc:
            raise ModelFileError(f"{where}: {what} is not an .npy array ({exc}).") from exc
        if (
            dtype.kind not in "biuf"
            or dtype.hasobject
            or dtype.fields is not None
            or dtype.subdtype is not None
        ):
            raise ModelFileError(
                f"{where}: {what} holds {dtype}; glassnet files hold numbers only, never objects."
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - member.tell():
            raise ModelFileError(
                f"{where}: {what} declares {shape} {dtype} ({nbytes} bytes of data) but its entry "
                f"holds {info.file_size - member.tell()}."
            )
        data = member.read(nbytes)
    if len(data) != nbytes:
        raise ModelFileError(f"{where}: {what} is cut short.")
    # Copied once out of the read-only bytes: callers get a writable array, as from np.load.
    return (
        np.frombuffer(data, dtype=dtype)
        .reshape(shape, order="F" if fortran_order else "C")
        .copy(order="K")
    )
