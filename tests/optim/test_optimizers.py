"""Every update rule against torch.optim (Lion against a transcription of its paper), step by step.

One table lists every optimizer with every option; the tests below run each row for 100 steps on
parameters of different shapes with one random gradient sequence, in float64, and compare the
parameters with the reference's to rtol 1e-10. The other tests (parameter groups, state_dict,
float32, late binding, argument checks) run once per optimizer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

# The third parameter has the first one's shape: they share the optimizer's work arrays.
SHAPES = [(3, 2), (4,), (3, 2)]
STEPS = 100


def lion_paper(
    start: list[np.ndarray], gradients: list[list[np.ndarray]], settings: list[dict[str, Any]]
) -> list[np.ndarray]:
    """Algorithm 2 of Chen et al. 2023 ("Symbolic Discovery of Optimization Algorithms"), as written.

    ``settings[i]`` holds lr, betas and weight_decay for parameter i.
    """
    params = [p.copy() for p in start]
    moments = [np.zeros_like(p) for p in start]
    for step_grads in gradients:
        for i, g in enumerate(step_grads):
            lr, (beta1, beta2), decay = (
                settings[i]["lr"],
                settings[i]["betas"],
                settings[i]["weight_decay"],
            )
            c = beta1 * moments[i] + (1 - beta1) * g
            params[i] = params[i] - lr * (np.sign(c) + decay * params[i])
            moments[i] = beta2 * moments[i] + (1 - beta2) * g
    return params


LION_DEFAULTS = dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)


@dataclass(frozen=True)
class Row:
    """One optimizer with one set of options; ``reference`` is a torch.optim class name or a function."""

    name: str
    ours: type[optim.Optimizer]
    reference: str | Callable[..., list[np.ndarray]]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.name + "".join(f"-{k}={v}" for k, v in self.options.items())


TABLE = [
    Row("Adam", optim.Adam, "Adam"),
    Row("Adam", optim.Adam, "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    Row("Adam", optim.Adam, "Adam", dict(lr=0.01, weight_decay=0.1)),
    Row("Adam", optim.Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    Row("Adam", optim.Adam, "Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    Row("AdamW", optim.AdamW, "AdamW"),
    Row(
        "AdamW", optim.AdamW, "AdamW", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.0)
    ),
    Row("AdamW", optim.AdamW, "AdamW", dict(lr=0.01, weight_decay=0.1)),
    Row("AdamW", optim.AdamW, "AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    Row("RMSprop", optim.RMSprop, "RMSprop"),
    Row("RMSprop", optim.RMSprop, "RMSprop", dict(alpha=0.9, eps=1e-4)),
    Row("RMSprop", optim.RMSprop, "RMSprop", dict(weight_decay=0.1)),
    Row("RMSprop", optim.RMSprop, "RMSprop", dict(momentum=0.9)),
    Row("RMSprop", optim.RMSprop, "RMSprop", dict(centered=True)),
    Row(
        "RMSprop",
        optim.RMSprop,
        "RMSprop",
        dict(lr=0.001, centered=True, momentum=0.5, weight_decay=0.1),
    ),
    Row("Adagrad", optim.Adagrad, "Adagrad"),
    Row("Adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1, lr_decay=0.05)),
    Row("Adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1, weight_decay=0.1)),
    Row("Adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    Row("Adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1, eps=1e-3)),
    Row(
        "Adagrad",
        optim.Adagrad,
        "Adagrad",
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-6),
    ),
    Row("Adadelta", optim.Adadelta, "Adadelta"),
    Row("Adadelta", optim.Adadelta, "Adadelta", dict(lr=0.5, rho=0.5)),
    Row("Adadelta", optim.Adadelta, "Adadelta", dict(eps=1e-3)),
    Row("Adadelta", optim.Adadelta, "Adadelta", dict(weight_decay=0.1)),
    Row("Adamax", optim.Adamax, "Adamax"),
    Row("Adamax", optim.Adamax, "Adamax", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3)),
    Row("Adamax", optim.Adamax, "Adamax", dict(lr=0.01, weight_decay=0.1)),
    Row("NAdam", optim.NAdam, "NAdam"),
    Row("NAdam", optim.NAdam, "NAdam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6)),
    Row("NAdam", optim.NAdam, "NAdam", dict(lr=0.01, weight_decay=0.1)),
    Row("NAdam", optim.NAdam, "NAdam", dict(lr=0.01, momentum_decay=0.05)),
    Row("Lion", optim.Lion, lion_paper),
    Row("Lion", optim.Lion, lion_paper, dict(lr=1e-3, betas=(0.8, 0.95))),
    Row("Lion", optim.Lion, lion_paper, dict(lr=1e-3, weight_decay=0.5)),
]

# One row per optimizer: its last row, which has the options that create every kind of state it has.
PER_OPTIMIZER = list({row.name: row for row in TABLE}.values())


# ---------------------------------------------------------------- running both sides


def _grouped(params: list[Any], layout: list[dict[str, Any]] | None) -> list[Any]:
    """The parameters as a plain list, or as groups ``{"params": [indices], **overrides}``."""
    if layout is None:
        return list(params)
    return [{**group, "params": [params[i] for i in group["params"]]} for group in layout]


def run_glassnet(
    row: Row,
    start: list[np.ndarray],
    gradients: list[list[np.ndarray]],
    layout: list[dict[str, Any]] | None = None,
) -> tuple[list[gn.Parameter], optim.Optimizer]:
    params = [gn.Parameter(p.copy()) for p in start]
    optimizer = row.ours(_grouped(params, layout), **row.options)
    _feed(optimizer, params, gradients)
    return params, optimizer


def _feed(
    optimizer: optim.Optimizer, params: list[gn.Parameter], gradients: list[list[np.ndarray]]
) -> None:
    for step_grads in gradients:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        optimizer.step()


def run_reference(
    row: Row,
    start: list[np.ndarray],
    gradients: list[list[np.ndarray]],
    request: pytest.FixtureRequest,
    layout: list[dict[str, Any]] | None = None,
) -> list[np.ndarray]:
    """The reference's parameters after the same steps: torch.optim in float64, or a function."""
    if callable(row.reference):
        groups = layout or [{"params": list(range(len(start)))}]
        settings = [None] * len(start)
        for group in groups:
            for i in group["params"]:
                settings[i] = {**LION_DEFAULTS, **row.options, **group, "params": None}
        return row.reference(start, gradients, settings)
    torch = request.getfixturevalue("torch")
    params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in start]
    # torch keeps scalar state (NAdam's momentum product) in the default dtype: make it float64 too.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        optimizer = getattr(torch.optim, row.reference)(_grouped(params, layout), **row.options)
        for step_grads in gradients:
            for q, g in zip(params, step_grads):
                q.grad = torch.from_numpy(g.copy())
            optimizer.step()
    finally:
        torch.set_default_dtype(previous)
    return [q.detach().numpy() for q in params]


