"""Data utilities on samples-first arrays. Splitting is scikit-learn's job (``train_test_split``)."""

from .loader import DataLoader

__all__ = ["DataLoader"]
