"""Op table rows for glassnet.ops.shape (being written)."""

CASES: list = []
ERROR_CASES: list = []
