"""Schedules against torch.optim.lr_scheduler over 200 steps, two parameter groups."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.optim import schedules


def _ours(lrs=(0.1, 0.02), optimizer=gn.optim.SGD, **options):
    groups = [{"params": [gn.Parameter(np.ones(1))], "lr": lr} for lr in lrs]
    return optimizer(groups, **options)


def _theirs(torch, lrs=(0.1, 0.02), name="SGD", **options):
    groups = [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs]
    return getattr(torch.optim, name)(groups, **options)


CASES = [
    ("StepLR", dict(step_size=30, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[20, 50, 120], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.98)),
    ("CosineAnnealingLR", dict(T_max=70, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.1], total_steps=200)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=200, three_phase=True, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.3, epochs=20, steps_per_epoch=10, cycle_momentum=False, pct_start=0.25)),
]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_200_steps_match_torch(name, options, torch) -> None:
    momentum = {"momentum": 0.9} if name == "OneCycleLR" else {}
    ours_opt, theirs_opt = _ours(**momentum), _theirs(torch, **momentum)
    ours = getattr(schedules, name)(ours_opt, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **options)
    steps = 199 if name == "OneCycleLR" else 200
    for step in range(steps):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-10, err_msg=f"step {step}")
        if name == "OneCycleLR" and options.get("cycle_momentum", True):
            assert [g["momentum"] for g in ours_opt.param_groups] == pytest.approx(
                [g["momentum"] for g in theirs_opt.param_groups], rel=1e-10)
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_linear_warmup_then_cosine_matches_torch_sequential_lr(torch) -> None:
    ours_opt, theirs_opt = _ours(), _theirs(torch)
    ours = schedules.LinearWarmup(ours_opt, 10, start_factor=0.1,
                                  after=schedules.CosineAnnealingLR(ours_opt, T_max=90))
    sched = torch.optim.lr_scheduler
    theirs = sched.SequentialLR(theirs_opt, [sched.LinearLR(theirs_opt, start_factor=0.1, total_iters=10),
                                             sched.CosineAnnealingLR(theirs_opt, T_max=90)], milestones=[10])
    for step in range(200):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-9, err_msg=f"step {step}")
        theirs_opt.step()
        ours.step()
        theirs.step()


def test_reduce_on_plateau_matches_torch(torch, rng) -> None:
    ours_opt, theirs_opt = _ours(), _theirs(torch)
    options = dict(factor=0.5, patience=3, threshold=0.01, cooldown=2, min_lr=0.001)
    ours = schedules.ReduceLROnPlateau(ours_opt, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **options)
    metric = 1.0
    for step in range(200):
        metric = metric * (0.99 if rng.random() < 0.3 else 1.01)
        theirs_opt.step()
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=f"step {step}")


def test_state_dict_resumes_mid_way() -> None:
    straight = schedules.CosineAnnealingLR(_ours(), T_max=50)
    for _ in range(30):
        straight.step()
    first = schedules.CosineAnnealingLR(_ours(), T_max=50)
    for _ in range(12):
        first.step()
    resumed = schedules.CosineAnnealingLR(_ours(), T_max=50)
    resumed.load_state_dict(first.state_dict())
    for _ in range(18):
        resumed.step()
    assert resumed.get_last_lr() == straight.get_last_lr()


@pytest.mark.parametrize("factory, message", [
    (lambda opt: schedules.StepLR(opt, step_size=0), "step_size must be > 0"),
    (lambda opt: schedules.StepLR(opt, 10, gamma=0.0), "gamma must be > 0"),
    (lambda opt: schedules.MultiStepLR(opt, [30, 10]), "milestones must be increasing"),
    (lambda opt: schedules.OneCycleLR(opt, 0.1), "give total_steps"),
    (lambda opt: schedules.ReduceLROnPlateau(opt, mode="up"), "mode must be 'min' or 'max'"),
    (lambda opt: schedules.LinearWarmup(opt, 5, start_factor=0.0), r"start_factor must lie in \(0, 1\]"),
])
def test_bad_arguments_are_named(factory, message) -> None:
    with pytest.raises(ValueError, match=message):
        factory(_ours())


def test_schedule_through_fit_per_batch() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    model = gn.Model([gn.Dense(1, input_shape=(2,))])
    optimizer = gn.optim.SGD(list(model.parameters()), lr=0.1)
    model.compile(optimizer=optimizer, loss="mse")
    schedule = schedules.ExponentialLR(optimizer, gamma=0.5)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0,
              callbacks=[gn.callbacks.LearningRateScheduler(schedule, per="batch")])
    assert optimizer.lr == pytest.approx(0.1 * 0.5**8)
