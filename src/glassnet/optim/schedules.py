"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names, arguments and values.

Each schedule is a closed-form function of the step count: ``step()`` advances the count and
writes ``lr_at(step)`` into every parameter group. They work from a user's own loop
(``scheduler.step()`` after ``optimizer.step()``) and through ``fit`` with
``glassnet.callbacks.LearningRateScheduler(schedule, per="epoch" | "batch")``.

Unlike PyTorch, schedules do not chain by multiplying each other's output; compose them with
:class:`LinearWarmup`'s ``after=`` instead.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
           "LinearWarmup", "ReduceLROnPlateau"]


class LRScheduler:
    """Base class: remembers each group's initial lr and sets ``lr_at(step)`` on every ``step()``.

    Like PyTorch, construction already applies step 0.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected a glassnet optimizer, got {type(optimizer).__name__}.")
        if not optimizer.param_groups:
            raise ValueError(f"{type(self).__name__}: the optimizer has no parameters bound yet; bind them first.")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, step: int, base_lr: float) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._apply(self.last_epoch)

    def _apply(self, step: int) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(step, base)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer" and
                not isinstance(value, LRScheduler)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._apply(self.last_epoch)


def _positive(owner: str, name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value}.")


class StepLR(LRScheduler):
    """lr = base * gamma ** (step // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        _positive("StepLR", "step_size", step_size)
        _positive("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (step // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base * gamma ** (number of milestones <= step)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if list(milestones) != sorted(milestones):
            raise ValueError(f"MultiStepLR: milestones must be increasing, got {list(milestones)}.")
        _positive("MultiStepLR", "gamma", gamma)
        self.milestones, self.gamma = list(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, step)


class ExponentialLR(LRScheduler):
    """lr = base * gamma ** step."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _positive("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return base_lr * self.gamma**step


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * step / T_max)) / 2  (periodic past T_max)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        _positive("CosineAnnealingLR", "T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * step / self.T_max)) / 2


class OneCycleLR(LRScheduler):
    """Smith's one-cycle policy: warm up to ``max_lr`` for ``pct_start`` of the steps, then anneal far below.

    lr goes from max_lr / div_factor up to max_lr, then down to max_lr / (div_factor * final_div_factor),
    each phase by a half cosine (or linearly). With ``cycle_momentum``, the momentum (or Adam's
    beta1) moves the opposite way between ``max_momentum`` and ``base_momentum``.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch.")
            total_steps = epochs * steps_per_epoch
        _positive("OneCycleLR", "total_steps", total_steps)
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycleLR: pct_start must lie in [0, 1], got {pct_start}.")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}.")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        up_end = float(pct_start * total_steps) - 1
        ends = [up_end, float(2 * pct_start * total_steps) - 2, total_steps - 1.0] if three_phase else \
            [up_end, total_steps - 1.0]
        self.phase_ends = ends
        self.three_phase = three_phase
        maxima = list(max_lr) if isinstance(max_lr, Sequence) else [max_lr] * len(optimizer.param_groups)
        self.cycle_momentum = cycle_momentum
        self.uses_betas = "betas" in optimizer.defaults
        if cycle_momentum and "momentum" not in optimizer.defaults and not self.uses_betas:
            raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum or betas.")
        for group, peak in zip(optimizer.param_groups, maxima):
            group["initial_lr"] = peak / div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                group["max_momentum"], group["base_momentum"] = max_momentum, base_momentum
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _phase_values(self, step: int, group: dict[str, Any], keys_lr: list[str],
                      keys_momentum: list[str]) -> tuple[float, float]:
        start_step = 0.0
        for index, end_step in enumerate(self.phase_ends):
            if step <= end_step or index == len(self.phase_ends) - 1:
                fraction = (step - start_step) / (end_step - start_step)
                lr = self._anneal(group[keys_lr[index]], group[keys_lr[index + 1]], fraction)
                momentum = self._anneal(group.get(keys_momentum[index], 0.0), group.get(keys_momentum[index + 1], 0.0),
                                        fraction)
                return lr, momentum
            start_step = end_step
        raise AssertionError("unreachable")

    def _apply(self, step: int) -> None:
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps={self.total_steps}.")
        if self.three_phase:
            keys_lr = ["initial_lr", "max_lr", "initial_lr", "min_lr"]
            keys_momentum = ["max_momentum", "base_momentum", "max_momentum", "max_momentum"]
        else:
            keys_lr = ["initial_lr", "max_lr", "min_lr"]
            keys_momentum = ["max_momentum", "base_momentum", "max_momentum"]
        for group in self.optimizer.param_groups:
            lr, momentum = self._phase_values(step, group, keys_lr, keys_momentum)
            group["lr"] = lr
            if self.cycle_momentum:
                if self.uses_betas:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum

    def lr_at(self, step: int, base_lr: float) -> float:  # pragma: no cover - _apply is overridden
        raise NotImplementedError


class LinearWarmup(LRScheduler):
    """Ramp the lr linearly from ``start_factor * base`` to ``base`` over ``warmup_steps``, then
    hand over to the ``after`` schedule (stepped from its own step 0), or stay at ``base``.

    lr = base * (start_factor + (1 - start_factor) * step / warmup_steps)   for step < warmup_steps
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, start_factor: float = 1.0 / 3,
                 after: LRScheduler | None = None, last_epoch: int = -1) -> None:
        _positive("LinearWarmup", "warmup_steps", warmup_steps)
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"LinearWarmup: start_factor must lie in (0, 1], got {start_factor}.")
        if after is not None and after.optimizer is not optimizer:
            raise ValueError("LinearWarmup: the after= schedule must drive the same optimizer.")
        self.warmup_steps, self.start_factor, self.after = warmup_steps, start_factor, after
        super().__init__(optimizer, last_epoch)

    def _apply(self, step: int) -> None:
        if step >= self.warmup_steps and self.after is not None:
            self.after.last_epoch = step - self.warmup_steps
            self.after._apply(self.after.last_epoch)
            return
        super()._apply(step)

    def lr_at(self, step: int, base_lr: float) -> float:
        if step >= self.warmup_steps:
            return base_lr
        return base_lr * (self.start_factor + (1 - self.start_factor) * step / self.warmup_steps)


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` after ``patience`` steps without improvement (torch semantics).

    Call ``step(metric)`` once per epoch with the monitored value (e.g. the validation loss).
    Improvement: ``rel`` mode compares with best * (1 -/+ threshold), ``abs`` with best -/+ threshold.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}.")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        groups = len(optimizer.param_groups)
        self.min_lrs = list(min_lr) if isinstance(min_lr, Sequence) else [min_lr] * groups
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, value: float) -> bool:
        if self.mode == "min":
            limit = self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return value < limit
        limit = self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        return value > limit

    def step(self, metric: float) -> None:
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
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, floor)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
