"""Callbacks for ``Model.fit``, one per file, with Keras's hook names."""

from .activation_health import ActivationHealth
from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .gradient_flow import DiagnosticWarning, GradientFlow
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate import LearningRateScheduler, ReduceLROnPlateau
from .model_checkpoint import ModelCheckpoint
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "TerminateOnNaN",
    "LambdaCallback",
    "ModelCheckpoint",
    "CSVLogger",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "GradientFlow",
    "ActivationHealth",
    "DiagnosticWarning",
]
