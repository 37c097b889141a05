"""Bad inputs of every op family raise the documented error with a useful message."""

from __future__ import annotations

import pytest

from .cases import ERROR_CASES, ErrorCase


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.name)
def test_bad_input_raises_clear_error(case: ErrorCase) -> None:
    with pytest.raises(case.error, match=case.match):
        case.call()
