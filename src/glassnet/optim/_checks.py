"""Argument checks shared by the update rules, worded like PyTorch's.

One deliberate difference: eps must be > 0 (PyTorch accepts 0, which can divide by zero).
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_betas", "check_non_negative", "check_positive"]


def check_non_negative(owner: str, group: dict[str, Any], *names: str) -> None:
    """A ValueError naming ``owner`` and the option when one of ``names`` is negative."""
    for name in names:
        if group[name] < 0:
            raise ValueError(f"{owner}: invalid {name} value {group[name]}: must be >= 0.")


def check_positive(owner: str, group: dict[str, Any], *names: str) -> None:
    """A ValueError naming ``owner`` and the option when one of ``names`` is <= 0."""
    for name in names:
        if group[name] <= 0:
            raise ValueError(f"{owner}: invalid {name} value {group[name]}: must be > 0.")


def check_betas(owner: str, group: dict[str, Any]) -> None:
    """A ValueError unless every beta lies in [0, 1)."""
    for index, beta in enumerate(group["betas"]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(
                f"{owner}: invalid beta parameter at index {index}: {beta} (must lie in [0, 1))."
            )
