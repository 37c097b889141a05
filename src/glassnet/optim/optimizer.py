"""Optimizer base: parameter groups, per-parameter state, zero_grad, step and state_dict.

An update rule subclasses :class:`Optimizer`, declares its defaults, and implements
``update(param, grad, state, group)`` as in-place NumPy arithmetic on ``param.data``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["Optimizer"]

ParamsLike = Iterable[Tensor] | Iterable[dict[str, Any]] | None

# Parameters larger than this are updated in row blocks of at most this size (see descend): the
# fastest of 32 KiB to 512 KiB for 784 x 256 float32 weights, alone and in the MLP benchmark.
BLOCK_BYTES = 128 * 1024
# (rows, view of the parameter's data, work array for the scaled step) for each block descend takes;
# rows None for the whole array.
RowBlocks = list[tuple[slice | None, np.ndarray, np.ndarray]]


class Optimizer:
    """Holds parameter groups (dicts with ``"params"`` and hyper-parameters) and their state.

    Args:
        params: tensors, or dicts of ``{"params": [...], **overrides}`` for groups with their own
            hyper-parameters; or None, to be bound later with :meth:`bind` (``Model.compile`` does).
        defaults: the hyper-parameters every group starts from.
    """

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        self._work_arrays: dict[tuple[str, tuple[int, ...], np.dtype], np.ndarray] = {}
        # Per parameter (by id): the parameter, the array and shape its blocks were cut from,
        # and the blocks (descend).
        self._blocks: dict[int, tuple[Tensor, np.ndarray, tuple[int, ...], RowBlocks]] = {}
        self._rate, self._rate_value = (
            np.array(np.nan),
            np.nan,
        )  # the last lr descend took (see there)
        if params is not None:
            self.bind(params)

    def bind(self, params: ParamsLike) -> Optimizer:
        """Attach the parameters (or groups) to update; replaces any bound before."""
        items = list(params or [])
        if not items:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list.")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups = []
        self.state = {}
        self._blocks = {}
        for group in groups:
            self.add_param_group(group)
        return self

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add ``{"params": [...], **options}``; options not given take the optimizer's defaults."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: a parameter group has no parameters.")
        for p in params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(
                    f"{type(self).__name__}: can only optimize tensors with requires_grad=True, "
                    f"got {type(p).__name__}."
                )
        merged = {**self.defaults, **group, "params": params}
        self.validate(merged)
        self.param_groups.append(merged)

    def validate(self, group: dict[str, Any]) -> None:
        """Check a group's hyper-parameters; subclasses add their own checks."""
        if group["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: lr must be >= 0, got {group['lr']}.")

    @property
    def lr(self) -> float:
        """The first group's learning rate (what Keras calls ``optimizer.learning_rate``)."""
        return self.param_groups[0]["lr"] if self.param_groups else self.defaults["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets it to None, as PyTorch does by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        if not self.param_groups:
            raise RuntimeError(
                f"{type(self).__name__}: no parameters bound; pass params or call bind()."
            )
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, p.grad, self.state.setdefault(index, {}), group)
                index += 1

    def update(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """The update rule: change ``param.data`` in place from ``grad``, this parameter's ``state``
        and its group's options. Each optimizer writes its own; :meth:`step` calls it."""
        raise NotImplementedError

    def work(self, param: Tensor, slot: str = "work") -> np.ndarray:
        """A parameter-shaped array for intermediate results, reused across steps.

        Update rules compute into it with ``out=`` instead of allocating temporaries. It is not
        state: it holds nothing from one update to the next, so parameters of the same shape and
        dtype share it (updates run one parameter at a time). Use distinct ``slot`` names for
        arrays needed at the same time; ``"grad"``, ``"step"`` and ``"block"`` are taken by the
        helpers below.
        """
        return self._work_array(slot, param.data.shape, param.data.dtype)

    def _work_array(self, slot: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The reusable array of ``slot`` for this shape and dtype (see :meth:`work`)."""
        key = (slot, shape, dtype)
        array = self._work_arrays.get(key)
        if array is None:
            array = self._work_arrays[key] = np.empty(shape, dtype=dtype)
        return array

    def with_weight_decay(
        self, grad: np.ndarray, param: Tensor, group: dict[str, Any]
    ) -> np.ndarray:
        """``grad + weight_decay * p``: L2 weight decay folded into the gradient, as torch.optim does.

        Returns ``grad`` itself when there is no decay, else the ``"grad"`` work array (``grad`` is
        the parameter's own gradient and is never modified).
        """
        decay = group.get("weight_decay", 0.0)
        if not decay:
            return grad
        decayed = np.multiply(param.data, decay, out=self.work(param, "grad"))
        decayed += grad
        return decayed

    def descend(self, param: Tensor, direction: np.ndarray, lr: float) -> None:
        """``param -= lr * direction``, in place, without allocating a parameter-sized temporary.

        The parameter keeps its buffer, dtype and identity; ``direction`` is not modified.
        """
        data = param.data
        kept = self._blocks.get(id(param))  # blocks made for this parameter, its array and shape
        if kept is not None and kept[0] is param and kept[1] is data and kept[2] == data.shape:
            blocks = kept[3]
        else:
            blocks = self._cut_blocks(param)
        rate: Any = lr
        if type(lr) is float or type(lr) is int:
            # A Python number is cast to the direction's dtype for the product; so is this 0-d
            # array of it, made once instead of at every call. (A NumPy scalar lr is used as is:
            # it takes part in the product's dtype, so it may not be cast first.)
            rate = self._rate
            if rate.dtype is not direction.dtype or self._rate_value != lr:
                rate = self._rate = np.array(lr, dtype=direction.dtype)
                self._rate_value = lr
        for rows, data_block, scaled_block in blocks:
            data_block -= np.multiply(
                direction if rows is None else direction[rows], rate, out=scaled_block
            )

    def _cut_blocks(self, param: Tensor) -> RowBlocks:
        """How :meth:`descend` updates ``param``: (rows, view of the data, work array for the
        scaled step) for each block, rows None for the whole array.

        A parameter up to BLOCK_BYTES is one block, scaled into its shape's work array. A larger
        one goes in blocks of whole rows: scaling into a parameter-sized work array and then
        subtracting it takes two passes, and between them a large array leaves the cache (an
        optimizer cannot scale the gradient in place, as a hand-written loop may: it must leave
        ``param.grad`` intact). Blocks of whole rows, of at most BLOCK_BYTES (or one row, when a
        row is larger), go through one work block that stays in cache; the numbers are the
        same, element by element. Measurements are in ``benchmarks/README.md``.

        The blocks are kept, since cutting them again on every step costs about what the cache
        saves; descend makes them anew when the parameter has another array or shape. Kept blocks
        hold their parameter, so that no other parameter can take its id while they are kept (a
        copied optimizer's blocks hold the copied parameters, never found under their own ids);
        ``bind`` forgets them.
        """
        data = param.data
        if data.nbytes <= BLOCK_BYTES or data.ndim == 0 or data.shape[0] < 2:
            blocks = [(None, data, self.work(param, "step"))]
        else:
            rows = max(1, BLOCK_BYTES * data.shape[0] // data.nbytes)
            scaled_rows = self._work_array("block", (rows,) + data.shape[1:], data.dtype)
            blocks = [
                (
                    slice(start, start + rows),
                    data[start : start + rows],
                    scaled_rows[: min(rows, len(data) - start)],
                )
                for start in range(0, len(data), rows)
            ]
        self._blocks[id(param)] = (param, data, data.shape, blocks)
        return blocks

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and state as plain numbers and NumPy arrays (parameters by index)."""
        groups = [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]
        state = {
            i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for i, s in self.state.items()
        }
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, checking array shapes against the parameters.

        Arrays are copied in the dtype of their parameter (as torch.optim does), so float32
        parameters keep float32 state. Nothing changes when a check fails.
        """
        name = f"{type(self).__name__}.load_state_dict"
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: {len(groups)} parameter groups given, {len(self.param_groups)} bound."
            )
        params = [p for g in self.param_groups for p in g["params"]]
        for index, entries in state_dict["state"].items():
            index = int(index)
            if not 0 <= index < len(params):
                raise ValueError(
                    f"{name}: state for parameter {index}, but only {len(params)} are bound."
                )
            for key, value in entries.items():
                if isinstance(value, np.ndarray) and value.shape != params[index].shape:
                    raise ValueError(
                        f"{name}: state {key!r} of parameter {index} has shape {value.shape}, "
                        f"the parameter has {params[index].shape}."
                    )
        for group, saved in zip(self.param_groups, groups):
            # A model file stores tuples (betas) as JSON lists.
            group.update(
                {
                    k: tuple(v) if isinstance(v, list) else v
                    for k, v in saved.items()
                    if k != "params"
                }
            )
        self.state = {
            int(i): {k: _restored(v, params[int(i)]) for k, v in s.items()}
            for i, s in state_dict["state"].items()
        }

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({options})"


def _restored(value: Any, param: Tensor) -> Any:
    """A copy of one saved state entry; floating arrays take the parameter's dtype."""
    if not isinstance(value, np.ndarray):
        return value
    return value.astype(param.dtype) if value.dtype.kind == "f" else value.copy()
