"""scikit-learn's own estimator checks, every one of them, on both estimators at their defaults.

Nothing is skipped or marked expected-to-fail here: a failing check fails the suite.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor


@parametrize_with_checks([GlassnetClassifier(), GlassnetRegressor()])
def test_scikit_learn_estimator_check(estimator, check, monkeypatch) -> None:
    # scikit-learn skips its array-API input check unless this variable is set; with NumPy
    # arrays (the only namespace it tries on an estimator without array-API support) it only
    # gates the check, so set it and run the check rather than skip it.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
