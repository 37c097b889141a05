"""The Keras workflow of Model: compile, fit, evaluate, predict_proba, predict_classes.

Kept apart from ``model.py`` (the blog's ``train``) so that each file reads in one sitting; the
Model class inherits these methods from :class:`KerasWorkflow`.
"""

from __future__ import annotations

import contextlib
import copy
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import distributed as dist
from .. import losses as losses_module
from .. import random
from ..autograd.function import no_grad
from ..autograd.observe import detect_anomaly, scope
from ..autograd.tensor import Tensor
from ..callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from ..data.loader import DataLoader, _take_rows
from ..errors import InputError, ModelFileError, NotCompiledError, ShapeError
from ..metrics import Metric
from ..nn.hooks import _Users as _HookUsers
from .compiled_step import CompiledStep, compilable
from .progress import BlogLoss, EpochLine, ProgressBar, resolve_verbose
from .splitting import validation_indices
from .validation import as_targets

__all__ = ["KerasWorkflow", "FitRun", "OPTIMIZERS"]

# Keras's optimizer names -> glassnet.optim class names, looked up when compile is called.
OPTIMIZERS = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "lion": "Lion",
}

# Keras's defaults where they differ from the optimizer class's own (PyTorch's): a Keras user who
# writes compile(optimizer="sgd") gets the learning rate Keras gives that name.
KERAS_DEFAULTS: dict[str, dict[str, Any]] = {"sgd": {"lr": 0.01}}

CLASSIFICATION_LOSSES = (losses_module.BinaryCrossEntropy, losses_module.CategoricalCrossEntropy)

# Callbacks that change nothing a recorded step reads once (layers, loss, run_eagerly): only the
# weights, the optimizer's learning rate, stop_training, files and printing. Exact types: a
# subclass may do more, so fit makes its step again at each epoch for it.
STEP_SAFE_CALLBACKS = (
    History,
    TerminateOnNaN,
    EarlyStopping,
    CSVLogger,
    ModelCheckpoint,
    LearningRateScheduler,
    ReduceLROnPlateau,
    ProgressBar,
    EpochLine,
    BlogLoss,
)


@dataclass
class FitRun:
    """One call of ``fit`` (or ``train``): its settings, and what its callbacks and checkpoints
    read while it runs (``model._fit_run``; ``save_checkpoint`` writes the generator's state, the
    History and the callbacks' states)."""

    epochs: int
    batch_size: int | None
    shuffle: bool = True
    callbacks: Sequence[Callback] | None = None
    verbose: int | str = "auto"
    seed: random.SeedLike = None
    initial_epoch: int = 0
    terminate_on_nan: bool = True
    check_numerics: bool = False
    # Set by fit once the data is checked: the run's generator (validation split, initial weights,
    # shuffles, dropout), whether other processes train along, and the checkpoint resumed from.
    generator: np.random.Generator | None = None
    parallel: bool = False
    resumed: dict[str, Any] | None = None
    # Set when training starts.
    history: History | None = None
    callback_list: CallbackList | None = None


def _resolve_optimizer(optimizer: Any) -> Any:
    from .. import optim

    if not isinstance(optimizer, str):
        if not isinstance(optimizer, optim.Optimizer):
            raise TypeError(
                f"compile: optimizer must be a name or a glassnet.optim optimizer, "
                f"got {type(optimizer).__name__}."
            )
        return optimizer
    class_name = OPTIMIZERS.get(optimizer.lower())
    if class_name is None or not hasattr(optim, class_name):
        valid = ", ".join(name for name, cls in OPTIMIZERS.items() if hasattr(optim, cls))
        raise ValueError(f"compile: unknown optimizer {optimizer!r}; valid names: {valid}.")
    return getattr(optim, class_name)(**KERAS_DEFAULTS.get(optimizer.lower(), {}))


