"""Layers and the Module contract (PyTorch-style names: ``in_features``, ``state_dict``...).

``glassnet.nn.LSTM``, ``GRU`` and ``RNN`` are PyTorch's recurrent layers (they return
``(output, state)``); Keras's ``LSTM`` and ``GRU`` for ``Model([...])`` are ``glassnet.LSTM`` and
``glassnet.GRU`` (also ``glassnet.layers`` and ``glassnet.nn.keras_recurrent``).
"""

from . import init
from .activations import (
    ELU,
    GELU,
    SELU,
    Activation,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .attention import MultiHeadAttention, MultiheadAttention
from .containers import Sequential
from .conv import Conv1D, Conv1d, Conv2D, Conv2d, Conv2DTranspose, ConvTranspose2d
from .dense import Dense
from .embedding import Embedding
from .input_layer import Input
from .keras_recurrent import Bidirectional, Masking, SimpleRNN, TimeDistributed
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import (
    AdaptiveAvgPool2d,
    AveragePooling2D,
    AvgPool1d,
    AvgPool2d,
    GlobalAveragePooling2D,
    MaxPool1d,
    MaxPool2d,
    MaxPooling2D,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .regularization import Dropout, Dropout2d
from .reshaping import Flatten, Upsample, UpSampling2D
from .transformer import PositionalEncoding, TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "Module",
    "Parameter",
    "Linear",
    "Dense",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
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
    "Dropout2d",
    "BatchNorm1d",
    "BatchNorm2d",
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
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Flatten",
    "Upsample",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "UpSampling2D",
    "init",
]
