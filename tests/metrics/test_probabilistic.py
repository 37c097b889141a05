"""The log loss against scikit-learn, binary and multiclass, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.errors import InputError
from glassnet.metrics import log_loss

from .data import EXACT, _binary_data, _multiclass_data, _one_hot


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
    expected = sk_metrics.log_loss(
        labels, y_proba=proba, labels=range(n_classes), sample_weight=weights
    )
    assert log_loss(labels, proba, sample_weight=weights) == pytest.approx(expected, **EXACT)
    got = log_loss(_one_hot(labels, n_classes), proba, sample_weight=weights)
    assert got == pytest.approx(expected, **EXACT)


def test_log_loss_binary_works_when_one_class_is_absent(sk_metrics):
    expected = sk_metrics.log_loss([1, 1], y_proba=[0.7, 0.9], labels=[0, 1])
    assert log_loss([1, 1], [0.7, 0.9]) == pytest.approx(expected, **EXACT)


def test_log_loss_refuses_values_that_are_not_probabilities():
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 0.9\]"):
        log_loss([0, 1], [-0.5, 0.9])
