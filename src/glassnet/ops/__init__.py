"""Every differentiable op, one Function subclass each, grouped by family.

Each file holds ops whose ``forward`` and ``backward`` sit side by side with the math in the
docstring. The public entry point is :mod:`glassnet.functional`, which re-exports them all.
"""
