"""Model.save and glassnet.load_model: a Model to and from a ``.gnet`` file (see glassnet.io.serialization).

Writing reads the model; reading returns a :class:`SavedModel` (the layers built from their
configs, and the arrays), from which ``glassnet.load_model`` makes the Model
(``Model._from_saved``): this module never names the Model class.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import losses, optim
from .._version import __version__
from ..errors import ModelFileError
from ..io.serialization import (
    build_layer,
    config_size,
    layer_config,
    model_file_bytes,
    read_model_file,
    write_model_file,
)
from ..nn.module import Module

__all__ = [
    "save_model",
    "model_to_bytes",
    "SavedModel",
    "read_saved_model",
    "restore_saved_state",
    "restore_training_state",
]


def _init_arguments(obj: Any) -> dict[str, Any]:
    """The constructor arguments an object keeps as attributes of the same name."""
    names = [
        n for n in inspect.signature(type(obj).__init__).parameters if n not in ("self", "params")
    ]
    return {name: getattr(obj, name) for name in names if name in vars(obj)}


def _compile_settings(model: Any) -> dict[str, Any] | None:
    if model.compiled_loss is None:
        return None
    loss = model.compiled_loss
    if type(loss).__name__ not in losses.__all__:
        raise TypeError(
            f"save: the loss {loss!r} is not a glassnet loss class and cannot be saved."
        )
    return {
        "loss": {"class": type(loss).__name__, "config": _init_arguments(loss)},
        "optimizer": {
            "class": type(model.optimizer).__name__,
            "config": {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in model.optimizer.defaults.items()
            },
        },
        "clipping": list(model.clipping),
        "run_eagerly": model.run_eagerly,
    }


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    include_optimizer: bool = True,
    training_state: dict[str, Any] | None = None,
) -> None:
    """Write the architecture, the weights (and optimizer state) of ``model`` to one ``.gnet`` file.

    ``training_state`` (epoch, history, random generator state) makes the file a checkpoint that
    ``fit(resume_from=...)`` continues from.
    """
    write_model_file(path, *_model_file_contents(model, include_optimizer, training_state))


def model_to_bytes(model: Any, include_optimizer: bool = True) -> bytes:
    """The ``.gnet`` file of ``model`` as bytes, without touching the disk (no pickle either).

    ``model_from_bytes`` turns them back into an identical model: same layers, weights and
    optimizer state, so its predictions are the same bit for bit.
    """
    return model_file_bytes(*_model_file_contents(model, include_optimizer, None))


def _model_file_contents(
    model: Any, include_optimizer: bool, training_state: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {
        f"weights/{name}": value for name, value in model.state_dict().items()
    }
    manifest: dict[str, Any] = {
        "glassnet_version": __version__,
        "model": {
            "name": model.name,
            "layers": [layer_config(layer) for layer in model.layers],
            "steps_taken": model._steps_taken,
        },
        "compile": _compile_settings(model),
        "optimizer_state": None,
        "training_state": training_state,
    }
    if include_optimizer and model.optimizer is not None and model.optimizer.param_groups:
        state = model.optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, entries in state["state"].items():
            for key, value in entries.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optimizer/{index}/{key}"] = value
                else:
                    scalars.setdefault(str(index), {})[key] = value
        groups = [
            {k: list(v) if isinstance(v, tuple) else v for k, v in group.items()}
            for group in state["param_groups"]
        ]
        manifest["optimizer_state"] = {"param_groups": groups, "scalars": scalars}
    return manifest, arrays


# Numbers a layer's config may declare beyond twice the weights the file holds: activations' units
# and other sizes that allocate nothing much (see glassnet.io.serialization.config_size).
CONFIG_SIZE_ALLOWANCE = 1 << 16


@dataclass
class SavedModel:
    """A ``.gnet`` file read and checked: the layers built from their configs and the arrays, from
    which ``glassnet.load_model`` makes the Model (then :func:`restore_saved_state`)."""

    where: str  # the file's path (or "<model bytes>"), for messages
    name: str | None
    layers: list[Module]
    weights: dict[str, np.ndarray]  # by state_dict name
    steps_taken: int
    compile: Any  # the compile settings (loss, optimizer, clipping), or None
    optimizer_state: Any
    arrays: dict[str, np.ndarray]  # the other arrays of the file (the optimizer's)


def read_saved_model(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    custom_objects: Mapping[str, type[Module]] | None = None,
) -> SavedModel:
    """Read a ``.gnet`` file (a path, or its bytes) and build its layers: nothing in the file is
    executed or imported.

    Raises:
        ModelFileError: for a damaged, hostile or foreign file, naming what is wrong; no other
            exception comes out of a file's content (tests/io/test_fuzz_files.py fuzzes this).
    """
    where = (
        "<model bytes>" if isinstance(source, (bytes, bytearray, memoryview)) else os.fspath(source)
    )
    manifest, arrays = read_model_file(source)
    spec = _model_spec(where, manifest)
    # Popped so that each array is freed once copied into the model: a load holds about the file's
    # size in arrays at any moment, not twice it.
    weights = {
        name.removeprefix("weights/"): arrays.pop(name)
        for name in list(arrays)
        if name.startswith("weights/")
    }
    return SavedModel(
        where=where,
        name=spec.get("name"),
        layers=_build_layers(where, spec, weights, custom_objects),
        weights=weights,
        steps_taken=spec.get("steps_taken", 0),
        compile=manifest.get("compile"),
        optimizer_state=manifest.get("optimizer_state"),
        arrays=arrays,
    )


def restore_saved_state(model: Any, saved: SavedModel, compile: bool) -> None:
    """Put a file's weights into ``model`` (made of ``saved.layers``), and with ``compile`` its loss,
    optimizer and optimizer state."""
    _build_lazy_layers(model, saved.weights)
    try:
        model.load_state_dict(saved.weights)
    except ValueError as exc:
        raise ModelFileError(
            f"{saved.where}: the weights do not fit the architecture: {exc}"
        ) from exc
    saved.weights.clear()  # copied into the model
    model._steps_taken = saved.steps_taken
    if compile and saved.compile:
        _restore_compile(model, saved.compile, saved.optimizer_state, saved.arrays, saved.where)


def _model_spec(where: str, manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = manifest.get("model")
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise ModelFileError(f"{where}: the manifest describes no layers.")
    if spec.get("name") is not None and not isinstance(spec.get("name"), str):
        raise ModelFileError(
            f"{where}: the model's name must be a string, got {spec.get('name')!r}."
        )
    steps = spec.get("steps_taken", 0)
    if type(steps) is not int or steps < 0:
        raise ModelFileError(f"{where}: steps_taken must be a whole number >= 0, got {steps!r}.")
    return spec


def _build_layers(
    where: str,
    spec: Mapping[str, Any],
    weights: Mapping[str, np.ndarray],
    custom_objects: Mapping[str, type[Module]] | None,
) -> list[Module]:
    # Layers allocate their weights from their configs before the file's weights are checked
    # against them; the sizes the configs declare must stay within what the file holds.
    budget = 2 * sum(value.size for value in weights.values()) + CONFIG_SIZE_ALLOWANCE
    layers = []
    for entry in spec["layers"]:
        try:
            layers.append(build_layer(entry, custom_objects, size_limit=budget))
        except ModelFileError as exc:
            raise ModelFileError(f"{where}: {exc}") from exc
        budget -= config_size(entry["config"])
    return layers


def restore_training_state(model: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint's weights and optimizer state into ``model`` (already compiled, same
    architecture) and return its training state: epoch, history and generator state."""
    manifest, arrays = read_model_file(path)
    where = os.fspath(path)
    state = manifest.get("training_state")
    if not isinstance(state, dict):
        raise ModelFileError(
            f"{where}: not a training checkpoint (no training state); save one with "
            "ModelCheckpoint('....gnet')."
        )
    weights = {
        name.removeprefix("weights/"): value
        for name, value in arrays.items()
        if name.startswith("weights/")
    }
    try:
        model.load_state_dict(weights)
    except ValueError as exc:
        raise ModelFileError(f"{where}: the checkpoint does not fit this model: {exc}") from exc
    optimizer_state = manifest.get("optimizer_state")
    if optimizer_state:
        if not model.optimizer.param_groups:
            model.optimizer.bind(list(model.parameters()))
        _load_optimizer_state(model.optimizer, optimizer_state, arrays, where)
    steps = state.get("steps_taken", 0)
    if type(steps) is not int or steps < 0:
        raise ModelFileError(f"{where}: steps_taken must be a whole number >= 0, got {steps!r}.")
    model._steps_taken = steps
    return state


