"""ROC curve and ROC AUC (binary, one-vs-rest, weighted) against scikit-learn, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import InputError, ShapeError
from glassnet.metrics import roc_auc_score, roc_curve

from .data import EXACT, _labels, _multiclass_data, _one_hot, _softmax


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


def _tied_multiclass_data(rng: np.random.Generator, n: int, n_classes: int):
    """Probability rows drawn from four fixed rows: many tied scores in every column."""
    labels, _ = _multiclass_data(rng, n, n_classes)
    rows = _softmax(rng.integers(0, 3, size=(4, n_classes)).astype(float))
    return labels, rows[rng.integers(0, 4, n)]


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
    assert roc_auc_score(column_labels, column_scores) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )
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
    with pytest.raises(
        ShapeError, match=r"y_score: expected shape \(n,\) or \(n, 1\), got \(3, 2\)"
    ):
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
        expected = sk_metrics.roc_auc_score(
            labels, proba, multi_class="ovr", average=average, sample_weight=weights
        )
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
