"""Schedules against torch.optim.lr_scheduler over 200 steps with two parameter groups, their
state_dict round trips and their argument checks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim import schedules

LRS = (0.1, 0.02)


def _ours(optimizer: str = "SGD", lrs=LRS, **options):
    groups = [{"params": [gn.Parameter(np.ones(1))], "lr": lr} for lr in lrs]
    return getattr(gn.optim, optimizer)(groups, **options)


def _theirs(torch, optimizer: str = "SGD", lrs=LRS, **options):
    groups = [
        {"params": [torch.nn.Parameter(torch.ones(1, dtype=torch.float64))], "lr": lr} for lr in lrs
    ]
    return getattr(torch.optim, optimizer)(groups, **options)


@dataclass
class Case:
    """One schedule built the same way in glassnet (ours) and in torch (theirs)."""

    name: str
    ours: Callable[[Any], Any]
    theirs: Callable[[Any, Any], Any]
    optimizer: tuple[str, dict] = ("SGD", {})


def _sequential(torch, opt, start_factor, warmup, T_max):
    sched = torch.optim.lr_scheduler
    return sched.SequentialLR(
        opt,
        [
            sched.LinearLR(opt, start_factor=start_factor, total_iters=warmup),
            sched.CosineAnnealingLR(opt, T_max=T_max),
        ],
        milestones=[warmup],
    )


def _same(name: str, optimizer=("SGD", {}), **options) -> Case:
    """A case whose glassnet and torch constructors take the same arguments."""
    label = ",".join(f"{k}={v}" for k, v in options.items())
    return Case(
        f"{name}({label})",
        lambda opt: getattr(schedules, name)(opt, **options),
        lambda torch, opt: getattr(torch.optim.lr_scheduler, name)(opt, **options),
        optimizer,
    )


MOMENTUM = ("SGD", {"momentum": 0.9})
CASES = [
    _same("StepLR", step_size=30, gamma=0.5),
    _same("StepLR", step_size=1),
    _same("MultiStepLR", milestones=[20, 50, 50, 120], gamma=0.3),
    _same("ExponentialLR", gamma=0.98),
    _same("CosineAnnealingLR", T_max=70, eta_min=0.001),
    _same("CosineAnnealingLR", T_max=45),
    _same("OneCycleLR", MOMENTUM, max_lr=[0.5, 0.1], total_steps=200),
    _same("OneCycleLR", ("Adam", {}), max_lr=0.3, total_steps=200, base_momentum=[0.8, 0.7]),
    _same(
        "OneCycleLR",
        MOMENTUM,
        max_lr=0.3,
        total_steps=200,
        three_phase=True,
        anneal_strategy="linear",
    ),
    _same(
        "OneCycleLR",
        max_lr=0.3,
        epochs=20,
        steps_per_epoch=10,
        cycle_momentum=False,
        pct_start=0.25,
        div_factor=10.0,
        final_div_factor=100.0,
    ),
    Case(
        "LinearWarmup(10)->CosineAnnealingLR(90) vs SequentialLR",
        lambda opt: schedules.LinearWarmup(
            opt, 10, start_factor=0.1, after=schedules.CosineAnnealingLR(opt, 90)
        ),
        lambda torch, opt: _sequential(torch, opt, 0.1, 10, 90),
    ),
    Case(
        "LinearWarmup(25)->CosineAnnealingLR(60, eta_min) vs SequentialLR",
        lambda opt: schedules.LinearWarmup(
            opt, 25, after=schedules.CosineAnnealingLR(opt, 60, eta_min=0.005)
        ),
        lambda torch, opt: torch.optim.lr_scheduler.SequentialLR(
            opt,
            [
                torch.optim.lr_scheduler.LinearLR(opt, total_iters=25),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=60, eta_min=0.005),
            ],
            milestones=[25],
        ),
    ),
    Case(
        "LinearWarmup(40) vs LinearLR",
        lambda opt: schedules.LinearWarmup(opt, 40, start_factor=0.05),
        lambda torch, opt: torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=0.05, total_iters=40
        ),
    ),
]


def _assert_same_groups(ours_opt, theirs_opt, step: int) -> None:
    """Equal learning rates (and momentum / beta1, which OneCycleLR cycles) in every group."""
    for key in ("lr", "momentum", "betas"):
        if key in ours_opt.param_groups[0]:
            ours = np.array([g[key] for g in ours_opt.param_groups], dtype=float)
            theirs = np.array([g[key] for g in theirs_opt.param_groups], dtype=float)
            np.testing.assert_allclose(
                ours, theirs, rtol=1e-10, atol=1e-15, err_msg=f"{key} at step {step}"
            )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_200_steps_match_torch(case, torch) -> None:
    name, options = case.optimizer
    ours_opt, theirs_opt = _ours(name, **options), _theirs(torch, name, **options)
    ours, theirs = case.ours(ours_opt), case.theirs(torch, theirs_opt)
    for step in range(201):
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-10, atol=1e-15, err_msg=f"step {step}"
        )
        _assert_same_groups(ours_opt, theirs_opt, step)
        if step < 200:
            theirs_opt.step()  # torch warns when its scheduler steps before its optimizer
            ours.step()
            theirs.step()


def test_cosine_closed_form_passes_eta_min_and_climbs_back() -> None:
    opt = _ours(lrs=(1.0,))
    schedule = schedules.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)
    lrs = [opt.lr]
    for _ in range(8):
        schedule.step()
        lrs.append(opt.lr)
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    assert lrs[4] == pytest.approx(0.2) and lrs[8] == pytest.approx(1.0)


def test_one_cycle_stepping_past_total_steps_is_an_error() -> None:
    schedule = schedules.OneCycleLR(_ours(), max_lr=0.1, total_steps=5)
    for _ in range(5):
        schedule.step()
    with pytest.raises(ValueError, match="tried to step 6 times; total_steps is 5"):
        schedule.step()
    assert schedule.last_epoch == 5


def test_one_cycle_without_momentum_cycling_leaves_momentum_alone() -> None:
    opt = _ours(momentum=0.5)
    schedule = schedules.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
    schedule.step()
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0.5]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_on_plateau_matches_torch(mode, threshold_mode, torch, rng) -> None:
    ours_opt, theirs_opt = _ours(), _theirs(torch)
    options = dict(
        mode=mode,
        factor=0.5,
        patience=3,
        threshold=0.01,
        threshold_mode=threshold_mode,
        cooldown=2,
        min_lr=[0.001, 0.0005],
    )
    ours = schedules.ReduceLROnPlateau(ours_opt, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **options)
    metric = 1.0
    for step in range(200):
        metric *= 0.985 if rng.random() < 0.3 else 1.005
        theirs_opt.step()
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=f"step {step}"
        )
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.best,
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
        )
    assert ours_opt.lr < 0.1  # the walk did trigger reductions


def test_reduce_on_plateau_respects_min_lr_and_eps() -> None:
    opt = _ours(lrs=(1.0,))
    schedule = schedules.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=0.2, eps=0.05)
    lrs = []
    for _ in range(5):
        schedule.step(1.0)
        lrs.append(opt.lr)
    # 1 (first value is the best) -> .5 -> .25 -> .2 (floor) -> .2; a change of .05 or less is skipped
    assert lrs == [1.0, 0.5, 0.25, 0.25, 0.25]


# Each factory builds a fresh optimizer and schedule; a round trip must continue the same sequence.
RESUMABLE = [
    ("StepLR", lambda: schedules.StepLR(_ours(), 7, gamma=0.5)),
    ("MultiStepLR", lambda: schedules.MultiStepLR(_ours(), [5, 15, 25])),
    ("ExponentialLR", lambda: schedules.ExponentialLR(_ours(), 0.9)),
    ("CosineAnnealingLR", lambda: schedules.CosineAnnealingLR(_ours(), 20, eta_min=0.001)),
    (
        "OneCycleLR",
        lambda: schedules.OneCycleLR(
            _ours(momentum=0.9), [0.4, 0.2], total_steps=40, three_phase=True
        ),
    ),
    ("LinearWarmup", lambda: schedules.LinearWarmup(_ours(), 10)),
    (
        "LinearWarmup->Cosine",
        lambda: (
            lambda opt: schedules.LinearWarmup(opt, 10, after=schedules.CosineAnnealingLR(opt, 20))
        )(_ours()),
    ),
    ("ReduceLROnPlateau", lambda: schedules.ReduceLROnPlateau(_ours(), patience=1, cooldown=1)),
]


def _advance(schedule, step: int) -> None:
    if isinstance(schedule, schedules.ReduceLROnPlateau):
        schedule.step([1.0, 0.9, 0.95, 0.97, 0.99, 0.8][step % 6])
    else:
        schedule.step()


@pytest.mark.parametrize("name, factory", RESUMABLE, ids=[n for n, _ in RESUMABLE])
def test_state_dict_round_trip_mid_way_continues_the_same_lrs(name, factory) -> None:
    straight = factory()
    expected = []
    for step in range(36):
        _advance(straight, step)
        expected.append(straight.get_last_lr())
    first = factory()
    for step in range(13):
        _advance(first, step)
    # Plain numbers only: both states survive JSON (ReduceLROnPlateau's best may be +-inf).
    saved = {"optimizer": first.optimizer.state_dict(), "schedule": first.state_dict()}
    saved = json.loads(json.dumps(saved))
    resumed = factory()
    resumed.optimizer.load_state_dict(saved["optimizer"])
    resumed.load_state_dict(saved["schedule"])
    assert resumed.get_last_lr() == expected[12]
    got = []
    for step in range(13, 36):
        _advance(resumed, step)
        got.append(resumed.get_last_lr())
    assert got == expected[13:]


def test_state_dict_is_a_copy() -> None:
    schedule = schedules.MultiStepLR(_ours(), [5, 10])
    state = schedule.state_dict()
    state["milestones"].append(1)
    state["base_lrs"][0] = 9.0
    assert schedule.milestones == [5, 10] and schedule.base_lrs == list(LRS)


def test_last_epoch_resumes_like_torch(torch) -> None:
    opt = _ours()
    schedules.StepLR(opt, 3, gamma=0.5)  # records initial_lr in the groups
    resumed = schedules.StepLR(opt, 3, gamma=0.5, last_epoch=6)
    their_opt = _theirs(torch)
    torch.optim.lr_scheduler.StepLR(their_opt, 3, gamma=0.5)
    theirs = torch.optim.lr_scheduler.StepLR(their_opt, 3, gamma=0.5, last_epoch=6)
    assert resumed.last_epoch == theirs.last_epoch == 7
    np.testing.assert_allclose(resumed.get_last_lr(), [0.025, 0.005], rtol=1e-15)
    with pytest.raises(ValueError, match=r"param_groups\[0\] has no 'initial_lr'"):
        schedules.StepLR(_ours(), 3, last_epoch=6)


def test_second_schedule_keeps_the_first_initial_lr() -> None:
    opt = _ours()
    schedules.ExponentialLR(opt, 0.5).step()
    later = schedules.StepLR(opt, 10)
    assert later.base_lrs == list(LRS) and later.get_last_lr() == list(LRS)


def test_schedule_through_fit_per_batch() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    model = gn.Model([gn.Dense(1, input_shape=(2,))])
    optimizer = gn.optim.SGD(list(model.parameters()), lr=0.1)
    model.compile(optimizer=optimizer, loss="mse")
    schedule = schedules.ExponentialLR(optimizer, gamma=0.5)
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=10,
        verbose=0,
        callbacks=[gn.callbacks.LearningRateScheduler(schedule, per="batch")],
    )
    assert optimizer.lr == pytest.approx(0.1 * 0.5**8)


BAD = [
    (lambda opt: schedules.StepLR(opt, step_size=0), "step_size must be a positive integer"),
    (lambda opt: schedules.StepLR(opt, step_size=2.5), "step_size must be a positive integer"),
    (lambda opt: schedules.StepLR(opt, 10, gamma=0.0), "gamma must be > 0"),
    (lambda opt: schedules.StepLR(opt, 10, last_epoch=-2), "last_epoch must be >= -1"),
    (
        lambda opt: schedules.MultiStepLR(opt, [30, 10]),
        "milestones must be sorted in increasing order",
    ),
    (lambda opt: schedules.MultiStepLR(opt, [10], gamma=-1), "gamma must be > 0"),
    (lambda opt: schedules.ExponentialLR(opt, gamma=0), "gamma must be > 0"),
    (lambda opt: schedules.CosineAnnealingLR(opt, T_max=0), "T_max must be a positive integer"),
    (lambda opt: schedules.CosineAnnealingLR(opt, 10, eta_min=-1), "eta_min must be >= 0"),
    (lambda opt: schedules.OneCycleLR(opt, 0.1), "give total_steps, or epochs and steps_per_epoch"),
    (
        lambda opt: schedules.OneCycleLR(opt, 0.1, total_steps=0),
        "total_steps must be a positive integer",
    ),
    (
        lambda opt: schedules.OneCycleLR(opt, 0.1, epochs=0, steps_per_epoch=3),
        "epochs must be a positive integer",
    ),
    (
        lambda opt: schedules.OneCycleLR(opt, 0.1, 10, pct_start=1.5),
        r"pct_start must be in \[0, 1\]",
    ),
    (
        lambda opt: schedules.OneCycleLR(opt, 0.1, 10, anneal_strategy="exp"),
        "anneal_strategy must be 'cos'",
    ),
    (lambda opt: schedules.OneCycleLR(opt, [0.1], 10), "expected 2 values for max_lr"),
    (lambda opt: schedules.OneCycleLR(opt, -0.1, 10), "max_lr must be > 0"),
    (lambda opt: schedules.OneCycleLR(opt, 0.1, 10, div_factor=0), "div_factor must be > 0"),
    (lambda opt: schedules.LinearWarmup(opt, 0), "warmup_steps must be a positive integer"),
    (
        lambda opt: schedules.LinearWarmup(opt, 5, start_factor=0.0),
        r"start_factor must be in \(0, 1\]",
    ),
    (
        lambda opt: schedules.LinearWarmup(opt, 5, after=schedules.StepLR(_ours(), 3)),
        "must drive the same optimizer",
    ),
    (lambda opt: schedules.ReduceLROnPlateau(opt, mode="up"), "mode must be 'min' or 'max'"),
    (
        lambda opt: schedules.ReduceLROnPlateau(opt, threshold_mode="x"),
        "threshold_mode must be 'rel' or 'abs'",
    ),
    (lambda opt: schedules.ReduceLROnPlateau(opt, factor=1.0), r"factor must be in \(0, 1\)"),
    (lambda opt: schedules.ReduceLROnPlateau(opt, patience=-1), "patience must be >= 0"),
    (lambda opt: schedules.ReduceLROnPlateau(opt, min_lr=[0.0]), "expected 2 values for min_lr"),
]


@pytest.mark.parametrize("factory, message", BAD, ids=[m for _, m in BAD])
def test_bad_arguments_are_named(factory, message) -> None:
    with pytest.raises(ValueError, match=message):
        factory(_ours())


def test_wrong_optimizer_or_after_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a glassnet optimizer"):
        schedules.StepLR(object(), 3)
    opt = _ours()
    with pytest.raises(TypeError, match="after must be a schedule stepped without a metric"):
        schedules.LinearWarmup(opt, 5, after=schedules.ReduceLROnPlateau(opt))
    with pytest.raises(
        ValueError, match="cycle_momentum=True needs an optimizer with momentum or betas"
    ):
        schedules.OneCycleLR(_ours("Adagrad"), 0.1, 10)
