"""Threads: predict on one model from several threads at once, fit on two models in two threads.

What glassnet shares between threads is listed in docs/reliability.md ("Threads"): the grad mode
and recording are per thread; a model's layers' training flags are per model (predict and
evaluate switch them to eval and back, counted so that overlapping calls agree); the default
generator of ``glassnet.seed`` is one per process.
"""

from __future__ import annotations

import copy
import threading

import numpy as np

import glassnet as gn

ROUNDS = 30


def _data(seed: int, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.float32)


def _model() -> gn.Model:
    model = gn.Model(
        [
            gn.Linear(4, 16, rng=0),
            gn.ReLU(),
            gn.BatchNorm1d(16),
            gn.Dropout(0.5),
            gn.Linear(16, 16, rng=1),
            gn.Tanh(),
            gn.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=gn.optim.Adam(lr=0.01), loss="binary_crossentropy")
    return model


def _in_threads(work, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_four_threads_predicting_on_one_model_get_the_sequential_results() -> None:
    model = _model()
    x, y = _data(0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=0)
    model.train(
        True
    )  # left in training mode: predict must still use eval mode (no dropout) throughout
    inputs = [_data(10 + i)[0] for i in range(4)]
    expected = [model.predict(batch) for batch in inputs]

    def predict_many(index: int) -> list[np.ndarray]:
        return [model.predict(inputs[index]) for _ in range(ROUNDS)]

    for index, outputs in enumerate(_in_threads(predict_many, 4)):
        for output in outputs:
            np.testing.assert_array_equal(output, expected[index])
    assert all(module.training for module in model.modules())  # the mode the user left is restored


def test_evaluate_and_predict_overlap_on_one_model() -> None:
    model = _model()
    x, y = _data(1)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=0)
    loss, prediction = model.evaluate(x, y)["loss"], model.predict(x)

    def work(index: int) -> list:
        return [
            model.evaluate(x, y)["loss"] if index % 2 else model.predict(x) for _ in range(ROUNDS)
        ]

    for index, outputs in enumerate(_in_threads(work, 4)):
        for output in outputs:
            if index % 2:
                assert output == loss
            else:
                np.testing.assert_array_equal(output, prediction)


def test_fit_on_two_models_in_two_threads_gives_each_its_single_threaded_result() -> None:
    data = [_data(2, 96), _data(3, 96)]
    fresh = [_model(), _model()]

    def fit(index: int, model: gn.Model) -> tuple[dict, dict]:
        history = model.fit(
            *data[index], epochs=4, batch_size=8, verbose=0, seed=index, validation_split=0.25
        )
        return history.history, model.state_dict()

    alone = [fit(i, copy.deepcopy(fresh[i])) for i in range(2)]
    together = _in_threads(lambda i: fit(i, fresh[i]), 2)
    for (history, weights), (history_alone, weights_alone) in zip(together, alone):
        assert history == history_alone
        for name in weights_alone:
            np.testing.assert_array_equal(weights[name], weights_alone[name], err_msg=name)
