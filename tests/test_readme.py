"""The README's Python examples run as written, each on its own, and print what their comments say.

Every fenced ```python block of README.md is read when the tests are collected and run in a fresh
namespace, in an empty working directory, with matplotlib on the Agg backend. A block's line
numbers are the README's, so a traceback points at the README line that failed. Two kinds of
comment on a line that calls ``print`` are checked against what that line printed:
``# about 0.97`` (the number, to one unit in its last digit) and comments with ``...`` in them,
such as ``# {'loss': ...}`` (the text around each ``...`` appears in the output, in that order).
Other comments are prose and are not checked.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import sys
import textwrap
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

# The examples use the optional extras: plots, scikit-learn's data and pandas (generate_data).
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")
pytest.importorskip("pandas")

README = Path(__file__).resolve().parents[1] / "README.md"

OPENING_FENCE = re.compile(r"^\s*```python\s*$")
CLOSING_FENCE = re.compile(r"^\s*```\s*$")
ABOUT = re.compile(r"#\s*about\s+([-+]?\d+(?:\.(\d+))?)\b")


@dataclass(frozen=True)
class Block:
    """One fenced ```python block: its code and the README line of its first code line."""

    index: int
    first_line: int
    code: str

    @property
    def name(self) -> str:
        return f"block_{self.index}_line_{self.first_line}"


def python_blocks(path: Path) -> list[Block]:
    """The file's fenced ```python blocks in order; an unclosed fence is an error."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = OPENING_FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        first_line = number + 1  # 1-based README line of the block's first code line
        body: list[str] = []
        while number < len(lines) and not CLOSING_FENCE.match(lines[number]):
            body.append(lines[number])
            number += 1
        if number == len(lines):
            raise ValueError(
                f"{path.name}: the ```python fence on line {first_line - 1} is never closed"
            )
        number += 1
        code = textwrap.dedent("\n".join(body) + "\n")
        blocks.append(Block(index=len(blocks) + 1, first_line=first_line, code=code))
    return blocks


BLOCKS = python_blocks(README)


@pytest.fixture(autouse=True)
def agg_backend() -> Iterator[None]:
    """Plots go to the Agg backend (no window, no display) and are closed after each block."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _shifted(code: CodeType, lines: int) -> CodeType:
    """The code object, and those of the functions in it, moved down by ``lines`` lines."""
    constants = tuple(_shifted(c, lines) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=constants)


def _run(block: Block) -> dict[int, list[str]]:
    """Runs the block in a fresh namespace; returns the text each of its lines printed.

    The code is compiled with README.md as its file and its lines moved to the README's, so a
    traceback shows the README's line and, in pytest, the block from its start to that line.
    """
    filename = str(README)
    printed: dict[int, list[str]] = {}

    def recording_print(*args: Any, sep: str | None = " ", **kwargs: Any) -> None:
        caller = sys._getframe(1)
        if caller.f_code.co_filename == filename:
            text = (" " if sep is None else sep).join(str(arg) for arg in args)
            printed.setdefault(caller.f_lineno, []).append(text)
        builtins.print(*args, sep=sep, **kwargs)

    code = _shifted(compile(block.code, filename, "exec"), block.first_line - 1)
    namespace: dict[str, Any] = {"__name__": "__main__", "print": recording_print}
    exec(code, namespace)  # noqa: S102 (the README's own examples)
    return printed


def _claims(block: Block) -> dict[int, str]:
    """The comments that end a ``print(...)`` call, by README line."""
    print_ends = {
        node.end_lineno
        for node in ast.walk(ast.parse(block.code))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    }
    return {
        block.first_line - 1 + token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(block.code).readline)
        if token.type == tokenize.COMMENT and token.start[0] in print_ends
    }


def _check_claim(line: int, comment: str, outputs: list[str]) -> None:
    assert outputs, f"README.md:{line} printed nothing, but its comment says {comment!r}"
    about = ABOUT.match(comment)
    if about is not None:
        expected = float(about.group(1))
        tolerance = 10.0 ** -len(about.group(2) or "")
        for text in outputs:
            assert abs(float(text) - expected) <= tolerance, (
                f"README.md:{line} printed {text}, but its comment says {comment!r}"
            )
    elif "..." in comment:
        fragments = [part.strip() for part in comment.lstrip("#").split("...") if part.strip()]
        for text in outputs:
            pattern = ".*".join(re.escape(fragment) for fragment in fragments)
            assert re.search(pattern, text, re.DOTALL), (
                f"README.md:{line} printed {text!r}, which does not match its comment {comment!r}"
            )


def test_the_readme_has_python_examples() -> None:
    assert BLOCKS, f"no ```python block found in {README}"


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_readme_block_runs_and_prints_what_its_comments_say(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # files the examples save land here, not in the repository
    printed = _run(block)
    for line, comment in _claims(block).items():
        _check_claim(line, comment, printed.get(line, []))
