"""Every update rule against torch.optim (Lion against a transcription of its paper), 100 steps."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import optim

# (glassnet class, torch class name, options): every option of every optimizer.
TABLE = [
    (optim.Adam, "Adam", dict(lr=0.01)),
    (optim.Adam, "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (optim.Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, "AdamW", dict(lr=0.01)),
    (optim.AdamW, "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.01)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    (optim.Adagrad, "Adagrad", dict(lr=0.1)),
    (optim.Adagrad, "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    (optim.Adadelta, "Adadelta", dict()),
    (optim.Adadelta, "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    (optim.Adamax, "Adamax", dict()),
    (optim.Adamax, "Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    (optim.NAdam, "NAdam", dict()),
    (optim.NAdam, "NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
]


def _gradient_sequence(rng, shapes, steps=100):
    return [[rng.normal(size=shape) for shape in shapes] for _ in range(steps)]


def _run_glassnet(factory, options, start, gradients):
    params = [gn.Parameter(p.copy()) for p in start]
    optimizer = factory(params, **options)
    for step_grads in gradients:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        optimizer.step()
    return params, optimizer


@pytest.mark.parametrize("factory, torch_name, options", TABLE,
                         ids=[f"{f.__name__}-{','.join(map(str, o.items()))}" for f, _, o in TABLE])
def test_100_steps_match_torch_optim(factory, torch_name, options, torch, rng) -> None:
    start = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    gradients = _gradient_sequence(rng, [p.shape for p in start])
    ours, _ = _run_glassnet(factory, options, start, gradients)
    theirs = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in start]
    # torch keeps scalar state (NAdam's momentum product) in the default dtype: make it float64 too.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        optimizer = getattr(torch.optim, torch_name)(theirs, **options)
        for step_grads in gradients:
            for q, g in zip(theirs, step_grads):
                q.grad = torch.from_numpy(g.copy())
            optimizer.step()
    finally:
        torch.set_default_dtype(previous)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def _lion_reference(start, gradients, lr, betas, weight_decay):
    """Algorithm 1 of the Lion paper, transcribed."""
    params = [p.copy() for p in start]
    moments = [np.zeros_like(p) for p in start]
    for step_grads in gradients:
        for p, m, g in zip(params, moments, step_grads):
            update = np.sign(betas[0] * m + (1 - betas[0]) * g)
            p -= lr * (update + weight_decay * p)
            m[...] = betas[1] * m + (1 - betas[1]) * g
    return params


@pytest.mark.parametrize("options", [dict(lr=1e-3), dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.1)])
def test_lion_matches_the_paper(options, rng) -> None:
    start = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    gradients = _gradient_sequence(rng, [p.shape for p in start])
    ours, _ = _run_glassnet(optim.Lion, options, start, gradients)
    full = dict(betas=(0.9, 0.99), weight_decay=0.0) | options
    for p, expected in zip(ours, _lion_reference(start, gradients, full["lr"], full["betas"], full["weight_decay"])):
        np.testing.assert_allclose(p.data, expected, rtol=1e-12)


@pytest.mark.parametrize("factory", [row[0] for row in TABLE] + [optim.Lion], ids=lambda f: f.__name__)
def test_state_dict_resumes_exactly_and_float32_stays_in_place(factory, rng) -> None:
    start = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    gradients = _gradient_sequence(rng, [p.shape for p in start], steps=20)
    straight, _ = _run_glassnet(factory, {}, start, gradients)
    first, optimizer = _run_glassnet(factory, {}, start, gradients[:10])
    resumed_params = [gn.Parameter(p.data.copy()) for p in first]
    resumed = factory(resumed_params)
    resumed.load_state_dict(optimizer.state_dict())
    for step_grads in gradients[10:]:
        for p, g in zip(resumed_params, step_grads):
            p.grad = g.copy()
        resumed.step()
    for a, b in zip(straight, resumed_params):
        np.testing.assert_array_equal(a.data, b.data)
    p32 = gn.Parameter(np.ones(3, dtype=np.float32))
    buffer = p32.data
    p32.grad = np.ones(3, dtype=np.float32)
    factory([p32]).step()
    assert p32.data is buffer and p32.dtype == np.float32


@pytest.mark.parametrize("factory, kwargs, message", [
    (optim.Adam, dict(lr=-1.0), "lr must be >= 0"),
    (optim.Adam, dict(betas=(1.0, 0.9)), r"invalid beta parameter at index 0: 1.0"),
    (optim.AdamW, dict(eps=-1e-8), "invalid eps value"),
    (optim.Adam, dict(eps=0.0), r"invalid eps value 0.0: must be > 0"),
    (optim.RMSprop, dict(eps=0.0), "invalid eps value"),
    (optim.RMSprop, dict(alpha=-0.1), "invalid alpha value"),
    (optim.Adagrad, dict(lr_decay=-1.0), "invalid lr_decay value"),
    (optim.Adadelta, dict(rho=1.5), "invalid rho value"),
    (optim.NAdam, dict(momentum_decay=-1.0), "invalid momentum_decay value"),
    (optim.Lion, dict(betas=(0.9, -0.1)), "index 1"),
    (optim.Adamax, dict(weight_decay=-0.1), "invalid weight_decay value"),
])
def test_bad_arguments_name_the_argument(factory, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        factory([gn.Parameter(np.ones(2))], **kwargs)


def test_compile_accepts_every_optimizer_by_name() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2))
    y = x @ np.array([1.0, -1.0])
    for name in ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion"):
        model = gn.Model([gn.Dense(1)])
        model.compile(optimizer=name, loss="mse")
        history = model.fit(x, y, epochs=2, verbose=0, seed=0)
        assert np.isfinite(history.history["loss"][-1]), name