def _problem(
    rng: np.random.Generator, steps: int = STEPS
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    start = [rng.normal(size=shape) for shape in SHAPES]
    return start, [[rng.normal(size=shape) for shape in SHAPES] for _ in range(steps)]


def _assert_close(ours: list[gn.Parameter], theirs: list[np.ndarray]) -> None:
    for p, expected in zip(ours, theirs):
        np.testing.assert_allclose(p.data, expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- the update rules


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.id)
def test_100_steps_match_the_reference(row: Row, rng, request) -> None:
    start, gradients = _problem(rng)
    ours, _ = run_glassnet(row, start, gradients)
    _assert_close(ours, run_reference(row, start, gradients, request))
    assert not np.allclose(ours[0].data, start[0]), "the parameters did not move"


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
def test_parameter_group_with_its_own_lr_and_weight_decay(row: Row, rng, request) -> None:
    start, gradients = _problem(rng)
    layout = [{"params": [0]}, {"params": [1, 2], "lr": 0.05, "weight_decay": 0.2}]
    ours, optimizer = run_glassnet(row, start, gradients, layout)
    assert optimizer.param_groups[1]["lr"] == 0.05 and optimizer.param_groups[0]["lr"] != 0.05
    _assert_close(ours, run_reference(row, start, gradients, request, layout))


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
def test_defaults_are_torchs(row: Row, request) -> None:
    ours = row.ours().defaults
    if callable(row.reference):
        assert ours == LION_DEFAULTS
        return
    torch = request.getfixturevalue("torch")
    theirs = getattr(torch.optim, row.reference)([torch.nn.Parameter(torch.zeros(1))]).defaults
    assert ours == {key: theirs[key] for key in ours}


# ---------------------------------------------------------------- state, binding, dtypes


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.id)
def test_state_dict_round_trip_resumes_exactly(row: Row, rng) -> None:
    start, gradients = _problem(rng)
    straight, _ = run_glassnet(row, start, gradients)
    halfway, optimizer = run_glassnet(row, start, gradients[:50])
    saved = optimizer.state_dict()
    for entries in saved["state"].values():
        assert type(entries["step"]) is int and entries["step"] == 50
        assert all(isinstance(v, np.ndarray) or type(v) in (int, float) for v in entries.values())
        for value in entries.values():
            if isinstance(value, np.ndarray):
                value += 1.0  # the saved arrays are copies: this must not reach the optimizer
    saved = optimizer.state_dict()
    params = [gn.Parameter(p.data.copy()) for p in halfway]
    fresh = row.ours(params, lr=0.123)  # the loaded groups bring back the saved options
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    _feed(fresh, params, gradients[50:])
    for a, b in zip(straight, params):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
