"""The suite mirrors the package, and its helpers are modules like any other (tests/__init__.py).

Read with ``ast``, so nothing here imports a test. Each rule is also run on a small tree made to
break it, so a rule that could no longer fail fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = TESTS.parent / "fastcognito"

# Test directory -> the package directory whose modules name its files.
MIRRORS = {
    "core": "",
    "django": "django",
    "django/users": "django/users",
    "drf": "drf",
}
# Files of a mirror directory that test something other than a module, and what that is.
NOT_A_MODULE = {
    "django/test_example_databases.py": "examples/project on PostgreSQL",
    "django/test_settings_doc.py": "docs/settings.md",
    "django/test_testing.py": "fastcognito/testing.py's Django helpers",
    "django/test_testing_docs.py": "docs/django.md",
    "django/users/test_session_login.py": "session_login() of fastcognito/django/users/__init__.py",
}
# Directories of runnable tools (the Makefile runs them as scripts), beside their tests.
TOOL_DIRECTORIES = ("fuzz", "sanitizers", "soak")
# Code the tests run in other interpreters, never import: the migration tests' runner (the replaced
# systems' own virtual environments run it) and the projects it serves, written as those systems set
# them up.
RUN_ELSEWHERE = ("migration/runner.py", "migration/projects/")


def python_files(root: Path) -> Iterator[Path]:
    return (path for path in sorted(root.rglob("*.py")) if "__pycache__" not in path.parts)


def module_name(root: Path, path: Path) -> str:
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(root: Path, path: Path, tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports, function-level imports included, relative ones resolved;
    ``from package import name`` yields ``package.name`` too, as ``name`` may be a module."""
    package = module_name(root, path).split(".")
    if path.name != "__init__.py":
        package.pop()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            yield module, node.lineno
            for alias in node.names:
                yield f"{module}.{alias.name}", node.lineno


def assigns_conftest_in_sys_modules(node: ast.AST) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else []
    return any(
        isinstance(target, ast.Subscript)
        and ast.unparse(target.value) == "sys.modules"
        and "conftest" in ast.unparse(target.slice)
        for target in targets
    )


def module_names(directory: Path) -> set[str]:
    names = {path.stem.lstrip("_") for path in directory.glob("*.py") if path.stem != "__init__"}
    return names | {path.stem.lstrip("_") for path in directory.glob("*.pyx")}


def violations(root: Path, package: Path) -> list[str]:
    found = []
    for path in python_files(root):
        where = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in imported_modules(root, path, tree):
            last = module.rpartition(".")[2]
            if last == "conftest":
                found.append(f"{where}:{line} imports a conftest ({module}): use tests.support")
            elif last.startswith("test_"):
                found.append(f"{where}:{line} imports a test module ({module}): share through tests.support")
        for node in ast.walk(tree):
            if assigns_conftest_in_sys_modules(node):
                found.append(f"{where}:{node.lineno} puts a conftest in sys.modules")
        parent = path.parent.relative_to(root).as_posix()
        top = parent.split("/")[0]
        is_test = path.name.startswith("test_")
        if is_test and parent == ".":
            found.append(f"{where}: a test file at the top of tests/, not in the directory of what it tests")
        if is_test and not (path.parent / "__init__.py").is_file():
            found.append(f"{where}: its directory is not a package (no __init__.py)")
        helper = not is_test and path.name not in ("__init__.py", "conftest.py")
        if where.startswith(RUN_ELSEWHERE):
            continue
        if helper and top not in ("support", *TOOL_DIRECTORIES):
            found.append(f"{where}: a helper outside tests/support")
        if is_test and parent in MIRRORS and where not in NOT_A_MODULE:
            subject = path.stem.removeprefix("test_")
            modules = module_names(package / MIRRORS[parent])
            if not any(subject == name or subject.startswith(f"{name}_") for name in modules):
                found.append(f"{where}: named after no module of fastcognito/{MIRRORS[parent]}")
    return found


def test_the_suite_follows_its_layout() -> None:
    assert violations(TESTS, PACKAGE) == []


def test_every_exception_names_a_file_that_exists() -> None:
    for where in NOT_A_MODULE:
        assert (TESTS / where).is_file(), where


# Name -> (file, its source, what the complaint about it says).
BROKEN = {
    "from-conftest": ("core/test_cache.py", "from conftest import KID\n", "imports a conftest"),
    "import-conftest-late": ("core/test_cache.py", "def f():\n    import conftest\n", "imports a conftest"),
    "a-conftest-module": ("core/test_cache.py", "from tests.support import conftest\n", "imports a conftest"),
    "from-a-test": ("core/test_cache.py", "from tests.core.test_jwk import KEY\n", "imports a test module"),
    "relative": ("core/test_cache.py", "from .test_jwk import KEY\n", "imports a test module"),
    "relative-module": ("core/test_cache.py", "from . import test_jwk\n", "imports a test module"),
    "helper-imports-a-test": ("support/keys.py", "import test_jwk\n", "imports a test module"),
    "sys-modules": ("django/conftest.py", "import sys\nsys.modules['conftest'] = sys\n", "in sys.modules"),
    "top-level-test": ("test_cache.py", "", "a test file at the top of tests/"),
    "not-a-package": ("core/nested/test_cache.py", "", "not a package"),
    "helper-outside-support": ("django/helpers.py", "", "a helper outside tests/support"),
    "named-after-nothing": ("core/test_everything.py", "", "named after no module"),
    "another-package": ("django/users/test_jwk.py", "", "named after no module"),
}


@pytest.mark.parametrize(("path", "source", "complaint"), BROKEN.values(), ids=BROKEN)
def test_each_rule_bites(tmp_path: Path, path: str, source: str, complaint: str) -> None:
    root, package = tmp_path / "tests", tmp_path / "fastcognito"
    for directory in ("", "core", "django", "django/users", "support"):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "__init__.py").touch()
        (package / directory).mkdir(parents=True, exist_ok=True)
    for module in ("cache.py", "jwk.py", "django/conf.py", "django/users/sync.py"):
        (package / module).touch()
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    (found,) = violations(root, package)
    assert found.startswith(path) and complaint in found, found
