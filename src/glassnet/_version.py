"""glassnet's version, in one place (read by pyproject-independent code such as model files)."""

__version__ = "0.1.0"
