"""Model: the blog's API, its input checks (before any weight changes), reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.demo import build_founding_model
from glassnet.errors import DTypeError, InputError, NonFiniteLossError, ShapeError


def _data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    Y = (np.hypot(X[:, 0], X[:, 1]) > 1.1).astype(float)
    return X, Y


def _weights(model: gn.Model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def test_layers_are_named_by_kind_and_parameters_by_layer() -> None:
    model = build_founding_model()
    assert [layer.name for layer in model.layers] == [
        "linear_1",
        "relu_1",
        "linear_2",
        "relu_2",
        "linear_3",
        "sigmoid_1",
    ]
    assert [n for n, _ in model.named_parameters()][:2] == ["linear_1.weight", "linear_1.bias"]


def test_train_appends_one_float_loss_per_epoch_and_learns() -> None:
    X, Y = _data()
    model = build_founding_model()
    returned = model.train(X, Y, learning_rate=0.5, epochs=300, seed=0)
    assert returned is model.loss and len(model.loss) == 300
    assert all(isinstance(v, float) for v in model.loss)
    assert model.loss[-1] < model.loss[0]
    model.train(X, Y, learning_rate=0.5, epochs=10)
    assert len(model.loss) == 310


def test_predict_returns_probabilities_without_building_a_graph() -> None:
    X, _ = _data()
    model = build_founding_model()
    out = model.predict(X)
    assert isinstance(out, np.ndarray) and out.shape == (200, 1) and out.dtype == np.float32
    assert np.all((out >= 0) & (out <= 1))
    assert model(gn.Tensor(X.astype(np.float32))).creator is not None
    np.testing.assert_array_equal(model.predict(X, batch_size=7), out)


def test_labels_of_shape_n_and_n_1_train_identically() -> None:
    X, Y = _data()
    a, b = build_founding_model(), build_founding_model()
    a.train(X, Y, epochs=20, seed=1)
    b.train(X, Y.reshape(-1, 1), epochs=20, seed=1)
    assert a.loss == b.loss


def test_seed_makes_a_run_repeat_bit_for_bit() -> None:
    X, Y = _data()
    runs = []
    for _ in range(2):
        model = build_founding_model()
        model.train(X, Y, learning_rate=0.3, epochs=50, batch_size=32, seed=42)
        runs.append((model.loss, _weights(model)))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_glassnet_seed_makes_construction_repeat() -> None:
    gn.seed(5)
    first = _weights(build_founding_model())
    gn.seed(5)
    for a, b in zip(first, _weights(build_founding_model())):
        np.testing.assert_array_equal(a, b)


def test_sigmoid_plus_bce_trains_through_logits_with_the_same_gradient(torch) -> None:
    X, Y = _data(20)
    model = build_founding_model()
    state = model.state_dict()
    state["linear_3.bias"][...] = 30.0  # saturate the output: p rounds to 1 in float32
    model.load_state_dict(state)
    before = _weights(model)
    model.train(X, Y, learning_rate=0.1, epochs=1)
    assert np.isfinite(model.loss[0])
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 2),
        torch.nn.ReLU(),
        torch.nn.Linear(2, 1),
    )
    with torch.no_grad():
        for param, value in zip(net.parameters(), before):
            param.copy_(torch.from_numpy(value))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        net(torch.from_numpy(X.astype(np.float32))),
        torch.from_numpy(Y.astype(np.float32)).reshape(-1, 1),
    )
    loss.backward()
    assert model.loss[0] == pytest.approx(loss.item(), rel=1e-5)
    with torch.no_grad():
        for param, value in zip(net.parameters(), _weights(model)):
            np.testing.assert_allclose(
                value, (param - 0.1 * param.grad).numpy(), rtol=1e-5, atol=1e-6
            )


def test_mse_loss_by_name_trains_regression() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    Y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = gn.Model([gn.Linear(3, 1)])
    model.train(X, Y, learning_rate=0.1, epochs=300, loss="mse", seed=0)
    assert model.loss[-1] < 1e-4


def test_summary_lists_layers_output_shapes_and_parameter_counts() -> None:
    lines = []
    text = build_founding_model().summary(print_fn=lines.append)
    assert lines == [text]
    assert "linear_1 (Linear)" in text and "(None, 5)" in text and "(None, 1)" in text
    assert "Total params: 30" in text


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.zeros((2, 200)), ShapeError, r"looks features-first.*drop the \.T"),
        (
            np.zeros((200, 3)),
            ShapeError,
            r"linear_1: expected input of shape \(n_samples, 2\), got X_train of shape "
            r"\(200, 3\)",
        ),
        (np.zeros((0, 2)), InputError, "at least one sample"),
        (
            np.zeros(200),
            ShapeError,
            r"expected a samples-first array \(n_samples, n_features\).*reshape\(-1, 1\)",
        ),
        (
            np.zeros((200, 4, 3)),
            ShapeError,
            r"linear_1: expected input of shape \(n_samples, \.\.\., 2\), got X_train of shape \(200, 4, 3\).*3 features",
        ),
        (np.full((200, 2), np.nan), InputError, "NaN or infinite"),
        (np.array([["a", "b"]] * 200), DTypeError, "expected numbers"),
        (np.array([[1.0, None]] * 200, dtype=object), DTypeError, "Python objects"),
    ],
)
def test_bad_inputs_are_refused_before_any_weight_changes(X, error, message) -> None:
    _, Y = _data()
    model = build_founding_model()
    before = _weights(model)
    with pytest.raises(error, match=message):
        model.train(X, Y, epochs=1)
    for a, b in zip(before, _weights(model)):
        np.testing.assert_array_equal(a, b)
    assert model.loss == []


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (1234, 17), (4999, 31)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_non_finite_value_anywhere_is_found(bad: float, where: tuple[int, int], dtype) -> None:
    from glassnet.training.validation import as_features

    X = np.random.default_rng(0).normal(size=(5000, 32)).astype(dtype)
    X[where] = bad
    with pytest.raises(InputError, match="contains 1 NaN or infinite values"):
        as_features(X, 32, "dense_1", np.dtype(dtype))


def test_huge_finite_values_whose_sums_overflow_are_accepted() -> None:
    from glassnet.training.validation import as_features

    X = np.full((10, 4), 3e38, dtype=np.float32)  # every row sum overflows float32
    assert as_features(X, 4, "dense_1", np.dtype(np.float32)) is X


@pytest.mark.parametrize(
    "Y, error, message",
    [
        (np.zeros(150), ShapeError, "X has 200 samples, Y_train has 150"),
        (np.zeros((1, 200)), ShapeError, r"one row of labels.*drop the \.T"),
        (np.full(200, 2.0), InputError, r"labels must lie in \[0, 1\], got values from 2 to 2"),
        (np.full(200, np.inf), InputError, "NaN or infinite"),
    ],
)
def test_bad_labels_are_refused(Y, error, message) -> None:
    X, _ = _data()
    with pytest.raises(error, match=message):
        build_founding_model().train(X, Y, epochs=1)


def test_nan_loss_stops_training_naming_the_epoch() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)) * 1e3
    Y = rng.normal(size=50) * 1e3
    model = gn.Model([gn.Linear(2, 8), gn.ReLU(), gn.Linear(8, 1)])
    with pytest.raises(NonFiniteLossError, match=r"loss became (nan|inf) at epoch \d+"):
        model.train(X, Y, learning_rate=10.0, epochs=100, loss="mse", seed=0)
    assert issubclass(NonFiniteLossError, FloatingPointError)


def test_verbose_prints_every_50_epochs(capsys) -> None:
    X, Y = _data()
    build_founding_model().train(X, Y, epochs=101, verbose=True, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(".")[0] for line in lines] == ["Epoch: 0", "Epoch: 50", "Epoch: 100"]
    assert lines[0].startswith("Epoch: 0. Loss: ")


def test_empty_model_and_bad_batch_size_are_clear() -> None:
    X, Y = _data()
    with pytest.raises(ValueError, match="add layers"):
        gn.Model().predict(X)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        build_founding_model().train(X, Y, batch_size=0)


def test_train_without_data_is_torchs_mode_switch() -> None:
    model = build_founding_model()
    assert model.eval() is model and not model.training
    assert model.train() is model and all(m.training for m in model.modules())
    model.train(False)
    assert not model.layers[0].training


def _head_weights_after_setup(layers: list, keras: bool = False) -> np.ndarray:
    X, Y = _data()
    model = gn.Model(layers)
    # One step with a zero learning rate shows the weights training starts from.
    if keras:
        model.compile(optimizer=gn.optim.SGD(lr=0.0), loss="binary_crossentropy")
        model.fit(X, Y, epochs=1, verbose=0)
    else:
        model.train(X, Y, epochs=1, learning_rate=0.0)
    head = [layer for layer in model.layers if layer.num_parameters()][-1]
    return head.weight.data


def test_train_builds_lazy_dense_layers_before_making_its_optimizer() -> None:
    X, Y = _data()
    model = gn.Model([gn.Dense(8, activation="relu"), gn.Dense(1, activation="sigmoid")])
    losses = model.train(X, Y, epochs=50, learning_rate=0.5, seed=0)
    assert losses[-1] < losses[0]


def test_a_narrow_default_output_layer_starts_at_zero() -> None:
    # The founding network: the output layer is fed by 2 units, which a random start can kill.
    assert np.all(_head_weights_after_setup(list(build_founding_model().layers)) == 0)
    assert np.all(
        _head_weights_after_setup(
            [gn.Dense(4, activation="relu"), gn.Dense(1, activation="sigmoid")], keras=True
        )
        == 0
    )


@pytest.mark.parametrize("keras", [False, True])
def test_a_wide_or_explicitly_initialized_output_layer_keeps_its_random_start(keras: bool) -> None:
    # 8 or more units feed it (see glassnet.nn.init.NARROW_WIDTH), or the user chose its init.
    wide = [gn.Dense(gn.nn.init.NARROW_WIDTH, activation="relu"), gn.Dense(1, activation="sigmoid")]
    explicit = [
        gn.Dense(2, activation="relu"),
        gn.Dense(1, activation="sigmoid", kernel_initializer="he_uniform"),
    ]
    for layers in (wide, explicit):
        assert np.any(_head_weights_after_setup(layers, keras) != 0)


def test_a_lazily_built_float64_model_gets_float64_inputs() -> None:
    X, Y = _data()
    model = gn.Model(
        [
            gn.Dense(4, activation="relu", dtype=np.float64),
            gn.Dense(1, activation="sigmoid", dtype=np.float64),
        ]
    )
    assert model.dtype == np.float64
    model.train(X, Y, epochs=2, seed=0)
    assert model.layers[0].weight.dtype == np.float64
    assert model.predict(X).dtype == np.float64


@pytest.mark.parametrize("method", ["fit", "train"])
def test_a_call_with_zero_epochs_leaves_the_weights_and_a_later_seed_still_draws_them(
    method,
) -> None:
    x = np.random.default_rng(0).normal(size=(64, 4))
    y = (x[:, 0] > 0).astype(int)

    def weights_after(pre_call: bool) -> list[np.ndarray]:
        model = gn.Model([gn.Dense(8, activation="relu"), gn.Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        run = (
            (lambda **kw: model.fit(x, y, verbose=0, **kw))
            if method == "fit"
            else (lambda **kw: model.train(x, y, loss="sparse_categorical_crossentropy", **kw))
        )
        if pre_call:
            before = [p.data.copy() for p in model.parameters()] if model.layers[0].built else None
            run(epochs=0)
            assert before is None or all(
                np.array_equal(a, p.data) for a, p in zip(before, model.parameters())
            )
        run(epochs=1, seed=3)
        return [p.data.copy() for p in model.parameters()]

    for a, b in zip(weights_after(False), weights_after(True)):
        np.testing.assert_array_equal(a, b)


def test_samples_first_data_with_more_axes_flows_through_predict_and_summary() -> None:
    model = gn.Model([gn.Dense(2)])
    x = np.arange(5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3)
    assert model.predict(x).shape == (5, 4, 2)
    assert model.input_shape == (4, 3)
    assert "(None, 4, 2)" in model.summary(print_fn=lambda line: None)


def test_build_creates_lazy_weights_from_a_batch_first_shape() -> None:
    model = gn.Model([gn.Dense(3), gn.Dense(1)])
    model.build((None, 4, 6))
    assert model.layers[0].weight.shape == (3, 6)
    assert model.input_shape == (4, 6)
    assert "(None, 4, 1)" in model.summary(print_fn=lambda line: None)


def _rings(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    label = rng.integers(0, 2, n)
    radius = np.where(label == 1, 0.5, 1.0) + rng.normal(0, 0.05, n)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype(np.float32)
    return X, label.astype(np.float32)


def test_train_gives_the_losses_it_gave_before_it_ran_through_fit() -> None:
    # Recorded with train's own loop (before issue #20 made it an adapter over fit), this machine.
    X, Y = _rings()
    gn.seed(0)
    full = build_founding_model().train(X, Y, learning_rate=0.05, epochs=200, seed=0)
    assert [full[i].hex() for i in (0, 99, 199)] == [
        "0x1.62e4300000000p-1",
        "0x1.57bb7a0000000p-1",
        "0x1.4aa5f40000000p-1",
    ]
    gn.seed(0)
    mini = build_founding_model().train(X, Y, learning_rate=0.1, epochs=20, batch_size=64, seed=5)
    assert [mini[i].hex() for i in (0, 19)] == ["0x1.6152735c28f5cp-1", "0x1.eb199dd70a3d7p-2"]


@pytest.mark.parametrize("batch_size", [None, 64])
def test_train_is_fit_with_sgd_and_the_blogs_batches(batch_size: int | None) -> None:
    X, Y = _rings()
    gn.seed(0)
    trained = build_founding_model()
    losses = trained.train(X, Y, learning_rate=0.1, epochs=15, batch_size=batch_size, seed=3)
    gn.seed(0)
    fitted = build_founding_model()
    fitted.compile(optimizer=gn.optim.SGD(lr=0.1), loss="binary_crossentropy")
    history = fitted.fit(
        X, Y, epochs=15, batch_size=batch_size, shuffle=batch_size is not None, seed=3, verbose=0
    )
    assert losses == history.history["loss"]
    for a, b in zip(trained.parameters(), fitted.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_train_leaves_the_compile_settings_as_they_were(capsys: pytest.CaptureFixture) -> None:
    X, Y = _rings(100)
    model = build_founding_model()
    optimizer = gn.optim.Adam(lr=1e-3)
    model.compile(optimizer=optimizer, loss="mse", metrics=["accuracy"], clipnorm=1.0)
    metrics = model.compiled_metrics
    model.train(X, Y, epochs=51, verbose=True)
    assert model.optimizer is optimizer and isinstance(
        model.compiled_loss, gn.losses.MeanSquaredError
    )
    assert model.compiled_metrics is metrics and model.clipping == (1.0, None, None)
    assert capsys.readouterr().out.splitlines() == [
        f"Epoch: {epoch}. Loss: {model.loss[epoch]}" for epoch in (0, 50)
    ]
