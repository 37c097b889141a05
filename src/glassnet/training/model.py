"""Model: the Keras-like surface (add, train, predict, summary) over a list of layers."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import distributed as dist
from .. import losses as losses_module
from .. import random
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor
from ..errors import ModelFileError
from ..nn import init as initializers
from ..nn.activations import Activation, Softmax, activation_of, get_activation
from ..nn.dense import Dense
from ..nn.input_layer import Input
from ..nn.module import Module
from ..optim.sgd import SGD
from .keras_api import FitRun, KerasWorkflow
from .progress import BlogLoss
from .validation import as_features, as_targets, check_binary_labels

__all__ = ["Model", "load_model", "model_from_bytes"]


# Guards the mode switches of every model's predict/evaluate/fit (held for microseconds).
_MODE_LOCK = threading.Lock()


class Model(KerasWorkflow, Module):
    """A stack of layers trained as one network, with the seed blog's API.

    >>> import glassnet as gn, numpy as np
    >>> model = gn.Model()
    >>> model.add(gn.nn.Linear(2, 4)); model.add(gn.nn.ReLU(4))
    >>> model.add(gn.nn.Linear(4, 1)); model.add(gn.nn.Sigmoid(1))
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); Y = (X[:, 0] > 0).astype(float)
    >>> losses = model.train(X, Y, learning_rate=0.5, epochs=200, seed=0)
    >>> model.predict(X).shape, losses[-1] < losses[0]
    ((64, 1), True)

    Attributes:
        layers: the layers in order; each gets a name such as ``linear_1`` used in messages.
        loss: the loss of every epoch trained so far (floats), as in the blog.
    """

    traceable = True

    def __init__(self, layers: Iterable[Module] | None = None, name: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.layers: list[Module] = []
        self.loss: list[float] = []
        self.compiled_metrics = []
        self._steps_taken = 0
        self._sample_shape: tuple[int, ...] | None = (
            None  # of the last data given (summary's fallback)
        )
        for layer in layers or []:
            self.add(layer)

    # ----------------------------------------------------------------- building
    def add(self, layer: Module) -> None:
        """Append a layer; it is named ``<kind>_<n>`` (e.g. ``linear_2``) unless it has a name.

        A Dense added after layers whose output size is known is built at once, as in Keras.
        """
        if not isinstance(layer, Module):
            raise TypeError(
                f"Model.add: expected a layer (a glassnet Module), got {type(layer).__name__}."
            )
        if layer.name is None:
            kind = type(layer).__name__.lower()
            count = sum(type(other) is type(layer) for other in self.layers) + 1
            layer.name = f"{kind}_{count}"
        if layer.name in self._modules:
            raise ValueError(f"Model.add: a layer named {layer.name!r} is already in the model.")
        self.layers.append(layer)
        setattr(self, layer.name, layer)
        sample = self.input_shape
        if getattr(layer, "built", True) is False and sample is not None and len(self.layers) > 1:
            self._dry_run(np.zeros((1, *sample), dtype=self.dtype))

    def forward(self, x: Tensor) -> Tensor:
        """The layers in order, on a Tensor (``predict`` takes arrays and builds no graph)."""
        return apply_layers(self.layers, x)

    @property
    def in_features(self) -> int | None:
        """Features per sample the first layer expects, when it says."""
        for layer in self.layers:
            if isinstance(layer, Activation):
                if layer.units is not None:
                    return layer.units
                continue
            size = getattr(layer, "in_features", None)
            return None if size is None else int(size)
        return None

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The shape of one sample, without the batch axis, when known: an :class:`Input` layer's
        shape, else ``(in_features,)`` of a dense first layer, else the shape of the last data the
        model was given (``fit``, ``predict``, :meth:`build`)."""
        first = self.layers[0] if self.layers else None
        if isinstance(first, Input):
            return first.shape
        declared = getattr(
            first, "input_shape", None
        )  # Keras's LSTM(units, input_shape=(T, features))
        if isinstance(declared, tuple) and declared:
            if None not in declared:
                return declared
            if (
                self._sample_shape is None
            ):  # (None, features): any length; one step shows the shapes
                return tuple(1 if size is None else size for size in declared)
        features = self.in_features
        if features is not None and (
            self._sample_shape is None or self._sample_shape[-1:] != (features,)
        ):
            return (features,)
        return self._sample_shape

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the weights of lazily sized layers for inputs of ``input_shape``, batch axis first
        (``None`` or a number), as Keras's ``model.build((None, 28, 28, 1))``."""
        sample = tuple(int(size) for size in input_shape[1:])
        self._dry_run(np.zeros((1, *sample), dtype=self.dtype))
        self._sample_shape = sample

    @property
    def dtype(self) -> np.dtype:
        """The float dtype inputs are cast to: the parameters', else an unbuilt layer's ``dtype=``."""
        for param in self.parameters():
            return param.dtype
        for layer in self.layers:  # lazily built layers (Dense) say which dtype they will have
            declared = getattr(layer, "dtype", None)
            if declared is not None:
                return np.dtype(declared)
        return np.dtype(np.float32)

    # ----------------------------------------------------------------- inference
    def predict(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """The network's output for samples-first ``X``, as an array; builds no graph."""
        x = self._features(X)
        if batch_size is None:
            batch_size = len(x)
        with self.mode(training=False), no_grad():
            parts = [
                self.forward(Tensor._from_op(x[i : i + batch_size], None)).data
                for i in range(0, len(x), batch_size)
            ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    # ----------------------------------------------------------------- training
    def train(
        self,
        X_train: Any = True,
        Y_train: Any = None,
        learning_rate: float = 0.05,
        epochs: int = 1000,
        verbose: bool = False,
        loss: str | losses_module.Loss = "binary_crossentropy",
        batch_size: int | None = None,
        seed: random.SeedLike = None,
    ) -> Any:
        """Gradient descent as in the seed blog: full batch by default, one loss per epoch.

        Called as PyTorch's ``Module.train()`` / ``train(False)`` (no data, or a bool), it only
        switches the training mode and returns the model.

        Args:
            X_train: ``(n_samples, n_features)`` inputs.
            Y_train: labels or targets, ``(n_samples,)`` or ``(n_samples, outputs)``.
            learning_rate: the SGD step size.
            epochs: passes over the data.
            verbose: print ``Epoch: N. Loss: L`` every 50 epochs.
            loss: a loss name or object (see :mod:`glassnet.losses`).
            batch_size: None for full-batch gradient descent, else shuffled mini-batches.
            seed: makes the run repeat bit for bit: on an untrained model it re-draws the initial
                weights from this seed; it also seeds the mini-batch shuffling. Before the first
                step, an output layer with the default init and fewer than 8 inputs starts at zero
                weights (why: ``glassnet.nn.init.DEFAULT_SCHEME``).

        It runs ``fit``'s loop with ``SGD(lr=learning_rate)`` and ``loss`` for this call (the
        model's own compile settings, if any, are kept for ``fit``), checking the targets as ``fit``
        does; with a seed, layers without a generator of their own (Dropout) draw from it, as in
        ``fit``. The step is compiled (recorded on the first batch of each shape, then replayed;
        see ``glassnet.training.compiled_step``); ``model.run_eagerly = True`` turns that off.

        Returns:
            ``self.loss``, the per-epoch losses of every call so far.

        Raises:
            ShapeError, InputError, DTypeError: bad data, before any weight changes.
            NonFiniteLossError: the loss became NaN or infinite (names the epoch).
        """
        if isinstance(X_train, bool) and Y_train is None:
            return self._set_training(X_train)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(
                f"train: batch_size must be a positive integer or None, got {batch_size!r}."
            )
        if epochs < 0:
            raise ValueError(f"train: epochs must be >= 0, got {epochs}.")
        # fit's loop, with the blog's settings for this call: plain SGD, the given loss, no metrics
        # or clipping; full batch in the data's order, or shuffled mini-batches; the losses kept
        # in self.loss. The model's own compile settings are put back afterwards.
        run = FitRun(
            epochs=epochs,
            batch_size=batch_size,
            shuffle=batch_size is not None,
            callbacks=[BlogLoss(self.loss, verbose)],
            verbose=0,
            seed=seed,
            terminate_on_nan=False,  # BlogLoss stops on a NaN/Inf loss, naming the epoch
        )
        with self._compiled_as(SGD(lr=learning_rate), losses_module.get(loss)):
            self._fit(run, X_train, Y_train, names=("X_train", "Y_train"))
        return self.loss

    @contextlib.contextmanager
    def _compiled_as(self, optimizer: SGD, loss_fn: losses_module.Loss) -> Iterator[None]:
        """Compiled with ``optimizer`` and ``loss_fn`` alone (no metrics, no clipping) for a while."""
        saved = (self.optimizer, self.compiled_loss, self.compiled_metrics, self.clipping)
        self.optimizer, self.compiled_loss = optimizer, loss_fn
        self.compiled_metrics, self.clipping = [], (None, None, None)
        try:
            yield
        finally:
            self.optimizer, self.compiled_loss, self.compiled_metrics, self.clipping = saved

    def _training_forward(
        self, loss_fn: losses_module.Loss
    ) -> tuple[Callable[[Tensor], Tensor], losses_module.Loss]:
        """The forward pass and loss to train with.

        A final Sigmoid (Softmax) followed by binary (categorical) cross-entropy on probabilities
        is trained through the fused loss on logits: the same gradients, without log(0).
        """
        last = self.layers[-1] if self.layers else None
        activation = _output_activation(last)
        fusable = (
            activation == "sigmoid" and isinstance(loss_fn, losses_module.BinaryCrossEntropy)
        ) or (
            activation == "softmax" and isinstance(loss_fn, losses_module.CategoricalCrossEntropy)
        )
        if fusable and not getattr(loss_fn, "from_logits", True):
            body = self.layers[:-1]

            def forward_to_logits(x: Tensor) -> Tensor:
                x = apply_layers(body, x)
                return last.pre_activation(x) if isinstance(last, Dense) else x

            return forward_to_logits, loss_fn.on_logits()  # type: ignore[attr-defined]
        return self.forward, loss_fn

    def reset_parameters(self, rng: random.SeedLike = None) -> None:
        """Re-draw every layer's initial weights from ``rng``, then apply the output-layer rule."""
        generator = random.rng(rng)
        for layer in self.layers:
            reset = getattr(layer, "reset_parameters", None)
            if reset is not None:
                reset(generator)
        self._zero_fresh_output_layer()

    def _initialize_for_training(self, generator: np.random.Generator | None) -> None:
        """Before the first step: re-draw the weights from the run's seed, if one was given, and
        start a narrow default-initialized output layer at zero (why: see ``glassnet.nn.init.DEFAULT_SCHEME``).
        """
        fresh = all(
            getattr(layer, "freshly_initialized", True)
            for layer in self.layers
            if layer.num_parameters()
        )
        if generator is not None and fresh:
            self.reset_parameters(generator)
        else:
            self._zero_fresh_output_layer()
        for layer in self.layers:  # from here on they hold trained weights
            if getattr(layer, "freshly_initialized", False):
                layer.freshly_initialized = False

    def _zero_fresh_output_layer(self) -> None:
        # Only a narrow layer still holding its default initial weights: never loaded or trained
        # ones, nor a wide one, where a random start generalizes better (see init.NARROW_WIDTH).
        head = next((layer for layer in reversed(self.layers) if layer.num_parameters()), None)
        width = getattr(head, "in_features", None)
        if (
            getattr(head, "uses_default_init", False)
            and getattr(head, "freshly_initialized", False)
            and width is not None
            and width < initializers.NARROW_WIDTH
        ):
            head.zero_output_weights()

    # ----------------------------------------------------------------- checks
    def _features(self, X: Any, what: str = "X") -> np.ndarray:
        if not self.layers:
            raise ValueError("Model: add layers before training or predicting (model.add(...)).")
        check_rank = getattr(
            self.layers[0], "check_input_rank", None
        )  # sequence layers say (N, T, features)
        if check_rank is not None:
            check_rank(X.shape if hasattr(X, "shape") else np.shape(X))
        x = as_features(X, self.in_features, self.layers[0].display_name, self.dtype, what)
        self._sample_shape = x.shape[1:]
        return x

    def _targets(
        self, Y: Any, n_samples: int, loss_fn: losses_module.Loss, what: str
    ) -> np.ndarray:
        y = as_targets(Y, n_samples, self.dtype, what)
        if isinstance(loss_fn, losses_module.BinaryCrossEntropy):
            check_binary_labels(y, loss_fn.name)
        if not loss_fn.integer_targets and y.ndim == 1:
            y = y.reshape(-1, 1)
        return y

    # ----------------------------------------------------------------- seeing inside
    def explain(self, x: Any, y: Any = None, loss: Any = None, training: bool = False) -> Any:
        """Trace one forward pass on ``x`` (and, given ``y``, the loss and one backward pass).

        Returns a :class:`glassnet.diagnostics.Trace`: every op in order with its formula, layer,
        inputs, output shape and statistics, and the backward rule, gradient statistics and the axes
        broadcasting summed away. It prints as aligned text, shows as a table in Jupyter and has
        ``to_pandas()``. The pass is the one training runs (eval mode unless ``training``); it changes
        nothing in the model (gradients are put back). ``loss`` defaults to the compiled loss, else
        binary cross-entropy (as ``train``).
        """
        from ..diagnostics.trace import explain_model

        return explain_model(self, x, y, loss=loss, training=training)

    def diagnose(self, x: Any, y: Any = None, loss: Any = None) -> Any:
        """One report on the model's health on ``(x, y)``: dead ReLU units and saturated sigmoid/tanh
        outputs on all samples, each layer's gradient and weight norms and the relative size of a
        gradient step, the loss, and plain advice where a rule applies. Changes nothing in the model.

        Returns a :class:`glassnet.diagnostics.Diagnosis` (prints as text, shows as HTML in Jupyter).
        """
        from ..diagnostics.diagnose import diagnose

        return diagnose(self, x, y, loss=loss)

    # ----------------------------------------------------------------- PyTorch interop
    @classmethod
    def from_torch(cls, sequential: Any) -> Model:
        """A Model with the layers and weights of a ``torch.nn.Sequential`` (Linear, activations,
        Dropout, BatchNorm1d, LayerNorm), or of a list of torch modules, which may hold RNN/LSTM/GRU
        layers (``Model.from_torch([lstm, linear])``; see ``glassnet.training.interop``). glassnet
        does not import torch for this."""
        from .interop import layers_from_torch

        return cls(layers_from_torch(sequential))

    def to_torch(self) -> Any:
        """A ``torch.nn.Sequential`` with this model's layers and weights (imports torch here)."""
        from .interop import to_torch

        return to_torch(self)

    # ----------------------------------------------------------------- files
    def save(self, path: str, include_optimizer: bool = True) -> None:
        """Write architecture, weights and (optionally) optimizer state to one ``.gnet`` file.

        The file is a zip of a JSON manifest and ``.npy`` arrays, written atomically; loading it
        with :func:`glassnet.load_model` executes nothing from it. After ``glassnet.distributed.init()``
        on several processes only rank 0 writes (call ``glassnet.distributed.barrier()`` before
        another process reads the file).
        """
        from .saving import save_model

        if dist.is_main():
            save_model(self, path, include_optimizer=include_optimizer)

    @classmethod
    def _from_saved(cls, saved: Any, compile: bool) -> Model:
        """The Model of a file read by ``glassnet.training.saving.read_saved_model``."""
        from .saving import restore_saved_state

        try:
            model = cls(saved.layers, name=saved.name)
        except (ValueError, TypeError) as exc:
            raise ModelFileError(f"{saved.where}: the layers do not make a model: {exc}") from exc
        restore_saved_state(model, saved, compile)
        return model

    def save_weights(self, path: str) -> None:
        """Write the weights to ``path`` as ``.npz`` (atomically: temp file, then rename); only rank 0
        writes when several processes train together (see :meth:`save`)."""
        from ..io.weights import save_state_dict

        if dist.is_main():
            save_state_dict(path, self.state_dict())

    def load_weights(self, path: str) -> None:
        """Read weights written by :meth:`save_weights`; names and shapes are checked, no pickle.

        Raises:
            ModelFileError: for a damaged or hostile file, or one whose weights do not fit this
                model (the model keeps its weights).
        """
        from ..io.weights import load_state_dict

        state = load_state_dict(path)
        try:
            self.load_state_dict(state)
        except ValueError as exc:
            raise ModelFileError(
                f"{os.fspath(path)}: the weights do not fit this model: {exc}"
            ) from exc

    # ----------------------------------------------------------------- printing
    def summary(self, print_fn: Callable[[str], Any] = print, batch_size: int = 32) -> str:
        """Print (and return) a table of layers: output shape, parameters, FLOPs of one forward pass
        for a sample, and the bytes of activations kept for backward at ``batch_size``, with totals.

        FLOPs and bytes are counted from the ops each layer applies (see
        ``glassnet.diagnostics.costs``); they need the input shape (an Input layer, a built first
        layer, or data seen), else they show as ``?``.
        """
        from ..diagnostics.costs import format_bytes, format_count, layer_costs

        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"summary: batch_size must be a positive integer, got {batch_size!r}.")
        costs = layer_costs(self, int(batch_size)) if self.layers else None
        header = (
            "Layer (type)",
            "Output Shape",
            "Param #",
            "FLOPs/sample",
            f"Activations @{batch_size}",
        )
        rows = [header]
        shapes = self._output_shapes()  # (with None for a free sequence length)
        for i, (layer, shape) in enumerate(zip(self.layers, shapes)):
            count = layer.num_parameters()
            flops = "?" if costs is None else format_count(costs[i].flops)
            memory = "?" if costs is None else format_bytes(costs[i].activation_bytes)
            rows.append(
                (f"{layer.name} ({type(layer).__name__})", shape, f"{count:,}", flops, memory)
            )
        fields = _receptive_fields(
            self.layers
        )  # with convolutions: the input window one output pixel sees
        if fields:
            rows = [(*row, field) for row, field in zip(rows, ["Receptive field", *fields])]
        widths = [max(len(row[i]) for row in rows) + 2 for i in range(len(rows[0]))]
        rule = "=" * sum(widths)
        lines = [f'Model: "{self.name or "model"}"', rule]
        lines += [
            "".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows[:1]
        ]
        lines.append(rule)
        lines += [
            "".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows[1:]
        ]
        lines += [rule, f"Total params: {self.num_parameters():,}"]
        if costs is not None:
            lines.append(f"Forward FLOPs per sample: {sum(c.flops for c in costs):,}")
            lines.append(
                f"Activations kept for backward at batch size {batch_size}: "
                f"{format_bytes(sum(c.activation_bytes for c in costs))}"
            )
        lines.append(rule)
        text = "\n".join(lines)
        print_fn(text)
        return text

    def _repr_html_(self) -> str:
        """The summary as an HTML table (Jupyter shows a Model this way)."""
        import html

        text = self.summary(print_fn=lambda _: None)
        return f"<pre>{html.escape(text)}</pre>"

    def _output_shapes(self) -> list[str]:
        sample = self.input_shape
        if sample is None:
            return ["?"] * len(self.layers)
        # Axes the first layer declares as None (any sequence length) ran with size 1: shown as None
        # in outputs that keep the input's axes (sequences), as Keras shows them.
        declared = (
            getattr(self.layers[0], "input_shape", None) if self._sample_shape is None else None
        )
        free = [i + 1 for i, size in enumerate(declared or ()) if size is None]
        shapes = []
        x = Tensor._from_op(np.zeros((1, *sample), dtype=self.dtype), None)
        for layer in self.layers:
            x = self._dry_run(x.data, [layer])
            shown: list[int | None] = [None, *x.shape[1:]]
            if x.ndim == len(sample) + 1:
                for axis in free:
                    shown[axis] = None
            shapes.append(str(tuple(shown)))
        return shapes

    def _dry_run(self, x: np.ndarray, layers: list[Module] | None = None) -> Tensor:
        """A forward pass that changes nothing: no graph, eval mode (no dropout, no batch statistics)."""
        with self.mode(training=False), no_grad():
            return apply_layers(self.layers if layers is None else layers, Tensor._from_op(x, None))

    @contextlib.contextmanager
    def mode(self, training: bool) -> Iterator[None]:
        """Temporarily put every layer in training or eval mode (as Keras's ``training=`` argument).

        Calls that overlap in several threads asking the same mode (``predict`` in four threads)
        share one switch: the first sets the mode, the last one out restores the flags it found.
        A call asking the other mode (``evaluate`` inside ``fit``) switches and restores in turn.
        """
        with _MODE_LOCK:
            stack = vars(self).setdefault("_mode_stack", [])
            if stack and stack[-1][0] == training:
                entry = stack[-1]
                entry[1] += 1
            else:
                entry = [training, 1, [(module, module.training) for module in self.modules()]]
                stack.append(entry)
                self._set_training(training)
        try:
            yield
        finally:
            with _MODE_LOCK:
                entry[1] -= 1
                if entry[1] == 0:
                    stack.remove(entry)
                    for module, previous in entry[2]:
                        object.__setattr__(module, "training", previous)

    def extra_repr(self) -> str:
        return "" if self.name is None else f"name={self.name!r}"


def load_model(
    path: str | os.PathLike[str],
    custom_objects: Mapping[str, type[Module]] | None = None,
    compile: bool = True,
) -> Model:
    """Rebuild a Model from a ``.gnet`` file: nothing in the file is executed or imported.

    Args:
        custom_objects: ``{"ClassName": cls}`` for layer classes that are not registered.
        compile: restore the loss, the optimizer and its state, when the file has them.

    Raises:
        ModelFileError: for a damaged, hostile or foreign file, naming what is wrong; no other
            exception comes out of a file's content (tests/io/test_fuzz_files.py fuzzes this).
    """
    from .saving import read_saved_model

    return Model._from_saved(read_saved_model(path, custom_objects), compile)


def model_from_bytes(
    data: bytes, custom_objects: Mapping[str, type[Module]] | None = None, compile: bool = True
) -> Model:
    """The Model that ``glassnet.training.saving.model_to_bytes`` wrote, with every check
    ``load_model`` makes."""
    from .saving import read_saved_model

    return Model._from_saved(read_saved_model(data, custom_objects), compile)


def apply_layers(layers: Iterable[Module], x: Tensor) -> Tensor:
    """Each layer on the previous one's output, passing Keras-style masks along.

    The mask convention: a layer with ``compute_mask(x, mask)`` says what mask its output has
    (``Embedding(mask_zero=True)`` and ``Masking`` start one, recurrent layers pass it on when they
    return sequences); a layer with ``supports_masking = True`` is called as ``layer(x, mask=mask)``
    while a mask is set; any other layer ends the mask.
    """
    mask = None
    for layer in layers:
        if mask is not None and getattr(layer, "supports_masking", False):
            y = layer(x, mask=mask)
        else:
            y = layer(x)
        compute_mask = getattr(layer, "compute_mask", None)
        mask = None if compute_mask is None else compute_mask(x, mask)
        x = y
    return x


def _receptive_fields(layers: list[Module]) -> list[str] | None:
    """Per layer, the size of the input window that one output pixel depends on ("7x7"), for the
    layers that say their ``receptive_geometry()`` (kernel, stride, dilation per axis); None without any.

    Each layer widens the field by ``dilation (kernel - 1)`` steps of its input's pixel spacing
    (``jump``, the product of the strides before it). After a layer that returns no geometry (an
    upsampling) the field is not a window any more: "-".
    """
    if not any(callable(getattr(layer, "receptive_geometry", None)) for layer in layers):
        return None
    size: list[int] | None = None
    jump: list[int] = []
    known = True
    cells = []
    for layer in layers:
        geometry = getattr(layer, "receptive_geometry", None)
        shape = geometry() if callable(geometry) else None
        if callable(geometry) and shape is None:
            known = False
        if shape is not None and known:
            kernel, stride, dilation = shape
            if size is None:
                size, jump = [1] * len(kernel), [1] * len(kernel)
            size = [r + d * (k - 1) * j for r, k, d, j in zip(size, kernel, dilation, jump)]
            jump = [j * s for j, s in zip(jump, stride)]
        cells.append("-" if not known else "" if shape is None else "x".join(map(str, size)))
    return cells


def _output_activation(layer: Module | None) -> str | None:
    """The activation a classifier's last layer applies: ``"sigmoid"``, ``"softmax"`` or None
    (the registry's activations whose output is probabilities)."""
    if isinstance(layer, Softmax) and layer.axis not in (-1, 1):
        return None  # a softmax over another axis is no classifier's output
    spec = get_activation(layer.activation) if isinstance(layer, Dense) else activation_of(layer)
    return spec.name if spec is not None and spec.probabilities else None
