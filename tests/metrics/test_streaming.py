"""Streaming Metric objects over batches against the functions and scikit-learn, ``get``, errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from glassnet import metrics as gm
from glassnet.errors import InputError, ShapeError
from glassnet.metrics import (
    AUC,
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    F1Score,
    LogLoss,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
    Precision,
    R2Score,
    Recall,
    SparseCategoricalAccuracy,
    accuracy,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from .data import EXACT, _binary_data, _multiclass_data, _one_hot, _softmax


# ============================== streaming metrics
@dataclass
class StreamCase:
    """A metric, data as a model would produce it, and scikit-learn's value on all of it."""

    name: str
    make_metric: Callable[[], Metric]
    data: str  # "binary", "binary_column", "sparse", "one_hot", "regression", "regression3"
    expected: Callable[[Any, np.ndarray, np.ndarray, np.ndarray | None], float]
    function: Callable[[np.ndarray, np.ndarray, np.ndarray | None], float] | None = None


def _make_data(kind: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    if kind.startswith("binary"):
        labels, proba = _binary_data(rng, n)
        return (labels.reshape(-1, 1) if kind == "binary_column" else labels), proba
    if kind in ("sparse", "one_hot"):
        labels, proba = _multiclass_data(rng, n, 4)
        return (_one_hot(labels, 4) if kind == "one_hot" else labels), proba
    outputs = 3 if kind == "regression3" else 1
    truth = rng.normal(size=(n, outputs)) * 2 + 5
    return (truth[:, 0] if outputs == 1 else truth), truth + rng.normal(size=(n, outputs))


def _flat(y):
    return np.asarray(y).reshape(len(y), -1)[:, 0] if np.ndim(y) == 2 and np.shape(y)[1] == 1 else y


def _classes(y):
    return np.argmax(y, axis=1) if np.ndim(y) == 2 and np.shape(y)[1] > 1 else _flat(y)


def _predicted(p):
    return (p[:, 0] >= 0.5).astype(int) if p.shape[1] == 1 else p.argmax(axis=1)


def _sk_accuracy(sk, y, p, w):
    return sk.accuracy_score(_classes(y), _predicted(p), sample_weight=w)


def _sk_prf(which, average="binary"):
    def expected(sk, y, p, w):
        score = getattr(sk, f"{which}_score")
        return score(_classes(y), _predicted(p), average=average, zero_division=0, sample_weight=w)

    return expected


def _sk_auc(average="macro"):
    def expected(sk, y, p, w):
        if p.shape[1] == 1:
            return sk.roc_auc_score(_flat(y), p[:, 0], sample_weight=w)
        return sk.roc_auc_score(_classes(y), p, multi_class="ovr", average=average, sample_weight=w)

    return expected


def _sk_log_loss(sk, y, p, w):
    if p.shape[1] == 1:
        return sk.log_loss(_flat(y), y_proba=p[:, 0], labels=[0, 1], sample_weight=w)
    return sk.log_loss(_classes(y), y_proba=p, labels=range(p.shape[1]), sample_weight=w)


def _sk_regression(name):
    return lambda sk, y, p, w: getattr(sk, name)(y, p.reshape(np.shape(y)), sample_weight=w)


def _ours_prf(fn, average="binary"):
    return lambda y, p, w: fn(_classes(y), _predicted(p), average=average, sample_weight=w)


STREAM_CASES = [
    StreamCase(
        "accuracy_binary",
        lambda: gm.get("accuracy"),
        "binary",
        _sk_accuracy,
        lambda y, p, w: accuracy(y, p, sample_weight=w),
    ),
    StreamCase(
        "acc_binary_column",
        lambda: gm.get("acc"),
        "binary_column",
        _sk_accuracy,
        lambda y, p, w: accuracy(y, p, sample_weight=w),
    ),
    StreamCase(
        "accuracy_sparse",
        lambda: gm.get("accuracy"),
        "sparse",
        _sk_accuracy,
        lambda y, p, w: accuracy(y, p, sample_weight=w),
    ),
    StreamCase(
        "accuracy_one_hot",
        lambda: gm.get("accuracy"),
        "one_hot",
        _sk_accuracy,
        lambda y, p, w: accuracy(y, p, sample_weight=w),
    ),
    StreamCase("binary_accuracy", lambda: gm.get("binary_accuracy"), "binary", _sk_accuracy),
    StreamCase(
        "categorical_accuracy", lambda: gm.get("categorical_accuracy"), "one_hot", _sk_accuracy
    ),
    StreamCase(
        "sparse_categorical_accuracy",
        lambda: gm.get("sparse_categorical_accuracy"),
        "sparse",
        _sk_accuracy,
    ),
    StreamCase(
        "precision_binary",
        lambda: gm.get("precision"),
        "binary",
        _sk_prf("precision"),
        _ours_prf(precision_score),
    ),
    StreamCase(
        "recall_binary",
        lambda: gm.get("recall"),
        "binary_column",
        _sk_prf("recall"),
        _ours_prf(recall_score),
    ),
    StreamCase("f1_binary", lambda: gm.get("f1"), "binary", _sk_prf("f1"), _ours_prf(f1_score)),
    StreamCase(
        "precision_macro",
        lambda: gm.get("precision"),
        "sparse",
        _sk_prf("precision", "macro"),
        _ours_prf(precision_score, "macro"),
    ),
    StreamCase(
        "recall_weighted",
        lambda: Recall(average="weighted"),
        "one_hot",
        _sk_prf("recall", "weighted"),
        _ours_prf(recall_score, "weighted"),
    ),
    StreamCase(
        "f1_weighted",
        lambda: F1Score(average="weighted"),
        "sparse",
        _sk_prf("f1", "weighted"),
        _ours_prf(f1_score, "weighted"),
    ),
    StreamCase(
        "f1_macro_on_sigmoid",
        lambda: F1Score(average="macro"),
        "binary",
        _sk_prf("f1", "macro"),
        _ours_prf(f1_score, "macro"),
    ),
    StreamCase(
        "auc_binary",
        lambda: gm.get("auc"),
        "binary",
        _sk_auc(),
        lambda y, p, w: roc_auc_score(y, p, sample_weight=w),
    ),
    StreamCase(
        "auc_ovr_macro",
        lambda: gm.get("auc"),
        "sparse",
        _sk_auc(),
        lambda y, p, w: roc_auc_score(y, p, sample_weight=w),
    ),
    StreamCase(
        "auc_ovr_weighted_one_hot",
        lambda: AUC(average="weighted"),
        "one_hot",
        _sk_auc("weighted"),
        lambda y, p, w: roc_auc_score(y, p, average="weighted", sample_weight=w),
    ),
    StreamCase(
        "log_loss_binary",
        lambda: gm.get("log_loss"),
        "binary",
        _sk_log_loss,
        lambda y, p, w: log_loss(y, p, sample_weight=w),
    ),
    StreamCase(
        "binary_crossentropy", lambda: gm.get("binary_crossentropy"), "binary_column", _sk_log_loss
    ),
    StreamCase(
        "log_loss_sparse",
        lambda: LogLoss(),
        "sparse",
        _sk_log_loss,
        lambda y, p, w: log_loss(y, p, sample_weight=w),
    ),
    StreamCase(
        "log_loss_one_hot", lambda: gm.get("categorical_crossentropy"), "one_hot", _sk_log_loss
    ),
    StreamCase(
        "mse",
        lambda: gm.get("mse"),
        "regression",
        _sk_regression("mean_squared_error"),
        lambda y, p, w: mean_squared_error(y, p, sample_weight=w),
    ),
    StreamCase(
        "mae",
        lambda: gm.get("mae"),
        "regression",
        _sk_regression("mean_absolute_error"),
        lambda y, p, w: mean_absolute_error(y, p, sample_weight=w),
    ),
    StreamCase(
        "r2",
        lambda: gm.get("r2"),
        "regression",
        _sk_regression("r2_score"),
        lambda y, p, w: r2_score(y, p, sample_weight=w),
    ),
    StreamCase(
        "mse_three_outputs",
        lambda: MeanSquaredError(),
        "regression3",
        _sk_regression("mean_squared_error"),
    ),
    StreamCase(
        "r2_three_outputs",
        lambda: R2Score(),
        "regression3",
        _sk_regression("r2_score"),
        lambda y, p, w: r2_score(y, p, sample_weight=w),
    ),
]


def _batches(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Consecutive index ranges of random sizes, from single samples to large chunks."""
    cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(1, 8)), replace=False))
    return np.split(np.arange(n), cuts)


def _stream(metric: Metric, y, p, w, batches) -> float:
    for index in batches:
        metric.update_state(y[index], p[index], None if w is None else w[index])
    return metric.result()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda case: case.name)
def test_streaming_metric_over_batches_equals_function_and_sklearn_on_all_data(
    sk_metrics, case, weighted, seed
):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    y, p = _make_data(case.data, rng, n)
    w = rng.random(n) if weighted else None
    expected = case.expected(sk_metrics, y, p, w)
    streamed = _stream(case.make_metric(), y, p, w, _batches(rng, n))
    assert isinstance(streamed, float)
    assert streamed == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if case.function is not None:
        assert case.function(y, p, w) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda case: case.name)
def test_merging_the_states_of_processes_equals_one_metric_on_all_batches(case, weighted):
    # What a distributed fit does at each epoch's end: each process streamed its own batches (one
    # saw none), then the states are summed (state_sums) or merged in rank order (merge_state).
    rng = np.random.default_rng(3)
    n = 120
    y, p = _make_data(case.data, rng, n)
    w = rng.random(n) if weighted else None
    expected = _stream(case.make_metric(), y, p, w, _batches(rng, n))
    parts = [np.arange(0, 50), np.arange(50, 50), np.arange(50, n)]
    processes = [case.make_metric() for _ in parts]
    for metric, rows in zip(processes, parts):
        _stream(
            metric,
            y[rows],
            p[rows],
            None if w is None else w[rows],
            _batches(rng, len(rows)) if len(rows) else [],
        )
    merged = case.make_metric()
    for metric in processes:
        merged.merge_state(metric)
    assert merged.result() == pytest.approx(expected, rel=1e-12, abs=1e-12)
    sums = [metric.state_sums() for metric in processes]
    if sums[0] is not None:
        summed = case.make_metric()
        summed.load_state_sums(np.sum(sums, axis=0))
        assert summed.result() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_merging_a_metric_of_other_width_is_a_shape_error():
    rng = np.random.default_rng(0)
    for make in (Precision, AUC):
        two, three = make(average="macro"), make(average="macro")
        two.update_state(*_multiclass_data(rng, 10, 2))
        three.update_state(*_multiclass_data(rng, 10, 3))
        with pytest.raises(ShapeError, match="merged in"):
            two.merge_state(three)


@pytest.mark.parametrize("case", STREAM_CASES, ids=lambda case: case.name)
def test_reset_state_forgets_earlier_batches(case):
    rng = np.random.default_rng(7)
    metric = case.make_metric()
    assert metric.result() == 0.0  # Keras: a fresh metric reports 0
    y_old, p_old = _make_data(case.data, rng, 40)
    metric.update_state(y_old, p_old)
    metric.reset_state()
    assert metric.result() == 0.0
    y, p = _make_data(case.data, rng, 60)
    fresh = case.make_metric()
    fresh.update_state(y, p)
    metric.update_state(y, p)
    assert metric.result() == fresh.result()


def test_streaming_auc_is_not_the_mean_of_per_batch_aucs():
    metric = AUC()
    metric.update_state([0, 1], [[0.1], [0.2]])  # batch AUC 1
    metric.update_state([0, 1], [[0.8], [0.9]])  # batch AUC 1
    assert metric.result() == roc_auc_score([0, 1, 0, 1], [0.1, 0.2, 0.8, 0.9]) == 0.75


def test_streaming_precision_is_not_the_mean_of_per_batch_precisions():
    metric = Precision()
    metric.update_state([1, 0, 0, 0], [[0.9], [0.8], [0.7], [0.6]])  # 1 / 4
    metric.update_state([1], [[0.9]])  # 1 / 1
    assert metric.result() == precision_score([1, 0, 0, 0, 1], [1, 1, 1, 1, 1]) == 0.4


@pytest.mark.parametrize("make", [Precision, Recall, F1Score], ids=lambda cls: cls.__name__)
def test_streaming_macro_average_skips_classes_never_seen_like_sklearn(sk_metrics, make, rng):
    labels = rng.integers(0, 3, 90)
    proba = _softmax(rng.normal(size=(90, 4)) - 50 * np.eye(4)[np.full(90, 3)])  # never class 3
    metric = make()  # four columns: macro by default
    for index in np.array_split(np.arange(90), 4):
        metric.update_state(labels[index], proba[index])
    which = make.__name__.lower().replace("score", "")
    expected = getattr(sk_metrics, f"{which}_score")(
        labels, proba.argmax(axis=1), average="macro", zero_division=0
    )
    assert metric.result() == pytest.approx(expected, **EXACT)


def test_streaming_r2_stays_exact_for_targets_with_a_large_offset(sk_metrics, rng):
    truth = 1e8 + rng.normal(size=500)
    pred = truth + 0.5 * rng.normal(size=500)
    metric = R2Score()
    for index in np.array_split(np.arange(500), 17):
        metric.update_state(truth[index], pred[index])
    assert metric.result() == pytest.approx(sk_metrics.r2_score(truth, pred), rel=1e-7)


def test_streaming_auc_is_nan_while_a_class_is_missing_then_defined():
    metric = AUC()
    metric.update_state([1, 1], [[0.3], [0.6]])
    assert np.isnan(metric.result())
    metric.update_state([0], [[0.5]])
    assert metric.result() == 0.5
    multiclass = AUC()
    multiclass.update_state([0, 1], _softmax(np.zeros((2, 3))))
    assert np.isnan(multiclass.result())


def test_streaming_auc_on_two_softmax_columns_is_the_binary_auc_of_column_one(sk_metrics, rng):
    labels, proba = _multiclass_data(rng, 80, 2)
    metric = AUC()
    metric.update_state(labels, proba)
    expected = sk_metrics.roc_auc_score(labels, proba[:, 1])
    assert metric.result() == pytest.approx(expected, **EXACT)


def test_calling_a_metric_updates_it_and_returns_the_running_result():
    metric = BinaryAccuracy()
    assert metric([1, 0], [0.9, 0.9]) == 0.5
    assert metric([1, 1], [0.9, 0.9]) == 0.75


def test_binary_accuracy_handles_several_independent_sigmoid_outputs():
    truth = np.array([[1, 0], [0, 0]])
    proba = np.array([[0.9, 0.7], [0.2, 0.1]])
    assert BinaryAccuracy()(truth, proba) == 0.75


def test_binary_accuracy_threshold_is_configurable():
    assert BinaryAccuracy(threshold=0.8)([1, 1], [[0.9], [0.7]]) == 0.5


# ============================== get
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("accuracy", Accuracy),
        ("acc", Accuracy),
        ("binary_accuracy", BinaryAccuracy),
        ("categorical_accuracy", CategoricalAccuracy),
        ("sparse_categorical_accuracy", SparseCategoricalAccuracy),
        ("precision", Precision),
        ("recall", Recall),
        ("f1", F1Score),
        ("auc", AUC),
        ("mse", MeanSquaredError),
        ("mae", MeanAbsoluteError),
        ("r2", R2Score),
        ("log_loss", LogLoss),
        ("binary_crossentropy", BinaryCrossentropy),
        ("AUC", AUC),
    ],
)
def test_get_resolves_keras_names_keeping_the_given_name_as_log_key(name, cls):
    metric = gm.get(name)
    assert type(metric) is cls
    assert metric.name == name
    assert gm.get(name) is not metric  # a fresh object each time: no state shared


def test_get_returns_metric_instances_unchanged_and_instantiates_classes():
    metric = F1Score(average="macro", name="macro_f1")
    assert gm.get(metric) is metric
    assert isinstance(gm.get(Recall), Recall)
    assert gm.get(Recall).name == "recall"


def test_get_refuses_an_unknown_name_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown metric 'accurasy'; valid names: .*acc.*auc"):
        gm.get("accurasy")


def test_get_refuses_objects_that_are_not_metrics():
    with pytest.raises(TypeError, match=r"expected a name, a Metric or a callable, got int"):
        gm.get(3)


def test_get_wraps_a_per_sample_function_as_a_mean_metric():
    def absolute_error(y_true, y_pred):
        return np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float).reshape(-1))

    metric = gm.get(absolute_error)
    assert isinstance(metric, MeanMetricWrapper) and metric.name == "absolute_error"
    metric.update_state([1.0, 2.0], [[1.5], [2.0]])
    metric.update_state([0.0], [[3.0]])
    assert metric.result() == pytest.approx(3.5 / 3)


# ============================== clear errors
@pytest.mark.parametrize(
    "make",
    [SparseCategoricalAccuracy, Accuracy, Precision, AUC, LogLoss],
    ids=lambda cls: cls.__name__,
)
def test_labels_outside_the_output_columns_are_refused_clearly(make):
    proba = _softmax(np.zeros((3, 3)))
    with pytest.raises(InputError, match=r"class labels must be integers in \[0, 3\).*got \[3\]"):
        make().update_state([0, 1, 3], proba)
    with pytest.raises(InputError, match=r"got \[-1\]"):
        make().update_state([0, -1, 2], proba)
    with pytest.raises(InputError, match=r"got \[1.5\]"):
        make().update_state([0, 1.5, 2], proba)


@pytest.mark.parametrize(
    "make",
    [BinaryAccuracy, Accuracy, Precision, Recall, AUC, LogLoss],
    ids=lambda cls: cls.__name__,
)
def test_binary_labels_other_than_zero_and_one_are_refused_clearly(make):
    with pytest.raises(InputError, match=r"binary labels must be 0 or 1, got \[2\]"):
        make().update_state([0, 1, 2], [[0.2], [0.7], [0.9]])


def test_categorical_accuracy_with_integer_labels_points_to_the_sparse_metric():
    with pytest.raises(ShapeError, match=r"one-hot y_true of shape \(2, 3\).*sparse_categorical"):
        CategoricalAccuracy().update_state([0, 2], _softmax(np.zeros((2, 3))))


def test_binary_average_on_three_softmax_columns_is_refused():
    with pytest.raises(ShapeError, match=r"average='binary' needs one sigmoid output or two"):
        Precision(average="binary").update_state([0, 1, 2], _softmax(np.zeros((3, 3))))


def test_changing_the_number_of_columns_between_batches_is_refused():
    metric = AUC()
    metric.update_state([0, 1, 2], _softmax(np.zeros((3, 3))))
    message = r"earlier batches had 3 columns of y_pred, this one has 4"
    with pytest.raises(ShapeError, match=message):
        metric.update_state([0, 1, 2, 3], _softmax(np.zeros((4, 4))))


def test_metric_errors_name_the_metric_and_count_mismatched_samples():
    with pytest.raises(ShapeError, match=r"sparse_categorical_accuracy: 2 labels but 3 prediction"):
        gm.get("sparse_categorical_accuracy").update_state([0, 1], _softmax(np.zeros((3, 3))))
    with pytest.raises(ShapeError, match=r"acc: 3 samples but 2 sample weights"):
        gm.get("acc").update_state([0, 1, 1], [0.2, 0.6, 0.9], sample_weight=[1.0, 2.0])