def _load_optimizer_state(
    optimizer: Any, state: Any, arrays: Mapping[str, np.ndarray], where: str
) -> None:
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: the optimizer state must be a JSON object.")
    groups, scalars = state.get("param_groups", []), state.get("scalars", {})
    _check_groups(optimizer, groups, where)
    if not isinstance(scalars, dict) or not all(
        isinstance(entries, dict) for entries in scalars.values()
    ):
        raise ModelFileError(
            f"{where}: the optimizer's scalars must map parameter numbers to objects."
        )
    per_param: dict[int, dict[str, Any]] = {}
    try:
        for index, entries in scalars.items():
            for key, value in entries.items():
                if not _is_number(value):
                    raise ValueError(
                        f"scalar {key!r} of parameter {index} is {value!r}, not a finite number"
                    )
            per_param.setdefault(int(index), {}).update(entries)
        for name, value in arrays.items():
            if name.startswith("optimizer/"):
                _, index, key = name.split("/", 2)
                per_param.setdefault(int(index), {})[key] = value  # load_state_dict copies it
        if any(index < 0 for index in per_param):
            raise ValueError("a negative parameter number")
        optimizer.load_state_dict({"param_groups": groups, "state": per_param})
    except (ValueError, IndexError) as exc:
        raise ModelFileError(f"{where}: the optimizer state does not fit the model: {exc}") from exc


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _same_kind(saved: Any, current: Any) -> bool:
    """Whether a saved hyper-parameter has the type of the optimizer's own (JSON keeps tuples as lists)."""
    if isinstance(current, bool) or current is None:
        return saved is current or (isinstance(saved, bool) and isinstance(current, bool))
    if isinstance(current, (int, float)):
        return _is_number(saved)
    if isinstance(current, tuple):
        return (
            isinstance(saved, list)
            and len(saved) == len(current)
            and all(map(_same_kind, saved, current))
        )
    return type(saved) is type(current)


