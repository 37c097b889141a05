"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names, arguments and values.

Each schedule is a closed-form function of the step count, ``lr_at(step, base_lr)``: ``step()``
advances the count and writes the new lr into every parameter group. PyTorch computes most of
them recursively (new lr from the current one); the closed forms give the same numbers to
rounding (the tests check 1e-10 against torch over 200 steps) and make resuming trivial.

Use them from your own loop (``scheduler.step()`` after ``optimizer.step()``, once per epoch or
per batch) or through ``fit`` with ``glassnet.callbacks.LearningRateScheduler(schedule, per=...)``.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.Parameter(np.ones(1))], lr=0.1)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(opt.lr)            # ... train one epoch with opt ...
    ...     schedule.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]

Differences from PyTorch, on purpose:

* Schedules do not chain by multiplying each other's output (torch's ChainedScheduler); compose
  a warm-up and a main schedule with ``LinearWarmup(opt, n, after=...)`` (torch's SequentialLR).
* ``step(epoch)`` (deprecated in torch) is not supported; ``step()`` takes no argument, except
  ``ReduceLROnPlateau.step(metric)``.
* Argument checks are stricter (gamma > 0, sorted milestones, ...); each error names the argument.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Sequence
from typing import Any

from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "OneCycleLR",
    "LinearWarmup",
    "ReduceLROnPlateau",
]


class _ScheduleState:
    """What every schedule shares: reading the lrs back, and a JSON-safe state without the optimizer."""

    optimizer: Optimizer

    def get_last_lr(self) -> list[float]:
        """The learning rate of every group, as last set."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain numbers, strings and lists (copies)."""
        return {key: _plain(value) for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (the lr itself comes with the optimizer's state)."""
        self.__dict__.update(
            {key: _plain(value) for key, value in state.items() if key != "optimizer"}
        )


class LRScheduler(_ScheduleState):
    """Base class: remembers each group's initial lr and sets ``lr_at(step, base_lr)`` on every ``step()``.

    Construction records ``group["initial_lr"]`` (unless a schedule built earlier already did) as
    ``base_lrs`` and, as in PyTorch, applies step 0 at once. ``last_epoch`` is the index of the
    step whose lr is in place: -1 starts fresh; ``k >= 0`` resumes after step ``k`` and then needs
    ``"initial_lr"`` in every group (load the optimizer's state first).

    A subclass sets its own attributes, calls ``super().__init__`` and implements ``lr_at``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{name}: expected a glassnet optimizer, got {type(optimizer).__name__}."
            )
        if not optimizer.param_groups:
            raise ValueError(f"{name}: the optimizer has no parameters bound yet; bind them first.")
        if last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be >= -1, got {last_epoch}.")
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(
                    f"{name}: last_epoch={last_epoch} resumes a schedule, but param_groups[{index}] has no "
                    "'initial_lr'; load the optimizer's state_dict first, or pass last_epoch=-1."
                )
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, step: int, base_lr: float) -> float:
        """The learning rate at ``step`` (0, 1, 2, ...) for a group whose initial lr is ``base_lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch (or batch) and write the new learning rate into every group."""
        self.last_epoch += 1
        self._apply(self.last_epoch)

    def _apply(self, step: int) -> None:
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(step, base_lr)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned and set the lr of that step again."""
        super().load_state_dict(state)
        self._apply(self.last_epoch)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"


def _plain(value: Any) -> Any:
    """A copy of a state entry that shares no list with the scheduler."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check(owner: str, name: str, value: Any, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")


def _positive_int(owner: str, name: str, value: Any) -> None:
    integer = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    _check(owner, name, value, integer and value > 0, "a positive integer")


def _per_group(
    owner: str, name: str, value: float | Sequence[float], optimizer: Optimizer
) -> list[float]:
    """One value per parameter group: a number is repeated, a list must have one entry per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{owner}: expected {groups} values for {name} (one per group), got {len(value)}."
            )
        return [float(v) for v in value]
    return [float(value)] * groups


class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` steps.

    lr(t) = base_lr * gamma ** floor(t / step_size)
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive_int("StepLR", "step_size", step_size)
        _check("StepLR", "gamma", gamma, gamma > 0, "> 0")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (step // self.step_size)


class MultiStepLR(LRScheduler):
    """Decay by ``gamma`` at each milestone.

    lr(t) = base_lr * gamma ** (number of milestones m with m <= t)

    A milestone listed twice decays twice, as in PyTorch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        _check(
            "MultiStepLR",
            "milestones",
            milestones,
            milestones == sorted(milestones),
            "sorted in increasing order",
        )
        _check("MultiStepLR", "gamma", gamma, gamma > 0, "> 0")
        self.milestones, self.gamma = milestones, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, step)


class ExponentialLR(LRScheduler):
    """Decay by ``gamma`` every step.

    lr(t) = base_lr * gamma ** t
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check("ExponentialLR", "gamma", gamma, gamma > 0, "> 0")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma**step


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` steps (SGDR without restarts).

    lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    Past ``T_max`` the cosine goes on, so the lr climbs back to ``base_lr`` at ``2 * T_max``, as
    PyTorch's recursive form does.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive_int("CosineAnnealingLR", "T_max", T_max)
        _check("CosineAnnealingLR", "eta_min", eta_min, eta_min >= 0, ">= 0")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return (
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * step / self.T_max)) / 2
        )


