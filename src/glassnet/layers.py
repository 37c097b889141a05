"""Keras's layer names in one place, for ``Model([...])``: ``from glassnet.layers import LSTM, Dense``.

The same classes are importable from ``glassnet`` itself. Here ``LSTM``, ``GRU`` and ``SimpleRNN`` are
Keras's (one output tensor, ``units``, ``return_sequences``); PyTorch's recurrent layers, which
return ``(output, state)`` tuples, are ``glassnet.nn.RNN``, ``glassnet.nn.LSTM`` and ``glassnet.nn.GRU``.
"""

from .nn.activations import Activation
from .nn.dense import Dense
from .nn.embedding import Embedding
from .nn.input_layer import Input
from .nn.keras_recurrent import (
    GRU,
    LSTM,
    Bidirectional,
    Masking,
    SimpleRNN,
    TimeDistributed,
)
from .nn.normalization import BatchNorm1d, LayerNorm
from .nn.regularization import Dropout

__all__ = [
    "GRU",
    "LSTM",
    "Activation",
    "BatchNorm1d",
    "Bidirectional",
    "Dense",
    "Dropout",
    "Embedding",
    "Input",
    "LayerNorm",
    "Masking",
    "SimpleRNN",
    "TimeDistributed",
]
