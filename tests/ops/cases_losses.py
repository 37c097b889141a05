"""Op table rows for glassnet.ops.losses (being written)."""

CASES: list = []
ERROR_CASES: list = []
