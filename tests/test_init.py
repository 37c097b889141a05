"""The top-level package: every layer a user puts in ``Model([...])`` is importable from it."""

from __future__ import annotations

import inspect

import glassnet
import glassnet.nn
from glassnet.io.serialization import LAYERS

# PyTorch's recurrent layers return (output, state) tuples, so they are never a step of
# Model([...]); at the top level their names are Keras's layers (glassnet.LSTM is Keras's LSTM, as
# glassnet.Dense is Keras's and glassnet.nn.Linear PyTorch's). They stay in glassnet.nn.
PYTORCH_ONLY = {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"}


def _nn_layers() -> dict[str, type]:
    """Every Module class that glassnet.nn exports, found by type, so new layers are caught unasked."""
    exported = {name: getattr(glassnet.nn, name) for name in glassnet.nn.__all__}
    return {
        name: obj
        for name, obj in exported.items()
        if inspect.isclass(obj) and issubclass(obj, glassnet.nn.Module)
    }


def test_every_layer_of_nn_is_exported_at_the_top_level() -> None:
    layers = _nn_layers()
    assert {"Linear", "Dropout", "BatchNorm1d", "LayerNorm", "Embedding"} <= set(layers)
    missing = sorted(set(layers) - set(glassnet.__all__) - PYTORCH_ONLY)
    assert not missing, f"add {missing} to glassnet/__init__.py (import and __all__)"
    for name, cls in layers.items():
        if name not in PYTORCH_ONLY:
            assert getattr(glassnet, name) is cls, name


def test_every_module_class_in_nn_is_in_its_all() -> None:
    # A layer defined in glassnet.nn but left out of nn.__all__ would escape the test above.
    defined = {
        name
        for name, obj in vars(glassnet.nn).items()
        if inspect.isclass(obj) and issubclass(obj, glassnet.nn.Module) and not name.startswith("_")
    }
    assert defined <= set(glassnet.nn.__all__), sorted(defined - set(glassnet.nn.__all__))


def test_every_registered_layer_is_importable_from_both() -> None:
    builtin = [cls for cls in LAYERS.values() if cls.__module__.startswith("glassnet.")]
    top = {id(getattr(glassnet, name)) for name in glassnet.__all__}
    nn = {id(getattr(glassnet.nn, name)) for name in glassnet.nn.__all__}
    # Keras's LSTM and GRU, whose names glassnet.nn gives PyTorch's, are in glassnet.nn.keras_recurrent.
    nn |= {
        id(getattr(glassnet.nn.keras_recurrent, name))
        for name in glassnet.nn.keras_recurrent.__all__
    }
    for cls in builtin:
        assert id(cls) in nn, cls
        assert id(cls) in top or cls.__name__ in PYTORCH_ONLY, cls


def test_every_name_in_all_exists() -> None:
    for module in (glassnet, glassnet.nn):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names {name}, which it lacks"


def test_dropout_imports_from_the_top_level_as_a_user_would() -> None:
    from glassnet import Dropout, Linear, Model, ReLU

    model = Model([Linear(3, 4), ReLU(), Dropout(0.5), Linear(4, 1)])
    assert len(model.layers) == 4