class KerasWorkflow:
    """compile/fit/evaluate for :class:`~glassnet.training.Model` (see its docstring)."""

    optimizer: Any = None
    compiled_loss: losses_module.Loss | None = None
    compiled_metrics: list[Any]
    clipping: tuple[float | None, float | None, float | None] = (None, None, None)
    stop_training: bool = False
    run_eagerly: bool = False
    # During a fit with distributed=True on several processes: averages the gradients (one Allreduce).
    _average_gradients: dist.GradientAverager | None = None

    # ----------------------------------------------------------------- compile
    def compile(
        self,
        optimizer: Any = "sgd",
        loss: Any = None,
        metrics: Sequence[Any] | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        run_eagerly: bool = False,
    ) -> None:
        """Choose the optimizer, the loss and the metrics that ``fit`` and ``evaluate`` use.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ...) or an optimizer, with or without
                parameters (an unbound one is bound to the model's parameters by ``fit``). A name
                gives the class's defaults (PyTorch's), except ``"sgd"``, which keeps Keras's
                ``lr=0.01`` (``optim.SGD()`` alone has PyTorch's ``lr=1e-3``).
            loss: a loss name or object, e.g. ``"binary_crossentropy"``,
                ``"sparse_categorical_crossentropy"``, ``"mse"``.
            metrics: names or metric objects (``"accuracy"``, ``"auc"``, ...), see ``glassnet.metrics``.
            clipnorm: clip each parameter's gradient to this norm (Keras's meaning).
            clipvalue: clip every gradient element into [-clipvalue, clipvalue].
            global_clipnorm: clip all gradients together to this joint norm (``clip_grad_norm_``).
            run_eagerly: run every training step through the layers' ``forward`` (as Keras's
                option; for stepping through a layer in a debugger). By default ``fit`` records
                the first step of each batch shape and replays its ops on the next batches, when
                every layer and the loss allow it (see ``glassnet.training.compiled_step``).
        """
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='binary_crossentropy' or loss='mse'.")
        self.optimizer = _resolve_optimizer(optimizer)
        self.compiled_loss = losses_module.get(loss)
        self.compiled_metrics = [self._resolve_metric(m) for m in (metrics or [])]
        for name, value in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"compile: {name} must be > 0, got {value}.")
        self.clipping = (clipnorm, clipvalue, global_clipnorm)
        self.run_eagerly = bool(run_eagerly)

    @staticmethod
    def _resolve_metric(metric: Any) -> Any:
        from .. import metrics as metrics_module

        return metrics_module.get(metric)

    def _require_compiled(self, what: str) -> None:
        if self.compiled_loss is None:
            raise NotCompiledError(
                f"{what}: the model is not compiled. Call model.compile(optimizer='adam', "
                "loss='binary_crossentropy', metrics=['accuracy']) first (or use model.train for the blog's loop)."
            )

    # ----------------------------------------------------------------- fit
    def fit(
        self,
        x: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int | None = 32,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        verbose: int | str = "auto",
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        seed: random.SeedLike = None,
        initial_epoch: int = 0,
        terminate_on_nan: bool = True,
        resume_from: str | None = None,
        distributed: bool = False,
        check_numerics: bool = False,
    ) -> History:
        """Train with mini-batches, validation and callbacks, as Keras's ``fit``.

        ``validation_split`` holds out a random, seeded slice, stratified by class for
        classification losses. Keras takes the *last* rows instead, which validates on one class
        only when the data is sorted by label; glassnet does not.

        ``resume_from`` continues from a checkpoint written by ``ModelCheckpoint("....gnet")``:
        weights, optimizer state, epoch, history and the random generator's state, so that an
        interrupted and resumed run equals an uninterrupted one bit for bit (same data, seed and
        arguments).

        ``distributed=True`` trains data-parallel on the processes started by ``mpiexec -n P``
        (see :mod:`glassnet.distributed`; alone, it changes nothing). Every process runs the same
        script with the same data; ``batch_size`` is then the batch of *each* process, so a step
        takes ``P * batch_size`` rows. Rank 0's weights, optimizer state and random generator are
        given to all; each epoch every process takes its share of the same seeded permutation
        (``DistributedSampler``'s padding, see :mod:`glassnet.distributed.sampler`), the gradients
        are averaged after each backward (one ``Allreduce``), and every process takes the same
        optimizer step. The epoch's loss and metrics, and the validation, are computed over all
        processes, so every process holds the same History (the per-batch logs that batch callbacks
        see are each process's own). Only rank 0 prints and writes files. With sample or class
        weights, each process's loss is the weighted mean over its own batch, and the processes'
        gradients are averaged with equal weights.
        BatchNorm normalizes each process's batch with that batch's statistics; its running
        statistics are rank 0's, given to all at the end of each epoch. Before training, the
        processes compare their data (lengths, shapes, dtypes and a checksum of sampled rows: one
        ``allgather``): bad data, or different data on different processes, raises on every process
        as usual (catchable). With ``resume_from``, rank 0 alone reads the checkpoint. Once training
        has started, an error in one process prints its traceback and ends every process
        (``MPI_Abort``): the others may be waiting in a collective it will never join.
        ``check_numerics=True`` trains inside :func:`glassnet.detect_anomaly`: the first op whose
        output or gradient holds a NaN or Inf raises :class:`~glassnet.errors.NonFiniteError`
        naming the op, its layer, its inputs and the line that created it (slower: for debugging).

        Returns:
            The :class:`~glassnet.callbacks.History` of this call (``history.history["loss"]``...).

        Raises:
            NotCompiledError: before ``compile``.
            ShapeError, InputError, DTypeError, ValueError: bad data or arguments, before any
                weight changes; with ``distributed=True``, also InputError when the processes were
                given different data, on every process.
            NonFiniteLossError: a NaN/Inf batch loss (names epoch and batch), unless
                ``terminate_on_nan=False``.
            NonFiniteError: with ``check_numerics=True``, the first NaN/Inf of any op.
        """
        self._require_compiled("fit")
        run = FitRun(
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            callbacks=callbacks,
            verbose=verbose,
            seed=seed,
            initial_epoch=initial_epoch,
            terminate_on_nan=terminate_on_nan,
            check_numerics=check_numerics,
        )
        return self._fit(
            run,
            x,
            y,
            validation_split=validation_split,
            validation_data=validation_data,
            sample_weight=sample_weight,
            class_weight=class_weight,
            resume_from=resume_from,
            distributed=distributed,
        )

    def _fit(
        self,
        run: FitRun,
        x: Any,
        y: Any,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        resume_from: str | None = None,
        distributed: bool = False,
        names: tuple[str, str] = ("X", "Y"),
    ) -> History:
        """fit with the model's compile settings; ``names`` name ``x`` and ``y`` in messages."""
        self._check_fit_arguments(run.epochs, run.batch_size, validation_split, run.initial_epoch)
        parallel = _join_processes(distributed)
        # Checking the data, splitting it and reading a checkpoint give the same outcome on every
        # process (the processes compare their data first), so an error there is raised as usual on
        # each, catchable: only what follows, where one process may fail alone, ends them all.
        error: Exception | None = None
        data: dict[str, np.ndarray | None] = {}
        try:
            data = self._checked_fit_data(x, y, validation_data, sample_weight, class_weight, names)
        except Exception as exc:
            if not parallel:
                raise
            error = exc
        if parallel:
            _same_data_on_every_process("fit", error, data)
        generator = random.rng(run.seed)
        if parallel:  # the same draws everywhere: validation split, initial weights, shuffles
            dist.broadcast_generator(generator)
        given_validation = (
            None if data["validation x"] is None else (data["validation x"], data["validation y"])
        )
        train, validation = self._split(
            data["x"],
            data["y"],
            data["sample weights"],
            validation_split,
            given_validation,
            generator,
        )
        run.generator, run.parallel = generator, parallel
        run.resumed = (
            self._read_checkpoint(resume_from, parallel) if resume_from is not None else None
        )
        with dist.stop_all_on_error() if parallel else contextlib.nullcontext():
            return self._fit_arrays(train, validation, run)

    def _checked_fit_data(
        self,
        x: Any,
        y: Any,
        validation_data: tuple[Any, Any] | None,
        sample_weight: Any,
        class_weight: dict[int, float] | None,
        names: tuple[str, str] = ("X", "Y"),
    ) -> dict[str, np.ndarray | None]:
        """fit's data as arrays, checked against the model and the loss (this builds lazily sized
        layers): "x", "y", "sample weights", "validation x" and "validation y" (None when not given).
        ``names`` name ``x`` and ``y`` in messages."""
        x_all = self._features(x, names[0])
        output_shape = self._output_shape(x_all)
        y_all = self._fit_targets(y, len(x_all), output_shape, names[1])
        self._check_metrics(x_all, y_all)
        data = {
            "x": x_all,
            "y": y_all,
            "sample weights": self._sample_weights(y_all, sample_weight, class_weight),
            "validation x": None,
            "validation y": None,
        }
        if validation_data is not None:
            x_val = self._features(validation_data[0], "validation_data x")
            data["validation x"] = x_val
            data["validation y"] = self._fit_targets(validation_data[1], len(x_val), output_shape)
        return data

    def _fit_arrays(
        self,
        train: tuple[np.ndarray, np.ndarray, np.ndarray | None],
        validation: tuple[np.ndarray, np.ndarray] | None,
        run: FitRun,
    ) -> History:
        """fit's work once its data is checked and split."""
        generator = run.generator
        assert generator is not None
        if run.resumed is not None:
            run.initial_epoch = run.resumed["epoch"]
            self._restore_generators(run.resumed, generator)
        if (
            self._steps_taken == 0 and run.epochs > run.initial_epoch
        ):  # fit(epochs=0) leaves the weights as they are
            self._initialize_for_training(generator if run.seed is not None else None)
        if not self.optimizer.param_groups:
            self.optimizer.bind(list(self.parameters()))
        size = run.batch_size or len(train[0])
        verbose = run.verbose
        if run.parallel:
            dist.broadcast_parameters(self)
            dist.broadcast_optimizer_state(self.optimizer)
            loader: DataLoader = dist.ShardedLoader(
                train[0], size, run.shuffle, generator, dist.rank(), dist.world_size()
            )
            verbose = verbose if dist.is_main() else 0
        else:
            loader = DataLoader(train[0], batch_size=size, shuffle=run.shuffle, seed=generator)
        history = History()
        if run.resumed is not None:
            history.history = {key: list(values) for key, values in run.resumed["history"].items()}
            history.epoch = list(range(run.initial_epoch))
        run.history = history
        run.callback_list = self._callbacks(
            run.callbacks, history, run.terminate_on_nan, verbose, run.epochs, len(loader)
        )
        self._fit_run = run
        self.stop_training = False
        self._average_gradients = (
            dist.GradientAverager(list(self.parameters())) if run.parallel else None
        )
        checking = detect_anomaly() if run.check_numerics else contextlib.nullcontext()
        try:
            with (
                self._random_layers_drawing_from(generator if run.seed is not None else None),
                checking,
            ):
                self._run_fit(run, loader, train, validation, size)
        finally:
            self._average_gradients = None
        return history

    def _read_checkpoint(self, path: str, parallel: bool) -> dict[str, Any]:
        """Load a checkpoint's weights and optimizer state and return its training state (epoch,
        history, generators, callbacks).

        With other processes, rank 0 alone reads the file (no shared file system needed) and
        gives the training state to all; fit then broadcasts its weights and optimizer state. If
        rank 0 cannot read it, every process raises (rank 0 its own error, the others a
        ModelFileError that quotes it).
        """
        from .saving import restore_training_state

        if not parallel:
            return restore_training_state(self, path)
        state: dict[str, Any] | None = None
        failure: str | None = None
        if dist.is_main():
            try:
                state = restore_training_state(self, path)
            except Exception as exc:
                failure = f"{type(exc).__name__}: {exc}"
                dist.broadcast_object((None, failure))
                raise
        state, failure = dist.broadcast_object((state, failure))
        if failure is not None:
            raise ModelFileError(
                f"fit(resume_from={path!r}): rank 0 could not read the checkpoint: {failure}"
            )
        assert state is not None
        self._steps_taken = int(state.get("steps_taken", 0))
        return state

    def _restore_generators(self, state: dict[str, Any], generator: np.random.Generator) -> None:
        """The run's generator and the layers' own generators, as the checkpoint saved them."""
        generator.bit_generator.state = state["generator_state"]
        saved = state.get("layer_generators", {})
        for name, module in self._own_generators():
            if name in saved:
                module.rng.bit_generator.state = saved[name]

    def _own_generators(self) -> list[tuple[str, Any]]:
        """Layers with a random generator of their own (e.g. ``Dropout(rng=0)``), by dotted name."""
        run = getattr(self, "_fit_run", None)
        run_generator = None if run is None else run.generator
        return [
            (name, module)
            for name, module in self.named_modules()
            if isinstance(getattr(module, "rng", None), np.random.Generator)
            and module.rng is not run_generator
        ]

    def save_checkpoint(self, path: str, epoch: int) -> None:
        """Write a ``.gnet`` file holding everything ``fit(resume_from=path)`` needs to go on after ``epoch``.

        Called by ``ModelCheckpoint`` during ``fit``, once every callback has finished the epoch. It holds
        the weights, the optimizer state, the History, the random generator's state and the callbacks'
        states (schedules, early stopping counters), so a resumed run must pass the same callbacks.
        """
        from .saving import save_model

        run = getattr(self, "_fit_run", None)
        if run is None:
            raise RuntimeError("save_checkpoint: only during fit (use model.save otherwise).")
        assert run.history is not None and run.generator is not None
        assert run.callback_list is not None
        history = {key: list(values) for key, values in run.history.history.items()}
        state = {
            "epoch": epoch + 1,
            "history": history,
            "steps_taken": self._steps_taken,
            "generator_state": run.generator.bit_generator.state,
            "layer_generators": {
                name: module.rng.bit_generator.state for name, module in self._own_generators()
            },
            "callbacks": run.callback_list.state_dict(),
        }
        save_model(self, path, include_optimizer=True, training_state=state)

    @contextlib.contextmanager
    def _random_layers_drawing_from(self, generator: np.random.Generator | None) -> Iterator[None]:
        """With a seed, layers without a generator of their own (Dropout) draw from the run's one."""
        borrowed = (
            [m for m in self.modules() if hasattr(m, "rng") and m.rng is None]
            if generator is not None
            else []
        )
        for module in borrowed:
            module.rng = generator
        try:
            yield
        finally:
            for module in borrowed:
                module.rng = None

    def _run_fit(
        self, run: FitRun, loader: DataLoader, train: Any, validation: Any, size: int
    ) -> None:
        callback_list = run.callback_list
        assert callback_list is not None
        callback_list.on_train_begin()
        if run.resumed is not None and run.resumed.get("callbacks") is not None:
            callback_list.load_state_dict(run.resumed["callbacks"])
        # Made again each epoch when a callback may have changed the loss, the optimizer, a layer
        # or run_eagerly (a compiled step reads them when it records). glassnet's own callbacks
        # change only the weights, the learning rate and stop_training, which a step reads on
        # every batch: with them alone, one step serves every epoch and records each batch shape
        # once per fit (on small data, recording twice per epoch took a third of the time).
        remake_each_epoch = not all(type(c) in STEP_SAFE_CALLBACKS for c in callback_list.callbacks)
        step = None
        # Training mode for all the epochs (switching it walks every module: once per fit, not per
        # epoch); validation, and a callback's predict or evaluate, switch to eval mode and back.
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            self.mode(training=True),
        ):
            for epoch in range(run.initial_epoch, run.epochs):
                callback_list.on_epoch_begin(epoch)
                if step is None or remake_each_epoch:
                    forward, loss_fn = self._training_forward(self.compiled_loss)
                    step = self._make_fit_step(forward, loss_fn, weighted=train[2] is not None)
                logs = self._fit_epoch(loader, train, callback_list, step, forward)
                parallel = self._average_gradients is not None
                if parallel:  # BatchNorm's running statistics: rank 0's, so that all hold one model
                    dist.broadcast_buffers(self)
                if validation is not None:
                    val_logs = self._evaluate_arrays(*validation, size, distributed=parallel)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callback_list.on_epoch_end(epoch, logs)
                if parallel:  # a callback that stops one process stops all (each must call this)
                    self.stop_training = dist.any_across_ranks(self.stop_training)
                if self.stop_training:
                    break
        callback_list.on_train_end()

    def _check_fit_arguments(
        self, epochs: int, batch_size: int | None, validation_split: float, initial_epoch: int
    ) -> None:
        if batch_size is not None and (
            not isinstance(batch_size, (int, np.integer)) or batch_size <= 0
        ):
            raise ValueError(
                f"fit: batch_size must be a positive integer (or None for full batch), got {batch_size!r}."
            )
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must lie in [0, 1), got {validation_split}.")
        if epochs < 0 or initial_epoch < 0:
            raise ValueError(
                f"fit: epochs and initial_epoch must be >= 0, got {epochs} and {initial_epoch}."
            )

    def _callbacks(
        self,
        callbacks: Sequence[Callback] | None,
        history: History,
        terminate_on_nan: bool,
        verbose: int | str,
        epochs: int,
        steps: int,
    ) -> CallbackList:
        given = list(callbacks or [])
        chosen: list[Callback] = []
        if terminate_on_nan and not any(isinstance(c, TerminateOnNaN) for c in given):
            chosen.append(TerminateOnNaN())
        chosen += given
        level = resolve_verbose(verbose)
        if level == 1:
            chosen.append(ProgressBar(epochs, steps))
        elif level == 2:
            chosen.append(EpochLine(epochs))
        # Last, so that the logs it records and prints include what callbacks added (e.g. "lr").
        chosen.append(history)
        return CallbackList(chosen, self)

    # ----------------------------------------------------------------- one epoch
    def _fit_epoch(
        self,
        loader: DataLoader,
        train: tuple[np.ndarray, np.ndarray, np.ndarray | None],
        callback_list: CallbackList,
        step: Callable[..., tuple[float, np.ndarray]],
        forward: Callable[[Tensor], Tensor],
    ) -> dict[str, float]:
        x, y, weights = train
        metrics = self.compiled_metrics
        parallel = self._average_gradients is not None
        local: list[Metric] = []
        gathered: list[Metric] = []
        if metrics:
            for metric in metrics:
                metric.reset_state()
            local, gathered = _metrics_by_reduction(metrics, parallel)
        # Per batch, only what the batch needs: a hook no callback defines is not called at all.
        begin_hooks, end_hooks = callback_list.batch_hooks()
        total, seen, batch = 0.0, 0, -1
        outputs: list[
            tuple[np.ndarray, np.ndarray]
        ] = []  # (targets, outputs) for the `gathered` metrics
        # Full batch in order (the blog's train): the arrays themselves, one batch, no slicing.
        whole = not loader.shuffle and loader.batch_size >= len(x)
        for batch, rows in enumerate(_WHOLE if whole else loader.batch_rows()):
            if begin_hooks:
                callback_list.on_train_batch_begin(batch)
            if rows is _ALL_ROWS:
                xb, yb, wb = x, y, weights
            else:
                xb, yb = _take_rows(x, rows), _take_rows(y, rows)
                wb = None if weights is None else _take_rows(weights, rows)
            if wb is None:
                batch_loss, output = step(xb, yb)
            else:
                batch_loss, output = step(xb, yb, wb)
            size = len(yb)
            total += batch_loss * size
            seen += size
            if metrics:
                probabilities = self._probabilities(output, forward)
                self._update_metrics(yb, probabilities, local)
                if gathered:
                    outputs.append(
                        (yb, np.array(probabilities))
                    )  # a copy: a replay reuses its arrays
            if end_hooks:
                callback_list.on_train_batch_end(batch, {"loss": batch_loss})
        if parallel:
            return self._logs_of_all_processes(total, seen, outputs, gathered)
        # One batch (full-batch training): its loss as computed, not the round trip total * n / n.
        logs = {"loss": batch_loss if batch == 0 else total / max(seen, 1)}
        if metrics:
            logs.update({metric.name: float(metric.result()) for metric in metrics})
        return logs

    def _update_metrics(
        self,
        targets: np.ndarray,
        probabilities: np.ndarray,
        metrics: Sequence[Metric] | None = None,
    ) -> None:
        """Add one batch to ``metrics`` (default: every compiled metric), one row per position for
        outputs per step."""
        targets, probabilities = _per_position(targets, probabilities)
        for metric in self.compiled_metrics if metrics is None else metrics:
            metric.update_state(targets, probabilities)

    def _check_metrics(self, x: np.ndarray, y: np.ndarray) -> None:
        """Each compiled metric on the first sample, before training: a metric that cannot read the
        model's output or the targets fails before any weight changes."""
        if not self.compiled_metrics:
            return
        self._update_metrics(y[:1], self._dry_run(x[:1]).data)
        for metric in self.compiled_metrics:
            metric.reset_state()

    def _logs_of_all_processes(
        self,
        total: float,
        seen: int,
        outputs: list[tuple[np.ndarray, np.ndarray]],
        gathered: list[Metric],
    ) -> dict[str, float]:
        """The loss and the metrics over the batches of every process (distributed fit and evaluate).

        Each process has updated its metrics on its own batches. The loss sums, row counts and
        the metrics whose state is sums (accuracy, mse, log loss...) are added up in one
        ``Allreduce``; the metrics that keep more (confusion counts, R2's moments, AUC's scores)
        are gathered and merged in rank order; ``gathered`` metrics (without ``merge_state``) see
        every process's ``outputs``, in rank order. So every process gets the same figures, those
        of all rows.
        """
        summed = [metric for metric in self.compiled_metrics if metric.state_sums() is not None]
        sums = [metric.state_sums() for metric in summed]
        reduced = dist.sum_across_ranks(np.concatenate([[total, seen], *sums]))
        start = 2
        for metric, part in zip(summed, sums):
            metric.load_state_sums(reduced[start : start + len(part)])
            start += len(part)
        logs = {"loss": float(reduced[0] / max(reduced[1], 1))}
        merged = [
            metric
            for metric in self.compiled_metrics
            if metric.state_sums() is None and not any(metric is g for g in gathered)
        ]
        if merged:
            everyone = dist.allgather(merged)
            for index, metric in enumerate(merged):
                # (a copy where mpi4py handed back this very object: reset_state would empty it)
                parts = [
                    copy.copy(theirs[index]) if theirs[index] is metric else theirs[index]
                    for theirs in everyone
                ]
                metric.reset_state()
                for part in parts:
                    metric.merge_state(part)
        if gathered:
            local = (
                (np.concatenate([y for y, _ in outputs]), np.concatenate([p for _, p in outputs]))
                if outputs
                else None
            )
            every_output = [part for part in dist.allgather(local) if part is not None]
            for metric in gathered:
                metric.reset_state()
                for targets, probabilities in every_output:
                    metric.update_state(*_per_position(targets, probabilities))
        logs.update({metric.name: float(metric.result()) for metric in self.compiled_metrics})
        return logs

    def _make_fit_step(
        self, forward: Callable[[Tensor], Tensor], loss_fn: losses_module.Loss, weighted: bool
    ) -> Callable[..., tuple[float, np.ndarray]]:
        """fit's step on each batch ``(x, y[, weights])``: the optimizer from compile, then clipping."""
        if weighted:  # the weights are per-batch data, outside the ops: that step stays eager
            return self._eager_step(
                forward, self._unreduced(loss_fn), self.optimizer, self._apply_gradients
            )
        return self._make_step(forward, loss_fn, self.optimizer, self._apply_gradients)

    def _make_step(
        self,
        forward: Callable[[Tensor], Tensor],
        loss_fn: losses_module.Loss,
        optimizer: Any,
        update: Callable[[], None],
    ) -> Callable[..., tuple[float, np.ndarray]]:
        """A training step ``(x, y) -> (loss, output)``: zero the gradients, forward, loss, backward,
        then ``update()`` (the optimizer step). Compiled (recorded on the first batch of each shape,
        then replayed) unless ``run_eagerly`` or a module or the loss does not allow it."""
        if compilable(self, loss_fn):
            return CompiledStep(self, forward, loss_fn, optimizer, update)
        return self._eager_step(forward, loss_fn, optimizer, update)

    def _eager_step(
        self,
        forward: Callable[[Tensor], Tensor],
        loss_fn: losses_module.Loss,
        optimizer: Any,
        update: Callable[[], None],
    ) -> Callable[..., tuple[float, np.ndarray]]:
        """The step that builds its graph on every batch; ``weights`` need a per-sample ``loss_fn``."""

        def step(
            x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
        ) -> tuple[float, np.ndarray]:
            optimizer.zero_grad()
            output, loss = self._forward_loss(
                forward, loss_fn, Tensor._from_op(x, None), Tensor._from_op(y, None), weights
            )
            loss.backward()
            update()
            return float(loss.data), output.data

        return step

    def _forward_loss(
        self,
        forward: Callable[[Tensor], Tensor],
        loss_fn: losses_module.Loss,
        x: Tensor,
        y: Tensor,
        weights: np.ndarray | None = None,
    ) -> tuple[Tensor, Tensor]:
        """The model's output on ``x`` and the loss to differentiate: the (weighted) loss plus penalties.

        With ``weights``, ``loss_fn`` must have ``reduction="none"``: the loss is the weighted mean.
        """
        output = forward(x)
        if (
            _HookUsers.count
        ):  # something watches the ops (check_numerics, explain): name the loss's ones
            with scope(f"loss ({loss_fn.name})"):
                loss = loss_fn.compute(output, y)
        else:
            loss = loss_fn.compute(output, y)
        if weights is not None:
            # Weights per sample (n,) or per position (n, T): broadcast over the loss's other axes.
            shape = weights.shape + (1,) * (loss.ndim - weights.ndim)
            loss = (loss * weights.reshape(shape).astype(loss.dtype)).mean()
        return output, self._with_penalties(loss)

    def _apply_gradients(self) -> None:
        """After backward: average the gradients across processes (a distributed fit), clip them
        (compile's clipnorm...), then one optimizer step."""
        if self._average_gradients is not None:
            self._average_gradients()
        if self.clipping != _NO_CLIPPING:
            self._clip_gradients()
        self.optimizer.step()
        self._steps_taken += 1

    def _with_penalties(self, loss: Tensor) -> Tensor:
        """The loss plus every layer's weight penalty (kernel_regularizer=...), as Keras reports it."""
        for layer in self.layers:
            penalty = layer.regularization_loss() if hasattr(layer, "regularization_loss") else None
            if penalty is not None:
                loss = loss + penalty
        return loss

    def _clip_gradients(self) -> None:
        clipnorm, clipvalue, global_clipnorm = self.clipping
        if clipnorm is None and clipvalue is None and global_clipnorm is None:
            return
        from ..optim.clip import clip_grad_norm_, clip_grad_value_

        params = list(self.parameters())
        if clipnorm is not None:
            for param in params:
                clip_grad_norm_(param, clipnorm)
        if clipvalue is not None:
            clip_grad_value_(params, clipvalue)
        if global_clipnorm is not None:
            clip_grad_norm_(params, global_clipnorm)

    @staticmethod
    def _unreduced(loss_fn: losses_module.Loss) -> losses_module.Loss:
        per_sample = copy.copy(loss_fn)
        per_sample.reduction = "none"
        return per_sample

    def _probabilities(self, output: np.ndarray, forward: Any) -> np.ndarray:
        """What metrics see: the model's real output, also when training ran on logits."""
        if forward == self.forward:
            return output
        with no_grad():
            return _activate_like(self.layers[-1], output)

    # ----------------------------------------------------------------- data checks
    def _output_width(self, x: np.ndarray) -> int:
        """Outputs per sample (per step, for sequences), from one sample; this also builds lazily
        sized layers (Dense)."""
        shape = self._output_shape(x)
        return int(shape[-1]) if shape else 1

    def _output_shape(self, x: np.ndarray) -> tuple[int, ...]:
        """The shape of the model's output for one sample of ``x`` (built lazily sized layers too)."""
        return tuple(self._dry_run(x[:1]).shape[1:])

    def _fit_targets(
        self, y: Any, n_samples: int, output_shape: tuple[int, ...], what: str = "Y"
    ) -> np.ndarray:
        """``y`` checked against the loss and the model's output for one sample, before any training;
        ``what`` names it in messages."""
        loss_fn = self.compiled_loss
        output_shape = tuple(output_shape) or (1,)
        width = output_shape[-1]
        array = as_targets(y, n_samples, self.dtype, what)
        if isinstance(loss_fn, losses_module.SparseCategoricalCrossEntropy):
            # (n,) or (n, 1) class indices; (n, T, ...) for a model with an output per step.
            one_per_sample = array.ndim == 2 and array.shape[1] == 1 and len(output_shape) == 1
            labels = array.reshape(-1) if one_per_sample else array
            if labels.shape[1:] != tuple(output_shape[:-1]):
                raise ShapeError(
                    f"sparse_categorical_crossentropy: expected integer labels of shape "
                    f"{(n_samples, *output_shape[:-1])} for outputs of shape {(n_samples, *output_shape)}, "
                    f"got {array.shape}; for one-hot labels use loss='categorical_crossentropy'."
                )
            if np.any(labels != np.round(labels)):
                raise InputError(
                    "sparse_categorical_crossentropy: labels must be whole numbers (class indices)."
                )
            labels = labels.astype(np.int64)
            bad = labels[(labels < 0) | (labels >= width)]
            if bad.size:
                raise InputError(
                    f"sparse_categorical_crossentropy: labels must lie in [0, {width}) for the model's {width} "
                    f"outputs, found label {bad[0]}."
                )
            return labels
        if (
            isinstance(loss_fn, losses_module.CategoricalCrossEntropy)
            and array.shape[1:] != output_shape
        ):
            hint = (
                " For integer labels use loss='sparse_categorical_crossentropy'."
                if array.ndim == 1
                else ""
            )
            raise ShapeError(
                f"categorical_crossentropy: expected one-hot labels of shape {(n_samples, *output_shape)} for the "
                f"model's {width} outputs, got {array.shape}.{hint}"
            )
        if isinstance(loss_fn, losses_module.BinaryCrossEntropy):
            from .validation import check_binary_labels

            check_binary_labels(array, loss_fn.name)
        if array.shape[1:] == output_shape[:-1] and output_shape[-1] == 1:
            array = array[..., np.newaxis]  # (n,) for outputs (n, 1); (n, T) for (n, T, 1)
        if array.shape[1:] != output_shape:
            raise ShapeError(
                f"{loss_fn.name}: the model's outputs have shape {(n_samples, *output_shape)} but the "
                f"targets have shape {array.shape}."
            )
        return array

    def _sample_weights(
        self, y: np.ndarray, sample_weight: Any, class_weight: dict[int, float] | None
    ) -> np.ndarray | None:
        """One weight per sample, or per position for targets per step (``(n, T)`` labels)."""
        if sample_weight is None and class_weight is None:
            return None
        positions = self._label_shape(y)  # (n,) or (n, T, ...)
        weights = np.ones(positions, dtype=np.float64)
        if sample_weight is not None:
            given = np.asarray(sample_weight, dtype=np.float64)
            if given.shape not in ((len(y),), positions) and given.reshape(-1).shape != (len(y),):
                raise ShapeError(
                    f"fit: sample_weight must have one weight per sample ({len(y)},) or per "
                    f"position {positions}, got {given.shape}."
                )
            given = (
                given
                if given.shape == positions
                else given.reshape((len(y),) + (1,) * (len(positions) - 1))
            )
            weights = weights * given
        if class_weight is not None:
            labels = self._labels(y)
            table = np.ones(int(labels.max()) + 1)
            for label, weight in class_weight.items():
                if 0 <= int(label) < len(table):
                    table[int(label)] = weight
            weights = weights * table[labels.astype(np.int64)]
        return weights

    def _label_shape(self, y: np.ndarray) -> tuple[int, ...]:
        """The shape of the labels in ``y``: ``(n,)``, or ``(n, T, ...)`` with one label per step."""
        if isinstance(self.compiled_loss, losses_module.SparseCategoricalCrossEntropy):
            return y.shape
        return y.shape[:-1] if y.ndim > 1 else y.shape

    def _labels(self, y: np.ndarray) -> np.ndarray:
        """Class labels of the shape :meth:`_label_shape` gives: the indices, argmax of one-hot rows,
        or the single column of binary targets."""
        if (
            isinstance(self.compiled_loss, losses_module.SparseCategoricalCrossEntropy)
            or y.ndim == 1
        ):
            return y
        return y.argmax(axis=-1) if y.shape[-1] > 1 else y[..., 0]

    def _split(
        self,
        x: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray | None,
        validation_split: float,
        validation: tuple[np.ndarray, np.ndarray] | None,
        generator: np.random.Generator,
    ) -> tuple[
        tuple[np.ndarray, np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray] | None
    ]:
        """The training rows and the validation: ``validation`` (checked validation_data) when
        given, else a seeded ``validation_split``."""
        if validation is not None or validation_split == 0.0:
            return (x, y, weights), validation
        # Stratified by class when every sample has one label (not with labels per step).
        one_label = len(self._label_shape(y)) == 1
        stratify = isinstance(self.compiled_loss, CLASSIFICATION_LOSSES) and one_label
        labels = self._labels(y) if stratify else y
        train, held_out = validation_indices(labels, validation_split, stratify, generator)
        if len(held_out) == 0 or len(train) == 0:
            raise ValueError(
                f"fit: validation_split={validation_split} leaves an empty part of {len(y)} samples."
            )
        w = None if weights is None else weights[train]
        return (x[train], y[train], w), (x[held_out], y[held_out])

    # ----------------------------------------------------------------- evaluate and predict
    def evaluate(
        self,
        x: Any,
        y: Any,
        batch_size: int | None = None,
        verbose: int = 0,
        distributed: bool = False,
    ) -> dict[str, float]:
        """The loss and the compiled metrics on ``(x, y)``, as a dict (``{"loss": ..., "accuracy": ...}``).

        ``distributed=True`` (under ``mpiexec``, every process passing the same data): each process
        evaluates a contiguous part of the rows and every process gets the figures over all of them.
        Bad data, or different data on different processes, raises on every process (as in ``fit``).
        """
        self._require_compiled("evaluate")
        parallel = _join_processes(distributed)
        error: Exception | None = None
        data: dict[str, np.ndarray | None] = {}
        try:  # as in fit: an error here is the same on every process, raised as usual on each
            x_all = self._features(x)
            data = {"x": x_all, "y": self._fit_targets(y, len(x_all), self._output_shape(x_all))}
        except Exception as exc:
            if not parallel:
                raise
            error = exc
        if parallel:
            _same_data_on_every_process("evaluate", error, data)
        x_all, y_all = data["x"], data["y"]
        with dist.stop_all_on_error() if parallel else contextlib.nullcontext():
            results = self._evaluate_arrays(
                x_all, y_all, batch_size or len(x_all), distributed=parallel
            )
        if verbose and dist.is_main():
            print(" - ".join(f"{k}: {v:.4f}" for k, v in results.items()))
        return results

    def _evaluate_arrays(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, distributed: bool = False
    ) -> dict[str, float]:
        """Loss and metrics on ``(x, y)``; ``distributed``: on this process's part, then over all."""
        if distributed:
            part = dist.contiguous_part(len(x), dist.rank(), dist.world_size())
            x, y = x[part], y[part]
        forward, loss_fn = self._training_forward(self.compiled_loss)
        for metric in self.compiled_metrics:
            metric.reset_state()
        local, gathered = _metrics_by_reduction(self.compiled_metrics, distributed)
        total = 0.0
        outputs: list[tuple[np.ndarray, np.ndarray]] = []
        with self.mode(training=False), no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                output = forward(Tensor._from_op(xb, None))
                total += float(
                    self._with_penalties(loss_fn.compute(output, Tensor._from_op(yb, None))).data
                ) * len(xb)
                if self.compiled_metrics:
                    probabilities = self._probabilities(output.data, forward)
                    self._update_metrics(yb, probabilities, local)
                    if gathered:
                        outputs.append((yb, probabilities))
        if distributed:
            return self._logs_of_all_processes(total, len(x), outputs, gathered)
        results = {"loss": total / len(x)}
        results.update({metric.name: float(metric.result()) for metric in self.compiled_metrics})
        return results

    def predict_proba(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Class probabilities: the model's output (after its Sigmoid or Softmax)."""
        return self.predict(x, batch_size=batch_size)

    def predict_classes(
        self, x: Any, batch_size: int | None = None, threshold: float = 0.5
    ) -> np.ndarray:
        """Labels of shape (n,): probability >= threshold for one output, else the argmax."""
        probabilities = self.predict(x, batch_size=batch_size)
        if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
            return (probabilities.reshape(-1) >= threshold).astype(np.int64)
        return probabilities.argmax(axis=-1)


_NO_CLIPPING = (None, None, None)
_ALL_ROWS = slice(None)
_WHOLE = (_ALL_ROWS,)  # the rows of a full-batch epoch in order


def _metrics_by_reduction(
    metrics: list[Metric], parallel: bool
) -> tuple[list[Metric], list[Metric]]:
    """The metrics updated batch by batch, and (distributed only) those that cannot merge the
    states of several processes (no ``merge_state``): they are given every process's outputs."""
    if not parallel:
        return metrics, []
    gathered = [
        m for m in metrics if m.state_sums() is None and type(m).merge_state is Metric.merge_state
    ]
    return [m for m in metrics if not any(m is g for g in gathered)], gathered


def _join_processes(distributed: bool) -> bool:
    """For ``distributed=True``: join the processes (:func:`glassnet.distributed.init`) and say
    whether there are several; alone, a distributed run is an ordinary one."""
    if not distributed:
        return False
    dist.init()
    return dist.world_size() > 1


_SAMPLED_ROWS = 64  # rows of each array whose bytes the processes compare (see _fingerprint)


def _fingerprint(arrays: dict[str, np.ndarray | None]) -> list[tuple[str, Any, str, int]]:
    """Per array: its name, shape, dtype and a CRC-32 of up to 64 rows spread evenly over it (first
    and last included). Cheap whatever the data's size; it tells different data sets apart, not
    two that differ in one unsampled value."""
    found = []
    for name, array in arrays.items():
        if array is None:
            found.append((name, None, "", 0))
            continue
        rows = np.unique(
            np.linspace(0, len(array) - 1, min(len(array), _SAMPLED_ROWS)).astype(np.int64)
        )
        sample = np.ascontiguousarray(array[rows]) if len(array) else array
        found.append((name, tuple(array.shape), array.dtype.str, zlib.crc32(sample.tobytes())))
    return found


def _same_data_on_every_process(
    what: str, error: Exception | None, data: dict[str, np.ndarray | None]
) -> None:
    """One allgather, by every process: whether its data checks failed, and its data's fingerprint.

    Raises, on every process alike (so no process is left waiting in a collective): this process's
    own error from the checks; an InputError when the checks failed on another process; an
    InputError when the processes were given different data (a distributed run needs the same
    full data set on each: the sampler picks each process's rows from it).
    """
    mine = None if error is not None else _fingerprint(data)
    reports = dist.allgather((None if error is None else f"{type(error).__name__}: {error}", mine))
    if error is not None:
        raise error
    failed = [(rank, message) for rank, (message, _) in enumerate(reports) if message is not None]
    if failed:
        ranks = ", ".join(str(rank) for rank, _ in failed)
        raise InputError(
            f"{what}(distributed=True): the data checks failed on rank {ranks} of "
            f"{len(reports)}: {failed[0][1]}"
        )
    first = reports[0][1]
    for rank, (_, theirs) in enumerate(reports[1:], start=1):
        for (name, shape0, dtype0, crc0), (_, shape, dtype, crc) in zip(first, theirs):
            if (shape0, dtype0, crc0) == (shape, dtype, crc):
                continue
            if (shape0, dtype0) != (shape, dtype):
                difference = (
                    f"rank 0 has {name} of shape {shape0} ({dtype0}), rank {rank} {shape} ({dtype})"
                )
            else:
                difference = f"{name} has the same shape on rank 0 and rank {rank} but other values"
            raise InputError(
                f"{what}(distributed=True): the processes were given different data: {difference}. Pass "
                "every process the same full data set (each trains on its share of it, which fit picks); "
                "load or generate it identically on each (same file, same seed)."
            )


def _per_position(targets: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metrics read one row per sample; outputs per step ``(n, T, ..., C)`` give one row per position
    (as Keras's metrics do), with the targets ``(n, T, ...)`` or ``(n, T, ..., k)`` flattened to match."""
    if outputs.ndim <= 2:
        return targets, outputs
    rows = outputs.reshape(-1, outputs.shape[-1])
    return targets.reshape(len(rows), *targets.shape[outputs.ndim - 1 :]), rows


def _activate_like(layer: Any, logits: np.ndarray) -> np.ndarray:
    """Apply the output layer's activation to logits that training computed without it."""
    from ..nn.activations import Sigmoid, Softmax, get_activation

    if isinstance(layer, (Sigmoid, Softmax)):
        return layer(Tensor._from_op(logits, None)).data
    activate = get_activation(getattr(layer, "activation", "linear")).function
    return logits if activate is None else activate(Tensor._from_op(logits, None)).data