def test_loading_state_of_another_shape_is_a_clear_error(row: Row, rng) -> None:
    start, gradients = _problem(rng, steps=1)
    _, optimizer = run_glassnet(row, start, gradients)
    other = row.ours([gn.Parameter(np.zeros(shape[::-1])) for shape in SHAPES], **row.options)
    with pytest.raises(
        ValueError, match=r"of parameter 0 has shape \(3, 2\), the parameter has \(2, 3\)"
    ):
        other.load_state_dict(optimizer.state_dict())
    assert other.state == {}
    single = row.ours([gn.Parameter(np.zeros(SHAPES[0]))], **row.options)
    with pytest.raises(ValueError, match="state for parameter 1, but only 1 are bound"):
        single.load_state_dict(optimizer.state_dict())


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
def test_float32_parameters_stay_float32_in_their_own_buffers(row: Row, rng) -> None:
    start, gradients = _problem(rng, steps=20)
    reference, _ = run_glassnet(row, start, gradients)
    params = [gn.Parameter(p.astype(np.float32)) for p in start]
    buffers = [p.data for p in params]
    optimizer = row.ours(params, **row.options)
    for i, step_grads in enumerate(gradients):
        for p, g in zip(params, step_grads):
            p.grad = g.astype(np.float32) if i % 2 else g  # float64 gradients must not leak in
        optimizer.step()
    for p, buffer, expected in zip(params, buffers, reference):
        assert p.data is buffer and p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, expected.data, rtol=1e-4, atol=1e-5)
    for entries in optimizer.state.values():
        assert all(v.dtype == np.float32 for v in entries.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
def test_late_binding_zero_grad_and_parameters_without_gradient(row: Row, rng) -> None:
    start, gradients = _problem(rng, steps=10)
    direct, _ = run_glassnet(row, start, gradients)
    optimizer = row.ours(**row.options)
    params = [gn.Parameter(p.copy()) for p in start]
    assert optimizer.bind(params) is optimizer
    _feed(optimizer, params, gradients)
    for a, b in zip(direct, params):
        np.testing.assert_array_equal(a.data, b.data)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    before = [p.data.copy() for p in params]
    params[1].grad = np.ones(SHAPES[1])
    optimizer.step()
    np.testing.assert_array_equal(params[0].data, before[0])
    assert not np.array_equal(params[1].data, before[1])


@pytest.mark.parametrize("row", PER_OPTIMIZER, ids=lambda row: row.name)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_large_parameter_updated_in_row_blocks_equals_the_whole_array_update(
    row: Row, dtype, rng, monkeypatch
) -> None:
    # 67 rows of 600: above BLOCK_BYTES in both dtypes, in blocks whose last one is shorter.
    start = [rng.normal(size=(67, 600)).astype(dtype), rng.normal(size=(600,)).astype(dtype)]
    assert (
        start[0].nbytes > optim.optimizer.BLOCK_BYTES
        and start[0].nbytes % optim.optimizer.BLOCK_BYTES
    )
    gradients = [[rng.normal(size=p.shape).astype(dtype) for p in start] for _ in range(5)]
    params = [gn.Parameter(p.copy()) for p in start]
    optimizer = row.ours(params, **row.options)
    for step, step_grads in enumerate(gradients):
        if step == 2:  # a parameter given a new array (as a user may assign .data) is updated there
            params[0].data = params[0].data.copy()
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        optimizer.step()
        for p, g in zip(params, step_grads):
            np.testing.assert_array_equal(p.grad, g)  # the update never writes into the gradient
    monkeypatch.setattr(optim.optimizer, "BLOCK_BYTES", 1 << 40)  # now every update is one piece
    whole, _ = run_glassnet(row, start, gradients)
    for blocked, unblocked in zip(params, whole):
        np.testing.assert_array_equal(blocked.data, unblocked.data)


def test_descend_scales_by_the_lr_of_each_call_in_the_parameters_dtype() -> None:
    # descend keeps the last lr as an array of the last parameter's dtype: a new lr or a parameter
    # of another dtype must not reuse it, and the product equals the one with the Python float.
    small32 = gn.Parameter(np.linspace(-1, 1, 6, dtype=np.float32))
    small64 = gn.Parameter(np.linspace(-1, 1, 6))
    large32 = gn.Parameter(np.linspace(-1, 1, 67 * 600, dtype=np.float32).reshape(67, 600))
    optimizer = optim.SGD([small32, small64, large32], lr=0.1)
    small16 = gn.Parameter(np.linspace(-1, 1, 6, dtype=np.float16))
    rng = np.random.default_rng(0)
    # Python numbers, then NumPy scalars (which take part in the product's dtype: float64 here).
    rates = (
        0.1,
        0.1,
        1 / 3,
        1e-7,
        1 / 3,
        2,
        np.float64(1 / 3),
        np.logspace(-3, -1, 5)[2],
        np.float32(0.1),
    )
    for lr in rates:
        for p in (small32, small64, large32, small32, small16):
            # Directions of the parameter's dtype, and of another one (a float64 grad set by hand).
            for dtype in (p.dtype, np.float64):
                direction = rng.normal(size=p.shape).astype(dtype)
                expected = p.data - np.multiply(direction, lr).astype(p.dtype)
                optimizer.descend(p, direction, lr)
                assert p.data.dtype == expected.dtype
                np.testing.assert_array_equal(
                    p.data, expected, err_msg=f"lr {lr!r}, {p.dtype}, {dtype}"
                )


# ---------------------------------------------------------------- argument checks

# Every hyper-parameter each optimizer checks, with a bad value (torch.optim's checks).
BAD_ARGUMENTS = {
    optim.Adam: dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1, betas=[(1.0, 0.999), (0.9, -0.1)]),
    optim.AdamW: dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1, betas=[(-0.1, 0.999), (0.9, 1.0)]),
    optim.RMSprop: dict(lr=-0.01, eps=-1e-8, weight_decay=-0.1, alpha=-0.5, momentum=-0.9),
    optim.Adagrad: dict(
        lr=-0.01, eps=-1e-10, weight_decay=-0.1, lr_decay=-0.01, initial_accumulator_value=-1.0
    ),
    optim.Adadelta: dict(lr=-1.0, eps=-1e-6, weight_decay=-0.1, rho=[1.5, -0.1]),
    optim.Adamax: dict(lr=-2e-3, eps=-1e-8, weight_decay=-0.1, betas=[(1.0, 0.999), (0.9, 1.5)]),
    optim.NAdam: dict(
        lr=-2e-3,
        eps=-1e-8,
        weight_decay=-0.1,
        momentum_decay=-4e-3,
        betas=[(1.0, 0.999), (0.9, -0.1)],
    ),
    optim.Lion: dict(lr=-1e-4, weight_decay=-0.1, betas=[(1.0, 0.99), (0.9, 1.0)]),
}


