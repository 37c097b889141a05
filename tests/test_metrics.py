"""Metrics: the functions and the streaming Metric objects against scikit-learn, and the errors.

scikit-learn is the oracle; the tests that need it skip cleanly when it is not installed.
Streaming metrics must equal the function on the concatenated batches (which equals
scikit-learn), whatever the batch sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

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
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)


@pytest.fixture(scope="module")
def sk_metrics():
    """``sklearn.metrics``, or a clean skip when scikit-learn is not installed."""
    pytest.importorskip("sklearn")
    import sklearn.metrics

    return sklearn.metrics


def _labels(rng: np.random.Generator, n: int, positive_rate: float) -> np.ndarray:
    labels = (rng.random(n) < positive_rate).astype(int)
    labels[:2] = [0, 1]  # both classes present, so the AUC is defined
    return rng.permutation(labels)


def _continuous(rng, labels):
    return rng.normal(size=labels.size) + labels


def _small_integers(rng, labels):
    """Heavy ties: a handful of integer scores shared by many samples of both classes."""
    return rng.integers(0, 4, size=labels.size) + labels * rng.integers(0, 2, size=labels.size)


def _thresholded(rng, labels):
    """The seed blog's metric input: probabilities cut at 0.5, so only two scores."""
    probabilities = 1.0 / (1.0 + np.exp(-(rng.normal(size=labels.size) + 1.5 * labels)))
    return (probabilities >= 0.5).astype(int)


def _rounded_probabilities(rng, labels):
    return np.round(rng.random(labels.size) * 0.6 + 0.4 * labels, 1)


def _all_equal(rng, labels):
    return np.full(labels.size, 0.3)


SCORE_KINDS = [_continuous, _small_integers, _thresholded, _rounded_probabilities, _all_equal]
SEEDS = range(12)


def _random_case(kind, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8) if seed % 3 == 0 else rng.integers(8, 300))  # tiny inputs too
    labels = _labels(rng, n, positive_rate=rng.uniform(0.05, 0.95))
    return labels, np.asarray(kind(rng, labels))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", SCORE_KINDS, ids=lambda kind: kind.__name__.strip("_"))
def test_roc_auc_score_equals_sklearn_including_ties(sk_metrics, kind, seed):
    labels, scores = _random_case(kind, seed)
    expected = sk_metrics.roc_auc_score(labels, scores)
    assert roc_auc_score(labels, scores) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", SCORE_KINDS, ids=lambda kind: kind.__name__.strip("_"))
def test_roc_auc_score_accepts_column_vectors_like_model_predict_output(sk_metrics, kind, seed):
    labels, scores = _random_case(kind, seed)
    expected = sk_metrics.roc_auc_score(labels, scores)
    column_labels, column_scores = labels.reshape(-1, 1), scores.reshape(-1, 1)
    assert roc_auc_score(labels, column_scores) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert roc_auc_score(column_labels, column_scores) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert roc_auc_score(column_labels, scores) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", SCORE_KINDS, ids=lambda kind: kind.__name__.strip("_"))
def test_roc_curve_equals_sklearn_without_dropping_points(sk_metrics, kind, seed):
    labels, scores = _random_case(kind, seed)
    expected = sk_metrics.roc_curve(labels, scores, drop_intermediate=False)
    expected_fpr, expected_tpr, expected_thresholds = expected
    fpr, tpr, thresholds = roc_curve(labels, scores)
    np.testing.assert_allclose(fpr, expected_fpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(tpr, expected_tpr, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(thresholds, expected_thresholds)


def test_roc_auc_score_accepts_boolean_and_float_labels(sk_metrics):
    labels, scores = _random_case(_small_integers, seed=99)
    expected = sk_metrics.roc_auc_score(labels, scores)
    assert roc_auc_score(labels.astype(bool), scores) == pytest.approx(expected, rel=1e-12)
    assert roc_auc_score(labels.astype(np.float32), scores) == pytest.approx(expected, rel=1e-12)


def test_roc_auc_score_counts_tied_pairs_as_half():
    # Pairs (negative, positive): (0.1, 0.35) right, (0.1, 0.8) right, (0.4, 0.35) wrong,
    # (0.4, 0.8) right -> 3 / 4; with the 0.35 tied to 0.4 the wrong pair becomes half.
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8]) == 0.875


