"""Layers and the Module contract (PyTorch-style names: ``in_features``, ``state_dict``...)."""

from . import init
from .activations import (ELU, GELU, SELU, Activation, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax,
                          Softplus, Tanh)
from .containers import Sequential
from .dense import Dense
from .embedding import Embedding
from .input_layer import Input
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import (AdaptiveAvgPool2d, AveragePooling2D, AvgPool1d, AvgPool2d, GlobalAveragePooling2D, MaxPool1d,
                      MaxPool2d, MaxPooling2D)
from .regularization import Dropout, Dropout2d
from .reshaping import Flatten, UpSampling2D, Upsample

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
    "Dropout2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Embedding",
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
