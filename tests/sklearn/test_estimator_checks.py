"""scikit-learn's own estimator checks, every one of them, on both estimators at their defaults.

Nothing is skipped or marked expected-to-fail here: a failing check fails the suite. The same
checks also run on estimators built by a ``model=`` callable with ``model__`` arguments: the API
checks by default, all of them with ``-m slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet as gn
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor


class LogitsNetwork:
    """A model= callable whose output is logits (for every kind of target); a class with a repr,
    so that the test ids do not hold a memory address."""

    def __call__(self, n_features_in: int, n_outputs: int, units: int = 16) -> gn.Model:
        return gn.Model(
            [
                gn.Dense(units, activation="relu", in_features=n_features_in, dtype=np.float64),
                gn.Dense(n_outputs, dtype=np.float64),
            ]
        )

    def __repr__(self) -> str:
        return "LogitsNetwork()"


ROUTED = [
    GlassnetClassifier(model=LogitsNetwork(), model__units=16, learning_rate=0.01),
    GlassnetRegressor(model=LogitsNetwork(), model__units=32),
]


@parametrize_with_checks([GlassnetClassifier(), GlassnetRegressor()])
def test_scikit_learn_estimator_check(estimator, check, monkeypatch) -> None:
    # scikit-learn skips its array-API input check unless this variable is set; with NumPy
    # arrays (the only namespace it tries on an estimator without array-API support) it only
    # gates the check, so set it and run the check rather than skip it.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


@parametrize_with_checks(ROUTED, legacy=False)
def test_scikit_learn_api_check_with_a_model_callable(estimator, check) -> None:
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(ROUTED)
def test_scikit_learn_estimator_check_with_a_model_callable(estimator, check, monkeypatch) -> None:
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