def test_roc_auc_score_is_one_for_perfect_and_zero_for_reversed_scores():
    labels = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.9])
    assert roc_auc_score(labels, scores) == 1.0
    assert roc_auc_score(labels, -scores) == 0.0


def test_roc_curve_starts_at_origin_with_infinite_threshold_and_ends_at_one_one():
    fpr, tpr, thresholds = roc_curve([0, 1, 1, 0], [0.1, 0.5, 0.5, 0.2])
    np.testing.assert_array_equal(fpr, [0.0, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(tpr, [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.5, 0.2, 0.1])


def test_accuracy_score_is_the_fraction_of_matching_predictions():
    assert accuracy_score([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75
    assert accuracy_score([1, 1], [0, 0]) == 0.0
    assert isinstance(accuracy_score([1], [1]), float)


def test_accuracy_score_accepts_column_predictions_from_predict():
    labels = np.array([0, 1, 1, 0, 1])
    predictions = np.array([[0], [1], [0], [0], [0]])
    assert accuracy_score(labels, predictions) == 0.6
    assert accuracy_score(labels.reshape(-1, 1), predictions) == 0.6


def test_accuracy_score_rejects_different_counts_with_both_counts_in_the_message():
    with pytest.raises(ShapeError, match=r"accuracy_score: 3 labels but 2 predictions"):
        accuracy_score([0, 1, 1], [0, 1])


@pytest.mark.parametrize("metric", [roc_auc_score, roc_curve], ids=lambda f: f.__name__)
@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0, 0]], ids=["only_positives", "only_negatives"])
def test_roc_metrics_reject_labels_with_one_class(metric, labels):
    with pytest.raises(InputError, match=r"both present, got classes \[[01]\]"):
        metric(labels, [0.2, 0.5, 0.9])


@pytest.mark.parametrize("metric", [roc_auc_score, roc_curve], ids=lambda f: f.__name__)
def test_roc_metrics_reject_labels_other_than_zero_and_one(metric):
    with pytest.raises(InputError, match=r"binary labels 0 and 1.*got classes \[1, 2\]"):
        metric([1, 2, 1, 2], [0.2, 0.5, 0.9, 0.1])


@pytest.mark.parametrize("metric", [roc_auc_score, roc_curve], ids=lambda f: f.__name__)
def test_roc_metrics_reject_mismatched_shapes_naming_both(metric):
    with pytest.raises(ShapeError, match=r"shape \(n,\), got \(4,\) and \(3,\)"):
        metric([0, 1, 0, 1], [0.2, 0.5, 0.9])


def test_roc_auc_score_rejects_scores_with_several_columns():
    with pytest.raises(ShapeError, match=r"y_score: expected shape \(n,\) or \(n, 1\), got \(3, 2\)"):
        roc_auc_score([0, 1, 0], np.zeros((3, 2)))


def test_metric_shape_errors_are_value_errors_for_callers_catching_builtins():
    with pytest.raises(ValueError):
        roc_auc_score([0, 1], [0.5])
    with pytest.raises(ValueError):
        roc_auc_score([1, 1], [0.5, 0.6])


def test_nan_scores_are_refused() -> None:
    from glassnet.errors import InputError
    from glassnet.metrics import roc_auc_score

    with pytest.raises(InputError, match="NaN or infinite"):
        roc_auc_score([0, 1, 0, 1], [0.1, float("nan"), 0.2, 0.3])


def test_multi_column_inputs_are_refused_not_flattened() -> None:
    from glassnet.errors import ShapeError
    from glassnet.metrics import accuracy_score, roc_auc_score

    with pytest.raises(ShapeError, match=r"expected shape \(n,\) or \(n, 1\), got \(2, 2\)"):
        accuracy_score([0, 1, 0, 1], [[0, 1], [0, 1]])
    with pytest.raises(ShapeError):
        roc_auc_score([[0, 1], [0, 1]], [0.1, 0.2, 0.3, 0.4])


# ============================== data for the new metrics
EXACT = {"rel": 1e-10, "abs": 1e-12}


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _binary_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels (n,) with both classes, sigmoid probabilities (n, 1) as a model outputs them."""
    labels = _labels(rng, n, positive_rate=rng.uniform(0.2, 0.8))
    logits = rng.normal(size=n) + labels
    return labels, (1.0 / (1.0 + np.exp(-logits))).reshape(-1, 1)


def _multiclass_data(rng: np.random.Generator, n: int,
                     n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels (n,) with every class present, softmax probabilities (n, C)."""
    labels = rng.permutation(np.r_[np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)])
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[labels]
    return labels, _softmax(logits)


