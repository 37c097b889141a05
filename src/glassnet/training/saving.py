"""Model.save and glassnet.load_model: a Model to and from a ``.gnet`` file (see glassnet.io.serialization)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import losses, optim
from .._version import __version__
from ..errors import ModelFileError
from ..io.serialization import build_layer, layer_config, model_file_bytes, read_model_file, write_model_file
from ..nn.module import Module

__all__ = ["save_model", "load_model", "model_to_bytes", "model_from_bytes", "restore_training_state"]


def _init_arguments(obj: Any) -> dict[str, Any]:
    """The constructor arguments an object keeps as attributes of the same name."""
    names = [n for n in inspect.signature(type(obj).__init__).parameters if n not in ("self", "params")]
    return {name: getattr(obj, name) for name in names if name in vars(obj)}


def _compile_settings(model: Any) -> dict[str, Any] | None:
    if model.compiled_loss is None:
        return None
    loss = model.compiled_loss
    if type(loss).__name__ not in losses.__all__:
        raise TypeError(f"save: the loss {loss!r} is not a glassnet loss class and cannot be saved.")
    return {"loss": {"class": type(loss).__name__, "config": _init_arguments(loss)},
            "optimizer": {"class": type(model.optimizer).__name__,
                          "config": {k: list(v) if isinstance(v, tuple) else v
                                     for k, v in model.optimizer.defaults.items()}},
            "clipping": list(model.clipping), "run_eagerly": model.run_eagerly}


def save_model(model: Any, path: str | os.PathLike[str], include_optimizer: bool = True,
               training_state: dict[str, Any] | None = None) -> None:
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


def model_from_bytes(data: bytes, custom_objects: Mapping[str, type[Module]] | None = None,
                     compile: bool = True) -> Any:
    """The Model that ``model_to_bytes`` wrote, with every check ``load_model`` makes."""
    return _model_from_file(read_model_file(data), "<model bytes>", custom_objects, compile)


def _model_file_contents(model: Any, include_optimizer: bool, training_state: dict[str, Any] | None
                         ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {f"weights/{name}": value for name, value in model.state_dict().items()}
    manifest: dict[str, Any] = {
        "glassnet_version": __version__,
        "model": {"name": model.name, "layers": [layer_config(layer) for layer in model.layers],
                  "steps_taken": model._steps_taken},
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
        groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in group.items()}
                  for group in state["param_groups"]]
        manifest["optimizer_state"] = {"param_groups": groups, "scalars": scalars}
    return manifest, arrays


def load_model(path: str | os.PathLike[str], custom_objects: Mapping[str, type[Module]] | None = None,
               compile: bool = True) -> Any:
    """Rebuild a Model from a ``.gnet`` file: nothing in the file is executed or imported.

    Args:
        custom_objects: ``{"ClassName": cls}`` for layer classes that are not registered.
        compile: restore the loss, the optimizer and its state, when the file has them.

    Raises:
        ModelFileError: for a damaged, hostile or foreign file, naming what is wrong.
    """
    return _model_from_file(read_model_file(path), os.fspath(path), custom_objects, compile)


def _model_from_file(contents: tuple[dict[str, Any], dict[str, np.ndarray]], where: str,
                     custom_objects: Mapping[str, type[Module]] | None, compile: bool) -> Any:
    from .model import Model

    manifest, arrays = contents
    spec = manifest.get("model")
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise ModelFileError(f"{where}: the manifest describes no layers.")
    model = Model([build_layer(entry, custom_objects) for entry in spec["layers"]], name=spec.get("name"))
    weights = {name.removeprefix("weights/"): value for name, value in arrays.items() if name.startswith("weights/")}
    _build_lazy_layers(model, weights)
    try:
        model.load_state_dict(weights)
    except ValueError as exc:
        raise ModelFileError(f"{where}: the weights do not fit the architecture: {exc}") from exc
    model._steps_taken = int(spec.get("steps_taken", 0))
    settings = manifest.get("compile")
    if compile and settings:
        _restore_compile(model, settings, manifest.get("optimizer_state"), arrays, where)
    return model


def restore_training_state(model: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint's weights and optimizer state into ``model`` (already compiled, same
    architecture) and return its training state: epoch, history and generator state."""
    manifest, arrays = read_model_file(path)
    where = os.fspath(path)
    state = manifest.get("training_state")
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: not a training checkpoint (no training state); save one with "
                             "ModelCheckpoint('....gnet').")
    weights = {name.removeprefix("weights/"): value for name, value in arrays.items() if name.startswith("weights/")}
    try:
        model.load_state_dict(weights)
    except ValueError as exc:
        raise ModelFileError(f"{where}: the checkpoint does not fit this model: {exc}") from exc
    optimizer_state = manifest.get("optimizer_state")
    if optimizer_state:
        if not model.optimizer.param_groups:
            model.optimizer.bind(list(model.parameters()))
        _load_optimizer_state(model.optimizer, optimizer_state, arrays, where)
    model._steps_taken = int(state.get("steps_taken", 0))
    return state


def _load_optimizer_state(optimizer: Any, state: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                          where: str) -> None:
    per_param: dict[int, dict[str, Any]] = {}
    for index, entries in state.get("scalars", {}).items():
        per_param.setdefault(int(index), {}).update(entries)
    for name, value in arrays.items():
        if name.startswith("optimizer/"):
            _, index, key = name.split("/", 2)
            per_param.setdefault(int(index), {})[key] = value.copy()
    try:
        optimizer.load_state_dict({"param_groups": state.get("param_groups", []), "state": per_param})
    except (ValueError, IndexError) as exc:
        raise ModelFileError(f"{where}: the optimizer state does not fit the model: {exc}") from exc


def _build_lazy_layers(model: Any, weights: Mapping[str, np.ndarray]) -> None:
    for layer in model.layers:
        if hasattr(layer, "built") and not layer.built:
            kernel = weights.get(f"{layer.name}.weight")
            if kernel is None or kernel.ndim != 2:
                raise ModelFileError(f"layer {layer.name!r} has no weight of shape (units, in_features) in the file.")
            layer.build(int(kernel.shape[1]))


def _restore_compile(model: Any, settings: Mapping[str, Any], state: Mapping[str, Any] | None,
                     arrays: Mapping[str, np.ndarray], where: str) -> None:
    loss_spec, optimizer_spec = settings.get("loss", {}), settings.get("optimizer", {})
    loss_class = getattr(losses, str(loss_spec.get("class")), None)
    optimizer_class = getattr(optim, str(optimizer_spec.get("class")), None)
    if not (isinstance(loss_class, type) and issubclass(loss_class, losses.Loss)):
        raise ModelFileError(f"{where}: unknown loss class {loss_spec.get('class')!r}.")
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, optim.Optimizer)):
        raise ModelFileError(f"{where}: unknown optimizer class {optimizer_spec.get('class')!r}.")
    try:
        loss = loss_class(**loss_spec.get("config", {}))
        optimizer = optimizer_class(**optimizer_spec.get("config", {}))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: the compile settings cannot be restored: {exc}") from exc
    clipnorm, clipvalue, global_clipnorm = settings.get("clipping", [None, None, None])
    model.compile(optimizer=optimizer, loss=loss, clipnorm=clipnorm, clipvalue=clipvalue,
                  global_clipnorm=global_clipnorm, run_eagerly=bool(settings.get("run_eagerly", False)))
    if state:
        optimizer.bind(list(model.parameters()))
        _load_optimizer_state(optimizer, state, arrays, where)
