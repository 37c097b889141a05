"""Op table rows for glassnet.ops.math (being written)."""

CASES: list = []
ERROR_CASES: list = []
