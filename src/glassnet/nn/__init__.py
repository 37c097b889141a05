"""Layers and the Module contract (PyTorch-style names: ``in_features``, ``state_dict``...)."""

from . import init
from .activations import (ELU, GELU, SELU, Activation, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax,
                          Softplus, Tanh)
from .containers import Sequential
from .conv import Conv1D, Conv1d, Conv2D, Conv2d, Conv2DTranspose, ConvTranspose2d
from .dense import Dense
from .embedding import Embedding
from .input_layer import Input
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter
from .regularization import Dropout

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
    "BatchNorm1d",
    "LayerNorm",
    "Embedding",
    "init",
]
