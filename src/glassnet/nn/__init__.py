"""Layers and the Module contract (PyTorch-style names: ``in_features``, ``state_dict``...).

``glassnet.nn.LSTM``, ``GRU`` and ``RNN`` are PyTorch's recurrent layers (they return
``(output, state)``); Keras's ``LSTM`` and ``GRU`` for ``Model([...])`` are ``glassnet.LSTM`` and
``glassnet.GRU`` (also ``glassnet.layers`` and ``glassnet.nn.keras_recurrent``).
"""

from . import init
from .activations import (ELU, GELU, SELU, Activation, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax,
                          Softplus, Tanh)
from .attention import MultiheadAttention, MultiHeadAttention
from .containers import Sequential
from .dense import Dense
from .embedding import Embedding
from .input_layer import Input
from .keras_recurrent import Bidirectional, Masking, SimpleRNN, TimeDistributed
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .regularization import Dropout
from .transformer import PositionalEncoding, TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "Module",
    "Parameter",
    "Linear",
    "Dense",
    "Input",
    "Sequential",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
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
    "keras_recurrent",
    "init",
]
