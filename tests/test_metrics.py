"""Metrics: ROC curve and exact ROC AUC against scikit-learn, accuracy, and the error messages.

scikit-learn is the oracle; the tests that need it skip cleanly when it is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import InputError, ShapeError
from glassnet.metrics import accuracy_score, roc_auc_score, roc_curve


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
