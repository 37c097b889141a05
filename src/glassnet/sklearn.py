"""scikit-learn estimators over glassnet models: ``GlassnetClassifier`` and ``GlassnetRegressor``.

They drop into ``cross_val_score``, ``GridSearchCV``, ``Pipeline`` and ``clone`` like any
scikit-learn estimator (this module needs the ``data`` extra: ``pip install glassnet[data]``).

>>> from sklearn.datasets import make_classification
>>> from sklearn.model_selection import cross_val_score
>>> from glassnet.sklearn import GlassnetClassifier
>>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
>>> scores = cross_val_score(GlassnetClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0), X, y, cv=3)
>>> scores.shape
(3,)

As scikit-learn requires, ``__init__`` only stores its arguments; ``fit`` builds and trains a
glassnet :class:`~glassnet.Model`, kept as ``model_``. The network is either the MLP the
arguments describe (``hidden_layer_sizes``, ``activation``, ``alpha``: scikit-learn's
``MLPClassifier`` names) or the one a ``model=`` callable returns. That callable is called as
``model(n_features_in, n_outputs, **kwargs)``, where ``kwargs`` are the estimator's
``model__<name>`` arguments without the prefix, so ``GridSearchCV`` can tune the architecture::

    def build(n_features_in, n_outputs, units=16):
        return gn.Model([gn.Dense(units, activation="relu"), gn.Dense(n_outputs, activation="sigmoid")])

    GridSearchCV(GlassnetClassifier(model=build, model__units=16), {"model__units": [8, 32]})

A classifier's model has one output for two classes (a sigmoid), one per class for three or
more (a softmax) and one per label for multilabel targets (sigmoids); a model whose last layer
applies neither a sigmoid nor a softmax outputs logits, which are trained with ``from_logits=True``. Pickling (and so joblib, ``GridSearchCV(n_jobs=2)``) keeps the fitted
model as the bytes of its ``.gnet`` file: no pickle inside, the same predictions bit for bit.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import (
        _check_sample_weight,
        check_is_fitted,
        column_or_1d,
        validate_data,
    )
except ImportError as error:  # validate_data and estimator tags came with scikit-learn 1.6
    raise ImportError(
        f"glassnet.sklearn needs scikit-learn 1.6 or newer: pip install 'glassnet[data]' ({error})."
    ) from error

from . import losses, optim
from .autograd.function import no_grad
from .autograd.tensor import Tensor
from .callbacks import EarlyStopping
from .errors import ShapeError
from .nn.dense import Dense
from .ops.activation import sigmoid, softmax
from .regularizers import L2
from .training.keras_api import OPTIMIZERS
from .training.model import Model, _output_activation, model_from_bytes
from .training.saving import model_to_bytes

__all__ = ["GlassnetClassifier", "GlassnetRegressor"]

MODEL_PREFIX = "model__"
_FLOATS = (np.float64, np.float32)


class _GlassnetEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, building, training, pickling."""

    def __init__(
        self,
        model: Callable[..., Model] | None = None,
        *,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str = "relu",
        optimizer: str | optim.Optimizer = "adam",
        learning_rate: float = 1e-3,
        batch_size: int | None = 32,
        epochs: int = 200,
        validation_split: float = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        alpha: float = 1e-4,
        warm_start: bool = False,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        **model_params: Any,
    ) -> None:
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.alpha = alpha
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        # Stored as given, as scikit-learn wants (fit says if a name is not a model__ argument),
        # apart from the attributes: an estimator's attributes are its named parameters.
        self._routed_params = dict(model_params)

    # ----------------------------------------------------------------- parameters
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, including the ``model__<name>`` ones."""
        params = super().get_params(deep=deep)
        params.update(self._routed_params)
        return params

    def set_params(self, **params: Any) -> _GlassnetEstimator:
        """Set arguments; ``model__<name>`` ones are kept for the ``model=`` callable."""
        named = set(self._get_param_names())
        for name in [name for name in params if name.startswith(MODEL_PREFIX) or name not in named]:
            self._routed_params[name] = params.pop(name)
        return super().set_params(**params)

    def _model_kwargs(self) -> dict[str, Any]:
        """The ``model__<name>`` arguments without their prefix; any other extra name is an error."""
        unknown = [name for name in self._routed_params if not name.startswith(MODEL_PREFIX)]
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected argument(s) {unknown}; arguments for the model= "
                f"callable start with {MODEL_PREFIX!r} (e.g. model__units=16)."
            )
        return {name[len(MODEL_PREFIX) :]: value for name, value in self._routed_params.items()}

    # ----------------------------------------------------------------- building
    def _new_model(
        self,
        n_features: int,
        n_outputs: int,
        output_activation: str | None,
        dtype: np.dtype,
        generator: np.random.Generator | None,
    ) -> Model:
        """A fresh network: the model= callable's, or the MLP the arguments describe."""
        name = type(self).__name__
        if self.model is not None:
            if not callable(self.model):
                raise TypeError(
                    f"{name}: model= must be a callable that returns a glassnet Model, "
                    f"got {type(self.model).__name__}."
                )
            network = self.model(n_features, n_outputs, **self._model_kwargs())
            if not isinstance(network, Model):
                raise TypeError(
                    f"{name}: model= must return a glassnet Model, but {_callable_name(self.model)} returned "
                    f"{type(network).__name__}. Return e.g. gn.Model([gn.Dense(16, activation='relu'), "
                    f"gn.Dense({n_outputs})])."
                )
            return network
        if self._model_kwargs():
            raise ValueError(
                f"{name}: {sorted(self._model_kwargs())} are arguments for a model= callable, "
                "but model is None."
            )
        sizes = _hidden_sizes(self.hidden_layer_sizes, name)
        layers = []
        width = n_features
        for units in sizes:
            layers.append(
                Dense(
                    units, activation=self.activation, in_features=width, dtype=dtype, rng=generator
                )
            )
            width = units
        layers.append(
            Dense(
                n_outputs,
                activation=output_activation,
                in_features=width,
                dtype=dtype,
                rng=generator,
            )
        )
        return Model(layers)

    def _optimizer(self) -> optim.Optimizer:
        if isinstance(self.optimizer, optim.Optimizer):  # the argument itself stays untouched
            return copy.deepcopy(self.optimizer)
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in OPTIMIZERS:
            raise ValueError(
                f"{type(self).__name__}: optimizer must be one of {sorted(OPTIMIZERS)} or a "
                f"glassnet.optim optimizer, got {self.optimizer!r}."
            )
        return getattr(optim, OPTIMIZERS[self.optimizer.lower()])(lr=self.learning_rate)

    def _set_penalty(self, network: Model, n_samples: float) -> None:
        """scikit-learn's alpha on the built-in MLP's kernels: 0.5 * alpha * ||W||^2 / batch rows."""
        if self.model is not None:
            return
        if not isinstance(self.alpha, numbers.Real) or self.alpha < 0:
            raise ValueError(
                f"{type(self).__name__}: alpha must be a number >= 0, got {self.alpha!r}."
            )
        rows = (
            float(n_samples)
            if self.batch_size is None
            else min(float(self.batch_size), float(n_samples))
        )
        for layer in network.layers:
            layer.kernel_regularizer = (
                L2(0.5 * float(self.alpha) / rows) if self.alpha > 0 else None
            )

    def _check_loop_arguments(self) -> None:
        """batch_size and epochs, before anything is computed from them (scikit-learn's ValueError)."""
        name = type(self).__name__
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, numbers.Integral)
            or self.batch_size <= 0
        ):
            raise ValueError(
                f"{name}: batch_size must be a positive integer or None, got {self.batch_size!r}."
            )
        if (
            isinstance(self.epochs, bool)
            or not isinstance(self.epochs, numbers.Integral)
            or self.epochs < 0
        ):
            raise ValueError(f"{name}: epochs must be an integer >= 0, got {self.epochs!r}.")

    # ----------------------------------------------------------------- training
    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        epochs: int,
        incremental: bool,
        classes: Any = None,
    ) -> _GlassnetEstimator:
        """fit and partial_fit: all or nothing. scikit-learn's checks set n_features_in_ and
        feature_names_in_ first, so on any error the attributes are put back as they were."""
        before = dict(
            vars(self)
        )  # shallow: a fit replaces fitted attributes, it never mutates them
        try:
            return self._fit_or_raise(X, y, sample_weight, epochs, incremental, classes)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _fit_or_raise(
        self, X: Any, y: Any, sample_weight: Any, epochs: int, incremental: bool, classes: Any
    ) -> _GlassnetEstimator:
        self._check_loop_arguments()
        keep = (incremental or self.warm_start) and hasattr(self, "model_")
        X, y = self._validate_fit_data(X, y, reset=not keep)
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        targets, n_outputs, output_activation, fitted = self._encode_targets(
            y, weights, keep, classes
        )
        if keep:
            self._check_same_architecture()
            # Train a copy so that a failed fit leaves the fitted estimator as it was.
            network = model_from_bytes(model_to_bytes(self.model_))
            generator = copy.deepcopy(self._generator)
        else:
            generator = _generator(self.random_state)
            network = self._new_model(X.shape[1], n_outputs, output_activation, X.dtype, generator)
            network.compile(
                optimizer=self._optimizer(), loss=self._loss(network, n_outputs, fitted)
            )
        self._check_output_width(network, X, n_outputs, fitted)
        n_effective = len(X) if weights is None else float(weights.sum())
        self._set_penalty(network, n_effective)
        if weights is not None:  # mean 1, so that a weight of 2 counts as the sample twice
            weights = weights * (len(weights) / weights.sum())
        history = network.fit(
            X,
            targets,
            epochs=epochs,
            batch_size=self.batch_size,
            verbose=self.verbose,
            validation_split=self.validation_split,
            sample_weight=weights,
            seed=generator,
            callbacks=self._callbacks(epochs),
        )
        for name, value in fitted.items():
            setattr(self, name, value)
        previous = list(getattr(self, "loss_curve_", [])) if keep else []
        self.model_ = network
        self._generator = generator
        self._fitted_architecture = self._architecture()
        self.history_ = dict(history.history)
        self.loss_curve_ = previous + list(history.history.get("loss", []))
        self.n_iter_ = len(self.loss_curve_)
        self.n_outputs_ = n_outputs
        return self

    def _architecture(self) -> dict[str, Any]:
        """The arguments that shape the network: a warm start must not change them silently."""
        shape = {
            name: getattr(self, name) for name in ("hidden_layer_sizes", "activation", "model")
        }
        shape["hidden_layer_sizes"] = tuple(np.atleast_1d(shape["hidden_layer_sizes"]).tolist())
        return {**shape, **self._model_kwargs()}

    def _check_same_architecture(self) -> None:
        fitted = getattr(self, "_fitted_architecture", None)
        if fitted is None:
            return
        changed = sorted(
            name for name, value in self._architecture().items() if fitted.get(name) != value
        )
        if changed:
            raise ValueError(
                f"{type(self).__name__}: {', '.join(changed)} changed since the last fit, but "
                "warm_start and partial_fit go on training the fitted network. Set "
                "warm_start=False (or clone the estimator) to build the new one."
            )

    def _callbacks(self, epochs: int) -> list[EarlyStopping]:
        if not self.early_stopping or epochs <= 1:
            return []
        monitor = "val_loss" if self.validation_split > 0 else "loss"
        return [EarlyStopping(monitor=monitor, patience=self.patience, restore_best_weights=True)]

    def _check_output_width(
        self, network: Model, X: np.ndarray, n_outputs: int, fitted: dict[str, Any]
    ) -> None:
        width = _output_width(network, X)
        if width != n_outputs:
            raise ShapeError(self._width_message(width, n_outputs, fitted))

    def _width_message(self, width: int, n_outputs: int, fitted: dict[str, Any]) -> str:
        return (
            f"{type(self).__name__}: the model has {width} outputs, but y has {n_outputs} target "
            f"column(s). Give the last layer {n_outputs} units (the model= callable gets n_outputs)."
        )

    # ----------------------------------------------------------------- inference
    def _network_output(self, X: Any, logits: bool) -> np.ndarray:
        """The fitted network on ``X``: its output, or with ``logits`` its output before a final
        sigmoid or softmax (what ``decision_function`` reports)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        network = self.model_
        last = network.layers[-1]
        if not logits or _output_activation(last) is None:
            return network.predict(X)
        x = X.astype(network.dtype, copy=False)
        with network.mode(training=False), no_grad():
            out = Tensor._from_op(x, None)
            for layer in network.layers[:-1]:
                out = layer(out)
            if isinstance(last, Dense):
                out = last.pre_activation(out)
        return out.data

    # ----------------------------------------------------------------- pickling
    def __getstate__(self) -> dict[str, Any]:
        """The estimator's state with the fitted model as ``.gnet`` bytes (glassnet never pickles a model)."""
        state = super().__getstate__()
        if "model_" in state:
            state = dict(state)
            state["model_"] = _ModelBytes(model_to_bytes(state["model_"]))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if isinstance(state.get("model_"), _ModelBytes):
            state["model_"] = model_from_bytes(state["model_"].data)
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class GlassnetClassifier(ClassifierMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn classifier (binary, multiclass, multilabel).

    Labels may be strings, integers or booleans (``classes_`` keeps them); a multilabel
    indicator array ``(n_samples, n_labels)`` trains one sigmoid output per label. The built-in
    network is ``hidden_layer_sizes`` Dense layers with ``activation``, then one sigmoid output
    for two classes (binary cross-entropy) or a softmax over the classes (sparse categorical
    cross-entropy), trained with ``optimizer`` at ``learning_rate`` for ``epochs`` on shuffled
    mini-batches of ``batch_size``. See the module docstring for ``model=``.

    Args:
        model: None, or a callable ``model(n_features_in, n_outputs, **model__kwargs)`` that
            returns a glassnet ``Model``.
        hidden_layer_sizes: units of each hidden layer (built-in network).
        activation: the hidden layers' activation, a ``Dense`` activation name.
        optimizer: an optimizer name (``"adam"``, ``"sgd"``...) built with ``learning_rate``, or a
            glassnet optimizer (copied by each fit).
        learning_rate: the step size of a named optimizer.
        batch_size: samples per mini-batch; None for full-batch gradient descent (as the blog).
        epochs: passes over the data per ``fit`` (``partial_fit`` makes one).
        validation_split: fraction held out (stratified, seeded) to report ``val_loss``.
        early_stopping: stop when the validation loss (or, without a validation split, the
            training loss) has not improved for ``patience`` epochs, and keep the best weights.
        patience: epochs without improvement before early stopping.
        alpha: L2 penalty on the built-in network's kernels, with scikit-learn's scaling
            (``0.5 * alpha * ||W||^2`` divided by the batch size).
        warm_start: a new ``fit`` continues training the fitted model instead of starting anew.
        random_state: None (glassnet's default generator), an int or a ``RandomState``: with an
            int, two fits give the same bits.
        verbose: glassnet's ``fit`` verbosity (0 silent, 1 progress bar, 2 one line per epoch).

    Attributes:
        model_: the trained glassnet ``Model``.
        classes_: the class labels (``arange(n_labels)`` for multilabel targets).
        n_features_in_, feature_names_in_: as every scikit-learn estimator.
        history_: the last fit's ``History.history`` (``{"loss": [...], "val_loss": ...}``).
        loss_curve_: the training loss of every epoch so far; ``n_iter_`` its length.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GlassnetClassifier:
        """Train on ``(X, y)`` for ``epochs`` epochs (from scratch unless ``warm_start``); returns self."""
        return self._fit(X, y, sample_weight, self.epochs, incremental=False)

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> GlassnetClassifier:
        """One epoch on ``(X, y)``, continuing the fitted model; ``classes`` is needed on the first call."""
        if (
            classes is None
            and not hasattr(self, "model_")
            and type_of_target(y) != "multilabel-indicator"
        ):
            raise ValueError(
                "GlassnetClassifier: classes must be passed on the first call to partial_fit "
                "(every label the model will see), e.g. partial_fit(X, y, classes=np.unique(y_all))."
            )
        return self._fit(X, y, sample_weight, 1, incremental=True, classes=classes)

    def _validate_fit_data(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, reset=reset, multi_output=True, dtype=_FLOATS)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return X, y

    def _encode_targets(
        self, y: np.ndarray, weights: np.ndarray | None, keep: bool, classes: Any
    ) -> tuple[np.ndarray, int, str | None, dict[str, Any]]:
        name = type(self).__name__
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            if keep and not getattr(self, "_multilabel", False):
                raise ValueError(
                    f"{name}: the model was fitted on single-label targets, got a multilabel y."
                )
            fitted = {
                "classes_": np.arange(y.shape[1]),
                "_multilabel": True,
                "_target_dtype": y.dtype,
            }
            return y.astype(np.float64), y.shape[1], "sigmoid", fitted
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{name}: {kind} targets are not supported; give one label per sample, or a "
                "multilabel indicator array of 0s and 1s."
            )
        if keep:
            if getattr(self, "_multilabel", False):
                raise ValueError(
                    f"{name}: the model was fitted on multilabel targets, got one label per sample."
                )
            encoder = self._label_encoder
        else:
            encoder = LabelEncoder().fit(
                y if classes is None else column_or_1d(np.asarray(classes))
            )
        unseen = np.setdiff1d(y, encoder.classes_)
        if unseen.size:
            raise ValueError(
                f"{name}: y holds labels {unseen.tolist()} outside classes_ {encoder.classes_.tolist()}; "
                "pass every class with partial_fit(..., classes=...) on the first call."
            )
        n_classes = len(encoder.classes_)
        # A fit from scratch must see two classes; a partial_fit batch or a warm start may hold one.
        present = np.unique(y if weights is None else y[weights > 0])
        if n_classes < 2 or (len(present) < 2 and classes is None and not keep):
            which = (
                "has a non-zero sample_weight"
                if weights is not None and n_classes >= 2
                else "is present"
            )
            raise ValueError(
                f"{name} needs at least 2 classes to train, but only 1 class {which}: "
                f"{present.tolist()}."
            )
        labels = encoder.transform(y)
        fitted = {"classes_": encoder.classes_, "_label_encoder": encoder, "_multilabel": False}
        if n_classes == 2:
            return labels.astype(np.float64), 1, "sigmoid", fitted
        return labels, n_classes, "softmax", fitted

    def _loss(self, network: Model, n_outputs: int, fitted: dict[str, Any]) -> Any:
        from_logits = _output_activation(network.layers[-1]) is None
        if fitted["_multilabel"] or n_outputs == 1:  # one sigmoid per label, or one for two classes
            return losses.BinaryCrossEntropy(from_logits=from_logits)
        return losses.SparseCategoricalCrossEntropy(from_logits=from_logits)

    def _width_message(self, width: int, n_outputs: int, fitted: dict[str, Any]) -> str:
        classes = fitted["classes_"].tolist()
        if fitted["_multilabel"]:
            need = f"{n_outputs} outputs, one sigmoid per label"
        elif n_outputs == 1:
            need = "1 output (a sigmoid) for its 2 classes"
        else:
            need = f"{n_outputs} outputs (a softmax) for its {n_outputs} classes"
        return (
            f"GlassnetClassifier: the model has {width} outputs, but y needs {need} {classes}. Size the last "
            "layer with n_outputs, the second argument the model= callable gets."
        )

    # ----------------------------------------------------------------- inference
    def decision_function(self, X: Any) -> np.ndarray:
        """The logits: shape (n_samples,) for two classes, else (n_samples, n_outputs)."""
        logits = self._network_output(X, logits=True)
        return logits[:, 0] if logits.shape[1] == 1 and not self._multilabel else logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, (n_samples, n_classes); for multilabel, each label's probability."""
        logits = self._network_output(X, logits=True)
        with no_grad():
            if logits.shape[1] == 1 or self._multilabel:
                probabilities = sigmoid(Tensor._from_op(logits, None)).data
            else:
                probabilities = softmax(Tensor._from_op(logits, None), axis=-1).data
        if self._multilabel:
            return probabilities
        if probabilities.shape[1] == 1:
            return np.hstack([1.0 - probabilities, probabilities])
        return probabilities

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Labels from ``classes_`` (for multilabel, a 0/1 array of y's dtype)."""
        logits = self._network_output(X, logits=True)
        if self._multilabel:
            return (logits > 0).astype(self._target_dtype)
        if logits.shape[1] == 1:
            return self.classes_[(logits[:, 0] > 0).astype(np.int64)]
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class GlassnetRegressor(RegressorMixin, _GlassnetEstimator):
    """A glassnet network as a scikit-learn regressor (one target or several).

    The built-in network is ``hidden_layer_sizes`` Dense layers with ``activation`` and a linear
    output per target, trained on the mean squared error. The arguments and attributes are the
    classifier's (see :class:`GlassnetClassifier`), without ``classes_``; ``predict`` returns
    ``(n_samples,)`` for a 1-D ``y`` and ``(n_samples, n_targets)`` for a 2-D one.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GlassnetRegressor:
        """Train on ``(X, y)`` for ``epochs`` epochs (from scratch unless ``warm_start``); returns self."""
        return self._fit(X, y, sample_weight, self.epochs, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> GlassnetRegressor:
        """One epoch on ``(X, y)``, continuing the fitted model (built on the first call)."""
        return self._fit(X, y, sample_weight, 1, incremental=True)

    def _validate_fit_data(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        return validate_data(
            self, X, y, reset=reset, multi_output=True, y_numeric=True, dtype=_FLOATS
        )

    def _encode_targets(
        self, y: np.ndarray, weights: np.ndarray | None, keep: bool, classes: Any
    ) -> tuple[np.ndarray, int, str | None, dict[str, Any]]:
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if keep and n_outputs != self.n_outputs_:
            raise ShapeError(
                f"GlassnetRegressor: the model was fitted on {self.n_outputs_} target(s), "
                f"y has {n_outputs}."
            )
        targets = y.reshape(-1, 1) if y.ndim == 1 else y
        return targets.astype(np.float64), n_outputs, None, {"_y_ndim": y.ndim}

    def _loss(self, network: Model, n_outputs: int, fitted: dict[str, Any]) -> str:
        return "mse"

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: (n_samples,) if y was 1-D at fit, else (n_samples, n_targets)."""
        output = self._network_output(X, logits=False)
        return output[:, 0] if self._y_ndim == 1 else output

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class _ModelBytes:
    """A fitted model inside a pickled estimator: the bytes of its ``.gnet`` file."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def _generator(random_state: Any) -> np.random.Generator | None:
    """A Generator from scikit-learn's random_state (None: glassnet's default generator)."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState, got {random_state!r}."
    )


def _hidden_sizes(sizes: Any, name: str) -> list[int]:
    listed = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
    if not all(
        isinstance(units, numbers.Integral) and not isinstance(units, bool) and units > 0
        for units in listed
    ):
        raise ValueError(f"{name}: hidden_layer_sizes must be positive integers, got {sizes!r}.")
    return [int(units) for units in listed]


def _output_width(network: Model, X: np.ndarray) -> int:
    """Outputs per sample, from one sample (this also builds lazily sized layers)."""
    out = network.predict(X[:1])
    return 1 if out.ndim == 1 else int(out.shape[-1])


def _callable_name(function: Any) -> str:
    return getattr(function, "__qualname__", None) or type(function).__name__
