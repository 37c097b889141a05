"""Accuracy, precision, recall, F1 and the confusion matrix against scikit-learn, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import InputError, ShapeError
from glassnet.metrics import (
    accuracy,
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from .data import EXACT, _binary_data, _multiclass_data, _one_hot


def _random_labels(
    rng: np.random.Generator, n: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random true and predicted labels; some classes may be missing from either side."""
    truth = rng.integers(0, n_classes, n)
    pred = np.where(rng.random(n) < 0.6, truth, rng.integers(0, n_classes, n))
    return truth, pred


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


def test_multi_column_inputs_are_refused_not_flattened() -> None:
    from glassnet.errors import ShapeError
    from glassnet.metrics import accuracy_score, roc_auc_score

    with pytest.raises(ShapeError, match=r"expected shape \(n,\) or \(n, 1\), got \(2, 2\)"):
        accuracy_score([0, 1, 0, 1], [[0, 1], [0, 1]])
    with pytest.raises(ShapeError):
        roc_auc_score([[0, 1], [0, 1]], [0.1, 0.2, 0.3, 0.4])


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
    sk_metrics, seed
):
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
    sk_metrics, which
):
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