def _bad_cases() -> list[tuple[type[optim.Optimizer], str, Any]]:
    cases = []
    for cls, arguments in BAD_ARGUMENTS.items():
        for name, values in arguments.items():
            for value in values if isinstance(values, list) else [values]:
                cases.append((cls, name, value))
    return cases


def _expected_message(name: str, value: Any) -> str:
    """The message must name the argument (the beta's index) and show the bad value."""
    if name == "betas":
        index = 0 if not 0.0 <= value[0] < 1.0 else 1
        return rf"beta parameter at index {index}: {re.escape(str(value[index]))}"
    return rf"{name}\b.*{re.escape(str(value))}"


@pytest.mark.parametrize(
    "cls, name, value", _bad_cases(), ids=lambda x: getattr(x, "__name__", str(x))
)
def test_bad_argument_raises_value_error_naming_it(cls, name, value) -> None:
    pattern = _expected_message(name, value)
    with pytest.raises(ValueError, match=pattern):
        cls([gn.Parameter(np.ones(2))], **{name: value})
    with pytest.raises(ValueError, match=pattern):
        cls(**{name: value})  # checked before any parameter is bound
    with pytest.raises(ValueError, match=pattern):
        cls([{"params": [gn.Parameter(np.ones(2))], name: value}])  # and in each group


@pytest.mark.parametrize(
    "cls",
    [cls for cls in BAD_ARGUMENTS if "eps" in BAD_ARGUMENTS[cls]],
    ids=lambda cls: cls.__name__,
)
def test_zero_eps_is_refused_but_zero_lr_is_allowed(cls) -> None:
    # The one deliberate difference from torch (issue: "eps <= 0" is bad input): eps = 0 can divide by zero.
    with pytest.raises(ValueError, match="invalid eps value 0.0: must be > 0"):
        cls([gn.Parameter(np.ones(2))], eps=0.0)
    cls([gn.Parameter(np.ones(2))], lr=0.0)


def test_every_optimizer_is_exported() -> None:
    names = {
        "Optimizer",
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "NAdam",
        "Lion",
    }
    assert names <= set(optim.__all__)
    assert all(issubclass(getattr(optim, name), optim.Optimizer) for name in names)


def test_compile_accepts_every_optimizer_by_name() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2))
    y = x @ np.array([1.0, -1.0])
    for name in (
        "sgd",
        "adam",
        "adamw",
        "rmsprop",
        "adagrad",
        "adadelta",
        "adamax",
        "nadam",
        "lion",
    ):
        model = gn.Model([gn.Dense(1)])
        model.compile(optimizer=name, loss="mse")
        history = model.fit(x, y, epochs=2, verbose=0, seed=0)
        assert np.isfinite(history.history["loss"][-1]), name
