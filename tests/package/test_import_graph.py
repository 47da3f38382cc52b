"""The package's import graph, read from the source: no cycle (function-level imports included, as
they are only cycles put off until a call), no private name of one module used by another, and the
layers of DESIGN: the Django layer never imports DRF.

Read with ``ast`` (the ``.pyx`` twin's import lines too), so nothing here imports Django or DRF.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fastcognito"
# What fastcognito.django (the Django layer) must not import: DRF, its OpenAPI tool, our DRF layer.
DRF_MODULES = ("rest_framework", "drf_spectacular", "fastcognito.drf")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    files.update({module_name(path): path for path in PACKAGE.rglob("*.pyx")})
    return files


MODULES = source_files()


def is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def parse(path: Path) -> ast.Module:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".pyx":
        # Cython: only its Python import statements (cimports are C-level declarations).
        statements = re.findall(r"^(?:from [\w.]+ import (?:\([^)]*\)|.*)|import .*)$", text, re.MULTILINE)
        text = "\n".join(statement for statement in statements if "cimport" not in statement)
    return ast.parse(text, filename=str(path))


def imports(name: str) -> Iterator[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import of ``name``,
    function-level ones included."""
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(parse(MODULES[name])):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    yield submodule, None, node.lineno
                else:
                    yield target, alias.name, node.lineno


def internal_edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for target, _, _ in imports(name):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_is_read() -> None:
    graph = internal_edges()
    # A few edges every version has: the reader resolves relative and function-level imports.
    assert "fastcognito.verifier" in graph["fastcognito"]
    assert "fastcognito.django.conf" in graph["fastcognito.django.tokens"]
    assert "fastcognito.claims" in graph["fastcognito._verify"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle() -> None:
    assert find_cycle(internal_edges()) is None


def test_no_private_name_is_imported_from_another_module() -> None:
    found = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: {target}.{taken}"
        for name in MODULES
        for target, taken, line in imports(name)
        if taken is not None
        and taken.startswith("_")
        and not taken.startswith("__")
        and target.startswith("fastcognito")
    ]
    assert found == []


def private_names_defined(tree: ast.Module) -> set[str]:
    """The private attributes and globals a module defines: its own to use."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__slots__" for target in node.targets
        ):
            names.update(item.value for item in ast.walk(node.value) if isinstance(item, ast.Constant))
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def test_no_private_attribute_of_another_module_is_read() -> None:
    trees = {name: parse(path) for name, path in MODULES.items() if path.suffix == ".py"}
    defined = {name: private_names_defined(tree) for name, tree in trees.items()}
    found = []
    for name, tree in trees.items():
        others = set().union(*(names for other, names in defined.items() if other != name))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            if not node.attr.startswith("_") or node.attr.startswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in others and node.attr not in defined[name]:
                found.append(f"{MODULES[name].relative_to(PACKAGE.parent)}:{node.lineno}: .{node.attr}")
    assert found == []


def test_the_django_layer_does_not_import_drf() -> None:
    found = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: {target}"
        for name in MODULES
        if name.startswith("fastcognito.django")
        for target, _, line in imports(name)
        if any(target == banned or target.startswith(banned + ".") for banned in DRF_MODULES)
    ]
    assert found == []


def test_the_core_does_not_import_django() -> None:
    found = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: {target}"
        for name in MODULES
        if not name.startswith(("fastcognito.django", "fastcognito.drf", "fastcognito.testing"))
        for target, _, line in imports(name)
        if target.split(".")[0] in ("django", "rest_framework", "drf_spectacular")
    ]
    assert found == []