class OneCycleLR(LRScheduler):
    """Smith's one-cycle policy: up from ``max_lr / div_factor`` to ``max_lr``, then far below.

    With T = total_steps (or epochs * steps_per_epoch), s = pct_start * T, and
    anneal(a, b, f) = b + (a - b) * (1 + cos(pi * f)) / 2   ('cos')   or   a + (b - a) * f   ('linear'):

        initial = max_lr / div_factor,   min = initial / final_div_factor
        two phases:    t <= s - 1:  lr = anneal(initial, max_lr, t / (s - 1))
                       after:       lr = anneal(max_lr, min, (t - s + 1) / (T - s))
        three phases:  initial -> max_lr until s - 1, max_lr -> initial until 2s - 2,
                       then initial -> min until T - 1.

    With ``cycle_momentum`` (the default, as in PyTorch), the momentum, or Adam's beta1, moves
    the opposite way: max_momentum -> base_momentum while the lr rises, and back while it falls.
    The schedule writes ``initial_lr``, ``max_lr``, ``min_lr`` (and the momenta) into every group.
    Stepping more than ``total_steps`` times is an error.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        name = "OneCycleLR"
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch.")
            _positive_int(name, "epochs", epochs)
            _positive_int(name, "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _positive_int(name, "total_steps", total_steps)
        _check(name, "pct_start", pct_start, 0.0 <= pct_start <= 1.0, "in [0, 1]")
        _check(
            name,
            "anneal_strategy",
            anneal_strategy,
            anneal_strategy in ("cos", "linear"),
            "'cos' or 'linear'",
        )
        _check(name, "div_factor", div_factor, div_factor > 0, "> 0")
        _check(name, "final_div_factor", final_div_factor, final_div_factor > 0, "> 0")
        max_lrs = _per_group(name, "max_lr", max_lr, optimizer)
        for peak in max_lrs:
            _check(name, "max_lr", max_lr, peak > 0, "> 0")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        self.three_phase, self.cycle_momentum = three_phase, cycle_momentum
        # Phase i runs from the previous end (0 for the first) to phase_ends[i] and moves from
        # group[lr_keys[i]] to group[lr_keys[i + 1]]; the momentum likewise.
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self.phase_ends = [up, float(2 * pct_start * total_steps) - 2, float(total_steps - 1)]
            self.lr_keys = ["initial_lr", "max_lr", "initial_lr", "min_lr"]
            self.momentum_keys = ["max_momentum", "base_momentum", "max_momentum", "max_momentum"]
        else:
            self.phase_ends = [up, float(total_steps - 1)]
            self.lr_keys = ["initial_lr", "max_lr", "min_lr"]
            self.momentum_keys = ["max_momentum", "base_momentum", "max_momentum"]
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and "momentum" not in optimizer.defaults and not self.use_beta1:
            raise ValueError(
                f"{name}: cycle_momentum=True needs an optimizer with momentum or betas; "
                "pass cycle_momentum=False."
            )
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                highs = _per_group(name, "max_momentum", max_momentum, optimizer)
                lows = _per_group(name, "base_momentum", base_momentum, optimizer)
                for group, high, low in zip(optimizer.param_groups, highs, lows):
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def step(self) -> None:
        if self.last_epoch + 1 > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch + 1} times; "
                f"total_steps is {self.total_steps}."
            )
        super().step()

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _phase(self, step: int) -> tuple[int, float]:
        """The phase that ``step`` falls in, and how far through it (0 at its start, 1 at its end)."""
        start = 0.0
        for index, end in enumerate(self.phase_ends):
            if step <= end or index == len(self.phase_ends) - 1:
                return index, 1.0 if end == start else (step - start) / (end - start)
            start = end
        raise AssertionError("unreachable")

    def _apply(self, step: int) -> None:
        index, fraction = self._phase(step)
        lr_from, lr_to = self.lr_keys[index], self.lr_keys[index + 1]
        momentum_from, momentum_to = self.momentum_keys[index], self.momentum_keys[index + 1]
        for group in self.optimizer.param_groups:
            group["lr"] = self._anneal(group[lr_from], group[lr_to], fraction)
            if self.cycle_momentum:
                momentum = self._anneal(group[momentum_from], group[momentum_to], fraction)
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum

    def lr_at(
        self, step: int, base_lr: float
    ) -> float:  # pragma: no cover - _apply reads the groups
        raise NotImplementedError(
            "OneCycleLR sets every group from its own initial_lr, max_lr and min_lr."
        )


class LinearWarmup(LRScheduler):
    """Ramp the lr linearly up to the initial lr over ``warmup_steps``, then hand over to ``after``.

    lr(t) = base_lr * (start_factor + (1 - start_factor) * t / warmup_steps)   for t < warmup_steps
    lr(t) = after's lr at step t - warmup_steps    (or base_lr when there is no ``after``)

    ``LinearWarmup(opt, 10, after=CosineAnnealingLR(opt, 90))`` gives the same learning rates as
    torch's ``SequentialLR(opt, [LinearLR(opt, start_factor, total_iters=10),
    CosineAnnealingLR(opt, 90)], milestones=[10])``. Alone, it matches ``LinearLR(opt,
    start_factor, end_factor=1.0, total_iters=warmup_steps)``. Step only the warm-up: it sets
    the ``after`` schedule's step itself, and saves its state inside its own.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        start_factor: float = 1.0 / 3,
        after: LRScheduler | None = None,
        last_epoch: int = -1,
    ) -> None:
        _positive_int("LinearWarmup", "warmup_steps", warmup_steps)
        _check("LinearWarmup", "start_factor", start_factor, 0.0 < start_factor <= 1.0, "in (0, 1]")
        if after is not None:
            if not isinstance(after, LRScheduler):
                raise TypeError(
                    f"LinearWarmup: after must be a schedule stepped without a metric "
                    f"(an LRScheduler), got {type(after).__name__}."
                )
            if after.optimizer is not optimizer:
                raise ValueError("LinearWarmup: the after= schedule must drive the same optimizer.")
        self.warmup_steps, self.start_factor, self.after = warmup_steps, start_factor, after
        super().__init__(optimizer, last_epoch)

    def _apply(self, step: int) -> None:
        if step >= self.warmup_steps and self.after is not None:
            self.after.last_epoch = step - self.warmup_steps
            self.after._apply(self.after.last_epoch)
        else:
            super()._apply(step)

    def lr_at(self, step: int, base_lr: float) -> float:
        if step >= self.warmup_steps:
            return base_lr
        return base_lr * (self.start_factor + (1 - self.start_factor) * step / self.warmup_steps)

    def state_dict(self) -> dict[str, Any]:
        state = {
            key: _plain(value)
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "after")
        }
        state["after"] = None if self.after is None else self.after.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = dict(state)
        after = state.pop("after", None)
        if (after is None) != (self.after is None):
            raise ValueError(
                "LinearWarmup.load_state_dict: the saved warm-up and this one differ "
                "in having an after= schedule."
            )
        if self.after is not None:
            self.after.__dict__.update(
                {key: _plain(value) for key, value in after.items() if key != "optimizer"}
            )
        super().load_state_dict(state)


