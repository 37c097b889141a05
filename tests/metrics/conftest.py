"""The metric tests' oracle: scikit-learn's ``sklearn.metrics``.

The tests that need it skip cleanly when it is not installed. Streaming metrics must equal the
function on the concatenated batches (which equals scikit-learn), whatever the batch sizes.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sk_metrics():
    """``sklearn.metrics``, or a clean skip when scikit-learn is not installed."""
    pytest.importorskip("sklearn")
    import sklearn.metrics

    return sklearn.metrics
