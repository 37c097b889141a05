"""Op table rows for glassnet.ops.reduce (being written)."""

CASES: list = []
ERROR_CASES: list = []