class ReduceLROnPlateau(_ScheduleState):
    """Multiply the lr by ``factor`` once a metric has stopped improving for ``patience`` steps.

    Call ``step(metric)`` once per epoch with the monitored value (e.g. the validation loss):

        better:  mode 'min', 'rel': metric < best * (1 - threshold)   'abs': metric < best - threshold
                 mode 'max', 'rel': metric > best * (1 + threshold)   'abs': metric > best + threshold
        bad steps counts the steps since the last better one (held at 0 for ``cooldown`` steps after
        a reduction); when it exceeds ``patience``:
                 lr = max(lr * factor, min_lr)    (skipped when it would change by eps or less)

    The lr lives in the optimizer: save and load the optimizer's state along with this one's.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{name}: expected a glassnet optimizer, got {type(optimizer).__name__}."
            )
        if not optimizer.param_groups:
            raise ValueError(f"{name}: the optimizer has no parameters bound yet; bind them first.")
        _check(name, "mode", mode, mode in ("min", "max"), "'min' or 'max'")
        _check(
            name,
            "threshold_mode",
            threshold_mode,
            threshold_mode in ("rel", "abs"),
            "'rel' or 'abs'",
        )
        _check(name, "factor", factor, 0.0 < factor < 1.0, "in (0, 1)")
        _check(name, "patience", patience, patience >= 0, ">= 0")
        _check(name, "cooldown", cooldown, cooldown >= 0, ">= 0")
        _check(name, "threshold", threshold, threshold >= 0, ">= 0")
        _check(name, "eps", eps, eps >= 0, ">= 0")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        # A single min_lr also covers groups added later; a list is checked against the groups.
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else float(min_lr)
        self.min_lrs = _per_group(name, "min_lr", min_lr, optimizer)
        for floor in self.min_lrs:
            _check(name, "min_lr", min_lr, floor >= 0, ">= 0")
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, value: float) -> bool:
        """Whether ``value`` improves on the best so far by more than the threshold."""
        sign = -1.0 if self.mode == "min" else 1.0
        if self.threshold_mode == "rel":
            limit = self.best * (1 + sign * self.threshold)
        else:
            limit = self.best + sign * self.threshold
        return value < limit if self.mode == "min" else value > limit

    def step(self, metric: float) -> None:
        """Record one epoch's metric; reduce the lr when it has stopped improving."""
        value = float(metric)
        self.last_epoch += 1
        if self.is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _reduce(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):
            if self.default_min_lr is None:
                raise ValueError(
                    f"ReduceLROnPlateau: {len(self.min_lrs)} min_lr values for {len(groups)} "
                    "parameter groups; set min_lrs to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, floor)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

    def __repr__(self) -> str:
        return f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best}, lr={self.get_last_lr()})"
