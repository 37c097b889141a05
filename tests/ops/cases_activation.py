"""Op table rows for glassnet.ops.activation (being written)."""

CASES: list = []
ERROR_CASES: list = []
