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