def _tied_multiclass_data(rng: np.random.Generator, n: int, n_classes: int):
    """Probability rows drawn from four fixed rows: many tied scores in every column."""
    labels, _ = _multiclass_data(rng, n, n_classes)
    rows = _softmax(rng.integers(0, 3, size=(4, n_classes)).astype(float))
    return labels, rows[rng.integers(0, 4, n)]


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[labels]


def _random_labels(rng: np.random.Generator, n: int,
                   n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Random true and predicted labels; some classes may be missing from either side."""
    truth = rng.integers(0, n_classes, n)
    pred = np.where(rng.random(n) < 0.6, truth, rng.integers(0, n_classes, n))
    return truth, pred


# ============================== accuracy
def test_accuracy_on_sigmoid_outputs_thresholds_at_one_half_like_predict_classes(sk_metrics, rng):
    labels, proba = _binary_data(rng, 200)
    proba[:3, 0] = 0.5  # exactly at the threshold: class 1, as Model.predict_classes
    expected = sk_metrics.accuracy_score(labels, (proba[:, 0] >= 0.5).astype(int))
    assert accuracy(labels, proba) == pytest.approx(expected, **EXACT)
    assert accuracy(labels.reshape(-1, 1), proba.reshape(-1)) == pytest.approx(expected, **EXACT)
    assert accuracy([1, 1], [[0.5], [0.49]]) == 0.5


def test_accuracy_threshold_and_sample_weight_match_sklearn(sk_metrics, rng):
    labels, proba = _binary_data(rng, 150)
    weights = rng.random(150)
    expected = sk_metrics.accuracy_score(labels, proba[:, 0] >= 0.3, sample_weight=weights)
    got = accuracy(labels, proba, threshold=0.3, sample_weight=weights)
    assert got == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("seed", range(4))
def test_accuracy_on_softmax_outputs_takes_the_argmax_for_sparse_and_one_hot_labels(
        sk_metrics, seed):
    rng = np.random.default_rng(seed)
    labels, proba = _multiclass_data(rng, 120, n_classes=4)
    expected = sk_metrics.accuracy_score(labels, proba.argmax(axis=1))
    assert accuracy(labels, proba) == pytest.approx(expected, **EXACT)
    assert accuracy(labels.reshape(-1, 1), proba) == pytest.approx(expected, **EXACT)
    assert accuracy(_one_hot(labels, 4), proba) == pytest.approx(expected, **EXACT)


def test_accuracy_score_keeps_comparing_labels_with_labels():
    assert accuracy_score([2, 0, 1], [2, 1, 1]) == pytest.approx(2 / 3)


# ============================== precision, recall, F1
PRF = {"precision": precision_score, "recall": recall_score, "f1": f1_score}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("average", ["binary", "macro", "weighted", "micro"])
@pytest.mark.parametrize("which", sorted(PRF))
def test_precision_recall_f1_equal_sklearn(sk_metrics, which, average, seed):
    rng = np.random.default_rng(seed)
    n_classes = 2 if average == "binary" else int(rng.integers(2, 6))
    truth, pred = _random_labels(rng, int(rng.integers(5, 200)), n_classes)
    weights = rng.random(truth.size) if seed % 2 else None
    reference = getattr(sk_metrics, f"{which}_score")
    expected = reference(truth, pred, average=average, zero_division=0, sample_weight=weights)
    got = PRF[which](truth, pred, average=average, sample_weight=weights)
    assert got == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("which", sorted(PRF))
def test_precision_recall_f1_give_zero_without_warning_when_a_class_is_never_seen(
        sk_metrics, which):
    reference = getattr(sk_metrics, f"{which}_score")
    cases = [([0, 0, 0], [0, 0, 0]), ([0, 1, 0], [0, 0, 0]), ([0, 0, 0], [1, 0, 0])]
    for truth, pred in cases:
        assert PRF[which](truth, pred) == reference(truth, pred, zero_division=0)
    truth, pred = [0, 1, 2, 2], [0, 0, 0, 2]
    for average in ("macro", "weighted"):
        expected = reference(truth, pred, average=average, zero_division=0)
        assert PRF[which](truth, pred, average=average) == pytest.approx(expected, **EXACT)


def test_precision_pos_label_picks_the_positive_class(sk_metrics):
    truth, pred = [0, 1, 1, 0, 1], [0, 1, 0, 1, 1]
    expected = sk_metrics.precision_score(truth, pred, pos_label=0)
    assert precision_score(truth, pred, pos_label=0) == pytest.approx(expected)


def test_binary_average_refuses_more_than_two_classes_naming_them():
    with pytest.raises(InputError, match=r"average='binary' needs two classes, got \[0, 1, 2\]"):
        f1_score([0, 1, 2], [0, 1, 1])


def test_unknown_average_is_refused_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"binary, micro, macro, weighted; got 'samples'"):
        precision_score([0, 1], [0, 1], average="samples")


# ============================== confusion matrix
@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_equals_sklearn(sk_metrics, seed):
    rng = np.random.default_rng(seed)
    truth, pred = _random_labels(rng, int(rng.integers(1, 100)), int(rng.integers(2, 6)))
    expected = sk_metrics.confusion_matrix(truth, pred)
    got = confusion_matrix(truth, pred)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64


def test_confusion_matrix_follows_given_labels_and_drops_other_samples(sk_metrics, rng):
    truth, pred = _random_labels(rng, 80, 5)
    labels = [3, 0, 4]
    expected = sk_metrics.confusion_matrix(truth, pred, labels=labels)
    np.testing.assert_array_equal(confusion_matrix(truth, pred, labels=labels), expected)


def test_confusion_matrix_with_sample_weights_is_float(sk_metrics, rng):
    truth, pred = _random_labels(rng, 60, 3)
    weights = rng.random(60)
    expected = sk_metrics.confusion_matrix(truth, pred, sample_weight=weights)
    got = confusion_matrix(truth.reshape(-1, 1), pred, sample_weight=weights)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got.dtype == np.float64


def test_confusion_matrix_accepts_string_labels(sk_metrics):
    truth, pred = ["cat", "dog", "dog", "eel"], ["cat", "cat", "dog", "dog"]
    expected = sk_metrics.confusion_matrix(truth, pred)
    np.testing.assert_array_equal(confusion_matrix(truth, pred), expected)


def test_confusion_matrix_rejects_different_counts():
    with pytest.raises(ShapeError, match=r"confusion_matrix: 3 labels but 2 predictions"):
        confusion_matrix([0, 1, 1], [0, 1])


# ============================== ROC AUC: one-vs-rest, weights
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("average", ["macro", "weighted"])
@pytest.mark.parametrize("make", [_multiclass_data, _tied_multiclass_data], ids=["softmax", "ties"])
def test_roc_auc_one_vs_rest_equals_sklearn(sk_metrics, make, average, seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(3, 7))
    labels, proba = make(rng, int(rng.integers(n_classes, 250)), n_classes)
    expected = sk_metrics.roc_auc_score(labels, proba, multi_class="ovr", average=average)
    assert roc_auc_score(labels, proba, average=average) == pytest.approx(expected, **EXACT)
    one_hot = _one_hot(labels, n_classes)
    assert roc_auc_score(one_hot, proba, average=average) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("seed", range(4))
def test_roc_auc_with_sample_weights_equals_sklearn(sk_metrics, seed):
    rng = np.random.default_rng(seed)
    labels, scores = _random_case(_small_integers, seed + 100)
    weights = rng.random(labels.size)
    expected = sk_metrics.roc_auc_score(labels, scores, sample_weight=weights)
    assert roc_auc_score(labels, scores, sample_weight=weights) == pytest.approx(expected, **EXACT)
    labels, proba = _tied_multiclass_data(rng, 90, 4)
    weights = rng.random(labels.size)
    for average in ("macro", "weighted"):
        expected = sk_metrics.roc_auc_score(labels, proba, multi_class="ovr", average=average,
                                            sample_weight=weights)
        got = roc_auc_score(labels, proba, average=average, sample_weight=weights)
        assert got == pytest.approx(expected, **EXACT)


def test_roc_auc_one_vs_rest_needs_every_class_in_the_labels():
    proba = _softmax(np.random.default_rng(0).normal(size=(4, 3)))
    with pytest.raises(InputError, match=r"classes \[1\] do not occur"):
        roc_auc_score([0, 2, 0, 2], proba)


def test_roc_auc_one_vs_rest_rejects_labels_outside_the_columns():
    proba = _softmax(np.random.default_rng(0).normal(size=(4, 3)))
    with pytest.raises(InputError, match=r"integers in \[0, 3\).*got \[3\]"):
        roc_auc_score([0, 1, 2, 3], proba)


def test_roc_auc_with_two_columns_says_which_column_to_pass():
    with pytest.raises(ShapeError, match=r"pass the positive class's column, y_score\[:, 1\]"):
        roc_auc_score([0, 1, 0], np.zeros((3, 2)))


# ============================== log loss
@pytest.mark.parametrize("seed", range(5))
def test_log_loss_binary_equals_sklearn_for_both_shapes(sk_metrics, seed):
    rng = np.random.default_rng(seed)
    labels, proba = _binary_data(rng, int(rng.integers(2, 200)))
    expected = sk_metrics.log_loss(labels, y_proba=proba[:, 0])
    assert log_loss(labels, proba) == pytest.approx(expected, **EXACT)
    assert log_loss(labels.reshape(-1, 1), proba[:, 0]) == pytest.approx(expected, **EXACT)


def test_log_loss_clips_certain_mistakes_at_machine_epsilon_like_sklearn(sk_metrics):
    labels, proba = np.array([1, 0, 1, 0]), np.array([0.0, 1.0, 1.0, 0.0])
    expected = sk_metrics.log_loss(labels, y_proba=proba)
    assert log_loss(labels, proba) == pytest.approx(expected, **EXACT)
    assert np.isfinite(log_loss(labels, proba))
    labels, proba = np.array([0, 2]), np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    expected = sk_metrics.log_loss(labels, y_proba=proba, labels=[0, 1, 2])
    assert log_loss(labels, proba) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("seed", range(5))
def test_log_loss_multiclass_equals_sklearn_for_sparse_and_one_hot_labels(sk_metrics, seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(3, 6))
    labels, proba = _multiclass_data(rng, int(rng.integers(n_classes, 200)), n_classes)
    weights = rng.random(labels.size)
    expected = sk_metrics.log_loss(labels, y_proba=proba, labels=range(n_classes),
                                   sample_weight=weights)
    assert log_loss(labels, proba, sample_weight=weights) == pytest.approx(expected, **EXACT)
    got = log_loss(_one_hot(labels, n_classes), proba, sample_weight=weights)
    assert got == pytest.approx(expected, **EXACT)


def test_log_loss_binary_works_when_one_class_is_absent(sk_metrics):
    expected = sk_metrics.log_loss([1, 1], y_proba=[0.7, 0.9], labels=[0, 1])
    assert log_loss([1, 1], [0.7, 0.9]) == pytest.approx(expected, **EXACT)


def test_log_loss_refuses_values_that_are_not_probabilities():
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 0.9\]"):
        log_loss([0, 1], [-0.5, 0.9])


# ============================== regression
REGRESSION = {"mse": mean_squared_error, "mae": mean_absolute_error, "r2": r2_score}
SK_REGRESSION = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "r2": "r2_score"}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("outputs", [None, 1, 3], ids=["flat", "column", "three_outputs"])
@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_equal_sklearn(sk_metrics, which, outputs, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    shape = (n,) if outputs is None else (n, outputs)
    truth = rng.normal(size=shape) * 3 + 1
    pred = truth + rng.normal(size=shape)
    weights = rng.random(n) if seed % 2 else None
    reference = getattr(sk_metrics, SK_REGRESSION[which])
    expected = reference(truth, pred, sample_weight=weights)
    assert REGRESSION[which](truth, pred, sample_weight=weights) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_accept_flat_targets_against_column_predictions(sk_metrics, which, rng):
    truth, pred = rng.normal(size=50), rng.normal(size=(50, 1))
    expected = getattr(sk_metrics, SK_REGRESSION[which])(truth, pred[:, 0])
    assert REGRESSION[which](truth, pred) == pytest.approx(expected, **EXACT)
    assert REGRESSION[which](truth.reshape(-1, 1), pred[:, 0]) == pytest.approx(expected, **EXACT)


def test_r2_score_of_a_constant_target_is_one_if_exact_else_zero_like_sklearn(sk_metrics):
    assert r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == sk_metrics.r2_score([2.0] * 3, [2.0] * 3)
    missed = [2.0, 2.5, 2.0]
    assert r2_score([2.0, 2.0, 2.0], missed) == sk_metrics.r2_score([2.0] * 3, missed)


@pytest.mark.parametrize("which", sorted(REGRESSION))
def test_regression_metrics_reject_mismatched_shapes_naming_both(which):
    with pytest.raises(ShapeError, match=r"same shape .* got \(4,\) and \(4, 2\)"):
        REGRESSION[which](np.zeros(4), np.zeros((4, 2)))


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
    StreamCase("accuracy_binary", lambda: gm.get("accuracy"), "binary", _sk_accuracy,
               lambda y, p, w: accuracy(y, p, sample_weight=w)),
    StreamCase("acc_binary_column", lambda: gm.get("acc"), "binary_column", _sk_accuracy,
               lambda y, p, w: accuracy(y, p, sample_weight=w)),
    StreamCase("accuracy_sparse", lambda: gm.get("accuracy"), "sparse", _sk_accuracy,
               lambda y, p, w: accuracy(y, p, sample_weight=w)),
    StreamCase("accuracy_one_hot", lambda: gm.get("accuracy"), "one_hot", _sk_accuracy,
               lambda y, p, w: accuracy(y, p, sample_weight=w)),
    StreamCase("binary_accuracy", lambda: gm.get("binary_accuracy"), "binary", _sk_accuracy),
    StreamCase("categorical_accuracy", lambda: gm.get("categorical_accuracy"), "one_hot",
               _sk_accuracy),
    StreamCase("sparse_categorical_accuracy", lambda: gm.get("sparse_categorical_accuracy"),
               "sparse", _sk_accuracy),
    StreamCase("precision_binary", lambda: gm.get("precision"), "binary", _sk_prf("precision"),
               _ours_prf(precision_score)),
    StreamCase("recall_binary", lambda: gm.get("recall"), "binary_column", _sk_prf("recall"),
               _ours_prf(recall_score)),
    StreamCase("f1_binary", lambda: gm.get("f1"), "binary", _sk_prf("f1"), _ours_prf(f1_score)),
    StreamCase("precision_macro", lambda: gm.get("precision"), "sparse",
               _sk_prf("precision", "macro"), _ours_prf(precision_score, "macro")),
    StreamCase("recall_weighted", lambda: Recall(average="weighted"), "one_hot",
               _sk_prf("recall", "weighted"), _ours_prf(recall_score, "weighted")),
    StreamCase("f1_weighted", lambda: F1Score(average="weighted"), "sparse",
               _sk_prf("f1", "weighted"), _ours_prf(f1_score, "weighted")),
    StreamCase("f1_macro_on_sigmoid", lambda: F1Score(average="macro"), "binary",
               _sk_prf("f1", "macro"), _ours_prf(f1_score, "macro")),
    StreamCase("auc_binary", lambda: gm.get("auc"), "binary", _sk_auc(),
               lambda y, p, w: roc_auc_score(y, p, sample_weight=w)),
    StreamCase("auc_ovr_macro", lambda: gm.get("auc"), "sparse", _sk_auc(),
               lambda y, p, w: roc_auc_score(y, p, sample_weight=w)),
    StreamCase("auc_ovr_weighted_one_hot", lambda: AUC(average="weighted"), "one_hot",
               _sk_auc("weighted"),
               lambda y, p, w: roc_auc_score(y, p, average="weighted", sample_weight=w)),
    StreamCase("log_loss_binary", lambda: gm.get("log_loss"), "binary", _sk_log_loss,
               lambda y, p, w: log_loss(y, p, sample_weight=w)),
    StreamCase("binary_crossentropy", lambda: gm.get("binary_crossentropy"), "binary_column",
               _sk_log_loss),
    StreamCase("log_loss_sparse", lambda: LogLoss(), "sparse", _sk_log_loss,
               lambda y, p, w: log_loss(y, p, sample_weight=w)),
    StreamCase("log_loss_one_hot", lambda: gm.get("categorical_crossentropy"), "one_hot",
               _sk_log_loss),
    StreamCase("mse", lambda: gm.get("mse"), "regression", _sk_regression("mean_squared_error"),
               lambda y, p, w: mean_squared_error(y, p, sample_weight=w)),
    StreamCase("mae", lambda: gm.get("mae"), "regression", _sk_regression("mean_absolute_error"),
               lambda y, p, w: mean_absolute_error(y, p, sample_weight=w)),
    StreamCase("r2", lambda: gm.get("r2"), "regression", _sk_regression("r2_score"),
               lambda y, p, w: r2_score(y, p, sample_weight=w)),
    StreamCase("mse_three_outputs", lambda: MeanSquaredError(), "regression3",
               _sk_regression("mean_squared_error")),
    StreamCase("r2_three_outputs", lambda: R2Score(), "regression3", _sk_regression("r2_score"),
               lambda y, p, w: r2_score(y, p, sample_weight=w)),
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
        sk_metrics, case, weighted, seed):
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
    expected = getattr(sk_metrics, f"{which}_score")(labels, proba.argmax(axis=1), average="macro",
                                                     zero_division=0)
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
    [("accuracy", Accuracy), ("acc", Accuracy), ("binary_accuracy", BinaryAccuracy),
     ("categorical_accuracy", CategoricalAccuracy),
     ("sparse_categorical_accuracy", SparseCategoricalAccuracy), ("precision", Precision),
     ("recall", Recall), ("f1", F1Score), ("auc", AUC), ("mse", MeanSquaredError),
     ("mae", MeanAbsoluteError), ("r2", R2Score), ("log_loss", LogLoss),
     ("binary_crossentropy", BinaryCrossentropy), ("AUC", AUC)],
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
@pytest.mark.parametrize("make", [SparseCategoricalAccuracy, Accuracy, Precision, AUC, LogLoss],
                         ids=lambda cls: cls.__name__)
def test_labels_outside_the_output_columns_are_refused_clearly(make):
    proba = _softmax(np.zeros((3, 3)))
    with pytest.raises(InputError, match=r"class labels must be integers in \[0, 3\).*got \[3\]"):
        make().update_state([0, 1, 3], proba)
    with pytest.raises(InputError, match=r"got \[-1\]"):
        make().update_state([0, -1, 2], proba)
    with pytest.raises(InputError, match=r"got \[1.5\]"):
        make().update_state([0, 1.5, 2], proba)


@pytest.mark.parametrize("make", [BinaryAccuracy, Accuracy, Precision, Recall, AUC, LogLoss],
                         ids=lambda cls: cls.__name__)
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
