"""The package's import direction: lower layers never import higher ones, and no file imports
itself through others (no import circle).

errors and random below autograd, autograd below ops, ops below nn and losses, optim beside them,
then data, metrics, callbacks and io, and training on top (the table below says exactly what each
may not import). Every import counts: at module level, inside functions and under
``if TYPE_CHECKING:``. The one exception is Tensor's operators reaching glassnet.functional.
"""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# For each part of the package, the parts it must not import, anywhere in its files.
FORBIDDEN = {
    "errors": {"autograd", "ops", "nn", "optim", "training", "losses", "metrics", "plotting"},
    "random": {"autograd", "ops", "nn", "optim", "training", "losses"},
    "autograd": {"ops", "nn", "optim", "training", "losses", "functional", "metrics", "plotting"},
    "ops": {"nn", "optim", "training", "losses", "metrics", "plotting"},
    "nn": {"optim", "training", "metrics", "plotting"},
    "optim": {"nn", "ops", "training", "losses", "plotting"},
    "metrics": {"autograd", "ops", "nn", "optim", "training"},
    # distributed is handed models and optimizers by training (duck-typed), so it imports neither.
    "distributed": {
        "autograd",
        "ops",
        "nn",
        "optim",
        "training",
        "losses",
        "metrics",
        "callbacks",
        "io",
    },
    "plotting": {"autograd", "ops", "nn", "optim", "training"},
    "losses": {"nn", "optim", "training", "metrics", "callbacks", "io"},
    "data": {"autograd", "ops", "nn", "optim", "training", "losses", "metrics", "callbacks"},
    "io": {"optim", "training", "callbacks", "metrics", "diagnostics"},
    "callbacks": {"training"},
    "diagnostics": {"training", "callbacks"},
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def test_lower_layers_do_not_import_higher_ones() -> None:
    problems = []
    for name, targets in _file_graph().items():
        part = _part(PACKAGE.parent / name)
        for target in targets:
            if _part(PACKAGE.parent / target) in FORBIDDEN.get(part, ()):
                problems.append(f"{name} imports {target}")
    assert not problems, "; ".join(sorted(problems))


# Modules that exist to adapt glassnet to an optional extra, and the extra they may import at
# module level (nothing imports them; users do, once they have installed that extra).
EXTRA_ADAPTERS = {"sklearn.py": {"sklearn"}}


def test_core_imports_only_numpy() -> None:
    third_party = set()
    for path in PACKAGE.rglob("*.py"):
        if path.parent == PACKAGE and path.name in EXTRA_ADAPTERS:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                third_party.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                third_party.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"numpy", "glassnet", "__future__"}
    assert third_party <= allowed, (
        f"module-level imports beyond NumPy: {sorted(third_party - allowed)}"
    )


def test_extra_adapters_import_only_their_extra_and_are_imported_by_nothing() -> None:
    for name, extras in EXTRA_ADAPTERS.items():
        third_party = set()
        for node in ast.walk(
            ast.parse((PACKAGE / name).read_text())
        ):  # also inside try: ... except ImportError
            if isinstance(node, ast.Import):
                third_party.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                third_party.add(node.module.split(".")[0])
        allowed = set(sys.stdlib_module_names) | {"numpy", "glassnet", "__future__"} | extras
        assert third_party <= allowed, f"{name} imports {sorted(third_party - allowed)}"
    module_names = {name.removesuffix(".py") for name in EXTRA_ADAPTERS}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and path.parent == PACKAGE:
                assert not module_names & ({node.module} | {alias.name for alias in node.names}), (
                    path
                )


# The one sanctioned back-edge: Tensor's operator methods (``a + b``) reach the ops through
# glassnet.functional, which is built on autograd (see glassnet/autograd/tensor.py, _functional).
SANCTIONED_EDGES = {("glassnet/autograd/tensor.py", "glassnet/functional.py")}


def _file_of(module: str) -> Path | None:
    """The file that ``import module`` runs last: ``a/b.py`` or ``a/b/__init__.py``."""
    relative = Path(*module.split("."))
    for candidate in (relative.with_suffix(".py"), relative / "__init__.py"):
        if (PACKAGE.parent / candidate).is_file():
            return PACKAGE.parent / candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """Every glassnet module ``path`` imports anywhere: module level, inside functions and
    ``if TYPE_CHECKING:`` blocks, relative or absolute, and ``importlib.import_module("glassnet...")``.

    ``from package import name`` counts as importing ``package.name`` when that is a module, else
    ``package`` (its ``__init__.py``).
    """
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # the package that ``from . import x`` means (also for __init__.py)
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names if alias.name.startswith("glassnet"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                base += node.module.split(".") if node.module else []
                base_name = ".".join(base)
            elif node.module and node.module.split(".")[0] == "glassnet":
                base_name = node.module
            else:
                continue
            for alias in node.names:
                submodule = f"{base_name}.{alias.name}"
                modules.add(submodule if _file_of(submodule) else base_name)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("glassnet")
        ):
            modules.add(node.args[0].value)
    return modules


@functools.cache
def _file_graph() -> dict[str, set[str]]:
    """For each file of the package (``glassnet/nn/module.py``), the package files it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        targets = set()
        for module in _imported_modules(path):
            target = _file_of(module)
            while target is None and "." in module:  # glassnet.x.name where name is no module
                module = module.rpartition(".")[0]
                target = _file_of(module)
            if target is not None:
                targets.add(target.relative_to(PACKAGE.parent).as_posix())
        graph[name] = {t for t in targets if t != name and (name, t) not in SANCTIONED_EDGES}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of files (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_circle_in(graph, set(group)) for group in groups]


def _report(circles: list[list[str]]) -> str:
    lines = []
    for circle in circles:
        lines.append(" -> ".join(circle))
        for here, there in zip(circle, circle[1:]):
            lines.append(f"    {here} imports {there}")
    return "\n".join(lines)


def _circle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first file back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    following.append(child)
        frontier = following
    raise AssertionError("a strongly connected group always holds a circle")


def test_no_import_circles_between_files() -> None:
    graph = _file_graph()
    circles = _circles(graph)
    assert not circles, "import circles (each file imports the next):\n" + _report(circles)


def test_the_circle_finder_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    graph = {"a.py": {"b.py"}, "b.py": {"c.py"}, "c.py": {"a.py"}, "d.py": {"a.py"}}
    assert _circles(graph) == [["a.py", "b.py", "c.py", "a.py"]]
    assert _circles({"a.py": {"b.py"}, "b.py": set()}) == []
    # The real files: imports at module level, inside methods, and the sanctioned lazy one.
    imported = _imported_modules(PACKAGE / "training" / "model.py")
    assert "glassnet.training.keras_api" in imported  # relative, module level
    assert "glassnet.diagnostics.trace" in imported  # relative, inside a method
    assert "glassnet.functional" in _imported_modules(PACKAGE / "autograd" / "tensor.py")
