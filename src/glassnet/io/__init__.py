"""Files: atomic writes and weights files without pickle (the full model format comes with issue 7)."""

from .atomic import atomic_write
from .weights import load_state_dict, save_state_dict

__all__ = ["atomic_write", "save_state_dict", "load_state_dict"]
