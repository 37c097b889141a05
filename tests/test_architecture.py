"""The package's import direction: lower layers never import higher ones.

errors and random below autograd, autograd below ops, ops below nn, and training on top; optim,
metrics and plotting stand beside them (the table below says exactly what each may not import).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# For each part of the package, the parts it must not import at module level.
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
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _module_level_imports(tree: ast.Module) -> set[str]:
    imported = set()
    for node in tree.body:  # only module level: function-body imports are the sanctioned lazy edges
        if isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            imported.update(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("glassnet.")
        ):
            imported.add(node.module.split(".")[1])
    return imported


def test_lower_layers_do_not_import_higher_ones() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        part = _part(path)
        if part not in FORBIDDEN:
            continue
        tree = ast.parse(path.read_text())
        for name in _module_level_imports(tree) & FORBIDDEN[part]:
            problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "; ".join(problems)


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
