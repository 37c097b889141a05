"""glassnet: a deep learning framework on NumPy whose every forward pass and gradient can be read.

>>> import glassnet as gn
>>> w = gn.Tensor([1.0, -2.0], requires_grad=True)
>>> loss = ((w * 3.0) ** 2).sum()
>>> loss.backward()
>>> w.grad.tolist()
[18.0, -36.0]
"""

from ._version import __version__
from . import callbacks, data, errors, functional, losses, metrics, nn, optim, random, regularizers
from .autograd import Function, Tensor, as_tensor, enable_grad, gradcheck, is_grad_enabled, no_grad
from .autograd.observe import detect_anomaly
from . import diagnostics, viz
from .diagnostics import explain
from .nn import (ELU, GELU, SELU, Activation, BatchNorm1d, Dense, Dropout, Embedding, Input, LayerNorm, LeakyReLU,
                 Linear, LogSoftmax, Module, MultiheadAttention, MultiHeadAttention,
                 Parameter, PositionalEncoding, ReLU, Sequential,
                 Sigmoid, Softmax, Softplus, Tanh, TransformerEncoder, TransformerEncoderLayer)
from .nn.keras_recurrent import GRU, LSTM, Bidirectional, Masking, SimpleRNN, TimeDistributed
from .nn import Conv1D, Conv1d, Conv2D, Conv2d, Conv2DTranspose, ConvTranspose2d
from .nn import (AdaptiveAvgPool2d, AveragePooling2D, AvgPool1d, AvgPool2d, BatchNorm2d, Dropout2d, Flatten,
                 GlobalAveragePooling2D, MaxPool1d, MaxPool2d, MaxPooling2D, UpSampling2D, Upsample)
from .random import seed
from . import layers
from .io.serialization import register_layer
from .training import Model
from .training.saving import load_model


__all__ = [
    "Tensor",
    "Function",
    "as_tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "gradcheck",
    "detect_anomaly",
    "explain",
    "diagnostics",
    "viz",
    "seed",
    "Model",
    "load_model",
    "register_layer",
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
    "Activation",
    "Dropout",
    "BatchNorm1d",
    "LayerNorm",
    "Embedding",
    "MultiHeadAttention",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "PositionalEncoding",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Bidirectional",
    "TimeDistributed",
    "Masking",
    "layers",
    "Dropout2d",
    "BatchNorm2d",
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
    "nn",
    "optim",
    "losses",
    "metrics",
    "callbacks",
    "regularizers",
    "data",
    "functional",
    "errors",
    "random",
    "__version__",
]