def _check_groups(optimizer: Any, groups: Any, where: str) -> None:
    """Saved parameter groups must have the bound groups' keys, value types and valid values."""
    bound = optimizer.param_groups
    if not isinstance(groups, list) or len(groups) != len(bound):
        raise ModelFileError(
            f"{where}: the optimizer state has {groups!r:.80} for {len(bound)} parameter groups."
        )
    for saved, group in zip(groups, bound):
        keys = set(group) - {"params"}
        if not isinstance(saved, dict) or not keys <= set(saved):
            raise ModelFileError(
                f"{where}: a saved parameter group does not have the keys {sorted(keys)}."
            )
        # Keys the optimizer lacks come from schedules (initial_lr, max_lr, ...): numbers only.
        wrong = [key for key in set(saved) - keys - {"params"} if not _is_number(saved[key])]
        wrong += [key for key in keys if not _same_kind(saved[key], group[key])]
        if wrong:
            raise ModelFileError(
                f"{where}: the saved optimizer settings {sorted(wrong)} have the wrong type."
            )
        trial = {
            **group,
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in saved.items()
                if key != "params"
            },
        }
        try:
            optimizer.validate(trial)
        except (ValueError, TypeError) as exc:
            raise ModelFileError(
                f"{where}: the saved optimizer settings are invalid: {exc}"
            ) from exc


def _build_lazy_layers(model: Any, weights: Mapping[str, np.ndarray]) -> None:
    for layer in model.layers:
        if hasattr(layer, "built") and not layer.built:
            kernel = weights.get(f"{layer.name}.weight")
            if kernel is None or kernel.ndim != 2:
                raise ModelFileError(
                    f"layer {layer.name!r} has no weight of shape (units, in_features) in the file."
                )
            try:
                layer.build(int(kernel.shape[1]))
            except (ValueError, TypeError) as exc:
                raise ModelFileError(
                    f"layer {layer.name!r} cannot be built from the file's weights: {exc}"
                ) from exc


def _spec(where: str, settings: Mapping[str, Any], what: str) -> tuple[str, dict[str, Any]]:
    spec = settings.get(what)
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("class"), str)
        or not isinstance(spec.get("config", {}), dict)
    ):
        raise ModelFileError(
            f"{where}: the compile settings' {what} must be {{'class': name, 'config': {{...}}}}."
        )
    return spec["class"], spec.get("config", {})


def _restore_compile(
    model: Any, settings: Any, state: Any, arrays: Mapping[str, np.ndarray], where: str
) -> None:
    if not isinstance(settings, dict):
        raise ModelFileError(f"{where}: the compile settings must be a JSON object.")
    (loss_name, loss_config), (optimizer_name, optimizer_config) = (
        _spec(where, settings, "loss"),
        _spec(where, settings, "optimizer"),
    )
    loss_class = getattr(losses, loss_name, None) if loss_name in losses.__all__ else None
    optimizer_class = (
        getattr(optim, optimizer_name, None) if optimizer_name in optim.__all__ else None
    )
    if not (isinstance(loss_class, type) and issubclass(loss_class, losses.Loss)):
        raise ModelFileError(f"{where}: unknown loss class {loss_name!r}.")
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, optim.Optimizer)):
        raise ModelFileError(f"{where}: unknown optimizer class {optimizer_name!r}.")
    clipping = settings.get("clipping", [None, None, None])
    run_eagerly = settings.get("run_eagerly", False)
    if not (
        isinstance(clipping, list)
        and len(clipping) == 3
        and all(c is None or _is_number(c) for c in clipping)
        and isinstance(run_eagerly, bool)
    ):
        raise ModelFileError(
            f"{where}: invalid clipping {clipping!r} or run_eagerly {run_eagerly!r}."
        )
    try:
        loss = loss_class(**loss_config)
        optimizer = optimizer_class(**optimizer_config)
        clipnorm, clipvalue, global_clipnorm = clipping
        model.compile(
            optimizer=optimizer,
            loss=loss,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            run_eagerly=run_eagerly,
        )
    except Exception as exc:  # constructors given a file's config: any failure is the file's
        raise ModelFileError(
            f"{where}: the compile settings cannot be restored: {type(exc).__name__}: {exc}"
        ) from exc
    if state:
        optimizer.bind(list(model.parameters()))
        _load_optimizer_state(optimizer, state, arrays, where)
